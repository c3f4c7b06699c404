"""The catalogue's items and their versions: saving (a new version per change, audited), reading, searching.

A change never rewrites a version: it adds the next one and moves the item's ``version`` to it, so an item
started earlier keeps (and shows) the version it started under (``ItemApplication.item_version_id``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from runner.catalogue.body import ItemInvalid, check_references, normalise
from runner.core import audit
from runner.core.definitions import latest_definition
from runner.core.transaction import services_of
from runner.exceptions import NotFound
from runner.models import CatalogueFile, CatalogueItem, CatalogueItemVersion, ItemApplication
from runner.people.windows import known_windows

SEARCH_LIMIT = 50
MAX_FILE_BYTES = 5 * 1024 * 1024


class NoSuchItem(NotFound):
    code = "no_such_item"


@dataclass(frozen=True)
class Saved:
    """What a save did: the item, its version in force, and whether anything changed."""

    item: CatalogueItem
    version: int
    changed: bool
    created: bool


def _process_exists(session: Session) -> Any:
    return lambda key: latest_definition(session, key, required=False) is not None


def check(session: Session, raw: Any) -> dict[str, Any]:
    """The item's content normalised and checked against the database; ``ItemInvalid`` lists every problem."""
    body = normalise(raw)
    problems = check_references(body, process_exists=_process_exists(session), windows=known_windows(session))
    if problems:
        raise ItemInvalid(problems)
    return body


def _changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


def save_item(session: Session, raw: Any, *, actor: str) -> Saved:
    """Create the item of ``raw["code"]`` or store its changed content as the next version (audited
    ``catalogue_item_saved`` with who and which fields); content equal to the version in force is no change."""
    body = check(session, raw)
    item = session.scalars(select(CatalogueItem).where(CatalogueItem.code == body["code"])).first()
    now = services_of(session).now()
    created = item is None
    if item is None:
        item = CatalogueItem(code=body["code"], version=0, updated_at=now, updated_by=actor)
        _project(item, body)
        session.add(item)
        session.flush()
        before: dict[str, Any] = {}
    else:
        before = current_version(session, item).body
        if before == body:
            return Saved(item, item.version, changed=False, created=False)
    item.version += 1
    _project(item, body)
    item.updated_at, item.updated_by = now, actor
    session.add(
        CatalogueItemVersion(
            item_id=item.id, version=item.version, body=body, created_at=now, created_by=actor
        )
    )
    session.flush()
    audit.record(
        session,
        "catalogue_item_saved",
        actor=actor,
        item=item.code,
        version=item.version,
        created=created,
        changed=_changes(before, body),
    )
    return Saved(item, item.version, changed=True, created=created)


def _project(item: CatalogueItem, body: dict[str, Any]) -> None:
    item.name, item.department, item.window = body["name"], body["department"], body["window"]
    item.name_en = body.get("name_en") or None
    item.kind, item.process_key = body["kind"], body["process"]
    item.online, item.active = body["online"], body["active"]


def get_item(session: Session, code: str) -> CatalogueItem:
    """The item of ``code`` (``NoSuchItem`` otherwise)."""
    item = session.scalars(select(CatalogueItem).where(CatalogueItem.code == code)).first()
    if item is None:
        raise NoSuchItem(f"没有事项 {code} (no catalogue item {code!r})", item=code)
    return item


def current_version(session: Session, item: CatalogueItem) -> CatalogueItemVersion:
    """The version in force of ``item``."""
    return item_version(session, item, item.version)


def item_version(session: Session, item: CatalogueItem, version: int) -> CatalogueItemVersion:
    """One version of ``item`` (``NoSuchItem`` when it has none of that number)."""
    found = session.scalars(
        select(CatalogueItemVersion).where(
            CatalogueItemVersion.item_id == item.id, CatalogueItemVersion.version == version
        )
    ).first()
    if found is None:
        raise NoSuchItem(f"事项 {item.code} 没有第 {version} 版 (no version {version})", item=item.code)
    return found


def versions(session: Session, item: CatalogueItem) -> list[CatalogueItemVersion]:
    """Every version of ``item``, newest first."""
    return list(
        session.scalars(
            select(CatalogueItemVersion)
            .where(CatalogueItemVersion.item_id == item.id)
            .order_by(CatalogueItemVersion.version.desc())
        )
    )


def search(
    session: Session,
    text: str = "",
    *,
    kind: str | None = None,
    window: str | None = None,
    active_only: bool = True,
    online: bool | None = None,
    limit: int = SEARCH_LIMIT,
    offset: int = 0,
) -> list[CatalogueItem]:
    """Items whose name (Chinese or English), code, department (Chinese or English) or a material's name (Chinese
    or English) contain each word of ``text``, ordered by code."""
    query = select(CatalogueItem)
    words = [w for w in text.split() if w][:5]
    in_bodies = _ids_matching_bodies(session, words)
    for word in words:
        like = f"%{_escape(word)}%"
        query = query.where(
            or_(
                CatalogueItem.name.like(like, escape="\\"),
                CatalogueItem.name_en.ilike(like, escape="\\"),
                CatalogueItem.code.like(like, escape="\\"),
                CatalogueItem.department.like(like, escape="\\"),
                CatalogueItem.id.in_(in_bodies[word]),
            )
        )
    if kind:
        query = query.where(CatalogueItem.kind == kind)
    if window:
        query = query.where(CatalogueItem.window == window)
    if active_only:
        query = query.where(CatalogueItem.active.is_(True))
    if online is not None:
        query = query.where(CatalogueItem.online.is_(online))
    return list(session.scalars(query.order_by(CatalogueItem.code).limit(limit).offset(offset)))


def _body_texts(body: dict[str, Any]) -> list[str]:
    """The texts of a version's body the search looks in besides the item's columns: the English department and
    each material's name and English name (lower-cased)."""
    texts = [body.get("department_en") or ""]
    for material in body.get("materials") or []:
        texts += [material.get("name") or "", material.get("name_en") or ""]
    return [t.lower() for t in texts if t]


def _ids_matching_bodies(session: Session, words: list[str]) -> dict[str, set[int]]:
    """Word → ids of the items whose version in force has the word (any case) in its English department or a
    material's name (Chinese or English); one query, read only when there are words."""
    found: dict[str, set[int]] = {w: set() for w in words}
    if not words:
        return found
    rows = session.execute(
        select(CatalogueItem.id, CatalogueItemVersion.body)
        .join(CatalogueItemVersion, CatalogueItemVersion.item_id == CatalogueItem.id)
        .where(CatalogueItemVersion.version == CatalogueItem.version)
    )
    for item_id, body in rows:
        texts = _body_texts(body or {})
        for word in words:
            if any(word.lower() in t for t in texts):
                found[word].add(item_id)
    return found


def count(session: Session, *, active_only: bool = True) -> int:
    """How many items the catalogue has (published ones only by default)."""
    query = select(func.count()).select_from(CatalogueItem)
    if active_only:
        query = query.where(CatalogueItem.active.is_(True))
    return int(session.scalar(query) or 0)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def store_file(session: Session, filename: str, content: bytes, content_type: str, *, actor: str) -> str:
    """Keep a blank form or sample; returns its reference (the content's SHA-256, the same for the same file)."""
    if not content:
        raise ItemInvalid(["blank_form: 文件为空 (the file is empty)"])
    if len(content) > MAX_FILE_BYTES:
        raise ItemInvalid([f"blank_form: 文件不能超过 {MAX_FILE_BYTES // 1048576} MB (file too large)"])
    digest = hashlib.sha256(content).hexdigest()
    if session.scalar(select(CatalogueFile.id).where(CatalogueFile.sha256 == digest)) is None:
        session.add(
            CatalogueFile(
                filename=filename[:400] or "form",
                content_type=content_type[:200] or "application/octet-stream",
                sha256=digest,
                content=content,
                size=len(content),
                uploaded_by=actor,
                uploaded_at=services_of(session).now(),
            )
        )
        session.flush()
        audit.record(session, "catalogue_file_stored", actor=actor, filename=filename, sha256=digest)
    return digest


def get_file(session: Session, reference: str) -> CatalogueFile:
    """A stored blank form by its reference (``NoSuchItem`` when unknown)."""
    found = session.scalars(select(CatalogueFile).where(CatalogueFile.sha256 == reference)).first()
    if found is None:
        raise NoSuchItem("没有该表格 (no such blank form)", file=reference)
    return found


def file_names(session: Session, references: list[str]) -> dict[str, str]:
    """Reference → file name of the stored blank forms among ``references``."""
    wanted = [r for r in references if r]
    if not wanted:
        return {}
    rows = session.execute(
        select(CatalogueFile.sha256, CatalogueFile.filename).where(CatalogueFile.sha256.in_(wanted))
    )
    return {sha: name for sha, name in rows}


def item_names(session: Session, codes: set[str], *, english: bool = False) -> dict[str, str]:
    """Code → name of the catalogue's items among ``codes`` (one query), for lists that show an item by code;
    with ``english`` the English name where the item has one."""
    if not codes:
        return {}
    rows = session.execute(
        select(CatalogueItem.code, CatalogueItem.name, CatalogueItem.name_en).where(
            CatalogueItem.code.in_(codes)
        )
    )
    return {code: (name_en or name) if english else name for code, name, name_en in rows}


def english_departments(session: Session, codes: set[str]) -> dict[str, str]:
    """Code → the English of its department (``department_en`` of the version in force) for the items among
    ``codes`` that have one (one query): English lists show it instead of the stored Chinese."""
    if not codes:
        return {}
    rows = session.execute(
        select(CatalogueItem.code, CatalogueItemVersion.body)
        .join(CatalogueItemVersion, CatalogueItemVersion.item_id == CatalogueItem.id)
        .where(CatalogueItemVersion.version == CatalogueItem.version, CatalogueItem.code.in_(codes))
    )
    return {code: body["department_en"] for code, body in rows if body.get("department_en")}


def english_names_of_instances(session: Session, instance_ids: set[int]) -> dict[int, str]:
    """Instance id → English name of the catalogue item it was registered for, for the items (among
    ``instance_ids``) whose catalogue item has one (one query): English lists show it instead of the title."""
    if not instance_ids:
        return {}
    rows = session.execute(
        select(ItemApplication.instance_id, CatalogueItem.name_en)
        .join(CatalogueItem, CatalogueItem.id == ItemApplication.item_id)
        .where(ItemApplication.instance_id.in_(instance_ids), CatalogueItem.name_en.is_not(None))
    )
    return {iid: name for iid, name in rows if name}

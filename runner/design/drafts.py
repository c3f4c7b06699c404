"""The designer's diagram drafts: opened from a deployed process or blank, saved, checked, deployed.

A draft lives in ``diagram_drafts`` from the first save on, so nothing is lost when a browser closes.
Every save names the revision it was made from; a save or deploy from an older revision is a
``Conflict`` (two designers on one draft), never a silent overwrite. A process has at most one open
draft. ``check_draft`` is the designer's validation: a dry-run deployment inside a savepoint — the very
checks the API and the console deploy with (``definitions.deploy``), errors and warnings alike — plus the
rule that a draft keeps its process.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.sax.saxutils import quoteattr

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from runner.bilingual import both
from runner.core import audit, definitions
from runner.core.foreign import adopt
from runner.core.transaction import services_of
from runner.core.validation import ERROR, executable_process_ids, safe_parse
from runner.exceptions import Conflict, DiagramInvalid, InvalidInput, NotFound
from runner.models import DiagramDraft, DraftStatus

KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
# a dry run is attributed to nobody: its audit rows are rolled back with the savepoint
DRY_RUN_ACTOR = "designer-check"


@dataclass(frozen=True)
class CheckResult:
    """What ``check_draft`` found: every problem (errors and warnings) with its element id and line."""

    revision: int
    problems: list[dict[str, Any]]

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [p for p in self.problems if p.get("severity", ERROR) == ERROR]

    @property
    def ok(self) -> bool:
        return not self.errors


def describe_draft(draft: DiagramDraft, *, with_xml: bool = False) -> dict[str, Any]:
    """JSON-friendly view of a draft (the XML only when asked)."""
    data: dict[str, Any] = {
        "id": draft.id,
        "key": draft.key,
        "name": draft.name,
        "status": draft.status,
        "revision": draft.revision,
        "based_on_version": draft.based_on_version,
        "created_by": draft.created_by,
        "created_at": draft.created_at.isoformat(),
        "updated_by": draft.updated_by,
        "updated_at": draft.updated_at.isoformat(),
        "deployed_version": draft.deployed_version,
        "deployed_at": draft.deployed_at.isoformat() if draft.deployed_at else None,
    }
    if with_xml:
        data["xml"] = draft.xml
    return data


def blank_diagram(key: str, name: str) -> str:
    """A new executable process ``key`` with one start event in one pool, drawn for bpmn-js."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" \
xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" \
xmlns:di="http://www.omg.org/spec/DD/20100524/DI" \
xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs_{key}" \
targetNamespace="http://banjian.example/bpmn">
  <bpmn:process id="{key}" name={quoteattr(name)} isExecutable="true">
    <bpmn:startEvent id="start_{key}" name="申请人提交申请"/>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="diagram_{key}">
    <bpmndi:BPMNPlane id="plane_{key}" bpmnElement="{key}">
      <bpmndi:BPMNShape id="start_{key}_di" bpmnElement="start_{key}">
        <dc:Bounds x="180" y="160" width="36" height="36"/>
      </bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


def _now(session: Session) -> datetime:
    return services_of(session).now()


def _filename(draft: DiagramDraft) -> str:
    return f"{draft.key}.bpmn"


def get_draft(session: Session, draft_id: int) -> DiagramDraft:
    """One draft by id (``NotFound`` if there is none)."""
    found = session.get(DiagramDraft, draft_id)
    if found is None:
        raise NotFound(f"没有编号为 {draft_id} 的流程草稿 (no diagram draft {draft_id})", draft=draft_id)
    return found


def list_drafts(session: Session, *, status: str | None = None, limit: int = 200) -> list[DiagramDraft]:
    """Drafts, most recently changed first (open ones only with ``status="open"``)."""
    query = (
        select(DiagramDraft)
        .options(defer(DiagramDraft.xml))  # lists do not need the diagrams; read on access
        .order_by(DiagramDraft.updated_at.desc(), DiagramDraft.id.desc())
    )
    if status is not None:
        query = query.where(DiagramDraft.status == status)
    return list(session.scalars(query.limit(limit)))


def open_draft_of(session: Session, key: str) -> DiagramDraft | None:
    """The open draft of process ``key``, if someone has one."""
    return session.scalars(select(DiagramDraft).where(DiagramDraft.open_key == key)).first()


def _insert(
    session: Session, *, key: str, name: str, xml: str, based_on: int | None, actor: str
) -> DiagramDraft | None:
    """Add an open draft; None when another one of ``key`` was opened at the same moment."""
    now = _now(session)
    draft = DiagramDraft(
        key=key,
        open_key=key,
        status=DraftStatus.OPEN,
        name=name,
        xml=xml,
        based_on_version=based_on,
        revision=1,
        created_by=actor,
        created_at=now,
        updated_by=actor,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(draft)
            session.flush()
    except IntegrityError:
        return None
    audit.record(session, "draft_opened", actor=actor, draft=draft.id, key=key, based_on_version=based_on)
    return draft


def open_draft(session: Session, key: str, *, actor: str) -> DiagramDraft:
    """The open draft of a deployed process, or a new one holding its latest version's XML."""
    existing = open_draft_of(session, key)
    if existing is not None:
        return existing
    latest = definitions.latest_definition(session, key)
    assert latest is not None
    made = _insert(
        session, key=key, name=latest.name, xml=latest.bpmn_xml, based_on=latest.version, actor=actor
    )
    if made is None:  # a colleague opened it in the same instant: share theirs
        again = open_draft_of(session, key)
        if again is None:
            raise Conflict(
                f"流程 {key} 的草稿正被同时创建，请重试 (concurrent draft of {key}; retry)", key=key
            )
        return again
    return made


def new_draft(session: Session, key: str, name: str, *, actor: str) -> DiagramDraft:
    """A blank diagram for a new process ``key`` (an id: letters, digits, underscore)."""
    key, name = (key or "").strip(), (name or "").strip()
    if not KEY_RE.fullmatch(key):
        raise InvalidInput(
            "流程标识须以字母开头，只含字母、数字和下划线，最长 64 位 "
            "(process key: a letter, then letters, digits or underscores, at most 64)",
            field="key",
        )
    if not name or len(name) > 200:
        raise InvalidInput(
            "流程名称不能为空，最长 200 字 (a process name of at most 200 characters)", field="name"
        )
    if definitions.latest_definition(session, key, required=False) is not None:
        raise InvalidInput(
            f"流程 {key} 已部署，请从列表中打开它 (process {key!r} exists; open it from the list)",
            field="key",
        )
    if open_draft_of(session, key) is not None:
        raise Conflict(f"流程 {key} 已有草稿正在编辑 (process {key!r} already has an open draft)", key=key)
    made = _insert(session, key=key, name=name, xml=blank_diagram(key, name), based_on=None, actor=actor)
    if made is None:
        raise Conflict(f"流程 {key} 已有草稿正在编辑 (process {key!r} already has an open draft)", key=key)
    return made


def _refusal(session: Session, draft_id: int, expected_revision: int) -> Exception:
    """Why a conditional write of a draft touched no row: gone, closed, or changed by someone else."""
    draft = session.get(DiagramDraft, draft_id, populate_existing=True)
    if draft is None:
        return NotFound(f"没有编号为 {draft_id} 的流程草稿 (no diagram draft {draft_id})", draft=draft_id)
    if draft.status != DraftStatus.OPEN:
        done = f"已部署为版本 {draft.deployed_version}" if draft.status == DraftStatus.DEPLOYED else "已丢弃"
        return Conflict(
            f"草稿{done}，不能再修改；请从流程列表重新打开 (draft is {draft.status}; open the process again)",
            draft=draft_id,
            status=draft.status,
            revision=draft.revision,
        )
    return Conflict(
        f"草稿已被 {draft.updated_by} 修改（您编辑的是第 {expected_revision} 版，现为第 {draft.revision} 版），"
        f"请重新加载后再改 (the draft was changed by {draft.updated_by}: you edited revision "
        f"{expected_revision}, it is now {draft.revision}; reload)",
        draft=draft_id,
        revision=draft.revision,
        updated_by=draft.updated_by,
        updated_at=draft.updated_at.isoformat(),
    )


def _update_open(session: Session, draft_id: int, expected_revision: int, **values: Any) -> None:
    """Change a draft only if it is still open at ``expected_revision`` (compare-and-set in one statement);
    otherwise raise the conflict that says who moved it on or closed it."""
    result = session.execute(
        update(DiagramDraft)
        .where(
            DiagramDraft.id == draft_id,
            DiagramDraft.revision == expected_revision,
            DiagramDraft.status == DraftStatus.OPEN,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise _refusal(session, draft_id, expected_revision)


def _process_name(root: Any, key: str) -> str | None:
    for process in root.iter(f"{{{BPMN_NS}}}process"):
        if process.get("id") == key:
            return process.get("name") or None
    return None


def save_draft(
    session: Session, draft_id: int, xml: str, *, expected_revision: int, actor: str
) -> DiagramDraft:
    """Store a new revision of an open draft made from ``expected_revision`` (else ``Conflict``).

    Hostile or malformed XML (DOCTYPE/entities, not UTF-8, oversized, not well-formed) is refused with
    ``DiagramInvalid``; anything well-formed is kept, however unfinished.
    """
    draft = get_draft(session, draft_id)
    tree = safe_parse(xml, _filename(draft), services_of(session).settings.max_bpmn_bytes)
    name = _process_name(tree.getroot(), draft.key) or draft.name
    now = _now(session)
    _update_open(
        session,
        draft_id,
        expected_revision,
        xml=xml,
        name=name,
        revision=DiagramDraft.revision + 1,
        updated_by=actor,
        updated_at=now,
    )
    draft = session.get(DiagramDraft, draft_id, populate_existing=True)
    assert draft is not None
    audit.record(session, "draft_saved", actor=actor, draft=draft_id, key=draft.key, revision=draft.revision)
    return draft


def _key_problems(draft: DiagramDraft, keys: set[str]) -> list[dict[str, Any]]:
    """The draft must keep its process: an executable process with the draft's key (``keys``: those the
    diagram has)."""
    if draft.key in keys:
        return []
    return [
        {
            "file": _filename(draft),
            "element": None,
            "line": None,
            "message": both(
                f"流程图中没有标识为 {draft.key} 的可执行流程：流程标识须保持不变，新流程请新建草稿",
                f"the diagram has no executable process with the id {draft.key!r}; a new process needs a new draft",
            ),
            "severity": ERROR,
        }
    ]


def _executable_keys(session: Session, draft: DiagramDraft) -> set[str]:
    """The executable processes of the draft as a deployment reads it (``runner.core.foreign``); none when the
    XML itself is refused."""
    try:
        root = safe_parse(draft.xml, _filename(draft), services_of(session).settings.max_bpmn_bytes).getroot()
    except DiagramInvalid:
        return {draft.key}  # the refusal says it all
    if root.tag != f"{{{BPMN_NS}}}definitions":
        return {draft.key}
    adopt(root)
    return set(executable_process_ids(root))


def _deploy(
    session: Session, draft: DiagramDraft, actor: str
) -> tuple[definitions.Deployed, list[dict[str, Any]]]:
    """Deploy the draft as the API would (``definitions.deploy``: the same checks, errors and warnings) and
    insist on its process; ``DiagramInvalid`` with every problem when something is wrong."""
    try:
        result = definitions.deploy(session, draft.xml, _filename(draft), actor=actor)
    except DiagramInvalid as exc:
        problems = list(exc.problems) + _key_problems(draft, _executable_keys(session, draft))
        raise DiagramInvalid(exc.message, problems=problems) from exc
    missing = _key_problems(draft, {d.key for d in result.definitions})
    if missing:
        raise DiagramInvalid(missing[0]["message"], problems=missing + result.warnings)
    return result, result.warnings


def check_draft(session: Session, draft_id: int, *, actor: str) -> CheckResult:
    """Check the stored draft exactly as a deployment checks it (the API's and the console's: one rule),
    in a savepoint that is rolled back; never stores a definition."""
    draft = get_draft(session, draft_id)
    savepoint = session.begin_nested()
    try:
        _, problems = _deploy(session, draft, DRY_RUN_ACTOR)
    except DiagramInvalid as exc:
        problems = list(exc.problems)
    finally:
        savepoint.rollback()
    result = CheckResult(draft.revision, sorted(problems, key=lambda p: p.get("line") or 0))
    audit.record(
        session,
        "draft_checked",
        actor=actor,
        draft=draft.id,
        key=draft.key,
        revision=draft.revision,
        errors=len(result.errors),
    )
    return result


def deploy_draft(
    session: Session, draft_id: int, *, expected_revision: int, actor: str
) -> tuple[DiagramDraft, bool, list[dict[str, Any]]]:
    """Deploy revision ``expected_revision`` of an open draft as the process's next version and close it.

    Returns the draft, whether a new version was made (False: identical to the latest version) and the
    deployment's warnings. Raises ``DiagramInvalid`` with every problem when the checks or the parser fail
    (nothing is stored then: the caller's transaction rolls back), ``Conflict`` when the draft moved on or
    closed.
    """
    now = _now(session)
    _update_open(
        session, draft_id, expected_revision, status=DraftStatus.DEPLOYED, open_key=None, deployed_at=now
    )
    draft = session.get(DiagramDraft, draft_id, populate_existing=True)
    assert draft is not None
    result, warnings = _deploy(session, draft, actor)
    index = next(i for i, d in enumerate(result.definitions) if d.key == draft.key)
    definition, created = result.definitions[index], result.created[index]
    draft.deployed_version = definition.version
    audit.record(
        session,
        "draft_deployed",
        actor=actor,
        draft=draft.id,
        key=draft.key,
        revision=draft.revision,
        version=definition.version,
        created=created,
    )
    return draft, created, warnings


def discard_draft(session: Session, draft_id: int, *, expected_revision: int, actor: str) -> DiagramDraft:
    """Close an open draft without deploying it (the row stays, readable, with its XML)."""
    _update_open(
        session,
        draft_id,
        expected_revision,
        status=DraftStatus.DISCARDED,
        open_key=None,
        updated_by=actor,
        updated_at=_now(session),
    )
    draft = session.get(DiagramDraft, draft_id, populate_existing=True)
    assert draft is not None
    audit.record(
        session, "draft_discarded", actor=actor, draft=draft_id, key=draft.key, revision=draft.revision
    )
    return draft

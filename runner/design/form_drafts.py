"""Form schemas edited in the console: a draft per form key, published to override the schema file.

The JSON text is checked by the caller's ``check(form_key, body)`` (the workspace's own schema loader:
the runner does not know the form format); only a schema that passes is published. The workspace reads
``published_form_schema`` before ``forms/schemas/<key>.json``; withdrawing puts the file back in force.
Saves and publications name the revision they were made from; an older one is a ``Conflict``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from runner.core import audit
from runner.core.transaction import forget_read_along, read_along, services_of, taken_along
from runner.exceptions import Conflict, InvalidInput, NotFound
from runner.models import FormSchemaDraft

FORM_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
MAX_SCHEMA_CHARS = 200_000
SchemaCheck = Callable[[str, str], "str | None"]


def describe_form_draft(row: FormSchemaDraft, *, with_body: bool = False) -> dict[str, Any]:
    """JSON-friendly view of a form schema draft."""
    data: dict[str, Any] = {
        "form_key": row.form_key,
        "revision": row.revision,
        "updated_by": row.updated_by,
        "updated_at": row.updated_at.isoformat(),
        "published_revision": row.published_revision,
        "published_by": row.published_by,
        "published_at": row.published_at.isoformat() if row.published_at else None,
        "unpublished_changes": row.published_revision != row.revision,
    }
    if with_body:
        data["body"] = row.body
    return data


def _check_key(form_key: str) -> str:
    if not FORM_KEY_RE.fullmatch(form_key or ""):
        raise InvalidInput(
            "表单标识须以小写字母开头，只含小写字母、数字和下划线 (form key: a-z, 0-9, _)", field="form_key"
        )
    return form_key


def form_draft(session: Session, form_key: str) -> FormSchemaDraft | None:
    """The console's row for ``form_key`` (None: never edited in the console)."""
    return session.scalars(select(FormSchemaDraft).where(FormSchemaDraft.form_key == form_key)).first()


def list_form_drafts(session: Session) -> list[FormSchemaDraft]:
    return list(session.scalars(select(FormSchemaDraft).order_by(FormSchemaDraft.form_key)))


# built once: every API completion asks it (building a statement costs more than running this one)
_PUBLISHED = select(FormSchemaDraft.published_revision, FormSchemaDraft.published_body).where(
    FormSchemaDraft.form_key == bindparam("form_key"), FormSchemaDraft.published_body.is_not(None)
)


# what a statement read along for ``published_form_schema`` is remembered as (``runner.core.transaction``)
_READ_ALONG = "published_form"


def _published(revision: int | None, body: str | None) -> tuple[int, str] | None:
    return None if revision is None or body is None else (int(revision), str(body))


def published_form_schema(session: Session, form_key: str) -> tuple[int, str] | None:
    """``(revision, JSON text)`` published for ``form_key``, or None when the file applies: what a read of this
    transaction brought along (``with_published_form``, ``remember_published_form``), else read now."""
    known, found = taken_along(session, _READ_ALONG, form_key)
    if known:
        return found  # type: ignore[no-any-return]
    row = session.execute(_PUBLISHED, {"form_key": form_key}).first()
    return None if row is None else _published(row[0], row[1])


def with_published_form(
    query: Select[Any], form_key: ColumnElement[str | None], only: ColumnElement[bool]
) -> Select[Any]:
    """``query`` with two more columns: the revision and JSON text published for ``form_key`` on the rows where
    ``only`` holds (NULLs on the others, and where the file applies) — so that a read the caller makes anyway
    brings the form of the one task it is about, not the forms of every row (``remember_published_form``)."""
    return query.add_columns(FormSchemaDraft.published_revision, FormSchemaDraft.published_body).outerjoin(
        FormSchemaDraft, and_(FormSchemaDraft.form_key == form_key, only)
    )


def remember_published_form(session: Session, form_key: str, revision: int | None, body: str | None) -> None:
    """Keep the two columns ``with_published_form`` read for ``form_key`` as what ``published_form_schema``
    answers next in this transaction (once): it is what was published when the row was read."""
    read_along(session, _READ_ALONG, form_key, _published(revision, body))


def published_form_keys(session: Session) -> set[str]:
    """Form keys with a published schema (forms the workspace knows besides the files)."""
    return set(
        session.scalars(select(FormSchemaDraft.form_key).where(FormSchemaDraft.published_body.is_not(None)))
    )


def known_form_keys(session: Session) -> set[str]:
    """Every form key a task can be worked with: a schema file of ``settings.form_schema_dir``
    (``forms/schemas/<key>.json``) or a schema published in the console."""
    folder = Path(services_of(session).settings.form_schema_dir)
    return {path.stem for path in folder.glob("*.json")} | published_form_keys(session)


def _stale(session: Session, form_key: str, expected_revision: int) -> Exception:
    row = form_draft(session, form_key)
    if row is None:
        return NotFound(f"表单 {form_key} 没有草稿 (no draft of form {form_key!r})", form_key=form_key)
    session.refresh(row)
    return Conflict(
        f"表单草稿已被 {row.updated_by} 修改（您编辑的是第 {expected_revision} 版，现为第 {row.revision} 版），"
        f"请重新加载 (the form draft was changed by {row.updated_by}: you edited revision {expected_revision}, "
        f"it is now {row.revision}; reload)",
        form_key=form_key,
        revision=row.revision,
        updated_by=row.updated_by,
    )


def save_form_draft(
    session: Session, form_key: str, body: str, *, expected_revision: int, actor: str
) -> FormSchemaDraft:
    """Store the JSON text as the next revision (``expected_revision`` 0: the first draft of the key).

    Unfinished text is kept as it is (drafts are never lost); only publishing demands a valid schema.
    """
    _check_key(form_key)
    if len(body) > MAX_SCHEMA_CHARS:
        raise InvalidInput(
            f"表单定义过长（上限 {MAX_SCHEMA_CHARS} 字符）(schema longer than {MAX_SCHEMA_CHARS} characters)"
        )
    now = services_of(session).now()
    if expected_revision == 0:
        row = FormSchemaDraft(form_key=form_key, body=body, revision=1, updated_by=actor, updated_at=now)
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            raise _stale(session, form_key, expected_revision) from None
    else:
        result = session.execute(
            update(FormSchemaDraft)
            .where(FormSchemaDraft.form_key == form_key, FormSchemaDraft.revision == expected_revision)
            .values(body=body, revision=FormSchemaDraft.revision + 1, updated_by=actor, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise _stale(session, form_key, expected_revision)
        found = form_draft(session, form_key)
        assert found is not None
        session.refresh(found)
        row = found
    audit.record(session, "form_schema_saved", actor=actor, form_key=form_key, revision=row.revision)
    return row


def publish_form_draft(
    session: Session, form_key: str, *, expected_revision: int, actor: str, check: SchemaCheck
) -> FormSchemaDraft:
    """Make revision ``expected_revision`` of the draft the schema the workspace uses.

    ``check(form_key, body)`` returns None or what is wrong (then ``InvalidInput``, nothing published).
    """
    row = form_draft(session, _check_key(form_key))
    if row is None:
        raise NotFound(f"表单 {form_key} 没有草稿 (no draft of form {form_key!r})", form_key=form_key)
    if row.revision != expected_revision:
        raise _stale(session, form_key, expected_revision)
    problem = check(form_key, row.body)
    if problem:
        raise InvalidInput(f"表单定义有误，未发布：{problem} (schema invalid; not published)", field="body")
    result = session.execute(
        update(FormSchemaDraft)
        .where(FormSchemaDraft.form_key == form_key, FormSchemaDraft.revision == expected_revision)
        .values(
            published_body=row.body,
            published_revision=expected_revision,
            published_by=actor,
            published_at=services_of(session).now(),
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise _stale(session, form_key, expected_revision)
    forget_read_along(session, _READ_ALONG)  # a task read earlier in this transaction brought the old form
    session.refresh(row)
    audit.record(session, "form_schema_published", actor=actor, form_key=form_key, revision=expected_revision)
    return row


def withdraw_form_schema(session: Session, form_key: str, *, actor: str) -> FormSchemaDraft:
    """Stop using the published schema: the file (if any) applies again; the draft stays."""
    row = form_draft(session, _check_key(form_key))
    if row is None or row.published_body is None:
        raise NotFound(
            f"表单 {form_key} 没有已发布的版本 (form {form_key!r} is not published)", form_key=form_key
        )
    withdrawn = row.published_revision
    row.published_body = None
    row.published_revision = None
    row.published_by = None
    row.published_at = None
    session.flush()
    forget_read_along(session, _READ_ALONG)
    audit.record(session, "form_schema_withdrawn", actor=actor, form_key=form_key, revision=withdrawn)
    return row

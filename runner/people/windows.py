"""The centre's windows (窗口): the codes lanes and tasks refer to."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from runner.core.transaction import read_unflushed
from runner.models import Window

# what ``list_windows`` read, kept in ``session.info`` for the rest of the transaction (a step's form check, its
# documents and the pages around it ask for the windows more than once); dropped when the transaction ends and
# whenever the session writes a window, so no change made in the transaction is hidden
WINDOWS_LISTED = "windows_listed"


def known_windows(session: Session) -> set[str]:
    """Codes of the active windows."""
    return set(session.scalars(select(Window.code).where(Window.is_active.is_(True))))


def active_window_names(session: Session) -> dict[str, str]:
    """Code → display name of the active windows (a lane may name its window by either)."""
    rows = session.execute(select(Window.code, Window.name).where(Window.is_active.is_(True)))
    return {code: name for code, name in rows}


def closed_window_names(session: Session) -> dict[str, str]:
    """Code → display name of the windows the admin closed (a diagram naming one is told so)."""
    rows = session.execute(select(Window.code, Window.name).where(Window.is_active.is_(False)))
    return {code: name for code, name in rows}


def upsert_windows(session: Session, windows: Iterable[tuple[str, str] | tuple[str, str, str | None]]) -> int:
    """Create or rename windows from (code, name) pairs or (code, name, English name) triples; returns how many
    were new. A pair leaves a window's English name as it is."""
    existing = {w.code: w for w in session.scalars(select(Window))}
    created = 0
    for code, name, *english in windows:
        if code in existing:
            existing[code].name = name
            existing[code].is_active = True
            if english:
                existing[code].name_en = english[0] or None
        else:
            session.add(Window(code=code, name=name, name_en=(english or [None])[0] or None, is_active=True))
            created += 1
    session.flush()
    return created


def list_windows(session: Session) -> list[Window]:
    """Every window, by code: read once per transaction (``WINDOWS_LISTED``). A window added or deleted in the
    session and not written yet is read as autoflush would (written first); one renamed is this same object."""
    listed: list[Window] | None = session.info.get(WINDOWS_LISTED)
    if listed is None or any(isinstance(row, Window) for row in (*session.new, *session.deleted)):
        listed = session.info[WINDOWS_LISTED] = list(session.scalars(select(Window).order_by(Window.code)))
    return list(listed)


def window_names(session: Session, codes: list[str]) -> dict[str, str]:
    """The names of the windows ``codes`` (those the centre has): from this transaction's ``list_windows`` when
    it listed them, else in one query — without writing the step's other changes first."""
    if not codes:
        return {}
    if WINDOWS_LISTED in session.info:
        wanted = set(codes)
        return {w.code: w.name for w in list_windows(session) if w.code in wanted}
    with read_unflushed(session, Window):
        rows = session.execute(select(Window.code, Window.name).where(Window.code.in_(codes)))
        return {code: name for code, name in rows}


def _forget_listed(session: Session, *_: Any) -> None:
    session.info.pop(WINDOWS_LISTED, None)


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, _transaction: SessionTransaction) -> None:
    """The transaction ended (committed, rolled back, closed; a savepoint too: its rollback may undo window
    writes the list was read after)."""
    _forget_listed(session)


@event.listens_for(Session, "before_flush")
def _writing(session: Session, *_: Any) -> None:
    if WINDOWS_LISTED in session.info and any(
        isinstance(row, Window) for row in (*session.new, *session.dirty, *session.deleted)
    ):
        _forget_listed(session)


@event.listens_for(Session, "do_orm_execute")
def _writing_by_statement(state: ORMExecuteState) -> None:
    """An INSERT, UPDATE or DELETE of the windows table run through the session."""
    if (
        WINDOWS_LISTED in state.session.info
        and (state.is_insert or state.is_update or state.is_delete)
        and getattr(state.statement, "table", None) is Window.__table__
    ):
        _forget_listed(state.session)


def _refuse_closing_with_open_tasks(session: Session, code: str, name: str) -> None:
    """Closing a window its running items' open tasks are in would leave them where no picker offers it: the
    admin first hands them over (转交) or lets them finish."""
    from runner.exceptions import Conflict
    from runner.models import OpenTask

    count = session.scalar(select(func.count()).select_from(OpenTask).where(OpenTask.window == code)) or 0
    if count:
        raise Conflict(
            f"窗口 {code}（{name}）还有 {count} 件未办结的任务，请先转交或办结后再关闭 "
            f"(window {code!r} ({name}) still has {count} open task(s); hand them over or finish them before "
            "closing it)",
            window=code,
            open_tasks=count,
        )


def routed_windows(meta: dict[str, Any]) -> set[str]:
    """The window codes a deployed version's stored map sends steps to: its lanes, the windows its tasks name
    by their static ``window`` property, its lead window, and a default window the deployer or the diagram
    chose (``centre``, the built-in default, is not counted). A ``windowExpr`` is known only at run time: a
    closed window it gives stops the item with an incident naming the window."""
    from runner.core import conventions

    named = {str(c) for c in (meta.get("node_windows") or {}).values() if c}
    named |= {str(c) for c in meta.get("task_windows") or () if c}
    named -= {"lead", "related", *conventions.NO_WINDOW_LANES}
    for extra in (meta.get("lead_window"), meta.get("default_window")):
        if extra and extra != conventions.DEFAULT_WINDOW:
            named.add(str(extra))
    return named


def _with_task_windows(session: Session, definition_id: int, meta: dict[str, Any]) -> dict[str, Any]:
    """``meta`` with ``task_windows`` (versions deployed before it was stored read them from their diagram)."""
    if "task_windows" in meta:
        return meta
    from lxml import etree

    from runner.core import conventions
    from runner.models import ProcessDefinition

    xml = session.scalar(select(ProcessDefinition.bpmn_xml).where(ProcessDefinition.id == definition_id))
    root = etree.fromstring(
        (xml or "").encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True)
    )
    return {**meta, "task_windows": conventions.task_windows(root)}


def versions_routing_to(session: Session, code: str) -> list[tuple[str, int]]:
    """(process name, version) of the current version of every process and of the versions running items
    are on, whose map (lanes, tasks' ``window`` properties, lead and default window) sends a step to window
    ``code``; a ``windowExpr`` cannot be known before the item runs and is not counted."""
    from runner.models import ACTIVE_STATUSES, ProcessDefinition, ProcessInstance

    newest = (
        select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("version"))
        .group_by(ProcessDefinition.key)
        .subquery()
    )
    current = select(ProcessDefinition.id).join(
        newest, (ProcessDefinition.key == newest.c.key) & (ProcessDefinition.version == newest.c.version)
    )
    running = select(ProcessInstance.definition_id).where(ProcessInstance.status.in_(ACTIVE_STATUSES))
    rows = session.execute(
        select(
            ProcessDefinition.id, ProcessDefinition.name, ProcessDefinition.version, ProcessDefinition.meta
        )
        .where(ProcessDefinition.id.in_(current.union(running).scalar_subquery()))
        .order_by(ProcessDefinition.key, ProcessDefinition.version)
    ).all()
    return [
        (name, version)
        for did, name, version, meta in rows
        if code in routed_windows(_with_task_windows(session, did, meta or {}))
    ]


def closed_windows_of_processes(session: Session, keys: Iterable[str]) -> dict[str, dict[str, str]]:
    """Process key → the closed windows (code → name) the current version of that process routes a step to:
    an item on it is not started now (``instances._refuse_closed_windows``). One query for all the keys, none
    when no window is closed. A ``windowExpr`` is known only at run time and is not counted."""
    from runner.models import ProcessDefinition

    wanted = sorted({k for k in keys if k})
    closed = closed_window_names(session) if wanted else {}
    if not closed:
        return {}
    newest = (
        select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("version"))
        .where(ProcessDefinition.key.in_(wanted))
        .group_by(ProcessDefinition.key)
        .subquery()
    )
    rows = session.execute(
        select(ProcessDefinition.key, ProcessDefinition.meta).join(
            newest, (ProcessDefinition.key == newest.c.key) & (ProcessDefinition.version == newest.c.version)
        )
    )
    found: dict[str, dict[str, str]] = {}
    for key, meta in rows:
        hit = sorted(routed_windows(meta or {}) & closed.keys())
        if hit:
            found[key] = {code: closed[code] for code in hit}
    return found


def closed_windows_of_definition(
    session: Session, definition_id: int, meta: dict[str, Any]
) -> dict[str, str]:
    """The closed windows (code → name) one deployed version routes a step to: a running item on it (one the
    API started before the window was closed) would be decided into a window no picker offers. None read when
    no window is closed; a ``windowExpr`` is known only at run time and is not counted."""
    closed = closed_window_names(session)
    if not closed:
        return {}
    hit = sorted(routed_windows(_with_task_windows(session, definition_id, meta or {})) & closed.keys())
    return {code: closed[code] for code in hit}


def _refuse_closing_while_routed(session: Session, code: str, name: str) -> None:
    """A current version or a running item's version still sends steps to the window: closing it would let new
    tasks land where no picker offers it, so the admin first redeploys or hands the lanes over."""
    from runner.exceptions import Conflict

    found = versions_routing_to(session, code)
    if not found:
        return
    shown = found[:5]
    zh = "、".join(f"流程「{n}」（版本 {v}）" for n, v in shown) + ("等" if len(found) > 5 else "")
    en = ", ".join(f"{n!r} (version {v})" for n, v in shown) + (" and more" if len(found) > 5 else "")
    raise Conflict(
        f"{zh}仍有环节由窗口 {code}（{name}）办理，请先改派或重新部署后再关闭 "
        f"(window {code!r} ({name}) still handles steps of {en}; reassign them or redeploy before closing it)",
        window=code,
        versions=[{"name": n, "version": v} for n, v in found],
    )


def save_window(
    session: Session, code: str, name: str, *, actor: str, active: bool = True, name_en: str | None = None
) -> Window:
    """Create, rename, close (``active=False``) or reopen one window, in the audit trail; ``name_en`` is its
    optional English name (empty: none)."""
    from runner.core import audit
    from runner.exceptions import InvalidInput

    code, name = (code or "").strip(), (name or "").strip()
    if not code or len(code) > 64 or not code.replace("_", "").isalnum() or not code.isascii():
        raise InvalidInput(
            "窗口代码须为字母、数字或下划线 (window code: letters, digits, underscore)", field="code"
        )
    if not name or len(name) > 200:
        raise InvalidInput("窗口名称不能为空 (a window name is required)", field="name")
    name_en = (name_en or "").strip() or None
    if name_en is not None and len(name_en) > 200:
        raise InvalidInput(
            "英文名称不能超过 200 字 (an English name has at most 200 characters)", field="name_en"
        )
    row = session.get(Window, code)
    created = row is None
    if row is not None and row.is_active and not active:
        _refuse_closing_with_open_tasks(session, code, row.name)
        _refuse_closing_while_routed(session, code, row.name)
    if row is None:
        row = Window(code=code, name=name, name_en=name_en, is_active=active)
        session.add(row)
    else:
        row.name, row.name_en, row.is_active = name, name_en, active
    session.flush()
    audit.record(
        session,
        "window_saved",
        actor=actor,
        code=code,
        name=name,
        name_en=name_en,
        active=active,
        created=created,
    )
    return row

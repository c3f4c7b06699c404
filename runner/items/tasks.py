"""User tasks: listing the open ones, claiming, completing, reassigning."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Select, bindparam, func, select, update
from sqlalchemy.orm import Session

from runner.core import audit, engine, timers_first
from runner.core.transaction import forget_read_along, read_along, services_of, taken_along
from runner.design.form_drafts import remember_published_form, with_published_form
from runner.exceptions import InvalidInput, NoSuchTask, TaskAlreadyClaimed, TaskNotReady
from runner.items import four_eyes
from runner.items.delegation import withdraw_delegation
from runner.items.instances import require_active
from runner.items.views import json_safe, task_view
from runner.models import AuditEntry, OpenTask, ProcessInstance
from runner.people import directory, proxies
from runner.people.directory import Person

_TASK_ID = bindparam("task_id")
# built once: the completion's first statement (building it costs more than running it). It reads every open
# task of the item, which the step's save needs anyway (``engine.save`` then skips reading them again), and on
# the asked task's row only the form published for its form key, which the form check reads next.
_TASK_AND_ITEM = with_published_form(
    select(OpenTask, ProcessInstance)
    .join(ProcessInstance, ProcessInstance.id == OpenTask.instance_id)
    .where(
        OpenTask.instance_id
        == select(OpenTask.instance_id).where(OpenTask.task_id == _TASK_ID).scalar_subquery()
    ),
    OpenTask.form_key,
    OpenTask.task_id == _TASK_ID,
)


def wait_for_item_writer(session: Session, task_id: str) -> None:
    """Wait until whoever is writing the item of open task ``task_id`` has committed or rolled back (a row lock
    on the item on PostgreSQL; SQLite writes one at a time anyway), so that what is read next is settled."""
    session.execute(
        select(ProcessInstance.id)
        .join(OpenTask, OpenTask.instance_id == ProcessInstance.id)
        .where(OpenTask.task_id == str(task_id))
        .with_for_update(of=ProcessInstance)
    ).all()


def open_task(session: Session, task_id: str, *, leave: bool = False) -> OpenTask:
    """The open-task row of ``task_id``; a finished task is a conflict, an unknown one 404 (``leave``: as
    ``open_task_and_item``)."""
    return open_task_and_item(session, task_id, leave=leave)[0]


def _caller_and_task_statement() -> Select[Any]:
    """``directory.IDENTIFY``'s rows, each with the rows of ``_TASK_AND_ITEM`` (none when there is no such open
    task: the entity columns are NULL), and the windows staffed now (for the tasks the step opens), in one
    statement."""
    caller = directory.IDENTIFY.subquery("caller")
    item = select(OpenTask.instance_id).where(OpenTask.task_id == _TASK_ID).scalar_subquery()
    return with_published_form(
        select(caller, OpenTask, ProcessInstance, proxies.staffed_windows_column())
        .select_from(caller)
        .outerjoin(OpenTask, OpenTask.instance_id == item)
        .outerjoin(ProcessInstance, ProcessInstance.id == OpenTask.instance_id),
        OpenTask.form_key,
        OpenTask.task_id == _TASK_ID,
    )


_CALLER_AND_TASK = _caller_and_task_statement()


def identify_reading_task(session: Session, username: str, task_id: str) -> tuple[Person | None, set[str]]:
    """``directory.identify``, with the rows ``open_task_and_item`` of ``task_id`` reads next in this
    transaction read along (one round trip for the caller and the task: a completion's first statement)."""
    rows = session.execute(
        _CALLER_AND_TASK, {"username": username, "now": services_of(session).now(), "task_id": str(task_id)}
    ).all()
    tasks: dict[int, tuple[OpenTask, ProcessInstance, Any, Any]] = {}
    for r in rows:
        if r.OpenTask is not None:
            tasks.setdefault(
                id(r.OpenTask), (r.OpenTask, r.ProcessInstance, r.published_revision, r.published_body)
            )
    if rows:
        read_along(session, engine.TASK_ROWS, str(task_id), list(tasks.values()))
        proxies.read_along_staffing(session, rows[0].staffed_windows)
    return directory.identified(username, rows)


def open_task_and_item(
    session: Session, task_id: str, *, leave: bool = False
) -> tuple[OpenTask, ProcessInstance]:
    """The open-task row of ``task_id`` and its item, in one query (none when they were read along with the
    caller: ``identify_reading_task``); errors as ``open_task``. The form published for the task's form key
    comes along: this transaction's ``published_form_schema`` of it reads nothing. ``leave``: a reader that only
    checks (a permission rule) leaves the rows for the step that follows."""
    known, rows = taken_along(session, engine.TASK_ROWS, str(task_id), leave=leave)
    if not known:
        rows = session.execute(_TASK_AND_ITEM, {"task_id": str(task_id)}).all()
        if leave:
            read_along(session, engine.TASK_ROWS, str(task_id), rows)
    for row, instance, revision, body in rows:
        if row.task_id == str(task_id):
            engine.known_open_tasks(session, instance, [other for other, *_ in rows])
            if row.form_key:
                remember_published_form(session, row.form_key, revision, body)
            return row, instance
    done = session.scalars(
        select(AuditEntry).where(AuditEntry.task_id == str(task_id), AuditEntry.action == "complete").limit(1)
    ).first()
    if done is not None:
        raise TaskNotReady(
            f"任务已由 {done.actor} 办理完成 (task was already completed by {done.actor})",
            task_id=str(task_id),
        )
    raise NoSuchTask(f"没有待办任务 {task_id} (no open task with this id)", task_id=str(task_id))


def task_query(
    *,
    window: str | Sequence[str] | None = None,
    assignee: str | None = None,
    unclaimed: bool = False,
    business_key: str | None = None,
    item_kind: str | None = None,
    instance_id: int | None = None,
) -> Select[tuple[OpenTask]]:
    """A query over open tasks with the inbox filters (callers add order and paging)."""
    query = select(OpenTask)
    if window is not None:
        windows = [window] if isinstance(window, str) else list(window)
        query = query.where(OpenTask.window.in_(windows))
    if assignee is not None:
        query = query.where(OpenTask.assignee == assignee)
    if unclaimed:
        query = query.where(OpenTask.assignee.is_(None))
    if business_key is not None:
        query = query.where(OpenTask.business_key == business_key)
    if item_kind is not None:
        query = query.where(OpenTask.item_kind == item_kind)
    if instance_id is not None:
        query = query.where(OpenTask.instance_id == instance_id)
    return query


def list_tasks(
    session: Session,
    *,
    limit: int = 50,
    offset: int = 0,
    order: str = "due",
    count: bool = True,
    **filters: Any,
) -> tuple[list[dict[str, Any]], int]:
    """Open tasks matching the filters, soonest due first, with the total count (-1 when not asked for)."""
    query = task_query(**filters)
    total = (session.scalar(select(func.count()).select_from(query.subquery())) or 0) if count else -1
    if order == "due":
        query = query.order_by(OpenTask.due_at.is_(None), OpenTask.due_at, OpenTask.id)
    else:
        query = query.order_by(OpenTask.created_at.desc(), OpenTask.id)
    rows = session.scalars(query.limit(min(limit, 500)).offset(offset))
    return [task_view(r) for r in rows], total


def instance_tasks(session: Session, instance: ProcessInstance) -> list[dict[str, Any]]:
    """The open tasks of ``instance`` (``task_view``), soonest due first; right after a step, without a query."""
    return [task_view(r) for r in engine.open_task_rows(session, instance)]


def _audit_task(
    session: Session,
    row: OpenTask,
    action: str,
    *,
    actor: str,
    on_behalf_of: str | None = None,
    **detail: Any,
) -> None:
    """Audit an operation on an open task against its instance's chain."""
    instance = session.get(ProcessInstance, row.instance_id)
    audit.record(
        session, action, actor=actor, on_behalf_of=on_behalf_of, instance=instance, task_id=row.task_id,
        task_name=row.name, **detail,
    )  # fmt: skip


def _task_data(session: Session, row: OpenTask) -> dict[str, Any] | None:
    """The data of an open task as the engine holds it (``None`` if the engine no longer has the task)."""
    instance = session.get(ProcessInstance, row.instance_id)
    assert instance is not None
    workflow = engine.load(session, instance)
    try:
        return workflow.get_task_from_id(UUID(row.task_id)).data
    except Exception:  # noqa: BLE001 - spiff raises its own TaskNotFound; the completion reports it
        return None


def _four_eyes(session: Session, row: OpenTask, *, actor: str, on_behalf_of: str | None) -> None:
    """Refuse a person the task's ``otherThan`` fields bar (``runner.items.four_eyes``) before they take it."""
    if not four_eyes.excluded_fields(row.properties or {}):
        return
    data = _task_data(session, row)
    if data is not None:
        four_eyes.require_other(row.properties or {}, data, row.name, actor=actor, on_behalf_of=on_behalf_of)


def _require_active_person(session: Session, username: str) -> None:
    """A task is never given to an unknown or disabled login, whatever the path (转办, 批量转交, the console's
    改派); the callers check that the user works in the window."""
    person = directory.get_person(session, username)
    if person is None:
        raise InvalidInput(f"未知用户 {username} (unknown user {username})", field="assignee")
    if not person.is_active:
        raise InvalidInput(
            f"用户 {username} 已停用，不能承办任务 (the user {username} is disabled and cannot be given tasks)",
            field="assignee",
        )


def _four_eyes_handing(session: Session, row: OpenTask, assignee: str) -> None:
    """Refuse handing the task to a person its ``otherThan`` fields bar."""
    if not four_eyes.excluded_fields(row.properties or {}):
        return
    data = _task_data(session, row)
    if data is not None:
        four_eyes.require_other_assignee(row.properties or {}, data, row.name, assignee=assignee)


def claim(session: Session, task_id: str, *, actor: str, on_behalf_of: str | None = None) -> OpenTask:
    """Take a task; exactly one of two racing claims wins."""
    row = open_task(session, task_id)
    if row.assignee == actor:
        return row
    _four_eyes(session, row, actor=actor, on_behalf_of=on_behalf_of)
    now = services_of(session).now()
    won = session.execute(
        update(OpenTask)
        .where(OpenTask.id == row.id, OpenTask.assignee.is_(None))
        .values(assignee=actor, claimed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not won:
        session.refresh(row)
        raise TaskAlreadyClaimed(
            f"任务已被 {row.assignee} 认领 (task already claimed by {row.assignee})", assignee=row.assignee
        )
    session.refresh(row)
    _audit_task(session, row, "claim", actor=actor, on_behalf_of=on_behalf_of)
    return row


def unclaim(session: Session, task_id: str, *, actor: str) -> OpenTask:
    """Give a claimed task back to the window's pool (withdrawing a request for an opinion on it)."""
    row = open_task(session, task_id)
    if row.assignee is None:
        return row
    withdraw_delegation(session, row, actor=actor, why="退回待认领")
    previous = row.assignee
    row.assignee, row.claimed_at = None, None
    _audit_task(session, row, "unclaim", actor=actor, previous=previous)
    return row


def reassign(
    session: Session,
    task_id: str,
    *,
    actor: str,
    assignee: str | None,
    window: str | None = None,
    note: str = "",
    on_behalf_of: str | None = None,
) -> OpenTask:
    """Give a task to another person (and optionally another window); a backup covering the assignee
    (AB岗) acts ``on_behalf_of`` them. Nobody the task's four-eyes fields bar can be given it."""
    row = open_task(session, task_id)
    if assignee:
        _require_active_person(session, assignee)
        _four_eyes_handing(session, row, assignee)
    withdraw_delegation(session, row, actor=actor, why="转办", on_behalf_of=on_behalf_of)
    before = {"assignee": row.assignee, "window": row.window}
    row.assignee = assignee
    row.claimed_at = services_of(session).now() if assignee else None
    if window:
        row.window = window
        row.candidate_windows = [window]
    after = {"assignee": row.assignee, "window": row.window}
    _audit_task(
        session,
        row,
        "reassign",
        actor=actor,
        on_behalf_of=on_behalf_of,
        before=before,
        after=after,
        note=note,
    )
    return row


def _not_out_for_an_opinion(row: OpenTask) -> None:
    """Refuse completing a task out for an opinion (委派): the delegate only answers, and the holder waits
    for the answer (or withdraws the request by handing the task over, releasing or sending it back)."""
    if row.delegated_by:
        raise TaskNotReady(
            f"任务正在征求 {row.assignee} 的意见（委派），请待其答复后由 {row.delegated_by} 办理 "
            f"(the task is out for {row.assignee}'s opinion: {row.delegated_by} completes it once answered)",
            assignee=row.assignee,
        )


def complete(
    session: Session,
    task_id: str,
    data: dict[str, Any] | None = None,
    *,
    actor: str,
    on_behalf_of: str | None = None,
    check: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]] | None = None,
) -> ProcessInstance:
    """Complete a ready user task with the form data and run the engine on.

    ``data`` is taken as validated unless ``check`` is given: then ``check(task_view, task data now)`` turns it
    into the task data to complete with, or raises to refuse it (nothing is written). A caller validating a
    form this way reads the task once, in this transaction.

    A task claimed by someone else cannot be completed by another person unless that person
    acts for them (``on_behalf_of``). Two racing completions: one commits, the other gets a conflict.
    """
    if data is not None and not isinstance(data, dict):
        raise InvalidInput("表单数据必须是对象 (data must be an object)")
    # while the workers are behind with due timers, clerks take turns; the task read along with the caller
    # (``identify_reading_task``) is then read again after the turn, as it may have moved on meanwhile
    if timers_first.take_turn(session):
        forget_read_along(session, engine.TASK_ROWS)
    row, instance = open_task_and_item(session, task_id)
    _not_out_for_an_opinion(row)
    if row.assignee is not None and row.assignee not in (actor, on_behalf_of):
        raise TaskAlreadyClaimed(
            f"任务已被 {row.assignee} 认领 (task is claimed by {row.assignee})", assignee=row.assignee
        )
    require_active(instance)
    workflow = engine.load(session, instance)
    try:
        task = workflow.get_task_from_id(UUID(row.task_id))
    except Exception as exc:  # noqa: BLE001 - spiff raises its own TaskNotFound
        raise TaskNotReady("任务已不存在，请刷新 (task no longer exists; reload)") from exc
    if task.state != TaskState.READY:
        raise TaskNotReady(
            f"任务当前不可办理 (task is {TaskState.get_name(task.state)})", task_id=row.task_id
        )
    four_eyes.require_other(row.properties or {}, task.data, row.name, actor=actor, on_behalf_of=on_behalf_of)
    if check is not None:
        data = check(task_view(row), json_safe(dict(task.data)))
    task.data.update(data or {})
    four_eyes.remember(row.properties or {}, task.data, actor=actor)
    audit.record(
        session,
        "complete",
        actor=actor,
        on_behalf_of=on_behalf_of,
        instance=instance,
        task_id=row.task_id,
        task_name=row.name,
        fields=sorted((data or {}).keys()),
        form_key=row.form_key,  # the 考核 reads which step delivered the decision (supervision.assessment_schemes)
        window=row.window,
    )
    engine.advance(session, instance, workflow, actor=actor, step=task.run)
    engine.save(session, instance, workflow)
    return instance


def _visible(windows: Sequence[str] | None, assignees: Sequence[str] | None, unclaimed: bool) -> list[Any]:
    conditions: list[Any] = []
    if windows is not None:
        conditions.append(OpenTask.window.in_(list(windows)))
    if assignees is not None:
        conditions.append(OpenTask.assignee.in_(list(assignees)))
    if unclaimed:
        conditions.append(OpenTask.assignee.is_(None))
    return conditions


def inbox_items(
    *, windows: Sequence[str] | None = None, assignees: Sequence[str] | None = None, unclaimed: bool = False
) -> Select[tuple[int]]:
    """The items with an open task an inbox tab shows (``inbox_page``'s filters of the same names), as a
    query to narrow a search to."""
    return select(OpenTask.instance_id).where(*_visible(windows, assignees, unclaimed))


def inbox_page(
    session: Session,
    *,
    windows: Sequence[str] | None = None,
    assignees: Sequence[str] | None = None,
    unclaimed: bool = False,
    item_kind: str | None = None,
    due_from: datetime | None = None,
    due_until: datetime | None = None,
    order: str = "due",
    limit: int = 50,
    offset: int = 0,
    count_cap: int = 10_000,
    instance_ids: Sequence[int] | None = None,
    returned: bool = False,
) -> tuple[list[dict[str, Any]], int]:
    """One inbox page: open tasks with their item's title, applicant and process name, and the number of
    matching tasks (counted up to ``count_cap``; ``count_cap + 1`` means "more").

    Filters: ``windows`` (task window in), ``assignees`` (assignee in), ``unclaimed``, ``item_kind``,
    ``returned`` (tasks that came back by 退回 / 撤回),
    ``due_from <= due_at < due_until``, ``instance_ids`` (the item in: a search's result). An empty
    ``windows`` or ``assignees`` matches nothing. ``order`` is
    ``due`` / ``-due`` (nulls last / first, the order of ``ix_open_task_window_due`` and
    ``ix_open_task_assignee_due``) or ``created`` / ``-created``.
    """
    from runner.models import ProcessDefinition

    conditions = _visible(windows, assignees, unclaimed)
    if item_kind:
        conditions.append(OpenTask.item_kind == item_kind)
    if returned:
        conditions.append(OpenTask.returned_at.is_not(None))
    if due_from is not None:
        conditions.append(OpenTask.due_at >= due_from)
    if due_until is not None:
        conditions.append(OpenTask.due_at < due_until)
    if instance_ids is not None:
        conditions.append(OpenTask.instance_id.in_(list(instance_ids)))
    orders = {
        "due": (OpenTask.due_at.asc().nulls_last(), OpenTask.id.asc()),
        "-due": (OpenTask.due_at.desc().nulls_first(), OpenTask.id.desc()),
        "created": (OpenTask.created_at.asc(), OpenTask.id.asc()),
        "-created": (OpenTask.created_at.desc(), OpenTask.id.desc()),
    }
    if order not in orders:
        raise InvalidInput(f"未知排序 {order} (unknown order)", field="order")
    counted = select(OpenTask.id).where(*conditions).limit(count_cap + 1).subquery()
    total = session.scalar(select(func.count()).select_from(counted)) or 0
    rows = list(
        session.scalars(
            select(OpenTask)
            .where(*conditions)
            .order_by(*orders[order])
            .limit(max(1, min(limit, 500)))
            .offset(max(0, offset))
        )
    )
    info: dict[int, Any] = {}
    if rows:
        for iid, title, applicant, status, def_name, pending_year in session.execute(
            select(
                ProcessInstance.id,
                ProcessInstance.title,
                ProcessInstance.applicant,
                ProcessInstance.status,
                ProcessDefinition.name,
                ProcessInstance.deadline_pending_year,
            )
            .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
            .where(ProcessInstance.id.in_({r.instance_id for r in rows}))
        ):
            info[iid] = {
                "title": title,
                "applicant": applicant,
                "status": status,
                "definition_name": def_name,
                "deadline_pending_year": pending_year,  # the item's promised deadline waits for that year
            }
    return [{**task_view(r), **info.get(r.instance_id, {})} for r in rows], total


def task_details(session: Session, task_id: str) -> dict[str, Any]:
    """One open task (``task_view``) with its item's title, applicant and process name; errors as
    ``open_task``."""
    from runner.models import ProcessDefinition

    row = open_task(session, task_id)
    found = session.execute(
        select(
            ProcessInstance.title, ProcessInstance.applicant, ProcessInstance.status, ProcessDefinition.name
        )
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .where(ProcessInstance.id == row.instance_id)
    ).first()
    extra = (
        {"title": found[0], "applicant": found[1], "status": found[2], "definition_name": found[3]}
        if found
        else {}
    )
    return {**task_view(row), **extra}

"""A change of the working-day calendar reaches every open item, in the transaction that makes it.

Importing a year's holiday arrangement or saving a local override calls ``recalculate_open_items``: for each open
item that the change can touch, its promised and statutory deadlines (with pauses and extensions), the working-day
dates its scripts computed (a joint review's limit, a 补正 period: ``ProcessInstance.calendar_dates``), pending
dates left in its task data, the due times of its open tasks, and the engine and warning-rule timers that follow
them (armed, moved or cancelled) are computed again — one audit entry ``calendar_recalculated`` per item that
changed, saying what moved. Items stuck in an incident because the calendar was missing are retried.

``rehearsal`` runs the very same change in a savepoint and rolls it back: a preview shows exactly what a save
stores.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from runner.core import audit, conventions, engine
from runner.core.spiff.timers import due_time, timer_definitions
from runner.core.transaction import services_of
from runner.exceptions import CalendarDataMissing
from runner.models import (
    ACTIVE_STATUSES,
    ClockPause,
    InstanceStatus,
    OnlineApplication,
    OpenTask,
    ProcessInstance,
    Timer,
    TimerStatus,
    WarningRule,
)
from runner.online.submission import refresh_review_dues
from runner.supervision.warning_rules import RULE_KIND, rule_due, sync_rule_timers
from runner.timekeeping.calendar import calendar_for
from runner.timekeeping.deadlines import (
    calendar,
    check_section_32,
    instance_pauses_with_reasons,
    item_deadline,
    refresh_deadline,
)
from runner.timekeeping.deadlines import statutory_pauses as statutory_pauses_of
from runner.timekeeping.pending_dates import (
    ItemClock,
    NoItemDeadline,
    Recipe,
    evaluate,
    is_pending,
    remembered,
    resolve,
)

OPEN_STATUSES = (*ACTIVE_STATUSES, InstanceStatus.SUSPENDED)
# what a transaction keeps of the calendar and of its items' projections: dropped when the calendar changes
# (rebuilt from the database on demand) and after a rehearsal
SESSION_CACHES = (
    "calendar", "script_engine", "open_tasks", "message_waits", "timer_keys", "timer_rows", "unarmed_timers",
    "warning_rules",
)  # fmt: skip
# incidents the missing calendar caused before dates could be pending (retried once the year is known)
CALENDAR_INCIDENTS = ("CalendarDataMissing", "日历数据缺失", "没有承诺时限")


@dataclass
class ItemChange:
    """What a calendar change did to one item: (what, before, after) per moved date."""

    instance_id: int
    business_key: str
    title: str
    status: str
    changes: list[dict[str, Any]] = field(default_factory=list)
    retried: bool = False

    def view(self) -> dict[str, Any]:
        return {
            "instance_id": self.instance_id,
            "business_key": self.business_key,
            "title": self.title,
            "status": self.status,
            "changes": self.changes,
            "retried": self.retried,
        }


def use_new_calendar(session: Session) -> None:
    """After the transaction changed the calendar: its own calendar from its rows (never the process-wide cache,
    which other requests share, and which is dropped once this commits)."""
    services = services_of(session)
    for key in SESSION_CACHES:
        session.info.pop(key, None)
    session.info["calendar"] = calendar_for(session, services.settings.timezone)
    from runner.core.transaction import on_commit

    on_commit(session, services.forget_calendar)


def recalculate_open_items(session: Session, *, actor: str, cause: dict[str, Any]) -> list[dict[str, Any]]:
    """Recompute every open item the calendar change can touch (see the module docstring); returns, per item
    that changed, what moved."""
    use_new_calendar(session)
    related = Related.load(session)
    changed = []
    items = list(
        session.scalars(
            select(ProcessInstance)
            .where(ProcessInstance.status.in_(list(OPEN_STATUSES)))
            .order_by(ProcessInstance.id)
        )
    )
    for instance in items:
        change = recalculate(session, instance, related, actor=actor, cause=cause)
        if change is not None:
            changed.append(change.view())
    refresh_review_dues(session)  # the online 预审 limits follow the same calendar
    return changed


def pending_years(session: Session) -> set[int]:
    """The years open items wait for (deadlines, task due times, unarmed timers)."""
    open_items = ProcessInstance.status.in_(list(OPEN_STATUSES))
    queries = [
        select(ProcessInstance.deadline_pending_year).where(open_items).distinct(),
        select(ProcessInstance.statutory_pending_year).where(open_items).distinct(),
        select(OpenTask.due_pending_year).distinct(),
        select(Timer.pending_year).where(Timer.status == TimerStatus.UNARMED).distinct(),
        select(OnlineApplication.review_due_pending_year).distinct(),
    ]
    return {year for query in queries for year in session.scalars(query) if year is not None}


def fill_in_known_years(session: Session) -> list[dict[str, Any]]:
    """Recalculate the open items when a year they wait for became known without an import (an upgraded
    ``chinesecalendar``); run by the worker's sweep. Returns what moved."""
    cal = calendar(session)
    known = sorted(year for year in pending_years(session) if cal.supports_year(year))
    if not known:
        return []
    return recalculate_open_items(session, actor="system", cause={"known_years": known})


# --- one item ----------------------------------------------------------------------------------------


Snapshot = dict[str, tuple[str, str]]  # key → (label, value as text)


def snapshot(session: Session, instance: ProcessInstance) -> Snapshot:
    """The item's calendar-derived values, as text: deadlines, open tasks' due times, timers."""
    out: Snapshot = {
        "deadline": ("承诺期限", _when(instance.deadline, instance.deadline_pending_year)),
        "statutory": (
            "法定期限",
            _when(instance.statutory_deadline, instance.statutory_pending_year),
        ),
    }
    for row in session.scalars(select(OpenTask).where(OpenTask.instance_id == instance.id)):
        out[f"task:{row.task_id}"] = (f"任务「{row.name}」时限", _when(row.due_at, row.due_pending_year))
    for row in session.scalars(
        select(Timer).where(
            Timer.instance_id == instance.id,
            Timer.status.in_([TimerStatus.PENDING, TimerStatus.UNARMED]),
        )
    ):
        out[f"timer:{row.task_id}"] = (f"定时器「{row.name}」", _when(row.due_at, row.pending_year))
    return out


def _when(moment: datetime | None, year: int | None) -> str:
    if moment is not None:
        return moment.isoformat()
    return f"pending:{year}" if year is not None else ""


def _diff(before: Snapshot, after: Snapshot) -> list[dict[str, Any]]:
    changes = []
    for key in [*before, *(k for k in after if k not in before)]:
        old = before.get(key, ("", ""))
        new = after.get(key, ("", ""))
        if old[1] != new[1]:
            changes.append(
                {"what": key, "label": new[0] or old[0], "before": old[1] or None, "after": new[1] or None}
            )
    return changes


@dataclass
class Related:
    """The open items' pauses, open tasks and live timers, read in three queries (not three per item)."""

    pauses: dict[int, list[tuple[datetime, datetime | None, str]]] = field(default_factory=dict)
    tasks: dict[int, list[OpenTask]] = field(default_factory=dict)
    timers: dict[int, list[Timer]] = field(default_factory=dict)
    rules: dict[int, WarningRule] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session) -> Related:
        found = cls(rules={r.id: r for r in session.scalars(select(WarningRule))})
        open_items = select(ProcessInstance.id).where(ProcessInstance.status.in_(list(OPEN_STATUSES)))
        for pause in session.scalars(
            select(ClockPause).where(ClockPause.instance_id.in_(open_items)).order_by(ClockPause.id)
        ):
            found.pauses.setdefault(pause.instance_id, []).append(
                (pause.started_at, pause.ended_at, pause.reason)
            )
        for row in session.scalars(select(OpenTask)):
            found.tasks.setdefault(row.instance_id, []).append(row)
        for timer in session.scalars(
            select(Timer).where(Timer.status.in_([TimerStatus.PENDING, TimerStatus.UNARMED]))
        ):
            found.timers.setdefault(timer.instance_id, []).append(timer)
        return found


def may_change(session: Session, instance: ProcessInstance, related: Related) -> bool:
    """Whether the current calendar can give the item other dates than it stores (cheap: no engine state read,
    no query but for items in error). Anything pending always can."""
    if instance.deadline_pending_year is not None or instance.statutory_pending_year is not None:
        return True
    if instance.status == InstanceStatus.ERROR and _calendar_incidents(session, instance):
        return True
    if any(is_pending(value) for value in (instance.calendar_dates or {})):
        return True
    reasoned = related.pauses.get(instance.id, [])
    pauses = [(a, b) for a, b, _ in reasoned]
    if item_deadline(session, instance, instance.promised_days, pauses).at != instance.deadline:
        return True
    statutory = item_deadline(
        session, instance, instance.statutory_days, statutory_pauses_of(instance, reasoned)
    )
    if statutory.at != instance.statutory_deadline:
        return True
    return (
        _dates_move(session, instance)
        or _tasks_move(session, related.tasks.get(instance.id, []))
        or _timers_move(session, instance, related)
    )


def _dates_move(session: Session, instance: ProcessInstance) -> bool:
    cal, item = calendar(session), ItemClock(instance.deadline, instance.deadline_pending_year)
    for value, recipe in (instance.calendar_dates or {}).items():
        try:
            if evaluate(Recipe.parse(recipe), cal, item) != value:
                return True
        except (ValueError, NoItemDeadline):
            continue
    return False


def _tasks_move(session: Session, rows: list[OpenTask]) -> bool:
    """An open task whose due time is pending, or whose plain ``limitDays`` now gives another due time."""
    cal = calendar(session)
    for row in rows:
        if row.due_pending_year is not None:
            return True
        raw = str((row.properties or {}).get("limitDays") or "")
        if raw.isdigit() and not (row.properties or {}).get("dueExpr"):
            try:
                if cal.deadline(row.created_at, int(raw)) != row.due_at:
                    return True
            except CalendarDataMissing:  # a due time the calendar cannot give now: it becomes pending
                return True
    return False


def _timers_move(session: Session, instance: ProcessInstance, related: Related) -> bool:
    """An unarmed timer, or a warning-rule timer whose time the calendar now puts elsewhere."""
    for row in related.timers.get(instance.id, []):
        if row.status == TimerStatus.UNARMED:
            return True
        rule = related.rules.get(row.rule_id) if row.kind == RULE_KIND and row.rule_id else None
        if rule is not None and instance.deadline is not None:
            try:
                if rule_due(session, instance.deadline, rule.offset_days) != row.due_at:
                    return True
            except CalendarDataMissing:  # now past the known calendar: it becomes unarmed
                return True
    return False


def recalculate(
    session: Session, instance: ProcessInstance, related: Related, *, actor: str, cause: dict[str, Any]
) -> ItemChange | None:
    """Recompute one item with the transaction's calendar; its change (audited), or None when nothing moved."""
    if not may_change(session, instance, related):
        return None
    before = snapshot(session, instance)
    workflow = engine.load(session, instance)
    refresh_deadline(session, instance)
    recalculate_dates(session, instance, workflow)
    _recalculate_tasks(session, instance, workflow)
    _recheck_section_32(session, instance)
    retried = _retry_calendar_incidents(session, instance, workflow, actor=actor)
    engine.save(session, instance, workflow)
    sync_rule_timers(session, instance, force=True)  # a rule's time may move while the deadline stays
    session.flush()
    changes = _diff(before, snapshot(session, instance))
    if not changes and not retried:
        return None
    audit.record(
        session, "calendar_recalculated", actor=actor, instance=instance, cause=cause, changes=changes,
        retried=retried,
    )  # fmt: skip
    return ItemChange(instance.id, instance.business_key, instance.title, instance.status, changes, retried)


def recalculate_dates(session: Session, instance: ProcessInstance, workflow: BpmnWorkflow) -> None:
    """The item's computed dates with the current calendar and deadline: the remembered ones and pending dates
    in its tasks' data, and the timers waiting on them; then the timers that follow the deadline."""
    script = engine.script_engine(session)
    script.item.update(deadline=instance.deadline, deadline_pending_year=instance.deadline_pending_year)
    cal, item = calendar(session), ItemClock(instance.deadline, instance.deadline_pending_year)
    moved: dict[str, Any] = {}
    dates: dict[str, str] = {}
    for value, text in (instance.calendar_dates or {}).items():
        try:
            recipe = Recipe.parse(text)
            new = evaluate(recipe, cal, item)
        except (ValueError, NoItemDeadline):
            continue  # an unreadable recipe is dropped; the value in the data stays as it is
        if new != value:
            moved[value] = new
        if remembered(new, recipe):
            dates[new] = text

    def again(value: Any) -> Any:
        if isinstance(value, str):
            if value in moved:
                return moved[value]
            return resolve(value, cal, item) if is_pending(value) else value
        if isinstance(value, dict):
            return {k: again(v) for k, v in value.items()}
        if isinstance(value, list):
            return [again(v) for v in value]
        return value

    now = services_of(session).now()
    # every task's data, the finished ones too: a waiting event takes its data from finished ancestors again
    # (SpiffWorkflow's _inherit_data) each time it is looked at
    for task in workflow.get_tasks():
        for key, value in list(task.data.items()):
            new_value = again(value)
            if new_value != value:
                task.data[key] = new_value
        if task.state == TaskState.WAITING and timer_definitions(task) and not engine.follows_deadline(task):
            event = task.internal_data.get("event_value")
            if isinstance(event, str):
                new_event = again(event)
                if new_event != event:
                    task.internal_data["event_value"] = (
                        new_event if is_pending(new_event) else due_time(new_event, now).isoformat()
                    )
                    task.internal_data.pop("event_fired", None)
    if dates != (instance.calendar_dates or {}):
        instance.calendar_dates = engine.remember_dates(dates)
    script.item["dates"] = dict(instance.calendar_dates or {})
    engine.retime(session, instance, workflow)


def _recalculate_tasks(session: Session, instance: ProcessInstance, workflow: BpmnWorkflow) -> None:
    """Each open task's due time again, its ``limitDays``/``dueExpr`` evaluated as of when it became ready."""
    for row in engine.open_task_rows(session, instance):
        try:
            task = workflow.get_task_from_id(UUID(row.task_id))
        except Exception:  # noqa: BLE001 - a row the next save removes
            continue
        props = conventions.task_properties(task.task_spec)
        due = engine.task_due(session, task, props, row.created_at)
        row.limit_days, row.due_at, row.due_pending_year = due.days, due.due_at, due.pending_year


def _recheck_section_32(session: Session, instance: ProcessInstance) -> None:
    """A 补正 notice whose lateness (§32) could not be told while the calendar was missing."""
    if instance.accepted_on_receipt:
        return
    first = next(
        (
            start
            for start, _, reason in instance_pauses_with_reasons(session, instance.id)
            if reason.startswith("补正")
        ),
        None,
    )
    if first is not None and check_section_32(session, instance, first):
        refresh_deadline(session, instance)


def _retry_calendar_incidents(
    session: Session, instance: ProcessInstance, workflow: BpmnWorkflow, *, actor: str
) -> bool:
    """An item in error because the calendar was missing: its failed tasks run again (as ``retry`` does)."""
    if instance.status != InstanceStatus.ERROR:
        return False
    incidents = _calendar_incidents(session, instance)
    if not incidents:
        return False
    now = services_of(session).now()
    for task in workflow.get_tasks(state=TaskState.ERROR):
        task._set_state(TaskState.READY)
    for incident in incidents:
        incident.resolved_at, incident.resolved_by = now, actor
    instance.status = InstanceStatus.RUNNING
    engine.advance(session, instance, workflow, actor=actor)
    return True


def _calendar_incidents(session: Session, instance: ProcessInstance) -> list[Any]:
    """The item's open incidents, when every one of them was caused by the missing calendar (else none)."""
    incidents = engine.open_incidents(session, instance.id)
    if incidents and all(any(m in i.message for m in CALENDAR_INCIDENTS) for i in incidents):
        return incidents
    return []


# --- preview ------------------------------------------------------------------------------------------


@contextmanager
def rehearsal(session: Session) -> Iterator[None]:
    """Run a change in a savepoint and undo it: nothing it wrote stays, no job it queued is sent, no workflow
    it stepped is kept; the transaction's caches are dropped (rebuilt from the database on demand)."""
    queued = {key: len(session.info.setdefault(key, [])) for key in ("after_commit", "on_commit")}
    for key in SESSION_CACHES:
        session.info.pop(key, None)
    nested = session.begin_nested()
    try:
        yield
    finally:
        nested.rollback()
        for key, length in queued.items():
            del session.info[key][length:]
        for key in SESSION_CACHES:
            session.info.pop(key, None)
        session.expire_all()

"""The one module that runs SpiffWorkflow: load an instance, step it, save it with its projections.

After every step the instance row, the open-task projection, the timer rows and the message
subscriptions are brought in line with the engine state, in the caller's transaction. Timer
jobs are queued to be sent after the commit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, delete, select, tuple_, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from runner.clock import ManualClock
from runner.core import audit, conventions, failures, hooks, item_writes, transaction
from runner.core.scheduling import schedule_timer
from runner.core.scripts import CentreScriptEngine
from runner.core.spiff import pruning
from runner.core.spiff.scoped_throws import take_uncaught_errors
from runner.core.spiff.timers import (
    due_time,
    is_waiting_timer,
    leaf_definitions,
    timer_definitions,
    timer_due,
    timer_pending_year,
)
from runner.core.spiff.workflow import CentreWorkflow, holds
from runner.core.state import dump_workflow, load_workflow
from runner.core.transaction import on_commit, services_of, taken_ahead
from runner.exceptions import CalendarDataMissing, ConcurrentUpdate, ScriptError
from runner.items.views import iso
from runner.models import (
    AccountabilityRecord,
    Incident,
    InstanceStatus,
    MessageSubscription,
    OpenTask,
    ProcessDefinition,
    ProcessInstance,
    Timer,
    TimerStatus,
    WarningEvent,
    Window,
)
from runner.people.proxies import assign_new_task, has_present_clerk, prefetch_staffing
from runner.people.windows import known_windows
from runner.timekeeping.calendar import missing_year_of
from runner.timekeeping.deadlines import calendar, extend, pause_clock, resume_clock
from runner.timekeeping.pending_dates import is_pending, pending_year


def script_engine(session: Session) -> CentreScriptEngine:
    services = services_of(session)
    engine = session.info.get("script_engine")
    if engine is None:
        engine = session.info["script_engine"] = CentreScriptEngine(
            services.clock, calendar(session), services.settings.script_time_limit, services.evaluators
        )
    return engine  # type: ignore[no-any-return]


def bind(session: Session, instance: ProcessInstance) -> CentreScriptEngine:
    """Point the transaction's script engine at ``instance`` (its deadline, its computed dates, no pending
    effects)."""
    engine = script_engine(session)
    engine.item = {
        "deadline": instance.deadline,
        "deadline_pending_year": instance.deadline_pending_year,
        "paused": instance.paused_since is not None,
        "dates": dict(instance.calendar_dates or {}),
    }
    engine.effects.clear()
    return engine


@contextmanager
def clock_at(session: Session, moment: datetime) -> Iterator[CentreScriptEngine]:
    """The transaction's script engine with its clock standing at ``moment`` (an expression evaluated again as
    of when it first was, e.g. a task's ``limitDays`` as of the task's creation)."""
    engine = script_engine(session)
    real, effects = engine.clock, len(engine.effects)
    engine.clock = ManualClock(moment)
    try:
        yield engine
    finally:
        engine.clock = real
        del engine.effects[effects:]  # an evaluation for a limit asks for nothing to be done


def new_workflow(
    session: Session, instance: ProcessInstance, definition: ProcessDefinition, data: dict[str, Any]
) -> BpmnWorkflow:
    """A fresh workflow of ``definition`` with ``data`` as its initial task data (``instance`` was just
    inserted: it has no open tasks, timers or subscriptions yet)."""
    spec, subprocess_specs = services_of(session).specs.get(definition)
    workflow = CentreWorkflow(spec, subprocess_specs, script_engine=bind(session, instance))
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(data)
    _current_tasks(session)[instance.id] = []
    _stored_waits(session)[instance.id] = set()
    _stored_timers(session)[instance.id] = frozenset()
    _stored_unarmed(session)[instance.id] = frozenset()
    _stored_timer_rows(session)[instance.id] = {}
    none = {instance.id: []}  # its first save has no timer rows to read: there are none yet
    transaction.read_ahead(session, PENDING_TIMERS, none)
    transaction.read_ahead(session, UNARMED_ROWS, none)
    hooks.run_new_item(session, instance)
    return workflow


def load(session: Session, instance: ProcessInstance) -> BpmnWorkflow:
    """Restore the engine state of ``instance`` for a step (the object its last committed save in this process
    left, when the row has not changed since; see ``runner.core.workflow_cache``). A state committed by another
    step after ``instance`` was read is a lost race (``ConcurrentUpdate``: the unit of work runs again)."""
    workflow, settled = _restore(session, instance)
    if not settled:
        raise ConcurrentUpdate("办件已被他人更新，请重试 (the item changed meanwhile; run again)")
    return workflow


def _restore(session: Session, instance: ProcessInstance) -> tuple[BpmnWorkflow, bool]:
    """The workflow of ``instance`` and whether it is the state of the row's version as read (``lock_version``).

    The state is a deferred column: read on its own it may come from a later commit than the row (READ
    COMMITTED gives each statement its own snapshot), so it is read together with its version."""
    services = services_of(session)
    workflow = services.workflows.take(instance.id, instance.lock_version)
    settled = True
    if workflow is None:
        state, version = _state_of(session, instance)
        settled = version == instance.lock_version
        spec, subprocess_specs = services.specs.get(instance.definition)
        workflow = load_workflow(state, instance.serializer_version, spec, subprocess_specs)
    _bind_and_remember(session, instance, workflow)
    return workflow, settled


def _state_of(session: Session, instance: ProcessInstance) -> tuple[bytes, int]:
    """The stored engine state of ``instance`` and the ``lock_version`` it belongs to."""
    if "state" not in sa_inspect(instance).unloaded:
        return instance.state, instance.lock_version
    state, version = session.execute(
        select(ProcessInstance.state, ProcessInstance.lock_version).where(ProcessInstance.id == instance.id)
    ).one()
    if version == instance.lock_version:
        set_committed_value(instance, "state", state)
    return state, version


_TimerKey = tuple[str, datetime]  # an engine timer row's (task id, due time)
_Mirrors = tuple[frozenset[tuple[str, str]], frozenset[_TimerKey], frozenset[tuple[str, int]]]
_MIRRORS = "_banjian_mirrors"  # attribute of a saved workflow: the _Mirrors of the state it was saved as
_TimerRow = tuple[int, str]  # a pending engine timer row's id and name
# attribute of a saved workflow: the ids and names of its pending engine timer rows by key, as far as this process
# wrote them (``_stored_timer_rows``)
_TIMER_ROWS = "_banjian_timer_rows"


def _bind_and_remember(session: Session, instance: ProcessInstance, workflow: BpmnWorkflow) -> None:
    """Give ``workflow`` the item's script engine and note the waits and timers its stored rows mirror: those
    its last save noted on it (a workflow from the process's cache), else worked out from its waiting tasks."""
    workflow.script_engine = bind(session, instance)
    mirrors: _Mirrors | None = workflow.__dict__.get(_MIRRORS)
    if mirrors is None:
        mirrors = _mirrors(workflow.get_tasks(state=TaskState.WAITING))
    waits, timers, unarmed = mirrors
    _stored_waits(session)[instance.id] = set(waits)
    _stored_timers(session)[instance.id] = timers
    _stored_unarmed(session)[instance.id] = unarmed
    _stored_timer_rows(session)[instance.id] = dict(workflow.__dict__.get(_TIMER_ROWS, {}))


def _mirrors(waiting: list[Task]) -> _Mirrors:
    """What the subscription and timer rows of a state with these waiting tasks hold."""
    timer_tasks = [t for t in waiting if is_waiting_timer(t)]
    return (
        frozenset(_message_waits(waiting)),
        frozenset(_wanted_timers(timer_tasks)),
        _unarmed_keys(_unarmed_timers(timer_tasks)),
    )


@contextmanager
def read(session: Session, instance: ProcessInstance) -> Iterator[BpmnWorkflow]:
    """The engine state of ``instance`` for reading only (a page, a form's context): afterwards the object goes
    (back) to the process's cache for the instance's next step. Callers must not change it."""
    version = instance.lock_version
    workflow, settled = _restore(session, instance)  # a later state than the row's is read, never cached
    yield workflow
    if settled and instance.lock_version == version:
        services_of(session).workflows.keep(instance.id, version, workflow)


def _stored_waits(session: Session) -> dict[int, set[tuple[str, str]]]:
    """Per instance of this transaction: the message waits its subscription rows mirror (those of the state it
    was loaded with, or last saved with). ``save`` skips reading the rows when nothing changed."""
    return session.info.setdefault("message_waits", {})  # type: ignore[no-any-return]


def _stored_timers(session: Session) -> dict[int, frozenset[tuple[str, datetime]]]:
    """Per instance of this transaction: the (task id, due time) of the pending timer rows (the engine's, not
    the warning rules'), as the state it was loaded or last saved with has them. ``save`` reads nothing when the
    timers it wants are these, and closes those no longer wanted by their keys, without reading them."""
    return session.info.setdefault("timer_keys", {})  # type: ignore[no-any-return]


def _stored_timer_rows(session: Session) -> dict[int, dict[_TimerKey, _TimerRow]]:
    """Per instance of this transaction: the ids and names of its pending engine timer rows by key, where known
    (the rows this process wrote for the state it was loaded or last saved with; none after a load from the row).
    ``_close_timers`` closes rows it knows with the step's other writes, by id, instead of in a statement of their
    own that returns them."""
    return session.info.setdefault("timer_rows", {})  # type: ignore[no-any-return]


def _stored_unarmed(session: Session) -> dict[int, frozenset[tuple[str, int]]]:
    """Per instance of this transaction: (task id, year) of its unarmed engine timers, as its rows have them."""
    return session.info.setdefault("unarmed_timers", {})  # type: ignore[no-any-return]


def _unarmed_timers(waiting: list[Task]) -> dict[str, tuple[Task, int]]:
    """Waiting timer tasks whose time is a pending date: task id → (task, the year it waits for)."""
    found: dict[str, tuple[Task, int]] = {}
    for task in waiting:
        year = timer_pending_year(task)
        if year is not None:
            found[str(task.id)] = (task, year)
    return found


def _unarmed_keys(unarmed: dict[str, tuple[Task, int]]) -> frozenset[tuple[str, int]]:
    return frozenset((task_id, year) for task_id, (_, year) in unarmed.items())


def _message_waits(waiting: list[Task]) -> set[tuple[str, str]]:
    return {(str(t.id), name) for t in waiting for name in message_names(t)}


def advance(
    session: Session,
    instance: ProcessInstance,
    workflow: BpmnWorkflow,
    *,
    actor: str,
    step: Callable[[], Any] | None = None,
) -> Incident | None:
    """Do ``step`` (a completion, a caught message, a retry), then run every engine task that can run.

    Whatever the diagram's own content raises on the way (a script, a condition, a timer expression, data a
    multi-instance activity cannot loop over) becomes an incident naming the task, and the instance stays
    where it failed until it is retried — never an error of the request.
    """
    try:
        if step is not None:
            step()
        workflow.refresh_waiting_tasks()
        workflow.do_engine_steps()
    except SQLAlchemyError:
        raise  # the database's (a lost race's flush among them): the caller's, never the diagram's
    except Exception as exc:  # noqa: BLE001 - see above: the diagram's failure is the item's incident
        return record_incident(session, instance, workflow, exc, actor=actor)
    return None


def record_incident(
    session: Session,
    instance: ProcessInstance,
    workflow: BpmnWorkflow | None,
    exc: Exception,
    *,
    actor: str,
    task: Task | None = None,
) -> Incident:
    """Record ``exc`` as an open incident of ``instance`` with the failing task (``task``, else the one the error
    names or was raised in), which stays in the error state until a retry."""
    task = task or failures.failing_task(exc)
    failures.hold(task)
    message = failures.describe(exc, task)
    incident = Incident(
        instance_id=instance.id,
        task_id=str(task.id) if task is not None else None,
        task_name=failures.task_name(task) if task is not None else None,
        message=message[:4000],
        created_at=services_of(session).now(),
    )
    session.add(incident)
    audit.record(
        session,
        "incident",
        actor=actor,
        instance=instance,
        task_id=incident.task_id,
        task_name=incident.task_name,
        message=incident.message[:500],
    )
    return incident


def open_incidents(session: Session, instance_id: int) -> list[Incident]:
    return list(
        session.scalars(
            select(Incident).where(Incident.instance_id == instance_id, Incident.resolved_at.is_(None))
        )
    )


def save(session: Session, instance: ProcessInstance, workflow: BpmnWorkflow) -> None:
    """Store the engine state and bring status, open tasks, timers and subscriptions in line with it."""
    now = services_of(session).now()
    transaction.forget_read_along(session, TASK_ROWS)  # the open-task rows it read are about to change
    waiting = workflow.get_tasks(state=TaskState.WAITING)  # from the task dicts (runner.core.spiff.workflow)
    stored_timers = _stored_timers(session).get(instance.id)
    timer_tasks = [t for t in waiting if is_waiting_timer(t)]
    pending = None  # the pending timer rows, once read
    if stored_timers is None or stored_timers != _wanted_timers(timer_tasks).keys():
        pending = _close_timers(session, instance, workflow, timer_tasks, now, stored=stored_timers)
    apply_effects(session, instance, workflow)
    for uncaught in take_uncaught_errors(workflow):
        audit.record(session, "uncaught_error", actor="system", instance=instance, **uncaught)
    ready = workflow.get_tasks(state=TaskState.READY, manual=True)
    ending = instance.status == InstanceStatus.TERMINATED or (
        workflow.completed and instance.status != InstanceStatus.SUSPENDED
    )
    # a task whose window, limit or due time cannot be computed is held as an incident (before the dump)
    ready = _sync_open_tasks(session, instance, workflow, [] if ending else ready, now)
    pruning.prune(workflow, services_of(session).settings.kept_steps, _pruned_summary(session, instance))
    instance.state, instance.serializer_version = dump_workflow(workflow)
    _keep_after_commit(session, instance, workflow, instance.state)
    instance.updated_at = now
    has_error = holds(workflow, TaskState.ERROR)  # also a task _sync_open_tasks just held as an incident
    if instance.status in (InstanceStatus.SUSPENDED, InstanceStatus.TERMINATED):
        pass
    elif workflow.completed:
        instance.status = InstanceStatus.COMPLETED
        instance.ended_at = now
    elif has_error:
        instance.status = InstanceStatus.ERROR
    elif ready:
        instance.status = InstanceStatus.RUNNING
    else:
        instance.status = InstanceStatus.WAITING
    finished = instance.status in (InstanceStatus.COMPLETED, InstanceStatus.TERMINATED)
    mirrored = _mirrors(waiting) if finished else None  # what a later load of this state would work out
    waiting = [] if finished else waiting
    timer_tasks = [t for t in waiting if is_waiting_timer(t)]
    wanted_timers = frozenset(_wanted_timers(timer_tasks))
    unarmed = _unarmed_timers(timer_tasks)
    unarmed_keys = _unarmed_keys(unarmed)
    unarmed_changed = unarmed_keys != _stored_unarmed(session).get(instance.id)
    unarmed_rows = _unarmed_rows(session, instance) if unarmed_changed else {}
    new_timers: list[Timer] = []
    if pending is not None or wanted_timers != stored_timers:
        new_timers = _sync_timers(
            session, instance, workflow, timer_tasks, now, pending, unarmed_rows, stored_timers
        )
    if unarmed_changed:
        _sync_unarmed(session, instance, unarmed, unarmed_rows, now)
    _stored_timers(session)[instance.id] = wanted_timers
    _remember_timer_rows(session, instance, workflow, wanted_timers, new_timers)
    _stored_unarmed(session)[instance.id] = unarmed_keys
    waits = _message_waits(waiting)
    _sync_subscriptions(session, instance, waits)
    workflow.__dict__[_MIRRORS] = mirrored or (frozenset(waits), wanted_timers, unarmed_keys)
    item_writes.item_saved(session, instance)
    hooks.run_after_save(session, instance)


def _remember_timer_rows(
    session: Session,
    instance: ProcessInstance,
    workflow: BpmnWorkflow,
    wanted: frozenset[_TimerKey],
    new_rows: list[Timer],
) -> None:
    """Note the ids and names of the pending engine timer rows of the state just saved (``_stored_timer_rows``):
    those known before that are still wanted, and the rows this save made pending, once written (at the commit;
    until then this transaction does not know their ids)."""
    known = _stored_timer_rows(session).get(instance.id, {})
    kept = {key: known[key] for key in wanted if key in known}
    _stored_timer_rows(session)[instance.id] = dict(kept)
    workflow.__dict__[_TIMER_ROWS] = kept

    def written() -> None:
        kept.update({(row.task_id, row.due_at): (row.id, row.name) for row in new_rows if row.id is not None})

    if new_rows:
        on_commit(session, written)


def _pruned_summary(
    session: Session, instance: ProcessInstance
) -> Callable[[Iterable[Task]], dict[str, list[str]]]:
    """What the readers of an item's whole past need of tasks pruned from its tree: the diagram nodes they
    passed (the completed path), the windows of their person's steps and the related windows those named."""

    def summary(removed: Iterable[Task]) -> dict[str, list[str]]:
        nodes: set[str] = set()
        windows: set[str] = set()
        related: set[str] = set()
        for task in removed:
            if task.state != TaskState.COMPLETED:
                continue
            if task.task_spec.bpmn_id:
                nodes.add(task.task_spec.bpmn_id)
            if task.task_spec.manual:
                code, named = step_windows(session, instance, task)
                windows |= {code} if code else set()
                related |= named
        return {"nodes": sorted(nodes), "windows": sorted(windows), "related": sorted(related)}

    return summary


def _keep_after_commit(
    session: Session, instance: ProcessInstance, workflow: BpmnWorkflow, state: bytes
) -> None:
    """Once committed, cache ``workflow`` for the row's new version, if the state it was saved as is still the
    row's (a later save in the same transaction keeps its own object instead)."""
    cache = services_of(session).workflows

    def keep() -> None:
        if instance.state is state and instance.id is not None:
            cache.keep(instance.id, instance.lock_version, workflow)

    on_commit(session, keep)


def apply_effects(session: Session, instance: ProcessInstance, workflow: BpmnWorkflow) -> None:
    """Carry out what scripts asked for while stepping (clock, deemed assents, warnings, and what the domain
    registered in ``runner.core.hooks.EFFECTS``), in order; then keep the working-day dates they computed (those
    of timers that follow a moved deadline too)."""
    engine = script_engine(session)
    effects, engine.effects[:] = list(engine.effects), []
    deadline_before = (instance.deadline, instance.deadline_pending_year)
    now = services_of(session).now()
    for kind, args in effects:
        if kind == "pause_clock":
            pause_clock(session, instance, args["reason"], actor="system")
        elif kind == "resume_clock":
            resume_clock(session, instance, actor="system")
        elif kind == "deemed_assent":
            _record_deemed_assent(session, instance, args, now)
        elif kind == "lead_window":
            _assign_lead_window(session, instance, args["window"])
        elif kind == "extend":
            extend(session, instance, args["days"], reason=args["reason"], requested_by="system",
                   approved_by="system")  # fmt: skip
        elif kind == "warning":
            session.add(
                WarningEvent(
                    instance_id=instance.id, window=args["window"] or instance.lead_window, rule="diagram",
                    level=args["level"], message=args["message"],
                    message_en=args["message"], created_at=now,  # the diagram's own words, as written
                )
            )  # fmt: skip
            audit.record(session, "warning", actor="system", instance=instance, level=args["level"],
                         message=args["message"])  # fmt: skip
        hooks.run_effect(session, instance, workflow, kind, args)
    engine.item["paused"] = instance.paused_since is not None
    if (instance.deadline, instance.deadline_pending_year) != deadline_before:
        retime(session, instance, workflow)
    effects += engine.effects  # the timers retime evaluated again
    engine.effects[:] = []
    _remember_dates(instance, [args for kind, args in effects if kind == "calendar_date"])


def _assign_lead_window(session: Session, instance: ProcessInstance, window: str) -> None:
    """A script named the item's responsible window (a window code the centre has)."""
    if window not in known_windows(session):
        raise ScriptError(f"没有这个窗口 {window!r} (assign_lead_window: unknown window)")
    if window != instance.lead_window:
        audit.record(session, "lead_window", actor="system", instance=instance, before=instance.lead_window,
                     after=window)  # fmt: skip
        instance.lead_window = window


def _record_deemed_assent(
    session: Session, instance: ProcessInstance, args: dict[str, Any], now: datetime
) -> None:
    """A deemed assent, stored against the time limit that applied (``limit_at``)."""
    limit_at = _limit_at(args.get("limit_at"), now)
    detail: dict[str, Any] = {"note": args["note"]}
    if is_pending(args.get("limit_at")):
        detail["limit_pending_year"] = pending_year(args["limit_at"])
    session.add(
        AccountabilityRecord(
            instance_id=instance.id, window=args["window"], kind="deemed_assent", rule=args["rule"],
            task_name=args.get("task_name"), limit_at=limit_at, recorded_at=now, detail=detail,
        )
    )  # fmt: skip
    audit.record(session, "deemed_assent", actor="system", instance=instance, window=args["window"],
                 rule=args["rule"], note=args["note"], limit_at=iso(limit_at))  # fmt: skip


def _remember_dates(instance: ProcessInstance, computed: list[dict[str, str]]) -> None:
    """Keep the computed working-day dates with their recipes (``ProcessInstance.calendar_dates``)."""
    if not computed:
        return
    dates = dict(instance.calendar_dates or {})
    for args in computed:
        dates.pop(args["value"], None)  # the newest recipe of a value comes last
        dates[args["value"]] = args["recipe"]
    if dates != (instance.calendar_dates or {}):
        instance.calendar_dates = remember_dates(dates)


MAX_REMEMBERED_DATES = 200


def remember_dates(dates: dict[str, str]) -> dict[str, str]:
    """The item's computed dates to store: the newest ``MAX_REMEMBERED_DATES``."""
    items = list(dates.items())[-MAX_REMEMBERED_DATES:]
    return dict(items)


def _limit_at(value: Any, now: datetime) -> datetime | None:
    """A deemed assent's time limit as stored (None for a limit that was pending or unreadable)."""
    if not value or is_pending(value):
        return None
    try:
        return due_time(value, now)
    except (TypeError, ValueError):
        return None


def retime(session: Session, instance: ProcessInstance, workflow: BpmnWorkflow) -> None:
    """The item deadline moved: recompute the timers that follow it (the next save reschedules them). While
    the deadline is pending their time is a pending date too: they stay unarmed."""
    engine = script_engine(session)
    engine.item["deadline"] = instance.deadline
    engine.item["deadline_pending_year"] = instance.deadline_pending_year
    engine.item["paused"] = instance.paused_since is not None
    for task in workflow.get_tasks(state=TaskState.WAITING):
        if follows_deadline(task):
            for key in ("event_value", "event_fired", "event_exact"):
                task.internal_data.pop(key, None)
            if instance.deadline is not None or instance.deadline_pending_year is not None:
                for definition in timer_definitions(task):
                    definition.has_fired(task)


def follows_deadline(task: Task) -> bool:
    return any("item_deadline" in (d.expression or "") for d in timer_definitions(task))


def message_names(task: Task) -> list[str]:
    """Names of the messages a waiting task (catch event, receive task, event-based gateway) waits for."""
    return [
        d.name
        for d in leaf_definitions(getattr(task.task_spec, "event_definition", None))
        if isinstance(d, MessageEventDefinition)
    ]


def task_title(task: Task) -> str:
    return str(task.task_spec.bpmn_name or task.task_spec.name)


def step_windows(session: Session, instance: ProcessInstance, task: Task) -> tuple[str | None, set[str]]:
    """The window a person's step had (None when its expression no longer evaluates) and the related windows
    its data names (``related_windows``)."""
    try:
        code = resolve_window(session, instance, task, conventions.task_properties(task.task_spec))
    except Exception:  # noqa: BLE001 - an expression that no longer evaluates names no window
        code = None
    named = task.data.get("related_windows")
    related = {str(w) for w in named if w} if isinstance(named, list) else set()
    return (str(code) if code else None), related


def resolve_window(
    session: Session, instance: ProcessInstance, task: Task, props: dict[str, str]
) -> str | None:
    """The window a user task belongs to: property, expression, then its lane (``lead``/``related`` dynamic);
    when none of them names one, the process's default window (``centre`` unless the deployer named another)."""
    return _named_window(session, instance, task, props) or str(
        instance.definition.meta.get("default_window") or conventions.DEFAULT_WINDOW
    )


def _named_window(
    session: Session, instance: ProcessInstance, task: Task, props: dict[str, str]
) -> str | None:
    if props.get("window"):
        return props["window"]
    if props.get("windowExpr"):
        value = script_engine(session).evaluate(task, props["windowExpr"])
        return str(value) if value else None
    code = instance.definition.meta.get("node_windows", {}).get(conventions.node_key(task.task_spec))
    if code == "lead":
        return instance.lead_window
    if code == "related":
        value = task.data.get("window") or task.data.get("related_window")
        return str(value) if value else None
    return None if code in conventions.NO_WINDOW_LANES else code


@dataclass(frozen=True)
class TaskDue:
    """A user task's time limit: working days, the due time, or the year it waits for."""

    days: int | None = None
    due_at: datetime | None = None
    pending_year: int | None = None


def task_due(session: Session, task: Task, props: dict[str, str], at: datetime) -> TaskDue:
    """A task's ``limitDays`` / ``dueExpr``, evaluated as of ``at`` (when the task became ready); a limit that
    reaches past the known calendar is pending, never guessed. Raises ``ScriptError`` naming the property when
    the diagram's expression gives something that is not a limit."""
    raw = props.get("limitDays")
    days: int | None = None
    with clock_at(session, at) as engine:
        if raw not in (None, ""):
            try:
                days = int(raw)
            except ValueError:
                value = engine.evaluate(task, raw)
                if is_pending(value):
                    return TaskDue(pending_year=pending_year(value))
                days = _whole_days(raw, value)
        if props.get("dueExpr"):
            value = engine.evaluate(task, props["dueExpr"])
            if is_pending(value):
                return TaskDue(days, pending_year=pending_year(value))
            return TaskDue(days, _due_moment(props["dueExpr"], value, at))
    if days is None:
        return TaskDue()
    try:
        return TaskDue(days, calendar(session).deadline(at, days))
    except CalendarDataMissing as exc:
        return TaskDue(days, pending_year=missing_year_of(exc))


def _whole_days(raw: str, value: Any) -> int:
    """``limitDays``'s value as a whole number of working days."""
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ScriptError(
            f"limitDays {raw!r} 的值 {value!r} 不是整数 (limitDays gave {value!r}, not a whole number)"
        ) from None


def _due_moment(raw: str, value: Any, at: datetime) -> datetime:
    """``dueExpr``'s value as the due time (an ISO 8601 date/time, or a duration from ``at``)."""
    try:
        return due_time(value, at)
    except (TypeError, ValueError) as exc:
        raise ScriptError(
            f"dueExpr {raw!r} 的值 {value!r} 不是 ISO 8601 时间或时长 "
            f"(dueExpr gave {value!r}, not an ISO 8601 date/time or duration)"
        ) from exc


# the projections' reads, built once (building a statement costs more than running one of these)
_OPEN_TASKS = select(OpenTask).where(OpenTask.instance_id == bindparam("instance_id"))
# an engine timer still to fire (warning-rule timers are runner.supervision.warning_rules')
_PENDING_ENGINE_TIMER = (Timer.status == TimerStatus.PENDING, Timer.kind != "rule")
_PENDING_TIMERS = select(Timer).where(Timer.instance_id == bindparam("instance_id"), *_PENDING_ENGINE_TIMER)


OPEN_TASKS, PENDING_TIMERS = "open_tasks", "pending_timers"  # what ``read_ahead`` reads
UNARMED_ROWS = "unarmed_timers"  # known ahead only for a new item (none)


def read_ahead(session: Session, instance_ids: list[int]) -> None:
    """Read what the saves of many items will read (their open tasks, their pending engine timers, and what the
    after-save hooks read: ``hooks.READ_AHEAD``) in one query each, instead of one per item (a batch of timers)."""
    if not instance_ids:
        return
    tasks: dict[int, list[OpenTask]] = {instance_id: [] for instance_id in instance_ids}
    timers: dict[int, list[Timer]] = {instance_id: [] for instance_id in instance_ids}
    with session.no_autoflush:
        for task in session.scalars(select(OpenTask).where(OpenTask.instance_id.in_(instance_ids))):
            tasks[task.instance_id].append(task)
        for timer in session.scalars(
            select(Timer).where(Timer.instance_id.in_(instance_ids), *_PENDING_ENGINE_TIMER)
        ):
            timers[timer.instance_id].append(timer)
    transaction.read_ahead(session, OPEN_TASKS, tasks)
    transaction.read_ahead(session, PENDING_TIMERS, timers)
    hooks.run_read_ahead(session, instance_ids)


def _sync_open_tasks(
    session: Session, instance: ProcessInstance, workflow: BpmnWorkflow, ready: list[Task], now: datetime
) -> list[Task]:
    """Bring the open-task rows in line with ``ready``; the ready tasks that have a row now (a task whose
    window, limit or due time its diagram cannot compute is held as an incident instead)."""
    known = _current_tasks(session).get(instance.id)
    if known is None:
        known = taken_ahead(session, OPEN_TASKS, instance.id, OpenTask)
    if known is None:
        with session.no_autoflush:
            known = list(session.scalars(_OPEN_TASKS, {"instance_id": instance.id}))
    existing = {row.task_id: row for row in known}
    wanted = {str(t.id): t for t in ready}
    removed = [row for task_id, row in existing.items() if task_id not in wanted]
    for row in removed:
        session.delete(row)  # with the step's other writes, at the flush (runner.core.item_writes)
    current = [row for task_id, row in existing.items() if task_id in wanted]
    new_tasks = []
    for task_id, task in list(wanted.items()):
        if task_id in existing:
            continue
        props = conventions.task_properties(task.task_spec)
        try:
            new_tasks.append((task_id, task, props, *_projection(session, instance, task, props, now)))
        except SQLAlchemyError:
            raise  # the database's, as in ``advance``: never the diagram's
        except Exception as exc:  # noqa: BLE001 - the diagram's expression failed: the item's incident
            record_incident(session, instance, workflow, exc, actor="system", task=task)
            del wanted[task_id]
    for entry in _held_by_closed_windows(session, new_tasks, now):
        task_id, task, _, window, _ = entry
        record_incident(
            session, instance, workflow, _closed_window_error(task, window), actor="system", task=task
        )
        del wanted[task_id]
        new_tasks.remove(entry)
    added: list[OpenTask] = []
    for task_id, task, props, window, due in new_tasks:
        candidates = [window] if window else []
        props = dict(props)
        raw_assignee = task.data.get("assignee") or props.get("assignee")
        assignee = assign_new_task(
            session, instance, task_id=task_id, task_name=task_title(task), window=window,
            assignee=raw_assignee if isinstance(raw_assignee, str) and raw_assignee else None,
            properties=props, now=now,
        )  # fmt: skip
        row = OpenTask(
            instance_id=instance.id,
            task_id=task_id,
            spec_name=task.task_spec.name,
            name=task_title(task),
            business_key=instance.business_key,
            definition_key=instance.definition_key,
            item_kind=instance.item_kind,
            lane=task.task_spec.lane,
            window=window,
            candidate_windows=candidates,
            form_key=props.get("formKey") or conventions.GENERIC_FORM,
            assignee=assignee,
            created_at=now,
            limit_days=due.days,
            due_at=due.due_at,
            due_pending_year=due.pending_year,
            properties=props,
        )
        session.add(row)
        current.append(row)
        added.append(row)
    item_writes.task_rows_changed(session, added, removed)
    _current_tasks(session)[instance.id] = current
    return list(wanted.values())


def _projection(
    session: Session, instance: ProcessInstance, task: Task, props: dict[str, str], now: datetime
) -> tuple[str | None, TaskDue]:
    """A new task's window and time limit, as its diagram says (raises what the diagram's expressions raise)."""
    window = resolve_window(session, instance, task, props)
    return window, task_due(session, task, props, now)


def _held_by_closed_windows(session: Session, new_tasks: list[Any], now: datetime) -> list[Any]:
    """The new tasks (``(task_id, task, props, window, due)``) whose window the admin closed: they would sit where
    no picker offers them, so each is held as the item's incident instead (reopen the window, or move the item,
    then retry). The staffing of all the windows is looked up at once, as assigning the tasks needs it: a staffed
    window is open (a closed one has nobody present), and only unstaffed windows are read, in one query. Nothing
    is flushed here: the step's writes (its item's version check among them) go out with the step, where a
    concurrent change is the caller's Conflict, not the diagram's error."""
    windows = {entry[3] for entry in new_tasks if entry[3]}
    if not windows:
        return []
    with session.no_autoflush:
        prefetch_staffing(session, windows, now)
        unstaffed = sorted(w for w in windows if not has_present_clerk(session, w, now))
        closed = (
            set(
                session.scalars(
                    select(Window.code).where(Window.code.in_(unstaffed), Window.is_active.is_(False))
                )
            )
            if unstaffed
            else set()
        )
    return [entry for entry in new_tasks if entry[3] in closed]


def _closed_window_error(task: Task, window: str) -> ScriptError:
    return ScriptError(
        f"环节「{task_title(task)}」的窗口 {window} 已关闭，任务未生成；请重新开放该窗口或迁移办件后重试 "
        f"(the window {window!r} of step {task_title(task)!r} is closed; the task was not created: reopen the "
        "window or move the item, then retry)"
    )


def _current_tasks(session: Session) -> dict[int, list[OpenTask]]:
    """Per instance of this transaction: the open-task rows that mirror its ready tasks, when known."""
    return session.info.setdefault("open_tasks", {})  # type: ignore[no-any-return]


# the kind of rows read along (runner.core.transaction) for ``open_task_and_item``: a task's, until a save
TASK_ROWS = "open_task_and_item"


def known_open_tasks(session: Session, instance: ProcessInstance, rows: list[OpenTask]) -> None:
    """``rows`` are all of ``instance``'s open tasks, just read in this transaction: its save uses them."""
    _current_tasks(session)[instance.id] = rows


def forget_projections(session: Session, instance: ProcessInstance) -> None:
    """Forget what this transaction knows of ``instance``'s open tasks, timers and subscriptions (call after
    changing those rows other than through ``save``): the next save or answer reads them."""
    for known in (
        _current_tasks(session),
        _stored_waits(session),
        _stored_timers(session),
        _stored_unarmed(session),
        _stored_timer_rows(session),
    ):
        known.pop(instance.id, None)
    transaction.forget_read_ahead(session, instance.id)
    transaction.forget_read_along(session, TASK_ROWS)


def open_task_rows(session: Session, instance: ProcessInstance) -> list[OpenTask]:
    """The instance's open tasks, soonest due first: those its last ``save`` in this transaction left (no
    query), else read."""
    rows = _current_tasks(session).get(instance.id)
    if rows is None:
        return list(
            session.scalars(
                select(OpenTask)
                .where(OpenTask.instance_id == instance.id)
                .order_by(OpenTask.due_at.is_(None), OpenTask.due_at, OpenTask.id)
            )
        )
    unsaved = float("inf")  # rows added in this transaction get the next ids: after the others
    return sorted(rows, key=lambda r: (r.due_at is None, r.due_at or _NO_DUE, r.id or unsaved))


_NO_DUE = datetime.min.replace(tzinfo=UTC)


def _wanted_timers(waiting: list[Task]) -> dict[_TimerKey, Task]:
    wanted: dict[_TimerKey, Task] = {}
    for task in waiting:
        due = timer_due(task)
        if due is not None:
            wanted[(str(task.id), due)] = task
    return wanted


def _close_timers(
    session: Session,
    instance: ProcessInstance,
    workflow: BpmnWorkflow,
    waiting: list[Task],
    now: datetime,
    pending: dict[_TimerKey, Timer | None] | None = None,
    stored: frozenset[_TimerKey] | None = None,
) -> dict[_TimerKey, Timer | None]:
    """Mark pending rows whose timer is no longer waiting as fired or cancelled; return the rest (key → its row,
    None for a row known only by its key: ``_pending_timers``)."""
    if pending is None:
        pending = _pending_timers(session, instance, stored)
    wanted = _wanted_timers(waiting)
    by_key: dict[bool, list[_TimerKey]] = {True: [], False: []}
    for key, row in list(pending.items()):
        if key in wanted:
            continue
        del pending[key]
        fired = _fired(workflow, key, now)
        if row is None:
            by_key[fired].append(key)
            continue
        row.status = TimerStatus.FIRED if fired else TimerStatus.CANCELLED
        row.ended_at = now
        _audit_closed(session, instance, fired, row.id, row.task_id, row.name, key[1])
    if not _close_with_the_step(session, instance, by_key, now):
        for fired, keys in by_key.items():
            if keys:
                _close_by_key(session, instance, keys, fired, now)
    return pending


def _close_with_the_step(
    session: Session, instance: ProcessInstance, by_key: dict[bool, list[_TimerKey]], now: datetime
) -> bool:
    """Close the pending engine timers of these keys (fired: True, cancelled: False) with the step's other writes
    (``item_writes.close_timers``), by the ids of their rows, when this transaction knows every one
    (``_stored_timer_rows``), may write them so, and holds no timer object of the item (the object would say
    otherwise than the row). The audit entries now, as ``_close_by_key`` records them. False: nothing done."""
    known = _stored_timer_rows(session).get(instance.id, {})
    keys = [key for fired in (True, False) for key in by_key[fired]]
    if not keys or any(key not in known for key in keys) or item_writes.holds_timers(session, instance):
        return False
    closing = [  # as _close_by_key closes them: the fired first, each kind by row id
        (fired, timer_id, key)
        for fired in (True, False)
        for timer_id, key in sorted((known[k][0], k) for k in by_key[fired])
    ]
    statuses = {
        timer_id: TimerStatus.FIRED if fired else TimerStatus.CANCELLED for fired, timer_id, _ in closing
    }
    if not item_writes.close_timers(session, instance, statuses, now):
        return False
    for fired, timer_id, key in closing:
        _audit_closed(session, instance, fired, timer_id, key[0], known[key][1], key[1])
    return True


def _pending_timers(
    session: Session, instance: ProcessInstance, stored: frozenset[_TimerKey] | None
) -> dict[_TimerKey, Timer | None]:
    """The instance's pending engine timers by key: the rows read ahead (a batch of timers); else the keys its
    rows mirror (``_stored_timers``), not read; else the rows, read."""
    rows = taken_ahead(session, PENDING_TIMERS, instance.id, Timer)
    if rows is None and stored is not None:
        if item_writes.unwritten_timers(session, instance):
            session.flush()  # the statement closing them must see them as they are (rarely: no query since)
        return dict.fromkeys(stored)
    if rows is None:
        with session.no_autoflush:  # the audit entries and the instance row are written once, at the end
            rows = list(session.scalars(_PENDING_TIMERS, {"instance_id": instance.id}))
    return {
        (row.task_id, row.due_at): row
        for row in rows
        if row.status == TimerStatus.PENDING and row.kind != "rule" and row.due_at is not None
    }


def _fired(workflow: BpmnWorkflow, key: _TimerKey, now: datetime) -> bool:
    """Did the timer of a pending row that is no longer wanted go off (else it was cancelled)?"""
    task_id, due_at = key
    task = workflow.tasks.get(UUID(task_id))
    return (
        due_at <= now
        and (task is None or task.state != TaskState.CANCELLED)
        and _timer_went_off(task)
        and not (task is not None and task.state == TaskState.WAITING and timer_due(task) is not None)
    )


# closes pending engine timers by (task id, due time): a statement of the table, built once (an ORM-enabled
# UPDATE costs more to run than the read it saves; a row's object in the session is changed by hand)
_TIMERS = Timer.__table__
_CLOSE_BY_KEY = (
    update(_TIMERS)
    .where(
        _TIMERS.c.instance_id == bindparam("of_instance"),
        _TIMERS.c.status == TimerStatus.PENDING,
        _TIMERS.c.kind != "rule",
        tuple_(_TIMERS.c.task_id, _TIMERS.c.due_at).in_(bindparam("keys", expanding=True)),
    )
    .values(status=bindparam("closed_as"), ended_at=bindparam("closed_at"))
    .returning(_TIMERS.c.id, _TIMERS.c.task_id, _TIMERS.c.name, _TIMERS.c.due_at)
)


def _close_by_key(
    session: Session, instance: ProcessInstance, keys: list[_TimerKey], fired: bool, now: datetime
) -> None:
    """Mark the pending engine timers of ``instance`` with these (task id, due time) keys fired or cancelled in
    one statement, without reading them first; the audit entries from what it returns. A row's object in the
    session, if any, is changed likewise (it had no unwritten change: ``_pending_timers`` flushed those), so
    that the session rolls it back with a savepoint."""
    status = TimerStatus.FIRED if fired else TimerStatus.CANCELLED
    with session.no_autoflush:  # the audit entries and the instance row are written once, at the end
        closed = session.execute(
            _CLOSE_BY_KEY, {"of_instance": instance.id, "keys": keys, "closed_as": status, "closed_at": now}
        ).all()
    mapper = sa_inspect(Timer)
    for timer_id, task_id, name, due_at in sorted(closed):
        row = session.identity_map.get(mapper.identity_key_from_primary_key((timer_id,)))
        # the session's object of the row, if any, changes as the row did (and back, if a savepoint rolls back)
        if row is not None:
            row.status, row.ended_at = status, now
        _audit_closed(session, instance, fired, timer_id, task_id, name, due_at)


def _audit_closed(
    session: Session,
    instance: ProcessInstance,
    fired: bool,
    timer_id: int | None,
    task_id: str,
    name: str,
    due_at: datetime,
) -> None:
    audit.record(
        session,
        "timer_fired" if fired else "timer_cancelled",
        actor="system",
        instance=instance,
        task_id=task_id,
        task_name=name,
        due_at=due_at.isoformat(),
        timer_id=timer_id,
    )


def _sync_timers(
    session: Session,
    instance: ProcessInstance,
    workflow: BpmnWorkflow,
    waiting: list[Task],
    now: datetime,
    pending: dict[_TimerKey, Timer | None] | None = None,
    unarmed_rows: dict[str, Timer] | None = None,
    stored: frozenset[_TimerKey] | None = None,
) -> list[Timer]:
    """Close the pending timer rows no longer wanted and lay out those wanted and missing: the rows made pending
    (new, or armed)."""
    pending = _close_timers(session, instance, workflow, waiting, now, pending, stored)
    new_rows = []
    for key, task in _wanted_timers(waiting).items():
        if key in pending:
            continue
        armed = (unarmed_rows or {}).pop(key[0], None)
        if armed is not None:  # its time is known now: the unarmed row becomes the pending timer
            armed.due_at, armed.status, armed.pending_year = key[1], TimerStatus.PENDING, None
            audit.record(
                session, "timer_armed", actor="system", instance=instance, task_id=armed.task_id,
                task_name=armed.name, due_at=key[1].isoformat(), timer_id=armed.id,
            )  # fmt: skip
            new_rows.append(armed)
            continue
        row = Timer(
            instance_id=instance.id,
            task_id=key[0],
            spec_name=task.task_spec.name,
            name=task_title(task),
            due_at=key[1],
            status=TimerStatus.PENDING,
            created_at=now,
            follows_deadline=follows_deadline(task),
        )
        session.add(row)
        new_rows.append(row)
    if new_rows and instance.status != InstanceStatus.SUSPENDED:
        for row in new_rows:
            schedule_timer(session, row)  # needs no row id: the rows are written with the step's other writes
    return new_rows


_UNARMED_TIMERS = select(Timer).where(
    Timer.instance_id == bindparam("instance_id"),
    Timer.status == TimerStatus.UNARMED,
    Timer.kind != "rule",
)


def _unarmed_rows(session: Session, instance: ProcessInstance) -> dict[str, Timer]:
    """The instance's unarmed engine timer rows by task id (none to read for a new item: ``new_workflow``)."""
    rows = taken_ahead(session, UNARMED_ROWS, instance.id, Timer)
    if rows is None:
        with session.no_autoflush:
            rows = list(session.scalars(_UNARMED_TIMERS, {"instance_id": instance.id}))
    return {row.task_id: row for row in rows if row.status == TimerStatus.UNARMED and row.kind != "rule"}


def _sync_unarmed(
    session: Session,
    instance: ProcessInstance,
    unarmed: dict[str, tuple[Task, int]],
    rows: dict[str, Timer],
    now: datetime,
) -> None:
    """One unarmed row (no due time, the year it waits for) per waiting timer whose time is a pending date;
    rows of timers that went away are cancelled (those armed meanwhile were taken by ``_sync_timers``)."""
    for task_id, (task, year) in unarmed.items():
        row = rows.pop(task_id, None)
        if row is None:
            session.add(
                Timer(
                    instance_id=instance.id, task_id=task_id, spec_name=task.task_spec.name, name=task_title(task),
                    due_at=None, pending_year=year, status=TimerStatus.UNARMED, created_at=now,
                    follows_deadline=follows_deadline(task),
                )
            )  # fmt: skip
        elif row.pending_year != year:
            row.pending_year = year
    for row in rows.values():
        row.status, row.ended_at = TimerStatus.CANCELLED, now
        audit.record(
            session, "timer_cancelled", actor="system", instance=instance, task_id=row.task_id,
            task_name=row.name, timer_id=row.id, pending_year=row.pending_year,
        )  # fmt: skip


def _timer_went_off(task: Task | None) -> bool:
    """A timer task that left WAITING by firing is completed (or, for a cycle, still waiting anew)."""
    if task is None:
        return True  # removed from the tree after running (cycle timers re-predict their branch)
    return bool(task.state & (TaskState.COMPLETED | TaskState.READY | TaskState.STARTED | TaskState.WAITING))


def _sync_subscriptions(session: Session, instance: ProcessInstance, wanted: set[tuple[str, str]]) -> None:
    """Bring the item's message subscription rows in line with ``wanted`` (task id, message name) waits."""
    stored = _stored_waits(session)
    if stored.get(instance.id) == wanted:
        return  # the rows mirror exactly these waits already
    with session.no_autoflush:
        existing = {
            (task_id, name): row_id
            for row_id, task_id, name in session.execute(
                select(
                    MessageSubscription.id, MessageSubscription.task_id, MessageSubscription.message_name
                ).where(MessageSubscription.instance_id == instance.id)
            )
        }
    stored[instance.id] = wanted
    gone = [row_id for key, row_id in existing.items() if key not in wanted]
    if gone:
        session.execute(
            delete(MessageSubscription)
            .where(MessageSubscription.id.in_(gone))
            .execution_options(synchronize_session="evaluate")
        )
    for key in wanted:
        if key not in existing:
            session.add(
                MessageSubscription(
                    instance_id=instance.id,
                    task_id=key[0],
                    message_name=key[1],
                    correlation_key=instance.business_key,
                )
            )

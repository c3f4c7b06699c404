"""Starting instances, looking at them, and the admin operations on a whole instance."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from runner.core import audit, engine, failures, item_writes, timers_first
from runner.core.definitions import get_definition
from runner.core.scheduling import schedule_timer
from runner.core.spiff import pruning
from runner.core.spiff.serializer import serializer
from runner.core.transaction import services_of
from runner.exceptions import (
    Conflict,
    DuplicateBusinessKey,
    InstanceNotActive,
    InvalidInput,
    NoSuchInstance,
)
from runner.items.delegation import withdraw_all
from runner.items.receipts import check_migrated_key, next_business_key
from runner.items.views import audit_view, incident_view, instance_summary, task_view, timer_view, users_data
from runner.models import (
    ACTIVE_STATUSES,
    AccountabilityRecord,
    AuditEntry,
    ClockPause,
    Incident,
    InstanceStatus,
    MessageSubscription,
    OpenTask,
    ProcessDefinition,
    ProcessInstance,
    Timer,
    TimerStatus,
    WarningEvent,
)
from runner.people.proxies import has_present_clerk, prefetch_staffing
from runner.people.windows import closed_window_names, routed_windows
from runner.timekeeping.deadlines import calendar, pause_clock, refresh_deadline, resume_clock
from runner.timekeeping.deadlines import extend as grant_extension


def start(
    session: Session,
    key: str,
    *,
    actor: str,
    data: dict[str, Any] | None = None,
    business_key: str | None = None,
    version: int | None = None,
    title: str | None = None,
) -> ProcessInstance:
    """Start an item from the latest (or a pinned) version of definition ``key``.

    The platform numbers the item; ``business_key`` is only for an item migrated from another system, which
    keeps its number there (``receipts.MIGRATED_KEY_FORMAT``; ``InvalidInput`` otherwise)."""
    data = dict(data or {})
    if not isinstance(data, dict):
        raise InvalidInput("data must be an object")
    timers_first.take_turn(session)  # while the workers are behind with due timers, clerks take turns
    services = services_of(session)
    definition = get_definition(session, key, version)
    now = services.now()
    _refuse_closed_windows(session, definition, now)
    local_year = calendar(session).local_date(now).year
    if business_key is None:
        business_key = next_business_key(session, local_year)
    elif session.scalar(
        select(ProcessInstance.id).where(ProcessInstance.business_key == check_migrated_key(business_key))
    ):
        raise DuplicateBusinessKey(
            f"办件编号 {business_key} 已存在 (receipt number already used)", business_key=business_key
        )
    meta = definition.meta
    data.setdefault("business_key", business_key)
    lead = data.get("lead_window") or meta.get("lead_window")
    if lead:
        data.setdefault("lead_window", lead)
    instance = ProcessInstance(
        business_key=business_key,
        definition=definition,
        definition_id=definition.id,
        definition_key=definition.key,
        title=title or str(data.get("title") or definition.name),
        item_kind=meta.get("item_kind"),
        lead_window=lead,
        applicant=str(data["applicant"])[:200] if data.get("applicant") else None,
        status=InstanceStatus.RUNNING,
        started_at=now,
        started_by=actor,
        updated_at=now,
        promised_days=_as_int(data.get("promised_days"), meta.get("promised_days")),
        statutory_days=_as_int(data.get("statutory_days"), meta.get("statutory_days")),
        serializer_version="",
        state=b"",
    )
    item_writes.insert_item(session, instance)
    refresh_deadline(session, instance, pauses=[])
    workflow = engine.new_workflow(session, instance, definition, data)
    audit.record(session, "start", actor=actor, instance=instance, key=key, version=definition.version)
    engine.advance(session, instance, workflow, actor=actor)
    engine.save(session, instance, workflow)
    return instance


def _refuse_closed_windows(session: Session, definition: ProcessDefinition, now: datetime) -> None:
    """A version whose map sends steps to a closed window would leave its tasks where no picker offers them:
    the item is not started (the admin reopens the window or redeploys). A staffed window is open (a closed one
    counts as unstaffed), so the staffing the start asks about anyway answers for most; only unstaffed windows
    are looked up."""
    routed = routed_windows(definition.meta or {})
    if not routed:
        return
    with session.no_autoflush:
        prefetch_staffing(session, routed, now)
        unstaffed = {w for w in routed if not has_present_clerk(session, w, now)}
    closed = sorted(unstaffed & set(closed_window_names(session))) if unstaffed else []
    if closed:
        raise Conflict(
            f"流程「{definition.name}」（版本 {definition.version}）仍有环节由已关闭的窗口 {'、'.join(closed)} 办理，"
            "暂不能受理，请管理员重新开放窗口或重新部署 "
            f"({definition.name!r} (version {definition.version}) still routes steps to the closed window(s) "
            f"{', '.join(closed)}; the admin reopens them or redeploys before items are started)",
            key=definition.key,
            version=definition.version,
            windows=closed,
        )


def _as_int(value: Any, default: int | None) -> int | None:
    if value in (None, ""):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InvalidInput(
            f"时限须为整数 (a limit in working days must be a whole number, got {value!r})"
        ) from None


def get(
    session: Session, instance_id: int | None = None, *, business_key: str | None = None
) -> ProcessInstance:
    """An instance by id or receipt number."""
    if instance_id is not None:
        found = session.get(ProcessInstance, instance_id)
    else:
        found = session.scalars(
            select(ProcessInstance).where(ProcessInstance.business_key == business_key)
        ).first()
    if found is None:
        ident = instance_id if instance_id is not None else business_key
        raise NoSuchInstance(f"没有办件 {ident} (no such instance)", instance=ident)
    return found


def describe(session: Session, instance: ProcessInstance, *, audit_limit: int = 200) -> dict[str, Any]:
    """Everything a person looking at one instance needs: summary, data, tasks, timers, incidents, audit."""
    view = instance_summary(instance)
    with engine.read(session, instance) as workflow:
        view["data"] = current_data(workflow)
    view["tasks"] = [
        task_view(t) for t in session.scalars(select(OpenTask).where(OpenTask.instance_id == instance.id))
    ]
    view["timers"] = [
        timer_view(t)
        for t in session.scalars(
            select(Timer)
            .where(Timer.instance_id == instance.id)
            .order_by(Timer.due_at.is_(None), Timer.due_at, Timer.id)  # unarmed ones (no time yet) last
        )
    ]
    view["incidents"] = [
        incident_view(i) for i in session.scalars(select(Incident).where(Incident.instance_id == instance.id))
    ]
    view["accountability"] = [
        {
            "window": r.window,
            "kind": r.kind,
            "rule": r.rule,
            "task_name": r.task_name,
            "limit_at": r.limit_at.isoformat() if r.limit_at else None,
            "recorded_at": r.recorded_at.isoformat(),
            "detail": r.detail,
        }
        for r in session.scalars(
            select(AccountabilityRecord)
            .where(AccountabilityRecord.instance_id == instance.id)
            .order_by(AccountabilityRecord.id)
        )
    ]
    view["warnings"] = [
        {
            "id": w.id,
            "level": w.level,
            "rule": w.rule,
            "window": w.window,
            "message": w.message,
            "message_en": w.message_en,  # None: an older warning, Chinese only
            "created_at": w.created_at.isoformat(),
            "acknowledged_by": w.acknowledged_by,
            "reply": w.reply,
        }
        for w in session.scalars(
            select(WarningEvent).where(WarningEvent.instance_id == instance.id).order_by(WarningEvent.id)
        )
    ]
    view["pauses"] = [
        {
            "reason": p.reason,
            "started_at": p.started_at.isoformat(),
            "ended_at": p.ended_at.isoformat() if p.ended_at else None,
        }
        for p in session.scalars(select(ClockPause).where(ClockPause.instance_id == instance.id))
    ]
    view["audit"] = [
        audit_view(a)
        for a in session.scalars(
            select(AuditEntry)
            .where(AuditEntry.instance_id == instance.id)
            .order_by(AuditEntry.id)
            .limit(audit_limit)
        )
    ]
    view["completed_path"] = [
        *pruning.pruned(workflow).get("nodes", []),  # the past pruned from a long item's tree
        *(t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.COMPLETED) if t.task_spec.bpmn_id),
    ]
    view["current"] = [
        t.task_spec.bpmn_id
        for t in workflow.get_tasks(
            state=TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
        )
        if t.task_spec.bpmn_id
    ]
    return view


def current_data(workflow: Any) -> dict[str, Any]:
    """The item's data as it stands, as users see it (``users_data``): the end state when finished, else the
    open branches' data merged (oldest first), so a value set on any live branch shows."""
    if workflow.completed and workflow.last_task is not None:
        return users_data(workflow.last_task.data)
    live = sorted(
        workflow.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR),
        key=lambda t: t.last_state_change,
    )
    merged: dict[str, Any] = {}
    for task in live or ([workflow.last_task] if workflow.last_task is not None else []):
        merged.update(task.data)
    return users_data(merged)


SUSPENSION = "挂起"


def _paused_by_suspension(session: Session, instance: ProcessInstance) -> bool:
    pause = session.scalars(
        select(ClockPause).where(ClockPause.instance_id == instance.id, ClockPause.ended_at.is_(None))
    ).first()
    return pause is not None and pause.reason.startswith(SUSPENSION)


# why an item that is not active cannot be worked on, in the clerk's words
INACTIVE_WORDS = {
    InstanceStatus.SUSPENDED: ("已挂起", "suspended"),
    InstanceStatus.COMPLETED: ("已办结", "completed"),
    InstanceStatus.TERMINATED: ("已终止", "terminated"),
}


def require_active(instance: ProcessInstance) -> None:
    if instance.status not in ACTIVE_STATUSES:
        zh, en = INACTIVE_WORDS.get(InstanceStatus(instance.status), (instance.status, instance.status))
        raise InstanceNotActive(
            f"办件 {instance.business_key} {zh}，不能再办理 (the item is {en})", status=instance.status
        )


def suspend(session: Session, instance_id: int, *, actor: str, reason: str) -> ProcessInstance:
    """Suspend: no task can be completed and no timer fires until resumed."""
    instance = get(session, instance_id)
    require_active(instance)
    instance.status = InstanceStatus.SUSPENDED
    instance.updated_at = services_of(session).now()
    audit.record(session, "suspend", actor=actor, instance=instance, reason=reason)
    # the item's clock stops while it is suspended (unless it already stands, e.g. for 补正)
    pause_clock(session, instance, f"{SUSPENSION}：{reason}", actor=actor)
    return instance


def resume(session: Session, instance_id: int, *, actor: str) -> ProcessInstance:
    """Resume a suspended instance; timers that fell due meanwhile fire now."""
    instance = get(session, instance_id)
    if instance.status != InstanceStatus.SUSPENDED:
        raise InstanceNotActive(f"办件 {instance.business_key} 未挂起 (instance is not suspended)")
    instance.status = InstanceStatus.RUNNING
    workflow = engine.load(session, instance)
    audit.record(session, "resume", actor=actor, instance=instance)
    if _paused_by_suspension(session, instance) and resume_clock(session, instance, actor=actor):
        engine.retime(session, instance, workflow)
    engine.save(session, instance, workflow)
    for row in session.scalars(
        select(Timer).where(Timer.instance_id == instance.id, Timer.status == TimerStatus.PENDING)
    ):
        schedule_timer(session, row)
    return instance


def terminate(session: Session, instance_id: int, *, actor: str, reason: str) -> ProcessInstance:
    """End an instance for good, with a reason; its tasks, timers and subscriptions go."""
    if not reason or not reason.strip():
        raise InvalidInput("终止办件须写明理由 (a reason is required to terminate)")
    instance = get(session, instance_id)
    if instance.status in (InstanceStatus.COMPLETED, InstanceStatus.TERMINATED):
        raise InstanceNotActive(f"办件 {instance.business_key} 已结束 (instance already ended)")
    now = services_of(session).now()
    instance.status = InstanceStatus.TERMINATED
    instance.ended_at = now
    instance.end_reason = reason
    instance.updated_at = now
    withdraw_all(session, instance.id, actor=actor, why="终止")  # the delegates are told: no answer needed
    session.execute(delete(OpenTask).where(OpenTask.instance_id == instance.id))
    session.execute(delete(MessageSubscription).where(MessageSubscription.instance_id == instance.id))
    for row in session.scalars(
        select(Timer).where(
            Timer.instance_id == instance.id, Timer.status.in_([TimerStatus.PENDING, TimerStatus.UNARMED])
        )
    ):
        row.status, row.ended_at = TimerStatus.CANCELLED, now
    engine.forget_projections(session, instance)
    audit.record(session, "terminate", actor=actor, instance=instance, reason=reason)
    return instance


def retry(
    session: Session, instance_id: int, *, actor: str, data: dict[str, Any] | None = None
) -> ProcessInstance:
    """Run the failed tasks of an instance again (after its data or definition was fixed)."""
    instance = get(session, instance_id)
    if instance.status != InstanceStatus.ERROR:
        raise InstanceNotActive(f"办件 {instance.business_key} 没有待处理的故障 (no incident to retry)")
    workflow = engine.load(session, instance)
    again = [failures.retry_step(task, data) for task in workflow.get_tasks(state=TaskState.ERROR)]
    now = services_of(session).now()
    for incident in engine.open_incidents(session, instance.id):
        incident.resolved_at, incident.resolved_by = now, actor
    audit.record(session, "retry", actor=actor, instance=instance, data_keys=sorted(data or {}))
    instance.status = InstanceStatus.RUNNING
    engine.advance(session, instance, workflow, actor=actor, step=lambda: [go() for go in again])
    engine.save(session, instance, workflow)
    return instance


def migration_preview(session: Session, instance_id: int, version: int) -> dict[str, Any]:
    """Whether an instance can move to ``version`` of its definition, and which open tasks block it."""
    instance = get(session, instance_id)
    target = get_definition(session, instance.definition_key, version)
    workflow = engine.load(session, instance)
    spec, subprocess_specs = services_of(session).specs.get(target)
    top_diff, sub_diffs = diff_workflow(serializer().registry, workflow, spec, subprocess_specs)
    # open tasks must exist in the target; so must finished ones, whose stored history names their step
    # (a restored instance whose tree names a step the version lacks cannot be loaded again)
    open_mask = (
        TaskState.READY
        | TaskState.WAITING
        | TaskState.STARTED
        | TaskState.ERROR
        | TaskState.COMPLETED
        | TaskState.CANCELLED
    )
    blocking = [t.task_spec.bpmn_id or t.task_spec.name for t in top_diff.removed if t.state & open_mask]
    for sp_id, d in sub_diffs.items():
        if d is None:
            blocking.append(f"subprocess {sp_id}")
        else:
            blocking += [t.task_spec.bpmn_id or t.task_spec.name for t in d.removed if t.state & open_mask]
    return {
        "instance_id": instance.id,
        "from_version": instance.definition.version,
        "to_version": version,
        "can_move": not blocking,
        "blocking": blocking,
    }


def migrate(session: Session, instance_id: int, version: int, *, actor: str) -> ProcessInstance:
    """Move a running instance to another version of its definition when its current tasks exist there."""
    instance = get(session, instance_id)
    require_active(instance)
    preview = migration_preview(session, instance_id, version)
    if not preview["can_move"]:
        raise InstanceNotActive(
            f"当前任务在版本 {version} 中不存在，不能迁移: {', '.join(preview['blocking'])}"
            f" (current tasks do not exist in version {version})",
            blocking=preview["blocking"],
        )
    target = get_definition(session, instance.definition_key, version)
    workflow = engine.load(session, instance)
    spec, subprocess_specs = services_of(session).specs.get(target)
    top_diff, sub_diffs = diff_workflow(serializer().registry, workflow, spec, subprocess_specs)
    migrate_workflow(top_diff, workflow, spec)
    for sp_id, d in sub_diffs.items():
        sub = workflow.subprocesses[sp_id]
        assert d is not None
        migrate_workflow(d, sub, subprocess_specs[sub.spec.name])
    workflow.subprocess_specs = subprocess_specs
    old = instance.definition.version
    instance.definition = target
    instance.definition_id = target.id
    audit.record(session, "migrate", actor=actor, instance=instance, from_version=old, to_version=version)
    engine.advance(session, instance, workflow, actor=actor)
    engine.save(session, instance, workflow)
    return instance


def extend(
    session: Session, instance_id: int, days: int, *, reason: str, requested_by: str, approved_by: str
) -> ProcessInstance:
    """延期: grant ``days`` more working days on the item's limits (capped by law); deadline timers move."""
    instance = get(session, instance_id)
    require_active(instance)
    workflow = engine.load(session, instance)
    grant_extension(
        session, instance, days, reason=reason, requested_by=requested_by, approved_by=approved_by
    )
    engine.retime(session, instance, workflow)
    engine.save(session, instance, workflow)
    return instance


def acknowledge_warning(session: Session, warning_id: int, *, actor: str, reply: str) -> WarningEvent:
    """纠错回告: the responsible clerk answers a stored warning (the event itself is never changed)."""
    if not reply or not reply.strip():
        raise InvalidInput("请填写回告内容 (a reply is required)")
    warning = session.get(WarningEvent, warning_id)
    if warning is None:
        raise NoSuchInstance(f"没有预警 {warning_id} (no such warning)")
    if warning.acknowledged_at is not None:
        raise InstanceNotActive("该预警已回告 (the warning was already answered)")
    warning.acknowledged_at, warning.acknowledged_by, warning.reply = (
        services_of(session).now(),
        actor,
        reply.strip(),
    )
    instance = get(session, warning.instance_id) if warning.instance_id is not None else None
    if instance is not None:  # a 预审 warning of an online application has no item
        instance.updated_at = warning.acknowledged_at
    audit.record(
        session, "warning_acknowledged", actor=actor, instance=instance, warning_id=warning_id, reply=reply
    )
    return warning

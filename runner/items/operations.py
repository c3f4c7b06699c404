"""Clerk operations on tasks: 退回 (send back), 撤回 (withdraw), 催办 (urge), 抄送 (copy), 委派 (delegate).

Each is one runner call in the caller's transaction, needs a reason where practice asks for one, and is
written to the audit trail. Permission (who may do it) is checked by the caller against the directory;
the rules that depend on the item's state are checked here.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from runner.core import audit, engine
from runner.core.transaction import services_of
from runner.exceptions import InvalidInput, NoSuchTask, PermissionDenied, TaskNotReady
from runner.items.delegation import withdraw_delegation
from runner.items.instances import get as get_instance
from runner.items.instances import require_active
from runner.items.message_centre import notify
from runner.items.returns import SEND_BACK, WITHDRAW, mark_returned
from runner.items.tasks import open_task
from runner.models import AuditEntry, Copy, Notification, OpenTask, ProcessInstance


def _require_reason(reason: str | None, what: str) -> str:
    if not reason or not reason.strip():
        raise InvalidInput(f"{what}须写明理由 (a reason is required)")
    return reason.strip()


def _user_tasks_on_path(task: Task) -> list[Task]:
    """Completed user tasks that lead to ``task`` (its ancestors, across subprocess boundaries)."""
    found: list[Task] = []
    current: Task | None = task.parent
    workflow = task.workflow
    while current is not None or workflow.parent_task_id is not None:
        if current is None:
            parent_task = workflow.top_workflow.get_task_from_id(workflow.parent_task_id)
            workflow, current = parent_task.workflow, parent_task.parent
            continue
        if current.task_spec.manual and current.state == TaskState.COMPLETED:
            found.append(current)
        current = current.parent
    return found


def returnable_steps(session: Session, task_id: str) -> list[dict[str, Any]]:
    """The earlier steps this open task can be sent back to (completed user tasks on its path)."""
    row = open_task(session, task_id)
    instance = get_instance(session, row.instance_id)
    workflow = engine.load(session, instance)
    task = workflow.get_task_from_id(UUID(row.task_id))
    return [
        {"task_id": str(t.id), "name": engine.task_title(t), "spec_name": t.task_spec.name}
        for t in _user_tasks_on_path(task)
    ]


def send_back(
    session: Session,
    task_id: str,
    to_task_id: str,
    *,
    actor: str,
    reason: str,
    on_behalf_of: str | None = None,
) -> ProcessInstance:
    """退回: reset the item to an earlier step of this task's path; the applicant's clock is not reset.

    Only the branch leading to this task is reset: in a joint review the other windows' answers stay.
    """
    reason = _require_reason(reason, "退回")
    row = open_task(session, task_id)
    instance = get_instance(session, row.instance_id)
    require_active(instance)
    workflow = engine.load(session, instance)
    task = workflow.get_task_from_id(UUID(row.task_id))
    targets = {str(t.id): t for t in _user_tasks_on_path(task)}
    if to_task_id not in targets:
        raise InvalidInput(
            "只能退回到本办件已办理的前序环节 (can only send back to a completed earlier step of this path)"
        )
    target = targets[to_task_id]
    withdraw_delegation(session, row, actor=actor, why="退回", on_behalf_of=on_behalf_of)
    _reset(workflow, target)
    audit.record(
        session, "send_back", actor=actor, on_behalf_of=on_behalf_of, instance=instance, task_id=row.task_id,
        task_name=row.name,
        to_task_id=to_task_id, to_task=engine.task_title(target), reason=reason,
    )  # fmt: skip
    completed_by_whom = completed_by(session, to_task_id)
    notify(
        session, "returned", f"办件 {instance.business_key} 被退回到「{engine.task_title(target)}」：{reason}",
        english=f"Item {instance.business_key} was sent back to “{engine.task_title(target)}”: {reason}",
        to_user=completed_by_whom, instance=instance, task_id=to_task_id,
    )  # fmt: skip
    engine.advance(session, instance, workflow, actor=actor)
    engine.save(session, instance, workflow)
    mark_returned(session, instance.id, to_task_id, kind=SEND_BACK, by=on_behalf_of or actor, reason=reason,
                  to=completed_by_whom)  # fmt: skip
    return instance


def _reset(workflow: BpmnWorkflow, target: Task) -> None:
    """Make ``target`` ready again with the data it was completed with (the form comes back filled in)."""
    data = dict(target.data)
    removed = workflow.reset_from_task_id(target.id, data=data)
    # SpiffWorkflow leaves dropped catch events registered; a stale timer there would be refreshed
    for task in removed:
        workflow.top_workflow.event_manager.remove_task(task)


def completed_by(session: Session, task_id: str) -> str | None:
    """Who completed the step ``task_id`` last (the person acted for, when a backup completed it)."""
    entry = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.task_id == task_id, AuditEntry.action == "complete")
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ).first()
    return None if entry is None else (entry.on_behalf_of or entry.actor)


def withdraw(
    session: Session, task_id: str, *, actor: str, on_behalf_of: str | None = None
) -> ProcessInstance:
    """撤回: the clerk who completed a step takes it back while the next step is untouched (or their
    AB岗 backup, ``on_behalf_of`` them)."""
    entry = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.task_id == task_id, AuditEntry.action == "complete")
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ).first()
    if entry is None:
        raise NoSuchTask("没有已办理的该任务 (no completed task with this id)", task_id=task_id)
    completers = (entry.actor, entry.on_behalf_of)
    if actor not in completers and (on_behalf_of is None or on_behalf_of not in completers):
        raise PermissionDenied(
            "只有办理该环节的人员可以撤回 (only the person who completed the step may withdraw it)"
        )
    instance = get_instance(session, entry.instance_id)
    require_active(instance)
    workflow = engine.load(session, instance)
    task = workflow.tasks.get(UUID(task_id))
    if task is None or task.state != TaskState.COMPLETED:
        raise TaskNotReady("该环节已被退回或重置，不能撤回 (the step was reset in the meantime)")
    later = [t for t in task if t is not task]  # everything that followed it on its branch
    if any(t.task_spec.manual and t.state == TaskState.COMPLETED for t in later):
        raise TaskNotReady("下一环节已办理，不能撤回 (the next step was already completed)")
    following = {str(t.id) for t in later if t.state == TaskState.READY}
    touched = session.scalars(
        select(OpenTask).where(
            OpenTask.instance_id == instance.id,
            OpenTask.task_id.in_(following),
            OpenTask.assignee.is_not(None),
        )
    ).first()
    if touched is not None:
        # out for an opinion (委派): its holder, not the delegate
        who = touched.delegated_by or touched.assignee
        raise TaskNotReady(f"下一环节已被 {who} 认领，不能撤回 (the next step was already claimed by {who})")
    if any(t.task_spec.manual is False and t.state == TaskState.ERROR for t in later):
        raise TaskNotReady("后续环节处于故障状态，请先处理故障 (a following step has an incident)")
    _reset(workflow, task)
    audit.record(
        session,
        "withdraw",
        actor=actor,
        on_behalf_of=on_behalf_of,
        instance=instance,
        task_id=task_id,
        task_name=engine.task_title(task),
    )
    engine.advance(session, instance, workflow, actor=actor)
    engine.save(session, instance, workflow)
    # the step goes back to the clerk who completed it (the inbox tells them it came back)
    completer = entry.on_behalf_of or entry.actor
    mark_returned(session, instance.id, task_id, kind=WITHDRAW, by=on_behalf_of or actor, to=completer)
    return instance


def urge(session: Session, task_id: str, *, actor: str, note: str = "") -> OpenTask:
    """催办: urge an open task; its count and the last urge show in the inbox and the console."""
    row = open_task(session, task_id)
    instance = get_instance(session, row.instance_id)
    now = services_of(session).now()
    row.urge_count = (row.urge_count or 0) + 1
    row.last_urged_at, row.last_urged_by = now, actor
    instance.updated_at = now
    audit.record(session, "urge", actor=actor, instance=instance, task_id=row.task_id, task_name=row.name,
                 count=row.urge_count, note=note)  # fmt: skip
    notify(
        session, "urge", f"办件 {row.business_key}「{row.name}」被催办（第{row.urge_count}次）{('：' + note) if note else ''}",
        english=f"Item {row.business_key} “{row.name}” was urged (time {row.urge_count}){(': ' + note) if note else ''}",
        to_user=row.assignee, to_window=None if row.assignee else row.window, instance=instance, task_id=row.task_id,
    )  # fmt: skip
    return row


def copy_item(
    session: Session, instance_id: int, *, actor: str, to_user: str | None = None, to_window: str | None = None,
    note: str = "",
) -> Copy:  # fmt: skip
    """抄送: copy an item to a person or a window for information."""
    if not to_user and not to_window:
        raise InvalidInput("请选择抄送对象 (choose a person or a window)")
    instance = get_instance(session, instance_id)
    copy = Copy(instance_id=instance.id, to_user=to_user, to_window=to_window, by=actor, note=note,
                created_at=services_of(session).now())  # fmt: skip
    session.add(copy)
    instance.updated_at = copy.created_at
    audit.record(
        session, "copy", actor=actor, instance=instance, to_user=to_user, to_window=to_window, note=note
    )
    notify(session, "copy", f"{actor} 抄送办件 {instance.business_key}：{note}", to_user=to_user, to_window=to_window,
           english=f"{actor} copied item {instance.business_key} to you: {note}", instance=instance)  # fmt: skip
    return copy


def copies_for(session: Session, *, user: str, windows: set[str], limit: int = 100) -> list[dict[str, Any]]:
    """The "copied to me" list: copies to the person or to one of their windows, newest first."""
    query = (
        select(Copy, ProcessInstance.business_key, ProcessInstance.title)
        .join(ProcessInstance, ProcessInstance.id == Copy.instance_id)
        .where((Copy.to_user == user) | Copy.to_window.in_(windows or {""}))
        .order_by(Copy.created_at.desc())
        .limit(limit)
    )
    return [
        {
            "id": c.id,
            "business_key": bk,
            "title": title,
            "by": c.by,
            "note": c.note,
            "created_at": c.created_at.isoformat(),
            "read": c.read_at is not None,
        }  # fmt: skip
        for c, bk, title in session.execute(query)
    ]


def delegate(
    session: Session,
    task_id: str,
    *,
    actor: str,
    to_user: str,
    note: str = "",
    on_behalf_of: str | None = None,
) -> OpenTask:
    """委派: ask a named colleague for an opinion; the task comes back to ``actor`` with it (to the absent
    clerk when their backup delegates ``on_behalf_of`` them)."""
    row = open_task(session, task_id)
    if row.delegated_by:
        raise TaskNotReady(f"任务已委派给 {row.assignee} (already delegated to {row.assignee})")
    if row.assignee not in (None, actor, on_behalf_of):
        raise PermissionDenied(
            f"任务由 {row.assignee} 认领，不能委派 (the task is claimed by {row.assignee})"
        )
    delegator = on_behalf_of or actor
    if to_user == delegator:
        raise InvalidInput("不能委派给自己 (cannot delegate to yourself)")
    instance = get_instance(session, row.instance_id)
    row.delegated_by, row.delegation_note, row.assignee = delegator, note, to_user
    row.claimed_at = services_of(session).now()
    instance.updated_at = row.claimed_at
    audit.record(session, "delegate", actor=actor, on_behalf_of=on_behalf_of, instance=instance,
                 task_id=row.task_id, task_name=row.name, to_user=to_user, note=note)  # fmt: skip
    notify(session, "delegated", f"{delegator} 请您就办件 {row.business_key}「{row.name}」提出意见：{note}",
           english=f"{delegator} asks your opinion on item {row.business_key} “{row.name}”: {note}",
           to_user=to_user, instance=instance, task_id=row.task_id)  # fmt: skip
    return row


def answer_delegation(
    session: Session, task_id: str, *, actor: str, opinion: str, on_behalf_of: str | None = None
) -> OpenTask:
    """The colleague's opinion goes into the task data; the task goes back to the delegating clerk."""
    opinion = _require_reason(opinion, "委派意见")
    row = open_task(session, task_id)
    if not row.delegated_by or row.assignee not in (actor, on_behalf_of):
        raise PermissionDenied("该任务未委派给您 (this task is not delegated to you)")
    instance = get_instance(session, row.instance_id)
    require_active(instance)
    workflow = engine.load(session, instance)
    task = workflow.get_task_from_id(UUID(row.task_id))
    opinions = list(task.data.get("delegation_opinions") or [])
    entry = {"by": actor, "opinion": opinion, "at": services_of(session).now().isoformat()}
    if on_behalf_of:
        entry["for"] = on_behalf_of
    opinions.append(entry)
    task.data["delegation_opinions"] = opinions
    back_to = row.delegated_by
    row.assignee, row.delegated_by, row.delegation_note = back_to, None, None
    audit.record(session, "delegation_answered", actor=actor, on_behalf_of=on_behalf_of, instance=instance,
                 task_id=row.task_id, task_name=row.name, back_to=back_to)  # fmt: skip
    notify(session, "delegation_answered", f"{actor} 已就办件 {row.business_key}「{row.name}」提出意见：{opinion}",
           english=f"{actor} gave an opinion on item {row.business_key} “{row.name}”: {opinion}",
           to_user=back_to, instance=instance, task_id=row.task_id)  # fmt: skip
    engine.save(session, instance, workflow)
    return row


def notifications_for(
    session: Session, *, user: str, windows: set[str], unread_only: bool = False
) -> list[Notification]:
    query = select(Notification).where(
        (Notification.to_user == user) | Notification.to_window.in_(windows or {""})
    )
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return list(session.scalars(query.order_by(Notification.created_at.desc()).limit(200)))

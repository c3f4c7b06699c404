"""Clerk operations, one runner call each for every door (workspace page or API): 转办, 委派 and its answer,
退回, 撤回, 催办, 抄送, 挂起/恢复, 加签/减签, 延期 request and decision, 收件决定 and 补正材料已收到, 副件已补齐,
a reply to a 联审会议.

Each ``do_*`` checks the permission table (``runner.items.permissions``) inside the caller's transaction, enforces
the reasons, and makes the change (which writes the audit trail and the notifications).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from runner.catalogue.intake import Complete, Decision, decide, materials_received
from runner.core.transaction import services_of
from runner.exceptions import InvalidInput
from runner.items.cosign import add_reviewer, remove_reviewer
from runner.items.extensions import decide_extension, request_extension
from runner.items.extensions import get_request as get_extension_request
from runner.items.instances import get as get_instance
from runner.items.instances import resume, suspend
from runner.items.joint_meeting import reply as meeting_reply
from runner.items.operations import (
    answer_delegation,
    completed_by,
    copy_item,
    delegate,
    returnable_steps,
    send_back,
    urge,
    withdraw,
)
from runner.items.permissions import (
    DONE_DAYS,
    Facts,
    Who,
    _covered,
    acting,
    allowed,
    check,
    item_facts,
    known_user,
    known_window,
    reason_given,
    task_facts,
)
from runner.items.supplied_materials import record_supplied
from runner.items.tasks import reassign
from runner.items.views import instance_summary
from runner.models import ACTIVE_STATUSES, AuditEntry, OpenTask, ProcessInstance
from runner.people import directory


def do_transfer(
    session: Session,
    who: Who,
    task_id: str,
    *,
    to_user: str | None,
    to_window: str | None,
    reason: str | None,
) -> OpenTask:
    """转办: to a colleague of the task's window, or (window head, with a reason) to another window."""
    row, facts = task_facts(session, task_id)
    other_window = bool(to_window) and to_window != row.window
    for_whom = acting(session, "transfer_window" if other_window else "transfer", who, facts)
    if other_window:
        note = reason_given(reason, "转办到其他窗口", "a transfer to another window")
        window = known_window(session, to_window)
        user = None
        if to_user:
            user = known_user(session, to_user)
            if not directory.works_in(session, user, window):
                raise InvalidInput("该人员不属于目标窗口 (not a member of that window)", field="to_user")
        return reassign(
            session,
            task_id,
            actor=who.username,
            assignee=user,
            window=window,
            note=note,
            on_behalf_of=for_whom,
        )
    user = known_user(session, to_user)
    if user == (row.delegated_by or row.assignee):  # out for an opinion (委派): the holder, not the delegate
        raise InvalidInput("任务已由该人员承办 (already assigned to this person)", field="to_user")
    if not directory.works_in(session, user, row.window or ""):
        raise InvalidInput("只能转办给本窗口的同事 (only to a colleague of the same window)", field="to_user")
    return reassign(
        session,
        task_id,
        actor=who.username,
        assignee=user,
        note=(reason or "").strip(),
        on_behalf_of=for_whom,
    )


def do_delegate(
    session: Session, who: Who, task_id: str, *, to_user: str | None, note: str | None
) -> OpenTask:
    """委派: ask a named colleague for an opinion."""
    _, facts = task_facts(session, task_id)
    for_whom = acting(session, "delegate", who, facts)
    user = known_user(session, to_user)
    return delegate(
        session, task_id, actor=who.username, to_user=user, note=(note or "").strip(), on_behalf_of=for_whom
    )


def do_answer(session: Session, who: Who, task_id: str, *, opinion: str | None) -> OpenTask:
    _, facts = task_facts(session, task_id)
    for_whom = acting(session, "answer", who, facts)
    text = (opinion or "").strip()
    if not text:
        raise InvalidInput("请填写意见 (an opinion is required)", field="opinion")
    return answer_delegation(session, task_id, actor=who.username, opinion=text, on_behalf_of=for_whom)


def do_send_back(
    session: Session, who: Who, task_id: str, *, to_task_id: str | None, reason: str | None
) -> ProcessInstance:
    """退回 to a completed earlier step of this task's path; the applicant's clock is not reset."""
    _, facts = task_facts(session, task_id)
    for_whom = acting(session, "send_back", who, facts)
    text = reason_given(reason, "退回", "sending back")
    steps = {s["task_id"] for s in returnable_steps(session, task_id)}
    if not to_task_id or to_task_id not in steps:
        raise InvalidInput("请选择可退回的前序环节 (choose an earlier step)", field="to_task_id")
    return send_back(session, task_id, to_task_id, actor=who.username, reason=text, on_behalf_of=for_whom)


def do_withdraw(session: Session, who: Who, task_id: str) -> ProcessInstance:
    """撤回: only the person who completed the step (or their AB岗 backup, for them); the runner refuses
    once the next task is touched."""
    completer = completed_by(session, task_id)
    return withdraw(session, task_id, actor=who.username, on_behalf_of=_covered("withdraw", who, completer))


def do_urge(session: Session, who: Who, task_id: str, *, note: str | None) -> OpenTask:
    _, facts = task_facts(session, task_id)
    check("urge", who, facts)
    return urge(session, task_id, actor=who.username, note=(note or "").strip()[:500])


def do_copy(
    session: Session,
    who: Who,
    instance: ProcessInstance,
    *,
    to_user: str | None,
    to_window: str | None,
    note: str | None,
) -> Any:
    check("copy", who, item_facts(session, instance))
    if not to_user and not to_window:
        raise InvalidInput("请选择抄送对象 (choose a person or a window)", field="to_user")
    user = known_user(session, to_user) if to_user else None
    window = known_window(session, to_window) if to_window else None
    return copy_item(
        session, instance.id, actor=who.username, to_user=user, to_window=window, note=(note or "").strip()
    )


def do_suspend(
    session: Session, who: Who, instance: ProcessInstance, *, reason: str | None
) -> ProcessInstance:
    check("suspend", who, item_facts(session, instance))
    return suspend(
        session, instance.id, actor=who.username, reason=reason_given(reason, "挂起", "suspending")
    )


def do_resume(session: Session, who: Who, instance: ProcessInstance) -> ProcessInstance:
    check("resume", who, item_facts(session, instance))
    return resume(session, instance.id, actor=who.username)


def do_intake_decision(
    session: Session, who: Who, instance: ProcessInstance, decision: Decision, *, complete: Complete
) -> dict[str, Any]:
    """收件决定 (受理 / 一次性告知 / 不予受理) on an item at its acceptance step, by the counter of its lead window;
    each step completed by the door's ``complete`` (``runner.catalogue.intake``). Returns the notice issued."""
    check("intake", who, Facts(instance_summary(instance)))
    return decide(session, instance, decision, actor=who.username, complete=complete)


def do_receive_materials(
    session: Session, who: Who, instance: ProcessInstance, arrived: list[str], *, complete: Complete
) -> list[str]:
    """补正材料已收到: the counter of the item's lead window ticks what arrived; returns what is still missing."""
    check("intake", who, Facts(instance_summary(instance)))
    return materials_received(session, instance, arrived, actor=who.username, complete=complete)


def recently_completed(session: Session, username: str, *, days: int = DONE_DAYS) -> list[dict[str, Any]]:
    """我已办理: the steps ``username`` completed in the last ``days`` days, newest first."""
    since = services_of(session).now() - timedelta(days=days)
    rows = session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.action == "complete",
            (AuditEntry.actor == username) | (AuditEntry.on_behalf_of == username),
            AuditEntry.at >= since,
        )
        .order_by(AuditEntry.id.desc())
        .limit(200)
    )
    rows = list(rows)
    active = set(
        session.scalars(
            select(ProcessInstance.id).where(
                ProcessInstance.id.in_({e.instance_id for e in rows}),
                ProcessInstance.status.in_([str(s) for s in ACTIVE_STATUSES]),
            )
        )
    )
    found = []
    for e in rows:
        withdrawn = session.scalars(
            select(AuditEntry.id).where(
                AuditEntry.task_id == e.task_id, AuditEntry.action == "withdraw", AuditEntry.id > e.id
            )
        ).first()
        found.append(
            {
                "task_id": e.task_id,
                "task_name": e.task_name,
                "business_key": e.business_key,
                "at": e.at,
                "withdrawn": withdrawn is not None,
                "item_active": e.instance_id in active,  # a finished item offers no 撤回
            }
        )
    return found


def decorate_inbox_rows(session: Session, who: Who, rows: list[dict[str, Any]]) -> None:
    """Add the urge count, the last urge and whether ``who`` may urge to inbox rows."""
    if not rows:
        return
    by_id = {
        r.task_id: r
        for r in session.scalars(select(OpenTask).where(OpenTask.task_id.in_([x["id"] for x in rows])))
    }
    leads = dict(
        session.execute(
            select(ProcessInstance.id, ProcessInstance.lead_window).where(
                ProcessInstance.id.in_({x["instance_id"] for x in rows})
            )
        ).all()
    )
    for row in rows:
        open_row = by_id.get(row["id"])
        row["urge_count"] = open_row.urge_count or 0 if open_row else 0
        row["last_urged_at"] = open_row.last_urged_at if open_row else None
        row["last_urged_by"] = open_row.last_urged_by if open_row else None
        row["can_urge"] = allowed("urge", who, Facts({"lead_window": leads.get(row["instance_id"])}, row))


def do_add_reviewer(
    session: Session,
    who: Who,
    instance: ProcessInstance,
    *,
    window: str | None,
    reason: str | None,
    block: str | None = None,
) -> ProcessInstance:
    """加签: a known window other than the lead window joins the running joint review."""
    check("cosign", who, item_facts(session, instance))
    if not window:
        raise InvalidInput("请选择要加签的窗口 (choose a window)", field="to_window")
    code = known_window(session, window)
    if code == instance.lead_window:
        raise InvalidInput(
            "主办窗口不参加同步审查 (the lead window does not review itself)", field="to_window"
        )
    text = reason_given(reason, "加签", "adding a reviewer")
    return add_reviewer(session, instance.id, code, actor=who.username, reason=text, block=block)


def do_remove_reviewer(
    session: Session,
    who: Who,
    instance: ProcessInstance,
    *,
    window: str | None,
    reason: str | None,
    block: str | None = None,
) -> ProcessInstance:
    """减签: a window that has not answered yet leaves the running joint review."""
    check("cosign", who, item_facts(session, instance))
    if not window:
        raise InvalidInput("请选择要减签的窗口 (choose a window)", field="to_window")
    text = reason_given(reason, "减签", "removing a reviewer")
    return remove_reviewer(session, instance.id, window, actor=who.username, reason=text, block=block)


def _days(value: Any) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        raise InvalidInput("延期天数须为正整数 (days must be a positive number)", field="days") from None


def do_request_extension(
    session: Session, who: Who, instance: ProcessInstance, *, days: Any, reason: str | None
) -> Any:
    """延期申请 by a member of the lead window."""
    check("request_extension", who, item_facts(session, instance))
    text = reason_given(reason, "延期", "an extension")
    return request_extension(session, instance.id, _days(days), reason=text, actor=who.username)


def do_decide_extension(
    session: Session, who: Who, request_id: int, *, approve: bool, note: str | None
) -> Any:
    """Approve or refuse a request: the lead window's head, the centre leader or admin."""
    row = get_extension_request(session, request_id)
    check("extend", who, item_facts(session, get_instance(session, row.instance_id)))
    return decide_extension(session, request_id, actor=who.username, approve=approve, note=note or "")


def do_record_supplied(
    session: Session, who: Who, instance: ProcessInstance, *, materials: list[str], supplied_at: datetime
) -> ProcessInstance:
    """副件已补齐 (容缺受理): the lead window records which secondary materials arrived, and when."""
    check("record_supplied", who, item_facts(session, instance))
    return record_supplied(
        session, instance, actor=who.username, materials=materials, supplied_at=supplied_at
    )


def do_meeting_reply(
    session: Session,
    who: Who,
    instance: ProcessInstance,
    *,
    window: str,
    attending: bool,
    result: str | None,
    reason: str = "",
    conditions: str = "",
) -> dict[str, Any]:
    """An invited window's reply to a 联审会议: attendance and/or its written opinion, before the meeting."""
    check("meeting_reply", who, item_facts(session, instance, {"window": window}))
    return meeting_reply(
        session, instance.id, window, actor=who.username, attending=attending, result=result, reason=reason,
        conditions=conditions,
    )  # fmt: skip

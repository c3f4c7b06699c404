"""延期 as a request and a decision: a clerk of the lead window asks (reason, working days), the lead
window's head or the centre leader approves within the statutory cap (行政许可法 §42) or refuses with a
reason. An approval grants the extension exactly as ``runner.extend`` does (both deadlines move, the
timers that follow them are recomputed); who may ask and decide is checked by the caller.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from runner.core import audit, engine
from runner.core.transaction import services_of
from runner.exceptions import Conflict, InvalidInput, NotFound
from runner.items.instances import get as get_instance
from runner.items.instances import require_active
from runner.items.operations import notify
from runner.items.views import iso
from runner.models import Extension, ExtensionRequest, ProcessInstance
from runner.timekeeping.deadlines import calendar, extension_cap_of
from runner.timekeeping.deadlines import extend as grant_extension

REQUESTED, APPROVED, REFUSED = "requested", "approved", "refused"


def _cap(session: Session, instance: ProcessInstance) -> int:
    return extension_cap_of(session, instance)


def _check_days(session: Session, instance: ProcessInstance, days: Any) -> int:
    if isinstance(days, bool) or not isinstance(days, int) or days <= 0:
        raise InvalidInput("延期天数须为正整数 (days must be a positive number)", field="days")
    cap = _cap(session, instance)
    granted = instance.extension_days or 0
    if granted + days > cap:
        raise InvalidInput(
            f"延期超过法定上限：已延期 {granted} 个工作日，最多 {cap} 个工作日"
            f" (extension beyond the statutory cap of {cap} working days)",
            field="days",
            cap=cap,
            granted=granted,
        )
    return days


def request_view(row: ExtensionRequest) -> dict[str, Any]:
    return {
        "id": row.id,
        "instance_id": row.instance_id,
        "days": row.days,
        "reason": row.reason,
        "requested_by": row.requested_by,
        "requested_at": iso(row.requested_at),
        "status": row.status,
        "decided_by": row.decided_by,
        "decided_at": iso(row.decided_at),
        "decision_note": row.decision_note,
        "extension_id": row.extension_id,
    }


def request_extension(
    session: Session, instance_id: int, days: int, *, reason: str, actor: str
) -> ExtensionRequest:
    """A clerk asks for ``days`` more working days; the lead window is told. One open request per item."""
    if not reason or not reason.strip():
        raise InvalidInput("延期须写明理由 (a reason is required)", field="reason")
    instance = get_instance(session, instance_id)
    require_active(instance)
    days = _check_days(session, instance, days)
    pending = session.scalars(
        select(ExtensionRequest.id).where(
            ExtensionRequest.instance_id == instance.id, ExtensionRequest.status == REQUESTED
        )
    ).first()
    if pending is not None:
        raise Conflict(
            "本办件已有待审批的延期申请 (an extension request is already waiting)", request=pending
        )
    now = services_of(session).now()
    row = ExtensionRequest(
        instance_id=instance.id, days=days, reason=reason.strip(), requested_by=actor, requested_at=now,
        status=REQUESTED,
    )  # fmt: skip
    session.add(row)
    session.flush()
    instance.updated_at = now
    audit.record(session, "extension_requested", actor=actor, instance=instance, request=row.id, days=days,
                 reason=row.reason)  # fmt: skip
    notify(session, "extension_requested",
           f"办件 {instance.business_key} 申请延期 {days} 个工作日，待审批：{row.reason}",
           english=f"Item {instance.business_key}: an extension of {days} working day(s) awaits approval: {row.reason}",
           to_window=instance.lead_window, instance=instance)  # fmt: skip
    return row


def get_request(session: Session, request_id: int) -> ExtensionRequest:
    row = session.get(ExtensionRequest, request_id)
    if row is None:
        raise NotFound(f"没有延期申请 {request_id} (no such extension request)", request=request_id)
    return row


def decide_extension(
    session: Session, request_id: int, *, actor: str, approve: bool, note: str = ""
) -> ExtensionRequest:
    """Approve (grant within the cap; deadlines and their timers move) or refuse (a reason is needed)."""
    row = get_request(session, request_id)
    if row.status != REQUESTED:
        raise Conflict(
            f"该延期申请已处理（{row.status}） (the request was already decided)", status=row.status
        )
    instance = get_instance(session, row.instance_id)
    require_active(instance)
    note = (note or "").strip()
    now = services_of(session).now()
    if approve:
        _check_days(session, instance, row.days)
        workflow = engine.load(session, instance)
        granted: Extension = grant_extension(
            session, instance, row.days, reason=row.reason, requested_by=row.requested_by, approved_by=actor
        )
        session.flush()
        row.extension_id = granted.id
        engine.retime(session, instance, workflow)
        engine.save(session, instance, workflow)
    elif not note:
        raise InvalidInput("不予延期须写明理由 (a refusal needs a reason)", field="note")
    row.status = APPROVED if approve else REFUSED
    row.decided_by, row.decided_at, row.decision_note = actor, now, note or None
    audit.record(session, "extension_approved" if approve else "extension_refused", actor=actor,
                 instance=instance, request=row.id, days=row.days, note=note)  # fmt: skip
    deadline = calendar(session).date_text(instance.deadline, instance.deadline_pending_year)
    message, english = (
        (f"办件 {instance.business_key} 延期 {row.days} 个工作日已批准，新的承诺期限 {deadline}",
         f"Item {instance.business_key}: the extension of {row.days} working day(s) was approved; the new promised"
         f" date is {deadline}")
        if approve
        else (f"办件 {instance.business_key} 延期申请未获批准：{note}",
              f"Item {instance.business_key}: the extension was not approved: {note}")
    )  # fmt: skip
    notify(
        session, "extension_decided", message, english=english, to_user=row.requested_by, instance=instance
    )
    return row


def extension_state(session: Session, instance_id: int) -> dict[str, Any]:
    """The item's legal clock for the 延期 page: cap, granted, what is left, requests and grants."""
    instance = get_instance(session, instance_id)
    cap = _cap(session, instance)
    granted = instance.extension_days or 0
    return {
        "cap": cap,
        "granted": granted,
        "remaining": max(cap - granted, 0),
        "deadline": iso(instance.deadline),
        "deadline_pending_year": instance.deadline_pending_year,
        "statutory_deadline": iso(instance.statutory_deadline),
        "statutory_pending_year": instance.statutory_pending_year,
        "requests": [
            request_view(r)
            for r in session.scalars(
                select(ExtensionRequest)
                .where(ExtensionRequest.instance_id == instance.id)
                .order_by(ExtensionRequest.id.desc())
            )
        ],
        "extensions": [
            {
                "days": e.days,
                "reason": e.reason,
                "requested_by": e.requested_by,
                "approved_by": e.approved_by,
                "created_at": iso(e.created_at),
            }
            for e in session.scalars(
                select(Extension).where(Extension.instance_id == instance.id).order_by(Extension.id)
            )
        ],  # fmt: skip
    }


def pending_requests(session: Session, *, lead_windows: set[str] | None = None) -> list[dict[str, Any]]:
    """Open requests (of the items led by ``lead_windows``; None: every item), oldest first."""
    query = (
        select(
            ExtensionRequest, ProcessInstance.business_key, ProcessInstance.title, ProcessInstance.lead_window
        )
        .join(ProcessInstance, ProcessInstance.id == ExtensionRequest.instance_id)
        .where(ExtensionRequest.status == REQUESTED)
        .order_by(ExtensionRequest.requested_at, ExtensionRequest.id)
    )
    if lead_windows is not None:
        query = query.where(ProcessInstance.lead_window.in_(lead_windows or {""}))
    return [
        {**request_view(r), "business_key": bk, "title": title, "lead_window": lead}
        for r, bk, title, lead in session.execute(query)
    ]

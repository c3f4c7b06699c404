"""The item's clock: one function of (start, limit, calendar, pauses) gives its stored deadline.

Clock pauses (补正 waiting for materials, §45 hearings and inspections, waiting for an upper
authority) are first-class intervals; the deadline is recomputed and stored whenever they change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from runner.core import audit
from runner.core.transaction import services_of
from runner.exceptions import CalendarDataMissing
from runner.models import ClockPause, Extension, ProcessInstance
from runner.timekeeping.calendar import BusinessCalendar, calendar_for, missing_year_of


def calendar(session: Session) -> BusinessCalendar:
    """The business calendar with local overrides, loaded once per transaction."""
    cal = session.info.get("calendar")
    if cal is None:
        services = services_of(session)
        cal = session.info["calendar"] = services.calendar(
            lambda: calendar_for(session, services.settings.timezone)
        )
    return cal  # type: ignore[no-any-return]


def instance_pauses(session: Session, instance_id: int) -> list[tuple[datetime, datetime | None]]:
    return [(start, end) for start, end, _ in instance_pauses_with_reasons(session, instance_id)]


def instance_pauses_with_reasons(
    session: Session, instance_id: int
) -> list[tuple[datetime, datetime | None, str]]:
    return [
        (p.started_at, p.ended_at, p.reason)
        for p in session.scalars(
            select(ClockPause).where(ClockPause.instance_id == instance_id).order_by(ClockPause.id)
        )
    ]


@dataclass(frozen=True)
class Due:
    """A deadline as stored: the moment, or the year whose holiday arrangement it waits for (or neither:
    no limit)."""

    at: datetime | None = None
    pending_year: int | None = None


def working_day_deadline(session: Session, start: datetime, days: int) -> Due:
    """``days`` working days after ``start`` (no pauses); pending with the year it waits for when it reaches
    past the known calendar (the same rule as an item's deadline)."""
    try:
        return Due(calendar(session).deadline(start, days, now=services_of(session).now()))
    except CalendarDataMissing as exc:
        return Due(pending_year=missing_year_of(exc))


def item_deadline(
    session: Session,
    instance: ProcessInstance,
    days: int | None,
    pauses: list[tuple[datetime, datetime | None]] | None = None,
) -> Due:
    """The deadline ``days`` working days (plus granted extensions) after the start, less paused time
    (``pauses``: the instance's, read when not given); pending when it reaches past the known calendar."""
    if days is None:
        return Due()
    try:
        return Due(
            calendar(session).deadline(
                instance.started_at,
                days + (instance.extension_days or 0),
                instance_pauses(session, instance.id) if pauses is None else pauses,
                now=services_of(session).now(),
            )
        )
    except CalendarDataMissing as exc:
        return Due(pending_year=missing_year_of(exc))  # never guessed: computed once the year is known


CORRECTION = "补正"


def statutory_pauses(
    instance: ProcessInstance, pauses: list[tuple[datetime, datetime | None, str]]
) -> list[tuple[datetime, datetime | None]]:
    """The pauses that stop the statutory clock: after a late §32 补正 notice the application counts as
    accepted on receipt, so the wait for the applicant's materials no longer stops it."""
    return [
        (start, end)
        for start, end, reason in pauses
        if not (instance.accepted_on_receipt and reason.startswith(CORRECTION))
    ]


def refresh_deadline(
    session: Session, instance: ProcessInstance, pauses: list[tuple[datetime, datetime | None]] | None = None
) -> bool:
    """Recompute the stored promised (承诺) and statutory (法定) deadlines (or the year each waits for); True
    when the promised one changed. ``pauses``: the item's clock pauses when the caller knows them (a new item
    has none)."""
    before = (instance.deadline, instance.deadline_pending_year)
    if pauses is None:
        reasoned = instance_pauses_with_reasons(session, instance.id)
    else:
        reasoned = [(start, end, "") for start, end in pauses]
    promised = item_deadline(session, instance, instance.promised_days, [(a, b) for a, b, _ in reasoned])
    statutory = item_deadline(
        session, instance, instance.statutory_days, statutory_pauses(instance, reasoned)
    )
    instance.deadline, instance.deadline_pending_year = promised.at, promised.pending_year
    instance.statutory_deadline, instance.statutory_pending_year = statutory.at, statutory.pending_year
    return (instance.deadline, instance.deadline_pending_year) != before


def extension_cap(statutory_days: int | None, caps: dict[int, int]) -> int:
    """The most working days a limit may be extended by (行政许可法 §42: 20 → +10, joint 45 → +15)."""
    if statutory_days is None:
        return min(caps.values())
    eligible = [cap for limit, cap in caps.items() if statutory_days >= limit]
    return max(eligible) if eligible else min(caps.values())


def extension_cap_of(session: Session, instance: ProcessInstance) -> int:
    """The most working days this item may be extended by: its diagram's ``maxExtensionDays`` when declared
    (the rule the limit comes from, e.g. 0 for seed 003's social insurance limits), else §42 by its statutory
    limit."""
    declared = (instance.definition.meta or {}).get("max_extension_days")
    if declared is not None:
        return int(declared)
    return extension_cap(instance.statutory_days, services_of(session).settings.extension_caps())


def extend(
    session: Session,
    instance: ProcessInstance,
    days: int,
    *,
    reason: str,
    requested_by: str,
    approved_by: str,
) -> Extension:
    """Grant a 延期 of ``days`` working days within the statutory cap; both deadlines move."""
    from runner.exceptions import InvalidInput

    if not reason or not reason.strip():
        raise InvalidInput("延期须写明理由 (a reason is required)")
    if days <= 0:
        raise InvalidInput("延期天数须为正整数 (days must be a positive number)")
    services = services_of(session)
    cap = extension_cap_of(session, instance)
    if (instance.extension_days or 0) + days > cap:
        raise InvalidInput(
            f"延期超过法定上限：已延期 {instance.extension_days} 个工作日，最多 {cap} 个工作日"
            f" (extension beyond the statutory cap of {cap} working days)",
            cap=cap,
            granted=instance.extension_days,
        )
    extension = Extension(
        instance_id=instance.id, days=days, reason=reason.strip(), requested_by=requested_by,
        approved_by=approved_by, created_at=services.now(),
    )  # fmt: skip
    session.add(extension)
    instance.extension_days = (instance.extension_days or 0) + days
    refresh_deadline(session, instance)
    audit.record(
        session, "extension", actor=approved_by, instance=instance, days=days, reason=reason,
        requested_by=requested_by, deadline=deadline_text(instance),
    )  # fmt: skip
    return extension


def pause_clock(session: Session, instance: ProcessInstance, reason: str, *, actor: str) -> bool:
    """Stop the item's clock; False if it was already stopped."""
    if instance.paused_since is not None:
        return False
    now = services_of(session).now()
    session.add(ClockPause(instance_id=instance.id, reason=reason, started_at=now, started_by=actor))
    instance.paused_since = now
    audit.record(session, "clock_paused", actor=actor, instance=instance, reason=reason)
    if reason.startswith(CORRECTION):
        check_section_32(session, instance, now)
    return True


CORRECTION_NOTICE_DAYS = 5  # 行政许可法 §32


def check_section_32(session: Session, instance: ProcessInstance, when: datetime) -> bool:
    """§32: a 补正 notice later than 5 working days after receipt → the item counts as accepted on receipt."""
    if instance.accepted_on_receipt:
        return True
    cal = calendar(session)
    try:
        late = (
            cal.workdays_between(cal.local_date(instance.started_at), cal.local_date(when))
            > CORRECTION_NOTICE_DAYS
        )
    except CalendarDataMissing:
        return False
    if late:
        from runner.models import WarningEvent

        instance.accepted_on_receipt = True
        session.add(
            WarningEvent(
                instance_id=instance.id, window=instance.lead_window, rule="行政许可法§32", level="red",
                message="补正通知超过5个工作日才发出，依法自收到申请之日起即视为受理",
                message_en="The correction notice went out more than 5 working days after receipt: by law the"
                " application counts as accepted on the day it was received", created_at=when,
            )
        )  # fmt: skip
        audit.record(session, "accepted_on_receipt", actor="system", instance=instance, rule="§32")
    return late


def resume_clock(session: Session, instance: ProcessInstance, *, actor: str) -> bool:
    """Start the item's clock again and move its deadline; False if it was running."""
    if instance.paused_since is None:
        return False
    now = services_of(session).now()
    for pause in session.scalars(
        select(ClockPause).where(ClockPause.instance_id == instance.id, ClockPause.ended_at.is_(None))
    ):
        pause.ended_at, pause.ended_by = now, actor
    session.flush()
    instance.paused_since = None
    refresh_deadline(session, instance)
    audit.record(session, "clock_resumed", actor=actor, instance=instance, deadline=deadline_text(instance))
    return True


def deadline_text(instance: ProcessInstance) -> str | None:
    """The promised deadline for the audit trail: ISO, ``pending:<year>`` while it waits, else None."""
    if instance.deadline is not None:
        return instance.deadline.isoformat()
    if instance.deadline_pending_year is not None:
        return f"pending:{instance.deadline_pending_year}"
    return None

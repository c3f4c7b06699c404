"""The item's clock: one function of (start, limit, calendar, pauses) gives its stored deadline.

Clock pauses (补正 waiting for materials, §45 hearings and inspections, waiting for an upper
authority) are first-class intervals; the deadline is recomputed and stored whenever they change.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import audit
from .calendar import BusinessCalendar, calendar_for
from .exceptions import CalendarDataMissing
from .models import ClockPause, ProcessInstance
from .services import services_of


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
    return [
        (p.started_at, p.ended_at)
        for p in session.scalars(
            select(ClockPause).where(ClockPause.instance_id == instance_id).order_by(ClockPause.id)
        )
    ]


def refresh_deadline(session: Session, instance: ProcessInstance) -> bool:
    """Recompute the stored item deadline; True when it changed."""
    before = instance.deadline
    if instance.promised_days is None:
        instance.deadline = None
    else:
        try:
            instance.deadline = calendar(session).deadline(
                instance.started_at,
                instance.promised_days,
                instance_pauses(session, instance.id),
                now=services_of(session).now(),
            )
        except CalendarDataMissing:
            instance.deadline = None  # the console shows the calendar alarm; a deadline is never guessed
    return instance.deadline != before


def pause_clock(session: Session, instance: ProcessInstance, reason: str, *, actor: str) -> bool:
    """Stop the item's clock; False if it was already stopped."""
    if instance.paused_since is not None:
        return False
    now = services_of(session).now()
    session.add(ClockPause(instance_id=instance.id, reason=reason, started_at=now, started_by=actor))
    instance.paused_since = now
    audit.record(session, "clock_paused", actor=actor, instance=instance, reason=reason)
    return True


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
    audit.record(
        session,
        "clock_resumed",
        actor=actor,
        instance=instance,
        deadline=instance.deadline.isoformat() if instance.deadline else None,
    )
    return True

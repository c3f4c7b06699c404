"""Local changes to the working-day calendar (an extra holiday, a make-up working day)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import audit
from .calendar import BusinessCalendar, load_overrides
from .models import ACTIVE_STATUSES, CalendarOverride, ProcessInstance
from .services import services_of


def deadline_effects(session: Session, day: date, is_workday: bool) -> list[dict[str, Any]]:
    """What an override would do to the stored deadlines of open items (shown before saving)."""
    from .deadlines import instance_pauses

    services = services_of(session)
    changed = dict(load_overrides(session))
    changed[day] = is_workday
    after = BusinessCalendar(changed, services.settings.timezone)
    effects = []
    for instance in session.scalars(
        select(ProcessInstance).where(
            ProcessInstance.status.in_(list(ACTIVE_STATUSES)), ProcessInstance.deadline.is_not(None)
        )
    ):
        new = after.deadline(
            instance.started_at,
            instance.promised_days or 0,
            instance_pauses(session, instance.id),
            now=services.now(),
        )
        if new != instance.deadline:
            effects.append(
                {
                    "business_key": instance.business_key,
                    "before": instance.deadline.isoformat(),
                    "after": new.isoformat(),
                }
            )
    return effects


def set_override(
    session: Session, day: date, is_workday: bool, *, actor: str, note: str = ""
) -> list[dict[str, Any]]:
    """Add or change an override and recompute the deadlines of open items; returns what moved."""
    from . import engine
    from .deadlines import refresh_deadline

    moved = deadline_effects(session, day, is_workday)
    row = session.get(CalendarOverride, day)
    if row is None:
        session.add(
            CalendarOverride(
                day=day,
                is_workday=is_workday,
                note=note,
                created_by=actor,
                created_at=services_of(session).now(),
            )
        )
    else:
        row.is_workday, row.note, row.created_by = is_workday, note, actor
    session.flush()
    services = services_of(session)
    services.forget_calendar()
    session.info.pop("calendar", None)
    session.info.pop("script_engine", None)
    audit.record(
        session, "calendar_override", actor=actor, day=day.isoformat(), is_workday=is_workday, note=note
    )
    keys = {m["business_key"] for m in moved}
    for instance in session.scalars(select(ProcessInstance).where(ProcessInstance.business_key.in_(keys))):
        workflow = engine.load(session, instance)
        refresh_deadline(session, instance)
        engine.retime(session, instance, workflow)
        engine.save(session, instance, workflow)
    return moved

"""Local changes to the working-day calendar (an extra holiday, a make-up working day).

A local override is accepted for any day, whatever the horizon of the known calendar. Saving one recalculates
every open item it touches in the same transaction (``runner.timekeeping.recalculation``); the preview runs that very save
in a savepoint and rolls it back, so it lists exactly what the save stores.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from runner.core import audit
from runner.core.transaction import services_of
from runner.models import CalendarOverride
from runner.timekeeping.recalculation import recalculate_open_items, rehearsal


def set_override(
    session: Session, day: date, is_workday: bool, *, actor: str, note: str = ""
) -> list[dict[str, Any]]:
    """Add or change an override and recalculate the open items; returns what moved, per item."""
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
    audit.record(
        session, "calendar_override", actor=actor, day=day.isoformat(), is_workday=is_workday, note=note
    )
    cause = {"override": day.isoformat(), "is_workday": is_workday}
    return recalculate_open_items(session, actor=actor, cause=cause)


def remove_override(session: Session, day: date, *, actor: str) -> list[dict[str, Any]]:
    """Remove the override of ``day`` (the day follows the arrangements and the national data again) and
    recalculate the open items; returns what moved, per item ([] when ``day`` had no override)."""
    row = session.get(CalendarOverride, day)
    if row is None:
        return []
    was_workday = bool(row.is_workday)
    session.delete(row)
    session.flush()
    audit.record(
        session, "calendar_override_removed", actor=actor, day=day.isoformat(), was_workday=was_workday
    )
    cause = {"override_removed": day.isoformat(), "was_workday": was_workday}
    return recalculate_open_items(session, actor=actor, cause=cause)


def removal_effects(session: Session, day: date) -> list[dict[str, Any]]:
    """What removing the override of ``day`` would do to the open items: the removal itself, rolled back."""
    with rehearsal(session):
        return remove_override(session, day, actor="preview")


def deadline_effects(session: Session, day: date, is_workday: bool) -> list[dict[str, Any]]:
    """What saving an override would do to the open items, shown before saving: the save itself, rolled back."""
    with rehearsal(session):
        return set_override(session, day, is_workday, actor="preview")

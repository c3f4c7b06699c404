"""Importing a year's holiday arrangement: stored in place of the year's previous one, then every open item is
recalculated in the same transaction (pending deadlines are computed, timers armed, moved or cancelled).

``preview_arrangement`` runs the very same import in a savepoint and rolls it back (``runner.timekeeping.recalculation``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from runner.timekeeping.arrangements import parse, store
from runner.timekeeping.calendar_alarm import clear_alert
from runner.timekeeping.recalculation import recalculate_open_items, rehearsal


def import_arrangement(session: Session, text: str, *, actor: str) -> dict[str, Any]:
    """Read ``text`` (``runner.timekeeping.arrangements``: malformed lines refused with their numbers, nothing stored),
    store it as its year's arrangement, recalculate the open items. Returns the year, its counts, whether it
    replaced an earlier import, and per item what moved."""
    arrangement = parse(text)
    replaced = store(session, arrangement, text, actor=actor)
    items = recalculate_open_items(
        session, actor=actor, cause={"holiday_arrangement": arrangement.year, "replaced": replaced}
    )
    clear_alert(session, arrangement.year)
    return {**arrangement.summary(), "replaced": replaced, "items": items}


def preview_arrangement(session: Session, text: str) -> dict[str, Any]:
    """What ``import_arrangement`` would store and move, without storing anything."""
    parse(text)  # a malformed text is refused before anything runs
    with rehearsal(session):
        return import_arrangement(session, text, actor="preview")

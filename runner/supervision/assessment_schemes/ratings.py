"""The applicant ratings the assessment counts as 不满意 — read through this one function.

The 好差评 system decides which 差评 count: each 差评 opens a rectification, and only one the supervision office
found 属实 is held against the window at fault (``runner.applicants.rectification.founded_bad_ratings``); a 差评
dismissed as 不属实 or 恶意 counts nowhere. The assessment asks ``unsatisfied_ratings`` for a period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from runner.applicants.rectification import founded_bad_ratings
from runner.models import Rating


@dataclass(frozen=True)
class UnsatisfiedRating:
    """One founded 差评: which rating, of which item, when, at which level, against which window."""

    rating_id: int
    instance_id: int
    rated_at: datetime
    level: str
    comment: str
    window: str


def unsatisfied_ratings(session: Session, first: date, last: date) -> list[UnsatisfiedRating]:
    """The 差评 rated on local dates ``first``..``last`` and found 属实, oldest first."""
    events = founded_bad_ratings(session, first, last, keep_appealed=True)  # the scheme marks appeals
    if not events:
        return []
    rows = {
        r.id: r for r in session.scalars(select(Rating).where(Rating.id.in_([e.rating_id for e in events])))
    }
    found = [
        UnsatisfiedRating(e.rating_id, r.instance_id, r.created_at, e.level, r.comment or "", e.window)
        for e in events
        if (r := rows.get(e.rating_id)) is not None
    ]
    return sorted(found, key=lambda u: (u.rated_at, u.rating_id))

"""The applicant ratings the assessment counts as 不满意 — read through this one function.

The rating system (好差评) may grow levels (非常满意 … 非常不满意) and rectifications; the assessment only asks
``unsatisfied_ratings`` for the dissatisfied ratings given in a period, so that is the one place to feed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from runner.models import Rating

# the levels that count as dissatisfied (好差评: 不满意, 非常不满意)
UNSATISFIED_LEVELS = ("not_satisfied", "very_unsatisfied", "very_dissatisfied")


@dataclass(frozen=True)
class UnsatisfiedRating:
    """One dissatisfied rating: which rating, of which item, when, at which level."""

    rating_id: int
    instance_id: int
    rated_at: datetime
    level: str
    comment: str


def unsatisfied_ratings(session: Session, lo: datetime, hi: datetime) -> list[UnsatisfiedRating]:
    """Dissatisfied ratings given in [lo, hi), oldest first."""
    query = (
        select(Rating)
        .where(Rating.level.in_(UNSATISFIED_LEVELS), Rating.created_at >= lo, Rating.created_at < hi)
        .order_by(Rating.created_at, Rating.id)
    )
    return [
        UnsatisfiedRating(r.id, r.instance_id, r.created_at, r.level, r.comment or "")
        for r in session.scalars(query)
    ]

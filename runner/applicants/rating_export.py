"""The 好差评 export for the provincial platform: ratings and rectifications of a period as one JSON document.

Format ``banjian-haoping/1`` (documented in README.md, "好差评 export"): ``ratings`` (one per item and
occasion: receipt number, item code — ``null`` until the service catalogue exists; the item's kind meanwhile —
level and its 1–5 score, indicators, comment, channel, occasion, window, time) and ``rectifications`` (the
handling of each 差评: state, verdict, limit, rectified, on time, call back). The rater's name and phone are
never exported (the province calls back through the centre); ``named`` says whether they were given.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from runner.applicants import rectification as rect
from runner.applicants.rating_scale import CHANNELS, LEVELS, OCCASIONS
from runner.core.transaction import services_of
from runner.models import ProcessInstance, Rating, Rectification, Window
from runner.timekeeping.deadlines import calendar

FORMAT = "banjian-haoping/1"
SCORES = {code: 5 - i for i, code in enumerate(LEVELS)}  # 非常满意 5 … 非常不满意 1


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _rating(row: Rating, item: ProcessInstance, names: dict[str, str]) -> dict[str, Any]:
    channel = CHANNELS.get(row.channel)
    return {
        "id": row.id,
        "receipt_number": item.business_key,
        "item_code": None,  # the service catalogue's code, once it exists
        "item_kind": item.item_kind,
        "item_name": item.definition.name if item.definition is not None else item.definition_key,
        "window": row.window,
        "window_name": names.get(row.window or "", row.window),
        "level": row.level,
        "level_label": LEVELS[row.level][0] if row.level in LEVELS else row.level,
        "score": SCORES.get(row.level),
        "indicators": [
            {
                "code": code,
                "label": channel.indicators[code][0] if channel and code in channel.indicators else code,
                "level": level,
                "score": SCORES.get(level),
            }
            for code, level in (row.indicators or {}).items()
        ],  # fmt: skip
        "comment": row.comment,
        "channel": row.channel,
        "occasion": row.occasion,
        "occasion_label": OCCASIONS[row.occasion][0] if row.occasion in OCCASIONS else row.occasion,
        "named": row.named,
        "rated_at": _iso(row.created_at),
    }


def _rectification(row: Rectification, receipt: str, number: str | None) -> dict[str, Any]:
    return {
        "id": row.id,
        "rating_id": row.rating_id,
        "receipt_number": receipt,
        "rectification_number": number,
        "window": row.window,
        "state": row.state,
        "state_label": rect.STATES.get(row.state, (row.state,))[0],
        "verdict": row.verdict,
        "due_at": _iso(row.due_at),
        "verified_at": _iso(row.verified_at),
        "rectified_at": _iso(row.rectified_at),
        "on_time": rect.on_time(row),
        "revisited_at": _iso(row.revisited_at),
        "revisit_result": row.revisit_result,
        "closed_at": _iso(row.closed_at),
    }


def export(session: Session, start: date, end: date, *, centre: str = "") -> dict[str, Any]:
    """The ratings given on local dates ``start``..``end`` (both included) and their rectifications."""
    rect.start_waiting(session)
    cal = calendar(session)
    lo, hi = cal.start_of_day(start), cal.start_of_day(end + timedelta(days=1))  # as UTC instants [lo, hi)
    names = dict(session.execute(select(Window.code, Window.name)).all())
    rows = session.execute(
        select(Rating, ProcessInstance)
        .join(ProcessInstance, ProcessInstance.id == Rating.instance_id)
        .where(Rating.created_at >= lo, Rating.created_at < hi)
        .order_by(Rating.created_at, Rating.id)
    ).all()
    receipts = {rating.id: item.business_key for rating, item in rows}
    rects = list(
        session.scalars(
            select(Rectification)
            .where(Rectification.rating_id.in_(list(receipts)))
            .order_by(Rectification.id)
        )
    )
    numbers = dict(
        session.execute(
            select(ProcessInstance.id, ProcessInstance.business_key).where(
                ProcessInstance.id.in_([r.process_instance_id for r in rects if r.process_instance_id])
            )
        ).all()
    )
    return {
        "format": FORMAT,
        "centre": centre,
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "generated_at": services_of(session).now().isoformat(),
        "ratings": [_rating(rating, item, names) for rating, item in rows],
        "rectifications": [
            _rectification(r, receipts[r.rating_id], numbers.get(r.process_instance_id or 0)) for r in rects
        ],
    }

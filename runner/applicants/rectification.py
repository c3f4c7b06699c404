"""整改: every 差评 is verified, rectified and answered through its own process (``bpmn/rectification.bpmn``).

The chain is 核实 → 拟办 → 领导批示 → 整改 → 回访: the supervision office verifies (属实 / 不属实 / 恶意), the
window at fault proposes a rectification, the centre leader approves it, the window rectifies and answers the
applicant, the supervision office calls back every 实名 差评. 无效差评 (不属实 or 恶意) and 无法整改 need the
supervision office's approval with a reason; the window may ask for one extension. The limit is the
process's promised limit — ``Settings.rectification_days`` working days (default 15) from the rating, on the
platform's calendar — so the usual warnings (提示, 黄牌, 红牌 of ``warning_rules``) fire against the window.

The ``rectifications`` row follows every step of its process in the step's own transaction (``follow_step``,
a ``runner.items.step_followers`` follower, an after-save hook of the engine): a completion, the diagram's timer
at the limit, an extension — so readers never refresh it. Its states are those of deployed provincial systems: 待核实, 待整改,
整改中, 整改完成, 整改超期, 无法整改, 无效差评. The approvals (无效差评, 无法整改, 延期) are given by a person
other than the one who verified, proposed or asked (``runner.items.four_eyes``); each is kept in ``approvals``
and audited with the approver and the reason.

``founded_bad_ratings(session, start, end, window=None)`` is what 考核 reads: the 差评 found 属实 against a
window (an upheld appeal removes one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from runner.applicants.rating_scale import CHANNELS, level_label
from runner.core import audit, engine
from runner.core.transaction import services_of
from runner.exceptions import NoSuchDefinition
from runner.items import step_followers
from runner.items.instances import current_data
from runner.items.instances import get as get_instance
from runner.items.instances import start as start_instance
from runner.models import Appeal, InstanceStatus, ProcessInstance, Rating, Rectification
from runner.timekeeping.calendar import is_late
from runner.timekeeping.deadlines import calendar

PROCESS = "rectification"
STATES = {
    "verifying": ("待核实", "Being verified"),
    "pending": ("待整改", "To rectify"),
    "in_progress": ("整改中", "Rectifying"),
    "done": ("整改完成", "Rectified"),
    "overdue": ("整改超期", "Overdue"),
    "unable": ("无法整改", "Cannot be rectified"),
    "invalid": ("无效差评", "Invalid rating"),
}
VERDICTS = {
    "founded": ("属实", "Founded"),
    "unfounded": ("不属实", "Unfounded"),
    "malicious": ("恶意", "Malicious"),
}
REVISIT_RESULTS = {
    "satisfied": ("满意", "Satisfied"),
    "basically": ("基本满意", "Basically satisfied"),
    "not_satisfied": ("不满意", "Dissatisfied"),
    "unreachable": ("未联系上", "Not reachable"),
}
OPEN_STATES = ("verifying", "pending", "in_progress", "overdue")


def _process_data(session: Session, rating: Rating, instance: ProcessInstance) -> dict[str, Any]:
    channel = CHANNELS.get(rating.channel)
    indicators = [
        f"{channel.indicators[c][0] if channel and c in channel.indicators else c}：{level_label(lv)}"
        for c, lv in (rating.indicators or {}).items()
    ]
    window = rating.window or instance.lead_window or ""
    return {
        "rating_id": rating.id,
        "level": rating.level,
        "level_label": level_label(rating.level),
        "comment": rating.comment,
        "channel_label": channel.label if channel else rating.channel,
        "indicators_text": "；".join(indicators),
        "about_business_key": instance.business_key,
        "about_title": instance.title or "",
        "window": window,
        "lead_window": window,
        "named": rating.named,
        "promised_days": services_of(session).settings.rectification_days,
        "title": f"差评整改：{instance.business_key}",
    }


def open_rectification(session: Session, rating: Rating, instance: ProcessInstance) -> Rectification:
    """Register the rectification of a 差评 and start its process (kept waiting if the diagram is missing)."""
    row = Rectification(
        rating_id=rating.id, window=rating.window or instance.lead_window, state="verifying",
        created_at=services_of(session).now(),
    )  # fmt: skip
    session.add(row)
    session.flush()
    start_process(session, row)
    return row


def start_process(session: Session, row: Rectification) -> bool:
    """Start the rectification process of ``row`` if it has none yet; False when the diagram is not deployed."""
    if row.process_instance_id is not None:
        return True
    rating = session.get(Rating, row.rating_id)
    assert rating is not None
    about = get_instance(session, rating.instance_id)
    try:
        with session.begin_nested():
            process = start_instance(
                session, PROCESS, actor="system", data=_process_data(session, rating, about)
            )
    except NoSuchDefinition:
        audit.record(session, "rectification_waiting", actor="system", instance=about, rating=rating.id)
        return False
    row.process_instance_id = process.id
    row.due_at = process.deadline
    return True


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _state(data: dict[str, Any], overdue: bool) -> str:
    if data.get("invalid_at"):
        return "invalid"
    if data.get("unable_at"):
        return "unable"
    if data.get("rectified_at"):
        return "done"
    if overdue:
        return "overdue"
    if data.get("approved_at"):
        return "in_progress"
    return "pending" if data.get("verdict") == "founded" and data.get("verified_at") else "verifying"


APPROVAL_KINDS = {
    "invalid": ("无效差评", "Invalid rating"),
    "unable": ("无法整改", "Cannot be rectified"),
    "extension": ("延期", "Extension"),
}
DECISIONS = {True: ("批准", "approved"), False: ("不批准", "refused")}


def _approvals(data: dict[str, Any]) -> list[dict[str, Any]]:
    given = data.get("approvals")
    return [dict(a) for a in given if isinstance(a, dict)] if isinstance(given, list) else []


def _record_approvals(
    session: Session, row: Rectification, instance: ProcessInstance, data: dict[str, Any]
) -> None:
    """Keep the supervision office's decisions in the row and audit each new one (approver and reason)."""
    decisions = _approvals(data)
    known = len(row.approvals or [])
    for decision in decisions[known:]:
        audit.record(
            session, "rectification_approval", actor=str(decision.get("by") or "system"), instance=instance,
            rectification=row.id, kind=decision.get("kind"), approved=bool(decision.get("approved")),
            reason=str(decision.get("reason") or "")[:1000],
        )  # fmt: skip
    if decisions != (row.approvals or []):
        row.approvals = decisions


def _apply(session: Session, row: Rectification, instance: ProcessInstance, data: dict[str, Any]) -> None:
    """Bring the row in line with its process: state, verdict, window, limit, approvals, call back."""
    # the state moves when the diagram's limit timer falls due: when the limit day is over (the next local
    # midnight), the instant lateness begins (is_late), which also judges whether it was rectified on time
    overdue = instance.deadline is not None and is_late(services_of(session).now(), instance.deadline)
    row.state = _state(data, overdue)
    verdict = data.get("verdict")
    row.verdict = verdict if verdict in VERDICTS and data.get("verified_at") else None
    row.verified_at = _when(data.get("verified_at"))
    row.rectified_at = _when(data.get("rectified_at"))
    row.revisited_at = _when(data.get("revisited_at"))
    result = data.get("revisit_result")
    row.revisit_result = result if result in REVISIT_RESULTS and row.revisited_at else None
    row.due_at = instance.deadline
    _record_approvals(session, row, instance, data)
    window = data.get("window")
    if isinstance(window, str) and window and window != row.window:
        row.window = window
        instance.lead_window = window  # warnings and the window's inbox follow the window at fault
    if instance.status in (InstanceStatus.COMPLETED, InstanceStatus.TERMINATED):
        row.closed_at = row.closed_at or instance.ended_at


@step_followers.follows(PROCESS)
def follow_step(session: Session, instance: ProcessInstance, workflow: Any) -> None:
    """After every saved step of a rectification process: its row follows, in the same transaction."""
    row = session.scalars(
        select(Rectification).where(Rectification.process_instance_id == instance.id)
    ).first()
    if row is not None:
        _apply(session, row, instance, current_data(workflow))


def sync(session: Session, row: Rectification) -> Rectification:
    """Bring the row in line with its stored process (a repair: every step keeps it in line already)."""
    if row.process_instance_id is None and not start_process(session, row):
        return row
    instance = get_instance(session, row.process_instance_id)
    _apply(session, row, instance, current_data(engine.load(session, instance)))
    return row


def start_waiting(session: Session) -> int:
    """Start the processes of rectifications registered while the diagram was not deployed; the number started."""
    rows = list(
        session.scalars(
            select(Rectification)
            .where(Rectification.process_instance_id.is_(None))
            .order_by(Rectification.id)
        )
    )
    return sum(start_process(session, row) for row in rows)


def on_time(row: Rectification) -> bool | None:
    """Whether the rectification was done within its limit (None while not done)."""
    if row.rectified_at is None:
        return None
    return row.due_at is None or not is_late(row.rectified_at, row.due_at)


def rectification_view(session: Session, row: Rectification, lang: str = "zh") -> dict[str, Any]:
    """A rectification as a dict (states and verdicts named in ``lang``)."""
    i = 1 if lang == "en" else 0
    key = pending_year = None
    if row.process_instance_id is not None:
        key, pending_year = session.execute(
            select(ProcessInstance.business_key, ProcessInstance.deadline_pending_year).where(
                ProcessInstance.id == row.process_instance_id
            )
        ).one()
    return {
        "id": row.id,
        "rating_id": row.rating_id,
        "business_key": key,
        "window": row.window,
        "state": row.state,
        "state_label": STATES.get(row.state, (row.state, row.state))[i],
        "verdict": row.verdict,
        "verdict_label": VERDICTS[row.verdict][i] if row.verdict in VERDICTS else "",
        "due_at": row.due_at.isoformat() if row.due_at else None,
        # the limit reaches past the known calendar: the year whose holiday arrangement it waits for
        "due_pending_year": None if row.due_at else pending_year,
        "verified_at": row.verified_at.isoformat() if row.verified_at else None,
        "rectified_at": row.rectified_at.isoformat() if row.rectified_at else None,
        "on_time": on_time(row),
        "revisited_at": row.revisited_at.isoformat() if row.revisited_at else None,
        "revisit_result": row.revisit_result,
        "closed_at": row.closed_at.isoformat() if row.closed_at else None,
        "created_at": row.created_at.isoformat(),
        "approvals": [approval_view(a, lang) for a in row.approvals or []],
    }


def approval_view(decision: dict[str, Any], lang: str = "zh") -> dict[str, Any]:
    """One decision of the supervision office (无效差评, 无法整改, 延期) with its labels in ``lang``."""
    i = 1 if lang == "en" else 0
    kind = str(decision.get("kind") or "")
    approved = bool(decision.get("approved"))
    return {
        "kind": kind,
        "kind_label": APPROVAL_KINDS.get(kind, (kind, kind))[i],
        "approved": approved,
        "decision_label": DECISIONS[approved][i],
        "by": decision.get("by"),
        "reason": decision.get("reason") or "",
        "at": decision.get("at"),
    }


def for_rating(session: Session, rating_id: int) -> Rectification | None:
    return session.scalars(select(Rectification).where(Rectification.rating_id == rating_id)).first()


# --- 考核 --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BadRatingEvent:
    """A 差评 the supervision office found 属实 against ``window`` (one 考核 event, subject ``rating:<id>``)."""

    window: str
    subject: str
    rating_id: int
    rectification_id: int
    business_key: str
    level: str
    occurred_on: date  # the local date of the rating
    verified_on: date | None
    state: str
    rectified_on_time: bool | None


def founded_bad_ratings(
    session: Session, start: date, end: date, window: str | None = None, *, keep_appealed: bool = False
) -> list[BadRatingEvent]:
    """The 差评 rated on local dates ``start``..``end`` (both included) and found 属实, per window at fault.

    A 差评 dismissed as 不属实 or 恶意 (无效差评, with the supervision office's approval) is no event; an upheld
    appeal (``Appeal`` on subject ``rating:<id>`` for that window, any rule) removes one — unless
    ``keep_appealed`` (a 考核方案 shows the appealed line, not counted). Each row
    follows its process step by step, so the answer is that of the stored rows.
    """
    start_waiting(session)
    cal = calendar(session)
    lo, hi = cal.start_of_day(start), cal.start_of_day(end + timedelta(days=1))  # as UTC instants [lo, hi)
    query = (
        select(Rectification, Rating, ProcessInstance.business_key)
        .join(Rating, Rating.id == Rectification.rating_id)
        .join(ProcessInstance, ProcessInstance.id == Rating.instance_id)
        .where(Rectification.verdict == "founded", Rating.created_at >= lo, Rating.created_at < hi)
        .order_by(Rating.id)
    )
    if window:
        query = query.where(Rectification.window == window)
    upheld = {
        (a.window, a.subject)
        for a in session.scalars(
            select(Appeal).where(Appeal.status == "upheld", Appeal.subject.like("rating:%"))
        )
    }
    events = []
    for rect, rating, key in session.execute(query):
        subject = f"rating:{rating.id}"
        if not rect.window or (not keep_appealed and (rect.window, subject) in upheld):
            continue
        events.append(
            BadRatingEvent(
                rect.window, subject, rating.id, rect.id, key, rating.level, cal.local_date(rating.created_at),
                cal.local_date(rect.verified_at) if rect.verified_at else None, rect.state, on_time(rect),
            )
        )  # fmt: skip
    return events

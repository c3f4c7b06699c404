"""The stored events the computed rules read, as dated hits on a window and (when known) a person.

Every hit names its subject (``instance:12``, ``complaint:3``, ``accountability:7``, ``warning:5``,
``rating:4``, ``entry:9``) so that each deduction or bonus of a report can be traced to its event and
appealed. ``EVENTS`` says, per event, what it reads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from runner.exceptions import CalendarDataMissing
from runner.models import AccountabilityRecord, Complaint, ProcessInstance, WarningEvent
from runner.supervision.assessment_schemes import lateness, ratings
from runner.timekeeping.calendar import is_late
from runner.timekeeping.deadlines import calendar


@dataclass(frozen=True)
class Hit:
    """One occurrence of an event: dated, on a window and/or a person, traceable to its subject."""

    event: str
    subject: str
    day: date
    window: str | None
    person: str | None
    business_key: str | None = None
    detail: str = ""
    share: float | None = None  # early_finish / joint_early: how much earlier than promised
    points: float | None = None  # an entered score fixes its own points


EVENTS: dict[str, dict[str, str]] = {
    "late_day": {"label": "超过承诺时限（每工作日）", "reads": "process_instances.deadline; audit_entries complete "
                 "(the step that delivered the decision, who held each step); documents 办结/不予受理; open_tasks"},
    "late_item": {"label": "承诺件超期办结（每件）", "reads": "process_instances.deadline; the decision moment"},
    "early_finish": {"label": "提前办结", "reads": "process_instances.deadline, promised_days; the decision moment"},
    "joint_early": {"label": "联办件提前50%办结（相关窗口）", "reads": "the decision moment; audit_entries complete "
                    "of the related windows"},
    "deemed_assent": {"label": "默认议定（协办窗口未按时答复）", "reads": "accountability_records kind deemed_assent"},
    "verified_complaint": {"label": "投诉经查属实", "reads": "complaints verified"},
    "unsatisfied_rating": {"label": "服务对象不满意（差评经核实属实）", "reads": "差评 found 属实 (rectification)"},
    "unanswered_warning": {"label": "预警未按时回告", "reads": "warning_events yellow/red, acknowledged_at"},
    "entered": {"label": "记分录入", "reads": "score_entries (not voided)"},
}  # fmt: skip

WARNING_LEVELS = ("yellow", "red")
REPLY_WORKDAYS = 1  # a yellow or red warning is answered (纠错回告) by the end of the next working day


@dataclass
class Period:
    """The local dates [first, last] and their UTC bounds [lo, hi)."""

    first: date
    last: date
    lo: datetime
    hi: datetime
    now: datetime


def _late_days(session: Session, p: Period, items: list[lateness.ItemCourse]) -> list[Hit]:
    cal = calendar(session)
    out = []
    for item in items:
        for day in lateness.late_days(session, item, p.first, p.last, p.now):
            out.append(
                Hit("late_day", f"instance:{item.id}", day, item.lead_window, item.holder_on(day, cal.local_date),
                    item.business_key, _late_day_note(cal.local_date(item.deadline), day))
            )  # fmt: skip
    return out


def _late_day_note(deadline: date, day: date) -> str:
    """The detail of a late working day, "中文 (English)" as runner messages are."""
    due, late = deadline.isoformat(), day.isoformat()
    return f"承诺时限 {due}，{late} 超期 (promised deadline {due}, late on {late})"


def _late_item_note(deadline: date, decided: date) -> str:
    due, done = deadline.isoformat(), decided.isoformat()
    return f"承诺时限 {due}，决定送达 {done} (promised deadline {due}, decided {done})"


def _decided_in(session: Session, p: Period, items: list[lateness.ItemCourse]) -> list[lateness.ItemCourse]:
    return [
        i
        for i in items
        if i.decided_at is not None and p.lo <= i.decided_at < p.hi and i.deadline is not None
    ]


def _late_items(session: Session, p: Period, items: list[lateness.ItemCourse]) -> list[Hit]:
    cal = calendar(session)
    return [
        Hit("late_item", f"instance:{i.id}", cal.local_date(i.decided_at), i.lead_window, i.decider(), i.business_key,
            _late_item_note(cal.local_date(i.deadline), cal.local_date(i.decided_at)))
        for i in _decided_in(session, p, items)
        if is_late(i.decided_at, i.deadline)
    ]  # fmt: skip


def _early(session: Session, p: Period, items: list[lateness.ItemCourse]) -> list[Hit]:
    cal = calendar(session)
    out = []
    for i in _decided_in(session, p, items):
        share = lateness.early_share(session, i)
        if share is not None and share > 0:
            out.append(
                Hit("early_finish", f"instance:{i.id}", cal.local_date(i.decided_at), i.lead_window, i.decider(),
                    i.business_key, f"承诺 {i.promised_days} 个工作日，提前 {share:.0%} 办结 "
                    f"(promised {i.promised_days} working days, {share:.0%} early)", share)
            )  # fmt: skip
    return out


def _joint_early(session: Session, p: Period, items: list[lateness.ItemCourse]) -> list[Hit]:
    cal = calendar(session)
    out = []
    for i in _decided_in(session, p, items):
        share = lateness.early_share(session, i)
        if share is None or share < 0.5 or not i.related_windows:
            continue
        out += [
            Hit("joint_early", f"instance:{i.id}", cal.local_date(i.decided_at), w, None, i.business_key,
                f"联办件提前 {share:.0%} 办结（主办 {i.lead_window}） (joint item {share:.0%} early, lead {i.lead_window})",
                share)
            for w in sorted(i.related_windows)
        ]  # fmt: skip
    return out


def _deemed_assents(session: Session, p: Period) -> list[Hit]:
    cal = calendar(session)
    rec = AccountabilityRecord
    query = (
        select(rec, ProcessInstance.business_key)
        .join(ProcessInstance, ProcessInstance.id == rec.instance_id)
        .where(rec.kind == "deemed_assent", rec.recorded_at >= p.lo, rec.recorded_at < p.hi)
        .order_by(rec.id)
    )
    return [
        Hit("deemed_assent", f"accountability:{r.id}", cal.local_date(r.recorded_at), r.window, None, key,
            f"默认议定（{r.rule}）：{r.task_name or ''} (deemed assent, {r.rule})")
        for r, key in session.execute(query)
    ]  # fmt: skip


def _complaints(session: Session, p: Period) -> list[Hit]:
    cal = calendar(session)
    query = select(Complaint).where(
        Complaint.verified.is_(True), Complaint.window.is_not(None), Complaint.created_at >= p.lo,
        Complaint.created_at < p.hi,
    ).order_by(Complaint.id)  # fmt: skip
    return [
        Hit("verified_complaint", f"complaint:{c.id}", cal.local_date(c.created_at), c.window, None, None,
            f"投诉经查属实：{c.content[:60]}")
        for c in session.scalars(query)
    ]  # fmt: skip


def _unsatisfied(session: Session, p: Period) -> list[Hit]:
    cal = calendar(session)
    found = ratings.unsatisfied_ratings(session, p.first, p.last)
    if not found:
        return []
    wanted = {r.instance_id for r in found}
    rated = {i.id: i for i in lateness.courses_of(session, wanted)}
    out = []
    for r in found:
        item = rated.get(r.instance_id)
        if item is None:
            continue
        out.append(
            Hit("unsatisfied_rating", f"rating:{r.rating_id}", cal.local_date(r.rated_at), r.window,
                item.decider(), item.business_key, f"差评经核实属实：{r.comment[:60]}")
        )  # fmt: skip
    return out


def _unanswered_warnings(session: Session, p: Period) -> list[Hit]:
    """Yellow and red warnings not answered by the end of the next working day, dated by that day."""
    cal = calendar(session)
    w = WarningEvent
    query = (
        select(w, ProcessInstance.business_key)
        .outerjoin(ProcessInstance, ProcessInstance.id == w.instance_id)  # 预审 warnings have no item
        .where(w.level.in_(WARNING_LEVELS), w.window.is_not(None), w.created_at < p.hi,
               w.created_at >= p.lo - timedelta(days=40))
        .order_by(w.id)
    )  # fmt: skip
    out = []
    for e, key in session.execute(query):
        try:
            due_day = cal.add_workdays(cal.local_date(e.created_at), REPLY_WORKDAYS)
        except CalendarDataMissing:
            continue  # the reply day lies in a year not known yet: counted once its arrangement is imported
        due = cal.end_of_day(due_day)
        answered = e.acknowledged_at is not None and not is_late(e.acknowledged_at, due)
        if answered or not (p.first <= due_day <= p.last) or not is_late(p.now, due):
            continue
        out.append(
            Hit("unanswered_warning", f"warning:{e.id}", due_day, e.window, e.clerk, key,
                f"{e.level} 预警未在 {due_day.isoformat()} 前回告：{e.message[:60]}")
        )  # fmt: skip
    return out


_ITEM_READERS: dict[str, Callable[[Session, Period, list[lateness.ItemCourse]], list[Hit]]] = {
    "late_day": _late_days,
    "late_item": _late_items,
    "early_finish": _early,
    "joint_early": _joint_early,
}
_OTHER_READERS: dict[str, Callable[[Session, Period], list[Hit]]] = {
    "deemed_assent": _deemed_assents,
    "verified_complaint": _complaints,
    "unsatisfied_rating": _unsatisfied,
    "unanswered_warning": _unanswered_warnings,
}


def read(session: Session, p: Period, wanted: set[str]) -> list[Hit]:
    """The hits of the computed events in ``wanted`` for the period (entered scores: ``entries``)."""
    hits: list[Hit] = []
    if wanted & set(_ITEM_READERS):
        items = lateness.courses(session, p.lo, p.hi)
        for event in sorted(wanted & set(_ITEM_READERS)):
            hits += _ITEM_READERS[event](session, p, items)
    for event in sorted(wanted & set(_OTHER_READERS)):
        hits += _OTHER_READERS[event](session, p)
    return hits

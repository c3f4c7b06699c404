"""Supervision figures (督查统计) per window and period, computed by SQL aggregates.

An item belongs to its lead window (主办窗口, ``ProcessInstance.lead_window``; one naming none is counted in
the row ``未指定主办窗口``); complaint-handling processes are not items and are left out. Each item figure is
defined once (``accepted_in``, ``completed_in``, ``completed_late``) for the tables and the trend alike.
Periods are local calendar dates (the centre's time zone), both ends included. Nothing here loops over
instances in Python: the database groups and counts, Python only adds up the groups (at most one per window and day).

Definitions (also in admin/README.md):
- accepted: items started in the period; completed: items that ended ``completed`` in the period;
- on time: completed no later than the promised deadline (items without one cannot be late);
- overdue now: open, running clock, promised deadline already past;
- average working days: working days from the local date of acceptance to that of completion (the day
  of acceptance is not counted, 行政许可法 §82), over the items completed in the period.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from runner.applicants.rating_scale import LEVELS
from runner.core.conventions import NOT_ITEMS
from runner.core.transaction import services_of
from runner.exceptions import InvalidInput
from runner.models import (
    ACTIVE_STATUSES,
    AccountabilityRecord,
    Complaint,
    Extension,
    InstanceStatus,
    ProcessInstance,
    Rating,
    Rectification,
    WarningEvent,
    Window,
)
from runner.timekeeping.calendar import BusinessCalendar, late_clause, past_deadline_clause
from runner.timekeeping.workday_counter import WorkdayCounter

PERIOD_KINDS = {"day": "日", "month": "月", "quarter": "季度", "range": "自定义"}
RATING_LEVELS = tuple(LEVELS)  # the national five levels, best first
COMPLAINT_STATES = ("registered", "forwarded", "answered", "fed_back", "closed")
WARNING_LEVELS = ("notice", "yellow", "red", "overdue", "escalation")
MAX_RANGE_DAYS = 3660  # ten years: a wider range is a typo, not a question
YEARS = range(1900, 9999)  # a period's dates, with room for the month after and the trend's year before
# the row of the items whose diagram and start data name no lead window (they count in every total)
NO_LEAD_WINDOW, NO_LEAD_NAME = "", "未指定主办窗口"


@dataclass(frozen=True)
class Period:
    """Local dates ``start``..``end`` (both included) with a label such as ``2026年10月``."""

    kind: str
    start: date
    end: date
    label: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _quarter_start(d: date) -> date:
    return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


def _month_end(d: date) -> date:
    nxt = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def check_year(d: date, field: str) -> None:
    """Refuse a date whose year no period can be computed around (9999-12-31 has no month after it)."""
    if d.year not in YEARS:
        raise InvalidInput(
            f"年份须在 {YEARS.start}–{YEARS.stop - 1} 之间 (the year must be {YEARS.start} to {YEARS.stop - 1}: "
            f"{d.isoformat()})",
            field=field,
        )


def period(kind: str, ref: date, end: date | None = None) -> Period:
    """The day, month or quarter containing ``ref``, or the range ``ref``..``end`` (kind ``range``)."""
    check_year(ref, "date" if end is None else "start")
    if end is not None:
        check_year(end, "end")
    if kind == "day":
        return Period(kind, ref, ref, ref.isoformat())
    if kind == "month":
        return Period(kind, ref.replace(day=1), _month_end(ref), f"{ref.year}年{ref.month}月")
    if kind == "quarter":
        first = _quarter_start(ref)
        last = _month_end(date(first.year, first.month + 2, 1))
        return Period(kind, first, last, f"{ref.year}年第{(ref.month - 1) // 3 + 1}季度")
    if kind == "range":
        if end is None:
            raise InvalidInput("自定义区间须有结束日期 (a range needs an end date)", field="end")
        if end < ref:
            raise InvalidInput("结束日期早于开始日期 (the range ends before it starts)", field="end")
        if (end - ref).days > MAX_RANGE_DAYS:
            raise InvalidInput("区间不能超过十年 (a range may span ten years at most)", field="end")
        return Period(kind, ref, end, f"{ref.isoformat()} 至 {end.isoformat()}")
    raise InvalidInput(f"统计周期须为 {'/'.join(PERIOD_KINDS)} (unknown period kind {kind!r})", field="kind")


def bounds(session: Session, p: Period) -> tuple[datetime, datetime]:
    """The period as aware UTC instants ``[start, end)``."""
    cal = _calendar(session)
    return cal.start_of_day(p.start), cal.start_of_day(p.end + timedelta(days=1))


def _calendar(session: Session) -> BusinessCalendar:
    from runner.timekeeping.deadlines import calendar

    return calendar(session)


def local_day(session: Session, column: Any) -> ColumnElement[str]:
    """SQL for the local calendar date (``YYYY-MM-DD`` text) of a stored UTC instant."""
    tz = services_of(session).settings.timezone
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone(tz, column), "YYYY-MM-DD")
    # SQLite stores naive UTC text; the centre's zone has a fixed offset (China has no summer time)
    minutes = int((ZoneInfo(tz).utcoffset(datetime(2000, 1, 1)) or timedelta()).total_seconds() // 60)
    return func.date(column, f"{minutes:+d} minutes")


def _items() -> ColumnElement[bool]:
    return or_(ProcessInstance.item_kind.is_(None), ProcessInstance.item_kind.not_in(NOT_ITEMS))


def _in(column: Any, start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(column >= start, column < end)


# --- the one definition of each item figure: the dashboard's tiles and tables, the trend, the CSVs and the
# 月报 all count with these (issue 21.4) ---------------------------------------------------------------


def accepted_in(start: datetime, end: datetime) -> list[ColumnElement[bool]]:
    """受理: items started in ``[start, end)``."""
    return [_in(ProcessInstance.started_at, start, end), _items()]


def completed_in(start: datetime, end: datetime) -> list[ColumnElement[bool]]:
    """办结: items that ended ``completed`` in ``[start, end)``."""
    return [
        ProcessInstance.status == InstanceStatus.COMPLETED,
        _in(ProcessInstance.ended_at, start, end),
        _items(),
    ]


def completed_late() -> ColumnElement[bool]:
    """超期办结 (of the completed items): ended after the promised deadline."""
    return and_(
        ProcessInstance.deadline.is_not(None), late_clause(ProcessInstance.ended_at, ProcessInstance.deadline)
    )


@dataclass
class WindowFigures:
    """One row of the dashboard: a window's figures in a period."""

    window: str
    name: str
    accepted: int = 0
    completed: int = 0
    on_time: int = 0
    overdue_completed: int = 0
    overdue_now: int = 0
    working_days_total: int = 0  # sum over completed items, for the average
    working_days_known: int = 0  # completed items whose working days could be counted
    deemed_assents: int = 0
    extensions: int = 0
    extension_days: int = 0
    complaints: dict[str, int] = field(default_factory=dict)
    complaints_verified: int = 0
    ratings: dict[str, int] = field(default_factory=dict)
    warnings: dict[str, int] = field(default_factory=dict)
    warnings_open: int = 0
    points: float = 0  # 考核 points under the window scheme in force (score − full score; assessment_schemes)
    assessed: bool | None = None  # whether that scheme assesses the window; None: no window scheme in force

    @property
    def on_time_rate(self) -> float | None:
        """Share of completed items finished on time (None when nothing was completed)."""
        return self.on_time / self.completed if self.completed else None

    @property
    def average_working_days(self) -> float | None:
        return self.working_days_total / self.working_days_known if self.working_days_known else None

    @property
    def complaints_total(self) -> int:
        return sum(self.complaints.values())

    @property
    def ratings_total(self) -> int:
        return sum(self.ratings.values())

    def add(self, other: WindowFigures) -> None:
        """Add ``other``'s counts into this row (for the totals row)."""
        for name in ("accepted", "completed", "on_time", "overdue_completed", "overdue_now",
                     "working_days_total", "working_days_known", "deemed_assents", "extensions",
                     "extension_days", "complaints_verified", "warnings_open", "points"):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("complaints", "ratings", "warnings"):
            mine: dict[str, int] = getattr(self, name)
            for key, value in getattr(other, name).items():
                mine[key] = mine.get(key, 0) + value


@dataclass
class Dashboard:
    """Figures of a period: one row per window (``rows``) and the sum of them (``total``)."""

    period: Period
    rows: list[WindowFigures]
    total: WindowFigures
    computed_at: datetime


def _window_names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(Window.code, Window.name).order_by(Window.code)).all())


def window_figures(session: Session, p: Period, window: str | None = None) -> Dashboard:
    """Every figure of the dashboard for ``p``, per window (or for ``window`` only)."""
    from runner.supervision.assessment_schemes.report import window_points

    start, end = bounds(session, p)
    now = services_of(session).now()
    names = _window_names(session)
    if window is not None and window not in names:
        raise InvalidInput(f"没有这个窗口 {window} (unknown window)", field="window")
    rows: dict[str, WindowFigures] = {}

    def row(code: str | None) -> WindowFigures | None:
        if window is not None and code != window:
            return None
        key = code or NO_LEAD_WINDOW  # an item naming no lead window is counted in a row of its own
        if key not in rows:
            rows[key] = WindowFigures(key, names.get(key, key) if key else NO_LEAD_NAME)
        return rows[key]

    for code in [window] if window else [c for c in names]:
        row(code)
    lead = ProcessInstance.lead_window
    scope = [lead == window] if window else []

    for code, n in session.execute(
        select(lead, func.count()).where(*accepted_in(start, end), *scope).group_by(lead)
    ):
        if (r := row(code)) is not None:
            r.accepted = n

    late = completed_late()
    completed = and_(*completed_in(start, end))
    for code, n, n_late in session.execute(
        select(lead, func.count(), func.sum(case((late, 1), else_=0))).where(completed, *scope).group_by(lead)
    ):
        if (r := row(code)) is not None:
            r.completed, r.overdue_completed = n, int(n_late or 0)
            r.on_time = n - r.overdue_completed

    open_statuses = [*ACTIVE_STATUSES, InstanceStatus.SUSPENDED]
    for code, n in session.execute(
        select(lead, func.count()).where(
            ProcessInstance.status.in_(open_statuses), past_deadline_clause(ProcessInstance.deadline, now),
            ProcessInstance.paused_since.is_(None), _items(), *scope,
        ).group_by(lead)
    ):  # fmt: skip
        if (r := row(code)) is not None:
            r.overdue_now = n

    _working_days(session, completed, scope, row)
    _accountability(session, start, end, window, row)
    _extensions(session, start, end, scope, row)
    _complaints(session, start, end, window, row)
    _ratings(session, start, end, window, row)
    _warnings(session, start, end, window, row)

    points = window_points(session, p.start, p.end)
    for r in rows.values():
        if points is not None:
            r.assessed = r.window in points
            r.points = points.get(r.window, 0)

    ordered = sorted(rows.values(), key=lambda r: (not r.window, r.window))  # the no-lead row last
    total = WindowFigures("", "合计", assessed=None if points is None else True)
    for r in ordered:
        total.add(r)
    return Dashboard(p, ordered, total, now)


def _working_days(session: Session, completed: Any, scope: list[Any], row: Any) -> None:
    """Per (window, start day, end day) group: working days between, times the group's size."""
    lead = ProcessInstance.lead_window
    started = local_day(session, ProcessInstance.started_at)
    ended = local_day(session, ProcessInstance.ended_at)
    cal = _calendar(session)
    counter = WorkdayCounter(cal)
    for code, a, b, n in session.execute(
        select(lead, started, ended, func.count()).where(completed, *scope).group_by(lead, started, ended)
    ):
        r = row(code)
        if r is None:
            continue
        days = counter.between(date.fromisoformat(a), date.fromisoformat(b))
        if days is not None:
            r.working_days_total += days * n
            r.working_days_known += n


def _accountability(session: Session, start: datetime, end: datetime, window: str | None, row: Any) -> None:
    rec = AccountabilityRecord
    query = select(rec.window, func.count()).where(
        rec.kind == "deemed_assent", _in(rec.recorded_at, start, end)
    )
    if window:
        query = query.where(rec.window == window)
    for code, n in session.execute(query.group_by(rec.window)):
        if (r := row(code)) is not None:
            r.deemed_assents = n


def _extensions(session: Session, start: datetime, end: datetime, scope: list[Any], row: Any) -> None:
    lead = ProcessInstance.lead_window
    query = (
        select(lead, func.count(), func.sum(Extension.days))
        .join(ProcessInstance, ProcessInstance.id == Extension.instance_id)
        .where(_in(Extension.created_at, start, end), *scope)
        .group_by(lead)
    )
    for code, n, days in session.execute(query):
        if (r := row(code)) is not None:
            r.extensions, r.extension_days = n, int(days or 0)


def _complaints(session: Session, start: datetime, end: datetime, window: str | None, row: Any) -> None:
    verified = func.sum(case((Complaint.verified.is_(True), 1), else_=0))
    query = select(Complaint.window, Complaint.state, func.count(), verified).where(
        _in(Complaint.created_at, start, end)
    )
    if window:
        query = query.where(Complaint.window == window)
    for code, state, n, n_verified in session.execute(query.group_by(Complaint.window, Complaint.state)):
        if (r := row(code)) is not None:
            r.complaints[state] = r.complaints.get(state, 0) + n
            r.complaints_verified += int(n_verified or 0)


def _ratings(session: Session, start: datetime, end: datetime, window: str | None, row: Any) -> None:
    # a rating belongs to the window at fault its rectification names, else to the window rated
    # (as in runner.supervision.rating_figures)
    owner = func.coalesce(Rectification.window, Rating.window)
    query = (
        select(owner, Rating.level, func.count())
        .outerjoin(Rectification, Rectification.rating_id == Rating.id)
        .where(_in(Rating.created_at, start, end), *([owner == window] if window else []))
        .group_by(owner, Rating.level)
    )
    for code, level, n in session.execute(query):
        if (r := row(code)) is not None:
            r.ratings[level] = n


def _warnings(session: Session, start: datetime, end: datetime, window: str | None, row: Any) -> None:
    w = WarningEvent
    still_open = func.sum(case((w.acknowledged_at.is_(None), 1), else_=0))
    query = select(w.window, w.level, func.count(), still_open).where(_in(w.created_at, start, end))
    if window:
        query = query.where(w.window == window)
    for code, level, n, n_open in session.execute(query.group_by(w.window, w.level)):
        if (r := row(code)) is not None:
            r.warnings[level] = n
            r.warnings_open += int(n_open or 0)


# --- monthly trend -------------------------------------------------------------------------------


@dataclass
class MonthFigures:
    """One point of the trend line."""

    month: str  # YYYY-MM
    accepted: int = 0
    completed: int = 0
    overdue_completed: int = 0
    deemed_assents: int = 0

    @property
    def on_time_rate(self) -> float | None:
        done = self.completed
        return (done - self.overdue_completed) / done if done else None


def month_starts(last: date, months: int) -> list[date]:
    """The first days of the ``months`` months ending with ``last``'s month, oldest first."""
    if months < 1:
        raise InvalidInput("月份数须为正 (months must be positive)", field="months")
    year, month = last.year, last.month
    out: list[date] = []
    for _ in range(months):
        out.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out[::-1]


def monthly_trend(
    session: Session, last: date, months: int = 12, window: str | None = None
) -> list[MonthFigures]:
    """Accepted, completed, late-completed items and deemed assents per month (grouped by day in SQL)."""
    firsts = month_starts(last, months)
    p = Period("range", firsts[0], _month_end(last), "")
    start, end = bounds(session, p)
    points = {d.strftime("%Y-%m"): MonthFigures(d.strftime("%Y-%m")) for d in firsts}
    lead = ProcessInstance.lead_window
    scope = [lead == window] if window else []

    def add(rows: Iterable[Any], attr: str) -> None:
        for day, n in rows:
            point = points.get(str(day)[:7])
            if point is not None:
                setattr(point, attr, getattr(point, attr) + int(n or 0))

    day = local_day(session, ProcessInstance.started_at)
    add(session.execute(
        select(day, func.count()).where(*accepted_in(start, end), *scope).group_by(day)
    ), "accepted")  # fmt: skip
    day = local_day(session, ProcessInstance.ended_at)
    late = completed_late()
    rows = list(session.execute(
        select(day, func.count(), func.sum(case((late, 1), else_=0))).where(*completed_in(start, end), *scope)
        .group_by(day)
    ))  # fmt: skip
    add(((d, n) for d, n, _ in rows), "completed")
    add(((d, n_late) for d, _, n_late in rows), "overdue_completed")
    rec = AccountabilityRecord
    day = local_day(session, rec.recorded_at)
    query = select(day, func.count()).where(rec.kind == "deemed_assent", _in(rec.recorded_at, start, end))
    if window:
        query = query.where(rec.window == window)
    add(session.execute(query.group_by(day)), "deemed_assents")
    return list(points.values())


# --- keeping derived rows current -----------------------------------------------------------------


def refresh_complaints(session: Session) -> int:
    """Bring every complaint not yet closed in line with its handling process (state, verified)."""
    from runner.applicants.service import sync_complaint

    ids = list(session.scalars(select(Complaint.id).where(Complaint.state != "closed")))
    for complaint_id in ids:
        sync_complaint(session, complaint_id)
    return len(ids)


def calendar_alarm(session: Session) -> str | None:
    """The holiday-data horizon alarm for today (None when next year's data is there or not due yet)."""
    cal = _calendar(session)
    services = services_of(session)
    return cal.horizon_alarm(cal.local_date(services.now()), services.settings.alarm_from())


def deemed_assents(
    session: Session, p: Period, window: str | None = None, *, limit: int = 500
) -> list[dict[str, Any]]:
    """The deemed assents (默认议定) recorded in ``p``, newest first, with the item they belong to."""
    start, end = bounds(session, p)
    rec = AccountabilityRecord
    query = (
        select(rec, ProcessInstance.business_key, ProcessInstance.title)
        .join(ProcessInstance, ProcessInstance.id == rec.instance_id)
        .where(rec.kind == "deemed_assent", _in(rec.recorded_at, start, end))
        .order_by(rec.recorded_at.desc(), rec.id.desc())
        .limit(limit)
    )
    if window:
        query = query.where(rec.window == window)
    return [
        {
            "id": r.id, "window": r.window, "rule": r.rule, "task_name": r.task_name,
            "recorded_at": r.recorded_at, "business_key": key, "title": title,
            "note": (r.detail or {}).get("note", ""),
        }
        for r, key, title in session.execute(query)
    ]  # fmt: skip


__all__ = [
    "COMPLAINT_STATES",
    "PERIOD_KINDS",
    "RATING_LEVELS",
    "WARNING_LEVELS",
    "Dashboard",
    "MonthFigures",
    "Period",
    "WindowFigures",
    "bounds",
    "calendar_alarm",
    "check_year",
    "deemed_assents",
    "monthly_trend",
    "period",
    "refresh_complaints",
    "window_figures",
]

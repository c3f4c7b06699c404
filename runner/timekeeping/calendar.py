"""The one business calendar: working days in mainland China (工作日), deadlines and warnings.

A year is *known* when its arrangement was imported (``HolidayArrangement``: the State Council's notice as
data, weekends implied — ``runner.timekeeping.arrangements``) or ``chinesecalendar`` has it. Local overrides
(``CalendarOverride`` rows) win over both, an imported arrangement wins over the package. A date none of them
covers raises ``CalendarDataMissing`` naming the year it waits for: the calendar never guesses.

Counting follows 行政许可法 §82 and common practice: the day a period starts is not counted
(期限开始之日不计算在内); a deadline is the end (23:59:59 local) of its last working day. Whether an act is
late against a deadline is ``is_late`` (in SQL ``late_clause`` / ``past_deadline_clause``): anything done on the
deadline's local day is in time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

import chinese_calendar
from sqlalchemy import select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from runner.exceptions import CalendarDataMissing
from runner.models import CalendarOverride

__all__ = [
    "BusinessCalendar",
    "calendar_for",
    "deadline_over_at",
    "first_supported_year",
    "is_late",
    "last_supported_year",
    "load_overrides",
    "late_clause",
    "missing_year_of",
    "past_deadline_clause",
    "pending_note",
]

DEFAULT_TZ = "Asia/Shanghai"
# from this day of the year (month, day) until next year is known, the console alarms (notices arrive around
# November); ``BANJIAN_CALENDAR_ALARM_FROM``
DEFAULT_ALARM_FROM = (11, 1)
PENDING_NOTE = "待 {year} 年节假日安排公布后确定"
PENDING_NOTE_EN = "to be set once the {year} holiday arrangement is published"
_ONE_DAY = timedelta(days=1)
# a deadline is stored as 23:59:59 local of its day; the day is over one second later, at the next local midnight
_DAY_OVER_AFTER = timedelta(seconds=1)


def deadline_over_at(deadline: datetime) -> datetime:
    """The instant a deadline's day is over (the next local midnight): from then on, an act is late."""
    return deadline + _DAY_OVER_AFTER


def is_late(at: datetime, deadline: datetime) -> bool:
    """Whether an act at ``at`` is late against ``deadline``: anything done on the deadline's local day (up to
    23:59:59.999…) is in time, from the next local midnight on it is late. The one rule for every check."""
    return _aware(at, "at") >= deadline_over_at(_aware(deadline, "deadline"))


class _DayOverAt(FunctionElement[datetime]):
    """SQL for ``deadline_over_at`` of a stored deadline column."""

    inherit_cache = True
    name = "day_over_at"


@compiles(_DayOverAt, "postgresql")
def _day_over_at_pg(element: _DayOverAt, compiler: SQLCompiler, **kw: object) -> str:
    return f"({compiler.process(element.clauses, **kw)} + interval '1 second')"


@compiles(_DayOverAt)
def _day_over_at_text(element: _DayOverAt, compiler: SQLCompiler, **kw: object) -> str:
    # SQLite keeps naive UTC text ("YYYY-MM-DD HH:MM:SS.ffffff"); datetime() gives "YYYY-MM-DD HH:MM:SS", which
    # compares as text against it correctly to the sub-second ("…16:00:00" <= "…16:00:00.000000")
    return f"datetime({compiler.process(element.clauses, **kw)}, '+1 second')"


def late_clause(at: ColumnElement[datetime], deadline: ColumnElement[datetime]) -> ColumnElement[bool]:
    """SQL for ``is_late`` of two stored instants (PostgreSQL and SQLite); NULLs are never late."""
    return at >= _DayOverAt(deadline)


def past_deadline_clause(deadline: ColumnElement[datetime], now: datetime) -> ColumnElement[bool]:
    """SQL for "``now`` is late against the stored ``deadline``" (``is_late(now, deadline)``), index friendly."""
    return deadline <= _aware(now, "now") - _DAY_OVER_AFTER


@cache
def first_supported_year() -> int:
    """First year the installed ``chinesecalendar`` has holiday data for."""
    return min(d.year for d in (*chinese_calendar.holidays, *chinese_calendar.workdays))


@cache
def last_supported_year() -> int:
    """Last year the installed ``chinesecalendar`` has holiday data for (the latest published notice)."""
    return max(d.year for d in (*chinese_calendar.holidays, *chinese_calendar.workdays))


def _national_supports(year: int) -> bool:
    return first_supported_year() <= year <= last_supported_year()


def _plain_date(d: date) -> date:
    """Refuse datetimes: they must go through ``local_date`` so the time zone is applied."""
    if isinstance(d, datetime):
        raise TypeError("expected a date, got a datetime; use BusinessCalendar.local_date() first")
    return d


def _aware(dt: datetime, name: str) -> datetime:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {dt.isoformat()}")
    return dt


class BusinessCalendar:
    """Working days for mainland China: imported arrangements and ``chinesecalendar``, plus local overrides,
    in one local time zone."""

    def __init__(
        self,
        overrides: Mapping[date, bool] | None = None,
        tz: str = DEFAULT_TZ,
        arrangements: Mapping[int, Mapping[date, bool]] | None = None,
    ) -> None:
        cleaned: dict[date, bool] = {}
        for day, is_workday in (overrides or {}).items():
            cleaned[_plain_date(day)] = bool(is_workday)
        self.overrides: Mapping[date, bool] = MappingProxyType(cleaned)
        self.arranged_years: frozenset[int] = frozenset(arrangements or {})
        listed: dict[date, bool] = {}
        # a day listed by two arrangements (a New Year range reaching back into December): its own year's wins
        for year in sorted(arrangements or {}, key=lambda y: -y):
            for day, is_workday in (arrangements or {})[year].items():
                if day not in listed or day.year == year:
                    listed[_plain_date(day)] = bool(is_workday)
        self.arranged_days: Mapping[date, bool] = MappingProxyType(listed)
        self.tz_name = tz
        self.tz = ZoneInfo(tz)
        self._memo: dict[date, bool] = {}

    def __repr__(self) -> str:
        years = ",".join(str(y) for y in sorted(self.arranged_years))
        return f"BusinessCalendar(overrides={len(self.overrides)}, arranged=[{years}], tz={self.tz_name!r})"

    # ---- days ---------------------------------------------------------------------------------

    def is_supported(self, d: date) -> bool:
        """True when ``d`` is covered by an override, a listed day of an arrangement or a known year."""
        d = _plain_date(d)
        return d in self.overrides or d in self.arranged_days or self.supports_year(d.year)

    def supports_year(self, year: int) -> bool:
        """True when ``year`` is known: its arrangement was imported, or ``chinesecalendar`` has it (a year
        is known as a whole; local overrides of single days do not make it known)."""
        return year in self.arranged_years or _national_supports(year)

    def known_until(self, d: date) -> date | None:
        """The last day of the run of known years from ``d``'s year on (None when that year is unknown)."""
        year = _plain_date(d).year
        if not self.supports_year(year):
            return None
        while self.supports_year(year + 1):
            year += 1
        return date(year, 12, 31)

    def is_workday(self, d: date) -> bool:
        """Whether ``d`` is a working day; raises ``CalendarDataMissing`` beyond the known data."""
        d = _plain_date(d)
        known = self._memo.get(d)
        if known is not None:
            return known
        if d in self.overrides:
            result = self.overrides[d]
        elif d in self.arranged_days:
            result = self.arranged_days[d]
        elif d.year in self.arranged_years:
            result = d.weekday() < 5  # weekends implied: Saturday and Sunday off unless listed as 班
        else:
            try:
                result = bool(chinese_calendar.is_workday(d))
            except NotImplementedError as exc:
                raise self._missing(d) from exc
        self._memo[d] = result
        return result

    def _missing(self, d: date) -> CalendarDataMissing:
        first, last = first_supported_year(), last_supported_year()
        return CalendarDataMissing(
            f"日历数据缺失：{d.isoformat()} 所在的 {d.year} 年节假日安排尚未录入"
            f"（chinesecalendar 数据为 {first}–{last} 年），系统不推测工作日；"
            f"请在“工作日调整”中导入 {d.year} 年的放假安排。"
            f" / Calendar data missing: the {d.year} holiday arrangement is not known yet "
            f"(chinesecalendar covers {first}-{last}); {d.isoformat()} is not guessed. "
            f"Import the {d.year} arrangement (console: calendar, or python -m runner.cli calendar-import).",
            day=d.isoformat(),
            year=d.year,
            first_supported_year=first,
            last_supported_year=last,
        )

    def add_workdays(self, d: date, n: int) -> date:
        """The n-th working day strictly after ``d`` (before it when n < 0); ``d`` itself when n == 0."""
        day = _plain_date(d)
        step = _ONE_DAY if n > 0 else -_ONE_DAY
        remaining = abs(n)
        while remaining:
            day += step
            if self.is_workday(day):
                remaining -= 1
        return day

    def workdays_between(self, a: date, b: date) -> int:
        """Number of working days in (a, b]; 0 when b <= a."""
        a, b = _plain_date(a), _plain_date(b)
        count = 0
        day = a + _ONE_DAY
        while day <= b:
            if self.is_workday(day):
                count += 1
            day += _ONE_DAY
        return count

    def _workday_set(self, a: date, b: date) -> set[date]:
        """The working days in (a, b] as a set."""
        days: set[date] = set()
        day = a + _ONE_DAY
        while day <= b:
            if self.is_workday(day):
                days.add(day)
            day += _ONE_DAY
        return days

    # ---- local time ---------------------------------------------------------------------------

    def local_date(self, dt: datetime) -> date:
        """The calendar date of an aware ``dt`` in the calendar's time zone."""
        return _aware(dt, "dt").astimezone(self.tz).date()

    def start_of_day(self, d: date) -> datetime:
        """Local 00:00:00 of ``d`` as an aware UTC datetime."""
        return datetime.combine(_plain_date(d), time(0, 0, 0), tzinfo=self.tz).astimezone(UTC)

    def end_of_day(self, d: date) -> datetime:
        """Local 23:59:59 of ``d`` as an aware UTC datetime."""
        return datetime.combine(_plain_date(d), time(23, 59, 59), tzinfo=self.tz).astimezone(UTC)

    def day_over_at(self, d: date) -> datetime:
        """The instant ``d`` is over as a deadline day (the next local midnight, ``deadline_over_at``):
        when a judgement of lateness against ``d`` (a 黄牌/红牌, an expired window) falls due."""
        return deadline_over_at(self.end_of_day(d))

    def date_text(self, moment: datetime | None, pending_year: int | None = None) -> str:
        """A stored time as people read it: its local date ("2026-12-31"), the pending note, or "—"."""
        if moment is not None:
            return self.local_date(moment).isoformat()
        return pending_note(pending_year) or "—"

    # ---- deadlines ----------------------------------------------------------------------------

    def last_day_of(self, end: datetime) -> date:
        """The last local day a span ending at ``end`` covers: the day before when it ends at local midnight."""
        day = self.local_date(end)
        return day - _ONE_DAY if _aware(end, "end") == self.start_of_day(day) else day

    def paused_workdays(
        self, pauses: Iterable[tuple[datetime, datetime | None]], now: datetime | None = None
    ) -> int:
        """Working days covered by pauses: (local start date, local end date] each, open ones until ``now``.

        Overlapping pauses count each working day once (for disjoint pauses this is the plain sum). A pause that
        ends at a local midnight covered none of that day (a timer that falls due when a limit day is over
        resumes the clock then): its last day is the one before.
        """
        days: set[date] = set()
        for pause_start, pause_end in pauses:
            if pause_end is None:
                if now is None:
                    raise ValueError("an open pause (no end) needs `now` to be counted")
                pause_end = now
            if _aware(pause_end, "pause end") < _aware(pause_start, "pause start"):
                raise ValueError(
                    f"pause ends before it starts: {pause_start.isoformat()} > {pause_end.isoformat()}"
                )
            days |= self._workday_set(self.local_date(pause_start), self.last_day_of(pause_end))
        return len(days)

    def deadline(
        self,
        start: datetime,
        n: int,
        pauses: Iterable[tuple[datetime, datetime | None]] = (),
        now: datetime | None = None,
    ) -> datetime:
        """End of the n-th working day after ``start``'s local date, moved later by paused working days."""
        if n < 0:
            raise ValueError(f"a time limit cannot be negative: {n}")
        due = self.add_workdays(self.local_date(start), n)
        due = self.add_workdays(due, self.paused_workdays(pauses, now))
        return self.end_of_day(due)

    def warning_at(self, deadline: datetime, days: int = 1) -> datetime:
        """Local 00:00 (as UTC) of the working day ``days`` working days before the deadline's date."""
        if days < 0:
            raise ValueError(f"warning days cannot be negative: {days}")
        return self.start_of_day(self.add_workdays(self.local_date(deadline), -days))

    def overdue_workdays(self, deadline: datetime, when: datetime) -> int:
        """Working days from the deadline's local date to ``when``'s (0 if ``when`` is not late, ``is_late``)."""
        if not is_late(when, deadline):
            return 0
        return self.workdays_between(self.local_date(deadline), self.local_date(when))

    # ---- data horizon -------------------------------------------------------------------------

    def last_supported_year(self) -> int:
        """Last year of the national data (overrides beyond it do not change this)."""
        return last_supported_year()

    def missing_year(self, today: date, alarm_from: tuple[int, int] = DEFAULT_ALARM_FROM) -> int | None:
        """The year whose arrangement is missing and due: this year if unknown, else next year from
        ``alarm_from`` (month, day) on; None when nothing is missing yet."""
        today = _plain_date(today)
        if not self.supports_year(today.year):
            return today.year
        if (today.month, today.day) >= tuple(alarm_from) and not self.supports_year(today.year + 1):
            return today.year + 1
        return None

    def horizon_alarm(self, today: date, alarm_from: tuple[int, int] = DEFAULT_ALARM_FROM) -> str | None:
        """The alarm text while a year's arrangement is missing (``missing_year``), else None."""
        year = self.missing_year(today, alarm_from)
        if year is None:
            return None
        last = last_supported_year()
        if year == _plain_date(today).year:
            return (
                f"严重：今年（{year} 年）的节假日安排尚未录入，本年的工作日期限均为“待定”。"
                f"请立即在“工作日调整 → 导入年度安排”中导入 {year} 年放假安排。"
                f" / CRITICAL: this year's ({year}) holiday arrangement is missing; working-day deadlines of"
                f" {year} stay pending. Import the {year} arrangement now (console: calendar → import a year)."
            )
        return (
            f"提醒：{year} 年的节假日安排尚未录入（chinesecalendar 数据截至 {last} 年），"
            f"跨入 {year} 年的期限暂为“待定”。国务院通知发布后，请在“工作日调整 → 导入年度安排”中"
            f"粘贴或上传放假安排（或运行 python -m runner.cli calendar-import FILE），待定期限将自动计算。"
            f" / The {year} holiday arrangement is missing (chinesecalendar ends with {last}); deadlines"
            f" reaching into {year} are pending. Once the State Council notice is out, import it"
            f" (console: calendar → import a year, or python -m runner.cli calendar-import FILE):"
            f" every pending deadline is then computed."
        )


def pending_note(year: int | None, lang: str = "zh") -> str:
    """How a date that waits for ``year``'s arrangement is shown ("待 2027 年节假日安排公布后确定")."""
    if year is None:
        return ""
    return (PENDING_NOTE_EN if lang == "en" else PENDING_NOTE).format(year=year)


def missing_year_of(exc: CalendarDataMissing) -> int:
    """The year a ``CalendarDataMissing`` waits for."""
    year = exc.context.get("year")
    if isinstance(year, int):
        return year
    return int(str(exc.context.get("day", "0"))[:4])


def load_overrides(session: Session) -> dict[date, bool]:
    """All local calendar overrides: day -> is it a working day."""
    rows = session.execute(select(CalendarOverride.day, CalendarOverride.is_workday)).all()
    return {day: bool(is_workday) for day, is_workday in rows}


def calendar_for(session: Session, tz: str = DEFAULT_TZ) -> BusinessCalendar:
    """A calendar with the overrides and the arrangements currently stored in the database."""
    from runner.timekeeping.arrangements import load as load_arrangements

    return BusinessCalendar(load_overrides(session), tz, load_arrangements(session))

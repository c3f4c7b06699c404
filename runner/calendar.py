"""The one business calendar: working days in mainland China (工作日), deadlines and warnings.

National data comes from ``chinesecalendar`` (the State Council's yearly holiday notice, weekends and
make-up working days, 调休). Local overrides (``CalendarOverride`` rows) win over it. A date that neither
covers raises ``CalendarDataMissing``: the calendar never guesses (no weekend fallback).

Counting follows 行政许可法 §82 and common practice: the day a period starts is not counted
(期限开始之日不计算在内); a deadline is the end (23:59:59 local) of its last working day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

import chinese_calendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from .exceptions import CalendarDataMissing
from .models import CalendarOverride

__all__ = [
    "BusinessCalendar",
    "calendar_for",
    "first_supported_year",
    "last_supported_year",
    "load_overrides",
]

DEFAULT_TZ = "Asia/Shanghai"
ALARM_FROM_MONTH = 10  # from October on, next year's data must be there (notices arrive around November)
_ONE_DAY = timedelta(days=1)


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
    """Working days for mainland China plus local overrides, in one local time zone."""

    def __init__(self, overrides: Mapping[date, bool] | None = None, tz: str = DEFAULT_TZ) -> None:
        cleaned: dict[date, bool] = {}
        for day, is_workday in (overrides or {}).items():
            cleaned[_plain_date(day)] = bool(is_workday)
        self.overrides: Mapping[date, bool] = MappingProxyType(cleaned)
        self.tz_name = tz
        self.tz = ZoneInfo(tz)
        self._memo: dict[date, bool] = {}

    def __repr__(self) -> str:
        return f"BusinessCalendar(overrides={len(self.overrides)}, tz={self.tz_name!r})"

    # ---- days ---------------------------------------------------------------------------------

    def is_supported(self, d: date) -> bool:
        """True when ``d`` is covered by an override or by the national data."""
        d = _plain_date(d)
        return d in self.overrides or _national_supports(d.year)

    def supports_year(self, year: int) -> bool:
        """True when every day of ``year`` is covered (national data, or overrides for all its days)."""
        if _national_supports(year):
            return True
        day, end = date(year, 1, 1), date(year, 12, 31)
        while day <= end:
            if day not in self.overrides:
                return False
            day += _ONE_DAY
        return True

    def is_workday(self, d: date) -> bool:
        """Whether ``d`` is a working day; raises ``CalendarDataMissing`` beyond the known data."""
        d = _plain_date(d)
        known = self._memo.get(d)
        if known is not None:
            return known
        if d in self.overrides:
            result = self.overrides[d]
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
            f"日历数据缺失：{d.isoformat()} 不在已发布的节假日安排内"
            f"（chinesecalendar 数据为 {first}–{last} 年），系统不推测工作日，"
            f"请升级 chinesecalendar 或在本地日历中补录。"
            f" / Calendar data missing: {d.isoformat()} is outside the published holiday data "
            f"(years {first}-{last}, last supported year {last}); refusing to guess. "
            f"Upgrade chinesecalendar or enter local calendar overrides.",
            day=d.isoformat(),
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

    # ---- deadlines ----------------------------------------------------------------------------

    def paused_workdays(
        self, pauses: Iterable[tuple[datetime, datetime | None]], now: datetime | None = None
    ) -> int:
        """Working days covered by pauses: (local start date, local end date] each, open ones until ``now``.

        Overlapping pauses count each working day once (for disjoint pauses this is the plain sum).
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
            days |= self._workday_set(self.local_date(pause_start), self.local_date(pause_end))
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
        """Working days from the deadline's local date to ``when``'s (0 if ``when`` is not past it)."""
        if _aware(when, "when") <= _aware(deadline, "deadline"):
            return 0
        return self.workdays_between(self.local_date(deadline), self.local_date(when))

    # ---- data horizon -------------------------------------------------------------------------

    def last_supported_year(self) -> int:
        """Last year of the national data (overrides beyond it do not change this)."""
        return last_supported_year()

    def horizon_alarm(self, today: date) -> str | None:
        """A console message when holiday data runs out (this year, or next year from October on)."""
        today = _plain_date(today)
        last = last_supported_year()
        if not self.supports_year(today.year):
            return (
                f"严重：{today.year} 年的法定节假日数据缺失（chinesecalendar 数据截至 {last} 年），"
                f"工作日期限无法计算。请立即升级 chinesecalendar 或补录本地日历。"
                f" / CRITICAL: holiday data for the current year {today.year} is missing"
                f" (data ends with {last}); working-day deadlines cannot be computed."
                f" Upgrade chinesecalendar or enter local overrides now."
            )
        nxt = today.year + 1
        if today.month >= ALARM_FROM_MONTH and not self.supports_year(nxt):
            return (
                f"提醒：{nxt} 年的法定节假日安排尚未录入（chinesecalendar 数据截至 {last} 年），"
                f"跨入 {nxt} 年的期限将无法计算。国务院通知发布后请升级 chinesecalendar 或在本地日历中补录。"
                f" / Holiday data for {nxt} is missing (data ends with {last}); deadlines reaching into {nxt}"
                f" cannot be computed. Once the State Council notice is out, upgrade chinesecalendar"
                f" or enter {nxt}'s schedule as local overrides."
            )
        return None


def load_overrides(session: Session) -> dict[date, bool]:
    """All local calendar overrides: day -> is it a working day."""
    rows = session.execute(select(CalendarOverride.day, CalendarOverride.is_workday)).all()
    return {day: bool(is_workday) for day, is_workday in rows}


def calendar_for(session: Session, tz: str = DEFAULT_TZ) -> BusinessCalendar:
    """A calendar with the overrides currently stored in the database."""
    return BusinessCalendar(load_overrides(session), tz)

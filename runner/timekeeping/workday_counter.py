"""Counting working days between many pairs of dates quickly (the supervision tables and 考核 ask thousands)."""

from __future__ import annotations

from datetime import date, timedelta

from runner.exceptions import CalendarDataMissing
from runner.timekeeping.calendar import BusinessCalendar


class WorkdayCounter:
    """Working days in (a, b] in O(1) per question: a running count over the span asked about so far.

    Thousands of items share a few months of days, so the calendar is walked once per span, not per item.
    """

    def __init__(self, cal: BusinessCalendar) -> None:
        self.cal = cal
        self._first: date | None = None
        self._running: list[int] = []  # _running[i]: working days in [_first, _first + i]

    def _cover(self, a: date, b: date) -> None:
        if (
            self._first is not None
            and self._first <= a
            and b < self._first + timedelta(days=len(self._running))
        ):
            return
        first = min(a, self._first) if self._first is not None else a
        last = max(b, self._first + timedelta(days=len(self._running) - 1)) if self._first is not None else b
        running, count, day = [], 0, first
        while day <= last:
            count += self.cal.is_workday(day)
            running.append(count)
            day += timedelta(days=1)
        self._first, self._running = first, running

    def between(self, a: date, b: date) -> int | None:
        """Working days in (a, b]; 0 when b <= a; None when the holiday data does not cover them."""
        if b <= a:
            return 0
        try:
            self._cover(a, b)
        except CalendarDataMissing:
            return None
        assert self._first is not None
        return self._running[(b - self._first).days] - self._running[(a - self._first).days]

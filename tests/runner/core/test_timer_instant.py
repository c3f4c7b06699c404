"""When a diagram's timer falls due: a date-level deadline once its day is over (as ``is_late``), anything else
at its exact instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from runner.core.spiff.timers import timer_instant
from runner.timekeeping.calendar import is_late

SH = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 10, 8, 1, 0, tzinfo=UTC)
MIDNIGHT = datetime(2026, 10, 8, 16, 0, tzinfo=UTC)  # 00:00 Fri 10-09 Shanghai, the end of Thu 10-08


@pytest.mark.parametrize(
    "value",
    ["2026-10-08T15:59:59+00:00", "2026-10-08T23:59:59+08:00", "2026-10-08"],
    ids=["day-end-utc", "day-end-local", "plain-date"],
)
def test_a_deadline_day_falls_due_when_it_is_over(value: str) -> None:
    due = timer_instant(value, START, SH)
    assert due == MIDNIGHT
    # the instant lateness begins: just before it an act is on time, at it late
    assert not is_late(due - timedelta(microseconds=1), datetime(2026, 10, 8, 15, 59, 59, tzinfo=UTC))
    assert is_late(due, datetime(2026, 10, 8, 15, 59, 59, tzinfo=UTC))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-10-08T15:00:00+08:00", datetime(2026, 10, 8, 7, 0, tzinfo=UTC)),  # a time of day
        ("2026-10-08T23:59:58+08:00", datetime(2026, 10, 8, 15, 59, 58, tzinfo=UTC)),
        ("PT2H", START + timedelta(hours=2)),  # a duration
    ],
)
def test_a_time_of_day_or_a_duration_keeps_its_instant(value: str, expected: datetime) -> None:
    assert timer_instant(value, START, SH) == expected

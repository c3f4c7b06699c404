"""The legal clock at the edges a centre meets: UTC server vs Beijing day, year ends, a leap day, 调休 Saturdays
and pauses over a holiday. Years after 2026 use arrangements written for this test, not official notices."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from runner.exceptions import CalendarDataMissing
from runner.timekeeping.calendar import BusinessCalendar

ARRANGED = {
    2027: {
        date(2027, 1, 1): False,
        **{date(2027, 2, d): False for d in range(6, 13)},
        date(2027, 2, 20): True,
    },
    2028: {date(2028, 1, 1): False},
}
CAL = BusinessCalendar({}, "Asia/Shanghai", ARRANGED)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def day_end(d: date) -> datetime:
    """23:59:59 in Beijing as UTC."""
    return utc(d.year, d.month, d.day, 15, 59, 59)


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (utc(2026, 12, 4, 23, 30), date(2026, 12, 7)),  # Sat 07:30 in Beijing: Monday is the first day
        (utc(2026, 12, 3, 16, 30), date(2026, 12, 7)),  # Fri 00:30 in Beijing: Friday is the day of receipt
        (utc(2026, 12, 3, 15, 59), date(2026, 12, 4)),  # Thu 23:59 in Beijing: Friday is the first day
    ],
)
def test_the_day_of_receipt_is_beijings_and_not_counted(received: datetime, due: date) -> None:
    assert CAL.deadline(received, 1) == day_end(due)


def test_a_deadline_across_the_year_end_waits_for_the_next_years_arrangement() -> None:
    with pytest.raises(CalendarDataMissing) as missing:
        BusinessCalendar({}, "Asia/Shanghai", {}).deadline(utc(2026, 12, 28, 2), 5)
    assert missing.value.context["year"] == 2027
    # 12-29, 12-30, 12-31, (01-01 off) 01-04, 01-05
    assert CAL.deadline(utc(2026, 12, 28, 2), 5) == day_end(date(2027, 1, 5))
    assert CAL.deadline(utc(2027, 12, 28, 2), 5) == day_end(date(2028, 1, 4))


def test_a_leap_day_and_a_makeup_saturday_are_working_days() -> None:
    assert CAL.deadline(utc(2028, 2, 25, 2), 2) == day_end(date(2028, 2, 29))  # Fri → Mon 28, Tue 29
    assert CAL.deadline(utc(2027, 2, 19, 2), 1) == day_end(date(2027, 2, 20))  # Sat 02-20 is worked
    assert CAL.deadline(utc(2027, 2, 5, 2), 1) == day_end(date(2027, 2, 15))  # over the Spring Festival


def test_a_pause_over_new_year_resumed_on_a_sunday_charges_only_its_working_days() -> None:
    pause = [(utc(2026, 12, 30, 2), utc(2027, 1, 3, 2))]  # (12-30, 01-03]: only 12-31 is a working day
    assert CAL.paused_workdays(pause) == 1
    assert CAL.deadline(utc(2026, 12, 21, 2), 10, pause) == day_end(date(2027, 1, 6))


def test_the_notice_fires_at_beijing_midnight_of_the_working_day_before() -> None:
    assert CAL.warning_at(day_end(date(2027, 1, 5))) == utc(2027, 1, 3, 16)  # 01-04 00:00 in Beijing
    assert CAL.warning_at(day_end(date(2027, 2, 15))) == utc(2027, 2, 4, 16)  # before the festival: 02-05

"""The business calendar against hand-written expectations (State Council holiday notice for 2026).

The 2026 notice (国办发明电〔2025〕7号) as checked against chinesecalendar 1.11.0's data:
中秋节 9-25 (Fri) .. 9-27 (Sun) off, no make-up day; 国庆节 10-01 .. 10-07 off (7 days), make-up working
days 9-20 (Sun) and 10-10 (Sat). An issue text claimed National Day 2026 runs 10-01..08: the real data (and
the notice) say 10-01..07; 10-08 is a normal Thursday. The 8-day break 10-01..08 was 2025's, when
Mid-Autumn fell on 10-06.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from runner.exceptions import CalendarDataMissing
from runner.models import Base, CalendarOverride
from runner.timekeeping.calendar import (
    BusinessCalendar,
    calendar_for,
    first_supported_year,
    last_supported_year,
    load_overrides,
)

SH = ZoneInfo("Asia/Shanghai")
LAST = last_supported_year()

W, H = True, False  # working day, day off
# Hand-written from the 2026 notice; weekday names are there to make make-up days easy to see.
AUTUMN_2026: dict[date, bool] = {
    date(2026, 9, 18): W,  # Fri
    date(2026, 9, 19): H,  # Sat
    date(2026, 9, 20): W,  # Sun, make-up working day for National Day (调休上班)
    date(2026, 9, 21): W,  # Mon
    date(2026, 9, 22): W,
    date(2026, 9, 23): W,
    date(2026, 9, 24): W,  # Thu
    date(2026, 9, 25): H,  # Fri, 中秋节
    date(2026, 9, 26): H,  # Sat
    date(2026, 9, 27): H,  # Sun
    date(2026, 9, 28): W,  # Mon
    date(2026, 9, 29): W,
    date(2026, 9, 30): W,  # Wed
    date(2026, 10, 1): H,  # Thu, 国庆节
    date(2026, 10, 2): H,
    date(2026, 10, 3): H,
    date(2026, 10, 4): H,
    date(2026, 10, 5): H,
    date(2026, 10, 6): H,
    date(2026, 10, 7): H,  # Wed, last day off
    date(2026, 10, 8): W,  # Thu, back to work (not a holiday, despite the claim)
    date(2026, 10, 9): W,  # Fri
    date(2026, 10, 10): W,  # Sat, make-up working day (调休上班)
    date(2026, 10, 11): H,  # Sun
    date(2026, 10, 12): W,  # Mon
    date(2026, 10, 13): W,
    date(2026, 10, 14): W,
    date(2026, 10, 15): W,
    date(2026, 10, 16): W,  # Fri
    date(2026, 10, 17): H,  # Sat
    date(2026, 10, 18): H,  # Sun
    date(2026, 10, 19): W,  # Mon
}


def local(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    """An aware Asia/Shanghai datetime."""
    return datetime(y, m, d, hh, mm, tzinfo=SH)


def utc(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=UTC)


@pytest.fixture
def cal() -> BusinessCalendar:
    return BusinessCalendar()


def full_year(year: int) -> dict[date, bool]:
    """Overrides for every day of ``year`` (plain Mon-Fri weeks): a centre entering a schedule by hand."""
    day, out = date(year, 1, 1), {}
    while day.year == year:
        out[day] = day.weekday() < 5
        day += timedelta(days=1)
    return out


# ---- the national data ---------------------------------------------------------------------------


def test_library_data_autumn_2026_printed(capsys: pytest.CaptureFixture[str]) -> None:
    day = date(2026, 9, 15)
    while day <= date(2026, 10, 20):
        print(
            day,
            day.strftime("%a"),
            chinese_calendar.is_workday(day),
            chinese_calendar.get_holiday_detail(day),
        )
        day += timedelta(days=1)
    assert "2026-10-10 Sat True" in capsys.readouterr().out


def test_autumn_2026_matches_the_notice_day_by_day(cal: BusinessCalendar) -> None:
    mismatches = {
        d: cal.is_workday(d) for d, expected in AUTUMN_2026.items() if cal.is_workday(d) != expected
    }
    assert mismatches == {}
    # and the table covers every day of the range
    assert len(AUTUMN_2026) == (date(2026, 10, 19) - date(2026, 9, 18)).days + 1


def test_supported_years_come_from_the_package() -> None:
    assert first_supported_year() == 2004
    assert LAST >= 2026
    assert BusinessCalendar().last_supported_year() == LAST


def test_is_workday_is_memoised(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[date] = []
    real = chinese_calendar.is_workday

    def counting(d: date) -> bool:
        calls.append(d)
        return bool(real(d))

    monkeypatch.setattr(chinese_calendar, "is_workday", counting)
    c = BusinessCalendar()
    for _ in range(5):
        assert c.is_workday(date(2026, 10, 10)) is True
    assert calls == [date(2026, 10, 10)]


def test_datetime_is_refused_as_a_date(cal: BusinessCalendar) -> None:
    with pytest.raises(TypeError):
        cal.is_workday(datetime(2026, 10, 8, 10, tzinfo=SH))


# ---- counting ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 9, 29), 3, date(2026, 10, 9)),  # 9-30, (holiday), 10-08, 10-09
        (date(2026, 9, 29), 4, date(2026, 10, 10)),  # the make-up Saturday counts
        (date(2026, 9, 30), 1, date(2026, 10, 8)),  # straight over National Day
        (date(2026, 9, 24), 1, date(2026, 9, 28)),  # over Mid-Autumn + its weekend
        (date(2026, 10, 16), 1, date(2026, 10, 19)),  # plain weekend
        (date(2026, 10, 16), 2, date(2026, 10, 20)),
        (date(2026, 9, 18), 1, date(2026, 9, 20)),  # make-up Sunday counts
        (date(2026, 10, 3), 1, date(2026, 10, 8)),  # start inside the holiday
        (date(2026, 9, 21), 10, date(2026, 10, 12)),
        (date(2026, 10, 3), 0, date(2026, 10, 3)),  # n == 0: the day itself, even a holiday
        (date(2026, 10, 8), 0, date(2026, 10, 8)),
        (date(2026, 10, 8), -1, date(2026, 9, 30)),  # backwards over National Day
        (date(2026, 10, 12), -1, date(2026, 10, 10)),  # backwards onto the make-up Saturday
        (date(2026, 10, 12), -2, date(2026, 10, 9)),
        (date(2026, 9, 28), -1, date(2026, 9, 24)),
        (date(2026, 9, 21), -1, date(2026, 9, 20)),
    ],
)
def test_add_workdays(cal: BusinessCalendar, start: date, n: int, expected: date) -> None:
    assert cal.add_workdays(start, n) == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (date(2026, 9, 30), date(2026, 10, 8), 1),
        (date(2026, 9, 30), date(2026, 10, 7), 0),
        (date(2026, 9, 24), date(2026, 10, 12), 7),  # 9-28, 29, 30, 10-08, 09, 10, 12
        (date(2026, 10, 9), date(2026, 10, 12), 2),  # make-up Sat 10-10 and Mon 10-12
        (date(2026, 10, 16), date(2026, 10, 19), 1),  # plain weekend
        (date(2026, 9, 19), date(2026, 9, 20), 1),  # make-up Sunday
        (date(2026, 10, 8), date(2026, 10, 8), 0),
        (date(2026, 10, 12), date(2026, 10, 8), 0),  # b before a
    ],
)
def test_workdays_between(cal: BusinessCalendar, a: date, b: date, expected: int) -> None:
    assert cal.workdays_between(a, b) == expected


def test_add_and_between_agree(cal: BusinessCalendar) -> None:
    start = date(2026, 9, 15)
    for n in range(0, 25):
        assert cal.workdays_between(start, cal.add_workdays(start, n)) == n


# ---- local time ----------------------------------------------------------------------------------


def test_local_date_and_day_bounds_in_shanghai(cal: BusinessCalendar) -> None:
    assert cal.local_date(utc(2026, 9, 30, 16, 30)) == date(2026, 10, 1)  # 00:30 in Beijing
    assert cal.local_date(utc(2026, 9, 30, 15, 59)) == date(2026, 9, 30)
    assert cal.end_of_day(date(2026, 10, 1)) == utc(2026, 10, 1, 15, 59, 59)
    assert cal.start_of_day(date(2026, 10, 1)) == utc(2026, 9, 30, 16, 0, 0)
    assert cal.end_of_day(date(2026, 10, 1)).tzinfo == UTC
    with pytest.raises(ValueError):
        cal.local_date(datetime(2026, 10, 1, 12))


# ---- deadlines -----------------------------------------------------------------------------------


def test_deadline_across_national_day(cal: BusinessCalendar) -> None:
    assert cal.deadline(local(2026, 9, 29, 10), 3) == utc(2026, 10, 9, 15, 59, 59)
    # received 01:00 Beijing time on 9-30 (still 9-29 in UTC): counting starts from the local date 9-30
    assert cal.deadline(utc(2026, 9, 29, 17), 1) == utc(2026, 10, 8, 15, 59, 59)
    assert cal.deadline(local(2026, 9, 21, 9), 10) == utc(2026, 10, 12, 15, 59, 59)
    assert cal.deadline(local(2026, 10, 8, 9), 0) == utc(2026, 10, 8, 15, 59, 59)
    with pytest.raises(ValueError):
        cal.deadline(local(2026, 10, 8, 9), -1)


def test_deadline_pause_over_weekend_and_national_day(cal: BusinessCalendar) -> None:
    start = local(2026, 9, 21, 9)
    # 补正 from Tue 9-29 14:00 to Tue 10-13 11:00: paused working days in (9-29, 10-13] are
    # 9-30, 10-08, 10-09, 10-10 (make-up Sat), 10-12, 10-13 = 6 (the holiday and Sun 10-11 do not count)
    pause = (local(2026, 9, 29, 14), local(2026, 10, 13, 11))
    assert cal.paused_workdays([pause]) == 6
    # without the pause: end of Mon 10-12; plus 6 working days: 13, 14, 15, 16, 19, 20
    assert cal.deadline(start, 10, [pause]) == utc(2026, 10, 20, 15, 59, 59)
    assert cal.local_date(cal.deadline(start, 10, [pause])) == cal.add_workdays(date(2026, 10, 12), 6)


def test_deadline_open_pause_counts_until_now(cal: BusinessCalendar) -> None:
    start = local(2026, 9, 21, 9)
    pause = (local(2026, 9, 29, 14), None)
    # (9-29, 10-09] = 9-30, 10-08, 10-09 = 3; 10-12 + 3 working days = 10-15
    assert cal.deadline(start, 10, [pause], now=local(2026, 10, 9, 9)) == utc(2026, 10, 15, 15, 59, 59)
    # still inside the holiday: only 9-30 is paused so far
    assert cal.deadline(start, 10, [pause], now=local(2026, 10, 5, 9)) == utc(2026, 10, 13, 15, 59, 59)
    with pytest.raises(ValueError):
        cal.deadline(start, 10, [pause])


def test_deadline_several_pauses_and_edge_cases(cal: BusinessCalendar) -> None:
    start = local(2026, 9, 21, 9)
    same_day = (local(2026, 9, 22, 9), local(2026, 9, 22, 17))
    assert cal.paused_workdays([same_day]) == 0
    first = (local(2026, 9, 22, 9), local(2026, 9, 23, 9))  # 9-23
    second = (local(2026, 10, 8, 9), local(2026, 10, 10, 9))  # 10-09, 10-10
    assert cal.paused_workdays([first, second]) == 3
    # 10-12 + 3 = 10-15
    assert cal.deadline(start, 10, [first, same_day, second]) == utc(2026, 10, 15, 15, 59, 59)
    # overlapping pauses count each working day once
    overlap = (local(2026, 9, 22, 12), local(2026, 9, 24, 9))  # 9-23, 9-24
    assert cal.paused_workdays([first, overlap]) == 2
    with pytest.raises(ValueError):
        cal.paused_workdays([(local(2026, 9, 23), local(2026, 9, 22))])


def test_warning_at(cal: BusinessCalendar) -> None:
    due = cal.end_of_day(date(2026, 10, 8))
    assert due == utc(2026, 10, 8, 15, 59, 59)
    # one working day before Thu 10-08 is Wed 9-30: 00:00 Beijing = 9-29 16:00 UTC
    assert cal.warning_at(due) == utc(2026, 9, 29, 16, 0, 0)
    # before Mon 10-12 lies the make-up Saturday 10-10
    assert cal.warning_at(cal.end_of_day(date(2026, 10, 12))) == utc(2026, 10, 9, 16, 0, 0)
    assert cal.warning_at(cal.end_of_day(date(2026, 10, 12)), days=2) == utc(2026, 10, 8, 16, 0, 0)
    assert cal.warning_at(due, days=0) == utc(2026, 10, 7, 16, 0, 0)


def test_overdue_workdays(cal: BusinessCalendar) -> None:
    due = cal.end_of_day(date(2026, 9, 30))
    assert cal.overdue_workdays(due, local(2026, 9, 30, 18)) == 0  # not yet past
    assert cal.overdue_workdays(due, local(2026, 10, 5, 10)) == 0  # past, but only holidays since
    assert cal.overdue_workdays(due, local(2026, 10, 8, 10)) == 1
    assert cal.overdue_workdays(due, local(2026, 10, 12, 9)) == 4  # 10-08, 09, 10 (Sat), 12


# ---- overrides -----------------------------------------------------------------------------------


def test_local_holiday_override(cal: BusinessCalendar) -> None:
    local_cal = BusinessCalendar({date(2026, 10, 9): False})
    assert cal.add_workdays(date(2026, 9, 29), 3) == date(2026, 10, 9)
    assert local_cal.add_workdays(date(2026, 9, 29), 3) == date(2026, 10, 10)
    assert local_cal.deadline(local(2026, 9, 29, 10), 3) == utc(2026, 10, 10, 15, 59, 59)


def test_local_working_day_override(cal: BusinessCalendar) -> None:
    local_cal = BusinessCalendar({date(2026, 10, 11): True})
    assert cal.workdays_between(date(2026, 10, 9), date(2026, 10, 12)) == 2
    assert local_cal.workdays_between(date(2026, 10, 9), date(2026, 10, 12)) == 3
    assert local_cal.add_workdays(date(2026, 10, 10), 1) == date(2026, 10, 11)


def test_override_beyond_the_data_year_is_accepted() -> None:
    year = LAST + 1
    entered = {
        date(year, 1, 1): False,
        date(year, 1, 2): False,
        date(year, 1, 3): False,
        date(year, 1, 4): True,
    }
    c = BusinessCalendar(entered)
    assert c.is_workday(date(year, 1, 4)) is True
    assert c.is_supported(date(year, 1, 4))
    assert c.add_workdays(date(year - 1, 12, 31), 1) == date(year, 1, 4)
    with pytest.raises(CalendarDataMissing):
        c.is_workday(date(year, 1, 5))  # not entered: still refused


# ---- missing data and the horizon ----------------------------------------------------------------


@pytest.mark.skipif(LAST >= 2027, reason="a newer chinesecalendar has 2027 data")
def test_2027_is_refused_naming_the_date(cal: BusinessCalendar) -> None:
    with pytest.raises(CalendarDataMissing) as info:
        cal.is_workday(date(2027, 3, 1))
    assert "2027-03-01" in info.value.message
    assert "2026" in info.value.message
    assert info.value.to_dict()["day"] == "2027-03-01"
    assert info.value.to_dict()["last_supported_year"] == 2026
    with pytest.raises(CalendarDataMissing):
        cal.add_workdays(date(2026, 12, 30), 5)  # runs into 2027: refused, no weekend guess


@pytest.mark.parametrize("day", [date(LAST + 1, 1, 4), date(2099, 6, 1), date(1999, 6, 1)])
def test_dates_without_data_are_refused(cal: BusinessCalendar, day: date) -> None:
    with pytest.raises(CalendarDataMissing) as info:
        cal.is_workday(day)
    assert day.isoformat() in info.value.message
    assert str(LAST) in info.value.message
    assert not cal.is_supported(day)
    with pytest.raises(CalendarDataMissing):
        cal.deadline(datetime.combine(day, datetime.min.time(), tzinfo=SH), 1)


def test_horizon_alarm_2026(cal: BusinessCalendar) -> None:
    has_2027 = LAST >= 2027
    alarm = cal.horizon_alarm(date(2026, 11, 15))
    if has_2027:
        assert alarm is None
    else:
        assert alarm is not None and "2027" in alarm
    assert cal.horizon_alarm(date(2026, 10, 15)) is None  # before 1 November: not due yet
    assert cal.horizon_alarm(date(2026, 5, 1)) is None


def test_horizon_alarm_at_the_last_data_year(cal: BusinessCalendar) -> None:
    assert cal.horizon_alarm(date(LAST, 10, 31)) is None
    alarm = cal.horizon_alarm(date(LAST, 11, 1))
    assert alarm is not None and str(LAST + 1) in alarm
    assert cal.horizon_alarm(date(LAST, 12, 31)) is not None
    assert cal.horizon_alarm(date(LAST - 1, 12, 31)) is None
    # the day it starts is configurable (BANJIAN_CALENDAR_ALARM_FROM)
    assert cal.horizon_alarm(date(LAST, 10, 1), alarm_from=(10, 1)) is not None
    assert cal.missing_year(date(LAST, 10, 1), alarm_from=(10, 1)) == LAST + 1


def test_horizon_alarm_logic_with_a_fake_year() -> None:
    bare = BusinessCalendar()
    this_year = bare.horizon_alarm(date(2099, 5, 1))  # the current year itself has no data
    assert this_year is not None and "2099" in this_year
    c = BusinessCalendar(arrangements={2099: {date(2099, 1, 1): False}})  # 2099 imported, 2100 not
    assert c.supports_year(2099) and not c.supports_year(2100)
    assert c.horizon_alarm(date(2099, 5, 1)) is None
    assert c.horizon_alarm(date(2099, 10, 31)) is None
    november = c.horizon_alarm(date(2099, 11, 15))
    assert november is not None and "2100" in november
    both = BusinessCalendar(arrangements={2099: {}, 2100: {date(2100, 1, 1): False}})
    assert both.horizon_alarm(date(2099, 11, 15)) is None
    # single days entered as local overrides do not make a year known, not even all 365 of them
    by_hand = BusinessCalendar(full_year(2100), arrangements={2099: {}})
    assert not by_hand.supports_year(2100)
    assert by_hand.horizon_alarm(date(2099, 11, 15)) is not None
    assert by_hand.is_workday(date(2100, 3, 1)) is True  # yet each entered day is known


def test_an_imported_year_implies_its_weekends() -> None:
    c = BusinessCalendar(
        arrangements={2099: {date(2099, 1, 1): False, date(2099, 1, 2): False, date(2099, 1, 10): True}}
    )
    assert c.is_workday(date(2099, 1, 1)) is False  # Thu, listed 休
    assert c.is_workday(date(2099, 1, 2)) is False  # Fri, listed 休
    assert c.is_workday(date(2099, 1, 3)) is False  # Sat: implied
    assert c.is_workday(date(2099, 1, 5)) is True  # Mon: implied
    assert c.is_workday(date(2099, 1, 10)) is True  # Sat, listed 班
    assert c.is_workday(date(2099, 1, 11)) is False  # Sun: implied
    assert c.known_until(date(2099, 6, 1)) == date(2099, 12, 31)
    assert c.known_until(date(2100, 6, 1)) is None
    with pytest.raises(CalendarDataMissing) as info:
        c.is_workday(date(2100, 1, 4))
    assert info.value.context["year"] == 2100 and "2100" in info.value.message
    # a local override still wins over the arrangement
    assert (
        BusinessCalendar({date(2099, 1, 5): False}, arrangements={2099: {}}).is_workday(date(2099, 1, 5))
        is False
    )


# ---- database ------------------------------------------------------------------------------------


def test_load_overrides_and_calendar_for() -> None:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    stamp = datetime(2026, 9, 1, 8, tzinfo=UTC)
    with Session(engine) as session:
        session.add_all(
            [
                CalendarOverride(
                    day=date(2026, 10, 9), is_workday=False, note="本地防汛停办", created_at=stamp
                ),
                CalendarOverride(day=date(2026, 10, 11), is_workday=True, note="补班", created_at=stamp),
            ]
        )
        session.commit()
        assert load_overrides(session) == {date(2026, 10, 9): False, date(2026, 10, 11): True}
        c = calendar_for(session)
        assert c.tz_name == "Asia/Shanghai"
        assert c.is_workday(date(2026, 10, 9)) is False
        assert c.is_workday(date(2026, 10, 11)) is True
        assert c.add_workdays(date(2026, 9, 29), 3) == date(2026, 10, 10)
    engine.dispose()

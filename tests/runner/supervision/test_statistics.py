"""Supervision figures per window and period (runner.supervision.statistics), on the month of tests/support/supervision.py.

Every expected figure is worked out by hand in that module's docstring: A (centre, late by 2 working days),
B (centre, on time), C (shichang, on time, guihua deemed to assent on 10-08), D (centre, open, 3 working days
late on Mon 10-26). National Day 10-01..10-07 off, Sat 10-10 a make-up working day.
"""

from __future__ import annotations

from datetime import date

import pytest

import runner
from runner.applicants import ratings
from runner.applicants import service as applicant
from runner.supervision import statistics
from runner.supervision.assessment_schemes.store import seed_schemes
from tests.support.flow import complete, deploy_library, describe, local, task
from tests.support.supervision import october


def figures(services, kind: str, ref: date, end: date | None = None, window: str | None = None):
    with services.transaction() as s:
        seed_schemes(s)  # 窗口单位考核实施细则 in force: −5 per late working day, −2 per deemed assent …
        board = statistics.window_figures(s, statistics.period(kind, ref, end), window=window)
        return board, {r.window: r for r in board.rows}


def test_periods_are_local_dates_both_ends_included() -> None:
    assert statistics.period("day", date(2026, 10, 9)) == statistics.Period(
        "day", date(2026, 10, 9), date(2026, 10, 9), "2026-10-09"
    )
    month = statistics.period("month", date(2026, 2, 14))
    assert (month.start, month.end, month.label, month.days) == (
        date(2026, 2, 1),
        date(2026, 2, 28),
        "2026年2月",
        28,
    )
    quarter = statistics.period("quarter", date(2026, 11, 30))
    assert (quarter.start, quarter.end, quarter.label) == (
        date(2026, 10, 1),
        date(2026, 12, 31),
        "2026年第4季度",
    )
    assert statistics.period("range", date(2026, 10, 1), date(2026, 10, 22)).days == 22
    for kind, ref, end, field in [
        ("week", date(2026, 10, 1), None, "kind"),
        ("range", date(2026, 10, 2), date(2026, 10, 1), "end"),
        ("range", date(2026, 10, 2), None, "end"),
    ]:
        with pytest.raises(runner.InvalidInput) as err:
            statistics.period(kind, ref, end)
        assert err.value.context["field"] == field


def test_october_per_window(services, clock) -> None:
    october(services, clock)
    board, rows = figures(services, "month", date(2026, 10, 26))
    centre, shichang, guihua = rows["centre"], rows["shichang"], rows["guihua"]
    # centre: B and D accepted in October (A in September); A (late) and B (on time) completed; D overdue now
    assert (centre.accepted, centre.completed, centre.on_time, centre.overdue_completed, centre.overdue_now) == (
        2, 2, 1, 1, 1,
    )  # fmt: skip
    assert centre.on_time_rate == 0.5
    assert centre.average_working_days == (12 + 1) / 2  # A: 09-28 → 10-20, B: 10-08 → 10-09
    assert centre.warnings == {"notice": 2, "yellow": 2} and centre.warnings_open == 4
    # 考核 (窗口单位考核实施细则): −5 per late working day — A 10-19, 10-20; D 10-22, 10-23, 10-26 — and no
    # second charge per late item (that rule belongs to another scheme)
    assert centre.points == -25
    # shichang: C accepted in September, completed on time on 10-12 after 6 working days
    assert (shichang.accepted, shichang.completed, shichang.on_time, shichang.average_working_days) == (
        0,
        1,
        1,
        6,
    )
    assert shichang.on_time_rate == 1.0 and shichang.points == 0
    # the silent related window carries the deemed assent (协办窗口抵触办理 −2); guotu and huanbao answered C,
    # decided 60 % early: +2 each
    assert (guihua.deemed_assents, guihua.accepted, guihua.points) == (1, 0, -2)
    assert rows["guotu"].points == rows["huanbao"].points == 2
    assert rows["guotu"].deemed_assents == rows["huanbao"].deemed_assents == 0
    # every window of the centre has a row; the total adds them up
    assert len(board.rows) == 12
    total = board.total
    assert (total.accepted, total.completed, total.on_time, total.overdue_now, total.deemed_assents) == (
        2,
        3,
        2,
        1,
        1,
    )
    assert (total.average_working_days, total.points) == (19 / 3, -25 - 2 + 2 + 2)


def test_september_quarter_day_and_window_filter(services, clock) -> None:
    october(services, clock)
    _, sep = figures(services, "month", date(2026, 9, 1))
    assert (sep["centre"].accepted, sep["shichang"].accepted, sep["centre"].completed) == (1, 1, 0)
    assert sep["centre"].points == 0 and sep["guihua"].deemed_assents == 0
    _, q3 = figures(services, "quarter", date(2026, 8, 15))
    assert (q3["centre"].accepted, q3["shichang"].accepted) == (1, 1)
    _, q4 = figures(services, "quarter", date(2026, 12, 1))
    assert (q4["centre"].completed, q4["centre"].points, q4["guihua"].deemed_assents) == (2, -25, 1)
    # Tue 10-20: A completed late that day: its 2nd late working day −5
    _, day = figures(services, "day", date(2026, 10, 20))
    assert (day["centre"].completed, day["centre"].overdue_completed, day["centre"].points) == (1, 1, -5)
    # the National Day holiday: nothing happened, nothing deducted
    _, holiday = figures(services, "range", date(2026, 10, 1), date(2026, 10, 7))
    assert sum(r.points for r in holiday.values()) == 0
    assert sum(r.accepted + r.completed for r in holiday.values()) == 0
    board, only = figures(services, "month", date(2026, 10, 1), window="guihua")
    assert list(only) == ["guihua"] and only["guihua"].deemed_assents == 1
    with pytest.raises(runner.InvalidInput):
        figures(services, "month", date(2026, 10, 1), window="nowhere")


def test_ranges_add_up_to_the_month(services, clock) -> None:
    october(services, clock)
    _, first = figures(services, "range", date(2026, 10, 1), date(2026, 10, 22))
    _, second = figures(services, "range", date(2026, 10, 23), date(2026, 10, 31))
    # D's late days: 10-22 in the first range, 10-23 and 10-26 in the second; A's all in the first
    assert (first["centre"].points, second["centre"].points) == (-10 - 5, -10)
    assert first["centre"].points + second["centre"].points == -25
    # a range across a month end is summed month by month: Oct 23-31 and Nov 1-2 (nothing yet in November)
    _, across = figures(services, "range", date(2026, 10, 23), date(2026, 11, 2))
    assert across["centre"].points == -10


def test_monthly_trend(services, clock) -> None:
    october(services, clock)
    with services.transaction() as s:
        trend = statistics.monthly_trend(s, date(2026, 10, 26), months=3)
        guihua = statistics.monthly_trend(s, date(2026, 10, 26), months=2, window="guihua")
        centre = statistics.monthly_trend(s, date(2026, 10, 26), months=2, window="centre")
    assert [(m.month, m.accepted, m.completed, m.overdue_completed, m.deemed_assents) for m in trend] == [
        ("2026-08", 0, 0, 0, 0),
        ("2026-09", 2, 0, 0, 0),
        ("2026-10", 2, 3, 1, 1),
    ]
    assert trend[2].on_time_rate == 2 / 3 and trend[0].on_time_rate is None
    assert [(m.month, m.deemed_assents, m.accepted) for m in guihua] == [("2026-09", 0, 0), ("2026-10", 1, 0)]
    assert [(m.month, m.accepted, m.completed) for m in centre] == [("2026-09", 1, 0), ("2026-10", 2, 2)]
    with pytest.raises(runner.InvalidInput):
        statistics.month_starts(date(2026, 10, 1), 0)
    assert statistics.month_starts(date(2027, 2, 3), 3) == [
        date(2026, 12, 1),
        date(2027, 1, 1),
        date(2027, 2, 1),
    ]


def test_extensions_ratings_and_complaints(services, clock) -> None:
    month = october(services, clock)
    deploy_library(services, "complaint.bpmn")
    with services.transaction() as s:
        runner.extend(
            s, month.d, 2, reason="需补充现场勘察", requested_by="centre_clerk", approved_by="centre_head"
        )
        b_key = runner.get_instance(s, month.b).business_key
        c_key = runner.get_instance(s, month.c).business_key
        ratings.rate(s, b_key, "satisfied")
        ratings.rate(s, c_key, "not_satisfied", "往返两次")
        registered = applicant.register_complaint(
            s, channel="phone", complainant="李四", contact="13912345678", content="未一次性告知材料",
            receipt=b_key, actor="supervisor",
        )  # fmt: skip
    iid = registered["process_instance_id"]
    complete(services, task(services, iid, "register")["id"], {"window": "centre"}, actor="supervisor")
    complete(services, task(services, iid, "answer")["id"], {"answer": "已致歉"}, actor="centre_clerk")
    complete(services, task(services, iid, "feedback")["id"], {"verified": True, "feedback": "属实"})
    with services.transaction() as s:
        assert statistics.refresh_complaints(s) == 1
    _, rows = figures(services, "month", date(2026, 10, 1))
    centre = rows["centre"]
    assert (centre.extensions, centre.extension_days) == (1, 2)
    assert centre.ratings == {"satisfied": 1} and rows["shichang"].ratings == {"not_satisfied": 1}
    assert centre.complaints == {"fed_back": 1} and centre.complaints_verified == 1
    # D's deadline moved 2 working days to the end of Fri 10-23: late only on Mon 10-26 (−5);
    # the verified complaint −5; A −10 as before
    assert describe(services, month.d)["deadline"] == "2026-10-23T15:59:59+00:00"
    assert centre.points == -10 - 5 - 5
    # the complaint process is not an item: supervision has no accepted items
    assert rows["supervision"].accepted == 0


def test_calendar_horizon_alarm_from_november(services, clock) -> None:
    with services.transaction() as s:
        assert statistics.calendar_alarm(s) is None  # September: not due yet
    clock.set(local("2026-10-31", "09:00"))
    with services.transaction() as s:
        assert statistics.calendar_alarm(s) is None  # October: not due yet either
    clock.set(local("2026-11-01", "09:00"))
    with services.transaction() as s:
        alarm = statistics.calendar_alarm(s)
    if runner.BusinessCalendar().supports_year(2027):
        assert alarm is None  # a newer chinesecalendar knows 2027
    else:
        assert alarm is not None and "2027" in alarm and "chinesecalendar" in alarm

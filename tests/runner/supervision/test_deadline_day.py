"""Anything done on the deadline's local day is in time (runner.timekeeping.calendar.is_late), in every check.

A deadline is stored as 23:59:59.000 Beijing time of its day; an item finished at 23:59:59.5 that day used to
count as late in the statistics, in 考核 and in the console's overdue lists (``ended_at > deadline``) while
``overdue_workdays`` said 0 days late. From the next local midnight on it is late. Month of
tests/support/supervision.py: A's deadline is the end of Fri 2026-10-16, D's the end of Wed 10-21 (D is open).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from runner.applicants import rectification
from runner.items import monitoring
from runner.models import ProcessInstance, Rectification
from runner.supervision import statistics
from runner.supervision.assessment_schemes import lateness
from runner.timekeeping.calendar import is_late, late_clause, past_deadline_clause
from runner.timekeeping.deadlines import calendar
from tests.support.flow import local
from tests.support.supervision import october

HALF = timedelta(milliseconds=500)


def _deadline(services, iid: int) -> datetime:
    with services.transaction() as s:
        return s.get(ProcessInstance, iid).deadline


def _end(services, iid: int, ended_at: datetime) -> None:
    """Let item ``iid`` end at ``ended_at``."""
    with services.transaction() as s:
        s.get(ProcessInstance, iid).ended_at = ended_at


def _late_completed(services) -> tuple[int, int]:
    with services.transaction() as s:
        centre = statistics.window_figures(s, statistics.period("month", date(2026, 10, 26))).rows
        [row] = [r for r in centre if r.window == "centre"]
        [month] = statistics.monthly_trend(s, date(2026, 10, 26), months=1)
    return row.overdue_completed, month.overdue_completed


def test_the_calendar_rule(services) -> None:
    with services.transaction() as s:
        cal = calendar(s)
        deadline = cal.end_of_day(date(2026, 10, 16))
        assert deadline == local("2026-10-16", "23:59") + timedelta(seconds=59)
        assert not is_late(deadline + HALF, deadline) and not is_late(deadline, deadline)
        assert is_late(local("2026-10-17", "00:00"), deadline)
        assert cal.overdue_workdays(deadline, deadline + HALF) == 0
        assert cal.overdue_workdays(deadline, local("2026-10-19", "00:00")) == 1


def test_statistics_count_the_last_half_second_in_time(services, clock) -> None:
    month = october(services, clock)
    deadline = _deadline(services, month.a)
    assert deadline == local("2026-10-16", "23:59") + timedelta(seconds=59)
    _end(services, month.a, deadline + HALF)  # 23:59:59.5 Beijing on Fri 10-16
    assert _late_completed(services) == (0, 0)
    _end(services, month.a, local("2026-10-17", "00:00"))  # the next local midnight
    assert _late_completed(services) == (1, 1)


def test_sql_rule_matches_python_to_the_sub_second(services, clock) -> None:
    """SQLite keeps datetimes as text: the comparison must still see the half second."""
    month = october(services, clock)
    deadline = _deadline(services, month.a)
    pi = ProcessInstance
    for ended, late in [(deadline + HALF, False), (deadline + timedelta(seconds=1), True), (deadline, False)]:
        _end(services, month.a, ended)
        with services.transaction() as s:
            found = s.scalar(
                select(func.count()).where(pi.id == month.a, late_clause(pi.ended_at, pi.deadline))
            )
            past = s.scalar(
                select(func.count()).where(pi.id == month.a, past_deadline_clause(pi.deadline, ended))
            )
        assert (found, past) == (int(late), int(late)) == (int(is_late(ended, deadline)),) * 2


def test_console_overdue_lists_wait_for_the_next_midnight(services, clock) -> None:
    month = october(services, clock)
    clock.set(
        _deadline(services, month.d) + HALF
    )  # D on its deadline day's last half second: not overdue yet
    with services.transaction() as s:
        assert monitoring.console_counts(s)["overdue_items"] == 0
        assert s.scalar(select(func.count()).where(monitoring.overdue_clause(clock.now()))) == 0
    clock.set(local("2026-10-22", "00:00"))
    with services.transaction() as s:
        assert monitoring.console_counts(s)["overdue_items"] == 1


def test_assessment_counts_a_decision_on_the_deadline_day_in_time(services) -> None:
    with services.transaction() as s:
        cal = calendar(s)
        deadline = cal.end_of_day(date(2026, 10, 16))
        course = lateness.ItemCourse(
            1, "K1", "", "chengnuo", None, "centre", local("2026-09-28"), deadline, 10, deadline + HALF, None
        )
        assert lateness.early_share(s, course) == 0.0
        assert lateness.late_days(s, course, date(2026, 10, 1), date(2026, 10, 31), deadline + HALF) == []
        course.decided_at = local("2026-10-17", "00:00")
        assert lateness.early_share(s, course) is None


def test_a_rectification_done_on_its_limit_day_is_on_time(services) -> None:
    with services.transaction() as s:
        due = calendar(s).end_of_day(date(2026, 10, 16))
    row = Rectification(due_at=due, rectified_at=due + HALF)
    assert rectification.on_time(row) is True
    row.rectified_at = local("2026-10-17", "00:00")
    assert rectification.on_time(row) is False

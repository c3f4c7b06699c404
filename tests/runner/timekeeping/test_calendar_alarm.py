"""The alarm that next year's holiday arrangement is missing (runner.timekeeping.calendar_alarm, the worker's sweep).

From 1 November (``BANJIAN_CALENDAR_ALARM_FROM``) until 2027 is known; the admins are told once, not on every
look; importing the year clears it.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

import runner
from runner.config import Settings
from runner.models import AuditEntry, CalendarAlert, Notification
from tests.support.flow import local
from tests.support.year_end import import_2027, needs_2027

pytestmark = pytest.mark.skipif(not needs_2027(), reason="a newer chinesecalendar knows 2027")


@pytest.fixture
def admins(services) -> None:
    from tests.support.flow import library_windows

    with services.transaction() as s:
        runner.upsert_windows(s, library_windows())
        runner.people.directory.create_user(s, "admin", "管理员", "banjian2026", [("centre", "admin")])
        runner.people.directory.create_user(s, "admin2", "管理员二", "banjian2026", [("centre", "admin")])
        runner.people.directory.create_user(s, "clerk", "窗口人员", "banjian2026", [("centre", "clerk")])


def told(services) -> list[tuple[str | None, str]]:
    with services.transaction() as s:
        rows = s.scalars(
            select(Notification).where(Notification.kind == "calendar_missing").order_by(Notification.id)
        )
        return [(n.to_user, n.message) for n in rows]


def watch(services) -> dict | None:
    with services.transaction() as s:
        return runner.watch_calendar(s)


def test_from_the_first_of_november_admins_are_told_once(services, clock, admins):
    clock.set(local("2026-10-31", "23:00"))
    assert watch(services) is None and told(services) == []
    with services.transaction() as s:
        assert runner.calendar_alarm(s) is None
    clock.set(local("2026-11-01", "00:10"))
    raised = watch(services)
    assert raised is not None and raised["year"] == 2027 and raised["current"] is False
    notes = told(services)
    assert [user for user, _ in notes] == ["admin", "admin2"]  # each admin, not the clerk
    assert "2027 年的节假日安排尚未录入" in notes[0][1] and "calendar-import" in notes[0][1]
    for _ in range(3):  # every sweep looks again: nobody is told twice
        assert watch(services) is None
    clock.set(local("2026-12-20", "09:00"))
    assert watch(services) is None and len(told(services)) == 2
    with services.transaction() as s:
        assert [
            e.action for e in s.scalars(select(AuditEntry).where(AuditEntry.action == "calendar_alarm"))
        ] == ["calendar_alarm"]


def test_importing_the_year_clears_the_alarm(services, clock, admins):
    clock.set(local("2026-11-15", "09:00"))
    watch(services)
    import_2027(services)
    with services.transaction() as s:
        assert runner.calendar_alarm(s) is None
        alert = s.get(CalendarAlert, 2027)
        assert alert is not None and alert.cleared_at == clock.now()
    assert watch(services) is None and len(told(services)) == 2


def test_the_alarm_day_is_configurable(database_url, db_engine, clock, admins):
    services = runner.Services.without_redis(
        Settings(database_url=database_url, calendar_alarm_from="10-15"), clock=clock, engine=db_engine
    )
    clock.set(local("2026-10-14", "09:00"))
    assert watch(services) is None
    clock.set(local("2026-10-15", "09:00"))
    assert watch(services)["year"] == 2027
    assert Settings(calendar_alarm_from="nonsense").alarm_from() == (11, 1)
    assert Settings(calendar_alarm_from="02-29").alarm_from() == (2, 29)


def test_a_missing_current_year_is_critical(services, clock, admins):
    clock.set(local("2027-01-04", "09:00"))
    with services.transaction() as s:
        alarm = runner.calendar_alarm(s)
    assert alarm["year"] == 2027 and alarm["current"] is True and alarm["message"].startswith("严重")


def test_the_worker_sweep_watches_the_calendar(services, clock, admins):
    from worker import jobs

    clock.set(local("2026-11-02", "09:00"))
    jobs.use_services(services)
    try:
        jobs.sweep_timers(reschedule=False)
        jobs.sweep_timers(reschedule=False)
    finally:
        jobs.use_services(None)  # type: ignore[arg-type]
    assert [user for user, _ in told(services)] == ["admin", "admin2"]


def test_a_year_that_chinesecalendar_learns_fills_in_by_itself(services, clock, admins, monkeypatch):
    """No import: a newer chinesecalendar knows 2027 (simulated here); the worker's sweep recalculates."""
    import chinese_calendar

    from runner.timekeeping import calendar as calendar_module
    from tests.support.flow import deploy_library, describe, start_item
    from worker import jobs

    deploy_library(services, "block_correction.bpmn", "block_refusal.bpmn", "chengnuo.bpmn")
    clock.set(local("2026-12-21", "09:00"))
    iid = start_item(services, "chengnuo", {"applicant": "张三"})
    assert describe(services, iid)["deadline_pending_year"] == 2027
    with services.transaction() as s:
        assert runner.fill_in_known_years(s) == []  # nothing known yet: nothing done
    real_is_workday, real_supports = chinese_calendar.is_workday, calendar_module._national_supports
    monkeypatch.setattr(
        calendar_module, "_national_supports", lambda year: year == 2027 or real_supports(year)
    )
    monkeypatch.setattr(
        chinese_calendar, "is_workday", lambda d: d.weekday() < 5 if d.year == 2027 else real_is_workday(d)
    )
    services.forget_calendar()
    jobs.use_services(services)
    try:
        jobs.sweep_timers(reschedule=False)
    finally:
        jobs.use_services(None)  # type: ignore[arg-type]
    # 10 working days from 12-21 with a plain 2027 (01-01 a working Friday here): 22 … 25, 28 … 31, 01-01, 01-04
    assert describe(services, iid)["deadline"] == "2027-01-04T15:59:59+00:00"
    [entry] = [a for a in describe(services, iid)["audit"] if a["action"] == "calendar_recalculated"]
    assert entry["actor"] == "system" and entry["detail"]["cause"] == {"known_years": [2027]}

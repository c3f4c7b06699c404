"""The item's clock: pauses move the stored deadline and the timers that follow it."""

from __future__ import annotations

import runner
from tests.support.flow import advance_to, local

from .helpers import actions, complete, deploy_file, describe, start, the_task


def _timer(services, iid):
    return [t for t in describe(services, iid)["timers"] if t["status"] == "pending"]


def test_deadline_timer_fires_at_the_deadline_and_warns(services, clock):
    deploy_file(services, "clock.bpmn")
    iid = start(services, "clock_test")
    # Mon 28 Sep + 3 working days: 29, 30 Sep, then 8 Oct (National Day 1-7 Oct)
    assert describe(services, iid)["deadline"] == "2026-10-08T15:59:59+00:00"
    [timer] = _timer(services, iid)
    assert timer["due_at"] == "2026-10-08T16:00:00+00:00"
    advance_to(services, clock, local("2026-10-09"))
    view = describe(services, iid)
    assert [w["level"] for w in view["warnings"]] == ["overdue"]
    assert view["status"] == "running"  # the work goes on; the flag is a stored event
    assert actions(services, iid) == ["start", "timer_fired", "warning"]


def test_pause_holds_the_timer_and_resume_moves_deadline_and_timer(services, clock):
    deploy_file(services, "clock.bpmn")
    iid = start(services, "clock_test")
    complete(services, the_task(services, iid, "accept")["id"], {"materials_complete": False})
    view = describe(services, iid)
    assert view["paused_since"] is not None and view["pauses"][0]["reason"] == "补正"
    # paused from Mon 28 Sep to Fri 9 Oct: the timer is held, nothing fires meanwhile
    advance_to(services, clock, local("2026-10-09", "10:00"))
    assert describe(services, iid)["warnings"] == []
    with services.transaction() as s:
        runner.deliver_message(
            s, "materials_resubmitted", view["business_key"], {"materials": ["身份证"]}, actor="applicant"
        )
    view = describe(services, iid)
    assert view["paused_since"] is None
    # paused working days in (28 Sep, 9 Oct]: 29, 30 Sep, 8, 9 Oct = 4
    # → deadline 8 Oct + 4 wd (9, Sat 10 make-up, 12, 13) = 13 Oct
    assert view["deadline"] == "2026-10-13T15:59:59+00:00"
    [timer] = _timer(services, iid)
    assert timer["due_at"] == "2026-10-13T16:00:00+00:00"
    assert [a for a in actions(services, iid) if a.startswith(("clock", "timer"))] == [
        "clock_paused", "clock_resumed", "timer_cancelled",
    ]  # fmt: skip
    complete(services, the_task(services, iid, "review")["id"], {})
    view = describe(services, iid)
    assert view["status"] == "completed" and view["warnings"] == []


def test_calendar_override_moves_open_deadlines_and_their_timers(services, clock):
    from datetime import date

    deploy_file(services, "clock.bpmn")
    iid = start(services, "clock_test")
    assert describe(services, iid)["deadline"] == "2026-10-08T15:59:59+00:00"
    with services.transaction() as s:
        preview = runner.calendar_override_effects(s, date(2026, 9, 30), False)
    [moved] = preview
    assert moved["business_key"] == describe(services, iid)["business_key"]
    assert [
        (c["what"], c["before"], c["after"]) for c in moved["changes"] if not c["what"].startswith("timer")
    ] == [("deadline", "2026-10-08T15:59:59+00:00", "2026-10-09T15:59:59+00:00")]
    assert [(c["before"], c["after"]) for c in moved["changes"] if c["what"].startswith("timer")] == [
        ("2026-10-08T16:00:00+00:00", "2026-10-09T16:00:00+00:00")
    ]
    assert describe(services, iid)["deadline"] == "2026-10-08T15:59:59+00:00"  # the preview stored nothing
    with services.transaction() as s:
        runner.set_calendar_override(s, date(2026, 9, 30), False, actor="admin", note="地方假日")
    view = describe(services, iid)
    assert view["deadline"] == "2026-10-09T15:59:59+00:00"
    assert [t["due_at"] for t in view["timers"] if t["status"] == "pending"] == ["2026-10-09T16:00:00+00:00"]
    with services.transaction() as s:
        assert runner.verify_audit(s) == []


def test_event_based_gateway_message_wins(services, clock):
    deploy_file(services, "race.bpmn")
    iid = start(services, "race")
    complete(services, the_task(services, iid, "notice")["id"], {})
    view = describe(services, iid)
    assert view["status"] == "waiting"
    [timer] = _timer(services, iid)
    assert timer["due_at"] == "2026-09-30T16:00:00+00:00"  # 2 working days from Mon 28 Sep
    with services.transaction() as s:
        runner.deliver_message(
            s, "materials_resubmitted", view["business_key"], {"materials": ["a"]}, actor="applicant"
        )
    view = describe(services, iid)
    assert view["status"] == "completed" and "end_ok" in view["completed_path"]
    assert view["data"]["materials"] == ["a"]
    assert [t["status"] for t in view["timers"]] == ["cancelled"]


def test_event_based_gateway_timer_wins_on_the_platform_clock(services, clock):
    deploy_file(services, "race.bpmn")
    iid = start(services, "race")
    complete(services, the_task(services, iid, "notice")["id"], {})
    advance_to(services, clock, local("2026-09-30", "12:00"))
    assert describe(services, iid)["status"] == "waiting"  # not yet: the real date is later, the clock is not
    advance_to(services, clock, local("2026-10-01", "09:00"))
    view = describe(services, iid)
    assert view["status"] == "completed" and view["data"]["returned"] is True
    assert actions(services, iid).count("timer_fired") == 1
    with services.transaction() as s, __import__("pytest").raises(runner.InstanceNotActive, match="已办结"):
        runner.deliver_message(s, "materials_resubmitted", view["business_key"], {}, actor="applicant")

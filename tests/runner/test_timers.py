"""Timers: recorded after each commit, fired idempotently, re-sent by the sweep."""

from __future__ import annotations

from datetime import timedelta

import runner
from runner.scheduling import FIRE_TIMER, timer_job_id

from .helpers import actions, complete, deploy_file, describe, start, the_task


def _to_decide(services) -> int:
    deploy_file(services, "review.bpmn")
    iid = start(services, "review")
    complete(services, the_task(services, iid, "accept")["id"], {"complete": True})
    return iid


def test_timer_row_and_job_after_commit(services, clock):
    iid = _to_decide(services)
    [timer] = describe(services, iid)["timers"]
    assert timer["status"] == "pending"
    assert timer["due_at"] == (clock.now() + timedelta(minutes=30)).isoformat()
    jobs = [j for j in services.scheduler.sent if j.func == FIRE_TIMER]
    assert [j.job_id for j in jobs] == [timer_job_id(timer["id"])]


def test_timer_fires_only_when_due_and_only_once(services, clock):
    iid = _to_decide(services)
    [timer] = describe(services, iid)["timers"]
    with services.transaction() as s:
        assert runner.fire_timer(s, timer["id"]) == "early"
    assert describe(services, iid)["status"] == "running"
    clock.advance(minutes=31)
    with services.transaction() as s:
        assert runner.fire_timer(s, timer["id"]) == "fired"
    view = describe(services, iid)
    assert view["status"] == "completed"
    assert view["data"]["escalated"] is True
    with services.transaction() as s:
        assert runner.fire_timer(s, timer["id"]) == "already fired"
    assert actions(services, iid).count("timer_fired") == 1


def test_completing_task_cancels_timer_and_stale_job_does_nothing(services, clock):
    iid = _to_decide(services)
    [timer] = describe(services, iid)["timers"]
    complete(services, the_task(services, iid, "decide")["id"], {"approved": True})
    assert describe(services, iid)["timers"][0]["status"] == "cancelled"
    clock.advance(hours=1)
    with services.transaction() as s:
        assert runner.fire_timer(s, timer["id"]) == "already cancelled"
    view = describe(services, iid)
    assert "escalated" not in view["data"]
    assert "timer_fired" not in actions(services, iid)


def test_suspended_instance_timer_waits_for_resume(services, clock):
    iid = _to_decide(services)
    [timer] = describe(services, iid)["timers"]
    with services.transaction() as s:
        runner.suspend(s, iid, actor="head", reason="听证")
    clock.advance(hours=1)
    with services.transaction() as s:
        assert runner.fire_timer(s, timer["id"]) == "suspended"
    services.scheduler.sent.clear()
    with services.transaction() as s:
        runner.resume(s, iid, actor="head")
    assert [j.job_id for j in services.scheduler.sent] == [timer_job_id(timer["id"])]
    assert services.scheduler.sent[0].at is None  # already due: sent for now
    with services.transaction() as s:
        assert runner.fire_timer(s, timer["id"]) == "fired"


def test_sweep_resends_missing_jobs(services, clock):
    iid = _to_decide(services)
    [timer] = describe(services, iid)["timers"]
    services.scheduler.sent.clear()  # as if Redis had been flushed
    with services.transaction() as s:
        assert runner.sweep(s) == {"checked": 0, "sent": 0}  # not due within the horizon yet
    clock.advance(minutes=29)
    with services.transaction() as s:
        assert runner.sweep(s) == {"checked": 1, "sent": 1}
    assert [j.job_id for j in services.scheduler.sent] == [timer_job_id(timer["id"])]
    with services.transaction() as s:
        assert runner.sweep(s) == {"checked": 1, "sent": 0}  # the job is there now

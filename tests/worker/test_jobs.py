"""Timers through a real RQ worker process on a real Redis, with a clock the test moves."""

from __future__ import annotations

import os
import signal
import time
from datetime import datetime

import pytest
from redis import Redis

import runner
from runner.core.scheduling import wakeup_job_id
from tests.runner.helpers import DATA, WINDOWS, actions, complete, deploy_file, describe, start, the_task

pytestmark = pytest.mark.slow


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.2, explain=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met in time: {explain() if explain else ''}")


def states(services, ids):
    from rq.job import Job

    q = services.scheduler.queue
    jobs = {}
    for i in ids:
        for t in describe(services, i)["timers"]:
            second = int(datetime.fromisoformat(t["due_at"]).timestamp())
            try:
                job = Job.fetch(wakeup_job_id(second), connection=q.connection)
                jobs[t["id"]] = (
                    job.get_status(),
                    job.origin,
                    str(job.exc_info)[-300:] if job.exc_info else None,
                )
            except Exception as exc:  # noqa: BLE001
                jobs[t["id"]] = repr(exc)
    return {
        "statuses": [(i, describe(services, i)["status"]) for i in ids],
        "queue": q.job_ids,
        "jobs": jobs,
        "keys": sorted(k.decode() for k in q.connection.keys("*"))[:60],
    }


def _to_decide(services) -> int:
    deploy_file(services, "review.bpmn")
    iid = start(services, "review")
    complete(services, the_task(services, iid, "accept")["id"], {"complete": True})
    return iid


def test_timer_fires_through_worker(rq_services, run_worker, file_clock):
    iid = _to_decide(rq_services)
    run_worker()
    time.sleep(1.0)
    assert describe(rq_services, iid)["status"] == "running"  # not due yet
    file_clock.set_offset(31 * 60)  # 31 minutes later for every process
    with rq_services.transaction() as s:
        runner.sweep(s)  # the job was scheduled for real time + 30 min; the sweep sends it now
    wait_for(lambda: describe(rq_services, iid)["status"] == "completed")
    assert describe(rq_services, iid)["data"]["escalated"] is True
    assert actions(rq_services, iid).count("timer_fired") == 1


def test_completion_first_makes_the_stale_job_a_no_op(rq_services, run_worker, file_clock):
    iid = _to_decide(rq_services)
    [timer] = describe(rq_services, iid)["timers"]
    complete(rq_services, the_task(rq_services, iid, "decide")["id"], {"approved": True})
    run_worker()
    file_clock.set_offset(31 * 60)
    rq_services.scheduler.queue.enqueue("worker.jobs.fire_timer", timer["id"])  # the stale job runs anyway
    wait_for(lambda: rq_services.scheduler.queue.count == 0)
    time.sleep(0.5)
    view = describe(rq_services, iid)
    assert view["status"] == "completed" and "escalated" not in view["data"]
    assert "timer_fired" not in actions(rq_services, iid)


def test_killed_worker_and_flushed_redis_lose_no_timer(rq_services, run_worker, file_clock, redis_url):
    deploy_file(rq_services, "review.bpmn")
    ids = []
    for _ in range(5):
        iid = start(rq_services, "review")
        complete(rq_services, the_task(rq_services, iid, "accept")["id"], {"complete": True})
        ids.append(iid)
    first = run_worker()
    time.sleep(1.0)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    file_clock.set_offset(31 * 60)  # every timer is now due, and nobody is there to fire them
    Redis.from_url(redis_url).flushall()
    run_worker()  # its start-up sweep finds the due timers that have no job
    wait_for(
        lambda: all(describe(rq_services, i)["status"] == "completed" for i in ids),
        timeout=45,
        explain=lambda: states(rq_services, ids),
    )
    for i in ids:
        assert actions(rq_services, i).count("timer_fired") == 1


def test_two_workers_fire_each_timer_once(rq_services, run_worker, file_clock):
    deploy_file(rq_services, "review.bpmn")
    ids = []
    for _ in range(24):
        iid = start(rq_services, "review")
        complete(rq_services, the_task(rq_services, iid, "accept")["id"], {"complete": True})
        ids.append(iid)
    run_worker()
    run_worker()
    file_clock.set_offset(31 * 60)
    queue = rq_services.scheduler.queue
    for _ in range(3):  # wake-ups for now, several: both workers fire batches at once
        queue.enqueue("worker.jobs.fire_due_timers")
    for _ in range(2):  # and one-timer jobs, twice each (as sent before timers were woken up per second)
        with rq_services.transaction() as s:
            for row in runner.due_timers(s):
                queue.enqueue("worker.jobs.fire_timer", row.id)
    wait_for(
        lambda: all(describe(rq_services, i)["status"] == "completed" for i in ids),
        timeout=45,
        explain=lambda: states(rq_services, ids),
    )
    for i in ids:
        assert actions(rq_services, i).count("timer_fired") == 1


def _ready_workers(services) -> int:
    from rq import Worker

    return len(Worker.all(queue=services.scheduler.queue))


def test_a_timer_fires_on_time_through_its_scheduled_wakeup(rq_services, run_worker):
    """No sweep, no clock moved: the commit sends the wake-up of the timer's second, RQ's scheduler queues it a
    second early, and the job fires the timer when it falls due."""
    run_worker()
    wait_for(lambda: _ready_workers(rq_services) == 1, explain=lambda: "worker did not start")
    time.sleep(1.5)  # its start-up sweep is done
    xml = (DATA / "review.bpmn").read_bytes().replace(b'"PT30M"', b'"PT3S"')
    with rq_services.transaction() as s:
        runner.upsert_windows(s, WINDOWS)
        runner.deploy(s, xml, "review.bpmn", actor="designer")
    ids = []
    for _ in range(3):
        iid = start(rq_services, "review")
        complete(rq_services, the_task(rq_services, iid, "accept")["id"], {"complete": True})
        ids.append(iid)
    wait_for(lambda: all(describe(rq_services, i)["status"] == "completed" for i in ids), timeout=30,
             explain=lambda: states(rq_services, ids))  # fmt: skip
    for iid in ids:
        view = describe(rq_services, iid)
        [timer] = view["timers"]
        [fired] = [a for a in view["audit"] if a["action"] == "timer_fired"]
        lag = (datetime.fromisoformat(fired["at"]) - datetime.fromisoformat(timer["due_at"])).total_seconds()
        assert 0 <= lag < 0.8, lag  # one job per second, waiting for its timers: not a scheduler poll late

"""A wake-up this process sent is not sent again while Redis holds it and it is far off (``SentLately``); what
Redis loses, the sweep sends again before it comes due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from runner.core.scheduling import FIRE_DUE, Job, wakeup_of
from tests.runner.helpers import complete, deploy_file, describe, start, the_task


def _to_decide(services) -> int:
    """An item of review.bpmn waiting at "decide", its boundary timer due in 30 minutes."""
    iid = start(services, "review")
    complete(services, the_task(services, iid, "accept")["id"], {"complete": True})
    return iid


def _wakeups(services) -> list[Job]:
    return [j for j in services.scheduler.sent if j.func == FIRE_DUE]


def test_timers_of_one_second_in_several_transactions_send_its_wakeup_once(services):
    deploy_file(services, "review.bpmn")
    first, second = _to_decide(services), _to_decide(services)  # two steps, both timers in one second
    due = {describe(services, i)["timers"][0]["due_at"] for i in (first, second)}
    assert len(due) == 1
    assert len(_wakeups(services)) == 1


def test_a_wakeup_near_or_at_another_time_is_sent_again(services, clock):
    deploy_file(services, "review.bpmn")
    _to_decide(services)
    [job] = _wakeups(services)
    services.send_jobs([job])
    assert len(_wakeups(services)) == 1  # far off, sent lately: Redis holds it
    for moved in (5, -5):  # the platform clock was moved
        again = Job(job.func, job.args, job.job_id, job.at + timedelta(seconds=moved))
        services.send_jobs([again])
        assert _wakeups(services)[-1] == again
    near = wakeup_of(services, clock.now() + timedelta(seconds=60))
    services.send_jobs([near])
    services.send_jobs([near])
    assert _wakeups(services)[-2:] == [near, near]  # within the sweep's reach: always sent


def test_a_wakeup_whose_send_failed_is_sent_again(services):
    deploy_file(services, "review.bpmn")
    scheduler = services.scheduler

    class Down:
        def send(self, job: Job) -> None:
            raise ConnectionError("Redis is away")

    services.scheduler = Down()
    _to_decide(services)  # committed; the send failed (logged)
    services.scheduler = scheduler
    iid = _to_decide(services)
    sent = _wakeups(services)
    assert [j.job_id for j in sent] == [wakeup_of(services, _due(services, iid)).job_id]


def test_a_wakeup_redis_lost_is_sent_by_the_sweep_before_it_comes_due(services, clock):
    import runner

    deploy_file(services, "review.bpmn")
    iid = _to_decide(services)
    services.scheduler.sent.clear()  # Redis flushed
    _to_decide(services)  # a timer of the same second: this process sent its wake-up lately, not sent now
    assert _wakeups(services) == []
    clock.advance(minutes=29)  # the sweep's horizon reaches it
    with services.transaction() as s:
        assert runner.sweep(s)["sent"] == 2
    assert [j.job_id for j in _wakeups(services)] == [wakeup_of(services, _due(services, iid)).job_id]


def _due(services, iid: int) -> datetime:
    return datetime.fromisoformat(describe(services, iid)["timers"][0]["due_at"]).astimezone(UTC)

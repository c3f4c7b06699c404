"""The worker's own sweep schedule (issue 26): the next sweep a sweep schedules survives that sweep's end and a
move of the platform clock, so the sweep keeper only warns when Redis really lost it (restart, flush)."""

from __future__ import annotations

from datetime import timedelta

from redis import Redis
from rq import Queue, SimpleWorker
from rq.registry import ScheduledJobRegistry

from tests.conftest import TEST_QUEUE
from worker import jobs


def run_one_sweep_job(redis_url: str) -> None:
    connection = Redis.from_url(redis_url)
    queue = Queue(TEST_QUEUE, connection=connection)
    queue.enqueue("worker.jobs.sweep_timers", job_id=jobs.next_sweep_id())
    SimpleWorker([queue], connection=connection).work(burst=True)


def test_the_next_sweep_is_still_scheduled_after_a_sweep_ends_and_the_clock_moves(
    rq_services, redis_url, file_clock
):
    jobs.use_services(rq_services)
    run_one_sweep_job(redis_url)
    assert jobs.sweep_is_scheduled(rq_services)
    queue = Queue(TEST_QUEUE, connection=Redis.from_url(redis_url))
    (scheduled,) = ScheduledJobRegistry(queue=queue).get_job_ids()
    assert queue.fetch_job(scheduled).get_status() == "scheduled"  # not the finished sweep under the same id

    file_clock.set_offset(
        timedelta(days=3).total_seconds()
    )  # the platform clock moves; RQ's schedule is wall-clock time
    assert jobs.sweep_is_scheduled(rq_services)
    run_one_sweep_job(redis_url)  # a sweep the keeper runs meanwhile schedules one next sweep, not two
    assert len(ScheduledJobRegistry(queue=queue).get_job_ids()) == 1

    Redis.from_url(redis_url).flushall()  # Redis lost everything: now the keeper is right to say so
    assert not jobs.sweep_is_scheduled(rq_services)

"""Sending background jobs: RQ on Redis for real, a Null scheduler that only records them.

Jobs are only ever sent after the transaction that created their rows has committed
(see ``runner.services``); a failure to send is logged, never raised: the database is
the truth and the timer sweep re-sends whatever is missing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

log = logging.getLogger(__name__)

FIRE_TIMER = "worker.jobs.fire_timer"
SWEEP = "worker.jobs.sweep_timers"


@dataclass(frozen=True)
class Job:
    """A job to send: a dotted function path, its arguments, an optional id and real UTC time."""

    func: str
    args: tuple[Any, ...] = ()
    job_id: str | None = None
    at: datetime | None = None


def timer_job_id(timer_id: int) -> str:
    return f"timer-{timer_id}"


class JobScheduler(Protocol):
    def send(self, job: Job) -> None: ...

    def existing(self, job_ids: list[str]) -> set[str]:
        """Which of these job ids Redis still holds (queued, scheduled or running)."""
        ...


@dataclass
class NullScheduler:
    """Records jobs instead of sending them (development without Redis, in-process tests)."""

    sent: list[Job] = field(default_factory=list)

    def send(self, job: Job) -> None:
        self.sent.append(job)

    def existing(self, job_ids: list[str]) -> set[str]:
        known = {j.job_id for j in self.sent}
        return {j for j in job_ids if j in known}


class RQScheduler:
    """Sends jobs to an RQ queue; timed jobs with ``enqueue_at`` (worker runs ``--with-scheduler``)."""

    def __init__(self, redis_url: str, queue_name: str) -> None:
        from redis import Redis
        from rq import Queue

        self.connection = Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=2)
        self.queue = Queue(queue_name, connection=self.connection)

    def send(self, job: Job) -> None:
        options: dict[str, Any] = {"job_id": job.job_id, "result_ttl": 600, "failure_ttl": 7 * 86400}
        if job.at is not None:
            self.queue.enqueue_at(job.at, job.func, *job.args, **options)
        else:
            self.queue.enqueue(job.func, *job.args, **options)

    def existing(self, job_ids: list[str]) -> set[str]:
        if not job_ids:
            return set()
        pipe = self.connection.pipeline(transaction=False)
        for job_id in job_ids:
            pipe.exists(f"rq:job:{job_id}")
        return {job_id for job_id, found in zip(job_ids, pipe.execute(), strict=True) if found}

"""Sending background jobs: RQ on Redis for real, a Null scheduler that only records them.

Jobs are only ever sent after the transaction that created their rows has committed
(see ``runner.core.services``); a failure to send is logged, never raised: the database is
the truth and the timer sweep re-sends whatever is missing.

Timers are woken up **per second, not per timer**: the wake-up of the timers due in one second (on the platform
clock) is the job ``fire_due_timers(second)`` with the id ``timers-due-<second>`` (``second``: its UTC epoch
second), scheduled one second before that second begins, so that RQ's scheduler, which moves due jobs to the
queue once a second, has it queued by then; the wake-up of a second that is near or past is sent at once.
The job fires every timer due by then and waits for the rest of its second (``runner.core.timers.fire_due``):
a storm of timers costs one RQ job per second, and a timer fires within milliseconds of its due time instead of
up to a scheduler poll later. Sending the wake-up of a second again (another timer in it, the sweep) overwrites
the job; a wake-up that runs twice finds nothing left to do. ``wakeup_of`` makes them.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from runner.core.transaction import after_commit, services_of

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from runner.core.services import Services
    from runner.models import Timer

log = logging.getLogger(__name__)

MISSING = "missing"  # the state of a wake-up Redis holds no job for

# the wake-up job of one second's timers (wakeup_of makes it; worker.jobs runs it)
FIRE_DUE = "worker.jobs.fire_due_timers"
SWEEP = "worker.jobs.sweep_timers"
# a second's wake-up is scheduled this long before the second begins (RQ's scheduler polls once a second)
WAKE_EARLY = timedelta(seconds=1)
# longest a wake-up job may run (it stops firing after ``runner.core.timers.FIRE_BUDGET`` and sends a follow-up)
FIRE_DUE_TIMEOUT = 600


@dataclass(frozen=True)
class Job:
    """A job to send: a dotted function path, its arguments, an optional id and real UTC time."""

    func: str
    args: tuple[Any, ...] = ()
    job_id: str | None = None
    at: datetime | None = None


def wakeup_job_id(second: int) -> str:
    return f"timers-due-{second}"


def second_wakeup(second: int, begins: datetime, now: datetime | None = None) -> Job:
    """The wake-up of the timers due in ``second`` (UTC epoch second on the platform clock), which begins at real
    time ``begins``: scheduled ``WAKE_EARLY`` before that, or sent at once when that time has passed."""
    send_at = begins - WAKE_EARLY
    return Job(
        FIRE_DUE, (second,), wakeup_job_id(second), send_at if send_at > (now or datetime.now(UTC)) else None
    )


# a job sent lately to run this much earlier, or later, than a send now asks is the same job (a time in real time
# is the platform's moved by its clock's offset, read anew each time): one that runs up to a second early waits for
# its second (worker.jobs.fire_due_timers waits up to 3 s), one that runs late is late by no more than this
SAME_TIME_EARLY, SAME_TIME_LATE = timedelta(seconds=1), timedelta(milliseconds=100)


@dataclass
class SentLately:
    """Timed jobs this process sent, by job id → when it is to run: sending the same job again is skipped while it
    is more than ``beyond`` away (the wake-ups of many items' timers falling due in one second, e.g. the warning
    rules' of the items started on one day). Redis holds it; should Redis lose it, the sweep, which re-sends the
    wake-ups of the timers due within its horizon, sends it again before it comes due: ``beyond`` is at least
    that horizon plus the time between sweeps."""

    beyond: timedelta
    limit: int = 4096
    sent: dict[str, datetime] = field(default_factory=dict)

    def already(self, job: Job, now: datetime) -> bool:
        """Was ``job`` sent by this process, to run at the same time, which is still more than ``beyond`` away?
        (The same time give or take ``SAME_TIME_EARLY`` and ``SAME_TIME_LATE``.)"""
        if job.job_id is None or job.at is None or job.at <= now + self.beyond:
            return False
        at = self.sent.get(job.job_id)
        return at is not None and -SAME_TIME_EARLY <= at - job.at <= SAME_TIME_LATE

    def remember(self, job: Job, now: datetime) -> None:
        """``job`` was sent (Redis took it)."""
        if job.job_id is None or job.at is None or job.at <= now + self.beyond:
            return
        if len(self.sent) >= self.limit:
            self.sent = {i: at for i, at in self.sent.items() if at > now + self.beyond}
            if len(self.sent) >= self.limit:
                self.sent.clear()
        self.sent[job.job_id] = job.at


# how long the workers' word that they are behind with due timers holds unless said again (runner.core.timers_first)
BEHIND_FOR = 2.0


class JobScheduler(Protocol):
    def send(self, job: Job) -> None: ...

    def say_behind(self) -> None:
        """The workers are behind with due timers: say so for ``BEHIND_FOR`` seconds."""
        ...

    def behind(self) -> bool:
        """Did a worker say it is behind with due timers in the last ``BEHIND_FOR`` seconds?"""
        ...

    def existing(self, job_ids: list[str]) -> set[str]:
        """Which of these job ids Redis still holds (queued, scheduled or running)."""
        ...


@dataclass
class NullScheduler:
    """Records jobs instead of sending them (development without Redis, in-process tests)."""

    sent: list[Job] = field(default_factory=list)
    behind_until: float = 0.0  # time.monotonic() until which the workers are behind

    def send(self, job: Job) -> None:
        self.sent.append(job)

    def say_behind(self) -> None:
        self.behind_until = time.monotonic() + BEHIND_FOR

    def behind(self) -> bool:
        return time.monotonic() < self.behind_until

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
        if job.func == FIRE_DUE:
            options["job_timeout"] = FIRE_DUE_TIMEOUT
        if job.at is not None:
            self.queue.enqueue_at(job.at, job.func, *job.args, **options)
        else:
            self.queue.enqueue(job.func, *job.args, **options)

    @property
    def behind_key(self) -> str:
        return f"banjian:{self.queue.name}:timers-behind"

    def say_behind(self) -> None:
        self.connection.set(self.behind_key, b"1", px=int(BEHIND_FOR * 1000))

    def behind(self) -> bool:
        return bool(self.connection.exists(self.behind_key))

    def existing(self, job_ids: list[str]) -> set[str]:
        if not job_ids:
            return set()
        pipe = self.connection.pipeline(transaction=False)
        for job_id in job_ids:
            pipe.exists(f"rq:job:{job_id}")
        return {job_id for job_id, found in zip(job_ids, pipe.execute(), strict=True) if found}


def wakeup_of(services: Services, due_at: datetime) -> Job:
    """The wake-up job of a timer due at ``due_at``: the one of the second it falls due in (``runner.core.scheduling``),
    sent at once when that second is near or past."""
    second = math.floor(due_at.timestamp())
    return second_wakeup(second, services.real_time(datetime.fromtimestamp(second, UTC)))


def schedule_timer(session: Session, row: Timer) -> None:
    """Queue the wake-up of the second ``row`` falls due in, to be sent after the commit (one job per second,
    however many timers share it: ``runner.core.timers``; the send skips a second already queued). ``row`` may be
    new and not yet flushed."""
    services = services_of(session)
    row.enqueued_at = services.now()
    after_commit(session, wakeup_of(services, row.due_at))


def wakeup_states(services: Services, timers: list[tuple[int, datetime]]) -> dict[int, str] | None:
    """``timer id → RQ status of its wake-up job`` for ``(id, due_at)`` pairs (``missing`` when Redis holds no
    job); None when Redis is down."""
    if not timers:
        return {}
    timer_ids = [timer_id for timer_id, _ in timers]
    job_ids = [wakeup_job_id(math.floor(due_at.timestamp())) for _, due_at in timers]
    connection = getattr(services.scheduler, "connection", None)
    if connection is None:
        # a scheduler without Redis (development, in-process tests) only records what it would send
        known = services.scheduler.existing(job_ids)
        return {i: "recorded" if j in known else MISSING for i, j in zip(timer_ids, job_ids, strict=True)}
    from rq.job import Job

    try:
        jobs = Job.fetch_many(job_ids, connection=connection)
        states = {}
        for timer_id, job in zip(timer_ids, jobs, strict=True):
            status = job.get_status(refresh=False) if job is not None else MISSING
            states[timer_id] = str(getattr(status, "value", status) or "created")
        return states
    except Exception:  # noqa: BLE001 - any Redis failure: the page shows "Redis 不可用"
        log.warning("cannot read RQ job states", exc_info=True)
        return None

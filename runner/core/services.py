"""The runner's surroundings, built once per process: database, clock, calendar, job scheduler.

``Services.transaction()`` is the one unit of work: a session whose ``info`` carries the
services; it commits once at the end, turns lost optimistic-lock races into ``Conflict``,
and only after the commit sends the jobs that runner functions queued with ``after_commit``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from runner.clock import Clock, clock_from_env
from runner.config import Settings
from runner.core.scheduling import Job, JobScheduler, NullScheduler, RQScheduler, SentLately
from runner.db import make_engine
from runner.exceptions import ConcurrentUpdate

if TYPE_CHECKING:
    from runner.timekeeping.calendar import BusinessCalendar

log = logging.getLogger(__name__)
T = TypeVar("T")
# local calendar overrides reach other processes within this many seconds
CALENDAR_TTL = 30.0


class Services:
    """Everything a runner function needs besides its arguments."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        clock: Clock | None = None,
        scheduler: JobScheduler | None = None,
        engine: Engine | None = None,
    ) -> None:
        self.settings = settings or Settings.from_env()
        self.engine = engine or make_engine(self.settings.database_url)
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)
        # PostgreSQL can make a reading's transaction READ ONLY, and so end it with COMMIT (``reading``)
        self._reading_commits = self.engine.dialect.name == "postgresql"
        self._reading_engine = self.engine.execution_options(
            read_only=True, **({"postgresql_readonly": True} if self._reading_commits else {})
        )
        self.clock: Clock = clock or clock_from_env()
        self.scheduler: JobScheduler = scheduler or RQScheduler(
            self.settings.redis_url, self.settings.queue_name
        )
        from runner.core.sandbox.pool import shared_pool
        from runner.core.specs import SpecCache  # local: these import SpiffWorkflow, keep this module light
        from runner.core.workflow_cache import WorkflowCache

        # the evaluator processes diagram scripts run in (shared by every Services of this process)
        self.evaluators = shared_pool(self.settings.script_memory_limit_mb, self.settings.script_evaluators)
        self.specs = SpecCache()
        self.workflows = WorkflowCache(self.settings.workflow_cache_size)
        self._calendar: tuple[float, BusinessCalendar] | None = None
        self.sent_lately = SentLately(
            timedelta(seconds=self.settings.sweep_horizon_seconds + self.settings.sweep_interval_seconds)
        )

    @classmethod
    def without_redis(cls, settings: Settings | None = None, **kwargs: Any) -> Services:
        """Services whose jobs are only recorded (development, in-process tests)."""
        return cls(settings, scheduler=NullScheduler(), **kwargs)

    def now(self) -> datetime:
        return self.clock.now()

    def real_time(self, when: datetime) -> datetime:
        """Map a time on the platform clock to wall-clock time (they differ only under a test clock)."""
        return when - (self.clock.now() - datetime.now(UTC))

    def _session(self, session: Session) -> Session:
        """A new session that runner functions can find the services and the after-commit jobs on."""
        session.info["services"] = self
        session.info["after_commit"] = []
        session.info["on_commit"] = []
        return session

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commit once at the end; send queued jobs only after the commit."""
        session = self._session(self.session_factory())
        try:
            yield session
            session.commit()
        except StaleDataError as exc:
            session.rollback()
            raise ConcurrentUpdate(
                "该办件刚被他人修改，请刷新后重试 (the item was changed by someone else; reload)"
            ) from exc
        except IntegrityError as exc:
            session.rollback()
            if lost_race(exc):
                raise ConcurrentUpdate(
                    "该办件刚被他人修改，请刷新后重试 (the item was changed by someone else; reload)"
                ) from exc
            raise
        except OperationalError as exc:
            session.rollback()
            text = str(exc).lower()
            if "locked" in text or "could not serialize" in text or "deadlock" in text:
                raise ConcurrentUpdate("数据库忙，请重试 (database busy, try again)") from exc
            raise
        except BaseException:
            session.rollback()
            raise
        finally:
            jobs: list[Job] = session.info.get("after_commit", [])
            callbacks: list[Callable[[], None]] = session.info.get("on_commit", [])
            session.close()
        # reached only when the commit succeeded
        for callback in callbacks:
            callback()
        self.send_jobs(jobs)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only unit of work: writes nothing, and on SQLite takes no write lock (login and permission
        look-ups on every request must not queue behind writers).

        On PostgreSQL the transaction is ``READ ONLY`` (a stray write fails there), so a clean one can end
        with COMMIT, its objects detached first so nothing flushes: psycopg forgets every prepared statement
        of a connection on ROLLBACK, and one rollback per request meant re-planning every statement. SQLite
        rolls back."""
        session = self._session(Session(self._reading_engine, expire_on_commit=False))
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        else:
            if self._reading_commits:
                session.expunge_all()
                session.commit()
            else:
                session.rollback()
        finally:
            session.close()

    def run(self, func: Callable[..., T], *args: Any, retries: int = 3, **kwargs: Any) -> T:
        """Run ``func(session, *args, **kwargs)`` in a transaction, again (up to ``retries`` times) when it
        lost an optimistic-lock race to a concurrent change of the same instance."""
        for attempt in range(retries + 1):
            try:
                with self.transaction() as session:
                    return func(session, *args, **kwargs)
            except ConcurrentUpdate:
                if attempt == retries:
                    raise
                time.sleep(0.005 * (attempt + 1))
        raise AssertionError("unreachable")

    def calendar(self, loader: Callable[[], BusinessCalendar]) -> BusinessCalendar:
        """The business calendar, rebuilt at most every ``CALENDAR_TTL`` seconds (or after ``forget_calendar``)."""
        cached = self._calendar
        if cached is None or time.monotonic() - cached[0] > CALENDAR_TTL:
            cached = self._calendar = (time.monotonic(), loader())
        return cached[1]

    def forget_calendar(self) -> None:
        """Drop the cached calendar (call after changing the local overrides)."""
        self._calendar = None

    def send_jobs(self, jobs: list[Job]) -> None:
        """Send jobs, each job id once (and a timed one not again while Redis holds it: ``SentLately``); a Redis
        outage is logged, the sweep sends them later."""
        sent: set[str] = set()
        now = datetime.now(UTC)  # the jobs' times are real ones
        for job in jobs:
            if job.job_id is not None:
                if job.job_id in sent or self.sent_lately.already(job, now):
                    continue  # e.g. the wake-up of a second several new timers share
                sent.add(job.job_id)
            try:
                self.scheduler.send(job)
            except Exception:  # noqa: BLE001 - Redis down must never fail a committed request
                log.warning(
                    "could not send job %s %s; the sweep will retry", job.func, job.job_id, exc_info=True
                )
                continue
            self.sent_lately.remember(job, now)


# Rows two steps of one item write alike: on PostgreSQL the later of two racing steps may hit one of these before
# its optimistic-lock check on the item row, which is the same lost race (``ConcurrentUpdate``, run again).
RACE_CONSTRAINTS = {
    "uq_open_task": "open_tasks.instance_id, open_tasks.task_id",
    "uq_timer": "timers.instance_id, timers.task_id, timers.due_at",
}


def lost_race(exc: IntegrityError) -> bool:
    """Whether ``exc`` is a unique violation of ``RACE_CONSTRAINTS`` (by name on PostgreSQL, columns on SQLite)."""
    name = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
    if name:
        return name in RACE_CONSTRAINTS
    text = str(exc.orig)
    return any(f"UNIQUE constraint failed: {columns}" in text for columns in RACE_CONSTRAINTS.values())

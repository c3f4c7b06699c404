"""Thin RQ jobs: take ids, call the runner in its transactions, return something small.

The services are built once by the worker's entry point (``worker.__main__``); a job run by a
plain ``rq worker`` builds them from the environment on first use, never at import time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from uuid import uuid4

from sqlalchemy.orm import Session

import runner
from runner.core.scheduling import FIRE_DUE, Job, wakeup_of

log = logging.getLogger(__name__)
T = TypeVar("T")

SWEEP_JOB_ID = "timer-sweep"
_services: runner.Services | None = None


def use_services(services: runner.Services) -> None:
    """Install the services jobs run with (called once by the worker entry point)."""
    global _services
    _services = services


def services() -> runner.Services:
    global _services
    if _services is None:
        _services = runner.Services(runner.Settings.from_env())
    return _services


def fire_due_timers(second: int | None = None) -> dict[str, int]:
    """The wake-up of the timers due in ``second`` (a UTC epoch second on the platform clock; None: now): fire every
    timer that is due, then wait for those falling due before the second ends and fire them as they do
    (``runner.fire_due``).

    When more is due than one batch, another worker is called in (a wake-up for now, if the queue is empty);
    after ``runner.core.timers.FIRE_BUDGET`` seconds with timers still due, a follow-up wake-up carries on.
    """
    svc = services()
    since = until = None
    if second is not None:  # never more than a few seconds of waiting (a host whose clock is behind)
        since = datetime.fromtimestamp(second, UTC)
        until = min(since + timedelta(seconds=1), svc.now() + timedelta(seconds=3))
    outcomes = runner.fire_due(svc, since=since, until=until, on_backlog=lambda: _call_in_another_worker(svc))
    if outcomes.pop("left", 0):
        svc.send_jobs([wakeup_of(svc, svc.now())])
    if outcomes:
        log.info("wake-up %s: %s", second, outcomes)
    return outcomes


def _call_in_another_worker(svc: runner.Services) -> None:
    """More is due than one batch: send a wake-up for now, unless the queue already holds work for a free worker."""
    queue = getattr(svc.scheduler, "queue", None)
    try:
        if queue is not None and queue.count > 0:
            return
    except Exception:  # noqa: BLE001 - Redis away: the job in hand goes on alone
        return
    svc.send_jobs([Job(FIRE_DUE)])


def fire_timer(timer_id: int) -> str:
    """Fire one timer (jobs sent before timers were woken up per second, tests); a lost race is a no-op."""
    # a concurrent change of the same instance: run again on the fresh state
    outcome = services().run(runner.fire_timer, timer_id, retries=5)
    log.info("timer %s: %s", timer_id, outcome)
    return outcome


def send_notification(notification_id: int) -> str:
    """Pass one committed notification on through the configured sender (log file or e-mail)."""
    from runner.senders import send_notification as send

    outcome = services().run(send, notification_id)
    log.info("notification %s: %s", notification_id, outcome)
    return outcome


def sweep_timers(reschedule: bool = True) -> dict[str, Any]:
    """Re-send jobs for due timers that have none, check the calendar's horizon, then schedule the next sweep."""
    svc = services()
    with svc.transaction() as session:
        result = runner.sweep(session)
    watch_calendar(svc)
    start_continued_delays(svc)
    sweep_online(svc)
    if reschedule:
        schedule_next_sweep(svc)
    log.info("sweep: %s", result)
    return result


def watch_calendar(svc: runner.Services) -> None:
    """Tell the admins once when a year's holiday arrangement is missing (``runner.watch_calendar``), and fill in
    the pending dates of a year that became known without an import (``runner.fill_in_known_years``: an
    upgraded chinesecalendar); a failure here never stops the sweep."""
    try:
        with svc.transaction() as session:
            raised = runner.watch_calendar(session)
        with svc.transaction() as session:
            filled = runner.fill_in_known_years(session)
    except Exception:  # noqa: BLE001 - the timers come first; the alarm is tried again next sweep
        log.warning("calendar watch failed; trying again at the next sweep", exc_info=True)
        return
    if raised:
        log.warning("calendar: the %s holiday arrangement is missing; admins told", raised["year"])
    if filled:
        log.info("calendar: %d open items recalculated with a newly known year", len(filled))


def next_sweep_id() -> str:
    """A sweep job's own id: the running sweep schedules the next one under another id, so the end of the
    running job (its result kept ``result_ttl`` seconds, then dropped) never overwrites the next one."""
    return f"{SWEEP_JOB_ID}-{uuid4().hex}"


def _pending_sweeps(queue: Any, *, running: bool = False) -> list[str]:
    """Ids of the sweeps Redis holds that are still to run (scheduled, queued) — and running ones too."""
    from rq.registry import ScheduledJobRegistry, StartedJobRegistry

    ids = [*ScheduledJobRegistry(queue=queue).get_job_ids(), *queue.get_job_ids()]
    if running:
        ids += StartedJobRegistry(queue=queue).get_job_ids()
    return [i for i in ids if i.startswith(SWEEP_JOB_ID)]


def _upkeep(svc: runner.Services, what: str, work: Callable[[Session], T]) -> T | None:
    """``work`` in a transaction of its own; a failure is logged and gives None: the timers come first, and the
    upkeep is tried again at the next sweep."""
    try:
        with svc.transaction() as session:
            return work(session)
    except Exception:  # noqa: BLE001 - never stops the sweep
        log.warning("%s failed; trying again at the next sweep", what, exc_info=True)
        return None


def start_continued_delays(svc: runner.Services) -> None:
    """连续延期: start the 延期 handling of items 3 working days late
    (``runner.supervision.continued_delay``)."""
    from runner.supervision.continued_delay import start_continued_delays as start_delays

    started = _upkeep(svc, "continued delays", start_delays)
    if started:
        log.info("连续延期: %d items started their 延期 handling", len(started))


def sweep_online(svc: runner.Services) -> None:
    """网上申报's upkeep: expired drafts (files deleted), overdue 预审 warnings, missed appointments
    (``runner.online.sweep``)."""
    from runner.online.sweep import sweep_online as sweep

    done = _upkeep(svc, "online applications' sweep", sweep)
    if done and any(done.values()):
        log.info("online applications: %s", done)


def schedule_next_sweep(svc: runner.Services) -> None:
    """Schedule the next sweep in wall-clock time (RQ's), replacing any other pending one: one at a time."""
    from redis import Redis
    from rq import Queue

    queue = Queue(svc.settings.queue_name, connection=Redis.from_url(svc.settings.redis_url))
    for stale in _pending_sweeps(queue):
        job = queue.fetch_job(stale)
        if job is not None:
            job.delete()
    queue.enqueue_in(
        timedelta(seconds=svc.settings.sweep_interval_seconds),
        "worker.jobs.sweep_timers",
        job_id=next_sweep_id(),
        result_ttl=60,
    )


def sweep_is_scheduled(svc: runner.Services) -> bool:
    """Does Redis still hold the next sweep (it does not after a restart with an empty Redis, or a flush)?"""
    from redis import Redis
    from rq import Queue

    connection = Redis.from_url(svc.settings.redis_url, socket_timeout=5, socket_connect_timeout=2)
    try:
        return bool(_pending_sweeps(Queue(svc.settings.queue_name, connection=connection), running=True))
    finally:
        connection.close()

"""``python -m worker``: one RQ worker with its scheduler; sweeps due timers on start and every minute.

Timers reach it as one job per second they fall due in (``worker.jobs.fire_due_timers``, sent after the commit
that made them, see ``runner.core.scheduling``), scheduled a second early: RQ's scheduler — in one worker at a time,
polling Redis once a second — has it queued by the time the second begins, and the job fires the timers of its
second as they fall due, with every other due timer, in batches (``runner.fire_due``). Several workers split
the due timers with ``SELECT … FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import ctypes.util
import logging
import os
import signal
import threading
import time

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import Queue, SimpleWorker

import runner
from runner.heap import settle_after_start
from worker import jobs

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In a forked child (RQ's scheduler process): get SIGKILL when the worker dies.

    Without this a SIGKILLed worker leaves its scheduler behind holding copies of the worker's
    Redis sockets, and Redis may hand the next job to the dead worker's blocked dequeue.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the sweep still re-sends what gets lost
        pass


def keep_sweeping(services: runner.Services, stop: threading.Event) -> None:
    """Every sweep interval, restore the sweep if Redis lost it (restarted empty, flushed): sweep now, which
    re-sends every due timer's job and schedules the next sweep. Redis down: try again next interval."""
    while not stop.wait(services.settings.sweep_interval_seconds):
        try:
            if not jobs.sweep_is_scheduled(services):
                logging.warning("worker: the scheduled sweep is gone from Redis; sweeping now")
                jobs.sweep_timers(reschedule=True)
        except Exception:  # noqa: BLE001 - Redis or the database away: the next round tries again
            logging.warning("worker: sweep keeper could not reach Redis or the database", exc_info=True)


def wait_for_redis(connection: Redis, url: str) -> None:
    """Return once Redis answers, logging every 2 s until then."""
    while True:
        try:
            connection.ping()
            return
        except RedisConnectionError:
            logging.warning("worker: Redis at %s not reachable; retrying", url)
            time.sleep(2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m worker", description=__doc__)
    parser.add_argument("--burst", action="store_true", help="stop when the queue is empty")
    parser.add_argument("--name", default=None, help="worker name (default: RQ's)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("spiff").setLevel(logging.WARNING)  # one INFO line per task state change otherwise

    os.register_at_fork(after_in_child=_die_with_parent)
    services = runner.Services(runner.Settings.from_env())
    jobs.use_services(services)
    services.evaluators.warm()  # diagram scripts' evaluator processes, started before the first job
    connection = Redis.from_url(services.settings.redis_url)
    queue = Queue(services.settings.queue_name, connection=connection)
    while True:  # wait for Redis instead of dying: the platform keeps working without it meanwhile
        wait_for_redis(connection, services.settings.redis_url)
        try:
            jobs.sweep_timers(reschedule=True)
            break
        except RedisConnectionError:
            continue
    settle_after_start()  # what start-up made stays for the process's life (the default thresholds cost ≈ 4 % of firing)
    stop = threading.Event()
    threading.Thread(target=keep_sweeping, args=(services, stop), name="sweep-keeper", daemon=True).start()
    try:
        while True:
            # SimpleWorker runs jobs in this process: no fork per job (fast, and no database
            # connection shared across a fork); scripts run in evaluator processes with their own limits.
            worker = None
            try:
                worker = SimpleWorker([queue], connection=connection, name=args.name)
                worker.work(burst=args.burst, with_scheduler=True, logging_level="INFO")
                break
            except RedisConnectionError:
                # RQ rides out an outage while it waits for jobs, not while it registers: start afresh
                logging.warning("worker: lost Redis while starting; starting again once it answers")
                wait_for_redis(connection, services.settings.redis_url)
                if worker is not None:  # half registered: mark it dead so its name can register again
                    with contextlib.suppress(RedisConnectionError):
                        worker.register_death()
    finally:
        stop.set()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

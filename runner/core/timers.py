"""Firing timers and the sweep that makes sure none is forgotten.

A worker fires timers in batches (``fire_due``, run by the per-second wake-up job ``worker.jobs.fire_due_timers``,
see ``runner.core.scheduling``): it claims a few due timers at a time with ``SELECT … FOR UPDATE SKIP LOCKED`` — the
timer rows and their instances' rows, so that several workers split the due timers between them instead of racing
for the same instance — and fires them in one transaction: what the items' saves read is read once for the batch
(``engine.read_ahead``) and the batch is written in one flush, a few statements per batch instead of ten per timer.
If a timer raises, the batch is undone and fired again with each item in its own savepoint: the timer whose
firing raises is rolled back alone and becomes an incident on its item, the others of the batch commit. SQLite
has no SKIP LOCKED; there every transaction takes the database's write lock when it begins (``runner.db``), so
batches of several workers simply take turns. ``fire_timer`` fires one timer in the caller's transaction (tests,
the one-timer job). A worker that claims timers well past due holds the clerks' steps back (``timers_first``).
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import ColumnElement, and_, func, select, update
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, undefer
from sqlalchemy.orm.exc import StaleDataError

from runner.core import audit, engine, hooks, timers_first
from runner.core.scheduling import Job, schedule_timer, wakeup_job_id, wakeup_of
from runner.core.services import Services
from runner.core.transaction import after_commit, services_of
from runner.exceptions import ConcurrentUpdate
from runner.models import InstanceStatus, ProcessInstance, Timer, TimerStatus

log = logging.getLogger(__name__)

# A due timer whose wake-up job still exists is trusted for this long; after that the sweep sends another
# wake-up (the worker that held it may have died). Firing is idempotent, so a spare job does nothing.
STALE_AFTER = timedelta(seconds=30)
# timers claimed per transaction: one commit (one fsync) and a few statements for all of them; small enough that
# the first of a batch is committed a few tens of milliseconds after it fired
BATCH = 8
# timers claimed per transaction while the workers are behind (``timers_first``): the statements and the commit
# of a batch shared by more timers, for more timers a second
BEHIND_BATCH = 32
# a wake-up job stops firing after this many seconds (and asks for a follow-up) to stay far from RQ's timeout
FIRE_BUDGET = 60.0
# a timer whose firing raised is not tried again by this process for this long (one incident, not a flood)
RETRY_FAILED_AFTER = 60.0
# per process (per Services): timer id → when (time.monotonic()) it may be tried again
_failed: WeakKeyDictionary[Services, dict[int, float]] = WeakKeyDictionary()


def fire_timer(session: Session, timer_id: int) -> str:
    """Fire one timer if it is due and still pending; returns what happened (for logs and tests)."""
    row = session.get(Timer, timer_id)
    if row is None:
        return "unknown"
    if row.status != TimerStatus.PENDING:
        return f"already {row.status}"
    instance = session.get(ProcessInstance, row.instance_id)
    assert instance is not None
    if instance.status == InstanceStatus.SUSPENDED:
        return "suspended"  # resume() sends the job again
    now = services_of(session).now()
    if instance.status in (InstanceStatus.COMPLETED, InstanceStatus.TERMINATED):
        row.status, row.ended_at = TimerStatus.CANCELLED, now
        return "cancelled"
    if row.follows_deadline and instance.paused_since is not None:
        return "held"  # the item's clock is stopped; resuming it moves this timer
    if row.due_at > now:
        schedule_timer(session, row)  # woke up early (clock skew between hosts): wait again
        return "early"
    if row.kind in hooks.TIMER_KINDS:
        return hooks.TIMER_KINDS[row.kind](session, row, instance)
    workflow = engine.load(session, instance)
    engine.advance(session, instance, workflow, actor="system")
    engine.save(session, instance, workflow)
    if row.status == TimerStatus.PENDING:
        # the engine did not consume it (its task moved on without it): nothing more will happen
        row.status, row.ended_at = TimerStatus.CANCELLED, now
        audit.record(
            session,
            "timer_cancelled",
            actor="system",
            instance=instance,
            task_id=row.task_id,
            task_name=row.name,
            timer_id=row.id,
        )
    return str(row.status)


def _waiting() -> ColumnElement[bool]:
    """Pending timers that may fire when due: their item is not suspended and their clock not stopped."""
    return and_(
        Timer.status == TimerStatus.PENDING,
        ProcessInstance.status != InstanceStatus.SUSPENDED,
        ~(Timer.follows_deadline & ProcessInstance.paused_since.is_not(None)),
    )


def claim_due(
    session: Session, *, limit: int = BATCH, skip: set[int] | frozenset[int] = frozenset()
) -> list[tuple[Timer, ProcessInstance]]:
    """Lock up to ``limit`` due timers, soonest first, with their instances — none another worker has locked.

    PostgreSQL: ``FOR UPDATE OF timers, process_instances SKIP LOCKED``; the locks last until the commit, so no
    other worker fires these timers or anything of their instances meanwhile. SQLite ignores the clause (its
    transactions already hold the database's write lock). The caller keeps the instances (the session holds
    only weak references: firing would read each one again).
    """
    now = services_of(session).now()
    query = (
        select(Timer, ProcessInstance)
        .join(ProcessInstance, ProcessInstance.id == Timer.instance_id)
        .where(_waiting(), Timer.due_at <= now)
        .order_by(Timer.due_at)  # the order of ix_timer_status_due: read no further than the batch
        .limit(limit)
        .with_for_update(of=[Timer.__table__, ProcessInstance.__table__], skip_locked=True)
        .options(undefer(ProcessInstance.state))  # the engine state, read with the claim: no read per item
    )
    if skip:
        query = query.where(Timer.id.not_in(sorted(skip)))
    return [(row, instance) for row, instance in session.execute(query)]


def next_due(session: Session, after: datetime, before: datetime) -> datetime | None:
    """When the next waiting timer due after ``after`` and before ``before`` falls due (None: no such timer)."""
    return session.scalar(
        select(func.min(Timer.due_at))
        .join(ProcessInstance, ProcessInstance.id == Timer.instance_id)
        .where(_waiting(), Timer.due_at > after, Timer.due_at < before)
    )


def fire_due(
    services: Services,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    batch: int = BATCH,
    behind_batch: int = BEHIND_BATCH,
    budget: float = FIRE_BUDGET,
    on_backlog: Callable[[], None] | None = None,
) -> dict[str, int]:
    """Fire every timer that is due, ``batch`` per transaction (``behind_batch`` while the last batch claimed was
    behind: ``timers_first``); with ``until`` (platform time) also wait for the timers falling due from ``since``
    (default: now) until then, and fire them as they fall due — and whatever else is due by then.

    Runs its own transactions (like ``Services.run``). Returns how many timers ended how (``fired``, ``cancelled``,
    ``already fired``, ``failed``, …); ``left`` = 1 when it stopped after ``budget`` seconds with timers still due.
    ``on_backlog`` is called once, the first time a claim comes back full (more is due than one batch): the
    worker uses it to call another worker in.
    """
    started = time.monotonic()
    # the waiting ends at ``until`` on the platform clock, or that long from now in real time (a clock that
    # stands still, as in tests, must not keep it waiting)
    stop_waiting = started + (until - services.now()).total_seconds() if until is not None else started
    outcomes: Counter[str] = Counter()
    conflicts = 0
    backlog_reported = False
    careful = False  # the next batch is fired one savepoint per item (one of its timers raised)
    size = batch  # of the next claim
    while True:
        now_mono = time.monotonic()
        failed = _failed.setdefault(services, {})
        for timer_id in [t for t, retry_at in failed.items() if retry_at <= now_mono]:
            del failed[timer_id]
        waiting = until is not None and now_mono < stop_waiting
        try:
            with services.transaction() as session:
                claimed_at = services.now()
                claimed = claim_due(session, limit=size, skip=set(failed))
                done = _fire_batch(session, claimed, careful=careful)
                # a batch that is not full was everything due (and not locked) when it was claimed: when is the
                # next timer of the wait due (asked in the same transaction)
                upcoming = None
                if waiting and until is not None and len(claimed) < size:
                    upcoming = next_due(session, max(claimed_at, since or claimed_at), until)
        except _TimerRaised:  # undone: take the batch again, one savepoint per item
            log.info("a timer of the batch raised; firing the batch again one item at a time")
            careful = True
            continue
        except ConcurrentUpdate:  # a deadlock or lost race with a request: the batch is undone; take it again
            conflicts += 1
            if conflicts > 10:
                raise
            time.sleep(0.01 * conflicts)
            continue
        careful = False
        full, size = len(claimed) == size, batch
        # soonest first: is the oldest of them late enough that the clerks' steps should wait (and batches grow)?
        if claimed and timers_first.say_if_behind(services, claimed[0][0].due_at, claimed_at):
            size = max(batch, behind_batch)
        outcomes.update(done)
        if full:  # more may be due: go on at once
            if on_backlog is not None and not backlog_reported:
                backlog_reported = True
                on_backlog()
            if time.monotonic() - started > budget:
                outcomes["left"] = 1
                break
            continue
        if not waiting:
            if claimed:
                continue  # until a claim finds nothing due
            break
        if upcoming is None:
            break
        # sleep until it is due, looking again at least every 0.25 s (a timer due sooner may have come meanwhile, or
        # a backlog that the wake-up of an earlier second cannot fire alone)
        pause = min(
            0.25, max(0.0, (upcoming - services.now()).total_seconds()), stop_waiting - time.monotonic()
        )
        time.sleep(max(0.0, pause))
    return dict(outcomes)


class _TimerRaised(Exception):
    """A timer of a batch fired without savepoints raised: the batch is undone and fired again one savepoint
    per item (``_fire_batch(careful=True)``), where the failing timer becomes an incident alone."""


def _fire_batch(
    session: Session, claimed: list[tuple[Timer, ProcessInstance]], *, careful: bool = True
) -> Counter[str]:
    """Fire claimed timers: firing an instance's first due timer fires all of its due timers (SpiffWorkflow
    steps every timer that went off), so its other rows are fired by then; a row the firing left pending is
    left for the next batch.

    Not ``careful``: what the items' saves read is read for the whole batch first (``engine.read_ahead``), the
    timers fire one after the other and the batch is written in one flush — a few statements per batch instead
    of ten per timer; if any timer raises, ``_TimerRaised`` (the caller undoes the batch and fires it again
    carefully). ``careful``: one savepoint per instance; timers of an instance whose firing raised become an
    incident and wait ``RETRY_FAILED_AFTER`` seconds in this process."""
    if not careful:
        return _fire_at_once(session, claimed)
    done: Counter[str] = Counter()
    fired_instances: dict[int, bool] = {}  # instance id → its firing succeeded
    for row, _instance in claimed:
        succeeded = fired_instances.get(row.instance_id)
        if succeeded is None:
            outcome = _fire_in_savepoint(session, row.id)
            fired_instances[row.instance_id] = outcome != "failed"
            done[outcome] += 1
        elif succeeded and row.status != TimerStatus.PENDING:
            done[f"already {row.status}"] += 1
        elif not succeeded:
            _failed.setdefault(services_of(session), {})[row.id] = time.monotonic() + RETRY_FAILED_AFTER
    return done


def _fire_at_once(session: Session, claimed: list[tuple[Timer, ProcessInstance]]) -> Counter[str]:
    """``_fire_batch`` without savepoints (see there)."""
    done: Counter[str] = Counter()
    fired_instances: set[int] = set()
    try:
        engine.read_ahead(session, sorted({row.instance_id for row, _ in claimed}))
        for row, _instance in claimed:
            if row.instance_id not in fired_instances:
                fired_instances.add(row.instance_id)
                done[fire_timer(session, row.id)] += 1
            elif row.status != TimerStatus.PENDING:
                done[f"already {row.status}"] += 1
        session.flush()  # a row that cannot be written fails here, in the batch, not at the commit
    except (OperationalError, InterfaceError, StaleDataError):
        raise  # the connection or a lost race, not a timer: the whole batch is undone and taken again
    except Exception as exc:  # noqa: BLE001 - which timer it was is found by firing the batch carefully
        raise _TimerRaised from exc
    return done


# what a transaction queues for after its commit (runner.core.services): a rolled-back savepoint must take its own back
_AFTER_COMMIT_KEYS = ("after_commit", "on_commit")


def _fire_in_savepoint(session: Session, timer_id: int) -> str:
    """``fire_timer`` in a savepoint; if it raises, undo only this timer, record an incident, carry on."""
    queued = {key: len(session.info.setdefault(key, [])) for key in _AFTER_COMMIT_KEYS}
    try:
        with session.begin_nested():
            return fire_timer(session, timer_id)
    except (OperationalError, InterfaceError, StaleDataError):
        raise  # the connection or a lost race, not this timer: the whole batch is undone and taken again
    except Exception as exc:  # noqa: BLE001 - any failure of one timer must not stop the others
        for key, length in queued.items():
            del session.info[key][length:]  # jobs and callbacks of the undone work
        _failed.setdefault(services_of(session), {})[timer_id] = time.monotonic() + RETRY_FAILED_AFTER
        log.exception("timer %s: firing failed; recorded as an incident", timer_id)
        _record_failure(session, timer_id, exc)
        return "failed"


def _record_failure(session: Session, timer_id: int, exc: Exception) -> None:
    """An incident on the timer's item (one at a time: none while it has an open incident); the item is in error."""
    with session.begin_nested():
        row = session.get(Timer, timer_id)
        instance = session.get(ProcessInstance, row.instance_id) if row is not None else None
        if row is None or instance is None or engine.open_incidents(session, instance.id):
            return
        failure = RuntimeError(
            f"定时器「{row.name}」触发失败 the timer could not fire: {type(exc).__name__}: {exc}"
        )
        incident = engine.record_incident(session, instance, None, failure, actor="system")
        incident.task_id, incident.task_name = row.task_id, row.name
        instance.status = InstanceStatus.ERROR


def sweep(session: Session) -> dict[str, Any]:
    """Send the wake-up of every pending timer due soon that has none in Redis (Redis flushed, worker killed).

    One wake-up job per second (``runner.core.scheduling``): the timers whose second's job is missing, and those
    overdue by more than ``STALE_AFTER`` (their job ran, or its worker died, and they are still pending), get
    their second's wake-up sent again (at once, for a second that is past: each fires every due timer).
    """
    services = services_of(session)
    now = services.now()
    horizon = now + timedelta(seconds=services.settings.sweep_horizon_seconds)
    rows = session.execute(
        select(Timer.id, Timer.due_at)
        .join(ProcessInstance, ProcessInstance.id == Timer.instance_id)
        .where(_waiting(), Timer.due_at <= horizon)
        .order_by(Timer.due_at)
    ).all()
    own = [wakeup_job_id(math.floor(due_at.timestamp())) for _, due_at in rows]  # each one's second's wake-up
    try:
        present = services.scheduler.existing(sorted(set(own)))
    except Exception:  # noqa: BLE001 - Redis down: nothing can be sent now anyway
        log.warning("sweep: Redis unavailable; will try again", exc_info=True)
        return {"checked": len(rows), "sent": 0, "redis": "down"}
    to_send: dict[str | None, Job] = {}
    resent: list[int] = []
    for (timer_id, due_at), job_id in zip(rows, own, strict=True):
        if job_id in present and due_at > now - STALE_AFTER:
            continue
        resent.append(timer_id)
        wakeup = wakeup_of(services, due_at)
        to_send[wakeup.job_id] = wakeup
    for chunk in range(0, len(resent), 1000):
        session.execute(
            update(Timer).where(Timer.id.in_(resent[chunk : chunk + 1000])).values(enqueued_at=now),
            execution_options={"synchronize_session": False},
        )
    for wakeup in to_send.values():
        after_commit(session, wakeup)
    if resent:
        audit.record(session, "sweep", actor="system", sent=len(resent), checked=len(rows), jobs=len(to_send))
    return {"checked": len(rows), "sent": len(resent)}


def due_timers(session: Session, *, limit: int = 500) -> list[Timer]:
    """Pending timers, soonest first (for the console)."""
    return list(
        session.scalars(
            select(Timer).where(Timer.status == TimerStatus.PENDING).order_by(Timer.due_at).limit(limit)
        )
    )

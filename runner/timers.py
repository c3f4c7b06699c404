"""Firing timers (RQ jobs call ``fire_timer``) and the sweep that makes sure none is forgotten."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import audit, engine
from .models import InstanceStatus, ProcessInstance, Timer, TimerStatus
from .scheduling import timer_job_id
from .services import services_of
from .warning_rules import RULE_KIND, fire_rule_timer

log = logging.getLogger(__name__)

# A due timer whose job still exists is trusted for this long; after that the sweep sends another
# job (the worker that held it may have died). Firing is idempotent, so a spare job does nothing.
STALE_AFTER = timedelta(seconds=30)


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
        engine.schedule_timer(session, row)  # woke up early (clock skew between hosts): wait again
        return "early"
    if row.kind == RULE_KIND:
        return fire_rule_timer(session, row, instance)
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


def sweep(session: Session) -> dict[str, Any]:
    """Send a job for every pending timer due soon that has none in Redis (Redis flushed, worker killed)."""
    services = services_of(session)
    now = services.now()
    horizon = now + timedelta(seconds=services.settings.sweep_horizon_seconds)
    rows = list(
        session.scalars(
            select(Timer)
            .join(ProcessInstance, ProcessInstance.id == Timer.instance_id)
            .where(
                Timer.status == TimerStatus.PENDING,
                Timer.due_at <= horizon,
                ProcessInstance.status != InstanceStatus.SUSPENDED,
                ~(Timer.follows_deadline & ProcessInstance.paused_since.is_not(None)),
            )
            .order_by(Timer.due_at)
        )
    )
    try:
        present = services.scheduler.existing([timer_job_id(r.id) for r in rows])
    except Exception:  # noqa: BLE001 - Redis down: nothing can be sent now anyway
        log.warning("sweep: Redis unavailable; will try again", exc_info=True)
        return {"checked": len(rows), "sent": 0, "redis": "down"}
    sent = 0
    for row in rows:
        stale = row.due_at <= now - STALE_AFTER
        if timer_job_id(row.id) not in present or stale:
            engine.schedule_timer(session, row)
            sent += 1
    if sent:
        audit.record(session, "sweep", actor="system", sent=sent, checked=len(rows))
    return {"checked": len(rows), "sent": sent}


def due_timers(session: Session, *, limit: int = 500) -> list[Timer]:
    """Pending timers, soonest first (for the console)."""
    return list(
        session.scalars(
            select(Timer).where(Timer.status == TimerStatus.PENDING).order_by(Timer.due_at).limit(limit)
        )
    )

"""What the monitoring console reads from the engine tables (counts, waiting messages, migration previews)
and its one action of its own (the sweep run by hand, audited).

Other writes stay in the modules that own them (instances, timers, overrides, directory); the reads are
queries that stay index-backed at 100,000 instances.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from runner.core.transaction import services_of
from runner.exceptions import RunnerError
from runner.items.instances import migration_preview
from runner.models import (
    ACTIVE_STATUSES,
    Incident,
    MessageSubscription,
    ProcessDefinition,
    ProcessInstance,
    Timer,
    TimerStatus,
)
from runner.timekeeping.calendar import past_deadline_clause


def overdue_clause(now: datetime) -> ColumnElement[bool]:
    """Open items past their promised deadline whose clock is running (``ix_instance_status_deadline``)."""
    return and_(
        ProcessInstance.status.in_([str(s) for s in ACTIVE_STATUSES]),
        past_deadline_clause(ProcessInstance.deadline, now),
        ProcessInstance.paused_since.is_(None),
    )


def console_counts(session: Session) -> dict[str, int]:
    """The front page's numbers: open incidents, overdue items, pending timers past their due time."""
    now = services_of(session).now()
    incidents = session.scalar(
        select(func.count()).select_from(Incident).where(Incident.resolved_at.is_(None))
    )
    overdue = session.scalar(select(func.count()).select_from(ProcessInstance).where(overdue_clause(now)))
    timers = session.scalar(
        select(func.count()).select_from(Timer).where(Timer.status == TimerStatus.PENDING, Timer.due_at < now)
    )
    return {
        "open_incidents": int(incidents or 0),
        "overdue_items": int(overdue or 0),
        "overdue_timers": int(timers or 0),
    }


def waiting_messages(session: Session, instance_id: int) -> list[str]:
    """Names of the messages an instance waits for (what may be sent to it by hand)."""
    return sorted(
        set(
            session.scalars(
                select(MessageSubscription.message_name).where(MessageSubscription.instance_id == instance_id)
            )
        )
    )


def instance_labels(session: Session, ids: list[int]) -> dict[int, dict[str, Any]]:
    """Receipt number, title and status of a page's instances (one query, no engine state loaded)."""
    if not ids:
        return {}
    rows = session.execute(
        select(
            ProcessInstance.id, ProcessInstance.business_key, ProcessInstance.title, ProcessInstance.status
        ).where(ProcessInstance.id.in_(sorted(set(ids))))
    )
    return {r.id: {"business_key": r.business_key, "title": r.title, "status": r.status} for r in rows}


def definition_labels(session: Session) -> dict[int, str]:
    """``definition id → "key v3"`` for every deployed version (a small table)."""
    rows = session.execute(select(ProcessDefinition.id, ProcessDefinition.key, ProcessDefinition.version))
    return {r.id: f"{r.key} v{r.version}" for r in rows}


def versions_of(session: Session, key: str) -> list[int]:
    """The deployed versions of definition ``key``, newest first."""
    return list(
        session.scalars(
            select(ProcessDefinition.version)
            .where(ProcessDefinition.key == key)
            .order_by(ProcessDefinition.version.desc())
        )
    )


def migration_candidates(
    session: Session, key: str, from_version: int, to_version: int, *, limit: int = 200
) -> list[dict[str, Any]]:
    """For each open instance of ``key`` v``from_version`` (oldest first, at most ``limit``): can it move?"""
    source = session.scalars(
        select(ProcessDefinition.id).where(
            ProcessDefinition.key == key, ProcessDefinition.version == from_version
        )
    ).first()
    if source is None:
        return []
    rows = session.execute(
        select(ProcessInstance.id, ProcessInstance.business_key, ProcessInstance.title)
        .where(
            ProcessInstance.definition_id == source,
            ProcessInstance.status.in_([str(s) for s in ACTIVE_STATUSES]),
        )
        .order_by(ProcessInstance.id)
        .limit(limit)
    ).all()
    found = []
    for row in rows:
        try:
            preview = migration_preview(session, row.id, to_version)
        except RunnerError as exc:
            preview = {"can_move": False, "blocking": [exc.message]}
        found.append(
            {
                "instance_id": row.id,
                "business_key": row.business_key,
                "title": row.title,
                "can_move": preview["can_move"],
                "blocking": list(dict.fromkeys(preview["blocking"])),
            }
        )
    return found


def issued_documents(session: Session, instance_id: int) -> list[dict[str, Any]]:
    """The numbered notices issued for an instance, oldest first."""
    from runner.models import Document
    from runner.papers.documents import document_view

    rows = session.scalars(select(Document).where(Document.instance_id == instance_id).order_by(Document.id))
    return [document_view(r) for r in rows]


def sweep_now(session: Session, *, actor: str) -> dict[str, Any]:
    """The timer sweep run by hand from the console, in the audit trail with who asked and what it did."""
    from runner.core import audit
    from runner.core.timers import sweep

    result = sweep(session)
    audit.record(session, "sweep_requested", actor=actor, **result)
    return result

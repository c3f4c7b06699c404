"""The warnings (电子监察) a clerk answers for: theirs by name or their window's, open or answered.

A warning is a stored event (``WarningEvent``); the only change it ever sees is the responsible clerk's
纠错回告 (``runner.acknowledge_warning``). This module only reads them for the workspace.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from runner.exceptions import NotFound
from runner.items.views import iso
from runner.models import ProcessInstance, WarningEvent

LEVELS = ("notice", "yellow", "red", "overdue", "escalation")


def warning_view(
    row: WarningEvent, business_key: str | None = None, title: str | None = None
) -> dict[str, Any]:
    return {
        "id": row.id,
        "instance_id": row.instance_id,
        "business_key": business_key,
        "title": title,
        "task_name": row.task_name,
        "window": row.window,
        "clerk": row.clerk,
        "rule": row.rule,
        "level": row.level,
        "message": row.message,
        "message_en": row.message_en,  # None: an older warning, Chinese only
        "created_at": iso(row.created_at),
        "acknowledged_at": iso(row.acknowledged_at),
        "acknowledged_by": row.acknowledged_by,
        "reply": row.reply,
    }


def get_warning(session: Session, warning_id: int) -> WarningEvent:
    row = session.get(WarningEvent, warning_id)
    if row is None:
        raise NotFound(f"没有预警 {warning_id} (no such warning)", warning_id=warning_id)
    return row


def warnings_for(
    session: Session, *, user: str, windows: Iterable[str], answered: bool | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """Warnings naming ``user`` as the clerk or one of ``windows``; open (``answered=False``),
    answered (True) or both (None); newest first."""
    query = (
        select(WarningEvent, ProcessInstance.business_key, ProcessInstance.title)
        .outerjoin(ProcessInstance, ProcessInstance.id == WarningEvent.instance_id)  # 预审: no item yet
        .where(or_(WarningEvent.clerk == user, WarningEvent.window.in_(list(windows) or [""])))
    )
    if answered is True:
        query = query.where(WarningEvent.acknowledged_at.is_not(None))
    elif answered is False:
        query = query.where(WarningEvent.acknowledged_at.is_(None))
    query = query.order_by(WarningEvent.created_at.desc(), WarningEvent.id.desc()).limit(limit)
    return [warning_view(w, bk, title) for w, bk, title in session.execute(query)]


def item_warnings(session: Session, instance_id: int) -> list[dict[str, Any]]:
    """Every warning of one item, oldest first (the item page)."""
    rows = session.scalars(
        select(WarningEvent).where(WarningEvent.instance_id == instance_id).order_by(WarningEvent.id)
    )
    return [warning_view(w) for w in rows]

"""What the worker does for online applications at every sweep: drafts untouched for ``online_draft_hours``
expire and their files are deleted, overdue 预审 become warnings, missed appointments are released as no-shows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from runner.core.transaction import services_of
from runner.models import OnlineApplication
from runner.online.applications import DRAFT, EXPIRED, now
from runner.online.files import delete_files
from runner.online.review import warn_overdue
from runner.online.slots import mark_no_shows


def expire_drafts(session: Session) -> list[int]:
    """Drafts not touched for the configured hours: expired, their files deleted."""
    hours = services_of(session).settings.online_draft_hours
    moment = now(session)
    query = select(OnlineApplication).where(
        OnlineApplication.state == DRAFT, OnlineApplication.updated_at < moment - timedelta(hours=hours)
    )
    expired = []
    for row in session.scalars(query.with_for_update(skip_locked=True)):
        delete_files(session, row)
        row.state, row.updated_at = EXPIRED, moment
        row.code_hash = None
        expired.append(row.id)
    return expired


def sweep_online(session: Session) -> dict[str, Any]:
    """One pass of the online room's upkeep (the caller commits)."""
    return {
        "expired_drafts": len(expire_drafts(session)),
        "overdue_reviews": len(warn_overdue(session)),
        "no_shows": len(mark_no_shows(session)),
    }

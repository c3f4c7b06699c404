"""A task that came back: 退回 (sent back to an earlier step) or 撤回 (taken back by the clerk who completed it).

The open task it became says so — who sent it back, when, why (``open_tasks.returned_*``) — for the inbox's
mark and filter and the task page, and it goes straight to the person who completed the step before (the
clerk who withdrew it; for a return, the clerk who did the step, while still a member of its window).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from runner.core.transaction import services_of
from runner.models import OpenTask
from runner.people.directory import get_person

SEND_BACK, WITHDRAW = "send_back", "withdraw"


def mark_returned(
    session: Session,
    instance_id: int,
    task_id: str,
    *,
    kind: str,
    by: str,
    reason: str = "",
    to: str | None = None,
) -> OpenTask | None:
    """Mark the open task ``task_id`` as come back (``kind``: ``send_back`` / ``withdraw``) and give it to
    ``to`` when that person is an active member of the task's window; the row, or None when the step is not
    open (an engine step ran past it)."""
    session.flush()
    row = session.scalars(
        select(OpenTask).where(OpenTask.instance_id == instance_id, OpenTask.task_id == task_id)
    ).first()
    if row is None:
        return None
    now = services_of(session).now()
    row.returned_by, row.returned_at, row.return_reason, row.return_kind = by, now, reason or None, kind
    person = get_person(session, to) if to else None
    if person is not None and person.is_active and (row.window or "") in person.windows:
        row.assignee, row.claimed_at = person.username, now
    return row

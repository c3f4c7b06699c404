"""委派 (a request for a colleague's opinion) withdrawn when its task moves on without the answer.

While a task is out for an opinion its holder (``delegated_by``) or the window head may still hand it over
(转办), give it back to the pool, send it back (退回), and an administrator may terminate the item. Each of
these withdraws the outstanding request first: it is audited, the delegate is told and no longer sees the
task, and the task is its holder's again, so what follows acts on the holder's task (never leaving the old
holder's 委派 marker on someone else's task, nor a stale delegate able to answer).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from runner.core import audit
from runner.items.message_centre import notify
from runner.models import OpenTask, ProcessInstance

# why a request for an opinion was withdrawn: the Chinese (stored in the audit trail) and the English
WHY: dict[str, str] = {
    "转办": "the task was handed over",
    "退回待认领": "the task was given back to the window",
    "退回": "the task was sent back",
    "终止": "the item was terminated",
}


def withdraw_delegation(
    session: Session, row: OpenTask, *, actor: str, why: str, on_behalf_of: str | None = None
) -> None:
    """Withdraw the request for an opinion on ``row`` (if any): audited, the delegate told; the task
    is its holder's again. ``why`` is a key of ``WHY``."""
    if not row.delegated_by:
        return
    delegate, delegator = row.assignee, row.delegated_by
    row.assignee, row.delegated_by, row.delegation_note = delegator, None, None
    instance = session.get(ProcessInstance, row.instance_id)
    audit.record(
        session, "delegation_withdrawn", actor=actor, on_behalf_of=on_behalf_of, instance=instance,
        task_id=row.task_id, task_name=row.name, delegate=delegate, delegated_by=delegator, why=why,
    )  # fmt: skip
    if delegate:
        notify(
            session, "delegation_withdrawn",
            f"办件 {row.business_key}「{row.name}」已{why}，{delegator} 请您提出意见的委派已撤销，无需再答复",
            english=f"Item {row.business_key} “{row.name}”: {WHY[why]}; {delegator}'s request for your "
            "opinion is withdrawn and needs no answer",
            to_user=delegate, instance=instance, task_id=row.task_id,
        )  # fmt: skip


def withdraw_all(session: Session, instance_id: int, *, actor: str, why: str) -> None:
    """Withdraw every outstanding request for an opinion on the item's open tasks (before they go)."""
    rows = session.scalars(
        select(OpenTask).where(OpenTask.instance_id == instance_id, OpenTask.delegated_by.is_not(None))
    )
    for row in rows:
        withdraw_delegation(session, row, actor=actor, why=why)

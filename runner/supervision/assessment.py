"""申诉 decisions: the supervision office (督查股) decides the appeals window heads file against one line of a
考核 scheme's result (``runner.supervision.assessment_schemes.appeals`` files them), and the console lists them.

An upheld appeal removes that line from every later computation of its period; a rejected one keeps it.
Decisions are written to the audit trail.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from runner.core import audit
from runner.core.transaction import services_of
from runner.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from runner.models import Appeal, Role

APPEAL_STATES = {"open": "待裁决", "upheld": "申诉成立", "rejected": "申诉驳回"}


def _roles_at(session: Session, username: str) -> set[tuple[str, str]]:
    from runner.people.directory import get_person

    person = get_person(session, username)
    return set(person.memberships) if person is not None and person.is_active else set()


def decide_appeal(session: Session, appeal_id: int, *, upheld: bool, decision: str, actor: str) -> Appeal:
    """The supervision office (督查股) upholds or rejects an open appeal, with its reasons."""
    roles = {r for _, r in _roles_at(session, actor)}
    if not roles & {Role.SUPERVISOR, Role.ADMIN}:
        raise PermissionDenied("只有督查股可以裁决申诉 (only the supervision office decides appeals)")
    row = session.get(Appeal, appeal_id, with_for_update=True)
    if row is None:
        raise NotFound(f"没有申诉 {appeal_id} (no such appeal)")
    if row.status != "open":
        raise Conflict(
            f"该申诉已裁决：{APPEAL_STATES.get(row.status, row.status)} (the appeal was decided already)"
        )
    decision = (decision or "").strip()
    if not decision:
        raise InvalidInput("请写明裁决意见 (a decision text is required)", field="decision")
    row.status = "upheld" if upheld else "rejected"
    row.decided_by, row.decided_at, row.decision = actor, services_of(session).now(), decision[:2000]
    audit.record(
        session, "appeal_decided", actor=actor, appeal_id=row.id, window=row.window, rule_code=row.rule_code,
        subject=row.subject, status=row.status, decision=row.decision,
    )  # fmt: skip
    return row


def list_appeals(
    session: Session, *, window: str | None = None, windows: set[str] | None = None, status: str | None = None
) -> list[Appeal]:
    """Appeals, newest first; ``windows`` limits them to those windows (a window head's own)."""
    query = select(Appeal).order_by(Appeal.id.desc())
    if window:
        query = query.where(Appeal.window == window)
    if windows is not None:
        query = query.where(Appeal.window.in_(sorted(windows)))
    if status:
        query = query.where(Appeal.status == status)
    return list(session.scalars(query.limit(1000)))


def open_appeal_count(session: Session) -> int:
    """How many appeals wait for a decision (the supervision dashboard's card)."""
    return int(session.scalar(select(func.count()).select_from(Appeal).where(Appeal.status == "open")) or 0)


__all__ = ["APPEAL_STATES", "decide_appeal", "list_appeals", "open_appeal_count"]

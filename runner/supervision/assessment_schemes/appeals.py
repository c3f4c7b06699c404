"""申诉 against one line of a scheme's result: a window head contests a deduction of their window or of a
person at their window; the supervision office decides (``runner.supervision.assessment.decide_appeal``).

An appeal names the scheme's rule and the event (``scoring.appeal_key``); an upheld appeal removes that line
from every later computation, and the report of its period says that the result changed.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from runner.core import audit
from runner.core.transaction import services_of
from runner.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from runner.models import Appeal, Membership, Role, User
from runner.supervision.assessment_schemes import scoring, store
from runner.supervision.assessment_schemes.periods import Span


def _heads(session: Session, username: str) -> set[str]:
    rows = session.scalars(
        select(Membership.window)
        .join(User, User.id == Membership.user_id)
        .where(User.username == username, User.is_active.is_(True), Membership.role == Role.WINDOW_HEAD)
    )
    return set(rows)


def file_appeal(
    session: Session,
    *,
    scheme_code: str,
    rule_code: str,
    subject: str,
    event_subject: str,
    span: Span,
    reason: str,
    actor: str,
) -> Appeal:
    """Appeal the line of ``rule_code`` on ``event_subject`` charged to ``subject`` (window or person) in
    ``span``; only a head of the line's window may."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("请写明申诉理由 (a reason is required)", field="reason")
    if len(reason) > 2000:
        raise InvalidInput("申诉理由不能超过 2000 字 (reason too long)", field="reason")
    scheme = store.scheme_for(session, scheme_code, span.first)
    lines = scoring.collect_lines(session, scheme, span.first, span.last).get(subject, [])
    found = [ln for ln in lines if ln.rule_code == rule_code and ln.subject == event_subject]
    if not found:
        raise NotFound("该期间内没有这项记分 (no such line in the period)", subject=event_subject)
    window = subject if scheme.target == "window" else (found[0].window or "")
    if window not in _heads(session, actor):
        raise PermissionDenied("只有该窗口负责人可以申诉 (only a head of the window may appeal)")
    key_rule, key_subject = scoring.appeal_key(scheme.code, rule_code, scheme.target, subject, event_subject)
    existing = session.scalar(
        select(Appeal.id).where(
            Appeal.window == window, Appeal.rule_code == key_rule, Appeal.subject == key_subject
        )
    )
    if existing is not None:
        raise Conflict("这项记分已申诉过 (this line was appealed already)", appeal_id=existing)
    row = Appeal(
        window=window, rule_code=key_rule, subject=key_subject, points=scoring.points_sum(ln.points for ln in found),
        reason=reason, status="open", filed_by=actor, filed_at=services_of(session).now(),
    )  # fmt: skip
    session.add(row)
    session.flush()
    audit.record(
        session, "appeal_filed", actor=actor, appeal_id=row.id, window=window, rule_code=key_rule,
        subject=key_subject, points=row.points, reason=reason,
    )  # fmt: skip
    return row

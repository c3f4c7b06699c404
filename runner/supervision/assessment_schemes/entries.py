"""记分录入: points the supervision office enters for what no system sees.

Lateness to work, dress, praise in the media, a thank-you letter: entered with the date, the window or
person, the scheme's rule, the points it fixes (within the rule's range) and a note or an attachment.
A correction voids an entry (with its reason) and is reported for the periods it changes; nothing is deleted.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from runner.core import audit
from runner.core.transaction import services_of
from runner.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from runner.models import Membership, Role, ScoreEntry, User, Window
from runner.supervision.assessment_schemes.events import Hit
from runner.supervision.assessment_schemes.store import get_scheme, today

ENTERERS = (Role.SUPERVISOR, Role.ADMIN)
STORAGE_NAME = re.compile(r"^[0-9a-f]{32}\.[a-z]{3,4}$")  # how the attachment store names a file on disk


def _roles_of(session: Session, username: str) -> set[str]:
    rows = session.scalars(
        select(Membership.role)
        .join(User, User.id == Membership.user_id)
        .where(User.username == username, User.is_active.is_(True))
    )
    return {str(r) for r in rows}


def person_window(session: Session, username: str) -> str | None:
    """The window a person works at (their first clerk or head membership), for appeals and reports."""
    return session.scalar(
        select(Membership.window)
        .join(User, User.id == Membership.user_id)
        .where(User.username == username, Membership.role.in_([Role.CLERK, Role.WINDOW_HEAD]))
        .order_by(Membership.window)
        .limit(1)
    )


def _rule_of(definition: dict[str, Any], rule_code: str) -> dict[str, Any]:
    for section in definition.get("sections") or []:
        for rule in section.get("rules") or []:
            if rule["code"] == rule_code:
                return rule
    raise NotFound(f"方案中没有规则 {rule_code} (no such rule in the scheme)", rule=rule_code)


def _points(rule: dict[str, Any], points: float | None) -> float:
    if points is None:
        return float(rule.get("points") or 0)
    try:
        points = float(points)
    except (TypeError, ValueError):
        raise InvalidInput("分值须为数字 (points must be a number)", field="points") from None
    low, high = rule.get("points_range") or (rule.get("points", 0), rule.get("points", 0))
    if not low <= points <= high:
        raise InvalidInput(
            f"该规则的分值须在 {low} 到 {high} 之间 (points must be within {low}..{high})", field="points"
        )
    return points


def enter(
    session: Session,
    *,
    actor: str,
    scheme_code: str,
    rule_code: str,
    subject: str,
    occurred_on: date,
    points: float | None = None,
    note: str = "",
    attachment: dict[str, str] | None = None,
) -> ScoreEntry:
    """Enter points under an ``entered`` rule of a scheme for a window (its code) or a person (username).

    ``attachment``: ``{"name", "sha256", "storage"}`` of a file the web layer stored. A note or an
    attachment is required: every entered point says where it comes from.
    """
    if not _roles_of(session, actor) & {str(r) for r in ENTERERS}:
        raise PermissionDenied("只有督查股可以录入考核记分 (only the supervision office enters scores)")
    scheme = get_scheme(session, scheme_code)
    rule = _rule_of(scheme.definition, rule_code)
    if rule.get("event") != "entered":
        raise InvalidInput(
            f"规则 {rule_code} 由系统按事件计算，不能录入 (this rule is computed from events)",
            field="rule_code",
        )
    subject = (subject or "").strip()
    if scheme.target == "window":
        if session.get(Window, subject) is None:
            raise NotFound(f"没有窗口 {subject} (no such window)", field="subject")
        window = subject
    else:
        if session.scalar(select(User.id).where(User.username == subject)) is None:
            raise NotFound(f"没有工作人员 {subject} (no such person)", field="subject")
        window = person_window(session, subject)
    _check_attachment(attachment)
    note = (note or "").strip()
    if not note and not attachment:
        raise InvalidInput("请写明说明或附上材料 (a note or an attachment is required)", field="note")
    if len(note) > 2000:
        raise InvalidInput("说明不能超过 2000 字 (note too long)", field="note")
    if not isinstance(occurred_on, date) or occurred_on > today(session):
        raise InvalidInput("日期不能晚于今天 (the date cannot be in the future)", field="occurred_on")
    row = ScoreEntry(
        scheme_code=scheme.code, rule_code=rule_code, target=scheme.target, subject=subject, window=window,
        occurred_on=occurred_on, points=_points(rule, points), note=note,
        attachment_name=(attachment or {}).get("name"), attachment_sha256=(attachment or {}).get("sha256"),
        attachment_storage=(attachment or {}).get("storage"), entered_by=actor, entered_at=services_of(session).now(),
    )  # fmt: skip
    session.add(row)
    session.flush()
    audit.record(
        session, "score_entered", actor=actor, entry_id=row.id, scheme=row.scheme_code, rule=rule_code,
        subject=subject, occurred_on=occurred_on.isoformat(), points=row.points, note=note,
        attachment=row.attachment_name,
    )  # fmt: skip
    return row


def _check_attachment(attachment: dict[str, str] | None) -> None:
    """A reference to a file the attachment store wrote: its generated name, a sha256, the user's file name."""
    if attachment is None:
        return
    if not (
        STORAGE_NAME.match(str(attachment.get("storage") or ""))
        and re.fullmatch(r"[0-9a-f]{64}", str(attachment.get("sha256") or ""))
        and 0 < len(str(attachment.get("name") or "")) <= 400
    ):
        raise InvalidInput("附件引用无效 (not a stored attachment)", field="attachment")


def void(session: Session, entry_id: int, *, actor: str, reason: str) -> ScoreEntry:
    """Correct a wrong entry: it stops counting; the reports of its period say it changed."""
    if not _roles_of(session, actor) & {str(r) for r in ENTERERS}:
        raise PermissionDenied("只有督查股可以更正考核记分 (only the supervision office corrects scores)")
    row = session.get(ScoreEntry, entry_id, with_for_update=True)
    if row is None:
        raise NotFound(f"没有记分 {entry_id} (no such entry)")
    if row.voided_at is not None:
        raise Conflict("该记分已作废 (the entry was voided already)")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("请写明更正理由 (a reason is required)", field="reason")
    row.voided_at, row.voided_by, row.void_reason = services_of(session).now(), actor, reason[:2000]
    audit.record(session, "score_voided", actor=actor, entry_id=row.id, reason=row.void_reason)
    return row


def list_entries(
    session: Session,
    first: date,
    last: date,
    *,
    scheme_code: str | None = None,
    windows: set[str] | None = None,
) -> list[ScoreEntry]:
    """Entries dated in [first, last] (voided ones too), newest first; ``windows`` limits them (a head's own)."""
    query = select(ScoreEntry).where(ScoreEntry.occurred_on >= first, ScoreEntry.occurred_on <= last)
    if scheme_code:
        query = query.where(ScoreEntry.scheme_code == scheme_code)
    if windows is not None:
        query = query.where(ScoreEntry.window.in_(sorted(windows)))
    return list(session.scalars(query.order_by(ScoreEntry.occurred_on.desc(), ScoreEntry.id.desc())))


def hits(session: Session, scheme_code: str, first: date, last: date) -> list[tuple[str, Hit]]:
    """The scheme's counted entries of the period as (rule code, hit)."""
    out = []
    for e in list_entries(session, first, last, scheme_code=scheme_code):
        if e.voided_at is not None:
            continue
        person = e.subject if e.target == "person" else None
        out.append(
            (e.rule_code, Hit("entered", f"entry:{e.id}", e.occurred_on, e.window, person, None, e.note[:80],
                              points=e.points))
        )  # fmt: skip
    return out

"""预审: the lead window checks a submitted application's materials against the item's list, within the item's
limit (``prereview_days``, default 1 working day), and passes it (预审通过) or returns it with a reason for each
material it returns (预审退回). A 预审 not done in time is an ``overdue`` warning of the window, counted like
every other warning (a yellow card: the dashboard, 考核's unanswered warnings, the clerk's 纠错回告)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from runner.core import audit
from runner.exceptions import InvalidInput
from runner.models import OnlineApplication, WarningEvent
from runner.online.applications import APPROVED, RETURNED, SUBMITTED, item_body, now, require_state
from runner.online.codes import text_applicant
from runner.online.files import latest
from runner.timekeeping.calendar import past_deadline_clause

PASS, RETURN = "pass", "return"
REASON_LIMIT = 500
WARNING_RULE = "online_prereview"


def waiting(session: Session, windows: list[str], *, limit: int = 200) -> list[OnlineApplication]:
    """Applications waiting for 预审 at ``windows``, the most urgent first."""
    if not windows:
        return []
    query = (
        select(OnlineApplication)
        .where(OnlineApplication.state == SUBMITTED, OnlineApplication.window.in_(windows))
        .order_by(OnlineApplication.review_due, OnlineApplication.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def count_waiting(session: Session, windows: list[str]) -> int:
    """How many applications wait for 预审 at ``windows``."""
    if not windows:
        return 0
    query = (
        select(func.count())
        .select_from(OnlineApplication)
        .where(OnlineApplication.state == SUBMITTED, OnlineApplication.window.in_(windows))
    )
    return int(session.scalar(query) or 0)


def decide(
    session: Session,
    row: OnlineApplication,
    decision: str,
    *,
    actor: str,
    reasons: dict[str, str] | None = None,
    note: str = "",
) -> OnlineApplication:
    """通过 (``PASS``) or 退回 (``RETURN``, with a reason for each returned material)."""
    require_state(row, SUBMITTED)
    names = [m["name"] for m in item_body(session, row).get("materials", [])]
    given = {k: (v or "").strip()[:REASON_LIMIT] for k, v in (reasons or {}).items() if (v or "").strip()}
    unknown = sorted(set(given) - set(names))
    if unknown:
        raise InvalidInput(f"不是本事项的材料 (not materials of this item): {'、'.join(unknown)}")
    if decision == RETURN and not given:
        raise InvalidInput("退回须写明至少一项材料的退回理由 (give the reason for each material returned)")
    if decision not in (PASS, RETURN):
        raise InvalidInput("请选择通过或退回 (choose pass or return)")
    moment = now(session)
    row.state = APPROVED if decision == PASS else RETURNED
    row.reasons = {} if decision == PASS else given
    row.reviews = [
        *(row.reviews or []),
        {"at": moment.isoformat(), "by": actor, "decision": decision, "reasons": row.reasons,
         "note": (note or "").strip()[:REASON_LIMIT],
         "versions": {name: f.version for name, f in latest(session, row).items()}},
    ]  # fmt: skip
    row.reviewed_at, row.reviewed_by, row.updated_at = moment, actor, moment
    audit.record(
        session, "online_reviewed", actor=actor, number=row.number, decision=decision, reasons=row.reasons
    )
    if decision == PASS:
        text_applicant(
            session, row,
            f"【网上申报】您的申报 {row.number} 已通过预审，请通过申报链接预约到窗口办理的时间。",
            f"Online application {row.number} passed pre-review: book a time at the counter through your link.",
        )  # fmt: skip
    else:
        text_applicant(
            session, row,
            f"【网上申报】您的申报 {row.number} 预审退回：{'；'.join(f'{k}：{v}' for k, v in given.items())}。"
            "请通过申报链接重新上传后再次提交。",
            f"Online application {row.number} was returned by pre-review: {'; '.join(f'{k}: {v}' for k, v in given.items())}."
            " Upload the materials named again and resubmit through your link.",
        )  # fmt: skip
    return row


def warn_overdue(session: Session) -> list[str]:
    """An ``overdue`` warning for each application whose 预审 passed its limit (once per submission, as an item's
    warning rule fires once per item: a limit moved later after its warning gives no second card)."""
    moment = now(session)
    query = select(OnlineApplication).where(
        OnlineApplication.state == SUBMITTED,
        past_deadline_clause(OnlineApplication.review_due, moment),
        OnlineApplication.review_warned.is_(False),
    )
    warned = []
    for row in session.scalars(query.with_for_update(skip_locked=True)):
        row.review_warned = True
        session.add(
            WarningEvent(
                instance_id=None,
                online_application_id=row.id,
                task_name="预审",
                window=row.window,
                rule=WARNING_RULE,
                level="yellow",  # a limit passed: a yellow card, as at an item's deadline
                message=f"网上申报 {row.number}（{row.item_code}）预审已超过时限",
                message_en=f"The pre-review of online application {row.number} ({row.item_code}) is overdue",
                created_at=moment,
            )
        )
        warned.append(row.number or str(row.id))
    return warned


def review_view(row: OnlineApplication) -> dict[str, Any]:
    """The 预审 history for a page."""
    return {"reviews": list(row.reviews or []), "reasons": dict(row.reasons or {})}

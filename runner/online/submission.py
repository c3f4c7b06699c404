"""Submitting an online application (and resubmitting it after 预审退回): the checks, the application number, and
the 预审 limit it then waits within."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from runner.core import audit
from runner.exceptions import InvalidInput
from runner.models import OnlineApplication
from runner.online.applications import (
    EDITABLE,
    RETURNED,
    SUBMITTED,
    item_body,
    now,
    require_state,
    review_days,
)
from runner.online.files import missing_materials, not_reuploaded
from runner.timekeeping.deadlines import Due, calendar, working_day_deadline


def _number(row: OnlineApplication, year: int) -> str:
    return f"WS{year}-{row.id:06d}"


def submit(session: Session, row: OnlineApplication) -> OnlineApplication:
    """Submit a draft, or resubmit a returned application: the number is confirmed, every required material
    has a file and each returned one a new version. It waits for 预审 within the item's limit."""
    require_state(row, *EDITABLE)
    if row.phone_verified_at is None:
        raise InvalidInput("请先用短信验证码确认手机号码 (confirm the mobile number with the code first)")
    body = item_body(session, row)
    missing = missing_materials(session, row, body)
    if missing:
        raise InvalidInput(f"请上传必需的材料 (upload the required materials): {'、'.join(missing)}")
    if row.state == RETURNED:
        stale = not_reuploaded(session, row)
        if stale:
            raise InvalidInput(
                f"请重新上传被退回的材料 (upload the returned materials again): {'、'.join(stale)}"
            )
    moment = now(session)
    if row.number is None:
        row.number = _number(row, calendar(session).local_date(moment).year)
    row.state = SUBMITTED
    row.submitted_at = moment
    row.updated_at = moment
    row.submissions += 1
    refresh_review_due(session, row, body)
    row.review_warned = False
    audit.record(
        session, "online_submitted", actor=f"applicant:{row.number}", number=row.number,
        item=row.item_code, round=row.submissions,
    )  # fmt: skip
    return row


def refresh_review_due(session: Session, row: OnlineApplication, body: dict | None = None) -> bool:
    """Compute the 预审 limit from the submission (or the year whose arrangement it waits for, like an item's
    deadline: never an error of the application); True when it changed."""
    before = (row.review_due, row.review_due_pending_year)
    due: Due = working_day_deadline(
        session, row.submitted_at, review_days(item_body(session, row) if body is None else body)
    )
    row.review_due, row.review_due_pending_year = due.at, due.pending_year
    return (row.review_due, row.review_due_pending_year) != before


def refresh_review_dues(session: Session) -> int:
    """After a change of the calendar: the 预审 limit of every application waiting for 预审, computed again
    (pending ones filled in once their year is known). Returns how many changed."""
    rows = session.scalars(
        select(OnlineApplication)
        .where(OnlineApplication.state == SUBMITTED, OnlineApplication.submitted_at.is_not(None))
        .order_by(OnlineApplication.id)
    )
    return sum(refresh_review_due(session, row) for row in rows)

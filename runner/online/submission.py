"""Submitting an online application (and resubmitting it after 预审退回): the checks, the application number, and
the 预审 limit it then waits within."""

from __future__ import annotations

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
from runner.timekeeping.deadlines import calendar


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
    row.review_due = calendar(session).deadline(moment, review_days(body))
    row.review_warned = False
    audit.record(
        session, "online_submitted", actor=f"applicant:{row.number}", number=row.number,
        item=row.item_code, round=row.submissions,
    )  # fmt: skip
    return row

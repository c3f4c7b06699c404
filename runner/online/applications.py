"""An online application (网上申报) through its states, reached only by its private link's token.

The token is shown once (in the link); only its SHA-256 is stored, so neither the database nor the application
number leads to another applicant's page. A draft that was left alone expires (``sweep``).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from runner.catalogue.applications import Applicant
from runner.catalogue.items import NoSuchItem, current_version, get_item
from runner.core.transaction import services_of
from runner.exceptions import Conflict, NotFound
from runner.models import CatalogueItemVersion, OnlineApplication

DRAFT, SUBMITTED, RETURNED, APPROVED = "draft", "submitted", "returned", "approved"
BOOKED, RECEIVED, FINISHED, EXPIRED = "booked", "received", "finished", "expired"
STATE_WORDS: dict[str, tuple[str, str]] = {
    DRAFT: ("草稿（未提交）", "draft (not submitted)"),
    SUBMITTED: ("待预审", "awaiting pre-review"),
    RETURNED: ("预审退回", "returned by pre-review"),
    APPROVED: ("预审通过", "passed pre-review"),
    BOOKED: ("已预约", "appointment booked"),
    RECEIVED: ("窗口已收件", "received at the counter"),
    FINISHED: ("已办结", "finished"),
    EXPIRED: ("已过期", "expired"),
}
EDITABLE = (DRAFT, RETURNED)  # the applicant may change materials and submit
DEFAULT_REVIEW_DAYS = 1
TOKEN_BYTES = 32
NOTE_LIMIT = 2000


class NoSuchApplication(NotFound):
    code = "no_such_application"


class WrongState(Conflict):
    code = "online_wrong_state"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def now(session: Session) -> datetime:
    return services_of(session).now()


def item_body(session: Session, row: OnlineApplication) -> dict[str, Any]:
    """The item's content as the application started under it (its version)."""
    version = session.get(CatalogueItemVersion, row.item_version_id)
    return dict(version.body) if version else {}


def review_days(body: dict[str, Any]) -> int:
    """The item's 预审 limit in working days (the catalogue's ``prereview_days``, default 1)."""
    value = body.get("prereview_days")
    return int(value) if isinstance(value, int) and value > 0 else DEFAULT_REVIEW_DAYS


def start_draft(
    session: Session, code: str, applicant: Applicant, *, note: str = ""
) -> tuple[OnlineApplication, str]:
    """A new draft for item ``code`` (published and open online); returns it and its private token."""
    item = get_item(session, code)
    if not item.active or not item.online:
        raise NoSuchItem(
            f"事项 {code} 未开通网上申报 (item {code} is not open to online application)", item=code
        )
    checked = applicant.checked()
    version = current_version(session, item)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    moment = now(session)
    row = OnlineApplication(
        token_hash=token_hash(token),
        item_id=item.id,
        item_version_id=version.id,
        item_code=item.code,
        item_version=version.version,
        window=item.window,
        state=DRAFT,
        applicant_type=checked.kind,
        applicant_name=checked.name,
        applicant_id=checked.id_number,
        agent_name=checked.agent_name or None,
        agent_id=checked.agent_id or None,
        phone=checked.phone,
        note=(note or "").strip()[:NOTE_LIMIT],
        code_attempts=0,
        reasons={},
        reviews=[],
        submissions=0,
        no_shows=0,
        review_warned=False,
        created_at=moment,
        updated_at=moment,
    )
    session.add(row)
    session.flush()
    return row, token


def by_token(session: Session, token: str, *, lock: bool = False) -> OnlineApplication:
    """The application of a private link; ``NoSuchApplication`` for any other string."""
    if not token or len(token) > 100:
        raise NoSuchApplication("没有这个申报 (no such application)")
    query = select(OnlineApplication).where(OnlineApplication.token_hash == token_hash(token))
    row = session.scalars(query.with_for_update() if lock else query).first()
    if row is None:
        raise NoSuchApplication("没有这个申报 (no such application)")
    return row


def by_number(session: Session, number: str) -> OnlineApplication:
    row = session.scalars(
        select(OnlineApplication).where(OnlineApplication.number == (number or "").strip().upper())
    ).first()
    if row is None:
        raise NoSuchApplication(f"没有申报 {number} (no such application)")
    return row


def by_id(session: Session, application_id: int) -> OnlineApplication:
    row = session.get(OnlineApplication, application_id)
    if row is None:
        raise NoSuchApplication(f"没有申报 {application_id} (no such application)")
    return row


def require_state(row: OnlineApplication, *states: str) -> None:
    if row.state not in states:
        zh, en = STATE_WORDS.get(row.state, (row.state, row.state))
        raise WrongState(f"申报当前为“{zh}”，不能进行此操作 (the application is {en}: not possible now)")


def touch(session: Session, row: OnlineApplication) -> None:
    row.updated_at = now(session)


def state_words(state: str) -> tuple[str, str]:
    return STATE_WORDS.get(state, (state, state))

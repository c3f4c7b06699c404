"""One-time codes (短信验证码) confirming an applicant's mobile number, and texts to the applicant.

A text is a ``Notification`` addressed to ``tel:<number>``: stored with the transaction and passed on after the
commit by the worker through the SMS sender (``runner.senders.sender_for``: the ``log`` sender writes it to the
notification log in development). Only a code's hash is kept on the application; five wrong tries end a code.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy.orm import Session

from runner.catalogue.identity import half_width
from runner.core.transaction import services_of
from runner.items.message_centre import notify
from runner.models import OnlineApplication
from runner.online.applications import DRAFT, RETURNED, now, require_state
from runner.senders import PHONE_PREFIX

MAX_ATTEMPTS = 5
DIGITS = 6


def _hash(row: OnlineApplication, code: str) -> str:
    return hashlib.sha256(f"{row.id}:{row.token_hash}:{code}".encode()).hexdigest()


def text_applicant(session: Session, row: OnlineApplication, message: str, english: str) -> None:
    """Send a text message (Chinese, then English) to the applicant's mobile number (after the commit)."""
    notify(session, "online", message, english=english, to_user=f"{PHONE_PREFIX}{row.phone}")


def request_code(session: Session, row: OnlineApplication) -> None:
    """Issue a new code for the application's number and text it; earlier codes stop working."""
    require_state(row, DRAFT, RETURNED)
    code = f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"
    minutes = services_of(session).settings.otp_minutes
    row.code_hash = _hash(row, code)
    row.code_expires_at = now(session) + timedelta(minutes=minutes)
    row.code_attempts = 0
    notify(
        session,
        "otp",
        f"【网上申报】验证码 {code}，{minutes} 分钟内有效，请勿告诉他人。",
        english=f"Online application: your code is {code}, valid for {minutes} minutes. Do not share it.",
        to_user=f"{PHONE_PREFIX}{row.phone}",
    )


def verify_code(session: Session, row: OnlineApplication, code: str) -> bool:
    """Whether ``code`` confirms the number; a wrong try is counted (commit it), five end the code.

    The code is read as the ID number and the phone are: full-width digits and any spaces are forgiven."""
    if row.code_hash is None or row.code_expires_at is None or row.code_expires_at < now(session):
        return False
    if row.code_attempts >= MAX_ATTEMPTS:
        return False
    if not hmac.compare_digest(row.code_hash, _hash(row, half_width(code))):
        row.code_attempts += 1
        return False
    row.phone_verified_at = now(session)
    row.code_hash = None
    row.code_expires_at = None
    return True

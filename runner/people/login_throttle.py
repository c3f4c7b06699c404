"""Failed logins counted per (username, client address): five in a row lock that pair for 15 minutes.

Counting per pair rather than per account means a stranger guessing the admin's password from elsewhere locks
only themselves out, never the admin at their own desk. Names that do not exist are counted the same way, so the
answers never tell whether a name exists. A lock that has run out starts the count afresh; a successful login
clears its pair; a new password set by an admin clears every pair of that name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from runner.models import LoginThrottle

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
FORGET_AFTER = timedelta(days=1)  # pairs without a failure for this long are deleted


@dataclass(frozen=True)
class Standing:
    """Where a (username, address) pair stands: failures so far, and the end of its lock if locked."""

    failures: int
    locked_until: datetime | None

    @property
    def left(self) -> int:
        return max(0, MAX_FAILURES - self.failures)


def _key(username: str, address: str) -> tuple[str, str]:
    return (username or "").strip()[:200], (address or "unknown")[:64]


def _row(session: Session, username: str, address: str) -> LoginThrottle | None:
    name, addr = _key(username, address)
    return session.scalars(
        select(LoginThrottle).where(LoginThrottle.username == name, LoginThrottle.address == addr)
    ).first()


def locked_until(session: Session, username: str, address: str, now: datetime) -> datetime | None:
    """The end of the pair's lock, when it is locked at ``now``."""
    row = _row(session, username, address)
    if row is None or row.locked_until is None or row.locked_until <= now:
        return None
    return row.locked_until


def fail(session: Session, username: str, address: str, now: datetime) -> Standing:
    """Count one failure of the pair (a lock that ran out starts afresh); the fifth locks it."""
    name, addr = _key(username, address)
    row = _row(session, name, addr)
    if row is None:
        try:
            with session.begin_nested():
                row = LoginThrottle(username=name, address=addr, failures=0, last_failed_at=now)
                session.add(row)
        except IntegrityError:  # the same pair failing in another request at this instant
            row = _row(session, name, addr)
            assert row is not None
    if row.locked_until is not None and row.locked_until <= now:
        row.failures, row.locked_until = 0, None
    row.failures += 1
    row.last_failed_at = now
    if row.failures >= MAX_FAILURES:
        row.locked_until = now + LOCKOUT
    session.execute(delete(LoginThrottle).where(LoginThrottle.last_failed_at < now - FORGET_AFTER))
    return Standing(row.failures, row.locked_until)


def clear(session: Session, username: str, address: str | None = None) -> None:
    """Forget the failures of one pair, or (``address`` None) of every address for ``username``."""
    name, addr = _key(username, address or "")
    query = delete(LoginThrottle).where(LoginThrottle.username == name)
    if address is not None:
        query = query.where(LoginThrottle.address == addr)
    session.execute(query)

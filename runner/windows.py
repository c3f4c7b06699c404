"""The centre's windows (窗口): the codes lanes and tasks refer to."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Window


def known_windows(session: Session) -> set[str]:
    """Codes of the active windows."""
    return set(session.scalars(select(Window.code).where(Window.is_active.is_(True))))


def upsert_windows(session: Session, windows: Iterable[tuple[str, str]]) -> int:
    """Create or rename windows from (code, name) pairs; returns how many were new."""
    existing = {w.code: w for w in session.scalars(select(Window))}
    created = 0
    for code, name in windows:
        if code in existing:
            existing[code].name = name
            existing[code].is_active = True
        else:
            session.add(Window(code=code, name=name, is_active=True))
            created += 1
    session.flush()
    return created


def list_windows(session: Session) -> list[Window]:
    return list(session.scalars(select(Window).order_by(Window.code)))

"""The centre's windows (窗口): the codes lanes and tasks refer to."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from runner.models import Window


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


def save_window(session: Session, code: str, name: str, *, actor: str, active: bool = True) -> Window:
    """Create, rename, close (``active=False``) or reopen one window, in the audit trail."""
    from runner.core import audit
    from runner.exceptions import InvalidInput

    code, name = (code or "").strip(), (name or "").strip()
    if not code or len(code) > 64 or not code.replace("_", "").isalnum() or not code.isascii():
        raise InvalidInput(
            "窗口代码须为字母、数字或下划线 (window code: letters, digits, underscore)", field="code"
        )
    if not name or len(name) > 200:
        raise InvalidInput("窗口名称不能为空 (a window name is required)", field="name")
    row = session.get(Window, code)
    created = row is None
    if row is None:
        row = Window(code=code, name=name, is_active=active)
        session.add(row)
    else:
        row.name, row.is_active = name, active
    session.flush()
    audit.record(session, "window_saved", actor=actor, code=code, name=name, active=active, created=created)
    return row

"""The people a clerk may pass work to (转办, 委派, 转交): only those who do the work — clerks and window heads
(and, for an opinion, the centre leader) — never administrators or designers, each shown with their name and
window(s) instead of a role label."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

import runner
from forms.language import shown_name
from runner.models import Role
from runner.people import directory

WORKERS = (Role.CLERK, Role.WINDOW_HEAD)
ADVISERS = (*WORKERS, Role.LEADER)


def people_choices(
    session: Session,
    *,
    window: str | None = None,
    roles: Iterable[str] = WORKERS,
    exclude: Iterable[str] = (),
) -> list[tuple[str, str]]:
    """``(username, "姓名（窗口）")`` of the active people holding one of ``roles`` (in ``window`` only, when
    given), ordered by window then name."""
    wanted, skip = {str(r) for r in roles}, set(exclude)
    names = {w.code: shown_name(w.name, w.name_en) for w in runner.list_windows(session)}
    rows: list[tuple[str, str, str]] = []
    for person in directory.list_users(session, window=window):
        if not person.is_active or person.username in skip:
            continue
        windows = sorted(w for w, r in person.memberships if r in wanted and (window is None or w == window))
        if not windows:
            continue
        where = "、".join(names.get(w, w) for w in windows)
        rows.append((names.get(windows[0], windows[0]), person.username, f"{person.display_name}（{where}）"))
    return [(username, label) for _, username, label in sorted(rows)]

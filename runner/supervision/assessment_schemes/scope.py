"""Which windows (and so which staff) a scheme assesses: seed 001 第三条 "考核对象为服务窗口单位、窗口工作人员".

A scheme names them as data: ``only_windows`` (when not empty, these windows only) and ``exclude_windows``
(never these — the 督查股 and the 中心领导 serve no applicant). A person is assessed when one of the windows
they serve at as a clerk or window head is; a person with no such window keeps their lines (they held a task).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from runner.exceptions import InvalidInput
from runner.models import Membership, Role, User

KEYS = ("only_windows", "exclude_windows")
# the demo's windows that serve no applicant (runner.people.directory.CENTRE_ROLES)
NON_SERVICE = ["leader", "supervision"]
SOURCE = "seed 001 《政务服务中心考核办法》第三条：考核对象为服务窗口单位、窗口工作人员"


def check(definition: dict[str, Any]) -> None:
    """Both keys are lists of window codes and no window is both assessed only and excluded."""
    for key in KEYS:
        codes = definition.get(key, [])
        if not isinstance(codes, list) or not all(isinstance(c, str) and 0 < len(c) <= 64 for c in codes):
            raise InvalidInput(f"{key} 须为窗口代码列表 (must be a list of window codes)", field=key)
    both = set(definition.get("only_windows") or []) & set(definition.get("exclude_windows") or [])
    if both:
        raise InvalidInput(
            f"窗口 {', '.join(sorted(both))} 不能既参加又不参加考核 (a window cannot be both only and excluded)",
            field="exclude_windows",
        )


def window_assessed(definition: dict[str, Any], window: str) -> bool:
    """Whether the scheme assesses ``window``."""
    only = definition.get("only_windows") or []
    return (not only or window in only) and window not in (definition.get("exclude_windows") or [])


def serving_windows(session: Session) -> dict[str, set[str]]:
    """username → the windows where the person is a clerk or a window head."""
    out: dict[str, set[str]] = defaultdict(set)
    rows = session.execute(
        select(User.username, Membership.window)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.role.in_([Role.CLERK, Role.WINDOW_HEAD]))
    )
    for username, window in rows:
        out[username].add(window)
    return out


def person_assessed(definition: dict[str, Any], windows: set[str]) -> bool:
    """Whether the scheme assesses a person serving at ``windows``."""
    return not windows or any(window_assessed(definition, w) for w in windows)


def subject_filter(session: Session, definition: dict[str, Any], target: str) -> Any:
    """A predicate on a window code (window schemes) or a username (staff schemes)."""
    if target == "window":
        return lambda who: window_assessed(definition, who)
    serving = serving_windows(session)
    return lambda who: person_assessed(definition, serving.get(who, set()))

"""``{{ code | window_name }}``: a window's name instead of its code on every workspace page (item page, 我的预警,
flashes); the names are read once per request."""

from __future__ import annotations

from flask import g

import runner
from forms.language import shown_name
from web.auth import services
from workspace.blueprint import bp


def window_names() -> dict[str, str]:
    """code → name (in the page language) of every window, read once per request."""
    if "window_names" not in g:
        with services().transaction() as s:
            g.window_names = {w.code: shown_name(w.name, w.name_en) for w in runner.list_windows(s)}
    names: dict[str, str] = g.window_names
    return names


@bp.app_template_filter("window_name")
def window_name(code: str | None) -> str:
    """The window's name (the code when no window has it; "—" for none)."""
    if not code:
        return "—"
    return window_names().get(code, code)

"""What the monitoring pages share: role checks on actions, runner errors as flash messages, labels."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import abort, request, url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

import runner
from admin.base import ADMINS, window_names
from forms.language import pick
from runner.items.labels import ITEM_KIND_WORDS
from runner.supervision.warning_rules import rule_timer_names
from web import request_edge
from web.auth import current_user
from web.filters import localtime
from web.i18n import Label

STATUS_LABELS = {
    "running": _l("办理中"),
    "waiting": _l("等待中"),
    "suspended": _l("已挂起"),
    "completed": _l("已办结"),
    "terminated": _l("已终止"),
    "error": _l("故障"),
}
STATUS_LEVELS = {
    "running": "primary",
    "waiting": "info",
    "suspended": "warning",
    "completed": "success",
    "terminated": "secondary",
    "error": "danger",
}
KIND_LABELS = {code: Label(zh, en) for code, (zh, en) in ITEM_KIND_WORDS.items()}


def is_admin() -> bool:
    """Whether the person asking may change things (shows the action forms)."""
    return bool(current_user.has_role(*ADMINS))


def safe_next(default: str) -> str:
    """The form's ``next`` when it is a console page (never another site), else ``default``."""
    target = request_edge.safe_next(request.form.get("next")) or ""
    return target if target.startswith("/admin/") and "//" not in target else default


def require_admin() -> None:
    """Changes are for admins only: others get 403 even when they may look."""
    if not current_user.has_role(*ADMINS):
        abort(403)


def json_object(text: str | None, field: str) -> dict[str, Any]:
    """A form field holding a JSON object (empty → ``{}``); anything else is ``InvalidInput``."""
    text = (text or "").strip()
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise runner.InvalidInput(f"{field} 不是合法的 JSON (not valid JSON: {exc})", field=field) from None
    if not isinstance(value, dict):
        raise runner.InvalidInput(f"{field} 必须是 JSON 对象 (must be a JSON object)", field=field)
    return value


def local(value: datetime | str | None) -> str:
    """A stored UTC time as the centre's local ``YYYY-MM-DD HH:MM``."""
    return localtime(value)


def when(value: datetime | str | None, pending_year: int | None = None) -> str:
    """A stored time as local ``YYYY-MM-DD HH:MM``, or what it waits for ("待 2027 年节假日安排公布后确定"), or
    "-". ``value`` may also be ``pending:<year>`` (what a recalculation reports for a pending date)."""
    if isinstance(value, str) and value.startswith("pending:"):
        pending_year = int(value.split(":", 1)[1][:4])
        value = None
    if value:
        return local(value)
    return runner.pending_note(pending_year) or "-"


def status_badge(status: str | None) -> Markup:
    """A coloured badge for an instance status."""
    code = str(status or "")
    return Markup('<span class="badge badge-{}" data-status="{}">{}</span>').format(
        STATUS_LEVELS.get(code, "light"), code, STATUS_LABELS.get(code, code)
    )


def kind_label(kind: str | None) -> str:
    return str(KIND_LABELS.get(kind or "", kind or ""))


def window_label(code: str | None) -> Markup:
    """A window by its name, its code on hover ("—" for none)."""
    if not code:
        return Markup("—")
    return Markup('<span title="{}">{}</span>').format(code, window_names().get(code, code))


def timer_name(name: str, kind: str | None, spec_name: str | None) -> str:
    """A timer's name in the page's language: a warning rule's timer by its level; a diagram's timer as the
    diagram names it."""
    if kind == "rule" and spec_name:
        return pick(*rule_timer_names(spec_name))
    return name


def instance_link(instance_id: int, text: str) -> Markup:
    """A link to the instance detail page."""
    return Markup('<a href="{}">{}</a>').format(
        url_for("instance.detail", instance_id=instance_id), escape(text)
    )

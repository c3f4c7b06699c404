"""The clerk's message centre (消息): new tasks, urges, warnings, copies, returned items, delegations.

Messages go to a person or to a window; the unread count shows in the top bar. Marking a window's
message as read marks it for the whole window.
"""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, render_template, request, url_for
from sqlalchemy import func, select, update

import runner
from forms.language import pick
from runner.items.labels import MESSAGE_KINDS
from runner.items.party_notices import business_keys
from runner.models import Notification
from web.auth import current_user, login_required, services
from web.request_edge import safe_next
from workspace.blueprint import bp


def _mine() -> Any:
    return (Notification.to_user == current_user.username) | Notification.to_window.in_(
        sorted(current_user.windows) or [""]
    )


def unread_count() -> int:
    """Unread messages of the current user (0 when logged out)."""
    if not current_user.is_authenticated:
        return 0
    with services().transaction() as s:
        return int(
            s.scalar(
                select(func.count()).select_from(Notification).where(_mine(), Notification.read_at.is_(None))
            )
            or 0
        )


@bp.app_context_processor
def _notification_context() -> dict[str, Any]:
    return {"unread_notifications": unread_count, "pick": pick}


def kind_label(kind: str) -> str:
    """The message kind in the page's language (runner/items/labels.py)."""
    zh, en = MESSAGE_KINDS.get(kind, (kind, kind))
    return pick(zh, en)


@bp.get("/notifications")
@login_required
def notifications() -> Any:
    unread_only = request.args.get("unread") == "1"
    with services().transaction() as s:
        notes = runner.notifications_for(
            s, user=current_user.username, windows=set(current_user.windows), unread_only=unread_only
        )
        keys = business_keys(s, {n.instance_id for n in notes if n.instance_id})
        rows = [
            {
                "id": n.id,
                "kind": kind_label(n.kind),
                "message": pick(n.message, n.message_en or n.message),
                "created_at": n.created_at,
                "read": n.read_at is not None,
                "task_id": n.task_id,
                "code": n.kind,
                "business_key": keys.get(n.instance_id),
            }
            for n in notes
        ]
    return render_template("notifications.html", rows=rows, pick=pick, unread_only=unread_only)


@bp.post("/notifications/<int:note_id>/read")
@login_required
def notification_read(note_id: int) -> Any:
    with services().transaction() as s:
        note = s.get(Notification, note_id)
        if note is None:
            abort(404)
        if note.to_user != current_user.username and note.to_window not in current_user.windows:
            abort(403)
        if note.read_at is None:
            note.read_at = services().now()
    return redirect(safe_next(request.form.get("next")) or url_for("workspace.notifications"))


@bp.post("/notifications/read-all")
@login_required
def notifications_read_all() -> Any:
    with services().transaction() as s:
        s.execute(
            update(Notification)
            .where(_mine(), Notification.read_at.is_(None))
            .values(read_at=services().now())
            .execution_options(synchronize_session=False)
        )
    return redirect(url_for("workspace.notifications"))

"""联审会议 in the workspace: the invited windows' page of a joint review meeting (``runner.items.joint_meeting``).

Anyone who may see the item sees the notice (time, place, materials), every window's reply and, once the
meeting was held, the minutes and the decision. A member of an invited window confirms attendance or sends
its written opinion there until the meeting begins.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

import runner
from forms.language import pick
from runner.items.clerk import do_meeting_reply
from runner.items.joint_meeting import RESULTS, meeting_view
from runner.models import Notification, ProcessInstance
from web.auth import current_user, login_required, services
from web.i18n import user_message
from workspace.access import who_now
from workspace.blueprint import bp
from workspace.operations import _item, _window_choices

RESULT_LABELS = {
    "agree": ("同意", "agree"),
    "agree_with_conditions": ("附条件同意", "agree with conditions"),
    "disagree": ("不同意", "disagree"),
    "deemed_assent": ("视为同意（默认议定）", "deemed to assent"),
}
DEEMED_LABELS = {
    "absent": ("缺席", "absent"),
    "refused": ("到会未发表意见", "no opinion given"),
    "no_reason": ("不同意未说明理由", "disagreed without reasons"),
    "timeout": ("超时未答复", "no answer in time"),
}


def _meeting(business_key: str) -> tuple[dict[str, Any], dict[str, Any]]:
    item, _ = _item(business_key)
    with services().transaction() as s:
        meeting = meeting_view(s, runner.get_instance(s, item["id"]))
    if meeting is None:
        abort(404)
    return item, meeting


def _my_invited(meeting: dict[str, Any]) -> list[str]:
    return [w for w in meeting["notice"].get("windows") or [] if w in current_user.windows]


@bp.route("/items/<business_key>/meeting", methods=["GET", "POST"])
@login_required
def joint_meeting(business_key: str) -> Any:
    """The joint review meeting of an item: notice, replies, minutes; the invited window's reply form."""
    if request.method == "POST":
        return _reply(business_key)
    item, meeting = _meeting(business_key)
    return _page(item, meeting, {}, 200)


def _page(item: dict[str, Any], meeting: dict[str, Any], errors: dict[str, str], status: int) -> Any:
    return render_template(
        "operations/meeting.html",
        item=item,
        meeting=meeting,
        names=dict(_window_choices()),
        mine=_my_invited(meeting),
        results=RESULTS,
        result_labels=RESULT_LABELS,
        deemed_labels=DEEMED_LABELS,
        errors=errors,
        form=request.form if request.method == "POST" else {},
        pick=pick,
    ), status


def _reply(business_key: str) -> Any:
    try:
        item, meeting = _meeting(business_key)
    except Exception:  # noqa: BLE001 - not allowed to see it, or no meeting: nobody may reply
        abort(403)
    mine = _my_invited(meeting)
    window = request.form.get("window") or (mine[0] if len(mine) == 1 else "")
    if window not in mine:
        abort(403)

    def work(s: Session) -> Any:
        return do_meeting_reply(
            s, who_now(), runner.get_instance(s, item["id"]), window=window,
            attending=request.form.get("attending") == "yes", result=request.form.get("result") or None,
            reason=request.form.get("reason") or "", conditions=request.form.get("conditions") or "",
        )  # fmt: skip

    try:
        services().run(work)
    except runner.PermissionDenied:
        abort(403)
    except runner.RunnerError as exc:
        field = str(exc.context.get("field") or "_") if isinstance(exc, runner.InvalidInput) else "_"
        return _page(item, meeting, {field: user_message(exc)}, 400)
    flash(pick("回执已发送主持窗口。", "Your reply was sent to the chair."), "success")
    return redirect(url_for("workspace.joint_meeting", business_key=business_key))


def open_invitations() -> list[dict[str, Any]]:
    """The meetings the current user's windows are invited to and that are still ahead (for the inbox)."""
    if not current_user.is_authenticated or not current_user.windows:
        return []
    found: list[dict[str, Any]] = []
    with services().transaction() as s:
        notes = s.scalars(
            select(Notification)
            .where(
                Notification.kind == "meeting_invitation",
                Notification.to_window.in_(sorted(current_user.windows)),
            )
            .order_by(Notification.id.desc())
            .limit(50)
        )
        for note in notes:
            instance = s.get(ProcessInstance, note.instance_id) if note.instance_id else None
            if instance is None or instance.status not in ("running", "waiting"):
                continue
            meeting = meeting_view(s, instance)
            if meeting is None or not meeting["open_for_replies"]:
                continue
            replied = meeting["replies"].get(note.to_window)
            found.append({"business_key": instance.business_key, "title": instance.title or instance.definition_key,
                          "window": note.to_window, "meeting_at": meeting["meeting_at"],
                          "place": meeting["notice"].get("place"), "replied": replied})  # fmt: skip
    return found


@bp.app_context_processor
def _invitations_context() -> dict[str, Any]:
    return {"meeting_invitations": open_invitations}

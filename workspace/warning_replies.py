"""纠错回告 in the workspace: the responsible clerk sees the warnings on their items (open / answered)
and replies to each (the rule ``acknowledge_warning`` of ``workspace.operations.ALLOWED``: the warned
window's members or the named clerk)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

import runner
from forms.language import pick
from runner.items.permissions import Facts, Who, allowed, check
from web.auth import current_user, login_required, services
from web.chrome import register_nav
from web.i18n import Label, user_message
from workspace.access import who_now
from workspace.blueprint import bp

LEVELS = {
    "notice": ("提示", "notice"),
    "yellow": ("黄牌", "yellow card"),
    "red": ("红牌", "red card"),
    "overdue": ("超期", "overdue"),
    "escalation": ("上报", "escalation"),
}


def warned(row: Any) -> Facts:
    """The facts the rule looks at: the warned window and clerk, passed as the "task"."""
    return Facts({}, {"window": row.window, "assignee": row.clerk})


def do_acknowledge(session: Session, who: Who, warning_id: int, *, reply: str | None) -> Any:
    """纠错回告: a member of the warned window (or the named clerk) answers the warning."""
    check("acknowledge_warning", who, warned(runner.get_warning(session, warning_id)))
    text = (reply or "").strip()
    if not text:
        raise runner.InvalidInput("请填写回告内容 (a reply is required)", field="reply")
    if len(text) > 2000:
        raise runner.InvalidInput("回告不超过 2000 字 (at most 2000 characters)", field="reply")
    return runner.acknowledge_warning(session, warning_id, actor=who.username, reply=text)


def _lists() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    with services().transaction() as s:
        mine = {"user": current_user.username, "windows": set(current_user.windows)}
        return runner.warnings_for(s, answered=False, **mine), runner.warnings_for(s, answered=True, **mine)


@bp.get("/warnings")
@login_required
def warnings() -> Any:
    """我的预警: open warnings to answer, and the answered ones."""
    return _page()


def _page(errors: dict[int, str] | None = None, status: int = 200) -> Any:
    open_rows, answered = _lists()
    return render_template(
        "operations/warnings.html",
        open_rows=open_rows,
        answered=answered,
        levels=LEVELS,
        errors=errors or {},
        pick=pick,
    ), status


@bp.post("/warnings/<int:warning_id>/reply")
@login_required
def warning_reply(warning_id: int) -> Any:
    """Answer one warning (纠错回告)."""
    with services().transaction() as s:
        try:
            facts = warned(runner.get_warning(s, warning_id))
        except runner.NotFound:
            abort(404)
    if not allowed("acknowledge_warning", who_now(), facts):
        abort(403)
    try:
        services().run(lambda s: do_acknowledge(s, who_now(), warning_id, reply=request.form.get("reply")))
    except runner.PermissionDenied:
        abort(403)
    except runner.RunnerError as exc:  # no reply, or already answered
        return _page({warning_id: user_message(exc)}, 400)
    flash(pick("已回告。", "Reply sent."), "success")
    return redirect(url_for("workspace.warnings"))


register_nav(Label("预警", "Warnings"), "workspace.warnings", order=27)  # type: ignore[arg-type]

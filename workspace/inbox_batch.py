"""Batch actions of the inbox: 批量认领 (claim several unclaimed tasks of my windows at once) and, for a window
head, 批量转交 (hand several tasks of the window to one colleague).

``POST /inbox/batch`` with ``task_ids`` (several), ``action`` (``claim`` / ``handover``) and, for a hand-over,
``to`` and ``note``. Each task is checked again and acted on in its own transaction: one that was taken or
finished meanwhile is skipped and named, the others go through.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

import runner
from forms.language import shown_name
from runner.models import Role
from runner.people import directory
from web.auth import current_user, login_required, services
from web.i18n import user_message
from web.request_edge import safe_next
from workspace.access import can_work_on
from workspace.blueprint import bp

BATCH_LIMIT = 100


def batch_actions(tab: str) -> list[str]:
    """The batch actions the inbox offers on ``tab``: claim on the window's pool, hand-over for a window head."""
    actions = []
    if tab == "window":
        actions.append("claim")
    if tab in ("window", "all") and current_user.windows_with_role(Role.WINDOW_HEAD):
        actions.append("handover")
    return actions


def batch_colleagues(tab: str) -> list[tuple[str, str]]:
    """``(username, "name（window）")`` of the clerks a window head may hand tasks to, on a batch tab."""
    if "handover" not in batch_actions(tab):
        return []
    with services().transaction() as s:
        names = {w.code: shown_name(w.name, w.name_en) for w in runner.list_windows(s)}
        found: dict[str, str] = {}
        for window in sorted(current_user.windows_with_role(Role.WINDOW_HEAD)):
            for person in directory.window_members(s, window, roles=[Role.CLERK, Role.WINDOW_HEAD]):
                if person.username != current_user.username:
                    found.setdefault(person.username, f"{person.display_name}（{names.get(window, window)}）")
    return sorted(found.items(), key=lambda item: item[1])


def _claim(s: Session, task_id: str) -> None:
    task = runner.task_details(s, task_id)
    if task["window"] not in current_user.windows or not can_work_on(task):
        raise runner.PermissionDenied("不是本窗口的任务 (not a task of your window)")
    runner.claim(s, task_id, actor=current_user.username)


def _handover(s: Session, task_id: str, to: str, note: str) -> None:
    task = runner.task_details(s, task_id)
    if not current_user.heads(task["window"] or ""):
        raise runner.PermissionDenied("只有窗口负责人可以批量转交 (only the window head)")
    if not directory.works_in(s, to, task["window"] or ""):
        raise runner.InvalidInput("只能转交给本窗口的同事 (only to a colleague of the same window)")
    runner.reassign(s, task_id, actor=current_user.username, assignee=to, note=note)


@bp.post("/inbox/batch")
@login_required
def inbox_batch() -> Any:
    """Claim or hand over the ticked tasks; says how many went through and which did not."""
    back = safe_next(request.form.get("next")) or url_for("workspace.inbox")
    action = request.form.get("action")
    ids = list(dict.fromkeys(request.form.getlist("task_ids")))[:BATCH_LIMIT]
    if action not in ("claim", "handover"):
        abort(400)
    if action == "handover" and not current_user.windows_with_role(Role.WINDOW_HEAD):
        abort(403)
    to, note = request.form.get("to") or "", (request.form.get("note") or "").strip()
    if not ids:
        flash(_("请先勾选任务。"), "warning")
        return redirect(back)
    if action == "handover" and not to:
        flash(_("请选择转交给谁。"), "warning")
        return redirect(back)
    done, failed = 0, []
    for task_id in ids:
        try:
            if action == "claim":
                services().run(_claim, task_id)
            else:
                services().run(_handover, task_id, to, note)
            done += 1
        except runner.RunnerError as exc:
            failed.append(user_message(exc))
    if done:
        word = _("已认领 %(n)s 个任务。", n=done) if action == "claim" else _("已转交 %(n)s 个任务。", n=done)
        flash(word, "success")
    for message in failed[:5]:
        flash(message, "error")
    return redirect(back)

"""The form task page: ``GET /tasks/<task_id>`` shows the item, the task's context and its form;
``POST`` validates on the server and completes the task through the runner.

Every request checks ``can_work_on`` (403 otherwise). A task claimed by a colleague the user does not
cover is shown read-only. A submission carries a one-time token: a token already used in this
session (back button, double click) never completes again, and a second completion that slips past
the session (two tabs, two browsers) is refused by the runner (``TaskNotReady``): a task already done when the page is
opened or the token is reused ends in "此任务已办理" (back to the inbox); a submission that completed nothing because
another one was first (a colleague at the same instant, another tab) is answered 409 with who completed it.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import abort, flash, redirect, render_template, request, session, url_for

import runner
from runner.attachments import list_attachments
from runner.conventions import ITEM_KINDS
from runner.four_eyes import SamePerson
from runner.views import instance_summary

from . import bp
from .attachments import StoredFile, discard, human_size, max_bytes, record, store_upload
from .auth import acting_for, can_work_on, complete_task, current_user, login_required, services, user_message
from .operations import task_operations
from .schema import (
    FormContext,
    TaskForm,
    UnknownForm,
    get_schema,
    load_task_form,
    make_form,
    pick,
    show_rows,
    undefined_form_message,
)

USED_TOKENS = "used_submit_tokens"
KIND_LABELS = {code: label for label, code in ITEM_KINDS.items()}
KEEP_TOKENS = 100


def _inbox_url() -> str:
    return url_for("forms.inbox")


def _already_done() -> Any:
    flash(pick("此任务已办理。", "This task has already been completed."), "info")
    return redirect(_inbox_url())


def _load(task_id: str) -> tuple[dict[str, Any], FormContext]:
    """Task, item, task data, attachments and the form's context: one read-only transaction."""
    svc = services()
    with svc.transaction() as s:
        loaded, ctx = load_task_form(s, svc, task_id)
        loaded["attachments"] = list_attachments(s, loaded["instance"]["id"])
    return loaded, ctx


def _token_used(token: str) -> bool:
    return token in session.get(USED_TOKENS, [])


def _mark_used(token: str) -> None:
    used = [t for t in session.get(USED_TOKENS, []) if t != token]
    session[USED_TOKENS] = [*used, token][-KEEP_TOKENS:]


def _claimed_by_other(task: dict[str, Any]) -> str | None:
    """The colleague holding the task when the user may not complete it for them."""
    assignee = task.get("assignee")
    if not assignee or assignee == current_user.username or assignee in current_user.covered_users:
        return None
    return str(assignee)


@bp.route("/tasks/<task_id>", methods=["GET", "POST"])
@login_required
def task_form(task_id: str) -> Any:
    """Show (GET) or submit (POST) the form of an open user task."""
    try:
        loaded, ctx = _load(task_id)
    except runner.TaskNotReady as exc:
        token = (request.form.get("submit_token") or "").strip()
        if request.method == "POST" and not _token_used(token):
            return _completed_meanwhile(exc)  # this submission completed nothing: someone else's did
        return _already_done()
    except runner.NotFound:
        abort(404)
    task = loaded["task"]
    if not can_work_on(task):
        abort(403)
    try:
        schema = get_schema(task.get("form_key"))
    except UnknownForm:
        message = pick(*undefined_form_message(task))
        return render_template(
            "error.html", code=409, title=pick("表单未定义", "No form"), message=message
        ), 409

    holder = _claimed_by_other(task)
    ops = task_operations(task)
    if ops.get("delegated_by") and holder is None:
        # a delegated task waits for the colleague's opinion: nobody completes it meanwhile
        holder = str(task.get("assignee") or "")
    page_error: str | None = None
    status = 200

    if request.method == "POST":
        token = (request.form.get("submit_token") or "").strip()
        if token and _token_used(token):
            return _already_done()
        form = make_form(schema, ctx, submitted=True)
        if holder is not None:
            page_error = _claimed_message(holder)
            status = 409
        elif not _valid_token(token):
            page_error = pick(
                "表单已失效，请核对后重新提交。", "The form expired; check it and submit again."
            )
            form.submit_token.data = uuid.uuid4().hex
            status = 400
        elif form.validate():
            outcome = _complete(task, form)
            if outcome is None:
                _mark_used(token)
                flash(
                    pick(f"已办理：{task['name']}（{task['business_key']}）", f"Completed: {task['name']}"),
                    "success",
                )
                return redirect(_inbox_url())
            if outcome == "forbidden":
                abort(403)
            if isinstance(outcome, runner.TaskNotReady):  # a colleague's completion won the race
                _mark_used(token)
                return _completed_meanwhile(outcome)
            page_error, status = outcome, 409
        else:
            page_error = pick("表单有误，请按提示修改后重新提交。", "Please correct the marked fields.")
            status = 400
    else:
        form = make_form(schema, ctx, submitted=False, token=uuid.uuid4().hex)

    return (
        render_template(
            "task.html",
            task=task,
            instance=loaded["instance"],
            schema=schema,
            form=form,
            ctx=ctx,
            context_rows=show_rows(schema, ctx),
            documentation=loaded.get("documentation"),
            attachments=loaded["attachments"],
            holder=holder,
            holder_message=_claimed_message(holder) if holder else None,
            acting_for=acting_for(task),
            page_error=page_error,
            pick=pick,
            kind_label=KIND_LABELS.get(task.get("item_kind") or ""),
            upload_limit=human_size(max_bytes()),
            ops=ops,
        ),
        status,
    )


def _valid_token(token: str) -> bool:
    try:
        return uuid.UUID(token).hex == token
    except ValueError:
        return False


def _claimed_message(holder: str) -> str:
    return pick(
        f"此任务已由 {holder} 认领，只有认领人（或其代班人员）可以办理。",
        f"This task is claimed by {holder}; only they (or their backup) can complete it.",
    )


def _completed_meanwhile(exc: runner.TaskNotReady) -> Any:
    """409: the task was completed by someone else between opening the form and sending it."""
    title = pick("此任务已办理", "This task has already been completed")
    return render_template("error.html", code=409, title=title, message=user_message(exc)), 409


def _complete(task: dict[str, Any], form: TaskForm) -> str | runner.TaskNotReady | None:
    """Store the files, complete the task; ``None`` on success, the runner's ``TaskNotReady`` when it was
    completed meanwhile, ``"forbidden"``, else the message to show."""
    stored: list[StoredFile] = []
    try:
        for spec in form.specs:
            if spec.type == "file":
                stored += [store_upload(f, spec.name) for f in form.values.get(spec.name) or []]
    except OSError:
        discard(stored)
        return pick("附件保存失败，请稍后重试。", "The attachment could not be saved; try again later.")
    actor = current_user.username

    def work(s: Any) -> dict[str, Any]:
        refs = record(s, stored, instance_id=task["instance_id"], task_id=task["id"], actor=actor)
        # complete_task checks the window rule again inside this transaction and names the colleague
        # a backup acts for (on_behalf_of)
        return instance_summary(complete_task(s, task["id"], form.task_data(refs)))

    try:
        services().run(work)
    except runner.TaskNotReady as exc:
        discard(stored)
        return exc
    except SamePerson as exc:  # four eyes: the page says who must do it instead
        discard(stored)
        return user_message(exc)
    except runner.PermissionDenied:
        discard(stored)
        return "forbidden"
    except runner.TaskAlreadyClaimed as exc:
        discard(stored)
        return user_message(exc)
    except runner.RunnerError as exc:
        discard(stored)
        return user_message(exc)
    except BaseException:
        discard(stored)
        raise
    return None

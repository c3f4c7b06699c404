"""The form task page: ``GET /tasks/<task_id>`` shows the item, the task's context and its form;
``POST`` validates on the server and completes the task through the runner — one transaction that reads the
task, checks the window rule, the claim and the form, stores the files and calls ``runner.complete`` (the API's
road), so a submission opens two database sessions in all (this one and the login's user look-up).

Every request checks ``can_work_on`` (403 otherwise). A task claimed by a colleague the user does not
cover is shown read-only. A submission carries a one-time token: a token already used in this
session (back button, double click) never completes again, and a second completion that slips past
the session (two tabs, two browsers) is refused by the runner (``TaskNotReady``): a task already done when the page is
opened or the token is reused ends in "此任务已办理" (back to the inbox); a submission that completed nothing because
another one was first (a colleague at the same instant, another tab) is answered 409 with who completed it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, render_template, request, session, url_for

import runner
from forms.attachments import StoredFile, discard, human_size, max_bytes, record, store_upload
from forms.language import pick
from forms.schema import (
    FormContext,
    TaskForm,
    UnknownForm,
    get_schema,
    load_task_form,
    make_form,
    show_rows,
    undefined_form_message,
)
from runner.items import four_eyes
from runner.items.attachments import list_attachments
from runner.items.labels import item_kind
from runner.items.tasks import complete
from web.auth import current_user, login_required, services
from web.i18n import user_message
from workspace.access import acting_for, can_work_on
from workspace.blueprint import bp
from workspace.operations import task_operations
from workspace.task_trace import delegation_note, delegation_opinions, earlier_form

USED_TOKENS = "used_submit_tokens"
KEEP_TOKENS = 100


def _inbox_url() -> str:
    return url_for("workspace.inbox")


def _already_done() -> Any:
    flash(pick("此任务已办理。", "This task has already been completed."), "info")
    return redirect(_inbox_url())


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


@dataclass
class _Page:
    """What the task page draws, read in one transaction (the POST's is also the one that completes)."""

    loaded: dict[str, Any]
    ctx: FormContext
    schema: Any
    ops: dict[str, Any]
    holder: str | None
    waiting: str | None = None  # a delegated task waits for the delegate's opinion: what the page says
    form: TaskForm | None = None
    error: str | None = None
    status: int = 200


class _FormUndefined(Exception):
    """The task's form key names no schema (a fault of the deployment): the page says so (409)."""

    def __init__(self, task: dict[str, Any]) -> None:
        self.task = task


def _read_page(s: Any, task_id: str) -> _Page:
    """The task, its item, data, attachments, form schema and the operations the user may do, in ``s``.
    Raises ``NotFound``/``TaskNotReady``, ``PermissionDenied`` (another window's task) or ``UnknownForm``."""
    loaded, ctx = load_task_form(s, services(), task_id)
    task = loaded["task"]
    if not can_work_on(task):
        raise runner.PermissionDenied("无权办理其他窗口的任务 (this task belongs to another window)")
    try:
        schema = get_schema(task.get("form_key"), s)
    except UnknownForm:
        raise _FormUndefined(task) from None
    loaded["attachments"] = list_attachments(s, loaded["instance"]["id"])
    ops = task_operations(s, task)
    holder = _claimed_by_other(task)
    waiting = delegation_note(task, ops, current_user.username)
    if waiting and holder is None:
        # a delegated task waits for the colleague's opinion: nobody completes it meanwhile
        holder = str(task.get("assignee") or "")
    return _Page(loaded, ctx, schema, ops, holder, waiting)


@bp.route("/tasks/<task_id>", methods=["GET", "POST"])
@login_required
def task_form(task_id: str) -> Any:
    """Show (GET) or submit (POST) the form of an open user task."""
    token = (request.form.get("submit_token") or "").strip()
    if request.method == "POST" and token and _token_used(token):
        return _already_done()
    try:
        if request.method == "POST":
            page = _submit(task_id, token)
            if page is None:
                return redirect(_inbox_url())
            if page.status == 409:
                _raise_if_completed(task_id)  # the truth after the race, whatever this attempt saw on its way
        else:
            with services().transaction() as s:
                page = _read_page(s, task_id)
            page.form = _first_form(page)
    except runner.TaskNotReady as exc:
        if request.method == "POST":
            _mark_used(token)
            return _completed_meanwhile(exc)  # this submission completed nothing: someone else's did
        return _already_done()
    except runner.NotFound:
        abort(404)
    except runner.PermissionDenied:
        abort(403)
    except _FormUndefined as exc:
        message = pick(*undefined_form_message(exc.task))
        return render_template(
            "error.html", code=409, title=pick("表单未定义", "No form"), message=message
        ), 409
    return _render(page)


def _submit(task_id: str, token: str) -> _Page | None:
    """The POST, one transaction: read the task, check the window rule, the claim and the form, store the
    files and complete it (``None``), or the page again with what is wrong (nothing written)."""
    stored: list[StoredFile] = []
    actor = current_user.username
    shown: list[_Page] = []

    def work(s: Any) -> _Page | None:
        page = _read_page(s, task_id)
        shown[:] = [page]
        page.form = form = make_form(page.schema, page.ctx, submitted=True)
        if page.holder is not None:
            page.error, page.status = page.waiting or _claimed_message(page.holder), 409
        elif not _valid_token(token):
            page.error = pick(
                "表单已失效，请核对后重新提交。", "The form expired; check it and submit again."
            )
            form.submit_token.data = uuid.uuid4().hex
            page.status = 400
        elif not form.validate():
            page.error = pick("表单有误，请按提示修改后重新提交。", "Please correct the marked fields.")
            page.status = 400
        if page.error is not None:
            return page
        if not stored:  # a run again after a lost race keeps the files already stored
            stored.extend(_store_files(form))
        task = page.loaded["task"]
        refs = record(s, stored, instance_id=task["instance_id"], task_id=task["id"], actor=actor)
        # the same runner call as the API's: the claim, the item's state and the step, in this transaction; a
        # backup completing an absent colleague's task acts on_behalf_of them (named in the audit)
        complete(s, task["id"], form.task_data(refs), actor=actor, on_behalf_of=acting_for(task))
        return None

    try:
        page = services().run(work)
    except OSError:
        discard(stored)
        page = shown[0]
        page.error, page.status = (
            pick("附件保存失败，请稍后重试。", "The attachment could not be saved; try again later."),
            409,
        )
        return page
    except runner.RunnerError as exc:
        discard(stored)
        if not shown or _answered_by_caller(exc):
            raise
        page = shown[0]
        page.error, page.status = user_message(exc), 409
        return page
    except BaseException:
        discard(stored)
        raise
    if page is None:
        _mark_used(token)
        task = shown[0].loaded["task"]
        flash(
            pick(f"已办理：{task['name']}（{task['business_key']}）", f"Completed: {task['name']}"), "success"
        )
    return page


def _first_form(page: _Page) -> TaskForm:
    """The form as the GET shows it: a task that came back (退回 / 撤回) is filled with what was submitted before."""
    token = uuid.uuid4().hex
    if page.loaded["task"].get("returned"):
        return earlier_form(page.schema, page.ctx, token)
    return make_form(page.schema, page.ctx, submitted=False, token=token)


def _kind_label(code: str | None) -> str | None:
    """The item kind in the page's language."""
    return pick(item_kind(code), item_kind(code, english=True)) if code else None


def _answered_by_caller(exc: runner.RunnerError) -> bool:
    """A step done meanwhile, a vanished task or a refusal is answered by the page's caller; other errors (four
    eyes among them: the page says who must do it instead) are shown on the form."""
    refused = isinstance(exc, runner.PermissionDenied) and not isinstance(exc, four_eyes.SamePerson)
    return refused or isinstance(exc, (runner.TaskNotReady, runner.NotFound))


def _store_files(form: TaskForm) -> list[StoredFile]:
    stored: list[StoredFile] = []
    try:
        for spec in form.specs:
            if spec.type == "file":
                stored += [store_upload(f, spec.name) for f in form.values.get(spec.name) or []]
    except OSError:
        discard(stored)
        raise
    return stored


def _render(page: _Page) -> Any:
    task = page.loaded["task"]
    return (
        render_template(
            "task.html",
            task=task,
            instance=page.loaded["instance"],
            schema=page.schema,
            form=page.form,
            ctx=page.ctx,
            context_rows=show_rows(page.schema, page.ctx),
            documentation=page.loaded.get("documentation"),
            attachments=page.loaded["attachments"],
            holder=page.holder,
            holder_message=(page.waiting or _claimed_message(page.holder))
            if page.holder is not None
            else None,
            delegation_opinions=delegation_opinions(page.ctx.data),
            acting_for=acting_for(task),
            page_error=page.error,
            pick=pick,
            kind_label=_kind_label(task.get("item_kind")),
            upload_limit=human_size(max_bytes()),
            ops=page.ops,
        ),
        page.status,
    )


def _valid_token(token: str) -> bool:
    try:
        return uuid.UUID(token).hex == token
    except ValueError:
        return False


def _raise_if_completed(task_id: str) -> None:
    """Raise ``TaskNotReady`` when the task has been completed by now: a submission that lost a race to a
    colleague may have seen the task on its way to completion (claimed, its item being written), and the
    answer it owes is who completed it, not what it saw."""
    with services().transaction() as s:
        runner.wait_for_item_writer(s, task_id)  # a completion in flight commits (or fails) first
        try:
            runner.task_details(s, task_id)
        except runner.NotFound:
            return


def _claimed_message(holder: str) -> str:
    return pick(
        f"此任务已由 {holder} 认领，只有认领人（或其代班人员）可以办理。",
        f"This task is claimed by {holder}; only they (or their backup) can complete it.",
    )


def _completed_meanwhile(exc: runner.TaskNotReady) -> Any:
    """409: the task was completed by someone else between opening the form and sending it."""
    title = pick("此任务已办理", "This task has already been completed")
    return render_template("error.html", code=409, title=title, message=user_message(exc)), 409

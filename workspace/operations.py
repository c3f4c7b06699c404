"""Clerk operations (issue 8): 转办, 委派, 退回, 撤回, 催办, 抄送, 挂起/恢复 — who may do what, and the pages.

``ALLOWED`` is the one permission table, shared with the JSON API (``api/operations.py``): each rule takes
the person (``Who``) and the facts of the task or item (``Facts``) and says yes or no. The ``do_*``
functions check the rule again inside the transaction that acts, enforce the reasons, and call the
runner (which writes the audit trail and the notifications). A refused rule raises
``runner.PermissionDenied`` (403) before anything changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

import runner
from forms.language import pick, shown_name
from runner.items.clerk import (
    do_answer,
    do_copy,
    do_delegate,
    do_resume,
    do_send_back,
    do_suspend,
    do_transfer,
    do_urge,
    do_withdraw,
    recently_completed,
)
from runner.items.joint_meeting import meeting_view
from runner.items.permissions import (
    DONE_DAYS,
    Facts,
    allowed,
    holder,
    item_facts,
    permitted,
    refusal,
    task_dict,
    task_facts,
)
from runner.models import ClockPause, OpenTask
from web.auth import current_user, login_required, services
from web.chrome import register_nav
from web.i18n import Label, user_message
from web.request_edge import safe_next
from workspace.access import who_now
from workspace.blueprint import bp
from workspace.item_hub import hub
from workspace.people import ADVISERS, people_choices

# ---- workspace pages ---------------------------------------------------------------------------


def _run(work: Callable[[Session], Any]) -> tuple[Any, dict[str, str], str | None]:
    """Run ``work`` in one transaction: (result, field errors, page error); 403 on a refused rule."""
    try:
        return services().run(work), {}, None
    except runner.PermissionDenied as exc:
        abort(403, description=exc.message)
    except runner.InvalidInput as exc:
        name = str(exc.context.get("field") or "")
        return None, {name or "_": user_message(exc)}, None
    except runner.NotFound:
        abort(404)
    except runner.RunnerError as exc:
        return None, {}, user_message(exc)


def _load_task(task_id: str, op: str) -> tuple[dict[str, Any], Facts]:
    """The task and its facts, 404/403 as appropriate (a finished task goes back to the inbox)."""
    try:
        with services().transaction() as s:
            _, facts = task_facts(s, task_id)
            ok, _ = permitted(s, op, who_now(), facts)
    except runner.TaskNotReady:
        flash(pick("该任务已办结。", "This task is already completed."), "info")
        abort(redirect(url_for("workspace.inbox")))
    except runner.NotFound:
        abort(404)
    if not ok:
        abort(403, description=refusal(op, who_now(), facts).message)
    assert facts.task is not None
    return facts.task, facts


def _form(
    *,
    title: str,
    task: dict[str, Any] | None,
    item: dict[str, Any] | None,
    fields: list[dict[str, Any]],
    submit: str,
    errors: dict[str, str],
    page_error: str | None,
    back: str,
    status: int = 200,
) -> Any:
    for f in fields:
        f["error"] = errors.get(f["name"])
        if request.method == "POST" and f["type"] != "hidden":
            f["value"] = request.form.get(f["name"], "")
    other = [m for k, m in errors.items() if k not in {f["name"] for f in fields}]
    return render_template(
        "operations/form.html",
        title=title,
        task=task,
        item=item,
        fields=fields,
        submit=submit,
        page_error=page_error or (other[0] if other else None),
        back=back,
        pick=pick,
    ), status


def _task_back(task_id: str) -> str:
    return safe_next(request.values.get("next")) or url_for("workspace.task_form", task_id=task_id)


def _finish(ok: str, target: str) -> Any:
    flash(ok, "success")
    return redirect(target)


def _colleagues(window: str, exclude: set[str]) -> list[tuple[str, str]]:
    with services().transaction() as s:
        return people_choices(s, window=window, exclude=exclude)


def _window_choices() -> list[tuple[str, str]]:
    with services().transaction() as s:
        return [(w.code, shown_name(w.name, w.name_en)) for w in runner.list_windows(s)]


def _people(exclude: set[str]) -> list[tuple[str, str]]:
    """Who may be asked for an opinion (委派): clerks, window heads and the centre leader."""
    with services().transaction() as s:
        return people_choices(s, roles=ADVISERS, exclude=exclude)


@bp.route("/tasks/<task_id>/transfer", methods=["GET", "POST"])
@login_required
def op_transfer(task_id: str) -> Any:
    """转办: hand the task over for good (same window: any clerk; another window: the window head)."""
    task, _ = _load_task(task_id, "transfer")
    head = (task.get("window") or "") in who_now().heads
    fields: list[dict[str, Any]] = [
        {
            "name": "to_user",
            "label": pick("转办给", "Hand over to"),
            "type": "select",
            "choices": [("", pick("— 请选择 —", "— choose —"))]
            + _colleagues(task.get("window") or "", {current_user.username, holder(task) or ""}),
        }
    ]
    if head:
        fields.append(
            {
                "name": "to_window",
                "label": pick("或转办到其他窗口", "Or to another window"),
                "type": "select",
                "choices": [("", pick("（本窗口）", "(this window)"))]
                + [(c, n) for c, n in _window_choices() if c != task.get("window")],
                "help": pick("转办到其他窗口须写明理由。", "A transfer to another window needs a reason."),
            }
        )
    fields.append({"name": "reason", "label": pick("转办理由", "Reason"), "type": "textarea"})
    errors: dict[str, str] = {}
    page_error = None
    if request.method == "POST":
        to_user = request.form.get("to_user") or None
        to_window = request.form.get("to_window") or None
        if not to_user and not to_window:
            errors["to_user"] = pick("请选择转办对象", "Choose who takes the task")
        else:
            _, errors, page_error = _run(
                lambda s: do_transfer(
                    s,
                    who_now(),
                    task_id,
                    to_user=to_user,
                    to_window=to_window,
                    reason=request.form.get("reason"),
                )
            )
            if not errors and not page_error:
                return _finish(
                    pick(f"已转办：{task['name']}", f"Handed over: {task['name']}"),
                    url_for("workspace.inbox"),
                )
    return _form(
        title=pick("转办", "Hand over"),
        task=task,
        item=None,
        fields=fields,
        submit=pick("确认转办", "Hand over"),
        errors=errors,
        page_error=page_error,
        back=_task_back(task_id),
        status=400 if request.method == "POST" else 200,
    )


@bp.route("/tasks/<task_id>/delegate", methods=["GET", "POST"])
@login_required
def op_delegate(task_id: str) -> Any:
    """委派: ask a named colleague for an opinion; the task comes back with it."""
    task, _ = _load_task(task_id, "delegate")
    fields = [
        {
            "name": "to_user",
            "label": pick("委派给", "Ask"),
            "type": "select",
            "choices": [("", pick("— 请选择 —", "— choose —"))]
            + _people({current_user.username, holder(task) or ""}),
        },
        {"name": "note", "label": pick("请教事项", "Question"), "type": "textarea"},
    ]
    errors: dict[str, str] = {}
    page_error = None
    if request.method == "POST":
        if not request.form.get("to_user"):
            errors["to_user"] = pick("请选择委派对象", "Choose a colleague")
        else:
            _, errors, page_error = _run(
                lambda s: do_delegate(
                    s, who_now(), task_id, to_user=request.form.get("to_user"), note=request.form.get("note")
                )
            )
            if not errors and not page_error:
                return _finish(
                    pick(f"已委派：{task['name']}", f"Delegated: {task['name']}"), url_for("workspace.inbox")
                )
    return _form(
        title=pick("委派", "Delegate"),
        task=task,
        item=None,
        fields=fields,
        submit=pick("确认委派", "Delegate"),
        errors=errors,
        page_error=page_error,
        back=_task_back(task_id),
        status=400 if request.method == "POST" else 200,
    )


@bp.route("/tasks/<task_id>/delegation", methods=["GET", "POST"])
@login_required
def op_answer(task_id: str) -> Any:
    """The delegate gives the opinion; the task goes back to the delegating clerk."""
    task, _ = _load_task(task_id, "answer")
    fields = [{"name": "opinion", "label": pick("意见", "Opinion"), "type": "textarea"}]
    errors: dict[str, str] = {}
    page_error = None
    if request.method == "POST":
        _, errors, page_error = _run(
            lambda s: do_answer(s, who_now(), task_id, opinion=request.form.get("opinion"))
        )
        if not errors and not page_error:
            return _finish(pick("意见已提交。", "Opinion sent."), url_for("workspace.inbox"))
    return _form(
        title=pick("委派意见", "Delegation opinion"),
        task=task,
        item=None,
        fields=fields,
        submit=pick("提交意见", "Send opinion"),
        errors=errors,
        page_error=page_error,
        back=url_for("workspace.inbox"),
        status=400 if request.method == "POST" else 200,
    )


@bp.route("/tasks/<task_id>/send-back", methods=["GET", "POST"])
@login_required
def op_send_back(task_id: str) -> Any:
    """退回: to a completed earlier step of this item's path (the applicant's clock is not reset)."""
    task, _ = _load_task(task_id, "send_back")
    with services().transaction() as s:
        steps = runner.returnable_steps(s, task_id)
    fields = [
        {
            "name": "to_task_id",
            "label": pick("退回到", "Send back to"),
            "type": "select",
            "choices": [("", pick("— 请选择 —", "— choose —"))]
            + [(st["task_id"], st["name"]) for st in steps],
        },
        {"name": "reason", "label": pick("退回理由", "Reason"), "type": "textarea"},
    ]
    errors: dict[str, str] = {}
    page_error = (
        None if steps else pick("没有可退回的前序环节。", "There is no earlier step to send back to.")
    )
    if not steps:
        fields = []  # nothing to choose: the page says so and offers no form
    elif request.method == "POST":
        _, errors, page_error = _run(
            lambda s: do_send_back(
                s,
                who_now(),
                task_id,
                to_task_id=request.form.get("to_task_id"),
                reason=request.form.get("reason"),
            )
        )
        if not errors and not page_error:
            return _finish(
                pick(f"已退回：{task['business_key']}", f"Sent back: {task['business_key']}"),
                url_for("workspace.inbox"),
            )
    return _form(
        title=pick("退回", "Send back"),
        task=task,
        item=None,
        fields=fields,
        submit=pick("确认退回", "Send back"),
        errors=errors,
        page_error=page_error,
        back=_task_back(task_id),
        status=400 if request.method == "POST" else 200,
    )


@bp.post("/tasks/<task_id>/urge")
@login_required
def op_urge(task_id: str) -> Any:
    """催办 from the inbox or the item page."""
    _load_task(task_id, "urge")
    back = safe_next(request.form.get("next")) or url_for("workspace.inbox")
    _, errors, page_error = _run(lambda s: do_urge(s, who_now(), task_id, note=request.form.get("note")))
    if errors or page_error:
        flash(page_error or next(iter(errors.values())), "error")
    else:
        flash(pick("已催办。", "Urged."), "success")
    return redirect(back)


@bp.get("/done")
@login_required
def done_list() -> Any:
    """我已办理: my completed steps of the last 7 days, with 撤回."""
    with services().transaction() as s:
        rows = _done_rows(s)
    return render_template("operations/done.html", rows=rows, pick=pick, days=DONE_DAYS)


def _done_rows(session: Session) -> list[dict[str, Any]]:
    """My completed steps, then those of the absent colleagues I cover (AB岗), marked with ``for``."""
    rows = recently_completed(session, current_user.username)
    for absent in sorted(current_user.covered_users):
        rows += [{**r, "for": absent} for r in recently_completed(session, absent)]
    return rows


@bp.post("/done/<task_id>/withdraw")
@login_required
def op_withdraw(task_id: str) -> Any:
    """撤回 a step I completed, while the next task is untouched."""
    _, errors, page_error = _run(lambda s: do_withdraw(s, who_now(), task_id))
    if errors or page_error:
        flash(page_error or next(iter(errors.values())), "error")
        return redirect(url_for("workspace.done_list"))  # the list again, not a page at the POST address
    with services().transaction() as s:
        back = s.scalars(select(OpenTask).where(OpenTask.task_id == task_id)).first()
    if back is not None and back.assignee:
        flash(pick("已撤回，任务已回到您的待办。", "Withdrawn; the step is back in your inbox."), "success")
        return redirect(url_for("workspace.task_form", task_id=task_id))
    flash(
        pick("已撤回，任务在本窗口待认领中。", "Withdrawn; the step waits in the window's unclaimed tasks."),
        "success",
    )
    return redirect(url_for("workspace.inbox", tab="window"))


# ---- the item page: status, pauses, open tasks, 挂起/恢复, 抄送 -----------------------------------


def _item(business_key: str, op: str = "view_item") -> tuple[dict[str, Any], Facts]:
    with services().transaction() as s:
        try:
            instance = runner.get_instance(s, business_key=business_key)
        except runner.NotFound:
            abort(404)
        facts = item_facts(s, instance)
        if not allowed(op, who_now(), facts):
            abort(403)
        tasks = [task_dict(r) for r in s.scalars(select(OpenTask).where(OpenTask.instance_id == instance.id))]
        pauses = [
            {"reason": p.reason, "started_at": p.started_at, "ended_at": p.ended_at, "by": p.started_by}
            for p in s.scalars(
                select(ClockPause).where(ClockPause.instance_id == instance.id).order_by(ClockPause.id)
            )
        ]
        warnings = runner.item_warnings(s, instance.id)
        has_meeting = op == "view_item" and meeting_view(s, instance) is not None
    item = {
        **facts.instance,
        "tasks": tasks,
        "pauses": pauses,
        "warnings": warnings,
        "has_meeting": has_meeting,
    }
    return item, facts


@bp.get("/items/<business_key>")
@login_required
def item_page(business_key: str) -> Any:
    return _item_page(business_key)


def _item_page(business_key: str, *, reason_error: str | None = None, status: int = 200) -> Any:
    item, facts = _item(business_key)
    who = who_now()
    for t in item["tasks"]:
        t["can_urge"] = allowed("urge", who, Facts(facts.instance, t))
    with services().transaction() as s:
        item_hub = hub(s, runner.get_instance(s, item["id"]))
    return render_template(
        "operations/item.html",
        item=item,
        hub=item_hub,
        pick=pick,
        can_suspend=allowed("suspend", who, facts) and item["status"] in ("running", "waiting"),
        can_resume=allowed("resume", who, facts) and item["status"] == "suspended",
        can_copy=allowed("copy", who, facts),
        can_cosign=allowed("cosign", who, facts) and item["status"] in ("running", "waiting"),
        here=url_for("workspace.item_page", business_key=business_key),
        reason_error=reason_error,
    ), status


@bp.post("/items/<business_key>/suspend")
@login_required
def op_suspend(business_key: str) -> Any:
    item, _ = _item(business_key, "suspend")
    reason = request.form.get("reason")
    if not (reason or "").strip():
        return _item_page(
            business_key, reason_error=pick("挂起须写明理由。", "Suspending needs a reason."), status=400
        )

    def work(s: Session) -> Any:
        return do_suspend(s, who_now(), runner.get_instance(s, item["id"]), reason=reason)

    _, errors, page_error = _run(work)
    if errors or page_error:
        flash(page_error or next(iter(errors.values())), "error")
    else:
        flash(pick("办件已挂起，计时暂停。", "Suspended; the clock is paused."), "success")
    return redirect(url_for("workspace.item_page", business_key=business_key))


@bp.post("/items/<business_key>/resume")
@login_required
def op_resume(business_key: str) -> Any:
    item, _ = _item(business_key, "resume")
    _, errors, page_error = _run(lambda s: do_resume(s, who_now(), runner.get_instance(s, item["id"])))
    if errors or page_error:
        flash(page_error or next(iter(errors.values())), "error")
    else:
        flash(pick("办件已恢复办理。", "Resumed."), "success")
    return redirect(url_for("workspace.item_page", business_key=business_key))


@bp.route("/items/<business_key>/copy", methods=["GET", "POST"])
@login_required
def op_copy(business_key: str) -> Any:
    """抄送: copy the item to a person or a window for information."""
    item, _ = _item(business_key, "copy")
    fields = [
        {
            "name": "to_user",
            "label": pick("抄送给（人员）", "Copy to (person)"),
            "type": "select",
            "choices": [("", pick("— 不选 —", "— none —"))] + _people({current_user.username}),
        },
        {
            "name": "to_window",
            "label": pick("抄送给（窗口）", "Copy to (window)"),
            "type": "select",
            "choices": [("", pick("— 不选 —", "— none —"))] + _window_choices(),
        },
        {"name": "note", "label": pick("说明", "Note"), "type": "textarea"},
    ]
    errors: dict[str, str] = {}
    page_error = None
    if request.method == "POST":

        def work(s: Session) -> Any:
            return do_copy(
                s,
                who_now(),
                runner.get_instance(s, item["id"]),
                to_user=request.form.get("to_user") or None,
                to_window=request.form.get("to_window") or None,
                note=request.form.get("note"),
            )

        _, errors, page_error = _run(work)
        if not errors and not page_error:
            return _finish(
                pick("已抄送。", "Copied."),
                safe_next(request.form.get("next"))
                or url_for("workspace.item_page", business_key=business_key),
            )
    return _form(
        title=pick("抄送", "Copy"),
        task=None,
        item=item,
        fields=fields,
        submit=pick("确认抄送", "Copy"),
        errors=errors,
        page_error=page_error,
        back=safe_next(request.values.get("next"))
        or url_for("workspace.item_page", business_key=business_key),
        status=400 if request.method == "POST" else 200,
    )


@bp.get("/copies")
@login_required
def copies() -> Any:
    """抄送我的: items copied to me or to one of my windows (read-only)."""
    with services().transaction() as s:
        rows = runner.copies_for(s, user=current_user.username, windows=set(current_user.windows))
    return render_template("operations/copies.html", rows=rows, pick=pick)


def task_operations(s: Session, task: dict[str, Any]) -> dict[str, Any]:
    """What the task page's 操作 section offers the current user (read in ``s``)."""
    who = who_now()
    try:
        _, facts = task_facts(s, task["id"])
        may = {op: permitted(s, op, who, facts)[0] for op in ("transfer", "delegate", "answer", "send_back")}
    except runner.RunnerError:
        return {}
    return {
        **may,
        "copy": allowed("copy", who, facts),
        "delegated_by": (facts.task or {}).get("delegated_by"),
        "delegation_note": (facts.task or {}).get("delegation_note"),
    }


register_nav(Label("已办", "Done"), "workspace.done_list", order=20)  # type: ignore[arg-type]
register_nav(Label("抄送我的", "Copied to me"), "workspace.copies", order=25)  # type: ignore[arg-type]

"""Clerk operations (issue 8): 转办, 委派, 退回, 撤回, 催办, 抄送, 挂起/恢复 — who may do what, and the pages.

``ALLOWED`` is the one permission table, shared with the JSON API (``api/operations.py``): each rule takes
the person (``Who``) and the facts of the task or item (``Facts``) and says yes or no. The ``do_*``
functions check the rule again inside the transaction that acts, enforce the reasons, and call the
runner (which writes the audit trail and the notifications). A refused rule raises
``runner.PermissionDenied`` (403) before anything changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

import runner
from runner import directory
from runner.joint_meeting import meeting_view
from runner.models import AuditEntry, ClockPause, Copy, OpenTask, ProcessInstance, Role
from runner.party_notices import windows_taking_part
from runner.tasks import open_task
from runner.views import instance_summary, task_view
from runner.windows import known_windows

from . import bp
from .auth import _safe_next, current_user, login_required, services, user_message
from .schema import pick

OVERSEERS = (Role.SUPERVISOR, Role.LEADER, Role.ADMIN)
DONE_DAYS = 7


@dataclass(frozen=True)
class Who:
    """The person acting, as the rules see them (a web user or an API actor found in the directory)."""

    username: str
    windows: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()
    heads: frozenset[str] = frozenset()  # windows where the person is 窗口负责人
    covering: frozenset[str] = frozenset()  # absent colleagues the person covers today (AB岗)

    @classmethod
    def of_person(cls, person: directory.Person, covering: Iterable[str] = ()) -> Who:
        return cls(
            person.username,
            frozenset(person.windows),
            frozenset(person.roles),
            frozenset(person.windows_with_role(Role.WINDOW_HEAD)),
            frozenset(covering),
        )

    @classmethod
    def web(cls) -> Who:
        return cls.of_person(current_user.person, current_user.covered_users)

    def oversees(self) -> bool:
        return bool(self.roles & {str(r) for r in OVERSEERS})


@dataclass
class Facts:
    """What the rules look at: the open task (if any) and its item."""

    instance: dict[str, Any]
    task: dict[str, Any] | None = None
    involved_windows: set[str] = field(default_factory=set)
    involved_users: set[str] = field(default_factory=set)


Rule = Callable[[Who, Facts], bool]


def _task_window(f: Facts) -> str:
    return str((f.task or {}).get("window") or "")


def _involved(w: Who, f: Facts) -> bool:
    return bool(w.windows & f.involved_windows) or w.username in f.involved_users


def _heads_lead_window(w: Who, f: Facts) -> bool:
    return (f.instance.get("lead_window") or "") in w.heads or Role.ADMIN in w.roles


ALLOWED: dict[str, Rule] = {
    # 转办 within the task's window: any clerk of that window (the assignee is one)
    "transfer": lambda w, f: _task_window(f) in w.windows or (f.task or {}).get("assignee") == w.username,
    # 转办 to another window: the head of the task's window only
    "transfer_window": lambda w, f: _task_window(f) in w.heads,
    # 委派: the assignee, or a clerk of the window for an unclaimed task (who becomes the delegator);
    # (a delegated task waits for the delegate's opinion: nobody delegates it again meanwhile)
    "delegate": lambda w, f: (
        not (f.task or {}).get("delegated_by")
        and (
            (f.task or {}).get("assignee") == w.username
            or ((f.task or {}).get("assignee") is None and _task_window(f) in w.windows)
        )
    ),
    # the delegate's answer
    "answer": lambda w, f: (
        bool((f.task or {}).get("delegated_by")) and (f.task or {}).get("assignee") == w.username
    ),
    # 退回: a clerk of the task's window
    "send_back": lambda w, f: _task_window(f) in w.windows,
    # 撤回: the person who completed the step (checked by the runner against the audit trail)
    "withdraw": lambda w, f: True,
    # 催办: the item's lead window, or supervision / leaders / admin
    "urge": lambda w, f: (f.instance.get("lead_window") or "") in w.windows or w.oversees(),
    # 抄送: anybody involved in the item
    "copy": _involved,
    # 挂起 / 恢复: a head of the item's lead window, or admin
    "suspend": _heads_lead_window,
    "resume": _heads_lead_window,
    # 延期申请: a member of the item's lead window asks (the head or the leader decides, rule "extend")
    "request_extension": lambda w, f: (f.instance.get("lead_window") or "") in w.windows,
    # 延期: a head of the item's lead window, the centre leader, or admin
    "extend": lambda w, f: _heads_lead_window(w, f) or Role.LEADER in w.roles,
    # 加签 / 减签: the item's lead window (its clerks and head), or admin
    "cosign": lambda w, f: (f.instance.get("lead_window") or "") in w.windows or Role.ADMIN in w.roles,
    # 纠错回告: the warned window (its window and clerk are passed as the "task")
    "acknowledge_warning": lambda w, f: (
        _task_window(f) in w.windows or (f.task or {}).get("assignee") == w.username
    ),
    # the item page: involved, copied to, or overseeing
    "view_item": lambda w, f: _involved(w, f) or w.oversees(),
}


def allowed(op: str, who: Who, facts: Facts) -> bool:
    return ALLOWED[op](who, facts)


def check(op: str, who: Who, facts: Facts) -> None:
    if not allowed(op, who, facts):
        raise runner.PermissionDenied("无权进行此操作 (you may not do this)", operation=op)


# operations on one clerk's step that their AB岗 backup may do for them while they are away
COVERABLE = frozenset({"transfer", "transfer_window", "delegate", "answer", "send_back", "withdraw"})


def _covered(op: str, who: Who, owner: str | None) -> str | None:
    """The absent colleague whose step it is, when ``who`` covers them (AB岗) and ``op`` is coverable."""
    if op in COVERABLE and owner and owner != who.username and owner in who.covering:
        return owner
    return None


def permitted(
    session: Session, op: str, who: Who, facts: Facts, owner: str | None = None
) -> tuple[bool, str | None]:
    """(may ``who`` do ``op``, the absent colleague they act for). A backup covering the step's owner
    (the task's assignee, or ``owner``) may do what the owner could, on the owner's behalf."""
    covered = _covered(op, who, owner or (facts.task or {}).get("assignee"))
    if allowed(op, who, facts):
        return True, covered
    if covered is not None:
        person = directory.get_person(session, covered)
        if person is not None and person.is_active and allowed(op, Who.of_person(person), facts):
            return True, covered
    return False, None


def acting(session: Session, op: str, who: Who, facts: Facts, owner: str | None = None) -> str | None:
    """``check`` for the coverable operations: raises PermissionDenied, else returns on whose behalf."""
    ok, for_whom = permitted(session, op, who, facts, owner)
    if not ok:
        raise runner.PermissionDenied("无权进行此操作 (you may not do this)", operation=op)
    return for_whom


# ---- facts -------------------------------------------------------------------------------------


def open_task_row(session: Session, task_id: str) -> OpenTask:
    return open_task(session, task_id)


def task_dict(row: OpenTask) -> dict[str, Any]:
    return {
        **task_view(row),
        "urge_count": row.urge_count or 0,
        "last_urged_at": row.last_urged_at.isoformat() if row.last_urged_at else None,
        "last_urged_by": row.last_urged_by,
        "delegated_by": row.delegated_by,
        "delegation_note": getattr(row, "delegation_note", None),
    }


def item_facts(session: Session, instance: ProcessInstance, task: dict[str, Any] | None = None) -> Facts:
    rows = list(session.scalars(select(OpenTask).where(OpenTask.instance_id == instance.id)))
    windows = {r.window for r in rows if r.window}
    users = {r.assignee for r in rows if r.assignee}
    if instance.lead_window:
        windows.add(instance.lead_window)
    for actor, for_whom in session.execute(
        select(AuditEntry.actor, AuditEntry.on_behalf_of).where(AuditEntry.instance_id == instance.id)
    ):
        users.update(u for u in (actor, for_whom) if u)
    for to_user, to_window in session.execute(
        select(Copy.to_user, Copy.to_window).where(Copy.instance_id == instance.id)
    ):
        if to_user:
            users.add(to_user)
        if to_window:
            windows.add(to_window)
    # a window asked, invited or deemed to assent keeps read access
    windows |= windows_taking_part(session, instance.id)
    return Facts(instance_summary(instance), task, windows, users)


def task_facts(session: Session, task_id: str) -> tuple[OpenTask, Facts]:
    row = open_task_row(session, task_id)
    instance = runner.get_instance(session, row.instance_id)
    return row, item_facts(session, instance, task_dict(row))


def _reason(value: str | None, what_zh: str, what_en: str) -> str:
    text = (value or "").strip()
    if not text:
        raise runner.InvalidInput(f"{what_zh}须写明理由 ({what_en} needs a reason)", field="reason")
    if len(text) > 1000:
        raise runner.InvalidInput("理由不超过 1000 字 (at most 1000 characters)", field="reason")
    return text


def _known_user(session: Session, username: str | None, field_name: str = "to_user") -> str:
    person = directory.get_person(session, username or "") if username else None
    if person is None or not person.is_active:
        raise runner.InvalidInput(f"没有用户 {username or ''} (no such user)", field=field_name)
    return person.username


def _known_window(session: Session, window: str | None) -> str:
    if not window or window not in known_windows(session):
        raise runner.InvalidInput(f"没有窗口 {window or ''} (no such window)", field="to_window")
    return window


# ---- the operations (shared by the workspace and the API) --------------------------------------


def do_transfer(
    session: Session,
    who: Who,
    task_id: str,
    *,
    to_user: str | None,
    to_window: str | None,
    reason: str | None,
) -> OpenTask:
    """转办: to a colleague of the task's window, or (window head, with a reason) to another window."""
    row, facts = task_facts(session, task_id)
    other_window = bool(to_window) and to_window != row.window
    for_whom = acting(session, "transfer_window" if other_window else "transfer", who, facts)
    if other_window:
        note = _reason(reason, "转办到其他窗口", "a transfer to another window")
        window = _known_window(session, to_window)
        user = None
        if to_user:
            user = _known_user(session, to_user)
            if not directory.is_member(session, user, window):
                raise runner.InvalidInput(
                    "该人员不属于目标窗口 (not a member of that window)", field="to_user"
                )
        return runner.reassign(
            session,
            task_id,
            actor=who.username,
            assignee=user,
            window=window,
            note=note,
            on_behalf_of=for_whom,
        )
    user = _known_user(session, to_user)
    if user == row.assignee:
        raise runner.InvalidInput("任务已由该人员承办 (already assigned to this person)", field="to_user")
    if not directory.is_member(session, user, row.window or ""):
        raise runner.InvalidInput(
            "只能转办给本窗口的同事 (only to a colleague of the same window)", field="to_user"
        )
    return runner.reassign(
        session,
        task_id,
        actor=who.username,
        assignee=user,
        note=(reason or "").strip(),
        on_behalf_of=for_whom,
    )


def do_delegate(
    session: Session, who: Who, task_id: str, *, to_user: str | None, note: str | None
) -> OpenTask:
    """委派: ask a named colleague for an opinion."""
    _, facts = task_facts(session, task_id)
    for_whom = acting(session, "delegate", who, facts)
    user = _known_user(session, to_user)
    return runner.delegate(
        session, task_id, actor=who.username, to_user=user, note=(note or "").strip(), on_behalf_of=for_whom
    )


def do_answer(session: Session, who: Who, task_id: str, *, opinion: str | None) -> OpenTask:
    _, facts = task_facts(session, task_id)
    for_whom = acting(session, "answer", who, facts)
    text = (opinion or "").strip()
    if not text:
        raise runner.InvalidInput("请填写意见 (an opinion is required)", field="opinion")
    return runner.answer_delegation(session, task_id, actor=who.username, opinion=text, on_behalf_of=for_whom)


def do_send_back(
    session: Session, who: Who, task_id: str, *, to_task_id: str | None, reason: str | None
) -> ProcessInstance:
    """退回 to a completed earlier step of this task's path; the applicant's clock is not reset."""
    _, facts = task_facts(session, task_id)
    for_whom = acting(session, "send_back", who, facts)
    text = _reason(reason, "退回", "sending back")
    steps = {s["task_id"] for s in runner.returnable_steps(session, task_id)}
    if not to_task_id or to_task_id not in steps:
        raise runner.InvalidInput("请选择可退回的前序环节 (choose an earlier step)", field="to_task_id")
    return runner.send_back(
        session, task_id, to_task_id, actor=who.username, reason=text, on_behalf_of=for_whom
    )


def do_withdraw(session: Session, who: Who, task_id: str) -> ProcessInstance:
    """撤回: only the person who completed the step (or their AB岗 backup, for them); the runner refuses
    once the next task is touched."""
    completer = runner.completed_by(session, task_id)
    return runner.withdraw(
        session, task_id, actor=who.username, on_behalf_of=_covered("withdraw", who, completer)
    )


def do_urge(session: Session, who: Who, task_id: str, *, note: str | None) -> OpenTask:
    _, facts = task_facts(session, task_id)
    check("urge", who, facts)
    return runner.urge(session, task_id, actor=who.username, note=(note or "").strip()[:500])


def do_copy(
    session: Session,
    who: Who,
    instance: ProcessInstance,
    *,
    to_user: str | None,
    to_window: str | None,
    note: str | None,
) -> Any:
    check("copy", who, item_facts(session, instance))
    if not to_user and not to_window:
        raise runner.InvalidInput("请选择抄送对象 (choose a person or a window)", field="to_user")
    user = _known_user(session, to_user) if to_user else None
    window = _known_window(session, to_window) if to_window else None
    return runner.copy_item(
        session, instance.id, actor=who.username, to_user=user, to_window=window, note=(note or "").strip()
    )


def do_suspend(
    session: Session, who: Who, instance: ProcessInstance, *, reason: str | None
) -> ProcessInstance:
    check("suspend", who, item_facts(session, instance))
    return runner.suspend(
        session, instance.id, actor=who.username, reason=_reason(reason, "挂起", "suspending")
    )


def do_resume(session: Session, who: Who, instance: ProcessInstance) -> ProcessInstance:
    check("resume", who, item_facts(session, instance))
    return runner.resume(session, instance.id, actor=who.username)


def completed_by(session: Session, username: str, *, days: int = DONE_DAYS) -> list[dict[str, Any]]:
    """我已办理: the steps ``username`` completed in the last ``days`` days, newest first."""
    since = services().now() - timedelta(days=days)
    rows = session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.action == "complete",
            (AuditEntry.actor == username) | (AuditEntry.on_behalf_of == username),
            AuditEntry.at >= since,
        )
        .order_by(AuditEntry.id.desc())
        .limit(200)
    )
    found = []
    for e in rows:
        withdrawn = session.scalars(
            select(AuditEntry.id).where(
                AuditEntry.task_id == e.task_id, AuditEntry.action == "withdraw", AuditEntry.id > e.id
            )
        ).first()
        found.append(
            {
                "task_id": e.task_id,
                "task_name": e.task_name,
                "business_key": e.business_key,
                "at": e.at,
                "withdrawn": withdrawn is not None,
            }
        )
    return found


def decorate_inbox_rows(session: Session, rows: list[dict[str, Any]]) -> None:
    """Add the urge count, the last urge and whether the user may urge to inbox rows."""
    if not rows:
        return
    who = Who.web()
    by_id = {
        r.task_id: r
        for r in session.scalars(select(OpenTask).where(OpenTask.task_id.in_([x["id"] for x in rows])))
    }
    leads = dict(
        session.execute(
            select(ProcessInstance.id, ProcessInstance.lead_window).where(
                ProcessInstance.id.in_({x["instance_id"] for x in rows})
            )
        ).all()
    )
    for row in rows:
        open_row = by_id.get(row["id"])
        row["urge_count"] = open_row.urge_count or 0 if open_row else 0
        row["last_urged_at"] = open_row.last_urged_at if open_row else None
        row["last_urged_by"] = open_row.last_urged_by if open_row else None
        row["can_urge"] = allowed("urge", who, Facts({"lead_window": leads.get(row["instance_id"])}, row))


# ---- workspace pages ---------------------------------------------------------------------------


def _run(work: Callable[[Session], Any]) -> tuple[Any, dict[str, str], str | None]:
    """Run ``work`` in one transaction: (result, field errors, page error); 403 on a refused rule."""
    try:
        return services().run(work), {}, None
    except runner.PermissionDenied:
        abort(403)
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
            ok, _ = permitted(s, op, Who.web(), facts)
    except runner.TaskNotReady:
        flash(pick("该任务已办结。", "This task is already completed."), "info")
        abort(redirect(url_for("forms.inbox")))
    except runner.NotFound:
        abort(404)
    if not ok:
        abort(403)
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
    return _safe_next(request.values.get("next")) or url_for("forms.task_form", task_id=task_id)


def _finish(ok: str, target: str) -> Any:
    flash(ok, "success")
    return redirect(target)


def _colleagues(window: str, exclude: set[str]) -> list[tuple[str, str]]:
    with services().transaction() as s:
        return [
            (p.username, p.display_name)
            for p in directory.window_members(s, window)
            if p.username not in exclude
        ]


def _window_choices() -> list[tuple[str, str]]:
    with services().transaction() as s:
        return [(w.code, w.name) for w in runner.list_windows(s)]


def _people() -> list[tuple[str, str]]:
    with services().transaction() as s:
        return [(p.username, p.display_name) for p in directory.list_users(s) if p.is_active]


@bp.route("/tasks/<task_id>/transfer", methods=["GET", "POST"])
@login_required
def op_transfer(task_id: str) -> Any:
    """转办: hand the task over for good (same window: any clerk; another window: the window head)."""
    task, _ = _load_task(task_id, "transfer")
    head = (task.get("window") or "") in Who.web().heads
    fields: list[dict[str, Any]] = [
        {
            "name": "to_user",
            "label": pick("转办给", "Hand over to"),
            "type": "select",
            "choices": [("", pick("— 请选择 —", "— choose —"))]
            + _colleagues(task.get("window") or "", {current_user.username, task.get("assignee") or ""}),
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
                    Who.web(),
                    task_id,
                    to_user=to_user,
                    to_window=to_window,
                    reason=request.form.get("reason"),
                )
            )
            if not errors and not page_error:
                return _finish(
                    pick(f"已转办：{task['name']}", f"Handed over: {task['name']}"), url_for("forms.inbox")
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
            + [(u, n) for u, n in _people() if u != current_user.username],
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
                    s, Who.web(), task_id, to_user=request.form.get("to_user"), note=request.form.get("note")
                )
            )
            if not errors and not page_error:
                return _finish(
                    pick(f"已委派：{task['name']}", f"Delegated: {task['name']}"), url_for("forms.inbox")
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
            lambda s: do_answer(s, Who.web(), task_id, opinion=request.form.get("opinion"))
        )
        if not errors and not page_error:
            return _finish(pick("意见已提交。", "Opinion sent."), url_for("forms.inbox"))
    return _form(
        title=pick("委派意见", "Delegation opinion"),
        task=task,
        item=None,
        fields=fields,
        submit=pick("提交意见", "Send opinion"),
        errors=errors,
        page_error=page_error,
        back=url_for("forms.inbox"),
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
    if request.method == "POST":
        _, errors, page_error = _run(
            lambda s: do_send_back(
                s,
                Who.web(),
                task_id,
                to_task_id=request.form.get("to_task_id"),
                reason=request.form.get("reason"),
            )
        )
        if not errors and not page_error:
            return _finish(
                pick(f"已退回：{task['business_key']}", f"Sent back: {task['business_key']}"),
                url_for("forms.inbox"),
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
    back = _safe_next(request.form.get("next")) or url_for("forms.inbox")
    _, errors, page_error = _run(lambda s: do_urge(s, Who.web(), task_id, note=request.form.get("note")))
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
    rows = completed_by(session, current_user.username)
    for absent in sorted(current_user.covered_users):
        rows += [{**r, "for": absent} for r in completed_by(session, absent)]
    return rows


@bp.post("/done/<task_id>/withdraw")
@login_required
def op_withdraw(task_id: str) -> Any:
    """撤回 a step I completed, while the next task is untouched."""
    _, errors, page_error = _run(lambda s: do_withdraw(s, Who.web(), task_id))
    if errors or page_error:
        flash(page_error or next(iter(errors.values())), "error")
        with services().transaction() as s:
            rows = _done_rows(s)
        return render_template("operations/done.html", rows=rows, pick=pick, days=DONE_DAYS), 409
    flash(pick("已撤回，任务回到您的待办。", "Withdrawn; the step is back in the inbox."), "success")
    return redirect(url_for("forms.done_list"))


# ---- the item page: status, pauses, open tasks, 挂起/恢复, 抄送 -----------------------------------


def _item(business_key: str, op: str = "view_item") -> tuple[dict[str, Any], Facts]:
    with services().transaction() as s:
        try:
            instance = runner.get_instance(s, business_key=business_key)
        except runner.NotFound:
            abort(404)
        facts = item_facts(s, instance)
        if not allowed(op, Who.web(), facts):
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
    who = Who.web()
    for t in item["tasks"]:
        t["can_urge"] = allowed("urge", who, Facts(facts.instance, t))
    return render_template(
        "operations/item.html",
        item=item,
        pick=pick,
        can_suspend=allowed("suspend", who, facts) and item["status"] in ("running", "waiting"),
        can_resume=allowed("resume", who, facts) and item["status"] == "suspended",
        can_copy=allowed("copy", who, facts),
        can_cosign=allowed("cosign", who, facts) and item["status"] in ("running", "waiting"),
        here=url_for("forms.item_page", business_key=business_key),
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
        return do_suspend(s, Who.web(), runner.get_instance(s, item["id"]), reason=reason)

    _, errors, page_error = _run(work)
    if errors or page_error:
        flash(page_error or next(iter(errors.values())), "error")
    else:
        flash(pick("办件已挂起，计时暂停。", "Suspended; the clock is paused."), "success")
    return redirect(url_for("forms.item_page", business_key=business_key))


@bp.post("/items/<business_key>/resume")
@login_required
def op_resume(business_key: str) -> Any:
    item, _ = _item(business_key, "resume")
    _, errors, page_error = _run(lambda s: do_resume(s, Who.web(), runner.get_instance(s, item["id"])))
    if errors or page_error:
        flash(page_error or next(iter(errors.values())), "error")
    else:
        flash(pick("办件已恢复办理。", "Resumed."), "success")
    return redirect(url_for("forms.item_page", business_key=business_key))


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
            "choices": [("", pick("— 不选 —", "— none —"))] + _people(),
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
                Who.web(),
                runner.get_instance(s, item["id"]),
                to_user=request.form.get("to_user") or None,
                to_window=request.form.get("to_window") or None,
                note=request.form.get("note"),
            )

        _, errors, page_error = _run(work)
        if not errors and not page_error:
            return _finish(
                pick("已抄送。", "Copied."),
                _safe_next(request.form.get("next")) or url_for("forms.item_page", business_key=business_key),
            )
    return _form(
        title=pick("抄送", "Copy"),
        task=None,
        item=item,
        fields=fields,
        submit=pick("确认抄送", "Copy"),
        errors=errors,
        page_error=page_error,
        back=_safe_next(request.values.get("next")) or url_for("forms.item_page", business_key=business_key),
        status=400 if request.method == "POST" else 200,
    )


@bp.get("/copies")
@login_required
def copies() -> Any:
    """抄送我的: items copied to me or to one of my windows (read-only)."""
    with services().transaction() as s:
        rows = runner.copies_for(s, user=current_user.username, windows=set(current_user.windows))
    return render_template("operations/copies.html", rows=rows, pick=pick)


def task_operations(task: dict[str, Any]) -> dict[str, Any]:
    """What the task page's 操作 section offers the current user."""
    who = Who.web()
    try:
        with services().transaction() as s:
            _, facts = task_facts(s, task["id"])
            may = {
                op: permitted(s, op, who, facts)[0] for op in ("transfer", "delegate", "answer", "send_back")
            }
    except runner.RunnerError:
        return {}
    return {
        **may,
        "copy": allowed("copy", who, facts),
        "delegated_by": (facts.task or {}).get("delegated_by"),
        "delegation_note": (facts.task or {}).get("delegation_note"),
    }


class _Label:
    """A nav label drawn in the page language (no catalogue entry needed)."""

    def __init__(self, zh: str, en: str) -> None:
        self.zh, self.en = zh, en

    def __str__(self) -> str:
        return pick(self.zh, self.en)


def _register() -> None:
    from . import register_nav

    register_nav(_Label("已办", "Done"), "forms.done_list", order=20)  # type: ignore[arg-type]
    register_nav(_Label("抄送我的", "Copied to me"), "forms.copies", order=25)  # type: ignore[arg-type]


_register()

"""Clerk operations over the JSON API: 转办, 委派, 委派意见, 退回, 撤回, 催办, 抄送.

The actor (``g.actor``, from the bearer token) must be a directory user; the same permission table as the
workspace (``workspace.operations.ALLOWED``) decides, so a refusal is 403 and nothing changes.
"""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, request
from sqlalchemy.orm import Session

import runner
from api.blueprint import bp
from api.routes import body, field, services
from runner.items import clerk, permissions
from runner.items.views import instance_summary
from runner.people import directory


def _who(session: Session) -> permissions.Who:
    person, covering = directory.identify(session, g.actor)
    if person is None or not person.is_active:
        raise runner.PermissionDenied(
            "API 调用者不是平台用户，不能进行此操作 (the API actor is not a directory user)", actor=g.actor
        )
    return permissions.Who.of_person(person, covering)


def _task(row: Any) -> dict[str, Any]:
    return permissions.task_dict(row)


@bp.post("/tasks/<task_id>/transfer")
def transfer(task_id: str) -> Any:
    data = body()
    to_user, to_window = field(data, "to_user", str), field(data, "to_window", str)
    reason = field(data, "reason", str)
    return jsonify(
        services().run(
            lambda s: _task(
                clerk.do_transfer(s, _who(s), task_id, to_user=to_user, to_window=to_window, reason=reason)
            )
        )
    )


@bp.post("/tasks/<task_id>/delegate")
def delegate(task_id: str) -> Any:
    data = body()
    to_user = field(data, "to_user", str, required=True)
    note = field(data, "note", str)
    return jsonify(
        services().run(lambda s: _task(clerk.do_delegate(s, _who(s), task_id, to_user=to_user, note=note)))
    )


@bp.post("/tasks/<task_id>/delegation-answer")
def delegation_answer(task_id: str) -> Any:
    opinion = field(body(), "opinion", str, required=True)
    return jsonify(services().run(lambda s: _task(clerk.do_answer(s, _who(s), task_id, opinion=opinion))))


@bp.get("/tasks/<task_id>/returnable-steps")
def returnable_steps(task_id: str) -> Any:
    def work(s: Session) -> list[dict[str, Any]]:
        _, facts = permissions.task_facts(s, task_id)
        permissions.acting(s, "send_back", _who(s), facts)  # the holder's backup too (AB岗)
        return runner.returnable_steps(s, task_id)

    return jsonify(steps=services().run(work))


@bp.post("/tasks/<task_id>/send-back")
def send_back(task_id: str) -> Any:
    data = body()
    to_task_id = field(data, "to_task_id", str, required=True)
    reason = field(data, "reason", str)
    return jsonify(
        services().run(
            lambda s: instance_summary(
                clerk.do_send_back(s, _who(s), task_id, to_task_id=to_task_id, reason=reason)
            )
        )
    )


@bp.post("/tasks/<task_id>/withdraw")
def withdraw(task_id: str) -> Any:
    """``task_id`` is the completed task to take back."""
    return jsonify(services().run(lambda s: instance_summary(clerk.do_withdraw(s, _who(s), task_id))))


@bp.post("/tasks/<task_id>/urge")
def urge(task_id: str) -> Any:
    note = field(body(), "note", str)
    return jsonify(services().run(lambda s: _task(clerk.do_urge(s, _who(s), task_id, note=note))))


@bp.post("/instances/<int:instance_id>/copy")
def copy(instance_id: int) -> Any:
    data = body()
    to_user, to_window = field(data, "to_user", str), field(data, "to_window", str)
    note = field(data, "note", str)

    def work(s: Session) -> dict[str, Any]:
        who = _who(s)
        made = clerk.do_copy(
            s, who, runner.get_instance(s, instance_id), to_user=to_user, to_window=to_window, note=note
        )
        s.flush()
        return {
            "id": made.id,
            "instance_id": instance_id,
            "to_user": made.to_user,
            "to_window": made.to_window,
        }

    return jsonify(services().run(work)), 201


@bp.post("/instances/<int:instance_id>/extend")
def extend(instance_id: int) -> Any:
    """延期: the head of the item's lead window (or a leader / admin) grants extra working days, within §42's cap."""
    data = body()
    days = field(data, "days", int, required=True)
    reason = field(data, "reason", str, required=True)
    requested_by = field(data, "requested_by", str)

    def work(s: Session) -> dict[str, Any]:
        who = _who(s)
        instance = runner.get_instance(s, instance_id)
        if not permissions.allowed("extend", who, permissions.Facts(instance_summary(instance))):
            raise runner.PermissionDenied(
                "只有主办窗口负责人或中心领导可以批准延期 (only the lead window's head may extend)"
            )
        done = runner.extend(
            s,
            instance_id,
            days,
            reason=reason,
            requested_by=requested_by or who.username,
            approved_by=who.username,
        )
        return instance_summary(done)

    return jsonify(services().run(work))


@bp.post("/warnings/<int:warning_id>/acknowledge")
def acknowledge_warning(warning_id: int) -> Any:
    """纠错回告: a member of the warned window answers the warning."""
    reply = field(body(), "reply", str, required=True)

    def work(s: Session) -> dict[str, Any]:
        from runner.models import WarningEvent

        who = _who(s)
        warning = s.get(WarningEvent, warning_id)
        if warning is None:
            raise runner.NotFound(f"没有预警 {warning_id} (no such warning)")
        warned = permissions.Facts({}, {"window": warning.window, "assignee": warning.clerk})
        if not permissions.allowed("acknowledge_warning", who, warned):
            raise runner.PermissionDenied("只有被预警窗口的人员可以回告 (only the warned window may answer)")
        done = runner.acknowledge_warning(s, warning_id, actor=who.username, reply=reply)
        return {
            "id": done.id,
            "level": done.level,
            "acknowledged_by": done.acknowledged_by,
            "reply": done.reply,
        }

    return jsonify(services().run(work))


@bp.get("/instances/<int:instance_id>/reviewers")
def reviewers(instance_id: int) -> Any:
    """The item's running joint reviews and their windows (answered / open / queued)."""

    def work(s: Session) -> list[dict[str, Any]]:
        permissions.check("cosign", _who(s), permissions.item_facts(s, runner.get_instance(s, instance_id)))
        return runner.review_blocks(s, instance_id)

    return jsonify(blocks=services().run(work))


def _change_reviewers(instance_id: int, change: Any) -> Any:
    """加签 / 减签: ``change`` is ``clerk.do_add_reviewer`` or ``clerk.do_remove_reviewer``."""
    data = body()
    window, reason = field(data, "window", str, required=True), field(data, "reason", str)
    block = field(data, "block", str)

    def work(s: Session) -> dict[str, Any]:
        instance = runner.get_instance(s, instance_id)
        change(s, _who(s), instance, window=window, reason=reason, block=block)
        return {"blocks": runner.review_blocks(s, instance_id)}

    return jsonify(services().run(work))


@bp.post("/instances/<int:instance_id>/reviewers")
def add_reviewer(instance_id: int) -> Any:
    """加签: the lead window adds a related window to the running joint review."""
    return _change_reviewers(instance_id, clerk.do_add_reviewer)


@bp.post("/instances/<int:instance_id>/reviewers/remove")
def remove_reviewer(instance_id: int) -> Any:
    """减签: the lead window removes a related window that has not answered yet."""
    return _change_reviewers(instance_id, clerk.do_remove_reviewer)


@bp.post("/instances/<int:instance_id>/extension-requests")
def request_extension(instance_id: int) -> Any:
    """延期申请 by a clerk of the item's lead window."""
    data = body()
    days, reason = field(data, "days", int, required=True), field(data, "reason", str, required=True)

    def work(s: Session) -> dict[str, Any]:
        row = clerk.do_request_extension(
            s, _who(s), runner.get_instance(s, instance_id), days=days, reason=reason
        )
        s.flush()
        return runner.extension_state(s, instance_id) | {"request_id": row.id}

    return jsonify(services().run(work)), 201


@bp.post("/extension-requests/<int:request_id>/decide")
def decide_extension(request_id: int) -> Any:
    """Approve or refuse a 延期 request (the lead window's head, the centre leader or admin)."""
    data = body()
    decision, note = field(data, "decision", str, required=True), field(data, "note", str)
    if decision not in ("approve", "refuse"):
        raise runner.InvalidInput("decision 须为 approve 或 refuse (decision must be approve or refuse)")

    def work(s: Session) -> dict[str, Any]:
        row = clerk.do_decide_extension(s, _who(s), request_id, approve=decision == "approve", note=note)
        return runner.extension_state(s, row.instance_id)

    return jsonify(services().run(work))


@bp.get("/warnings")
def my_warnings() -> Any:
    """The caller's warnings: named as the clerk or addressed to one of their windows."""
    state = request.args.get("state")
    if state not in (None, "open", "answered"):
        raise runner.InvalidInput("state 须为 open 或 answered (state must be open or answered)")

    def work(s: Session) -> list[dict[str, Any]]:
        who = _who(s)
        answered = None if state is None else state == "answered"
        return runner.warnings_for(s, user=who.username, windows=who.windows, answered=answered)

    return jsonify(warnings=services().run(work))

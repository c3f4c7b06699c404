"""Who may call which API route: one table, checked before every request.

The caller (``g.actor``, from the bearer token, or ``X-Actor`` in development) must be an active directory user;
``RULES`` maps every endpoint of the blueprint to a rule over that person (``Who``) and, where the rule needs
them, the task or the item the URL names. An endpoint missing from the table is refused (403), and a test
fails when a route is added without an entry. Clerk operations (转办, 委派, 退回 ...) pass here for any user:
the workspace's permission table (``workspace.operations.ALLOWED``) decides inside, on the same facts.

System accounts (role ``system``: another government system feeding the centre, e.g. the online service hall
or the upper authority's system) may start items, deliver messages, read, and work tasks; never deploy
diagrams or steer instances.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import request
from sqlalchemy.orm import Session

import runner
from runner.items import permissions, start_reads
from runner.items.tasks import identify_reading_task
from runner.models import ProcessInstance, Role
from runner.people import directory
from runner.people.directory import Person

Check = Callable[[Session, permissions.Who, dict[str, Any]], bool]


def _roles(*roles: str) -> Check:
    wanted = {str(r) for r in roles}
    return lambda s, w, args: bool(w.roles & wanted)


def _anyone(s: Session, w: permissions.Who, args: dict[str, Any]) -> bool:
    return True


def _system(w: permissions.Who) -> bool:
    return Role.SYSTEM in w.roles


def _task_worker(s: Session, w: permissions.Who, args: dict[str, Any]) -> bool:
    """Claim / release / complete: a member of the task's window, the clerk covering its assignee, or a system.
    A refusal says whose task it is."""
    if _system(w):
        return True
    row = permissions.open_task_row(s, args["task_id"])  # the task alone: the item's facts are not asked here
    if (row.window or "") in w.windows or (
        row.assignee is not None and row.assignee in w.covering | {w.username}
    ):
        return True
    holder = f"，已由 {row.assignee} 认领" if row.assignee else ""
    raise runner.PermissionDenied(
        f"任务“{row.name}”属于窗口 {row.window}{holder}：只有该窗口的人员、认领人及其代班人员或系统账号可以办理 "
        f"(the task belongs to window {row.window!r}{f', claimed by {row.assignee}' if row.assignee else ''}: "
        "only its members, the assignee and their backup, or a system account may work it)",
        window=row.window,
        task_id=row.task_id,
    )


def _task_releaser(s: Session, w: permissions.Who, args: dict[str, Any]) -> bool:
    """Release (give back to the window's pool): a claimed task's holder, their backup or a head of its window,
    as on the workspace; an unclaimed task as ``_task_worker``. A clerk who handed the task over is refused."""
    if _system(w):
        return True
    _task_worker(s, w, args)  # a refusal of its own (not of the task's window) is raised there
    row = permissions.open_task_row(s, args["task_id"])
    # while the task is out for an opinion (委派) it is the delegator's, not the delegate's
    owner = row.delegated_by or row.assignee
    if owner is None or owner in w.covering | {w.username} or (row.window or "") in w.heads:
        return True
    raise runner.PermissionDenied(
        f"此任务现由 {owner} 承办，只有承办人、窗口负责人或其代班人员可以释放 "
        f"(the task is now held by {owner}: only they, the window head or their backup may release it)",
        task_id=row.task_id,
        assignee=owner,
    )


def _task_reader(s: Session, w: permissions.Who, args: dict[str, Any]) -> bool:
    """One task with its form: whoever may work it, and overseers."""
    return w.oversees() or _task_worker(s, w, args)


def _item_rule(op: str) -> Check:
    """A rule of the workspace's table on the item the URL names (``instance_id``)."""

    def check(s: Session, w: permissions.Who, args: dict[str, Any]) -> bool:
        instance = s.get(ProcessInstance, args["instance_id"])
        if instance is None:
            return True  # the route answers 404
        return permissions.allowed(op, w, permissions.item_facts(s, instance))

    return check


def _viewer(s: Session, w: permissions.Who, args: dict[str, Any]) -> bool:
    """An item's details: people involved in it, overseers, systems (the workspace's ``view_item``)."""
    if _system(w) or w.oversees():
        return True
    if "business_key" in args:
        instance = s.query(ProcessInstance).filter_by(business_key=args["business_key"]).one_or_none()
        if instance is None:
            return True
        return permissions.allowed("view_item", w, permissions.item_facts(s, instance))
    return _item_rule("view_item")(s, w, args)


def _task_lister(s: Session, w: permissions.Who, args: dict[str, Any]) -> bool:
    """Task lists: overseers and systems any; others only their windows' (``window=``) or their own
    (``assignee=``) tasks."""
    if _system(w) or w.oversees():
        return True
    window, assignee = request.args.get("window"), request.args.get("assignee")
    return (window is not None and window in w.windows) or (assignee is not None and assignee == w.username)


ADMIN_ONLY = _roles(Role.ADMIN)
RULES: dict[str, Check] = {
    "api.list_definitions": _anyone,
    "api.definition_xml": _anyone,
    "api.deploy": _roles(Role.DESIGNER, Role.ADMIN),
    "api.start": _roles(Role.CLERK, Role.WINDOW_HEAD, Role.LEADER, Role.ADMIN, Role.SYSTEM),
    "api.get_instance": _viewer,
    "api.get_instance_by_key": _viewer,
    "api.list_tasks": _task_lister,
    "api.get_task": _task_reader,
    "api.claim": _task_worker,
    "api.unclaim": _task_releaser,
    "api.complete": _task_worker,
    "api.send_message": _roles(Role.ADMIN, Role.SYSTEM),
    "api.send_signal": _roles(Role.ADMIN, Role.SYSTEM),
    "api.rating_export_json": _roles(Role.SUPERVISOR, Role.ADMIN, Role.SYSTEM),
    "api.suspend": _item_rule("suspend"),
    "api.resume": _item_rule("resume"),
    "api.terminate": ADMIN_ONLY,
    "api.retry": ADMIN_ONLY,
    "api.migrate": ADMIN_ONLY,
    # clerk operations: workspace.operations.ALLOWED decides inside the handler
    **{
        f"api.{name}": _anyone
        for name in (
            "transfer",
            "delegate",
            "delegation_answer",
            "returnable_steps",
            "send_back",
            "withdraw",
            "urge",
            "copy",
            "extend",
            "acknowledge_warning",
            "reviewers",
            "add_reviewer",
            "remove_reviewer",
            "request_extension",
            "decide_extension",
            "my_warnings",
        )
    },  # fmt: skip
}
PUBLIC = {"api.openapi"}
# routes that check the caller first thing inside their own transaction instead of in a read of its own before
# it (the start and the completion: one database session per request instead of two)
IN_TRANSACTION = {"api.start", "api.complete"}
# of those, the routes whose first read of their own comes along with the caller's (one statement for both)
READ_WITH_CALLER: dict[str, Callable[[Session, str, dict[str, Any]], tuple[Person | None, set[str]]]] = {
    "api.complete": lambda s, actor, args: identify_reading_task(s, actor, args["task_id"]),
    "api.start": lambda s, actor, args: start_reads.identify_reading_start(s, actor, _diagram_started()),
}


def _diagram_started() -> str | None:
    """The diagram a start names in its body, when it starts the newest version of one (else None: the start reads
    its definition itself, and the route answers a body it refuses)."""
    data = request.get_json(silent=True)  # as the route reads it
    if not isinstance(data, dict) or data.get("item") is not None or data.get("version") is not None:
        return None
    key = data.get("key")
    return key if isinstance(key, str) else None


def authorize(
    session: Session, actor: str, endpoint: str | None, args: dict[str, Any]
) -> permissions.Who | None:
    """Raise ``runner.PermissionDenied`` unless ``actor`` may call ``endpoint`` with these URL arguments; the
    caller as ``Who`` (None on public routes)."""
    if endpoint in PUBLIC:
        return None
    read_along = READ_WITH_CALLER.get(endpoint or "")
    person, covering = (
        read_along(session, actor, args) if read_along is not None else directory.identify(session, actor)
    )
    if person is None or not person.is_active:
        raise runner.PermissionDenied(
            "API 调用者不是有效的平台用户 (the API caller is not an active directory user)", actor=actor
        )
    rule = RULES.get(endpoint or "")
    if rule is None:
        raise runner.PermissionDenied("此接口未开放 (this route is not open to anyone)", endpoint=endpoint)
    who = permissions.Who.of_person(person, covering)
    try:
        permitted = rule(session, who, args)
    except runner.NotFound:
        return who  # the route itself answers 404
    if not permitted:
        raise runner.PermissionDenied("无权调用此接口 (you may not call this route)", endpoint=endpoint)
    return who


def require_migration_right(who: permissions.Who | None) -> None:
    """Only a system account migrating items from another system may supply a receipt number."""
    if who is None or not _system(who):
        raise runner.PermissionDenied(
            "办件编号由平台生成，只有系统账户迁移办件时可以指定 (receipt numbers are issued by the platform; "
            "only a system account migrating items may supply one)",
            field="business_key",
        )

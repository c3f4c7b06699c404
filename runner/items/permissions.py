"""Who may do what: the one permission table of clerk operations (``ALLOWED``), shared by every door.

Each rule takes the person (``Who``) and the facts of the task or item (``Facts``) and says yes or no; an AB岗
backup may do with an absent colleague's step what that colleague could (``permitted``, ``acting``). A refused
rule raises ``PermissionDenied`` before anything changes. The operations themselves are ``runner.items.clerk``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from runner.exceptions import InvalidInput, PermissionDenied
from runner.items.instances import get as get_instance
from runner.items.party_notices import windows_taking_part
from runner.items.tasks import open_task
from runner.items.views import instance_summary, task_view
from runner.models import AuditEntry, Copy, OpenTask, ProcessInstance, Role
from runner.people import directory
from runner.people.windows import known_windows

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


def holder(task: dict[str, Any] | None) -> str | None:
    """Whose task it is: its assignee, or while it is out for an opinion (委派) the delegator, not the delegate."""
    task = task or {}
    return task.get("delegated_by") or task.get("assignee")


def _holder_or_head(w: Who, f: Facts) -> bool:
    """A claimed task: its holder or a head of its window (the holder's AB岗 backup through ``permitted``);
    an unclaimed one: any clerk of its window. A clerk who handed the task over is no longer its holder."""
    owner = holder(f.task)
    if owner is None:
        return _task_window(f) in w.windows
    return owner == w.username or _task_window(f) in w.heads


COUNTER_ROLES = frozenset({str(Role.CLERK), str(Role.WINDOW_HEAD)})


def _at_the_counter(w: Who, f: Facts) -> bool:
    """A clerk or head of the item's lead window (the window that receives it), or admin."""
    at_lead = (f.instance.get("lead_window") or "") in w.windows and bool(w.roles & COUNTER_ROLES)
    return at_lead or Role.ADMIN in w.roles


ALLOWED: dict[str, Rule] = {
    # 转办 within the task's window: its holder or the window head (any clerk of the window while unclaimed)
    "transfer": _holder_or_head,
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
    # 退回: its holder or the window head (any clerk of the window while unclaimed)
    "send_back": _holder_or_head,
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
    # 收件登记, 收件决定 and 补正材料已收到 (the facts' lead window: the item's, or a catalogue item's window
    # before it is registered): the counter of that window, or admin
    "intake": _at_the_counter,
    # 网上申报: the 预审 of an application and finding it at the counter (facts' lead window: the item's)
    "online_review": _at_the_counter,
    # 预约: the appointment plan of a window (facts' lead window): its 窗口负责人, or admin
    "slot_plan": lambda w, f: (f.instance.get("lead_window") or "") in w.heads or Role.ADMIN in w.roles,
    # 副件已补齐 (容缺受理): the item's lead window, or admin
    "record_supplied": lambda w, f: (
        (f.instance.get("lead_window") or "") in w.windows or Role.ADMIN in w.roles
    ),
    # a reply to a 联审会议 invitation: a member of the invited window (the window is passed as the "task")
    "meeting_reply": lambda w, f: bool(_task_window(f)) and _task_window(f) in w.windows,
    # the item page: involved, copied to, or overseeing
    "view_item": lambda w, f: _involved(w, f) or w.oversees(),
}


def allowed(op: str, who: Who, facts: Facts) -> bool:
    return ALLOWED[op](who, facts)


# operations on a claimed task that are its holder's (with their AB岗 backup; the first two also the window head's)
HOLDER_OPS = frozenset({"transfer", "delegate", "answer", "send_back"})
HEAD_TOO = frozenset({"transfer", "send_back"})


def refusal(op: str, who: Who, facts: Facts) -> PermissionDenied:
    """The refusal of ``op``: for a holder's operation on a task someone else holds, naming the holder."""
    owner = _owner(op, facts)
    if op not in HOLDER_OPS or not owner or owner == who.username:
        return PermissionDenied("无权进行此操作 (you may not do this)", operation=op)
    zh, en = ("、窗口负责人", ", the window head") if op in HEAD_TOO else ("", "")
    return PermissionDenied(
        f"此任务现由 {owner} 承办，只有承办人{zh}或其代班人员可以进行此操作 "
        f"(the task is now held by {owner}: only they{en} or their backup may do this)",
        operation=op,
        assignee=owner,
    )


def _owner(op: str, facts: Facts) -> str | None:
    """Whose step ``op`` acts on: the delegate's for the answer to a 委派, else the task's holder."""
    return (facts.task or {}).get("assignee") if op == "answer" else holder(facts.task)


def check(op: str, who: Who, facts: Facts) -> None:
    if not allowed(op, who, facts):
        raise refusal(op, who, facts)


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
    (the task's holder, the delegate for an answer, or ``owner``) may do what the owner could, on the owner's behalf."""
    covered = _covered(op, who, owner or _owner(op, facts))
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
        raise refusal(op, who, facts)
    return for_whom


# ---- facts -------------------------------------------------------------------------------------


def open_task_row(session: Session, task_id: str) -> OpenTask:
    """The open-task row a permission rule checks (left for the operation that reads it next)."""
    return open_task(session, task_id, leave=True)


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
    instance = get_instance(session, row.instance_id)
    return row, item_facts(session, instance, task_dict(row))


def reason_given(value: str | None, what_zh: str, what_en: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(f"{what_zh}须写明理由 ({what_en} needs a reason)", field="reason")
    if len(text) > 1000:
        raise InvalidInput("理由不超过 1000 字 (at most 1000 characters)", field="reason")
    return text


def known_user(session: Session, username: str | None, field_name: str = "to_user") -> str:
    person = directory.get_person(session, username or "") if username else None
    if person is None or not person.is_active:
        raise InvalidInput(f"没有用户 {username or ''} (no such user)", field=field_name)
    return person.username


def known_window(session: Session, window: str | None) -> str:
    if not window or window not in known_windows(session):
        raise InvalidInput(f"没有窗口 {window or ''} (no such window)", field="to_window")
    return window

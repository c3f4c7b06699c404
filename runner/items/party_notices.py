"""Telling the parties of an item what concerns them (issue 26).

The engine records deemed assents, warnings and what a diagram announces; this module turns each into a
message in the message centre of the window (or person) it names, with times in local time, never raw
UTC (hooks on the script effects, ``runner.core.hooks.on_effect``). It also says which windows took part in
an item (and so keep read access to it).
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from runner.core import hooks
from runner.core.transaction import services_of
from runner.items.message_centre import notify
from runner.models import AccountabilityRecord, Notification, ProcessInstance
from runner.timekeeping import local_text

# the rules under which a window is deemed to assent, as the window is told
DEEMED_RULES: dict[str, tuple[str, str]] = {
    "timeout": ("超时未答复", "no answer within the limit"),
    "absent": ("缺席联审会议", "absent from the joint review meeting"),
    "refused": ("拒绝参与或未发表意见", "refused to take part or gave no opinion"),
    "no_reason": ("不同意但未说明理由", "disagreed without reasons"),
}

WARNING_LEVELS: dict[str, str] = {
    "notice": "提示",
    "yellow": "黄牌",
    "red": "红牌",
    "overdue": "超期",
    "escalation": "上报催办",
}
WARNING_LEVELS_EN: dict[str, str] = {
    "notice": "notice",
    "yellow": "yellow card",
    "red": "red card",
    "overdue": "overdue",
    "escalation": "reminder from the upper authority",
}


def local_times(session: Session, text: str) -> str:
    """``text`` with every ISO date-time in it written in the centre's local time
    (``runner.timekeeping.local_text``)."""
    return local_text.local_times(text, ZoneInfo(services_of(session).settings.timezone or "Asia/Shanghai"))


def _item(instance: ProcessInstance) -> str:
    return f"办件 {instance.business_key}"


def tell_deemed_assent(
    session: Session, instance: ProcessInstance, _workflow: Any, args: dict[str, Any]
) -> None:
    """Tell the window it is deemed to assent (默认议定): under which rule, against which limit, and that it
    is recorded against it (问责)."""
    zh, en = DEEMED_RULES.get(args["rule"], (args["rule"], args["rule"]))
    limit = local_times(session, str(args.get("limit_at") or ""))
    note = local_times(session, str(args.get("note") or ""))
    limit_known = limit and not limit.startswith("pending:")
    message = (
        f"{_item(instance)}：贵窗口{zh}，依照联合办理制度视为同意（默认议定），已记入问责。"
        + (f"时限：{limit}。" if limit_known else "")
        + (f"说明：{note}。" if note else "")
    )
    english = (
        f"Item {instance.business_key}: your window is deemed to assent ({en}) under the joint-handling rules;"
        " this is recorded against your window."
        + (f" Limit: {limit}." if limit_known else "")
        + (f" Note: {note}." if note else "")
    )
    notify(session, "deemed_assent", message, english=english, to_window=args["window"], instance=instance)


def tell_warning(session: Session, instance: ProcessInstance, _workflow: Any, args: dict[str, Any]) -> None:
    """Tell the window a diagram's warning names (黄牌, 上报催办, 容缺超期 …; the lead window by default)."""
    window = args.get("window") or instance.lead_window
    if not window:
        return
    label = WARNING_LEVELS.get(args["level"], args["level"])
    said = local_times(session, str(args["message"]))  # the diagram's own words
    english = f"Item {instance.business_key} {WARNING_LEVELS_EN.get(args['level'], args['level'])}: {said}"
    notify(session, "warning", f"{_item(instance)} {label}：{said}", english=english, to_window=window,
           instance=instance)  # fmt: skip


def inform(session: Session, instance: ProcessInstance, _workflow: Any, args: dict[str, Any]) -> None:
    """What a diagram announces to windows (``inform(windows, message, kind)``), one message per window."""
    said = local_times(session, args["message"])  # the diagram's own words
    for window in args["windows"]:
        notify(session, args["kind"], f"{_item(instance)}：{said}", english=f"Item {instance.business_key}: {said}",
               to_window=window, instance=instance)  # fmt: skip


hooks.on_effect("deemed_assent", tell_deemed_assent)
hooks.on_effect("warning", tell_warning)
hooks.on_effect("inform", inform)


def windows_taking_part(session: Session, instance_id: int) -> set[str]:
    """Windows that took part in an item beyond its open tasks: recorded against (deemed to assent) or
    told of it by the platform (asked, invited, warned) — they keep read access to it."""
    found = set(
        session.scalars(
            select(AccountabilityRecord.window).where(AccountabilityRecord.instance_id == instance_id)
        )
    )
    found.update(
        w
        for w in session.scalars(
            select(Notification.to_window).where(
                Notification.instance_id == instance_id, Notification.to_window.is_not(None)
            )
        )
        if w
    )
    return found


def business_keys(session: Session, instance_ids: set[int]) -> dict[int, str]:
    """Receipt numbers of the given items (to link a message to its item)."""
    if not instance_ids:
        return {}
    rows = session.execute(
        select(ProcessInstance.id, ProcessInstance.business_key).where(ProcessInstance.id.in_(instance_ids))
    )
    return {i: k for i, k in rows if k}

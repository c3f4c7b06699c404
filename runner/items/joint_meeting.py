"""联审制: the invited windows' side of a joint review meeting (联审会议).

The diagram (``lianban_lianshen``) invites the related windows with ``inform(...)`` when it sends the
meeting notice (``meeting_notice`` in the item's data). Until the meeting starts each invited window may
confirm its attendance and/or send its written opinion (书面意见): the reply is written into the item's data
(``meeting_replies``, and ``meeting_confirmed`` — the windows that confirmed, which the minutes form starts
from), in the audit trail, and told to the chairing window. After the meeting every invited window sees the
minutes and the decision (``meeting_view``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from SpiffWorkflow.util.task import TaskState
from sqlalchemy.orm import Session

from runner.core import audit, engine
from runner.core.transaction import services_of
from runner.exceptions import InvalidInput, TaskNotReady
from runner.items.instances import current_data, require_active
from runner.items.instances import get as get_instance
from runner.items.party_notices import local_times, notify
from runner.models import ProcessInstance

RESULTS = ("agree", "agree_with_conditions", "disagree")
MINUTES_KEYS = ("attendance", "applicant_present", "opinions", "decided_on_spot", "decision", "reason",
                "memo", "final_decision_days", "minutes", "absent_windows", "deemed_windows", "memo_record")  # fmt: skip


def _meeting_at(notice: dict[str, Any]) -> datetime | None:
    try:
        return datetime.fromisoformat(str(notice.get("meeting_at")))
    except (TypeError, ValueError):
        return None


def meeting_view(session: Session, instance: ProcessInstance) -> dict[str, Any] | None:
    """The item's joint review meeting as a window sees it: the notice, the replies, and once held the
    minutes; None when the item has no meeting notice."""
    with engine.read(session, instance) as workflow:
        data = current_data(workflow)
    notice = data.get("meeting_notice")
    if not isinstance(notice, dict):
        return None
    held = "absent_windows" in data
    at = _meeting_at(notice)
    return {
        "notice": notice,
        "meeting_at": at,
        "replies": dict(data.get("meeting_replies") or {}),
        "held": held,
        "open_for_replies": not held and at is not None and services_of(session).now() < at,
        "minutes": {k: data.get(k) for k in MINUTES_KEYS} if held else None,
        "approved": data.get("approved") if held else None,
        "lead_window": instance.lead_window,
        "major": bool(data.get("major")),
    }


def _reply(attending: bool, result: str | None, reason: str, conditions: str) -> dict[str, Any]:
    if result and result not in RESULTS:
        raise InvalidInput("请选择意见 (choose an opinion)", field="result")
    if result == "agree_with_conditions" and not conditions:
        raise InvalidInput("附条件同意须写明条件 (conditions are required)", field="conditions")
    if not attending and not result:
        raise InvalidInput(
            "不出席会议须提交书面意见，否则视为缺席 (send a written opinion if you do not attend)",
            field="result",
        )
    return {"attending": attending, "result": result or None, "reason": reason, "conditions": conditions}


def reply(
    session: Session,
    instance_id: int,
    window: str,
    *,
    actor: str,
    attending: bool,
    result: str | None = None,
    reason: str = "",
    conditions: str = "",
) -> dict[str, Any]:
    """An invited window confirms its attendance and/or sends its written opinion before the meeting."""
    instance = get_instance(session, instance_id)
    require_active(instance)
    workflow = engine.load(session, instance)
    waiting = [
        t
        for t in workflow.get_tasks(state=TaskState.WAITING | TaskState.READY)
        if isinstance(t.data.get("meeting_notice"), dict)
    ]
    notice = waiting[0].data["meeting_notice"] if waiting else None
    at = _meeting_at(notice or {})
    if (
        notice is None
        or at is None
        or services_of(session).now() >= at
        or "absent_windows" in waiting[0].data
    ):
        raise TaskNotReady("联审会议已开始或已结束，不能再回复 (the meeting has begun; replies are closed)")
    if window not in (notice.get("windows") or []):
        raise InvalidInput(f"窗口 {window} 未受邀参会 (window {window} is not invited)", field="window")
    entry = {
        **_reply(attending, result, reason.strip()[:1000], conditions.strip()[:1000]),
        "replied_by": actor,
        "replied_at": services_of(session).now().isoformat(),
    }
    # the waiting task takes its parent's data again when its timer fires: both keep the replies
    for task in {id(t): t for t in [*waiting, *(w.parent for w in waiting if w.parent is not None)]}.values():
        replies = {**(task.data.get("meeting_replies") or {}), window: entry}
        confirmed = [w for w in notice["windows"] if (replies.get(w) or {}).get("attending")]
        # a new dict: the stored form of a finished task is rebuilt only when its data is another object
        task.data = {**task.data, "meeting_replies": replies, "meeting_confirmed": confirmed}
    audit.record(session, "meeting_reply", actor=actor, instance=instance, window=window, **entry)
    said = "确认出席" if attending else "不出席"
    said_en = "will attend" if attending else "will not attend"
    if entry["result"]:
        said, said_en = said + "，并提交书面意见", said_en + " and gave a written opinion"
    chair = "leader" if waiting[0].data.get("major") else instance.lead_window
    if chair:
        at = local_times(session, str(notice.get("meeting_at")))
        notify(
            session, "meeting_reply", f"办件 {instance.business_key} 联审会议（{at}）：{window} {said}。",
            english=f"Item {instance.business_key}, joint review meeting ({at}): {window} {said_en}.",
            to_window=chair, instance=instance,
        )  # fmt: skip
    engine.save(session, instance, workflow)
    return entry

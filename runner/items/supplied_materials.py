"""容缺受理: recording that the tolerated (secondary) materials arrived — "副件已补齐" (issue 26).

The 容缺 item waits for the message ``materials_supplied`` (``bpmn/rongque.bpmn``: on time, or while paused
after the promised day). The clerk records which materials arrived and when; that is delivered as the
message, which closes the applicant's commitment and its timers (the boundary timer of the promised day).
Either way the counter's intake record shows the materials received (``record_arrived``); an item accepted at
the counter with materials to follow on a diagram without a 容缺 block has its arrival recorded there alone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from runner.catalogue.applications import owed_on_record, record_arrived, tolerated_names
from runner.core import engine
from runner.core.transaction import services_of
from runner.exceptions import InvalidInput
from runner.items.instances import current_data
from runner.items.messages import deliver_message
from runner.models import ItemApplication, MessageSubscription, ProcessInstance

MESSAGE = "materials_supplied"


def awaited(session: Session, instance: ProcessInstance) -> dict[str, Any] | None:
    """What the item waits for from the applicant (the secondary materials and the promised day), or None
    when it does not wait for them."""
    waiting = session.scalar(
        select(MessageSubscription.id).where(
            MessageSubscription.instance_id == instance.id, MessageSubscription.message_name == MESSAGE
        )
    )
    if waiting is None:
        return _owed_on_record(session, instance)
    with engine.read(session, instance) as workflow:
        data = current_data(workflow)
    materials = [str(m) for m in data.get("secondary_materials") or [] if str(m).strip()]
    return {
        "materials": materials,
        "supply_by": data.get("supply_by"),
        "accepted_at": data.get("tolerance_accepted_at"),
    }


def _owed_on_record(session: Session, instance: ProcessInstance) -> dict[str, Any] | None:
    """The 容缺后补 materials the counter's record still owes when the item's diagram waits for none (an item
    accepted at the counter with materials to follow, on a diagram without a 容缺 block): their arrival is
    recorded on the record alone (``record_only``), one or more at a time."""
    owed = owed_on_record(session, instance)
    if not owed:
        return None
    dues = sorted(str(m["due"]) for m in owed if m.get("due"))
    record = session.get(ItemApplication, instance.id)
    return {
        "materials": [str(m["name"]) for m in owed],
        "supply_by": dues[0] if dues else None,
        "accepted_at": record.registered_at.isoformat() if record is not None else None,
        "record_only": True,
    }


def record_supplied(
    session: Session, instance: ProcessInstance, *, actor: str, materials: list[str], supplied_at: datetime
) -> ProcessInstance:
    """副件已补齐: every awaited material arrived at ``supplied_at`` (not in the future, not before the
    tolerant acceptance)."""
    wanted = awaited(session, instance)
    if wanted is None:
        raise InvalidInput("本办件没有在等待补齐副件 (the item does not wait for secondary materials)")
    chosen = [m for m in materials if m in wanted["materials"]] if wanted["materials"] else list(materials)
    missing = [m for m in wanted["materials"] if m not in chosen]
    if not chosen and wanted["materials"]:
        raise InvalidInput("请勾选已补齐的副件 (tick the materials that arrived)", field="materials")
    if missing and not wanted.get("record_only"):
        raise InvalidInput(
            f"尚未补齐：{'、'.join(missing)}；副件全部补齐后再登记 (still missing: {', '.join(missing)})",
            field="materials",
        )
    if supplied_at.tzinfo is None:
        raise InvalidInput("补齐时间无时区 (the time needs a zone)", field="supplied_at")
    if supplied_at > services_of(session).now():
        raise InvalidInput("补齐时间不能晚于现在 (the time cannot be in the future)", field="supplied_at")
    accepted = wanted.get("accepted_at")
    # the form gives the minute: the minute of the acceptance itself is not before it
    if accepted and supplied_at < datetime.fromisoformat(str(accepted)).replace(second=0, microsecond=0):
        raise InvalidInput(
            "补齐时间早于容缺受理时间 (the time is before the tolerant acceptance)", field="supplied_at"
        )
    if wanted.get("record_only"):
        record_arrived(session, instance, chosen, actor=actor, via="tolerated", at=supplied_at)
        return instance
    payload = {"supplied_materials": chosen, "supplied_on": supplied_at.isoformat()}
    arrived = [*chosen, *tolerated_names(session, instance)]  # 副件已补齐: every 容缺 material is in
    done = deliver_message(session, MESSAGE, str(instance.business_key), payload, actor=actor)
    record_arrived(session, instance, arrived, actor=actor, via="tolerated", at=supplied_at)
    return done

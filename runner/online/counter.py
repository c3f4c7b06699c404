"""At the counter (窗口优先): the clerk finds an online application by its number, the applicant's ID number or
mobile number, and registers it as the item (收件登记 pre-filled, ``runner.catalogue.applications.start_item``);
the application then follows its item and is finished when the item ends (an after-save hook)."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from runner.catalogue.applications import Applicant, Intake, MaterialState
from runner.catalogue.identity import half_width
from runner.core import audit, hooks
from runner.core.transaction import read_ahead, read_unflushed, taken_ahead
from runner.models import InstanceStatus, OnlineApplication, ProcessInstance
from runner.online.applications import (
    APPROVED,
    BOOKED,
    FINISHED,
    RECEIVED,
    SUBMITTED,
    item_body,
    now,
    require_state,
)
from runner.online.files import latest
from runner.online.slots import ATTENDED, current

AT_COUNTER = (SUBMITTED, APPROVED, BOOKED)  # what the counter may find to register
DONE = (InstanceStatus.COMPLETED, InstanceStatus.TERMINATED)


def find(session: Session, text: str, windows: list[str], *, limit: int = 50) -> list[OnlineApplication]:
    """Applications of ``windows`` not yet received, by number, ID number or mobile number (exact)."""
    text = half_width(text)
    if not text or not windows:
        return []
    query = (
        select(OnlineApplication)
        .where(
            OnlineApplication.window.in_(windows),
            OnlineApplication.state.in_(AT_COUNTER),
            or_(
                OnlineApplication.number == text,
                OnlineApplication.applicant_id == text,
                OnlineApplication.phone == text,
            ),
        )
        .order_by(OnlineApplication.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def intake_of(session: Session, row: OnlineApplication) -> Intake:
    """The counter's registration pre-filled: the applicant, and each material received when uploaded."""
    have = latest(session, row)
    states = [
        MaterialState(m["name"], "received" if m["name"] in have else "missing")
        for m in item_body(session, row).get("materials", [])
    ]
    applicant = Applicant(
        name=row.applicant_name, id_number=row.applicant_id, phone=row.phone, kind=row.applicant_type,
        agent_name=row.agent_name or "", agent_id=row.agent_id or "",
    )  # fmt: skip
    return Intake(applicant, states)


def receive(session: Session, row: OnlineApplication, instance: ProcessInstance, *, actor: str) -> None:
    """The application became ``instance`` at the counter: its appointment is attended."""
    require_state(row, *AT_COUNTER)
    moment = now(session)
    appointment = current(session, row)
    if appointment is not None:
        appointment.state, appointment.closed_at = ATTENDED, moment
    row.state, row.instance_id = RECEIVED, instance.id
    row.received_at, row.received_by, row.updated_at = moment, actor, moment
    audit.record(
        session, "online_received", actor=actor, instance=instance, number=row.number, item=row.item_code
    )


def _finish_with_item(session: Session, instance: ProcessInstance) -> None:
    """An item that ends finishes the online application it came from."""
    if instance.status not in DONE:
        return
    rows = taken_ahead(session, RECEIVED_APPLICATIONS, instance.id, OnlineApplication)
    if rows is None:
        with read_unflushed(session, OnlineApplication):  # the step's writes go out once, at the commit
            rows = list(
                session.scalars(
                    select(OnlineApplication).where(
                        OnlineApplication.instance_id == instance.id, OnlineApplication.state == RECEIVED
                    )
                )
            )
    for row in rows:
        if row.state == RECEIVED:
            row.state, row.updated_at = FINISHED, now(session)


RECEIVED_APPLICATIONS = "received_applications"  # what ``_read_received`` reads ahead


def _read_received(session: Session, instance_ids: list[int]) -> None:
    """The received applications of many items in one query, for their next save (a batch of timers)."""
    rows: dict[int, list[OnlineApplication]] = {instance_id: [] for instance_id in instance_ids}
    for row in session.scalars(
        select(OnlineApplication).where(
            OnlineApplication.instance_id.in_(instance_ids), OnlineApplication.state == RECEIVED
        )
    ):
        rows[row.instance_id].append(row)
    read_ahead(session, RECEIVED_APPLICATIONS, rows)


def catch_up(session: Session, row: OnlineApplication) -> ProcessInstance | None:
    """The item of a received application (finishing the application if the item ended without a save of its
    steps, e.g. 终止); None before the counter."""
    if row.instance_id is None:
        return None
    instance = session.get(ProcessInstance, row.instance_id)
    if instance is not None and row.state == RECEIVED and instance.status in DONE:
        row.state, row.updated_at = FINISHED, now(session)
    return instance


hooks.after_save(_finish_with_item)
hooks.read_ahead(_read_received)

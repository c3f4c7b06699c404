"""Applications for catalogue items: starting an item from the catalogue (the one start road,
``runner.items.instances.start``, given the item's parameters) and the counter's intake record (收件登记).

The item's version in force at the start is the one the application keeps: later changes of the catalogue
do not reach it (``application_view`` shows its version and content).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from runner.catalogue.identity import ORGANISATION, PERSON, check_id_number, check_identity, half_width
from runner.catalogue.items import NoSuchItem, current_version, get_item
from runner.core import audit, engine
from runner.core.transaction import services_of
from runner.exceptions import InvalidInput
from runner.items.instances import current_data, start
from runner.models import CatalogueItemVersion, ItemApplication, ProcessInstance
from runner.timekeeping.deadlines import calendar

RECEIVED, MISSING, TOLERATED = "received", "missing", "tolerated"
STATUSES = (RECEIVED, MISSING, TOLERATED)
PHONE = re.compile(r"1[3-9][0-9]{9}")
DECISIONS = ("pending", "accepted", "notified", "refused")


@dataclass
class Applicant:
    """Who applies: a person (ID number) or an organisation (credit code), optionally through an agent."""

    name: str
    id_number: str
    phone: str
    kind: str = PERSON
    agent_name: str = ""
    agent_id: str = ""

    def checked(self) -> Applicant:
        """The applicant with numbers in compact form; ``InvalidInput`` naming the first wrong field."""
        name = self.name.strip()
        if not name or len(name) > 200:
            raise InvalidInput(
                "请填写申请人名称（200 字以内） (enter the applicant's name, at most 200 characters)"
            )
        if self.kind not in (PERSON, ORGANISATION):
            raise InvalidInput("申请人类型须为个人或单位 (applicant must be a person or an organisation)")
        number = check_identity(self.kind, self.id_number)
        phone = half_width(self.phone).replace("-", "")
        if not PHONE.fullmatch(phone):
            raise InvalidInput(
                "手机号码须为 11 位，以 1 开头 (a mobile number has 11 digits starting with 1)"
            )
        agent_name, agent_id = self.agent_name.strip(), self.agent_id.strip()
        if agent_id and not agent_name:
            raise InvalidInput("填写了代理人证件号，请填写代理人姓名 (enter the agent's name)")
        if agent_name:
            if len(agent_name) > 200:
                raise InvalidInput("代理人姓名过长 (agent's name too long)")
            agent_id = check_id_number(agent_id)
        return Applicant(name, number, phone, self.kind, agent_name, agent_id)


@dataclass
class MaterialState:
    """One material of the item as the counter found it; ``due`` is the promised date of a tolerated one."""

    name: str
    status: str = RECEIVED
    due: date | None = None

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "due": self.due.isoformat() if self.due else None}


@dataclass
class Intake:
    """What the counter registers: the applicant and the state of each of the item's materials."""

    applicant: Applicant
    materials: list[MaterialState] = field(default_factory=list)


def start_data(version: CatalogueItemVersion, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """The start data an item's version gives its process; the catalogue's parameters win over ``data``."""
    body = version.body
    out = dict(data or {})
    out.update(
        {
            "item_code": body["code"],
            "item_name": body["name"],
            "item_version": version.version,
            "title": body["name"],
            "lead_window": body["window"],
            "promised_days": body["promised_days"],
            "statutory_days": body["statutory_days"],
            "materials_list": [m["name"] for m in body["materials"]],
            # an optional material not brought does not make the acceptance incomplete (acceptance form)
            "optional_materials": [m["name"] for m in body["materials"] if not m["required"]],
            "tolerance_allowed": body["tolerance"],
        }
    )
    if body["related_windows"]:
        out["related_windows"] = [w for w in body["related_windows"] if w != body["window"]]
    if body["upper_authority"]:
        out["upper_authority"] = body["upper_authority"]
    return out


def start_item(
    session: Session,
    code: str,
    *,
    actor: str,
    data: dict[str, Any] | None = None,
    intake: Intake | None = None,
    submit_token: str | None = None,
) -> ProcessInstance:
    """Start catalogue item ``code`` on its process with the item's parameters, and keep the application
    (applicant, the item's version, the counter's material check when ``intake`` is given).

    ``submit_token`` is the counter form's one-time token, kept unique: a second registration with the same
    token fails at the flush (``IntegrityError``), its transaction and receipt number rolled back; look the first
    one up with ``registered_with``."""
    if data is not None and not isinstance(data, dict):
        raise InvalidInput("data must be an object")
    item = get_item(session, code)
    if not item.active:
        raise NoSuchItem(f"事项 {code} 已停止办理 (item {code} is withdrawn)", item=code)
    version = current_version(session, item)
    payload = start_data(version, data)
    applicant = intake.applicant.checked() if intake else None
    materials = _materials(session, version, intake) if intake else []
    if applicant is not None:
        payload.update(
            applicant=applicant.name, applicant_phone=applicant.phone, applicant_id=applicant.id_number
        )
        if applicant.agent_name:
            payload.update(agent=applicant.agent_name)
        payload["missing_materials"] = [m["name"] for m in materials if m["status"] == MISSING]
        tolerated = [m for m in materials if m["status"] == TOLERATED]
        if tolerated:
            payload["tolerated_materials"] = [m["name"] for m in tolerated]
    instance = start(session, item.process_key, actor=actor, data=payload, title=version.body["name"])
    now = services_of(session).now()
    record = ItemApplication(
        instance_id=instance.id,
        item_id=item.id,
        item_version_id=version.id,
        item_code=item.code,
        item_version=version.version,
        applicant_type=applicant.kind if applicant else PERSON,
        applicant_name=(applicant.name if applicant else str(payload.get("applicant") or ""))[:200],
        applicant_id=applicant.id_number if applicant else _optional(payload.get("applicant_id"), 18),
        agent_name=applicant.agent_name or None if applicant else None,
        agent_id=applicant.agent_id or None if applicant else None,
        phone=applicant.phone if applicant else _optional(payload.get("applicant_phone"), 20),
        materials=materials,
        registered_by=actor,
        registered_at=now,
        submit_token=submit_token or None,
    )
    session.add(record)
    session.flush()
    audit.record(
        session, "item_registered", actor=actor, instance=instance, item=item.code, version=version.version
    )
    return instance


def registered_with(session: Session, submit_token: str) -> str | None:
    """The receipt number of the item the counter form with ``submit_token`` registered, if any."""
    return session.scalar(
        select(ProcessInstance.business_key)
        .join(ItemApplication, ItemApplication.instance_id == ProcessInstance.id)
        .where(ItemApplication.submit_token == submit_token)
    )


def _optional(value: Any, limit: int) -> str | None:
    return str(value)[:limit] if value not in (None, "") else None


def _materials(session: Session, version: CatalogueItemVersion, intake: Intake) -> list[dict[str, Any]]:
    """The intake's material states, one per material of the item (in the item's order), checked."""
    given = {m.name: m for m in intake.materials}
    catalogue = {m["name"]: m for m in version.body["materials"]}
    unknown = sorted(set(given) - set(catalogue))
    if unknown:
        raise InvalidInput(f"不是本事项的材料 (not materials of this item): {'、'.join(unknown)}")
    today = calendar(session).local_date(services_of(session).now())  # the centre's day, not UTC's
    out = []
    for name, spec in catalogue.items():
        state = given.get(name, MaterialState(name, MISSING))
        if state.status not in STATUSES:
            raise InvalidInput(f"材料状态无效 (invalid material state): {name}")
        if state.status == TOLERATED:
            if not spec["tolerable"]:
                raise InvalidInput(f"材料“{name}”不可容缺 (this material cannot be supplied later): {name}")
            if state.due is None or state.due < today:
                raise InvalidInput(
                    f"容缺材料“{name}”须写明不早于今天的补交日期 (give the date it will be supplied): {name}"
                )
        out.append(state.as_json())
    return out


def item_data(session: Session, instance: ProcessInstance) -> dict[str, Any]:
    """The item's current data (what its steps see), read without the rest of ``describe``."""
    with engine.read(session, instance) as workflow:
        return current_data(workflow)


def application_of(session: Session, instance_id: int) -> ItemApplication | None:
    """The application behind an item, if it was started from the catalogue."""
    return session.get(ItemApplication, instance_id)


def record_decision(
    session: Session, instance: ProcessInstance, decision: str, *, actor: str, **detail: Any
) -> None:
    """Note the counter's decision on an application (audited ``intake_decision``)."""
    if decision not in DECISIONS[1:]:
        raise InvalidInput(f"unknown decision {decision!r}")
    record = session.get(ItemApplication, instance.id)
    if record is not None:
        record.decision = decision
        record.decided_by = actor
        record.decided_at = services_of(session).now()
    audit.record(session, "intake_decision", actor=actor, instance=instance, decision=decision, **detail)


def record_arrived(
    session: Session,
    instance: ProcessInstance,
    names: list[str],
    *,
    actor: str,
    via: str,
    at: datetime | None = None,
) -> list[str]:
    """Materials that reached an item after its intake (``via``: ``correction`` for 补正, ``tolerated`` for
    容缺后补): the counter's record shows them received, when (``at``, now by default) and by whom; the state
    they had stays on the record (``was``) and the change is audited (``materials_arrived``). Returns the names
    changed (none for an item without a record or for materials already received)."""
    record = session.get(ItemApplication, instance.id)
    if record is None or not record.materials:
        return []
    moment = at or services_of(session).now()
    when, day = moment.isoformat(), calendar(session).local_date(moment).isoformat()  # the centre's day
    materials, changed = [], []
    for material in record.materials:
        material = dict(material)
        if material.get("name") in names and material.get("status") in (MISSING, TOLERATED):
            material.update(
                was=material["status"],
                status=RECEIVED,
                received_at=when,
                received_on=day,
                received_by=actor,
                via=via,
            )
            changed.append(str(material["name"]))
        materials.append(material)
    if changed:
        record.materials = materials  # a new list: the JSON column sees the change
        audit.record(
            session,
            "materials_arrived",
            actor=actor,
            instance=instance,
            materials=changed,
            via=via,
            received_at=when,
        )
    return changed


def owed_on_record(session: Session, instance: ProcessInstance) -> list[dict[str, Any]]:
    """The materials the counter's record still has as 容缺后补 (name and promised date)."""
    record = session.get(ItemApplication, instance.id)
    return [dict(m) for m in (record.materials if record else None) or [] if m.get("status") == TOLERATED]


def tolerated_names(session: Session, instance: ProcessInstance) -> list[str]:
    """The names of the materials the counter's record still has as 容缺后补."""
    return [str(m.get("name")) for m in owed_on_record(session, instance)]


def materials_en(body: dict[str, Any] | None) -> dict[str, str]:
    """Chinese name → English name of the materials of an item version's ``body`` that have one: English pages
    show a recorded material (kept by its Chinese name, its identity) by it."""
    return {
        str(m["name"]): str(m["name_en"]) for m in (body or {}).get("materials") or [] if m.get("name_en")
    }


def english_materials_of(session: Session, instance_id: int) -> dict[str, str]:
    """``materials_en`` of the item version an item's application was recorded under (empty without one)."""
    record = session.get(ItemApplication, instance_id)
    version = session.get(CatalogueItemVersion, record.item_version_id) if record is not None else None
    return materials_en(version.body if version is not None else None)


def application_view(session: Session, instance_id: int) -> dict[str, Any] | None:
    """The application of an item with the item's version it runs under (its full content)."""
    record = session.get(ItemApplication, instance_id)
    if record is None:
        return None
    version = session.get(CatalogueItemVersion, record.item_version_id)
    item = get_item(session, record.item_code)
    return {
        "item_code": record.item_code,
        "item_version": record.item_version,
        "current_version": item.version,
        "item": version.body if version else None,
        "applicant_type": record.applicant_type,
        "applicant_name": record.applicant_name,
        "applicant_id": record.applicant_id,
        "agent_name": record.agent_name,
        "phone": record.phone,
        "materials": record.materials,
        "materials_en": materials_en(version.body if version else None),
        "decision": record.decision,
        "decided_by": record.decided_by,
        "registered_by": record.registered_by,
        "registered_at": record.registered_at.isoformat(),
    }

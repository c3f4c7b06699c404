"""The applicant's side, without login: progress lookup (with the item's 好差评 ratings) and complaints (投诉).

Ratings themselves are given in ``runner.applicants.ratings``.

The progress view says only what the applicant may know: the current step names, the windows taking
part, the promised date, the paused periods and the outcome. The complainant's contact stays in the
``complaints`` row (never in the complaint process's data), so the window that answers never sees it.
"""

from __future__ import annotations

import hmac
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from runner.applicants.complaint_progress import complainant_contact, complaint_progress, complaint_row
from runner.applicants.ratings import open_occasions, rating_view, ratings_of
from runner.core import engine
from runner.core.transaction import services_of
from runner.exceptions import InvalidInput, NoSuchInstance
from runner.items.instances import current_data
from runner.items.instances import get as get_instance
from runner.items.instances import start as start_instance
from runner.models import (
    CatalogueItemVersion,
    Complaint,
    InstanceStatus,
    ItemApplication,
    OpenTask,
    ProcessInstance,
)
from runner.papers.documents import local_date, outcome, pauses, window_names, windows_involved
from runner.people.windows import known_windows

PHONE_SUFFIX = re.compile(r"^[0-9]{4}$")
CHANNELS = {"on_site": "现场", "phone": "电话", "letter": "信函"}
COMPLAINT_PROCESS = "complaint"
COMPLAINT_STATES = {
    "registered": "已登记",
    "forwarded": "已转办",
    "answered": "窗口已答复",
    "fed_back": "已反馈投诉人",
    "closed": "已回访办结",
}
STATUS_LABELS = {
    InstanceStatus.RUNNING: "办理中",
    InstanceStatus.WAITING: "办理中",
    InstanceStatus.ERROR: "办理中",
    InstanceStatus.SUSPENDED: "暂停办理",
    InstanceStatus.COMPLETED: "已办结",
    InstanceStatus.TERMINATED: "已终止",
}


# --- progress --------------------------------------------------------------------------------------------


def _digits(value: Any) -> str:
    return "".join(ch for ch in str(value or "") if ch.isdigit())


def phone_matches(stored: Any, suffix: str) -> bool:
    """Whether ``suffix`` is the last four digits of the stored phone (compared in constant time)."""
    digits = _digits(stored)
    expected = digits[-4:] if len(digits) >= 4 else "\x00" * 4  # never matches a digit string
    given = suffix if PHONE_SUFFIX.match(suffix or "") else "\x01" * 4
    return hmac.compare_digest(expected.encode("ascii"), given.encode("ascii"))


def _verified_instance(session: Session, business_key: str, phone_suffix: str) -> ProcessInstance | None:
    """The item when the receipt number and phone suffix match, else None (the same for either mistake)."""
    key = (business_key or "").strip()
    instance = None
    if key and len(key) <= 64:
        instance = session.scalars(select(ProcessInstance).where(ProcessInstance.business_key == key)).first()
    if instance is None:
        phone_matches("", phone_suffix)  # spend the same comparison either way
        return None
    if instance.definition_key == COMPLAINT_PROCESS:  # the complainant, with the contact left at registration
        return instance if phone_matches(complainant_contact(session, instance), phone_suffix) else None
    with engine.read(session, instance) as workflow:
        data = current_data(workflow)
    return instance if phone_matches(data.get("applicant_phone"), phone_suffix) else None


def progress_view(session: Session, instance: ProcessInstance) -> dict[str, Any]:
    """The applicant's view of an item (after the phone check): nothing but what is listed here; for a
    complaint the complainant's view (``runner.applicants.complaint_progress``)."""
    if instance.definition_key == COMPLAINT_PROCESS:
        row = complaint_row(session, instance)
        state = sync_complaint(session, row.id)["state"] if row is not None else "registered"
        return complaint_progress(session, instance, state)
    steps: list[str] = []
    for name in session.scalars(
        select(OpenTask.name).where(OpenTask.instance_id == instance.id).order_by(OpenTask.id)
    ):
        if name not in steps:
            steps.append(name)
    codes = windows_involved(session, instance.id)
    names = window_names(session, codes)
    occasions = open_occasions(session, instance)
    finished = instance.status == InstanceStatus.COMPLETED
    return {
        "business_key": instance.business_key,
        "status": STATUS_LABELS.get(InstanceStatus(instance.status), "办理中"),
        "finished": instance.status in (InstanceStatus.COMPLETED, InstanceStatus.TERMINATED),
        "current_steps": [] if finished else steps,
        "windows": [names.get(c, c) for c in codes],
        "window_codes": list(codes),  # pages name them in their own language (``window_name``)
        "promised_date": local_date(session, instance.deadline),
        "promised_pending_year": instance.deadline_pending_year,
        "paused": instance.paused_since is not None,
        "pauses": pauses(session, instance.id),
        "outcome": outcome(session, instance),
        # the applicant rates the completion here; the acceptance is rated at the counter
        "can_rate": "completion" in occasions,
        "rate_occasion": "completion",
        "rated": [rating_view(r) for r in ratings_of(session, instance.id)],
        # the catalogue item (and its version) the application runs under: the page links to its guide
        "item": _guide_of(session, instance),
    }


def _guide_of(session: Session, instance: ProcessInstance) -> dict[str, Any] | None:
    """The catalogue item an application runs under, for the link to its guide: code, version and the
    version's name (an English one when the catalogue has it), or None for an item not from the catalogue."""
    row = session.execute(
        select(ItemApplication.item_code, ItemApplication.item_version, CatalogueItemVersion.body)
        .join(CatalogueItemVersion, CatalogueItemVersion.id == ItemApplication.item_version_id)
        .where(ItemApplication.instance_id == instance.id)
    ).first()
    if row is None:
        return None
    body = row.body if isinstance(row.body, dict) else {}
    name = str(body.get("name") or row.item_code)
    return {"code": row.item_code, "version": row.item_version, "name": name, "name_en": body.get("name_en")}


def verified_key(session: Session, business_key: str, phone_suffix: str) -> str | None:
    """The receipt number when it and the phone suffix match (for a session that remembers the check)."""
    instance = _verified_instance(session, business_key, phone_suffix)
    return instance.business_key if instance is not None else None


def progress_by_key(session: Session, business_key: str) -> dict[str, Any] | None:
    """The applicant's view of an item whose phone check the caller has already passed."""
    instance = session.scalars(
        select(ProcessInstance).where(ProcessInstance.business_key == business_key)
    ).first()
    if instance is None:
        return None
    return progress_view(session, instance)


# --- complaints ------------------------------------------------------------------------------------------


def _require(value: Any, field: str, label: str, limit: int) -> str:
    text = (value or "").strip() if isinstance(value, str) else ""
    if not text:
        raise InvalidInput(f"请填写{label} ({field} is required)", field=field)
    if len(text) > limit:
        raise InvalidInput(f"{label}不能超过 {limit} 字 ({field} too long)", field=field)
    return text


def register_complaint(
    session: Session,
    *,
    channel: str,
    complainant: str,
    contact: str,
    content: str,
    actor: str,
    address: str = "",
    receipt: str | None = None,
    window: str | None = None,
) -> dict[str, Any]:
    """Store a complaint and start its handling process (``bpmn/complaint.bpmn``).

    Only the complaint's content, channel, the item it concerns and the window go into the process data;
    complainant, contact and address stay in the ``complaints`` row.
    """
    if channel not in CHANNELS:
        raise InvalidInput("请选择投诉方式 (channel must be on_site, phone or letter)", field="channel")
    complainant = _require(complainant, "complainant", "投诉人", 200)
    contact = _require(contact, "contact", "联系电话", 200)
    content = _require(content, "content", "投诉内容", 5000)
    address = (address or "").strip()
    if len(address) > 400:
        raise InvalidInput("地址不能超过 400 字 (address too long)", field="address")
    about: ProcessInstance | None = None
    receipt = (receipt or "").strip()
    if receipt:
        try:
            about = get_instance(session, business_key=receipt[:64])
        except NoSuchInstance:
            raise InvalidInput(
                "没有这个办件编号 (no item with this receipt number)", field="receipt"
            ) from None
    window = (window or "").strip() or None
    if window is not None and window not in known_windows(session):
        raise InvalidInput("没有这个窗口 (unknown window)", field="window")
    if window is None and about is not None:
        window = about.lead_window
    now = services_of(session).now()
    row = Complaint(
        about_instance_id=about.id if about is not None else None,
        channel=channel,
        complainant=complainant,
        contact=contact,
        address=address,
        content=content,
        window=window,
        state="registered",
        created_at=now,
    )
    session.add(row)
    session.flush()
    data = {
        "complaint_id": row.id,
        "channel": channel,
        "channel_label": CHANNELS[channel],
        "content": content,
        "about_business_key": about.business_key if about is not None else "",
        "window": window or "",
        "title": f"投诉：{about.business_key}" if about is not None else "投诉",
    }
    instance = start_instance(session, COMPLAINT_PROCESS, actor=actor, data=data)
    row.process_instance_id = instance.id
    sync_complaint(session, row.id)
    return complaint_view(row, confidential=False) | {"business_key": instance.business_key}


def _state_from(data: dict[str, Any], status: str) -> str:
    if status == InstanceStatus.COMPLETED or data.get("revisited_at"):
        return "closed"
    if data.get("fed_back_at"):
        return "fed_back"
    if data.get("answered_at"):
        return "answered"
    if data.get("forwarded_at"):
        return "forwarded"
    return "registered"


def sync_complaint(session: Session, complaint_id: int) -> dict[str, Any]:
    """Bring a complaint's state, verified flag and window in line with its process's data."""
    row = session.get(Complaint, complaint_id)
    if row is None:
        raise NoSuchInstance(f"没有投诉 {complaint_id} (no such complaint)")
    if row.process_instance_id is not None:
        instance = get_instance(session, row.process_instance_id)
        with engine.read(session, instance) as workflow:
            data = current_data(workflow)
        state = _state_from(data, instance.status)
        if state != row.state:
            row.state = state
        if state in ("fed_back", "closed") and isinstance(data.get("verified"), bool):
            row.verified = data["verified"]
        window = data.get("window")
        if isinstance(window, str) and window and window != row.window:
            row.window = window
    return complaint_view(row, confidential=False)


def complaint_view(row: Complaint, *, confidential: bool = True) -> dict[str, Any]:
    """A complaint as a dict; ``confidential`` leaves out the complainant, contact and address."""
    view: dict[str, Any] = {
        "id": row.id,
        "channel": row.channel,
        "channel_label": CHANNELS.get(row.channel, row.channel),
        "content": row.content,
        "window": row.window,
        "state": row.state,
        "state_label": COMPLAINT_STATES.get(row.state, row.state),
        "verified": row.verified,
        "created_at": row.created_at.isoformat(),
        "about_instance_id": row.about_instance_id,
        "process_instance_id": row.process_instance_id,
    }
    if not confidential:
        view.update(complainant=row.complainant, contact=row.contact, address=row.address)
    return view


def list_complaints(session: Session, *, limit: int = 200, offset: int = 0) -> list[dict[str, Any]]:
    """Complaints, newest first, with the complainant's details (for the supervision office only)."""
    rows = list(
        session.scalars(select(Complaint).order_by(Complaint.id.desc()).limit(min(limit, 500)).offset(offset))
    )
    views = []
    keys = dict(
        session.execute(
            select(ProcessInstance.id, ProcessInstance.business_key).where(
                ProcessInstance.id.in_(
                    [r.process_instance_id for r in rows if r.process_instance_id]
                    + [r.about_instance_id for r in rows if r.about_instance_id]
                )
            )
        ).all()
    )
    for row in rows:
        view = sync_complaint(session, row.id)
        view["business_key"] = keys.get(row.process_instance_id)
        view["about_business_key"] = keys.get(row.about_instance_id)
        view["created_date"] = local_date(session, row.created_at)
        views.append(view)
    return views

"""Numbered, dated notices issued for an item: 受理通知书, 不予受理通知书, 补正材料通知书, 联办通知, 办结通知.

``issue`` allocates the next number of the document's kind and year (``受字〔2026〕第000123号``), stores
a snapshot of what is printed and audits ``document_issued``. A 联办通知 is one copy per related window, each
with its own number. Issuing the same kind again for the same item returns the stored document: a reprint
shows the same number and the same text (``runner.papers.document_issuing`` records a re-issue by hand as such).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from lxml import etree
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, func, select, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from runner.core import audit, conventions, engine
from runner.core.spiff import pruning
from runner.core.transaction import read_unflushed, services_of
from runner.core.validation import safe_parse
from runner.exceptions import CalendarDataMissing, Conflict, InvalidInput, NotFound
from runner.items.instances import current_data
from runner.items.instances import get as get_instance
from runner.models import (
    AccountabilityRecord,
    ClockPause,
    Document,
    Extension,
    InstanceStatus,
    ItemApplication,
    OpenTask,
    ProcessInstance,
)
from runner.papers import completion_terms
from runner.people.windows import window_names
from runner.timekeeping.calendar import missing_year_of, pending_note
from runner.timekeeping.deadlines import calendar
from runner.timekeeping.pending_dates import pending_year


class DocumentNotAvailable(Conflict):
    """The item has not reached the point where this document can be issued."""

    code = "document_not_available"


KINDS: dict[str, dict[str, str]] = {
    "acceptance": {"title": "受理通知书", "prefix": "受字"},
    "refusal": {"title": "不予受理通知书", "prefix": "不受字"},
    "correction": {"title": "补正材料通知书", "prefix": "补字"},
    "joint": {"title": "联办通知", "prefix": "联字"},
    "completion": {"title": "办结通知", "prefix": "结字"},
    "extension": {"title": "延期告知书", "prefix": "延字"},
}
DEFAULT_ISSUER = "政务服务中心"
# steps that are not part of the ordinary route printed on an acceptance notice
_OFF_ROUTE_FORMS = {
    "refusal",
    "correction_notice",
    "materials_check",
    "return_notice",
    "tolerance_overdue",
    "tolerance_withdrawal",
    "extension_decision",
}
_OFF_ROUTE_CALLS = ("block_refusal", "block_correction")
_MAX_SERIAL_TRIES = 10


def format_number(kind: str, year: int, serial: int) -> str:
    """``受字〔2026〕第000123号``."""
    return f"{KINDS[kind]['prefix']}〔{year}〕第{serial:06d}号"


def document_view(row: Document) -> dict[str, Any]:
    return {
        "id": row.id,
        "instance_id": row.instance_id,
        "kind": row.kind,
        "title": KINDS.get(row.kind, {}).get("title", row.kind),
        "year": row.year,
        "serial": row.serial,
        "number": row.number,
        "issued_at": row.issued_at.isoformat(),
        "issued_by": row.issued_by,
        "content": row.content,
        "addressee": row.addressee,
        "reissues": list(row.reissues or []),
    }


def view_with_copies(rows: list[Document]) -> dict[str, Any]:
    """The first copy of a document as a dict, with every copy (one per addressee) under ``copies``."""
    return {**document_view(rows[0]), "copies": [document_view(r) for r in rows]}


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise NotFound(f"没有这种文书 {kind} (unknown document kind)", kind=kind)


# --- windows taking part in an item -------------------------------------------------------------------


def windows_involved(session: Session, instance_id: int) -> list[str]:
    """Codes of the windows taking part in an item: the lead window, the windows of its open tasks, of its
    completed user tasks, of its deemed assents and the addressees of its notices (in that order, each once)."""
    instance = get_instance(session, instance_id)
    found: list[str] = []

    def add(code: Any) -> None:
        if isinstance(code, str) and code and code not in found:
            found.append(code)

    add(instance.lead_window)
    # what this transaction changed is written first only if it is rows these read
    with read_unflushed(session, OpenTask, AccountabilityRecord, Document):
        _add_involved(session, instance, add)
    return found


def _add_involved(session: Session, instance: ProcessInstance, add: Callable[[Any], None]) -> None:
    """``add`` the windows of an item's open tasks, completed user tasks, deemed assents and notices."""
    for window in session.scalars(
        select(OpenTask.window).where(OpenTask.instance_id == instance.id).order_by(OpenTask.id)
    ):
        add(window)
    workflow = engine.load(session, instance)
    for window in pruning.pruned(workflow).get(
        "windows", []
    ):  # those of steps pruned from a long item's tree
        add(window)
    for task in _completed_user_tasks(workflow):
        props = conventions.task_properties(task.task_spec)
        try:
            add(engine.resolve_window(session, instance, task, props))
        except Exception:  # noqa: BLE001 - an expression that no longer evaluates names no window
            continue
    for window in session.scalars(  # a window deemed to assent took part too (its task was closed)
        select(AccountabilityRecord.window)
        .where(AccountabilityRecord.instance_id == instance.id)
        .order_by(AccountabilityRecord.id)
    ):
        add(window)
    for window in session.scalars(  # so did a window a notice was addressed to (a 联办通知 copy)
        select(Document.addressee).where(Document.instance_id == instance.id).order_by(Document.id)
    ):
        add(window)


def _completed_user_tasks(workflow: Any) -> list[Any]:
    done: dict[Any, Any] = {}
    # the iterator does not descend into finished subprocesses: walk each (sub)workflow on its own
    for flow in [workflow, *workflow.subprocesses.values()]:
        for task in flow.get_tasks(state=TaskState.COMPLETED, skip_subprocesses=True):
            if task.task_spec.manual:
                done[task.id] = task
    return sorted(done.values(), key=lambda t: t.last_state_change)


# --- what a document says -----------------------------------------------------------------------------


def local_date(session: Session, when: datetime | None) -> str | None:
    if when is None:
        return None
    return calendar(session).local_date(when).isoformat()


def _iso_local_date(session: Session, value: Any) -> str | None:
    """An ISO date or datetime from task data as a local date; None when it is not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.date().isoformat()
    return local_date(session, parsed)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _str_list(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        return []
    return [str(v).strip() for v in value if v is not None and str(v).strip()]


def materials_as_received(
    session: Session, instance: ProcessInstance, data: dict[str, Any]
) -> dict[str, Any]:
    """The item's materials as the counter's intake record has them: ``materials`` (received), ``tolerated``
    (容缺后补: name and promised date) and ``not_received``. Without a record (an item not registered at a
    counter) the item's data says what is missing or tolerated (until its 补正 or 容缺 block says they arrived);
    every other material counts as received."""
    # only an item started from the catalogue has a record (no look-up for the others)
    record = session.get(ItemApplication, instance.id) if data.get("item_code") else None
    if record is not None and record.materials:
        states = [(str(m.get("name")), m.get("status"), m.get("due")) for m in record.materials]
    else:
        # what the 补正 brought in full, or the 容缺 items supplied, arrived since (the blocks' outcomes)
        arrived = data.get("correction_result") == "complete"
        missing = set() if arrived else set(_str_list(data.get("missing_materials")))
        supplied = data.get("tolerance_outcome") == "supplied"
        tolerated = set() if supplied else set(_str_list(data.get("tolerated_materials")))
        states = [
            (n, "missing" if n in missing else "tolerated" if n in tolerated else "received", None)
            for n in _str_list(data.get("materials_list"))
        ]
    return {
        "materials": [n for n, status, _ in states if status == "received"],
        "tolerated": [{"name": n, "due": due} for n, status, due in states if status == "tolerated"],
        "not_received": [n for n, status, _ in states if status == "missing"],
    }


def _refused(data: dict[str, Any]) -> bool:
    return bool(data.get("refused")) or data.get("correction_result") in ("refused", "returned")


def _accepted(data: dict[str, Any]) -> bool:
    if _refused(data) or data.get("eligible") is False:
        return False
    return (
        data.get("materials_complete") is True
        or data.get("correction_result") == "complete"
        or data.get("accepted") is True
    )


def route(session: Session, instance: ProcessInstance) -> list[str]:
    """The ordinary route of an item (办理流程) read from its diagram: the names of its user tasks,
    subprocesses and call activities in flow order, without the refusal and correction detours."""
    tree = safe_parse(instance.definition.bpmn_xml.encode("utf-8"), instance.definition.filename, 10**8)
    root = tree.getroot() if hasattr(tree, "getroot") else tree
    ns = conventions.BPMN_NS
    process = next((p for p in root.iter(f"{{{ns}}}process") if p.get("id") == instance.definition_key), None)
    if process is None:
        return []
    nodes = {el.get("id"): el for el in process if isinstance(el.tag, str) and el.get("id")}
    outgoing: dict[str, list[str]] = {}
    for flow in process.iterfind(f"{{{ns}}}sequenceFlow"):
        outgoing.setdefault(flow.get("sourceRef") or "", []).append(flow.get("targetRef") or "")
    starts = [i for i, el in nodes.items() if etree.QName(el).localname == "startEvent"]
    steps: list[str] = []
    seen: set[str] = set(starts)
    queue = list(starts)
    while queue:
        node_id = queue.pop(0)
        el = nodes.get(node_id)
        if el is None:
            continue
        local = etree.QName(el).localname
        if local == "callActivity" and (el.get("calledElement") or "").startswith(_OFF_ROUTE_CALLS):
            continue
        if local == "userTask":
            props = {
                p.get("name"): p.get("value") for p in el.iterfind(f".//{{{conventions.SPIFF_NS}}}property")
            }
            if props.get("formKey") in _OFF_ROUTE_FORMS:
                continue
        if local in ("userTask", "subProcess", "callActivity", "manualTask") and el.get("name"):
            name = el.get("name", "").strip()
            if name and name not in steps:
                steps.append(name)
        for target in outgoing.get(node_id, []):
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return steps


def outcome(session: Session, instance: ProcessInstance, workflow: Any | None = None) -> str | None:
    """How a finished item ended, in words the applicant may read: the name of the end event it reached
    (办结, 不予许可, 不予受理 …); None while it runs."""
    if instance.status == InstanceStatus.TERMINATED:
        return "已终止办理"
    if instance.status != InstanceStatus.COMPLETED:
        return None
    workflow = workflow if workflow is not None else engine.load(session, instance)
    ends = [
        t
        for t in workflow.get_tasks(state=TaskState.COMPLETED)
        if t.workflow is workflow and type(t.task_spec).__name__ == "EndEvent" and t.task_spec.bpmn_name
    ]
    if not ends:
        return "已办结"
    return str(max(ends, key=lambda t: t.last_state_change).task_spec.bpmn_name)


def _base(
    session: Session, instance: ProcessInstance, kind: str, issuer: str, names: dict[str, str]
) -> dict[str, Any]:
    """What every document says (``names``: the window names read for it, the lead window's among them)."""
    lead = instance.lead_window or ""
    return {
        "title": KINDS[kind]["title"],
        "issuer": issuer,
        "business_key": instance.business_key,
        "item": instance.title,
        "applicant": instance.applicant or "",
        "received": local_date(session, instance.started_at),
        "lead_window": names.get(lead, lead),
    }


def _check_available(instance: ProcessInstance, kind: str, data: dict[str, Any]) -> None:
    """DocumentNotAvailable when the item has not reached the point where ``kind`` can be issued (a 延期告知书
    is checked with its extensions, ``_extension_content``)."""
    if kind == "acceptance" and not _accepted(data):
        raise DocumentNotAvailable("办件尚未受理，不能出具受理通知书 (the item has not been accepted)")
    if kind == "refusal" and (not data.get("refused") or not _text(data.get("refusal_reason"))):
        raise DocumentNotAvailable(
            "办件未作出不予受理决定（或未写明理由），不能出具不予受理通知书 (no written refusal yet)"
        )
    if kind == "correction":
        if not _str_list(data.get("missing_materials")):
            raise DocumentNotAvailable(
                "尚未列明需补正的材料，不能出具补正材料通知书 (no missing materials listed)"
            )
        if not data.get("correction_notified_at"):
            raise DocumentNotAvailable(
                "一次性告知补正材料环节尚未办结，不能出具补正材料通知书"
                " (the one-time notice step is not done yet)"
            )
    if kind == "joint" and (not _str_list(data.get("related_windows")) or not _accepted(data)):
        raise DocumentNotAvailable("本办件没有联办窗口或尚未受理，不能出具联办通知 (not a joint item yet)")
    if kind == "completion" and (instance.status != InstanceStatus.COMPLETED or _refused(data)):
        raise DocumentNotAvailable("办件尚未办结，不能出具办结通知 (the item is not completed)")


def _windows_named(session: Session, instance: ProcessInstance, kind: str, data: dict[str, Any]) -> list[str]:
    """The windows a document of ``kind`` names besides the lead window, in the order it names them."""
    if kind == "acceptance":
        codes = windows_involved(session, instance.id)
        return codes + [c for c in dict.fromkeys(_str_list(data.get("related_windows"))) if c not in codes]
    if kind == "joint":
        return _str_list(data.get("related_windows"))
    if kind == "completion":
        return list(completion_terms.opinion_windows(data))
    return []


def _content(
    session: Session,
    instance: ProcessInstance,
    kind: str,
    issuer: str,
    now: datetime,
    workflow: Any | None = None,
) -> dict[str, Any]:
    """What the document says, or DocumentNotAvailable when the item is not there yet (``workflow``: the
    item's workflow as it stands in this step, when it is issued from the diagram). The names of the windows
    it names, the lead window's with them, are read at once."""
    workflow = workflow if workflow is not None else engine.load(session, instance)
    data = current_data(workflow)
    _check_available(instance, kind, data)
    codes = _windows_named(session, instance, kind, data)
    names = window_names(session, [c for c in dict.fromkeys([instance.lead_window, *codes]) if c])
    content = _base(session, instance, kind, issuer, names)
    content["issued_date"] = local_date(session, now)
    if kind == "acceptance":
        content.update(
            promised_days=instance.promised_days,
            promised_date=local_date(session, instance.deadline),
            promised_pending=pending_note(instance.deadline_pending_year),
            windows=[names.get(c, c) for c in codes],
            route=route(session, instance),
            **materials_as_received(session, instance, data),
        )
    elif kind == "refusal":
        content.update(
            reason=_text(data.get("refusal_reason")),
            legal_basis=_text(data.get("refusal_legal_basis")),
            refused_date=_iso_local_date(session, data.get("refused_at")) or content["issued_date"],
        )
    elif kind == "correction":
        content.update(
            missing_materials=_str_list(data.get("missing_materials")),
            notice_note=_text(data.get("notice_note")),
            notified_date=_iso_local_date(session, data.get("correction_notified_at"))
            or content["issued_date"],
            correction_due=_iso_local_date(session, data.get("correction_due")),
            correction_pending=pending_note(pending_year(data.get("correction_due"))),
            correction_days=data.get("correction_days")
            if isinstance(data.get("correction_days"), int)
            else None,
        )
    elif kind == "joint":
        review_days = data.get("review_days") if isinstance(data.get("review_days"), int) else None
        notice = data.get("joint_notice") if isinstance(data.get("joint_notice"), dict) else {}
        review_due, review_pending = _review_due(session, notice.get("sent_at"), review_days, now)
        meeting = data.get("meeting_notice") if isinstance(data.get("meeting_notice"), dict) else {}
        content.update(
            request_date=_iso_local_date(session, notice.get("sent_at") or meeting.get("sent_at")),
            meeting_at=meeting.get("meeting_at"),
            place=_text(meeting.get("place")),
        )
        content.update(
            recipients=[{"code": c, "name": names.get(c, c)} for c in codes],
            review_days=review_days,
            review_due=review_due,
            review_pending=review_pending,
            promised_date=local_date(session, instance.deadline),
            promised_pending=pending_note(instance.deadline_pending_year),
            materials=materials_as_received(session, instance, data)["materials"],
            mode="联审制" if instance.definition_key == "lianban_lianshen" else "抄告制",
        )
    elif kind == "completion":
        content.update(
            outcome=completion_terms.decision(data) or outcome(session, instance, workflow),
            conditions=completion_terms.window_conditions(data, names),
            delivery=completion_terms.delivery_sentence(data, content["lead_window"]),
            notice_note=_text(data.get("notice_note")),
            completed_date=local_date(session, instance.ended_at),
            promised_date=local_date(session, instance.deadline),
            promised_pending=pending_note(instance.deadline_pending_year),
            decision_no=_text(data.get("decision_no") or data.get("result_doc_no")),
        )
    elif kind == "extension":
        content.update(_extension_content(session, instance))
    return content


def _extension_content(session: Session, instance: ProcessInstance) -> dict[str, Any]:
    """What a 延期告知书 says: each granted extension, the deadlines after them (or what they wait for)."""
    granted = list(
        session.scalars(select(Extension).where(Extension.instance_id == instance.id).order_by(Extension.id))
    )
    if not granted:
        raise DocumentNotAvailable("办件未批准延期，不能出具延期告知书 (no extension was granted)")
    return {
        "extensions": [
            {"days": e.days, "reason": e.reason, "approved_date": local_date(session, e.created_at)}
            for e in granted
        ],
        "extension_days": instance.extension_days,
        "promised_days": instance.promised_days,
        "promised_date": local_date(session, instance.deadline),
        "promised_pending": pending_note(instance.deadline_pending_year),
        "statutory_days": instance.statutory_days,
        "statutory_date": local_date(session, instance.statutory_deadline),
        "statutory_pending": pending_note(instance.statutory_pending_year),
        "legal_basis": "《中华人民共和国行政许可法》第四十二条",
    }


def _review_due(
    session: Session, sent: Any, review_days: int | None, now: datetime
) -> tuple[str | None, str | None]:
    """The related windows' review limit of a joint notice: its local date, or the note saying which year's
    holiday arrangement it waits for."""
    if review_days is None:
        return None, None
    try:
        start = datetime.fromisoformat(sent) if isinstance(sent, str) else now
        return local_date(session, calendar(session).deadline(start, review_days)), None
    except ValueError:
        return None, None
    except CalendarDataMissing as exc:
        return None, pending_note(missing_year_of(exc))


# --- issuing -------------------------------------------------------------------------------------------


def _issue_number(row: Document) -> int:
    """Which issue of its kind a copy belongs to: 1 for the first, 2 after the first re-issue (重新出具), …"""
    return int((row.content or {}).get("issue") or 1)


# the statements of an issue, built once (building and keying one costs more than running it)
_DOCUMENTS = Document.__table__
_COPIES_OF_KIND = (
    select(Document)
    .where(Document.instance_id == bindparam("of_instance"), Document.kind == bindparam("of_kind"))
    .order_by(Document.id)
)
_LAST_SERIAL = select(func.max(_DOCUMENTS.c.serial)).where(
    _DOCUMENTS.c.kind == bindparam("of_kind"), _DOCUMENTS.c.year == bindparam("of_year")
)
_INSERT_COPIES = {  # INSERT … ON CONFLICT (kind, year, serial) DO NOTHING RETURNING serial, id, by dialect
    dialect: insert(_DOCUMENTS)
    .on_conflict_do_nothing(index_elements=["kind", "year", "serial"])
    .returning(_DOCUMENTS.c.serial, _DOCUMENTS.c.id)
    for dialect, insert in (("postgresql", postgresql_insert), ("sqlite", sqlite_insert))
}


def _issues(session: Session, instance_id: int, kind: str) -> list[list[Document]]:
    """Every issue of ``kind`` for an item, oldest first, each with its copies (one per addressee)."""
    _check_kind(kind)
    grouped: dict[int, list[Document]] = {}
    with read_unflushed(session, Document):
        for row in session.scalars(_COPIES_OF_KIND, {"of_instance": instance_id, "of_kind": kind}):
            grouped.setdefault(_issue_number(row), []).append(row)
    return [grouped[n] for n in sorted(grouped)]


def find(session: Session, instance_id: int, kind: str) -> Document | None:
    """The document of ``kind`` in force for an item (the first copy of the newest issue), if any."""
    current = copies(session, instance_id, kind)
    return current[0] if current else None


def earlier(session: Session, instance_id: int, kind: str) -> list[dict[str, Any]]:
    """The issues of ``kind`` an item had before its current one (each replaced by a re-issue), oldest
    first, each with its copies."""
    return [view_with_copies(rows) for rows in _issues(session, instance_id, kind)[:-1]]


# one advisory lock for all numbering (not one per kind and year): a step issuing two kinds can never wait for
# another step holding them in the other order
_NUMBERING_LOCK = zlib.crc32(b"banjian:document-numbers")
# the item's row first, then numbering — the order every writer takes them in: the timer sweep claims items
# ``FOR UPDATE`` before their steps issue anything, and a step writes its item at the commit; locking the item
# here keeps a step that issues (holding numbering until its commit) from waiting for an item row some other
# transaction holds while that one waits for numbering. ``count(*)`` reads (locks) the row before the call.
_ITEM_THEN_NUMBERING = text(
    "WITH item AS MATERIALIZED (SELECT id FROM process_instances WHERE id = :item FOR UPDATE) "
    "SELECT pg_advisory_xact_lock(:key) FROM (SELECT count(*) FROM item) AS locked"
)


def _number_lock(session: Session, instance: ProcessInstance) -> None:
    """On PostgreSQL, lock the item's row, then hold document numbering until this transaction ends (an
    advisory lock), so concurrent issues take their numbers in turn instead of colliding on them: with 8 clerks
    completing at once an issue could lose the race for each of the numbers it tried. One statement, no flush.
    SQLite runs one writer at a time anyway."""
    if session.get_bind().dialect.name == "postgresql":
        with session.no_autoflush:
            session.execute(_ITEM_THEN_NUMBERING, {"item": instance.id, "key": _NUMBERING_LOCK})


def _next_serial(session: Session, kind: str, year: int) -> int:
    with read_unflushed(session, Document):
        last = session.scalar(_LAST_SERIAL, {"of_kind": kind, "of_year": year})
    return int(last or 0) + 1


def copies(session: Session, instance_id: int, kind: str) -> list[Document]:
    """Every copy of the document of ``kind`` in force for an item (the newest issue; one copy per addressee),
    in issue order."""
    issues = _issues(session, instance_id, kind)
    return issues[-1] if issues else []


def _addressees(kind: str, content: dict[str, Any]) -> list[dict[str, str] | None]:
    """Who gets a copy of its own: each related window of a 联办通知; one copy without addressee otherwise."""
    if kind == "joint":
        return list(content.get("recipients") or [])
    return [None]


def issue(
    session: Session,
    instance_id: int,
    kind: str,
    actor: str,
    *,
    issuer: str | None = None,
    workflow: Any | None = None,
) -> dict[str, Any]:
    """Issue (or return the already issued) document of ``kind`` for an item: its first copy, with every copy
    (a 联办通知 has one per related window) under ``copies``.

    Each copy's number is the next of its kind and year; a number taken by a concurrent issue is skipped
    (the unique constraint ``uq_document_number`` decides), so numbers stay unique and gap-free per kind/year.
    """
    _check_kind(kind)
    instance = get_instance(session, instance_id)
    existing = copies(session, instance.id, kind)
    if existing:
        return view_with_copies(existing)
    now = services_of(session).now()
    content = _content(session, instance, kind, issuer or DEFAULT_ISSUER, now, workflow)
    return _issue_all(session, instance, kind, actor, now, content, action="document_issued")


def reissue(
    session: Session, instance_id: int, kind: str, actor: str, *, reason: str, issuer: str | None = None
) -> dict[str, Any]:
    """Issue an item's document of ``kind`` again, as the item stands now, under the next number (every copy):
    the new one names the number it replaces and why; the earlier issue stays on record (``earlier``)."""
    _check_kind(kind)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("请写明重新出具的原因 (give the reason for the re-issue)", field="reason")
    instance = get_instance(session, instance_id)
    previous = copies(session, instance.id, kind)
    if not previous:
        raise DocumentNotAvailable("本文书尚未出具，不能重新出具 (the document was never issued)")
    now = services_of(session).now()
    content = _content(session, instance, kind, issuer or DEFAULT_ISSUER, now)
    content.update(
        replaces="、".join(r.number for r in previous),
        reissue_reason=reason,
        issue=_issue_number(previous[0]) + 1,
    )
    return _issue_all(session, instance, kind, actor, now, content, action="document_reissued", reason=reason)


def _issue_all(
    session: Session,
    instance: ProcessInstance,
    kind: str,
    actor: str,
    now: datetime,
    content: dict[str, Any],
    *,
    action: str,
    **details: Any,
) -> dict[str, Any]:
    """Every copy of one issue (one per addressee), numbered in a row and audited as ``action``: one numbering
    lock, one read of the last number and one insert for all the copies; the audit entries are written with
    the step's other writes."""
    rows = _numbered_copies(session, instance, kind, actor, now, content, _addressees(kind, content))
    for row in rows:
        # the audit entry moves the instance's chain head: two racing issues for one item conflict and the
        # loser, retried by Services.run, finds the document the winner issued
        audit.record(
            session,
            action,
            actor=actor,
            instance=instance,
            kind=kind,
            number=row.number,
            document=row.id,
            addressee=row.addressee,
            **details,
        )
    return view_with_copies(rows)


def _numbered_copies(
    session: Session,
    instance: ProcessInstance,
    kind: str,
    actor: str,
    now: datetime,
    content: dict[str, Any],
    addressees: list[dict[str, str] | None],
) -> list[Document]:
    """The copies for ``addressees``, stored under the next numbers of their kind and year (consecutive), in one
    ``INSERT … ON CONFLICT DO NOTHING RETURNING`` without writing the step's other changes first. When a
    concurrent issue took one of the numbers, the copies this attempt stored are deleted, the last number is
    read again and all the copies are stored under the next ones: none is lost, numbers stay unique and in a
    row."""
    year = calendar(session).local_date(now).year
    _number_lock(session, instance)
    for _ in range(_MAX_SERIAL_TRIES):
        serial = _next_serial(session, kind, year)
        values = [
            {
                "instance_id": instance.id,
                "kind": kind,
                "year": year,
                "serial": serial + i,
                "number": format_number(kind, year, serial + i),
                "issued_at": now,
                "issued_by": actor,
                "content": {
                    **content,
                    **({"addressee": addressee} if addressee is not None else {}),
                    "number": format_number(kind, year, serial + i),
                },
                "addressee": addressee["code"] if addressee else None,
            }
            for i, addressee in enumerate(addressees)
        ]
        with session.no_autoflush:
            stored: dict[int, int] = dict(
                session.execute(_insert_copies(session), values).all()
            )  # serial: id
            if len(stored) == len(values):
                # the session's objects of the stored rows are not needed: these say what was stored
                return [Document(id=stored[value["serial"]], **value) for value in values]
            if stored:  # a concurrent issue took one of these numbers: take the next ones, for every copy
                session.execute(_DOCUMENTS.delete().where(_DOCUMENTS.c.id.in_(list(stored.values()))))
    raise InvalidInput("文书编号分配失败，请重试 (could not allocate a document number; try again)")


def _insert_copies(session: Session) -> Any:
    """The INSERT of an issue's copies in the session's dialect (one statement for all of them): it returns
    ``(serial, id)`` for each copy stored, nothing for a number taken already."""
    return _INSERT_COPIES[session.get_bind().dialect.name]


def get_document(session: Session, instance_id: int, kind: str) -> dict[str, Any] | None:
    """The issued document of ``kind`` for an item as a dict (every copy under ``copies``), or None."""
    rows = copies(session, instance_id, kind)
    return view_with_copies(rows) if rows else None


def list_documents(session: Session, instance_id: int) -> list[dict[str, Any]]:
    """Every kind with its issued document (or None) and whether it can be issued now."""
    instance = get_instance(session, instance_id)
    issued = {kind: copies(session, instance.id, kind) for kind in KINDS}
    issued = {kind: rows for kind, rows in issued.items() if rows}
    now = services_of(session).now()
    result = []
    for kind, meta in KINDS.items():
        available = kind in issued
        reason = ""
        if not available:
            try:
                _content(session, instance, kind, DEFAULT_ISSUER, now)
                available = True
            except DocumentNotAvailable as exc:
                reason = str(exc)
        result.append(
            {
                "kind": kind,
                "title": meta["title"],
                "document": view_with_copies(issued[kind]) if kind in issued else None,
                "earlier": earlier(session, instance.id, kind) if kind in issued else [],
                "available": available,
                "reason": reason,
            }
        )
    return result


def pauses(session: Session, instance_id: int) -> list[dict[str, Any]]:
    """The item's clock pauses (reason, local start date, and the last local day each covered: a pause a timer
    ended when its limit day was over, at the next midnight, ended on that limit day)."""
    days = calendar(session)
    return [
        {
            "reason": p.reason,
            "started": local_date(session, p.started_at),
            "ended": days.last_day_of(p.ended_at).isoformat() if p.ended_at else None,
        }
        for p in session.scalars(
            select(ClockPause).where(ClockPause.instance_id == instance_id).order_by(ClockPause.id)
        )
    ]

"""The complainant follows the complaint (issue 26): with the 登记编号 given at registration and the last four
digits of the phone left as contact, the complainant sees where the complaint stands, the window's answer, the
supervision office's feedback, and when the revisit (回访) is due or how it went.

Nothing else of the process is shown (the window's name, the clerks and the supervision office's notes stay
inside), and the complainant's own details are never echoed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from runner.core import engine
from runner.items.instances import current_data
from runner.models import Complaint, InstanceStatus, ProcessInstance
from runner.papers.documents import local_date

STEPS = (
    ("registered", "已登记", "registered"),
    ("forwarded", "已转相关窗口答复", "forwarded to the window concerned"),
    ("answered", "窗口已答复", "answered by the window"),
    ("fed_back", "已向您反馈处理结果", "result fed back to you"),
    ("closed", "已回访办结", "revisited and closed"),
)
REVISIT_RESULTS = {"satisfied": ("满意", "satisfied"), "basically": ("基本满意", "basically satisfied"),
                   "not_satisfied": ("不满意", "not satisfied")}  # fmt: skip


def complaint_row(session: Session, instance: ProcessInstance) -> Complaint | None:
    return session.scalars(select(Complaint).where(Complaint.process_instance_id == instance.id)).first()


def complainant_contact(session: Session, instance: ProcessInstance) -> str:
    """The contact the complainant left (what the phone suffix is checked against); empty if none."""
    row = complaint_row(session, instance)
    return row.contact if row is not None else ""


def _moment(session: Session, value: Any) -> str | None:
    try:
        return local_date(session, datetime.fromisoformat(str(value))) if value else None
    except ValueError:
        return None


def complaint_progress(session: Session, instance: ProcessInstance, state: str) -> dict[str, Any]:
    """The complainant's view of the complaint handled by ``instance`` (after the phone check), which stands at
    ``state`` (``runner.applicants.service.sync_complaint``)."""
    row = complaint_row(session, instance)
    with engine.read(session, instance) as workflow:
        data = current_data(workflow)
    reached = [code for code, _zh, _en in STEPS].index(state) if state in [s[0] for s in STEPS] else 0
    revisit_code = str(data.get("revisit_result") or "")
    return {
        "kind": "complaint",
        "business_key": instance.business_key,
        "state": state,
        "steps": [{"zh": zh, "en": en, "done": i <= reached} for i, (_c, zh, en) in enumerate(STEPS)],
        "registered_on": local_date(session, row.created_at) if row is not None else None,
        "content": row.content if row is not None else "",
        "about": data.get("about_business_key") or "",
        "answer": str(data.get("answer") or "") if data.get("answered_at") else "",
        "measures": str(data.get("measures") or "") if data.get("answered_at") else "",
        "answered_on": _moment(session, data.get("answered_at")),
        "feedback": str(data.get("feedback") or "") if data.get("fed_back_at") else "",
        "verified": data.get("verified") if data.get("fed_back_at") else None,
        "fed_back_on": _moment(session, data.get("fed_back_at")),
        "revisit_due": _moment(session, data.get("revisit_at")) if data.get("fed_back_at") else None,
        "revisited_on": _moment(session, data.get("revisited_at")),
        "revisit_result": REVISIT_RESULTS.get(revisit_code, (revisit_code, revisit_code))
        if revisit_code
        else None,
        "finished": instance.status in (InstanceStatus.COMPLETED, InstanceStatus.TERMINATED),
    }

"""The item page as a hub (办件详情): the catalogue item and version it runs under, a timeline of every step
with who, when and what they said, the materials the counter checked, the attachments (images and PDFs shown
in the browser), the documents issued, and the counter's buttons (收件决定, 补正材料已收到).

``hub(session, instance)`` gives the page's extra context (the inline view of attachments is
``workspace.attachments.preview``).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session

import runner
from forms.language import pick, shown_name
from forms.schema import UnknownForm, get_schema
from runner.catalogue.applications import application_view
from runner.catalogue.intake import acceptance_step, waiting_for_materials
from runner.core import engine
from runner.core.conventions import task_properties
from runner.items.attachments import list_attachments
from runner.items.permissions import Facts, allowed
from runner.models import AuditEntry, OpenTask, ProcessInstance, User
from runner.papers.documents import list_documents
from workspace.access import can_work_on, who_now
from workspace.attachments import PREVIEWABLE

TIMELINE_LIMIT = 500
# audit actions a person looking at an item reads (logins and the like are not about the item)
ACTIONS: dict[str, tuple[str, str]] = {
    "start": ("收件", "registered"),
    "item_registered": ("登记事项", "item registered"),
    "intake_decision": ("收件决定", "intake decision"),
    "claim": ("认领", "claimed"),
    "unclaim": ("释放", "released"),
    "complete": ("办理", "completed"),
    "reassign": ("转办", "handed over"),
    "delegate": ("委派", "delegated"),
    "delegation_answered": ("委派答复", "delegation answered"),
    "answer_delegation": ("委派答复", "delegation answered"),
    "send_back": ("退回", "sent back"),
    "withdraw": ("撤回", "withdrawn"),
    "urge": ("催办", "urged"),
    "copy_item": ("抄送", "copied"),
    "suspend": ("挂起", "suspended"),
    "resume": ("恢复", "resumed"),
    "terminate": ("终止", "terminated"),
    "message": ("收到消息", "message received"),
    "clock_paused": ("暂停计时", "clock paused"),
    "clock_resumed": ("恢复计时", "clock resumed"),
    "deemed_assent": ("默认同意", "deemed assent"),
    "extension_requested": ("申请延期", "extension requested"),
    "extension_approved": ("批准延期", "extension approved"),
    "extension_refused": ("不批准延期", "extension refused"),
    "extend": ("延期", "extended"),
    "warning": ("预警", "warning"),
    "acknowledge_warning": ("纠错回告", "warning answered"),
    "document_issued": ("出具文书", "document issued"),
    "add_reviewer": ("加签", "reviewer added"),
    "remove_reviewer": ("减签", "reviewer removed"),
    "accepted_on_receipt": ("视为受理", "accepted on receipt"),
    "retry": ("重试", "retried"),
    "migrate": ("迁移版本", "migrated"),
    "proxied": ("委托代办", "proxied"),
    "assigned_to_head": ("交窗口负责人", "to the window head"),
    "assignee_disabled": ("指定经办人已停用，交窗口", "named clerk disabled: left to the window"),
    "rated": ("评价", "rated"),
}
DETAIL_KEYS = ("reason", "note", "reply", "message", "days", "decision", "missing", "to_window", "to_user",
               "window", "level", "rule", "number", "opinion")  # fmt: skip
SKIP_VALUES = (None, "", [], {})
WORDS = {
    "materials_resubmitted": ("申请人补交材料", "materials resubmitted"),
    "upper_reply": ("上级批复", "upper authority's reply"),
    "accepted": ("受理", "accepted"),
    "notified": ("一次性告知补正", "one-time notice"),
    "refused": ("不予受理", "refused"),
}


def _names(session: Session) -> tuple[dict[str, str], dict[str, str]]:
    users = {u: d for u, d in session.execute(select(User.username, User.display_name))}
    windows = {w.code: shown_name(w.name, w.name_en) for w in runner.list_windows(session)}
    return users, windows


def _shown(value: Any, windows: dict[str, str]) -> str:
    if isinstance(value, bool):
        return pick("是", "yes") if value else pick("否", "no")
    if isinstance(value, list):
        return "、".join(_shown(v, windows) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{windows.get(k, k)}: {_shown(v, windows)}" for k, v in value.items())
    if isinstance(value, str) and value in WORDS:
        return pick(*WORDS[value])
    return windows.get(str(value), str(value)) if isinstance(value, str) else str(value)


def _chosen(choices: dict[Any, str], value: Any) -> Any:
    """A choice's label for a plain value; a structured value (a dict, a list of them) stays as it is."""
    return choices.get(value, value) if isinstance(value, str | int | float | bool) else value


def _said_in_form(session: Session, task: Any, fields: list[str], windows: dict[str, str]) -> list[str]:
    """What a completed step's form recorded: "label: value" for each submitted field of the form (choices by
    their labels; what the form computes itself is left out)."""
    form_key = task_properties(task.task_spec).get("formKey")
    try:
        specs = {f.name: f for f in get_schema(form_key, session).fields}
    except UnknownForm:
        specs = {}
    said = []
    for name in fields:
        value, spec = task.data.get(name), specs.get(name)
        if spec is None or value in SKIP_VALUES:
            continue
        choices = {c.value: c.text for c in spec.choices}
        shown = [_chosen(choices, v) for v in value] if isinstance(value, list) else _chosen(choices, value)
        said.append(f"{spec.text}: {_shown(shown, windows)}")
    return said


def _task_of(workflow: Any, task_id: str | None) -> Any:
    if not task_id:
        return None
    try:
        return workflow.get_task_from_id(UUID(task_id))
    except Exception:  # noqa: BLE001 - spiff raises its own TaskNotFound; a task gone from the tree
        return None


def timeline(session: Session, instance: ProcessInstance) -> list[dict[str, Any]]:
    """Every step of the item, oldest first: when (UTC), who (name), what, and what they said."""
    users, windows = _names(session)
    rows = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.instance_id == instance.id)
        .order_by(AuditEntry.id)
        .limit(TIMELINE_LIMIT)
    )
    out = []
    with engine.read(session, instance) as workflow:
        for row in rows:
            label = ACTIONS.get(row.action)
            if label is None:
                continue
            detail = row.detail or {}
            said = [f"{_shown(detail[k], windows)}" for k in DETAIL_KEYS if detail.get(k) not in SKIP_VALUES]
            if row.action == "complete":
                task = _task_of(workflow, row.task_id)
                if task is not None:
                    said = _said_in_form(session, task, list(detail.get("fields") or []), windows)
            out.append(
                {
                    "at": row.at,
                    "who": users.get(row.actor, row.actor),
                    "for": users.get(row.on_behalf_of, row.on_behalf_of) if row.on_behalf_of else None,
                    "action": pick(*label),
                    "step": row.task_name,
                    "said": said,
                }
            )
    return out


def hub(session: Session, instance: ProcessInstance) -> dict[str, Any]:
    """The hub's part of the item page."""
    users, windows = _names(session)
    files = list_attachments(session, instance.id)
    for f in files:
        f["previewable"] = f["content_type"] in PREVIEWABLE
        f["image"] = f["content_type"].startswith("image/")
        f["uploaded_by_name"] = users.get(f["uploaded_by"], f["uploaded_by"])
    open_steps = [
        {"id": t.task_id, "name": t.name, "window": windows.get(t.window or "", t.window or "—"),
         "assignee": users.get(t.assignee or "", t.assignee), "mine": can_work_on({"window": t.window, "assignee": t.assignee})}
        for t in session.scalars(select(OpenTask).where(OpenTask.instance_id == instance.id).order_by(OpenTask.created_at))
    ]  # fmt: skip
    lead = instance.lead_window
    at_counter = allowed("intake", who_now(), Facts({"lead_window": lead}))
    return {
        "application": application_view(session, instance.id),
        "lead_window_name": windows.get(lead or "", lead),
        "windows": windows,
        "timeline": timeline(session, instance),
        "attachments": files,
        "documents": list_documents(session, instance.id),
        "open_steps": open_steps,
        "can_decide": at_counter and acceptance_step(session, instance) is not None,
        "can_receive_materials": at_counter and bool(waiting_for_materials(session, instance)),
    }

"""The world the authorization matrix is tried in: one person per role, a joint item in review, and one of
everything a URL can name (task, item, attachment, warning, absence, proxy, message, draft ...).

``Persona`` names are the matrix's columns; ``url_args(world)`` fills every URL variable of the app.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select

import runner
from runner.design.drafts import open_draft
from runner.items.attachments import add_attachment
from runner.items.extensions import request_extension
from runner.models import AuditEntry, Notification, WarningEvent
from runner.people import directory
from runner.people.proxies import set_proxy
from tests.support.flow import complete, deploy_library, library_windows, start_item, task

FILES = ("block_correction.bpmn", "block_refusal.bpmn", "lianban_chaogao.bpmn")

# persona → (username, memberships)
PERSONAS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "lead_clerk": ("sc_clerk", [("shichang", "clerk")]),
    "reviewer": ("gt_clerk", [("guotu", "clerk")]),
    "outsider": ("mz_clerk", [("minzheng", "clerk")]),  # a clerk of a window the item does not involve
    "head": ("sc_head", [("shichang", "window_head"), ("shichang", "clerk")]),
    "leader": ("zhuren", [("leader", "leader")]),
    "supervisor": ("duban", [("supervision", "supervisor")]),
    "designer": ("sheji", [("centre", "designer")]),
    "admin": ("guanli", [("centre", "admin")]),
    "system": ("xitong", [("centre", "system")]),
}
ANONYMOUS = "anonymous"
ALL = (ANONYMOUS, *PERSONAS)


@dataclass
class World:
    ids: dict[str, Any] = field(default_factory=dict)

    def username(self, persona: str) -> str:
        return PERSONAS[persona][0]


def build(services: runner.Services) -> World:
    """Create the people and the objects (one transaction per step, as the platform does)."""
    world = World()
    with services.transaction() as s:
        runner.upsert_windows(s, library_windows())
    for username, memberships in PERSONAS.values():
        with services.transaction() as s:
            directory.create_user(s, username, username, "banjian2026", memberships)
    with services.transaction() as s:
        directory.create_user(s, "gt_clerk2", "gt_clerk2", "banjian2026", [("guotu", "clerk")])
        directory.create_user(s, "bystander", "bystander", "banjian2026", [("minzheng", "clerk")])
    deploy_library(services, *FILES)
    iid = start_item(
        services, "lianban_chaogao", {"lead_window": "shichang", "applicant": "张三"}, actor="sc_clerk"
    )
    complete(
        services, task(services, iid, "accept")["id"],
        {"related_windows": ["guotu", "huanbao", "guihua"], "review_days": 3, "materials_complete": True,
         "materials_list": ["申请书"]},
        actor="sc_clerk",
    )  # fmt: skip
    review = task(services, iid, "review", window="guotu")
    with services.transaction() as s:
        accept_id = s.scalar(
            select(AuditEntry.task_id).where(AuditEntry.instance_id == iid, AuditEntry.action == "complete")
        )
    now = services.now()
    with services.transaction() as s:
        instance = runner.get_instance(s, iid)
        content = b"%PDF-1.4 matrix"
        attachment = add_attachment(
            s, instance_id=iid, task_id=None, field="materials", filename="申请书.pdf",
            storage_name="matrix-" + hashlib.sha256(content).hexdigest(), content_type="application/pdf",
            size=len(content), sha256=hashlib.sha256(content).hexdigest(), uploaded_by="sc_clerk",
        )  # fmt: skip
        warning = WarningEvent(
            instance_id=iid, task_id=review["id"], task_name="审查", window="guotu", clerk="gt_clerk", rule="matrix",
            level="yellow", message="到期未办", created_at=now,
        )  # fmt: skip
        note = Notification(
            to_user="gt_clerk", kind="new_task", message="新任务", instance_id=iid, created_at=now
        )
        s.add_all([warning, note])
        s.flush()
        absence = directory.mark_absent(
            s, "gt_clerk2", "gt_clerk", now, now + timedelta(days=2), "出差", actor="gt_clerk2"
        )
        proxy = set_proxy(s, "gt_clerk2", "gt_clerk", now, now + timedelta(days=2), "培训", actor="gt_clerk2")
        extension = request_extension(s, iid, 2, reason="需现场核查", actor="sc_clerk")
        draft = open_draft(s, instance.definition_key, actor="sheji")
        s.flush()
        world.ids = {
            "accept_task_id": accept_id,
            "bystander": "bystander",
            "request_id": extension.id,
            "draft_id": draft.id,
            "instance_id": iid,
            "business_key": instance.business_key,
            "task_id": review["id"],
            "attachment_id": attachment["id"],
            "warning_id": warning.id,
            "note_id": note.id,
            "absence_id": absence.id,
            "proxy_id": proxy.id,
            "key": instance.definition_key,
            "version": 1,
        }
    world.ids.update(_online_application(services))
    return world


def _online_application(services: runner.Services) -> dict[str, Any]:
    """A submitted online application of shichang (网上申报) with one upload: its id, file and private token."""
    from runner.catalogue import items
    from runner.catalogue.applications import Applicant
    from runner.online import applications, files, submission
    from tests.support.catalogue import demo

    with services.transaction() as s:
        items.save_item(s, demo("SC-001") | {"process": "lianban_chaogao"}, actor="guanli")
        row, token = applications.start_draft(
            s, "SC-001", Applicant("张三", "11010519491231002X", "13800001234")
        )
        row.phone_verified_at = services.now()
        names = [m["name"] for m in demo("SC-001")["materials"] if m["required"]]
        [first, *_] = files.add_files(
            s, row, [files.Upload(n, "m.pdf", "application/pdf", b"%PDF-1.4 matrix") for n in names]
        )
        submission.submit(s, row)
        return {"application_id": row.id, "file_id": first.id, "token": token}

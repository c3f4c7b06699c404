"""Shared set-up of the monitoring console tests: people with each role, real instances of the diagrams."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import runner
from runner.models import AuditEntry
from tests.support.flow import complete, deploy_library, describe, start_item, task

DATA = Path(__file__).resolve().parents[1] / "data"
LIBRARY = ("block_correction.bpmn", "block_refusal.bpmn", "chengnuo.bpmn")


def people(make_user: Any) -> None:
    """admin, supervisor, leader, a clerk and a window head of 社保, a designer."""
    make_user("admin", ("centre", "admin"))
    make_user("sup", ("supervision", "supervisor"))
    make_user("boss", ("leader", "leader"))
    make_user("clerk1", ("shebao", "clerk"))
    make_user("clerk2", ("shebao", "clerk"))
    make_user("designer1", ("centre", "designer"))


def deploy(services: runner.Services) -> None:
    """The 承诺件 diagram from bpmn/ and the test diagram that waits for an upper authority's reply."""
    deploy_library(services, *LIBRARY)
    with services.transaction() as s:
        runner.deploy(s, (DATA / "upper_reply.bpmn").read_bytes(), "upper_reply.bpmn", actor="designer")


def promised_item(services: runner.Services, applicant: str = "张三") -> int:
    """A 承诺件 waiting at its first step (受理)."""
    return start_item(services, "chengnuo", {"applicant": applicant, "lead_window": "shebao"})


def incident_item(services: runner.Services) -> int:
    """An item whose script step divides by zero after the report: status error, one open incident."""
    iid = start_item(services, "upper_reply", {"lead_window": "shebao", "total": 10, "copies": 0})
    complete(services, task(services, iid, "report")["id"], {"report_no": "R-1"})
    assert describe(services, iid)["status"] == "error"
    return iid


def waiting_item(services: runner.Services) -> int:
    """An item waiting for the upper authority's reply (message ``upper_reply``)."""
    iid = start_item(services, "upper_reply", {"lead_window": "shebao", "total": 10, "copies": 2})
    complete(services, task(services, iid, "report")["id"], {"report_no": "R-2"})
    assert describe(services, iid)["status"] == "waiting"
    return iid


def audit_actions(services: runner.Services, **where: Any) -> list[tuple[str, str]]:
    """(action, actor) of the audit entries matching ``where`` (columns of ``AuditEntry``), oldest first."""
    with services.transaction() as s:
        query = s.query(AuditEntry)
        for column, value in where.items():
            query = query.filter(getattr(AuditEntry, column) == value)
        return [(a.action, a.actor) for a in query.order_by(AuditEntry.id)]


def flashes(html: str) -> list[str]:
    """The texts of the flashed alerts on a console page."""
    found = re.findall(
        r'<div class="alert alert-(\w+) alert-dismissable">.*?</button>\s*(.*?)\s*</div>', html, re.S
    )
    return [f"{level}: {re.sub(r'<[^>]+>', '', text).strip()}" for level, text in found]


def accepted_item(services: runner.Services) -> int:
    """A 承诺件 past acceptance: in handling, with its deadline timer pending (no warning rules seeded)."""
    iid = promised_item(services)
    complete(services, task(services, iid, "accept")["id"], {"eligible": True, "materials_complete": True})
    complete(services, task(services, iid, "acceptance_notice")["id"], {"notice_no": "受字[2026]001号"})
    assert [t["status"] for t in describe(services, iid)["timers"]] == ["pending"]
    return iid

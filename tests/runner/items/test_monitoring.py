"""runner.items.monitoring (the console's reads) and the migration preview's view of finished steps."""

from __future__ import annotations

import re

import pytest

import runner
from runner.items import monitoring
from runner.models import AuditEntry
from runner.people.windows import save_window
from tests.runner.helpers import DATA, deploy_file
from tests.support.flow import complete, describe, send, start_item, task


def waiting_item(services) -> int:
    iid = start_item(services, "upper_reply", {"lead_window": "shebao", "total": 10, "copies": 2})
    complete(services, task(services, iid, "report")["id"], {})
    return iid


def test_counts_waiting_messages_and_labels(services, clock) -> None:
    deploy_file(services, "upper_reply.bpmn")
    waiting = waiting_item(services)
    broken = start_item(services, "upper_reply", {"lead_window": "shebao", "total": 10, "copies": 0})
    complete(services, task(services, broken, "report")["id"], {})
    with services.transaction() as s:
        assert monitoring.console_counts(s) == {"open_incidents": 1, "overdue_items": 0, "overdue_timers": 0}
        assert monitoring.waiting_messages(s, waiting) == ["upper_reply"]
        assert monitoring.waiting_messages(s, broken) == []
        labels = monitoring.instance_labels(s, [waiting, broken, waiting])
        assert {i: v["status"] for i, v in labels.items()} == {waiting: "waiting", broken: "error"}
        assert set(monitoring.definition_labels(s).values()) == {"upper_reply v1"}


def test_sweep_now_is_audited(services) -> None:
    with services.transaction() as s:
        assert monitoring.sweep_now(s, actor="admin") == {"checked": 0, "sent": 0}
    with services.transaction() as s:
        [entry] = s.query(AuditEntry).filter(AuditEntry.action == "sweep_requested").all()
        assert (entry.actor, entry.detail) == ("admin", {"checked": 0, "sent": 0})


def test_a_version_without_a_finished_step_is_no_target(services) -> None:
    """An item's stored history names every step it went through: a version lacking one could not load it."""
    deploy_file(services, "upper_reply.bpmn")
    waiting = waiting_item(services)  # "report" is done: it is in the item's history
    xml = (DATA / "upper_reply.bpmn").read_text()
    # v2 drops the report: the item starts with the calculation
    xml = re.sub(r'<bpmn:userTask id="report".*?</bpmn:userTask>', "", xml, flags=re.S)
    xml = xml.replace("<bpmn:flowNodeRef>report</bpmn:flowNodeRef>", "")
    xml = xml.replace('sourceRef="start" targetRef="report"', 'sourceRef="start" targetRef="calc"')
    xml = xml.replace('<bpmn:sequenceFlow id="f2" sourceRef="report" targetRef="calc"/>', "")
    xml = xml.replace("<bpmn:incoming>f2</bpmn:incoming>", "<bpmn:incoming>f1</bpmn:incoming>")
    with services.transaction() as s:
        runner.deploy(s, xml.encode(), "upper_reply.bpmn", actor="designer")
    with services.transaction() as s:
        [found] = monitoring.migration_candidates(s, "upper_reply", 1, 2)
    assert (found["instance_id"], found["can_move"], found["blocking"]) == (waiting, False, ["report"])
    with pytest.raises(runner.InstanceNotActive), services.transaction() as s:
        runner.migrate_instance(s, waiting, 2, actor="admin")
    # the item stays on v1 and goes on
    send(services, "upper_reply", describe(services, waiting)["business_key"], {"approved": True})
    view = describe(services, waiting)
    assert view["definition_version"] == 1 and [t["spec_name"] for t in view["tasks"]] == ["notify"]


def test_save_window_is_checked_and_audited(services) -> None:
    with services.transaction() as s:
        save_window(s, "gongan", "公安窗口", actor="admin")
    with services.transaction() as s:
        assert "gongan" in runner.known_windows(s)
        save_window(s, "gongan", "公安窗口", actor="admin", active=False)
    with services.transaction() as s:
        assert "gongan" not in runner.known_windows(s)
    for code, name in (("", "x"), ("a b", "x"), ("公安", "x"), ("ok", "")):
        with pytest.raises(runner.InvalidInput), services.transaction() as s:
            save_window(s, code, name, actor="admin")

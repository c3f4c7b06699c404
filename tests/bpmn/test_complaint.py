"""投诉处理 (bpmn/complaint.bpmn): register → the window answers within 5 working days → feedback → revisit.

The clock starts Mon 2026-09-28 09:00 (Shanghai), before National Day (10-01..10-07, make-up working
day Sat 10-10). 5 working days from Mon 09-28: 09-29, 09-30, 10-08, 10-09, 10-10 (Sat) → end of Sat
10-10 (15:59:59 UTC).
"""

from __future__ import annotations

from typing import Any

import runner
from runner.applicants import service as applicant
from runner.models import Complaint, WarningEvent
from tests.support.flow import advance_to, complete, deploy_library, describe, local, start_item, task, tasks

ANSWER_DUE = "2026-10-10T15:59:59+00:00"
ANSWER_OVER = "2026-10-10T16:00:00+00:00"  # its timer: when the day is over (is_late)


def register(services: Any, **overrides: Any) -> dict[str, Any]:
    form = {
        "channel": "phone",
        "complainant": "李四",
        "contact": "13912345678",
        "address": "某县某镇某村 8 号",
        "content": "营业执照办理多次往返，窗口未一次性告知所需材料",
        "actor": "supervisor",
        **overrides,
    }
    with services.transaction() as s:
        return applicant.register_complaint(s, **form)


def complaint_row(services: Any, complaint_id: int) -> dict[str, Any]:
    with services.transaction() as s:
        return applicant.sync_complaint(s, complaint_id)


def warnings(services: Any) -> list[tuple[str, str | None, str]]:
    with services.transaction() as s:
        return [(w.level, w.window, w.message) for w in s.query(WarningEvent).order_by(WarningEvent.id)]


def test_complaint_answered_in_time_then_fed_back_and_revisited(services, clock):
    deploy_library(services, "complaint.bpmn")
    registered = register(services)
    iid = registered["process_instance_id"]
    assert registered["state"] == "registered"

    view = describe(services, iid)
    assert (view["item_kind"], view["lead_window"], view["definition_key"]) == (
        "complaint",
        "supervision",
        "complaint",
    )
    # the complainant's identity and contact never enter the process data
    text = repr(view["data"])
    for secret in ("李四", "13912345678", "某县某镇某村"):
        assert secret not in text
    assert view["data"]["content"] == "营业执照办理多次往返，窗口未一次性告知所需材料"

    reg = task(services, iid, "register")
    assert (reg["window"], reg["form_key"], reg["limit_days"]) == ("supervision", "complaint_register", 1)
    complete(
        services, reg["id"], {"window": "shichang", "register_note": "涉及市场监管窗口"}, actor="supervisor"
    )
    assert complaint_row(services, registered["id"])["state"] == "forwarded"

    ans = task(services, iid, "answer")
    assert (ans["window"], ans["form_key"], ans["limit_days"], ans["due_at"]) == (
        "shichang",
        "complaint_answer",
        5,
        ANSWER_DUE,
    )
    assert [(t["name"], t["due_at"], t["status"]) for t in describe(services, iid)["timers"]] == [
        ("答复时限届满", ANSWER_OVER, "pending")
    ]
    clock.set(local("2026-10-09", "10:00"))
    complete(
        services,
        ans["id"],
        {"answer": "已向申请人致歉并一次性告知材料", "measures": "加强培训"},
        actor="clerk_sc",
    )
    assert complaint_row(services, registered["id"])["state"] == "answered"
    assert warnings(services) == []

    fb = task(services, iid, "feedback")
    assert (fb["window"], fb["form_key"]) == ("supervision", "complaint_feedback")
    complete(services, fb["id"], {"verified": True, "feedback": "投诉属实，已督促整改"}, actor="supervisor")
    row = complaint_row(services, registered["id"])
    assert (row["state"], row["verified"], row["window"]) == ("fed_back", True, "shichang")
    assert tasks(services, iid) == []  # waiting 5 working days before the revisit

    # 5 working days from Fri 10-09: 10-10 (Sat, make-up), 10-12 … 10-15 → end of Thu 10-15
    timers = describe(services, iid)["timers"]
    assert [(t["name"], t["due_at"]) for t in timers if t["status"] == "pending"] == [
        ("反馈后5个工作日", "2026-10-15T16:00:00+00:00")
    ]
    advance_to(services, clock, local("2026-10-16", "09:00"))
    rv = task(services, iid, "revisit")
    assert (rv["window"], rv["form_key"]) == ("supervision", "complaint_revisit")
    complete(
        services,
        rv["id"],
        {"revisit_result": "satisfied", "revisit_note": "投诉人对处理结果满意"},
        actor="supervisor",
    )

    assert describe(services, iid)["status"] == "completed"
    assert complaint_row(services, registered["id"])["state"] == "closed"
    assert warnings(services) == []


def test_silent_window_gets_a_yellow_card_and_must_still_answer(services, clock):
    deploy_library(services, "complaint.bpmn")
    registered = register(services, channel="letter", window="guotu")
    iid = registered["process_instance_id"]
    complete(services, task(services, iid, "register")["id"], {"window": "guotu"}, actor="supervisor")

    advance_to(services, clock, local("2026-10-12", "09:00"))
    assert warnings(services) == [("yellow", "guotu", "投诉答复超过 5 个工作日时限")]
    view = describe(services, iid)
    assert [w["level"] for w in view["warnings"]] == ["yellow"]
    # the window still has to answer; the warning is not repeated
    ans = task(services, iid, "answer")
    assert ans["window"] == "guotu"
    advance_to(services, clock, local("2026-10-20", "09:00"))
    assert len(warnings(services)) == 1
    complete(services, ans["id"], {"answer": "已整改"}, actor="clerk_gt")
    complete(services, task(services, iid, "feedback")["id"], {"verified": False, "feedback": "经核实不属实"})
    row = complaint_row(services, registered["id"])
    assert (row["state"], row["verified"]) == ("fed_back", False)


def test_registration_without_a_window_is_asked_again(services):
    deploy_library(services, "complaint.bpmn")
    registered = register(services)
    iid = registered["process_instance_id"]
    complete(services, task(services, iid, "register")["id"], {"window": ""}, actor="supervisor")
    assert task(services, iid, "register")["form_key"] == "complaint_register"
    assert complaint_row(services, registered["id"])["state"] == "registered"


def test_complaint_about_an_item_goes_to_its_lead_window_by_default(services):
    deploy_library(services, "block_correction.bpmn", "block_refusal.bpmn", "jiban.bpmn", "complaint.bpmn")
    item = start_item(services, "jiban", {"applicant": "王五", "lead_window": "shichang"})
    key = describe(services, item)["business_key"]
    registered = register(services, receipt=key, channel="on_site")
    assert registered["window"] == "shichang"
    view = describe(services, registered["process_instance_id"])
    assert (view["data"]["about_business_key"], view["data"]["window"], view["title"]) == (
        key,
        "shichang",
        f"投诉：{key}",
    )
    with services.transaction() as s:
        row = s.get(Complaint, registered["id"])
        assert (row.about_instance_id, row.contact) == (item, "13912345678")


def test_bad_registration_is_refused_with_the_field(services):
    deploy_library(services, "complaint.bpmn")
    cases = [
        ({"channel": "email"}, "channel"),
        ({"content": "  "}, "content"),
        ({"complainant": ""}, "complainant"),
        ({"contact": ""}, "contact"),
        ({"receipt": "2026-999999"}, "receipt"),
        ({"window": "nowhere"}, "window"),
    ]
    for overrides, field in cases:
        try:
            register(services, **overrides)
        except runner.InvalidInput as exc:
            assert exc.context.get("field") == field
        else:
            raise AssertionError(f"{overrides} was accepted")
    with services.transaction() as s:
        assert s.query(Complaint).count() == 0

"""延期 handling (001 项目审批督促检查制度 第四条): bpmn/yanqi.bpmn.

Started by the supervision office on Mon 2026-09-28 09:00 (01:00 UTC) for an item of the 国土 window
that is 3 consecutive working days past its limit.
"""

from __future__ import annotations

from typing import Any

from tests.support import flow

LATE_ITEM = "2026-000042"
RED = ("red", "办件2026-000042连续3个工作日超期未办结", "guotu", "2026-09-28T01:00:00+00:00")


def start_yanqi(services: Any) -> int:
    flow.deploy_library(services, "block_correction.bpmn", "block_refusal.bpmn", "yanqi.bpmn")
    return flow.start_item(
        services,
        "yanqi",
        {"item_business_key": LATE_ITEM, "window": "guotu", "lead_window": "guotu"},
        actor="supervisor",
    )


def warnings(services: Any, iid: int) -> list[tuple[str, str, str | None, str]]:
    return [
        (w["level"], w["message"], w["window"], w["created_at"])
        for w in flow.describe(services, iid)["warnings"]
    ]


def open_tasks(services: Any, iid: int) -> list[tuple[str, str | None, str | None, str | None]]:
    return sorted(
        (t["spec_name"], t["window"], t["form_key"], t["due_at"]) for t in flow.tasks(services, iid)
    )


def find_cause(services: Any, iid: int, fault: str) -> None:
    assert open_tasks(services, iid) == [
        ("delay_cause", "supervision", "delay_cause", "2026-09-29T15:59:59+00:00")
    ]
    flow.complete(
        services,
        flow.task(services, iid, "delay_cause")["id"],
        {
            "fault": fault,
            "explanation": "当事人未按告知补交材料" if fault == "applicant" else "承办人出差未交接",
        },
        actor="supervisor",
    )


def test_start_records_a_red_card_against_the_window(services, clock):
    iid = start_yanqi(services)
    view = flow.describe(services, iid)
    assert view["item_kind"] == "extension"
    assert view["status"] == "running"
    assert view["deadline"] is None
    assert warnings(services, iid) == [RED]
    assert flow.actions(services, iid) == ["start", "warning"]


def test_applicant_fault_returned(services, clock):
    iid = start_yanqi(services)
    find_cause(services, iid, "applicant")
    assert open_tasks(services, iid) == [
        ("delay_applicant_fault", "guotu", "delay_applicant_fault", "2026-09-29T15:59:59+00:00")
    ]
    flow.complete(
        services,
        flow.task(services, iid, "delay_applicant_fault")["id"],
        {"action": "return", "note": "申请人放弃"},
    )
    # the written return notice of block_refusal, by the responsible (lead) window, on the spot
    assert open_tasks(services, iid) == [("refusal", "guotu", "refusal", "2026-09-28T15:59:59+00:00")]
    flow.complete(
        services,
        flow.task(services, iid, "refusal")["id"],
        {"reason": "申请人逾期未补齐土地权属证明，作退件处理", "legal_basis": "项目审批督促检查制度第四条"},
    )
    view = flow.describe(services, iid)
    assert view["status"] == "completed"
    assert view["data"]["refused"] is True
    assert view["data"]["refusal_reason"] == "申请人逾期未补齐土地权属证明，作退件处理"
    assert "end_returned" in view["completed_path"]
    assert warnings(services, iid) == [RED]
    assert view["pauses"] == []
    assert flow.actions(services, iid) == ["start", "warning", "complete", "complete", "complete"]


def test_applicant_fault_asked_for_materials(services, clock):
    iid = start_yanqi(services)
    find_cause(services, iid, "applicant")
    flow.complete(services, flow.task(services, iid, "delay_applicant_fault")["id"], {"action": "correction"})
    notice = flow.task(services, iid, "correction_notice")
    assert (notice["window"], notice["form_key"], notice["due_at"]) == (
        "guotu",
        "correction_notice",
        "2026-09-29T15:59:59+00:00",
    )
    clock.set(flow.local("2026-09-28", "10:00"))
    flow.complete(services, notice["id"], {"missing_materials": ["土地权属证明", "四至界址图"]})
    view = flow.describe(services, iid)
    assert view["status"] == "waiting"
    assert view["pauses"] == [{"reason": "补正", "started_at": "2026-09-28T02:00:00+00:00", "ended_at": None}]

    clock.set(flow.local("2026-10-09", "15:00"))
    flow.send(
        services, "materials_resubmitted", view["business_key"], {"materials": ["土地权属证明", "四至界址图"]}
    )
    check = flow.task(services, iid, "materials_check")
    assert check["window"] == "guotu"
    flow.complete(services, check["id"], {"complete": True})

    view = flow.describe(services, iid)
    assert view["status"] == "completed"
    assert view["data"]["correction_result"] == "complete"
    assert "end_corrected" in view["completed_path"]
    assert view["pauses"] == [
        {"reason": "补正", "started_at": "2026-09-28T02:00:00+00:00", "ended_at": "2026-10-09T07:00:00+00:00"}
    ]
    assert warnings(services, iid) == [RED]
    assert flow.actions(services, iid) == [
        "start",
        "warning",
        "complete",  # delay_cause
        "complete",  # delay_applicant_fault
        "complete",  # correction_notice
        "clock_paused",
        "message",
        "timer_cancelled",  # the applicant's correction limit
        "clock_resumed",
        "complete",  # materials_check
    ]


def test_agency_fault_remedy_plan_and_followup(services, clock):
    iid = start_yanqi(services)
    find_cause(services, iid, "agency")
    assert open_tasks(services, iid) == [
        ("delay_remedy_plan", "guotu", "delay_remedy_plan", "2026-09-29T15:59:59+00:00")
    ]
    clock.set(flow.local("2026-09-29", "11:00"))
    flow.complete(
        services,
        flow.task(services, iid, "delay_remedy_plan")["id"],
        {
            "explanation": "承办人出差，已向申请人致歉",
            "remedy": "B岗接办，优先审核",
            "new_date": "2026-10-09",
        },
    )
    # the supervision office's follow-up is due the next working day after 09-29: 09-30
    assert open_tasks(services, iid) == [
        ("delay_followup", "supervision", "delay_followup", "2026-09-30T15:59:59+00:00")
    ]
    flow.complete(
        services,
        flow.task(services, iid, "delay_followup")["id"],
        {"contacted": True, "applicant_opinion": "同意新的办结日期", "confirmed": True},
        actor="supervisor",
    )
    view = flow.describe(services, iid)
    assert view["status"] == "completed"
    assert view["data"]["new_date"] == "2026-10-09"
    assert "end_remedied" in view["completed_path"]
    assert warnings(services, iid) == [RED]
    assert [(a["action"], a["actor"]) for a in view["audit"]] == [
        ("start", "supervisor"),
        ("warning", "system"),
        ("complete", "supervisor"),
        ("complete", "clerk"),
        ("complete", "supervisor"),
    ]

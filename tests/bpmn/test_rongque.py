"""容缺受理 (bpmn/rongque.bpmn, seed 004 容缺办理制度): accept now, the applicant supplies secondary materials later.

Clock: Mon 2026-09-28 09:00 Asia/Shanghai; National Day 10-01..10-07, make-up working day Sat 10-10.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import flow

SUPPLY_BY = "2026-10-09"
SUPPLY_DEADLINE = "2026-10-09T15:59:59+00:00"  # end of the supply date, Shanghai
SUPPLY_OVER = "2026-10-09T16:00:00+00:00"  # its timer: when the supply date is over (is_late)
DEADLINE = "2026-10-16T15:59:59+00:00"  # promisedDays 10


@pytest.fixture
def item(services) -> int:
    flow.deploy_library(services, "block_correction.bpmn", "block_refusal.bpmn", "rongque.bpmn")
    iid = flow.start_item(services, "rongque", {"applicant": "某食品有限公司"})
    do(services, iid, "accept", {"eligible": True, "materials_complete": True})
    commitment = do(
        services, iid, "tolerance_commitment",
        {"supply_by": SUPPLY_BY, "secondary_materials": ["从业人员健康证明"], "commitment_signed": True},
    )  # fmt: skip
    assert (commitment["window"], commitment["form_key"]) == ("centre", "tolerance_commitment")
    return iid


def do(services, iid: int, name: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    found = flow.task(services, iid, name)
    flow.complete(services, found["id"], data or {})
    return found


def open_tasks(services, iid: int) -> list[str]:
    return sorted(t["spec_name"] for t in flow.describe(services, iid)["tasks"])


def test_accepted_now_review_and_supply_wait_in_parallel(services, clock, item):
    view = flow.describe(services, item)
    assert (view["item_kind"], view["deadline"]) == ("tolerant", DEADLINE)
    assert view["data"]["supply_deadline"] == SUPPLY_DEADLINE
    assert open_tasks(services, item) == ["review"]
    assert [(t["name"], t["due_at"], t["status"]) for t in view["timers"]] == [
        ("承诺补齐日届满", SUPPLY_OVER, "pending")
    ]


def test_supplied_in_time(services, clock, item):
    do(services, item, "review", {"review_opinion": "主件符合法定形式"})
    do(services, item, "decide", {"approved": True, "decision_no": "食许[2026]8号"})
    view = flow.describe(services, item)
    assert view["status"] == "waiting"  # decided (批复先行), but not finished before the secondary materials
    assert view["tasks"] == []

    clock.set(flow.local("2026-10-08", "11:00"))
    flow.send(
        services, "materials_supplied", view["business_key"], {"supplied_materials": ["从业人员健康证明"]}
    )
    notify = flow.task(services, item, "notify")
    assert (notify["window"], notify["form_key"]) == ("centre", "completion_notice")
    do(services, item, "notify", {"delivery": "窗口领取"})
    view = flow.describe(services, item)
    assert view["status"] == "completed"
    assert view["data"]["tolerance_outcome"] == "supplied"
    assert view["data"]["supplied_at"] == "2026-10-08T03:00:00+00:00"
    assert [
        {k: w[k] for k in ("level", "rule", "window", "message", "created_at")} for w in view["warnings"]
    ] == [] and view["pauses"] == []
    assert view["timers"][0]["status"] == "cancelled"
    assert "end_done" in view["completed_path"] and "tolerance_overdue" not in view["completed_path"]
    assert flow.actions(services, item) == [
        "start", "complete", "complete", "complete", "complete", "message", "timer_cancelled", "complete",
    ]  # fmt: skip


def test_not_supplied_goes_to_overdue_handling_then_returned(services, clock, item):
    flow.advance_to(services, clock, flow.local("2026-10-10", "09:00"))
    view = flow.describe(services, item)
    assert [
        {k: w[k] for k in ("level", "rule", "window", "message", "created_at")} for w in view["warnings"]
    ] == [
        {
            "level": "overdue",
            "rule": "diagram",
            "window": "centre",
            "message": "容缺受理副件逾期未补齐（承诺补齐日 2026-10-09）",
            "created_at": SUPPLY_OVER,
        }
    ]
    overdue = flow.task(services, item, "tolerance_overdue")
    assert (overdue["window"], overdue["form_key"]) == ("centre", "tolerance_overdue")
    assert open_tasks(services, item) == ["review", "tolerance_overdue"]

    do(services, item, "review")
    do(services, item, "decide", {"approved": True})
    view = flow.describe(services, item)
    assert view["status"] == "running"  # the item cannot complete while the overdue branch is open
    assert open_tasks(services, item) == ["tolerance_overdue"]

    do(
        services,
        item,
        "tolerance_overdue",
        {"overdue_action": "return", "overdue_note": "申请人明确无法补齐"},
    )
    notice = do(services, item, "return_notice", {"return_note": "逾期未补齐副件，退回申请"})
    assert notice["form_key"] == "return_notice"
    view = flow.describe(services, item)
    assert view["status"] == "completed"
    assert view["data"]["tolerance_outcome"] == "returned"
    assert "end_tolerance_returned" in view["completed_path"] and "notify" not in view["completed_path"]
    assert flow.actions(services, item) == [
        "start", "complete", "complete", "timer_fired", "warning", "complete", "complete", "complete", "complete",
    ]  # fmt: skip


def test_not_supplied_withdraws_the_decision(services, clock, item):
    do(services, item, "review")
    do(services, item, "decide", {"approved": True, "decision_no": "食许[2026]9号"})
    flow.advance_to(services, clock, flow.local("2026-10-12", "09:00"))
    do(
        services,
        item,
        "tolerance_overdue",
        {"overdue_action": "withdraw", "overdue_note": "撤销先行作出的批复"},
    )
    withdrawal = do(services, item, "tolerance_withdrawal", {"withdrawal_no": "撤字[2026]1号"})
    assert (withdrawal["window"], withdrawal["form_key"]) == ("centre", "tolerance_withdrawal")
    view = flow.describe(services, item)
    assert view["status"] == "completed"
    assert view["data"]["tolerance_outcome"] == "withdrawn"
    assert "end_withdrawn" in view["completed_path"]
    assert [w["level"] for w in view["warnings"]] == ["overdue"]
    assert flow.actions(services, item) == [
        "start", "complete", "complete", "complete", "complete", "timer_fired", "warning", "complete", "complete",
    ]  # fmt: skip


def test_not_supplied_suspends_with_clock_paused_until_late_supply(services, clock, item):
    flow.advance_to(services, clock, flow.local("2026-10-10", "09:00"))
    do(
        services,
        item,
        "tolerance_overdue",
        {"overdue_action": "suspend", "overdue_note": "申请人申请延后补齐"},
    )
    view = flow.describe(services, item)
    assert view["pauses"] == [
        {
            "reason": "容缺副件逾期未补齐，暂停办理",
            "started_at": "2026-10-10T01:00:00+00:00",
            "ended_at": None,
        }
    ]
    do(services, item, "review")
    do(services, item, "decide", {"approved": True})
    assert flow.describe(services, item)["status"] == "waiting"

    clock.set(flow.local("2026-10-13", "09:00"))
    flow.send(
        services, "materials_supplied", view["business_key"], {"supplied_materials": ["从业人员健康证明"]}
    )
    view = flow.describe(services, item)
    assert view["pauses"][0]["ended_at"] == "2026-10-13T01:00:00+00:00"
    # paused (10-10, 10-13]: 10-12, 10-13 = 2 working days → 10-16 + 2 = Tue 10-20
    assert view["deadline"] == "2026-10-20T15:59:59+00:00"
    do(services, item, "notify")
    view = flow.describe(services, item)
    assert view["status"] == "completed"
    assert view["data"]["tolerance_outcome"] == "supplied_late"
    assert "end_done" in view["completed_path"]
    assert flow.actions(services, item) == [
        "start", "complete", "complete", "timer_fired", "warning", "complete", "clock_paused",
        "complete", "complete", "message", "clock_resumed", "complete",
    ]  # fmt: skip


def test_main_materials_incomplete_go_through_correction_first(services, clock):
    flow.deploy_library(services, "block_correction.bpmn", "block_refusal.bpmn", "rongque.bpmn")
    iid = flow.start_item(services, "rongque", {"applicant": "某食品有限公司"})
    do(services, iid, "accept", {"eligible": True, "materials_complete": False})
    do(services, iid, "correction_notice", {"missing_materials": ["食品经营场所平面图"]})
    clock.set(flow.local("2026-09-29", "16:00"))
    flow.send(
        services,
        "materials_resubmitted",
        flow.describe(services, iid)["business_key"],
        {"materials": ["平面图"]},
    )
    do(services, iid, "materials_check", {"complete": True})
    # main materials now complete: the tolerance commitment for the secondary ones follows
    do(
        services,
        iid,
        "tolerance_commitment",
        {"supply_by": "2026-10-12", "secondary_materials": ["健康证明"]},
    )
    view = flow.describe(services, iid)
    # paused (09-28, 09-29] = 1 working day → 10-16 + 1 = Mon 10-19
    assert view["deadline"] == "2026-10-19T15:59:59+00:00"
    assert [(t["name"], t["due_at"]) for t in view["timers"] if t["status"] == "pending"] == [
        ("承诺补齐日届满", "2026-10-12T16:00:00+00:00")
    ]
    assert open_tasks(services, iid) == ["review"]
    assert flow.actions(services, iid) == [
        "start", "complete", "complete", "clock_paused", "message", "timer_cancelled", "clock_resumed",
        "complete", "complete",
    ]  # fmt: skip

"""退回件 / 不予受理 block (bpmn/block_refusal.bpmn): a written refusal with its reason, from every acceptance step.

Clock: Mon 2026-09-28 09:00 Asia/Shanghai.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.flow import actions, complete, deploy_library, describe, local, send, start_item, task

LIBRARY = ("block_correction.bpmn", "block_refusal.bpmn", "jiban.bpmn", "chengnuo.bpmn", "rongque.bpmn")
REASON = "申请项目属国家明令淘汰的落后产能，不符合产业政策"
BASIS = "《产业结构调整指导目录》淘汰类"


def do(services, iid: int, name: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    found = task(services, iid, name)
    complete(services, found["id"], data or {})
    return found


def test_block_alone_insists_on_a_written_reason(services, clock):
    deploy_library(services, "block_refusal.bpmn")
    iid = start_item(services, "block_refusal", {"lead_window": "shichang"})
    refusal = task(services, iid, "refusal")
    assert (refusal["window"], refusal["form_key"], refusal["limit_days"]) == ("shichang", "refusal", 0)
    assert refusal["due_at"] == "2026-09-28T15:59:59+00:00"  # on the spot: end of today

    do(services, iid, "refusal", {"reason": "   ", "legal_basis": BASIS})
    view = describe(services, iid)
    assert view["status"] == "running"  # no notice without a reason: the form comes back
    assert [t["spec_name"] for t in view["tasks"]] == ["refusal"]
    assert "issue_refusal" not in view["completed_path"]

    do(services, iid, "refusal", {"reason": f"  {REASON} "})
    view = describe(services, iid)
    assert view["status"] == "completed"
    assert view["data"]["refused"] is True
    assert view["data"]["refusal_reason"] == REASON
    assert view["data"]["refusal_legal_basis"] == BASIS  # kept from the first attempt
    assert view["data"]["refused_at"] == "2026-09-28T01:00:00+00:00"
    assert "refusal_end" in view["completed_path"]
    assert actions(services, iid) == ["start", "complete", "complete"]


@pytest.mark.parametrize(
    ("key", "kind", "deadline"),
    [
        ("jiban", "immediate", "2026-09-28T15:59:59+00:00"),  # promisedDays 0: end of the day
        ("chengnuo", "promised", "2026-10-16T15:59:59+00:00"),  # 10 working days across National Day
        ("rongque", "tolerant", "2026-10-16T15:59:59+00:00"),
    ],
)
def test_refusal_from_acceptance_step(services, clock, key, kind, deadline):
    deploy_library(services, *LIBRARY)
    iid = start_item(services, key, {"applicant": "某化工有限公司"})
    clock.set(local("2026-09-28", "10:15"))
    do(services, iid, "accept", {"eligible": False, "materials_complete": True})
    refusal = task(services, iid, "refusal")
    assert (refusal["window"], refusal["form_key"]) == ("centre", "refusal")
    assert refusal["item_kind"] == kind

    do(services, iid, "refusal", {"reason": REASON, "legal_basis": BASIS})
    view = describe(services, iid)
    assert view["status"] == "completed"
    assert view["deadline"] == deadline
    assert view["data"]["refused"] is True
    assert view["data"]["refusal_reason"] == REASON
    assert view["data"]["refused_at"] == "2026-09-28T02:15:00+00:00"
    assert "end_refused" in view["completed_path"]
    assert "correction_notice" not in view["completed_path"]
    assert view["timers"] == [] and view["pauses"] == [] and view["warnings"] == []
    assert actions(services, iid) == ["start", "complete", "complete"]


def test_refusal_after_correction_still_incomplete(services, clock):
    deploy_library(services, *LIBRARY)
    iid = start_item(services, "chengnuo", {"applicant": "李四"})
    do(services, iid, "accept", {"eligible": True, "materials_complete": False})
    do(services, iid, "correction_notice", {"missing_materials": ["房屋产权证明"]})
    clock.set(local("2026-09-30", "09:00"))
    send(
        services,
        "materials_resubmitted",
        describe(services, iid)["business_key"],
        {"materials": ["租赁合同"]},
    )
    do(services, iid, "materials_check", {"complete": False, "check_note": "仍缺房屋产权证明"})
    # one notice only: still incomplete → refused in writing, never a second correction notice
    do(
        services,
        iid,
        "refusal",
        {"reason": "补正后仍未提交房屋产权证明", "legal_basis": "《行政许可法》第三十二条"},
    )
    view = describe(services, iid)
    assert view["status"] == "completed"
    assert view["data"]["correction_result"] == "refused"
    assert view["data"]["refusal_reason"] == "补正后仍未提交房屋产权证明"
    assert "end_refused" in view["completed_path"]
    assert view["completed_path"].count("correction_notice") == 1
    assert view["pauses"] == [
        {"reason": "补正", "started_at": "2026-09-28T01:00:00+00:00", "ended_at": "2026-09-30T01:00:00+00:00"}
    ]
    assert actions(services, iid) == [
        "start", "complete", "complete", "clock_paused", "message", "timer_cancelled", "clock_resumed",
        "complete", "complete",
    ]  # fmt: skip

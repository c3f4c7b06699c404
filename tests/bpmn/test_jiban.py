"""即办件 (bpmn/jiban.bpmn): formal check, decided on the spot, deadline the end of the acceptance day.

Clock: Mon 2026-09-28 09:00 Asia/Shanghai; National Day 10-01..10-07.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.flow import actions, complete, deploy_library, describe, local, send, start_item, task

END_OF_DAY = "2026-09-28T15:59:59+00:00"


@pytest.fixture
def item(services) -> int:
    deploy_library(services, "block_correction.bpmn", "block_refusal.bpmn", "jiban.bpmn")
    return start_item(services, "jiban", {"applicant": "王五", "title": "个体工商户名称预先核准"})


def do(services, iid: int, name: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    found = task(services, iid, name)
    complete(services, found["id"], data or {})
    return found


def test_done_on_the_spot(services, clock, item):
    view = describe(services, item)
    assert (view["item_kind"], view["lead_window"]) == ("immediate", "centre")
    assert view["deadline"] == END_OF_DAY  # promisedDays 0: the acceptance day itself
    accept = task(services, item, "accept")
    assert (accept["window"], accept["form_key"], accept["due_at"]) == ("centre", "acceptance", END_OF_DAY)

    do(services, item, "accept", {"eligible": True, "materials_complete": True})
    clock.set(local("2026-09-28", "09:20"))
    decide = do(services, item, "decide", {"approved": True, "decision_note": "准予核准"})
    assert (decide["form_key"], decide["due_at"]) == ("decision", END_OF_DAY)
    clock.set(local("2026-09-28", "09:25"))
    notify = do(services, item, "notify", {"delivery": "当场领取"})
    assert (notify["form_key"], notify["due_at"]) == ("completion_notice", END_OF_DAY)

    view = describe(services, item)
    assert view["status"] == "completed"
    assert view["ended_at"] == "2026-09-28T01:25:00+00:00"  # same day, before the deadline
    assert view["data"]["approved"] is True
    assert "end_done" in view["completed_path"]
    assert "correction" not in view["completed_path"] and "refusal" not in view["completed_path"]
    assert view["pauses"] == [] and view["warnings"] == [] and view["timers"] == []
    assert actions(services, item) == ["start", "complete", "complete", "complete"]


def test_refused_on_the_spot(services, clock, item):
    do(services, item, "accept", {"eligible": False, "materials_complete": True})
    refusal = task(services, item, "refusal")
    assert (refusal["window"], refusal["form_key"], refusal["due_at"]) == ("centre", "refusal", END_OF_DAY)
    do(
        services,
        item,
        "refusal",
        {"reason": "申请名称与已登记字号相同", "legal_basis": "《企业名称登记管理规定》"},
    )
    view = describe(services, item)
    assert view["status"] == "completed"
    assert view["data"]["refused"] is True
    assert view["data"]["refusal_reason"] == "申请名称与已登记字号相同"
    assert "end_refused" in view["completed_path"] and "decide" not in view["completed_path"]
    assert actions(services, item) == ["start", "complete", "complete"]


def test_correction_then_done_as_immediate_item(services, clock, item):
    do(services, item, "accept", {"eligible": True, "materials_complete": False})
    do(services, item, "correction_notice", {"missing_materials": ["经营场所使用证明"]})
    view = describe(services, item)
    assert view["pauses"] == [{"reason": "补正", "started_at": "2026-09-28T01:00:00+00:00", "ended_at": None}]
    assert view["deadline"] == END_OF_DAY

    clock.set(local("2026-10-09", "14:00"))
    send(services, "materials_resubmitted", view["business_key"], {"materials": ["经营场所使用证明"]})
    view = describe(services, item)
    # paused (09-28, 10-09]: 09-29, 09-30, 10-08, 10-09 = 4 working days; 09-28 + 4 = Fri 10-09, the resubmission day
    assert view["deadline"] == "2026-10-09T15:59:59+00:00"
    assert view["pauses"][0]["ended_at"] == "2026-10-09T06:00:00+00:00"
    do(services, item, "materials_check", {"complete": True})
    # back as an immediate item: decided the same day
    assert task(services, item, "decide")["due_at"] == "2026-10-09T15:59:59+00:00"
    do(services, item, "decide", {"approved": True})
    do(services, item, "notify")
    view = describe(services, item)
    assert view["status"] == "completed"
    assert view["data"]["correction_result"] == "complete"
    assert "end_done" in view["completed_path"]
    assert view["warnings"] == []
    assert actions(services, item) == [
        "start", "complete", "complete", "clock_paused", "message", "timer_cancelled", "clock_resumed",
        "complete", "complete", "complete",
    ]  # fmt: skip

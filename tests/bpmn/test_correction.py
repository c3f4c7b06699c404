"""补正 / 补办件 block (bpmn/block_correction.bpmn): one-time notice, clock paused while the applicant owes materials.

Started on its own here (as a caller would start it: ``lead_window`` and the item's ``promised_days`` in the data);
tests/bpmn/test_chengnuo.py drives it through a call activity. Clock: Mon 2026-09-28 09:00 Asia/Shanghai;
National Day 10-01..10-07, make-up working day Sat 10-10.
"""

from __future__ import annotations

from typing import Any

import pytest

from runner.papers import documents
from tests.support import flow

START_UTC = "2026-09-28T01:00:00+00:00"
# 10 working days from Mon 09-28: 09-29, 09-30, 10-08, 10-09, 10-10 (make-up Sat), 10-12 .. 10-16
DEADLINE = "2026-10-16T15:59:59+00:00"
DAY_OVER = "2026-10-16T16:00:00+00:00"  # the timer on DEADLINE: when its day is over (is_late)


@pytest.fixture
def item(services) -> int:
    flow.deploy_library(services, "block_correction.bpmn", "block_refusal.bpmn")
    return flow.start_item(services, "block_correction", {"lead_window": "centre", "promised_days": 10})


def do(services, iid: int, name: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    found = flow.task(services, iid, name)
    flow.complete(services, found["id"], data or {})
    return found


def test_notice_pauses_clock_until_resubmission_and_deadline_moves(services, clock, item):
    notice = flow.task(services, item, "correction_notice")
    assert (notice["window"], notice["form_key"], notice["limit_days"]) == ("centre", "correction_notice", 1)
    assert notice["due_at"] == "2026-09-29T15:59:59+00:00"
    assert flow.describe(services, item)["deadline"] == DEADLINE

    do(
        services,
        item,
        "correction_notice",
        {"missing_materials": ["营业执照副本", "法定代表人身份证明", " "]},
    )
    view = flow.describe(services, item)
    assert view["status"] == "waiting"
    assert view["data"]["missing_materials"] == ["营业执照副本", "法定代表人身份证明"]  # blanks dropped
    assert view["data"]["correction_days"] == 10  # the default
    assert view["pauses"] == [{"reason": "补正", "started_at": START_UTC, "ended_at": None}]
    assert view["deadline"] == DEADLINE  # unchanged while paused
    # the applicant's own limit: 10 working days, end of Fri 10-16
    [timer] = view["timers"]
    assert (timer["name"], timer["due_at"], timer["status"]) == ("补正期限届满", DAY_OVER, "pending")
    assert view["data"]["correction_due"] == DEADLINE

    clock.set(flow.local("2026-10-12", "10:00"))
    flow.send(
        services,
        "materials_resubmitted",
        view["business_key"],
        {"materials": ["营业执照副本", "法定代表人身份证明"]},
    )
    view = flow.describe(services, item)
    assert view["pauses"] == [
        {"reason": "补正", "started_at": START_UTC, "ended_at": "2026-10-12T02:00:00+00:00"}
    ]
    # paused working days (09-28, 10-12]: 09-29, 09-30, 10-08, 10-09, 10-10, 10-12 = 6 -> 10-16 + 6 = Mon 10-26
    assert view["deadline"] == "2026-10-26T15:59:59+00:00"
    assert view["timers"][0]["status"] == "cancelled"
    check = flow.task(services, item, "materials_check")
    assert (check["window"], check["form_key"]) == ("centre", "materials_check")

    do(services, item, "materials_check", {"complete": True})
    view = flow.describe(services, item)
    assert view["status"] == "completed"
    assert view["data"]["correction_result"] == "complete"
    assert view["data"]["materials_complete"] is True
    assert view["data"]["materials"] == ["营业执照副本", "法定代表人身份证明"]
    assert "end_complete" in view["completed_path"]
    assert view["warnings"] == [] and view["accountability"] == []
    assert flow.actions(services, item) == [
        "start", "complete", "clock_paused", "message", "timer_cancelled", "clock_resumed", "complete",
    ]  # fmt: skip


def test_empty_notice_is_not_issued_and_clock_keeps_running(services, clock, item):
    do(services, item, "correction_notice", {"missing_materials": []})
    view = flow.describe(services, item)
    # nothing listed: the notice comes back to the clerk, nothing was paused
    assert [t["spec_name"] for t in view["tasks"]] == ["correction_notice"]
    assert view["pauses"] == [] and view["timers"] == []
    do(services, item, "correction_notice", {"missing_materials": ["环评批复"]})
    view = flow.describe(services, item)
    assert view["status"] == "waiting"
    assert [p["started_at"] for p in view["pauses"]] == [START_UTC]
    assert flow.actions(services, item) == ["start", "complete", "complete", "clock_paused"]


def test_timeout_resumes_clock_and_returns_with_notice(services, clock):
    flow.deploy_library(services, "block_correction.bpmn", "block_refusal.bpmn")
    iid = flow.start_item(
        services, "block_correction", {"lead_window": "guotu", "promised_days": 10, "correction_days": 3}
    )
    do(services, iid, "correction_notice", {"missing_materials": ["土地权属证明"]})
    view = flow.describe(services, iid)
    # correction_days from the data: 3 working days = 09-29, 09-30, 10-08
    assert view["timers"][0]["due_at"] == "2026-10-08T16:00:00+00:00"

    flow.advance_to(services, clock, flow.local("2026-10-09", "09:00"))
    view = flow.describe(services, iid)
    assert view["pauses"] == [
        {"reason": "补正", "started_at": START_UTC, "ended_at": "2026-10-08T16:00:00+00:00"}
    ]
    # paused working days (09-28, 10-08] = 3 -> 10-16 + 3 = Wed 10-21
    assert view["deadline"] == "2026-10-21T15:59:59+00:00"
    with services.transaction() as s:  # the applicant reads the pause as ended on its limit day, not the next
        assert documents.pauses(s, iid) == [
            {"reason": "补正", "started": "2026-09-28", "ended": "2026-10-08"}
        ]
    notice = flow.task(services, iid, "return_notice")
    assert (notice["window"], notice["form_key"]) == ("guotu", "return_notice")

    do(services, iid, "return_notice", {"return_note": "逾期未补正，退回申请材料"})
    view = flow.describe(services, iid)
    assert view["status"] == "completed"
    assert view["data"]["correction_result"] == "returned"
    assert view["data"]["return_note"] == "逾期未补正，退回申请材料"
    assert "end_returned" in view["completed_path"]
    assert "materials_check" not in view["completed_path"]
    # the applicant's timer fires while the clock is paused (it is not an item_deadline timer)
    assert flow.actions(services, iid) == [
        "start",
        "complete",
        "clock_paused",
        "timer_fired",
        "clock_resumed",
        "complete",
    ]


def test_still_incomplete_after_resubmission_is_refused_without_a_second_notice(services, clock, item):
    do(services, item, "correction_notice", {"missing_materials": ["验资报告"]})
    clock.set(flow.local("2026-09-29", "15:00"))
    flow.send(
        services,
        "materials_resubmitted",
        flow.describe(services, item)["business_key"],
        {"materials": ["验资报告复印件"]},
    )
    do(services, item, "materials_check", {"complete": False, "check_note": "复印件未加盖公章"})
    view = flow.describe(services, item)
    assert view["status"] == "completed"
    assert view["data"]["correction_result"] == "refused"
    assert view["data"]["materials_complete"] is False
    assert "end_incomplete" in view["completed_path"]
    assert view["completed_path"].count("correction_notice") == 1  # one notice only (一次性告知)
    # paused (09-28, 09-29] = 1 working day
    assert view["deadline"] == "2026-10-19T15:59:59+00:00"
    assert view["pauses"][0]["ended_at"] == "2026-09-29T07:00:00+00:00"
    assert flow.actions(services, item) == [
        "start", "complete", "clock_paused", "message", "timer_cancelled", "clock_resumed", "complete",
    ]  # fmt: skip

"""社会保险关系转移接续 (003 第4条, 15 + 15 + 15 working days): bpmn/shebao_transfer.bpmn.

Working days after Mon 2026-09-28: 09-29, 09-30, 10-08, 10-09, 10-10 (make-up Saturday), 10-12 …
All due dates are written by hand; end of a working day = 15:59:59 UTC.
"""

from __future__ import annotations

from typing import Any

import runner
from tests.support import flow


def start_transfer(services: Any) -> int:
    flow.deploy_library(services, "block_refusal.bpmn", "shebao_transfer.bpmn")
    return flow.start_item(services, "shebao_transfer", {"applicant": "王五", "old_office": "某市社保局"})


def inbox(services: Any, window: str) -> list[tuple[str, str, str | None, str | None]]:
    """What a window's inbox shows: task, form, limit and due date."""
    with services.transaction() as s:
        found, _ = runner.list_tasks(s, window=window)
    return [(t["spec_name"], t["form_key"], t["limit_days"], t["due_at"]) for t in found]


def warnings(services: Any, iid: int) -> list[tuple[str, str, str | None, str]]:
    return [
        (w["level"], w["message"], w["window"], w["created_at"])
        for w in flow.describe(services, iid)["warnings"]
    ]


def test_transfer_end_to_end_with_each_office_due_dates(services, clock):
    iid = start_transfer(services)
    view = flow.describe(services, iid)
    assert (view["item_kind"], view["promised_days"], view["lead_window"]) == ("promised", 45, "shebao")
    # 45 working days from 09-28 (National Day skipped, 10-10 counted) end on Fri 12-04
    assert view["deadline"] == "2026-12-04T15:59:59+00:00"
    # new office: 15 working days: 29, 30, 10-08, 09, 10, 12 .. 16, 19 .. 23
    assert inbox(services, "shebao") == [("review", "review", 15, "2026-10-23T15:59:59+00:00")]
    assert inbox(services, "shebao_old") == []

    clock.set(flow.local("2026-10-12", "10:00"))
    flow.complete(
        services, flow.task(services, iid, "review")["id"], {"eligible": True, "opinion": "符合转移接续条件"}
    )
    # the acceptance letter is part of the same 15 days: still due 10-23 (9 working days left)
    assert inbox(services, "shebao") == [
        ("acceptance_letter", "transfer_acceptance_letter", 9, "2026-10-23T15:59:59+00:00")
    ]

    clock.set(flow.local("2026-10-13", "10:00"))
    flow.complete(
        services,
        flow.task(services, iid, "acceptance_letter")["id"],
        {"letter_no": "接收函[2026]7号", "old_office": "某市社保局", "sent_on": "2026-10-13"},
    )
    # old office: 15 working days from 10-13: 14, 15, 16, 19 .. 23, 26 .. 30, 11-02, 11-03
    assert inbox(services, "shebao") == []
    assert inbox(services, "shebao_old") == [
        ("transfer_out", "transfer_out", 15, "2026-11-03T15:59:59+00:00")
    ]

    clock.set(flow.local("2026-10-30", "10:00"))
    flow.complete(
        services,
        flow.task(services, iid, "transfer_out")["id"],
        {"transfer_no": "转出[2026]99号", "fund_amount": 52340.5},
    )
    # new office completes: 15 working days from 10-30: 11-02 .. 06, 09 .. 13, 16 .. 20
    assert inbox(services, "shebao") == [("completion", "completion_notice", 15, "2026-11-20T15:59:59+00:00")]

    clock.set(flow.local("2026-11-10", "10:00"))
    flow.complete(
        services, flow.task(services, iid, "completion")["id"], {"notified": "参保人", "result": "已接续"}
    )
    view = flow.describe(services, iid)
    assert view["status"] == "completed"
    assert flow.tasks(services, iid) == []
    assert warnings(services, iid) == []
    assert [(t["name"], t["due_at"], t["status"]) for t in view["timers"]] == [
        ("审核满15个工作日", "2026-10-23T16:00:00+00:00", "cancelled"),
        ("转出满15个工作日", "2026-11-03T16:00:00+00:00", "cancelled"),
        ("办结满15个工作日", "2026-11-20T16:00:00+00:00", "cancelled"),
    ]
    assert flow.actions(services, iid) == [
        "start",
        "complete",  # review
        "timer_cancelled",
        "complete",  # acceptance letter
        "complete",  # transfer out
        "timer_cancelled",
        "complete",  # completion
        "timer_cancelled",
    ]


def test_old_office_late_draws_a_yellow_card_against_it(services, clock):
    iid = start_transfer(services)
    flow.complete(services, flow.task(services, iid, "review")["id"], {"eligible": True})
    flow.complete(
        services, flow.task(services, iid, "acceptance_letter")["id"], {"letter_no": "接收函[2026]8号"}
    )
    # transfer out due 15 working days after 09-28: 10-23 (see above)
    assert inbox(services, "shebao_old") == [
        ("transfer_out", "transfer_out", 15, "2026-10-23T15:59:59+00:00")
    ]
    flow.advance_to(services, clock, flow.local("2026-10-26", "09:00"))
    assert warnings(services, iid) == [
        ("yellow", "原参保地转出超过15个工作日", "shebao_old", "2026-10-23T16:00:00+00:00")
    ]
    # still the old office's task; the new office's completion starts when it is done
    assert inbox(services, "shebao_old")[0][0] == "transfer_out"
    flow.complete(
        services, flow.task(services, iid, "transfer_out")["id"], {"transfer_no": "转出[2026]100号"}
    )
    assert inbox(services, "shebao") == [("completion", "completion_notice", 15, "2026-11-16T15:59:59+00:00")]
    flow.complete(services, flow.task(services, iid, "completion")["id"], {"result": "已接续"})
    assert flow.describe(services, iid)["status"] == "completed"
    assert flow.actions(services, iid) == [
        "start",
        "complete",
        "timer_cancelled",
        "complete",
        "timer_fired",
        "warning",
        "complete",
        "complete",
        "timer_cancelled",
    ]


def test_new_office_review_late_then_not_eligible(services, clock):
    iid = start_transfer(services)
    flow.advance_to(services, clock, flow.local("2026-10-26", "09:00"))
    assert warnings(services, iid) == [
        ("yellow", "新参保地审核超过15个工作日", "shebao", "2026-10-23T16:00:00+00:00")
    ]
    flow.complete(
        services, flow.task(services, iid, "review")["id"], {"eligible": False, "opinion": "缴费记录不连续"}
    )
    # a written explanation (block_refusal) instead of the acceptance letter
    assert inbox(services, "shebao") == [("refusal", "refusal", 0, "2026-10-26T15:59:59+00:00")]
    flow.complete(
        services,
        flow.task(services, iid, "refusal")["id"],
        {"reason": "不符合转移接续条件：原参保地缴费记录不连续", "legal_basis": "社会保险关系转移接续办法"},
    )
    view = flow.describe(services, iid)
    assert view["status"] == "completed"
    assert view["data"]["refused"] is True
    assert "end_refused" in view["completed_path"]
    assert "transfer_out" not in view["completed_path"]
    assert flow.actions(services, iid) == ["start", "timer_fired", "warning", "complete", "complete"]

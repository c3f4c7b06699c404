"""社保登记, a 10-working-day 承诺件 (003): bpmn/shebao_register.bpmn.

10 working days from Mon 2026-09-28: 09-29, 09-30, 10-08, 10-09, 10-10 (make-up Saturday), 10-12,
10-13, 10-14, 10-15, 10-16 → deadline Fri 10-16 23:59:59 Shanghai (15:59:59 UTC); the notice comes at
the start of the working day before it, Thu 10-15 00:00 Shanghai (10-14 16:00 UTC). The warnings come from
the warning-rule table (提示 −1, 黄牌 0, 红牌 +3), the one source of them: the diagram records none.
"""

from __future__ import annotations

from typing import Any

import runner
from tests.support import flow

DEADLINE = "2026-10-16T15:59:59+00:00"
NOTICE_AT = "2026-10-14T16:00:00+00:00"
YELLOW_AT = "2026-10-16T16:00:00+00:00"  # once the deadline's day is over (is_late)
RED_AT = "2026-10-21T16:00:00+00:00"  # once +3 is over: 10-19, 10-20, 10-21


def start_register(services: Any) -> int:
    flow.deploy_library(services, "shebao_register.bpmn")
    with services.transaction() as s:
        runner.seed_warning_rules(s)
    return flow.start_item(services, "shebao_register", {"applicant": "某某商贸有限公司"})


def open_tasks(services: Any, iid: int) -> list[tuple[str, str | None, str | None, int | None, str | None]]:
    return [
        (t["spec_name"], t["window"], t["form_key"], t["limit_days"], t["due_at"])
        for t in flow.tasks(services, iid)
    ]


def warnings(services: Any, iid: int) -> list[tuple[str, str, str | None, str]]:
    return [
        (w["level"], w["message"], w["window"], w["created_at"])
        for w in flow.describe(services, iid)["warnings"]
    ]


def test_registered_on_time(services, clock):
    iid = start_register(services)
    view = flow.describe(services, iid)
    assert (view["item_kind"], view["promised_days"], view["deadline"]) == ("promised", 10, DEADLINE)
    assert open_tasks(services, iid) == [("accept", "shebao", "acceptance", 1, "2026-09-29T15:59:59+00:00")]
    assert [(t["name"], t["due_at"], t["status"], t["kind"]) for t in view["timers"]] == [
        ("提示预警", NOTICE_AT, "pending", "rule"),
        ("黄牌预警", YELLOW_AT, "pending", "rule"),
        ("红牌预警", RED_AT, "pending", "rule"),
    ]
    flow.complete(
        services,
        flow.task(services, iid, "accept")["id"],
        {"applicant": "某某商贸有限公司", "materials_complete": True},
    )
    # the later steps are due at the item's promised deadline
    assert open_tasks(services, iid) == [("review", "shebao", "review", 10, DEADLINE)]
    clock.set(flow.local("2026-10-09", "10:00"))
    flow.complete(services, flow.task(services, iid, "review")["id"], {"opinion": "材料齐全，符合登记条件"})
    # from 10-09: 10, 12, 13, 14, 15, 16 = 6 working days left
    assert open_tasks(services, iid) == [("decision", "shebao", "decision", 6, DEADLINE)]
    flow.complete(
        services,
        flow.task(services, iid, "decision")["id"],
        {"approved": True, "decision_no": "社登[2026]12号"},
    )
    flow.complete(
        services, flow.task(services, iid, "notify")["id"], {"result": "approved", "notice_no": "告-12"}
    )

    view = flow.describe(services, iid)
    assert view["status"] == "completed"
    assert view["warnings"] == []
    assert [t["status"] for t in view["timers"]] == ["cancelled"] * 3
    assert flow.actions(services, iid) == ["start", "complete", "complete", "complete", "complete"]


def test_overdue_registration_gets_notice_then_overdue(services, clock):
    iid = start_register(services)
    flow.complete(services, flow.task(services, iid, "accept")["id"], {"materials_complete": True})
    flow.advance_to(services, clock, flow.local("2026-10-14", "23:00"))
    assert warnings(services, iid) == []
    flow.advance_to(services, clock, flow.local("2026-10-15", "09:00"))
    notice = "办件 2026-000001「社保登记」提示预警：承诺时限 2026-10-16"
    assert warnings(services, iid) == [("notice", notice, "shebao", NOTICE_AT)]
    flow.advance_to(services, clock, flow.local("2026-10-19", "09:00"))
    assert warnings(services, iid) == [
        ("notice", notice, "shebao", NOTICE_AT),
        ("yellow", "办件 2026-000001「社保登记」黄牌预警：承诺时限 2026-10-16", "shebao", YELLOW_AT),
    ]
    flow.complete(services, flow.task(services, iid, "review")["id"], {"opinion": "同意"})
    # past the deadline a step is due the same day
    assert open_tasks(services, iid) == [("decision", "shebao", "decision", 0, "2026-10-19T15:59:59+00:00")]
    flow.complete(services, flow.task(services, iid, "decision")["id"], {"approved": True})
    flow.complete(services, flow.task(services, iid, "notify")["id"], {"result": "approved"})

    view = flow.describe(services, iid)
    assert view["status"] == "completed"
    assert [t["status"] for t in view["timers"]] == [
        "fired",
        "fired",
        "cancelled",
    ]  # done before the red card
    assert flow.actions(services, iid) == [
        "start",
        "complete",
        "timer_fired",
        "warning",
        "timer_fired",
        "warning",
        "complete",
        "complete",
        "complete",
    ]

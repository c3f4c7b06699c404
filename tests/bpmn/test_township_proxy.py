"""乡镇便民服务中心上报县代办件 (004 三级代办): bpmn/township_proxy.bpmn with block_escalation.

Clock: Mon 2026-09-28 09:00 Shanghai; working days 09-29, 09-30, 10-08, 10-09, 10-10 (make-up), 10-12 …
"""

from __future__ import annotations

from typing import Any

from tests.support import flow

ACCEPTANCE = {"applicant": "赵大爷（78岁）", "proxy_agent": "村代办员 钱小红", "item": "高龄津贴申领"}


def start_proxy(services: Any) -> tuple[int, str]:
    flow.deploy_library(services, "block_escalation.bpmn", "township_proxy.bpmn")
    iid = flow.start_item(services, "township_proxy", {"applicant": "赵大爷（78岁）"}, actor="township_clerk")
    return iid, flow.describe(services, iid)["business_key"]


def open_tasks(services: Any, iid: int) -> list[tuple[str, str | None, str | None, str | None]]:
    return sorted(
        (t["spec_name"], t["window"], t["form_key"], t["due_at"]) for t in flow.tasks(services, iid)
    )


def test_township_proxy_end_to_end(services, clock):
    iid, bk = start_proxy(services)
    view = flow.describe(services, iid)
    assert (view["item_kind"], view["lead_window"]) == ("escalated", "township")
    assert open_tasks(services, iid) == [
        ("proxy_acceptance", "township", "proxy_acceptance", "2026-09-29T15:59:59+00:00")
    ]
    flow.complete(
        services, flow.task(services, iid, "proxy_acceptance")["id"], ACCEPTANCE, actor="township_clerk"
    )
    # reported to the county centre by the township within 3 working days: 29, 30, 10-08
    assert open_tasks(services, iid) == [("report", "township", "upper_report", "2026-10-08T15:59:59+00:00")]
    assert flow.describe(services, iid)["data"]["upper_authority"] == "county"

    clock.set(flow.local("2026-09-30", "10:00"))
    flow.complete(
        services,
        flow.task(services, iid, "report")["id"],
        {"report_no": "乡报[2026]5号", "upper_authority": "county", "summary": "代赵大爷申领高龄津贴"},
        actor="township_clerk",
    )
    # followed up: the county is chased every 5 working days from 09-30: 10-08, 09, 10, 12, 13
    flow.advance_to(services, clock, flow.local("2026-10-14", "10:00"))
    assert [
        (w["level"], w["message"], w["window"], w["created_at"])
        for w in flow.describe(services, iid)["warnings"]
    ] == [("notice", "催办上级", "township", "2026-10-13T16:00:00+00:00")]
    flow.send(
        services,
        "upper_reply",
        bk,
        {"approved": True, "reply_no": "县民批[2026]21号", "comments": "符合条件"},
    )
    # feedback within 2 working days of the reply: 10-15, 10-16
    assert open_tasks(services, iid) == [
        ("feedback", "township", "upper_feedback", "2026-10-16T15:59:59+00:00")
    ]
    flow.complete(
        services,
        flow.task(services, iid, "feedback")["id"],
        {"feedback_method": "电话告知代办员"},
        actor="township_clerk",
    )
    assert open_tasks(services, iid) == [
        ("proxy_delivery", "township", "proxy_delivery", "2026-10-16T15:59:59+00:00")
    ]
    flow.complete(
        services,
        flow.task(services, iid, "proxy_delivery")["id"],
        {"delivered_to": "赵大爷", "delivery_method": "代办员上门送达", "result_doc": "县民批[2026]21号"},
        actor="township_clerk",
    )

    view = flow.describe(services, iid)
    assert view["status"] == "completed"
    assert view["data"]["upper_approved"] is True
    assert view["data"]["chase_count"] == 1
    assert view["data"]["proxy_agent"] == "村代办员 钱小红"
    assert [(a["action"], a["actor"]) for a in view["audit"]] == [
        ("start", "township_clerk"),
        ("complete", "township_clerk"),  # proxy acceptance
        ("complete", "township_clerk"),  # report to the county
        ("timer_cancelled", "system"),
        ("timer_cancelled", "system"),
        ("timer_fired", "system"),  # 催办 the county on 10-13
        ("warning", "system"),
        ("message", "upper"),  # the county's reply
        ("timer_cancelled", "system"),
        ("complete", "township_clerk"),  # feedback
        ("timer_cancelled", "system"),
        ("complete", "township_clerk"),  # delivery
    ]


def test_township_late_report_goes_to_the_supervision_office(services, clock):
    iid, bk = start_proxy(services)
    flow.complete(services, flow.task(services, iid, "proxy_acceptance")["id"], ACCEPTANCE)
    flow.advance_to(services, clock, flow.local("2026-10-09", "09:00"))
    assert [(w["level"], w["window"]) for w in flow.describe(services, iid)["warnings"]] == [
        ("notice", "township"),
        ("escalation", "township"),
    ]
    assert [t[:2] for t in open_tasks(services, iid)] == [
        ("report", "township"),
        ("supervision_review", "supervision"),
    ]
    flow.complete(
        services,
        flow.task(services, iid, "report")["id"],
        {"report_no": "乡报[2026]6号", "upper_authority": "county"},
    )
    flow.complete(services, flow.task(services, iid, "supervision_review")["id"], {"finding": "已督促上报"})
    flow.send(
        services,
        "upper_reply",
        bk,
        {"approved": False, "reply_no": "县民复[2026]2号", "comments": "年龄不符"},
    )
    flow.complete(services, flow.task(services, iid, "feedback")["id"], {})
    flow.complete(services, flow.task(services, iid, "proxy_delivery")["id"], {"delivered_to": "赵大爷"})
    view = flow.describe(services, iid)
    assert view["status"] == "completed"
    assert view["data"]["upper_approved"] is False
    assert flow.actions(services, iid) == [
        "start",
        "complete",  # proxy acceptance
        "timer_fired",  # end of day 2
        "warning",
        "timer_fired",  # end of day 3
        "warning",
        "complete",  # report
        "complete",  # supervision_review
        "message",
        "timer_cancelled",  # chase timer
        "complete",  # feedback
        "timer_cancelled",
        "complete",  # delivery
    ]

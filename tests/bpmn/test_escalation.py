"""上报件 / 代理件: bpmn/block_escalation.bpmn, on its own and called from bpmn/shangbao.bpmn.

Clock: Mon 2026-09-28 09:00 Shanghai. Working days around National Day: 09-28, 09-29, 09-30, then
10-08, 10-09, 10-10 (make-up Saturday), 10-12 … All expected times are written by hand; the end of
a working day is 23:59:59 Shanghai = 15:59:59 UTC.
"""

from __future__ import annotations

from typing import Any

from tests.support import flow

REPORT = {
    "report_no": "SB-2026-001",
    "upper_authority": "县市场监管局",
    "summary": "食品经营许可延续，报县局审批",
}
REPLY_OK = {"approved": True, "reply_no": "县批[2026]18号", "comments": "同意"}


def deploy(services: Any) -> None:
    flow.deploy_library(services, "block_escalation.bpmn", "shangbao.bpmn")


def warnings(services: Any, iid: int) -> list[tuple[str, str, str | None, str]]:
    return [
        (w["level"], w["message"], w["window"], w["created_at"])
        for w in flow.describe(services, iid)["warnings"]
    ]


def timers(services: Any, iid: int) -> list[tuple[str, str, str]]:
    return [(t["name"], t["due_at"], t["status"]) for t in flow.describe(services, iid)["timers"]]


def open_tasks(services: Any, iid: int) -> list[tuple[str, str | None, str | None, str | None]]:
    return sorted(
        (t["spec_name"], t["window"], t["form_key"], t["due_at"]) for t in flow.tasks(services, iid)
    )


def start_shangbao(services: Any, **data: Any) -> tuple[int, str]:
    iid = flow.start_item(services, "shangbao", {"applicant": "李四", **data})
    flow.complete(
        services,
        flow.task(services, iid, "accept")["id"],
        {"applicant": "李四", "item_name": "食品经营许可延续"},
    )
    return iid, flow.describe(services, iid)["business_key"]


def test_reported_on_time_reply_and_feedback_in_time(services, clock):
    deploy(services)
    iid, bk = start_shangbao(services, promised_days=10)
    view = flow.describe(services, iid)
    assert (view["item_kind"], view["lead_window"]) == ("escalated", "centre")
    # 10 working days from Mon 09-28: 29, 30, 10-08, 09, 10, 12, 13, 14, 15, 16
    assert view["deadline"] == "2026-10-16T15:59:59+00:00"
    # report within 3 working days of acceptance: 29, 30, 10-08
    assert open_tasks(services, iid) == [("report", "centre", "upper_report", "2026-10-08T15:59:59+00:00")]
    assert timers(services, iid) == [
        ("上报第2个工作日末", "2026-09-30T16:00:00+00:00", "pending"),
        ("上报第3个工作日末", "2026-10-08T16:00:00+00:00", "pending"),
    ]

    clock.set(flow.local("2026-09-29", "10:00"))
    flow.complete(services, flow.task(services, iid, "report")["id"], REPORT)
    assert flow.describe(services, iid)["status"] == "waiting"
    assert flow.tasks(services, iid) == []
    # chasing every 5 working days from 09-29: 30, 10-08, 09, 10, 12
    assert ("催办周期届满", "2026-10-12T16:00:00+00:00", "pending") in timers(services, iid)

    clock.set(flow.local("2026-10-09", "10:00"))
    flow.send(services, "upper_reply", bk, REPLY_OK)
    # feedback within 2 working days of the reply: 10-10 (make-up Saturday), 10-12
    assert open_tasks(services, iid) == [
        ("feedback", "centre", "upper_feedback", "2026-10-12T15:59:59+00:00")
    ]
    clock.set(flow.local("2026-10-10", "10:00"))
    flow.complete(
        services,
        flow.task(services, iid, "feedback")["id"],
        {"feedback_method": "电话", "feedback_content": "上级已同意"},
    )
    notify = flow.task(services, iid, "notify")
    assert (notify["window"], notify["form_key"]) == ("centre", "completion_notice")
    flow.complete(services, notify["id"], {"result": "approved", "notice_no": "告-001"})

    view = flow.describe(services, iid)
    assert view["status"] == "completed"
    assert view["warnings"] == []
    assert view["pauses"] == []
    assert view["deadline"] == "2026-10-16T15:59:59+00:00"
    assert view["data"]["upper_approved"] is True
    assert view["data"]["chase_count"] == 0
    assert view["data"]["reply_no"] == "县批[2026]18号"
    assert view["data"]["reported_at"] == "2026-09-29T02:00:00+00:00"
    assert all(t["status"] == "cancelled" for t in view["timers"])
    assert flow.actions(services, iid) == [
        "start",
        "complete",  # accept
        "complete",  # report
        "timer_cancelled",
        "timer_cancelled",
        "message",
        "timer_cancelled",  # the chase timer
        "complete",  # feedback
        "timer_cancelled",  # the feedback timer
        "complete",  # notify
    ]


def test_late_report_reminder_on_day_2_and_escalation_on_day_3(services, clock):
    deploy(services)
    iid, bk = start_shangbao(services)

    flow.advance_to(services, clock, flow.local("2026-09-30", "18:00"))
    assert warnings(services, iid) == []
    flow.advance_to(services, clock, flow.local("2026-10-01", "09:00"))
    assert warnings(services, iid) == [
        ("notice", "上报期限还剩1个工作日", "centre", "2026-09-30T16:00:00+00:00")
    ]
    # the holiday does not count: the third working day is Thu 10-08
    flow.advance_to(services, clock, flow.local("2026-10-08", "18:00"))
    assert len(warnings(services, iid)) == 1
    flow.advance_to(services, clock, flow.local("2026-10-09", "09:00"))
    assert warnings(services, iid) == [
        ("notice", "上报期限还剩1个工作日", "centre", "2026-09-30T16:00:00+00:00"),
        ("escalation", "未按时上报", "centre", "2026-10-08T16:00:00+00:00"),
    ]
    # the report stays open; the supervision office gets its own task, due the next working day
    assert open_tasks(services, iid) == [
        ("report", "centre", "upper_report", "2026-10-08T15:59:59+00:00"),
        # created once the report day is over (00:00 Fri 10-09): the next working day is make-up Sat 10-10
        ("supervision_review", "supervision", "supervision_review", "2026-10-10T15:59:59+00:00"),
    ]
    flow.complete(
        services,
        flow.task(services, iid, "supervision_review")["id"],
        {"finding": "窗口人员请假，已督促当日上报"},
    )
    flow.complete(services, flow.task(services, iid, "report")["id"], REPORT)
    flow.send(services, "upper_reply", bk, REPLY_OK)
    flow.complete(services, flow.task(services, iid, "feedback")["id"], {"feedback_method": "短信"})
    flow.complete(services, flow.task(services, iid, "notify")["id"], {"result": "approved"})

    view = flow.describe(services, iid)
    assert view["status"] == "completed"
    assert [t[0] for t in warnings(services, iid)] == ["notice", "escalation"]
    assert flow.actions(services, iid) == [
        "start",
        "complete",  # accept
        "timer_fired",  # day 2 …
        "warning",  # … its reminder
        "timer_fired",  # day 3 …
        "warning",  # … its escalation
        "complete",  # supervision_review
        "complete",  # report
        "message",
        "timer_cancelled",  # chase timer
        "complete",  # feedback
        "timer_cancelled",
        "complete",  # notify
    ]


def test_late_reply_is_chased_every_5_working_days(services, clock):
    deploy(services)
    iid, bk = start_shangbao(services)
    clock.set(flow.local("2026-09-28", "10:00"))
    flow.complete(services, flow.task(services, iid, "report")["id"], REPORT)

    # default chase_days = 5, counted from the report (Mon 09-28): 29, 30, 10-08, 09, 10
    flow.advance_to(services, clock, flow.local("2026-10-28", "10:00"))
    chases = [w for w in warnings(services, iid) if w[1] == "催办上级"]
    assert chases == [
        ("notice", "催办上级", "centre", "2026-10-10T16:00:00+00:00"),  # 12 13 14 15 16 next
        ("notice", "催办上级", "centre", "2026-10-16T16:00:00+00:00"),  # 19 .. 23 next
        ("notice", "催办上级", "centre", "2026-10-23T16:00:00+00:00"),
    ]
    assert ("催办周期届满", "2026-10-30T16:00:00+00:00", "pending") in timers(services, iid)
    flow.send(
        services,
        "upper_reply",
        bk,
        {"approved": False, "reply_no": "县复[2026]3号", "comments": "不符合条件"},
    )
    assert ("催办周期届满", "2026-10-30T16:00:00+00:00", "cancelled") in timers(services, iid)
    flow.complete(services, flow.task(services, iid, "feedback")["id"], {"feedback_method": "当面"})
    flow.complete(services, flow.task(services, iid, "notify")["id"], {"result": "refused"})

    view = flow.describe(services, iid)
    assert view["status"] == "completed"
    assert view["data"]["chase_count"] == 3
    assert view["data"]["upper_approved"] is False
    audit = flow.describe(services, iid)["audit"]
    chased = [a for a in audit if a["action"] == "warning" and a["detail"].get("message") == "催办上级"]
    assert len(chased) == 3
    assert flow.actions(services, iid) == [
        "start",
        "complete",  # accept
        "complete",  # report
        "timer_cancelled",
        "timer_cancelled",
        *["timer_fired", "warning"] * 3,  # three 催办
        "message",
        "timer_cancelled",
        "complete",  # feedback
        "timer_cancelled",
        "complete",  # notify
    ]


def test_clock_paused_while_waiting_for_the_upper_authority(services, clock):
    deploy(services)
    iid, bk = start_shangbao(services, promised_days=10, pause_while_upper=True)
    assert flow.describe(services, iid)["deadline"] == "2026-10-16T15:59:59+00:00"
    clock.set(flow.local("2026-09-29", "10:00"))
    flow.complete(services, flow.task(services, iid, "report")["id"], REPORT)
    view = flow.describe(services, iid)
    assert view["paused_since"] == "2026-09-29T02:00:00+00:00"
    assert view["pauses"] == [
        {"reason": "等待上级审批", "started_at": "2026-09-29T02:00:00+00:00", "ended_at": None}
    ]

    # the chase timer is a working-day timer of its own: it still fires while the item clock is stopped
    flow.advance_to(services, clock, flow.local("2026-10-13", "10:00"))
    assert [w[3] for w in warnings(services, iid)] == ["2026-10-12T16:00:00+00:00"]
    flow.send(services, "upper_reply", bk, REPLY_OK)

    view = flow.describe(services, iid)
    assert view["paused_since"] is None
    assert view["pauses"] == [
        {
            "reason": "等待上级审批",
            "started_at": "2026-09-29T02:00:00+00:00",
            "ended_at": "2026-10-13T02:00:00+00:00",
        }
    ]
    # paused working days (09-29, 10-13]: 30, 10-08, 09, 10, 12, 13 = 6; 10-16 + 6 = 10-26
    assert view["deadline"] == "2026-10-26T15:59:59+00:00"
    flow.complete(services, flow.task(services, iid, "feedback")["id"], {"feedback_method": "电话"})
    flow.complete(services, flow.task(services, iid, "notify")["id"], {"result": "approved"})
    assert flow.describe(services, iid)["status"] == "completed"
    assert flow.actions(services, iid) == [
        "start",
        "complete",
        "complete",  # report
        "timer_cancelled",
        "timer_cancelled",
        "clock_paused",
        "timer_fired",
        "warning",  # one 催办 on 10-12
        "message",
        "timer_cancelled",
        "clock_resumed",
        "complete",
        "timer_cancelled",
        "complete",
    ]


def test_late_feedback_draws_a_yellow_card(services, clock):
    deploy(services)
    iid, bk = start_shangbao(services)
    flow.complete(services, flow.task(services, iid, "report")["id"], REPORT)
    clock.set(flow.local("2026-10-09", "10:00"))
    flow.send(services, "upper_reply", bk, REPLY_OK)
    assert ("反馈第2个工作日末", "2026-10-12T16:00:00+00:00", "pending") in timers(services, iid)

    flow.advance_to(services, clock, flow.local("2026-10-13", "09:00"))
    assert warnings(services, iid) == [("yellow", "反馈超期", "centre", "2026-10-12T16:00:00+00:00")]
    # the feedback task stays open (non-interrupting) and can still be done
    assert open_tasks(services, iid) == [
        ("feedback", "centre", "upper_feedback", "2026-10-12T15:59:59+00:00")
    ]
    flow.complete(services, flow.task(services, iid, "feedback")["id"], {"feedback_method": "电话"})
    flow.complete(services, flow.task(services, iid, "notify")["id"], {"result": "approved"})
    assert flow.describe(services, iid)["status"] == "completed"
    assert flow.actions(services, iid)[-5:] == [
        "timer_cancelled",
        "timer_fired",
        "warning",
        "complete",
        "complete",
    ]


def test_block_for_a_related_window_with_its_own_chase_period(services, clock):
    """Inside a joint item the block is called with the related window in ``window``."""
    deploy(services)
    iid = flow.start_item(
        services, "block_escalation", {"lead_window": "centre", "window": "guotu", "chase_days": 2}
    )
    bk = flow.describe(services, iid)["business_key"]
    assert open_tasks(services, iid) == [("report", "guotu", "upper_report", "2026-10-08T15:59:59+00:00")]
    flow.complete(services, flow.task(services, iid, "report")["id"], REPORT)
    # every 2 working days from 09-28: 09-30, then 10-09, 10-12
    flow.advance_to(services, clock, flow.local("2026-10-12", "18:00"))
    assert warnings(services, iid) == [
        ("notice", "催办上级", "guotu", "2026-09-30T16:00:00+00:00"),
        ("notice", "催办上级", "guotu", "2026-10-09T16:00:00+00:00"),
    ]
    flow.send(services, "upper_reply", bk, {"approved": "false", "reply_no": "R-9"})
    assert open_tasks(services, iid)[0][:2] == ("feedback", "guotu")
    flow.complete(services, flow.task(services, iid, "feedback")["id"], {})
    view = flow.describe(services, iid)
    assert view["status"] == "completed"
    assert view["data"]["upper_approved"] is False
    assert view["data"]["escalation_window"] == "guotu"
    assert view["data"]["chase_count"] == 2

"""联办件·联审制 (bpmn/lianban_lianshen.bpmn): accept, convene the joint review meeting, decide.

The clock starts Mon 2026-09-28 09:00 (Shanghai), just before National Day (10-01..10-07, make-up
working day Sat 10-10). Expected dates are written by hand in working days.
"""

from __future__ import annotations

from typing import Any

from tests.support import flow

KEY = "lianban_lianshen"
FILES = ("block_correction.bpmn", "block_refusal.bpmn", "lianban_lianshen.bpmn")
WINDOWS = ["guotu", "huanbao", "guihua"]
MEETING_AT = "2026-09-30T09:30:00+08:00"
MEETING_UTC = "2026-09-30T01:30:00+00:00"
ITEM_DEADLINE = "2026-10-23T15:59:59+00:00"  # 15 working days from Mon 09-28: 09-29, 09-30, 10-08 … 10-23

# Entries the runner writes as consequences of a step, in that step's transaction (timers closed,
# then the effects scripts asked for): their order among themselves is the runner's business, not the
# diagram's, so each run of them is compared sorted; every entry is still asserted.
SIDE_EFFECTS = {
    "timer_cancelled", "timer_fired", "deemed_assent", "clock_paused", "clock_resumed", "warning", "document_issued",
}  # fmt: skip


def trail(services: Any, iid: int) -> list[str]:
    """The audit actions in order, each run of side-effect entries sorted alphabetically."""
    out: list[str] = []
    run: list[str] = []
    for action in flow.actions(services, iid):
        if action in SIDE_EFFECTS:
            run.append(action)
            continue
        out += sorted(run) + [action]
        run = []
    return out + sorted(run)


def start(services: Any, **data: Any) -> int:
    flow.deploy_library(services, *FILES)
    return flow.start_item(services, KEY, {"lead_window": "guihua", "applicant": "某置业有限公司", **data})


def accept_and_schedule(services: Any, iid: int, windows: list[str] | None = None) -> None:
    flow.complete(
        services,
        flow.task(services, iid, "accept")["id"],
        {"related_windows": windows or ["guotu", "huanbao"], "materials_complete": True},
    )
    schedule = flow.task(services, iid, "schedule")
    assert schedule["form_key"] == "meeting_schedule"
    flow.complete(
        services,
        schedule["id"],
        {
            "meeting_at": MEETING_AT,
            "place": "中心三楼会议室",
            "related_windows": windows or WINDOWS,
            "invite_applicant": True,
            "materials_to_bring": ["宗地图原件", "设计方案文本"],
        },
    )


def hold_meeting(services: Any, clock: Any, iid: int, **minutes: Any) -> None:
    flow.advance_to(services, clock, flow.local("2026-09-30", "09:30"))
    meeting = flow.task(services, iid, "meeting")
    flow.complete(services, meeting["id"], minutes, actor="chair")


def accountability(services: Any, iid: int) -> list[tuple[str, str, str]]:
    return [(r["window"], r["kind"], r["rule"]) for r in flow.describe(services, iid)["accountability"]]


def deemed_entries(services: Any, iid: int) -> list[dict[str, Any]]:
    return [a["detail"] for a in flow.describe(services, iid)["audit"] if a["action"] == "deemed_assent"]


AGREE_ALL = {w: {"result": "agree"} for w in WINDOWS}


def test_everybody_attends_and_it_is_decided_on_the_spot(services, clock):
    iid = start(services)
    acceptance = flow.task(services, iid, "accept")
    assert (acceptance["window"], acceptance["form_key"]) == ("guihua", "joint_acceptance")
    accept_and_schedule(services, iid)

    view = flow.describe(services, iid)
    assert view["status"] == "waiting"  # until the meeting time
    assert view["deadline"] == ITEM_DEADLINE
    assert [(t["name"], t["due_at"], t["status"]) for t in view["timers"]] == [
        ("等待会议时间", MEETING_UTC, "pending")
    ]
    notice = view["data"]["meeting_notice"]
    assert notice["windows"] == ["guotu", "huanbao"]  # the lead window guihua is not its own related window
    assert (notice["invite_applicant"], notice["materials_to_bring"]) == (
        True,
        ["宗地图原件", "设计方案文本"],
    )

    flow.advance_to(services, clock, flow.local("2026-09-30", "09:00"))
    assert flow.tasks(services, iid) == []
    flow.advance_to(services, clock, flow.local("2026-09-30", "09:30"))
    meeting = flow.task(services, iid, "meeting")
    assert (meeting["window"], meeting["form_key"]) == ("guihua", "meeting_minutes")
    assert meeting["due_at"] == "2026-09-30T15:59:59+00:00"  # the meeting's own day
    flow.complete(
        services,
        meeting["id"],
        {
            "attendance": ["guotu", "huanbao"],
            "opinions": {"guotu": {"result": "agree"}, "huanbao": {"result": "agree", "reason": ""}},
            "decided_on_spot": True,
            "decision": "approve",
        },
    )
    data = flow.describe(services, iid)["data"]
    assert {w: o["result"] for w, o in data["opinions"].items()} == {"guotu": "agree", "huanbao": "agree"}
    assert data["absent_windows"] == []

    notify = flow.task(services, iid, "notify_applicant")
    assert (notify["window"], notify["form_key"]) == ("guihua", "completion_notice")
    flow.complete(services, notify["id"], {"result_doc_no": "LS-2026-001"})
    view = flow.describe(services, iid)
    assert view["status"] == "completed"
    assert "end_done" in view["completed_path"]
    assert "register_memo" not in view["completed_path"]
    assert view["accountability"] == []
    assert view["warnings"] == []
    assert [t["status"] for t in view["timers"]] == ["fired"]
    assert trail(services, iid) == [
        "start", "complete", "complete", *["document_issued"] * 2, "timer_fired", "complete", "complete",
    ]  # fmt: skip


def test_absent_window_is_deemed_to_assent(services, clock):
    iid = start(services)
    accept_and_schedule(services, iid)
    hold_meeting(
        services,
        clock,
        iid,
        attendance=["guotu"],
        opinions={"guotu": {"result": "agree_with_conditions", "conditions": "退让红线 5 米"}},
        decided_on_spot=True,
        decision="approve",
    )
    view = flow.describe(services, iid)
    assert view["data"]["opinions"] == {
        "guotu": {
            "window": "guotu",
            "result": "agree_with_conditions",
            "reason": "",
            "conditions": "退让红线 5 米",
        },
        "huanbao": {"window": "huanbao", "result": "deemed_assent", "rule": "absent"},
    }
    assert view["data"]["absent_windows"] == ["huanbao"]
    assert view["data"]["deemed_windows"] == ["huanbao"]
    assert accountability(services, iid) == [("huanbao", "deemed_assent", "absent")]
    assert view["accountability"][0]["recorded_at"] == MEETING_UTC
    meeting_at = (
        "2026-09-30T01:30:00+00:00"  # the meeting time (09:30 Beijing) the absence is recorded against
    )
    assert flow.describe(services, iid)["data"]["meeting_at"] == "2026-09-30T09:30:00+08:00"
    assert deemed_entries(services, iid) == [
        {"window": "huanbao", "rule": "absent", "note": "未出席联审会议", "limit_at": meeting_at}
    ]
    assert flow.describe(services, iid)["accountability"][0]["limit_at"] == meeting_at  # not empty
    assert trail(services, iid) == [
        "start",
        "complete",
        "complete",
        *["document_issued"] * 2,  # the 联办通知 with the invitation
        "timer_fired",
        "complete",
        "deemed_assent",
    ]
    flow.complete(services, flow.task(services, iid, "notify_applicant")["id"], {})
    assert flow.describe(services, iid)["status"] == "completed"


def test_present_but_silent_or_reasonless_windows_are_deemed_to_assent(services, clock):
    iid = start(services, lead_window="shichang")
    accept_and_schedule(services, iid, windows=list(WINDOWS))
    hold_meeting(
        services,
        clock,
        iid,
        attendance=list(WINDOWS),
        opinions={"guotu": {"result": "disagree", "reason": ""}, "huanbao": {"result": "agree"}},
        decided_on_spot=True,
        decision="approve",
    )
    opinions = flow.describe(services, iid)["data"]["opinions"]
    assert opinions["guotu"] == {
        "window": "guotu",
        "result": "deemed_assent",
        "rule": "no_reason",
        "submitted_result": "disagree",
    }
    assert opinions["guihua"] == {"window": "guihua", "result": "deemed_assent", "rule": "refused"}
    assert opinions["huanbao"]["result"] == "agree"
    assert accountability(services, iid) == [
        ("guotu", "deemed_assent", "no_reason"),
        ("guihua", "deemed_assent", "refused"),
    ]
    assert flow.describe(services, iid)["data"]["absent_windows"] == []


def test_time_limited_with_memo_decided_in_time(services, clock):
    iid = start(services)
    accept_and_schedule(services, iid)
    hold_meeting(
        services,
        clock,
        iid,
        attendance=["guotu", "huanbao"],
        opinions={"guotu": {"result": "agree"}, "huanbao": {"result": "agree"}},
        decided_on_spot=False,
        memo="需补充现场勘察后定",
        final_decision_days=3,
    )
    # 3 working days from Wed 09-30: Thu 10-08, Fri 10-09, make-up Sat 10-10
    limit = "2026-10-10T15:59:59+00:00"
    view = flow.describe(services, iid)
    assert view["data"]["memo_record"] == {
        "memo": "需补充现场勘察后定",
        "registered_at": MEETING_UTC,
        "final_decision_days": 3,
        "limit_at": limit,
    }
    decide = flow.task(services, iid, "decide")
    assert (decide["window"], decide["form_key"], decide["limit_days"], decide["due_at"]) == (
        "guihua",
        "decision",
        3,
        limit,
    )
    assert [t["due_at"] for t in view["timers"] if t["status"] == "pending"] == ["2026-10-10T16:00:00+00:00"]

    flow.advance_to(services, clock, flow.local("2026-10-10", "11:00"))
    flow.complete(services, decide["id"], {"decision": "approve", "reason": "勘察无异议"})
    flow.complete(services, flow.task(services, iid, "notify_applicant")["id"], {})
    view = flow.describe(services, iid)
    assert view["status"] == "completed"
    assert "end_done" in view["completed_path"]
    assert view["warnings"] == []
    assert view["accountability"] == []
    assert [t["status"] for t in view["timers"]] == ["fired", "cancelled"]
    assert trail(services, iid) == [
        "start",
        "complete",
        "complete",
        *["document_issued"] * 2,  # the 联办通知 with the invitation
        "timer_fired",  # meeting time
        "complete",  # minutes, memo
        "complete",  # final decision
        "timer_cancelled",
        "complete",  # answer to the applicant
    ]


def test_time_limited_decision_late_draws_yellow_card_and_supervision(services, clock):
    iid = start(services)
    accept_and_schedule(services, iid)
    hold_meeting(
        services,
        clock,
        iid,
        attendance=["guotu", "huanbao"],
        opinions={"guotu": {"result": "agree"}, "huanbao": {"result": "agree"}},
        decided_on_spot=False,
        memo="待国土窗口核实权属",
        final_decision_days=3,
    )
    flow.advance_to(services, clock, flow.local("2026-10-12", "09:00"))  # Mon, past the end of Sat 10-10

    view = flow.describe(services, iid)
    assert [(w["level"], w["window"], w["created_at"]) for w in view["warnings"]] == [
        ("yellow", "guihua", "2026-10-10T16:00:00+00:00")
    ]
    assert "2026-10-10 23:59" in view["warnings"][0]["message"]  # local time, never raw UTC (issue 26)
    supervise = flow.task(services, iid, "supervise")
    assert (supervise["window"], supervise["form_key"]) == ("supervision", "supervision_review")
    assert supervise["due_at"] == "2026-10-12T15:59:59+00:00"  # created Sat 10-10 (a make-up working day)
    # the decision stays with the lead window: the escalation does not take it away
    assert flow.task(services, iid, "decide")["window"] == "guihua"
    assert trail(services, iid)[-2:] == ["timer_fired", "warning"]

    flow.complete(
        services, flow.task(services, iid, "decide")["id"], {"decision": "refuse", "reason": "权属有争议"}
    )
    flow.complete(services, flow.task(services, iid, "notify_applicant")["id"], {})
    assert flow.describe(services, iid)["status"] == "running"  # the supervision office is still on it
    flow.complete(
        services, supervise["id"], {"urge_note": "已督促主办窗口", "cause": "agency"}, actor="supervisor"
    )
    view = flow.describe(services, iid)
    assert view["status"] == "completed"
    assert {"end_refused", "end_supervised"} <= set(view["completed_path"])
    assert trail(services, iid) == [
        "start",
        "complete",
        "complete",
        *["document_issued"] * 2,  # the 联办通知 with the invitation
        "timer_fired",
        "complete",  # minutes, memo
        "timer_fired",  # final-decision limit
        "warning",
        "complete",  # late decision
        "complete",  # answer to the applicant
        "complete",  # supervision review
    ]


def test_major_item_is_led_by_the_centre_leader(services, clock):
    iid = start(services, major=True)
    assert flow.task(services, iid, "accept")["window"] == "leader"
    flow.complete(
        services,
        flow.task(services, iid, "accept")["id"],
        {"related_windows": WINDOWS, "materials_complete": True},
    )
    assert flow.task(services, iid, "schedule")["window"] == "leader"
    flow.complete(
        services,
        flow.task(services, iid, "schedule")["id"],
        {"meeting_at": MEETING_AT, "place": "中心会议室"},
    )
    flow.advance_to(services, clock, flow.local("2026-09-30", "09:30"))
    assert flow.task(services, iid, "meeting")["window"] == "leader"
    flow.complete(
        services,
        flow.task(services, iid, "meeting")["id"],
        {
            "attendance": ["guotu", "huanbao"],
            "opinions": AGREE_ALL,
            "decided_on_spot": False,
            "final_decision_days": 2,
        },
    )
    assert flow.task(services, iid, "decide")["window"] == "leader"
    assert flow.task(services, iid, "decide")["due_at"] == "2026-10-09T15:59:59+00:00"  # 10-08, 10-09
    assert flow.describe(services, iid)["data"]["meeting_notice"]["invite_applicant"] is False
    flow.complete(
        services, flow.task(services, iid, "decide")["id"], {"decision": "approve"}, actor="director"
    )
    assert flow.task(services, iid, "notify_applicant")["window"] == "guihua"


def test_incomplete_materials_are_corrected_before_the_meeting(services, clock):
    iid = start(services)
    flow.complete(
        services,
        flow.task(services, iid, "accept")["id"],
        {"related_windows": ["guotu", "huanbao"], "materials_complete": False},
    )
    flow.complete(
        services, flow.task(services, iid, "correction_notice")["id"], {"missing_materials": ["宗地图"]}
    )
    clock.set(flow.local("2026-09-29", "14:00"))
    flow.send(services, "materials_resubmitted", flow.describe(services, iid)["business_key"], {})
    flow.complete(services, flow.task(services, iid, "materials_check")["id"], {"complete": True})
    assert flow.task(services, iid, "schedule")["window"] == "guihua"
    view = flow.describe(services, iid)
    # paused (09-28, 09-29]: 1 working day → deadline moves from Fri 10-23 to Mon 10-26
    assert view["deadline"] == "2026-10-26T15:59:59+00:00"
    assert trail(services, iid) == [
        "start",
        "complete",
        "complete",
        "clock_paused",
        "message",
        "clock_resumed",
        "timer_cancelled",
        "complete",
    ]

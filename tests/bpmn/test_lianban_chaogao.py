"""联办件·抄告制 (bpmn/lianban_chaogao.bpmn): one acceptance, a parallel review per related window.

The clock starts Mon 2026-09-28 09:00 (Shanghai), just before National Day (10-01..10-07, make-up
working day Sat 10-10). Expected dates are written by hand in working days:
- review limit 3 working days from Mon 09-28: 09-29, 09-30, 10-08 → end of Thu 10-08 (15:59:59 UTC);
- promised 15 working days from 09-28: 09-29, 09-30, 10-08, 10-09, 10-10 (Sat), 10-12 … 10-16, 10-19 … 10-23
  → end of Fri 10-23.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.support import flow

KEY = "lianban_chaogao"
FILES = ("block_correction.bpmn", "block_refusal.bpmn", "lianban_chaogao.bpmn")
WINDOWS = ["guotu", "huanbao", "guihua"]
REVIEW_DUE = "2026-10-08T15:59:59+00:00"  # end of Thu 10-08 (3rd working day after Mon 09-28)
ITEM_DEADLINE = "2026-10-23T15:59:59+00:00"  # end of Fri 10-23 (15th working day)
# the review timer falls due when the limit day is over (is_late): the local midnight after Thu 10-08
REVIEW_OVER = "2026-10-08T16:00:00+00:00"


def start(services: Any, **data: Any) -> int:
    flow.deploy_library(services, *FILES)
    return flow.start_item(services, KEY, {"lead_window": "shichang", "applicant": "张三", **data})


def accept(services: Any, iid: int, **overrides: Any) -> None:
    form = {
        "related_windows": list(WINDOWS),
        "review_days": 3,
        "materials_complete": True,
        "materials_list": ["申请书", "营业执照", "建设项目环境影响登记表", "规划设计方案"],
        **overrides,
    }
    flow.complete(services, flow.task(services, iid, "accept")["id"], form)


def review(services: Any, iid: int, window: str, **form: Any) -> None:
    flow.complete(
        services, flow.task(services, iid, "review", window=window)["id"], form, actor=f"clerk_{window}"
    )


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


def opinions_by_window(services: Any, iid: int) -> dict[str, dict[str, Any]]:
    return {o["window"]: o for o in flow.describe(services, iid)["data"]["opinions"]}


def deemed_entries(services: Any, iid: int) -> list[dict[str, Any]]:
    return [a["detail"] for a in flow.describe(services, iid)["audit"] if a["action"] == "deemed_assent"]


def accountability(services: Any, iid: int) -> list[tuple[str, str, str]]:
    return [(r["window"], r["kind"], r["rule"]) for r in flow.describe(services, iid)["accountability"]]


def finish(services: Any, iid: int, decision: str = "approve") -> None:
    flow.complete(
        services, flow.task(services, iid, "consolidate")["id"], {"decision": decision, "decision_reason": ""}
    )
    flow.complete(
        services, flow.task(services, iid, "notify_applicant")["id"], {"result_doc_no": "LB-2026-001"}
    )


def test_every_window_answers_in_time(services, clock):
    iid = start(services)
    acceptance = flow.task(services, iid, "accept")
    assert (acceptance["window"], acceptance["form_key"]) == ("shichang", "joint_acceptance")
    assert acceptance["due_at"] == "2026-09-29T15:59:59+00:00"  # 1 working day: Tue 09-29
    accept(services, iid)

    # one review task per related window, each in that window's inbox, due across National Day
    reviews = [t for t in flow.tasks(services, iid) if t["spec_name"] == "review"]
    assert sorted(t["window"] for t in reviews) == sorted(WINDOWS)
    for t in reviews:
        assert (t["form_key"], t["limit_days"], t["due_at"]) == ("window_review", 3, REVIEW_DUE)
    view = flow.describe(services, iid)
    assert view["deadline"] == ITEM_DEADLINE
    assert view["item_kind"] == "joint"
    assert view["data"]["joint_notice"]["windows"] == WINDOWS
    assert [(t["name"], t["due_at"], t["status"]) for t in view["timers"]] == [
        ("审查时限届满", REVIEW_OVER, "pending")
    ] * 3

    clock.set(flow.local("2026-09-29", "10:00"))
    review(services, iid, "guotu", result="agree")
    review(services, iid, "huanbao", result="agree_with_conditions", conditions="按环评批复落实污染防治措施")
    clock.set(flow.local("2026-10-08", "16:00"))  # the last afternoon of the limit is still in time
    review(services, iid, "guihua", result="agree")

    consolidation = flow.task(services, iid, "consolidate")
    assert (consolidation["window"], consolidation["form_key"]) == ("shichang", "joint_consolidation")
    opinions = opinions_by_window(services, iid)
    assert {w: o["result"] for w, o in opinions.items()} == {
        "guotu": "agree",
        "huanbao": "agree_with_conditions",
        "guihua": "agree",
    }
    assert opinions["huanbao"]["conditions"] == "按环评批复落实污染防治措施"
    assert opinions["guotu"]["answered_at"] == "2026-09-29T02:00:00+00:00"
    assert opinions["guihua"]["extended"] is False
    data = flow.describe(services, iid)["data"]
    assert data["opinion_summary"] == {"agree": 2, "agree_with_conditions": 1}
    assert data["deemed_windows"] == []

    finish(services, iid)
    view = flow.describe(services, iid)
    assert view["status"] == "completed"
    assert "end_done" in view["completed_path"]
    assert view["accountability"] == []
    assert view["warnings"] == []
    assert [t["status"] for t in view["timers"]] == ["cancelled"] * 3
    assert trail(services, iid) == [
        "start",
        "complete",
        *["document_issued"] * 3,  # the 联办通知, one per related window
        *["complete", "timer_cancelled"] * 3,
        "complete",
        "complete",
    ]


def test_an_answer_in_the_last_second_of_the_limit_day_is_not_deemed_assent(services, clock):
    """23:59:59.5 of the limit day is on time (is_late): the window's own answer stands, no 超时默许."""
    iid = start(services)
    accept(services, iid)
    timers = flow.describe(services, iid)["timers"]
    assert [t["due_at"] for t in timers] == [REVIEW_OVER] * 3  # the next local midnight, in UTC
    review(services, iid, "guotu", result="agree")
    review(services, iid, "huanbao", result="agree")
    last = flow.local("2026-10-08", "23:59") + timedelta(seconds=59.5)
    flow.advance_to(services, clock, last)
    assert [t["spec_name"] for t in flow.tasks(services, iid)] == ["review"]
    review(services, iid, "guihua", result="disagree", reason="项目位于水源保护区")

    opinions = opinions_by_window(services, iid)
    assert (opinions["guihua"]["result"], opinions["guihua"]["reason"]) == ("disagree", "项目位于水源保护区")
    assert deemed_entries(services, iid) == []
    assert accountability(services, iid) == []


def test_silent_window_is_deemed_to_assent_on_timeout(services, clock):
    iid = start(services)
    accept(services, iid)
    review(services, iid, "guotu", result="agree")
    review(services, iid, "huanbao", result="disagree", reason="项目位于水源保护区")
    # guihua stays silent past the end of its 3rd working day (Thu 10-08)
    flow.advance_to(services, clock, flow.local("2026-10-09", "09:00"))

    assert [t["spec_name"] for t in flow.tasks(services, iid)] == ["consolidate"]
    opinions = opinions_by_window(services, iid)
    assert opinions["guihua"] == {"window": "guihua", "result": "deemed_assent", "rule": "timeout"}
    assert opinions["guotu"]["result"] == "agree"
    assert (opinions["huanbao"]["result"], opinions["huanbao"]["reason"]) == (
        "disagree",
        "项目位于水源保护区",
    )

    view = flow.describe(services, iid)
    assert accountability(services, iid) == [("guihua", "deemed_assent", "timeout")]
    assert view["accountability"][0]["recorded_at"] == REVIEW_OVER
    assert view["accountability"][0]["limit_at"] == REVIEW_DUE  # the limit it is recorded against, not empty
    assert deemed_entries(services, iid) == [
        {
            "window": "guihua",
            "rule": "timeout",
            "note": f"审查时限 {REVIEW_DUE} 届满未答复",
            "limit_at": REVIEW_DUE,
        }
    ]
    assert view["data"]["deemed_windows"] == ["guihua"]
    assert view["data"]["disagreeing_windows"] == ["huanbao"]
    assert trail(services, iid) == [
        "start",
        "complete",
        *["document_issued"] * 3,  # the 联办通知, one per related window
        "complete",
        "timer_cancelled",
        "complete",
        # huanbao's timer cancelled, then guihua's fires at the end of 10-08 and the assent is recorded
        "deemed_assent",
        "timer_cancelled",
        "timer_fired",
    ]
    finish(services, iid, decision="refuse")
    view = flow.describe(services, iid)
    assert view["status"] == "completed"
    assert "end_refused" in view["completed_path"]


def test_disagree_without_reason_is_deemed_assent_not_a_refusal(services, clock):
    iid = start(services)
    accept(services, iid)
    review(services, iid, "guotu", result="agree")
    review(services, iid, "huanbao", result="agree")
    review(services, iid, "guihua", result="disagree", reason="   ")

    opinions = opinions_by_window(services, iid)
    assert opinions["guihua"] == {
        "window": "guihua",
        "result": "deemed_assent",
        "rule": "no_reason",
        "submitted_result": "disagree",
    }
    assert accountability(services, iid) == [("guihua", "deemed_assent", "no_reason")]
    assert deemed_entries(services, iid) == [
        {"window": "guihua", "rule": "no_reason", "note": "不同意但未说明理由", "limit_at": REVIEW_DUE}
    ]
    assert flow.describe(services, iid)["accountability"][0]["limit_at"] == REVIEW_DUE
    assert flow.describe(services, iid)["data"]["disagreeing_windows"] == []
    assert trail(services, iid)[-3:] == ["complete", "deemed_assent", "timer_cancelled"]


def test_disagree_with_reason_is_kept_as_disagree(services, clock):
    iid = start(services)
    accept(services, iid)
    review(services, iid, "guotu", result="agree")
    review(services, iid, "huanbao", result="agree")
    review(services, iid, "guihua", result="disagree", reason="不符合控制性详细规划")

    opinions = opinions_by_window(services, iid)
    assert (opinions["guihua"]["result"], opinions["guihua"]["reason"]) == (
        "disagree",
        "不符合控制性详细规划",
    )
    assert "rule" not in opinions["guihua"]
    assert accountability(services, iid) == []
    assert "deemed_assent" not in flow.actions(services, iid)
    assert flow.describe(services, iid)["data"]["disagreeing_windows"] == ["guihua"]


def test_refusal_to_take_part_is_deemed_assent_refused(services, clock):
    iid = start(services)
    accept(services, iid)
    review(services, iid, "guotu", result="refuse_participation", reason="非本窗口职责")
    review(services, iid, "huanbao", result="agree")
    review(services, iid, "guihua", result="agree")

    opinions = opinions_by_window(services, iid)
    assert opinions["guotu"] == {
        "window": "guotu",
        "result": "deemed_assent",
        "rule": "refused",
        "submitted_result": "refuse_participation",
    }
    assert accountability(services, iid) == [("guotu", "deemed_assent", "refused")]
    assert deemed_entries(services, iid) == [
        {
            "window": "guotu",
            "rule": "refused",
            "note": "拒绝参与联合办理：非本窗口职责",
            "limit_at": REVIEW_DUE,
        }
    ]


def test_extension_approved_answer_after_original_limit_is_not_deemed(services, clock):
    iid = start(services)
    accept(services, iid)
    review(services, iid, "huanbao", result="agree")
    review(services, iid, "guihua", result="agree")

    clock.set(flow.local("2026-09-30", "10:00"))  # before its limit (end of 10-08) guotu asks for 2 more days
    review(
        services, iid, "guotu", request_extension=True, extension_days=2, extension_reason="需现场勘察地界"
    )
    decision = flow.task(services, iid, "extension_decision")
    assert (decision["window"], decision["form_key"]) == ("shichang", "extension_decision")
    assert decision["due_at"] == "2026-10-08T15:59:59+00:00"  # 1 working day after Wed 09-30: Thu 10-08
    flow.complete(
        services, decision["id"], {"approved": True, "decision_note": "同意延期"}, actor="lead_clerk"
    )

    # the review comes back to guotu, limit moved 2 working days: Fri 10-09, make-up Sat 10-10
    again = flow.task(services, iid, "review", window="guotu")
    assert (again["limit_days"], again["due_at"]) == (3, "2026-10-10T15:59:59+00:00")
    pending = [t for t in flow.describe(services, iid)["timers"] if t["status"] == "pending"]
    assert [t["due_at"] for t in pending] == ["2026-10-10T16:00:00+00:00"]

    flow.advance_to(
        services, clock, flow.local("2026-10-09", "10:00")
    )  # past the original limit: nothing fires
    assert accountability(services, iid) == []
    review(services, iid, "guotu", result="agree")

    opinions = opinions_by_window(services, iid)
    assert opinions["guotu"]["result"] == "agree"
    assert opinions["guotu"]["extended"] is True
    assert opinions["guotu"]["limit_at"] == "2026-10-10T15:59:59+00:00"
    assert opinions["guotu"]["answered_at"] == "2026-10-09T02:00:00+00:00"
    assert accountability(services, iid) == []
    assert "timer_fired" not in flow.actions(services, iid)
    assert trail(services, iid) == [
        "start",
        "complete",
        *["document_issued"] * 3,  # the 联办通知, one per related window
        *["complete", "timer_cancelled"] * 2,
        "complete",  # guotu asks for the extension
        "timer_cancelled",
        "complete",  # lead window approves
        "complete",  # guotu answers within the extension
        "timer_cancelled",
    ]
    assert [t["spec_name"] for t in flow.tasks(services, iid)] == ["consolidate"]


def test_extension_refused_window_is_deemed_at_original_limit(services, clock):
    iid = start(services)
    accept(services, iid)
    review(services, iid, "huanbao", result="agree")
    review(services, iid, "guihua", result="agree")

    clock.set(flow.local("2026-09-29", "15:00"))
    review(services, iid, "guotu", request_extension=True, extension_days=5, extension_reason="人手不足")
    flow.complete(
        services,
        flow.task(services, iid, "extension_decision")["id"],
        {"approved": False},
        actor="lead_clerk",
    )

    # the remaining time only: due still the end of Thu 10-08 (2 working days left: 09-30, 10-08)
    again = flow.task(services, iid, "review", window="guotu")
    assert (again["limit_days"], again["due_at"]) == (2, REVIEW_DUE)

    flow.advance_to(services, clock, flow.local("2026-10-09", "09:00"))
    opinions = opinions_by_window(services, iid)
    assert opinions["guotu"] == {"window": "guotu", "result": "deemed_assent", "rule": "timeout"}
    view = flow.describe(services, iid)
    assert accountability(services, iid) == [("guotu", "deemed_assent", "timeout")]
    assert view["accountability"][0]["recorded_at"] == REVIEW_OVER
    assert [t["due_at"] for t in view["timers"] if t["status"] == "fired"] == [REVIEW_OVER]
    assert trail(services, iid)[-5:] == [
        "complete",  # guotu asks
        "timer_cancelled",
        "complete",  # lead window refuses
        "deemed_assent",  # guotu's timer at the original limit fires
        "timer_fired",
    ]


def test_major_item_is_accepted_and_consolidated_by_the_centre_leader(services, clock):
    iid = start(services, major=True)
    assert flow.task(services, iid, "accept")["window"] == "leader"
    accept(services, iid, related_windows=["guotu", "huanbao"])
    assert sorted(t["window"] for t in flow.tasks(services, iid)) == ["guotu", "huanbao"]
    review(services, iid, "guotu", result="agree")
    review(services, iid, "huanbao", result="agree")
    assert flow.task(services, iid, "consolidate")["window"] == "leader"
    flow.complete(
        services, flow.task(services, iid, "consolidate")["id"], {"decision": "approve"}, actor="director"
    )
    # the lead window still hands the result to the applicant
    assert flow.task(services, iid, "notify_applicant")["window"] == "shichang"


def test_lead_window_defaults_to_the_centre_counter(services, clock):
    flow.deploy_library(services, *FILES)
    iid = flow.start_item(services, KEY, {"applicant": "李四"})
    assert flow.task(services, iid, "accept")["window"] == "centre"
    accept(services, iid, related_windows=["centre", "shebao"], review_days=None)
    # the lead window is not its own related window; review_days falls back to 3
    [only] = flow.tasks(services, iid)
    assert (only["window"], only["due_at"]) == ("shebao", REVIEW_DUE)


def test_incomplete_materials_go_through_correction_first(services, clock):
    iid = start(services)
    accept(services, iid, materials_complete=False)
    notice = flow.task(services, iid, "correction_notice")
    assert notice["window"] == "shichang"
    flow.complete(services, notice["id"], {"missing_materials": ["规划设计方案"]})
    view = flow.describe(services, iid)
    assert view["status"] == "waiting"
    assert view["pauses"] == [{"reason": "补正", "started_at": "2026-09-28T01:00:00+00:00", "ended_at": None}]

    clock.set(flow.local("2026-09-30", "10:00"))
    flow.send(services, "materials_resubmitted", view["business_key"], {"materials": ["规划设计方案"]})
    flow.complete(services, flow.task(services, iid, "materials_check")["id"], {"complete": True})

    # the related windows get their notice now; their limit counts from Wed 09-30: 10-08, 10-09, 10-10
    reviews = [t for t in flow.tasks(services, iid) if t["spec_name"] == "review"]
    assert sorted(t["window"] for t in reviews) == sorted(WINDOWS)
    assert {t["due_at"] for t in reviews} == {"2026-10-10T15:59:59+00:00"}
    view = flow.describe(services, iid)
    # paused (09-28, 09-30]: 2 working days → deadline moves from Fri 10-23 to Tue 10-27
    assert view["deadline"] == "2026-10-27T15:59:59+00:00"
    assert view["pauses"][0]["ended_at"] == "2026-09-30T02:00:00+00:00"
    assert trail(services, iid) == [
        "start",
        "complete",  # acceptance: materials incomplete
        "complete",  # one-time notice of the missing materials
        "clock_paused",
        "message",  # materials resubmitted
        "clock_resumed",
        "timer_cancelled",  # the applicant's correction limit
        "complete",  # materials checked: complete
        *["document_issued"] * 3,  # the 联办通知 goes out with the request
    ]


def test_still_incomplete_after_correction_is_not_accepted(services, clock):
    iid = start(services)
    accept(services, iid, materials_complete=False)
    flow.complete(
        services, flow.task(services, iid, "correction_notice")["id"], {"missing_materials": ["营业执照"]}
    )
    flow.send(services, "materials_resubmitted", flow.describe(services, iid)["business_key"], {})
    flow.complete(services, flow.task(services, iid, "materials_check")["id"], {"complete": False})
    refusal = flow.task(services, iid, "refusal")
    assert (refusal["window"], refusal["form_key"]) == ("shichang", "refusal")
    flow.complete(
        services, refusal["id"], {"reason": "补正后仍缺营业执照", "legal_basis": "行政许可法第三十二条"}
    )
    view = flow.describe(services, iid)
    assert view["status"] == "completed"
    assert "end_not_accepted" in view["completed_path"]
    assert "joint_review" not in view["completed_path"]
    assert view["data"]["refused"] is True

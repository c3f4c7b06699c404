"""承诺件 (bpmn/chengnuo.bpmn): acceptance notice with the promised date, the supervision office at the deadline.

The warnings (提示 −1, 黄牌 0, 红牌 +3) come from the warning-rule table only (one source; the diagram records none).

Clock: Mon 2026-09-28 09:00 Asia/Shanghai (01:00 UTC); National Day 10-01..10-07, make-up working days Sun 09-20
and Sat 10-10. Expected dates are counted by hand in working days.
"""

from __future__ import annotations

from typing import Any

import pytest

import runner
from tests.support import flow

# 10 working days from Mon 09-28: 09-29, 09-30, 10-08, 10-09, 10-10 (make-up Sat), 10-12 .. 10-16
DEADLINE = "2026-10-16T15:59:59+00:00"
YELLOW_AT = "2026-10-16T16:00:00+00:00"  # the 黄牌: once the deadline's day is over (is_late)
DAY_OVER = "2026-10-16T16:00:00+00:00"  # the diagram's timer on DEADLINE: when its day is over
WARN_AT = "2026-10-14T16:00:00+00:00"  # 00:00 Thu 10-15, the working day before


@pytest.fixture
def lib(services) -> None:
    flow.deploy_library(services, "block_correction.bpmn", "block_refusal.bpmn", "chengnuo.bpmn")
    with services.transaction() as s:
        runner.seed_warning_rules(s)


def do(services, iid: int, name: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    found = flow.task(services, iid, name)
    flow.complete(services, found["id"], data or {})
    return found


def accept(services, iid: int) -> None:
    do(services, iid, "accept", {"eligible": True, "materials_complete": True})
    do(services, iid, "acceptance_notice", {"notice_no": "受字[2026]001号"})


def timers(services, iid: int) -> list[tuple[str, str, str]]:
    """The diagram's own timers (the warning rules' are ``rule_timers``)."""
    return [
        (t["name"], t["due_at"], t["status"])
        for t in flow.describe(services, iid)["timers"]
        if t["kind"] == "bpmn"
    ]


def rule_timers(services, iid: int) -> list[tuple[str, str, str]]:
    return [
        (t["name"], t["due_at"], t["status"])
        for t in flow.describe(services, iid)["timers"]
        if t["kind"] == "rule"
    ]


def message(level: str, deadline_day: str, key: str = "2026-000001") -> str:
    label = {"notice": "提示", "yellow": "黄牌", "red": "红牌"}[level]
    return f"办件 {key}「承诺件」{label}预警：承诺时限 {deadline_day}"


def finish(services, iid: int, survey: bool = False) -> None:
    do(services, iid, "review", {"needs_survey": survey, "review_opinion": "符合条件"})
    if survey:
        do(services, iid, "site_survey", {"survey_result": "现场与申报一致"})
    do(services, iid, "decide", {"approved": True, "decision_no": "许字[2026]001号"})
    do(services, iid, "notify", {"delivery": "窗口领取"})


def test_on_time_no_warnings(services, clock, lib):
    iid = flow.start_item(services, "chengnuo", {"applicant": "张三"})
    view = flow.describe(services, iid)
    assert (view["item_kind"], view["deadline"]) == ("promised", DEADLINE)
    do(services, iid, "accept", {"eligible": True, "materials_complete": True})
    view = flow.describe(services, iid)
    # the acceptance notice shows the promised date computed from item_deadline()
    assert view["data"]["promised_date"] == DEADLINE
    assert view["data"]["promised_day"] == "2026-10-16"
    notice = flow.task(services, iid, "acceptance_notice")
    assert (notice["window"], notice["form_key"]) == ("centre", "acceptance_notice")
    do(services, iid, "acceptance_notice")
    review = flow.task(services, iid, "review")
    assert (review["window"], review["form_key"], review["limit_days"]) == ("centre", "review", 5)
    assert timers(services, iid) == [("到达承诺期限", DAY_OVER, "pending")]
    assert rule_timers(services, iid) == [
        ("提示预警", WARN_AT, "pending"),
        ("黄牌预警", YELLOW_AT, "pending"),
        ("红牌预警", "2026-10-21T16:00:00+00:00", "pending"),  # once +3 is over: 10-19, 10-20, 10-21
    ]

    clock.set(flow.local("2026-10-12", "10:00"))
    finish(services, iid)
    view = flow.describe(services, iid)
    assert view["status"] == "completed"
    assert [
        {k: w[k] for k in ("level", "rule", "window", "message", "created_at")} for w in view["warnings"]
    ] == []
    assert [t["status"] for t in view["timers"]] == ["cancelled"] * 4  # cancelled with the work
    assert "end_done" in view["completed_path"] and "site_survey" not in view["completed_path"]
    assert "supervision_review" not in view["completed_path"]
    assert flow.actions(services, iid) == [
        "start", "complete", "complete", "complete", "complete", "complete", "timer_cancelled",
    ]  # fmt: skip
    # nothing fires later either
    flow.advance_to(services, clock, flow.local("2026-10-20"))
    assert flow.describe(services, iid)["warnings"] == []


def test_warning_one_working_day_before_deadline_across_national_day(services, clock, lib):
    iid = flow.start_item(services, "chengnuo", {"applicant": "张三", "promised_days": 3})
    # 3 working days: 09-29, 09-30, 10-08; the working day before 10-08 is Wed 09-30 (10-01..10-07 off)
    assert flow.describe(services, iid)["deadline"] == "2026-10-08T15:59:59+00:00"
    accept(services, iid)
    assert timers(services, iid) == [("到达承诺期限", "2026-10-08T16:00:00+00:00", "pending")]
    assert rule_timers(services, iid)[0] == ("提示预警", "2026-09-29T16:00:00+00:00", "pending")
    flow.advance_to(services, clock, flow.local("2026-09-30", "08:00"))
    view = flow.describe(services, iid)
    assert [
        {k: w[k] for k in ("level", "rule", "window", "message", "created_at")} for w in view["warnings"]
    ] == [
        {
            "level": "notice",
            "rule": "rule:notice",
            "window": "centre",
            "message": message("notice", "2026-10-08"),  # a local date, not UTC ISO
            "created_at": "2026-09-29T16:00:00+00:00",
        }
    ]
    assert [t["spec_name"] for t in view["tasks"]] == ["review"]  # non-interrupting: the work goes on

    flow.advance_to(
        services, clock, flow.local("2026-10-08", "10:00")
    )  # the holiday passes; still within the deadline
    finish(services, iid)
    view = flow.describe(services, iid)
    assert view["status"] == "completed"
    assert [w["level"] for w in view["warnings"]] == ["notice"]  # once: the diagram records no second one
    assert timers(services, iid) == [("到达承诺期限", "2026-10-08T16:00:00+00:00", "cancelled")]
    assert rule_timers(services, iid)[0] == ("提示预警", "2026-09-29T16:00:00+00:00", "fired")
    assert flow.actions(services, iid) == [
        "start", "complete", "complete", "timer_fired", "warning",
        "complete", "complete", "complete", "timer_cancelled",
    ]  # fmt: skip


def test_overdue_at_deadline_warns_and_goes_to_supervision(services, clock, lib):
    iid = flow.start_item(services, "chengnuo", {"applicant": "张三"})
    accept(services, iid)
    flow.advance_to(services, clock, flow.local("2026-10-19", "09:00"))
    view = flow.describe(services, iid)
    # one warning per rule and instant: the diagram's timer only hands the item to the supervision office
    assert [(w["level"], w["message"], w["created_at"]) for w in view["warnings"]] == [
        ("notice", message("notice", "2026-10-16"), WARN_AT),
        ("yellow", message("yellow", "2026-10-16"), YELLOW_AT),
    ]
    assert view["data"]["overdue_at"] == DAY_OVER
    supervision = flow.task(services, iid, "supervision_review")
    assert (supervision["window"], supervision["form_key"]) == ("supervision", "supervision_review")
    assert flow.task(services, iid, "review")["window"] == "centre"  # the work itself is not interrupted

    finish(services, iid)
    view = flow.describe(services, iid)
    assert view["status"] == "running"  # the supervision office still has to close its review
    assert [t["spec_name"] for t in view["tasks"]] == ["supervision_review"]
    do(services, iid, "supervision_review", {"overdue_reason": "审查人员出差", "measures": "约谈窗口负责人"})
    view = flow.describe(services, iid)
    assert view["status"] == "completed"
    assert {"end_done", "end_supervised"} <= set(view["completed_path"])
    assert flow.actions(services, iid) == [
        # the 黄牌 and the diagram's hand-over both fall due once the deadline's day is over
        "start", "complete", "complete", "timer_fired", "warning", "timer_fired", "warning", "timer_fired",
        "complete", "complete", "complete", "complete",
    ]  # fmt: skip


def test_correction_pauses_clock_across_national_day_and_weekend(services, clock, lib):
    iid = flow.start_item(services, "chengnuo", {"applicant": "张三", "correction_days": 15})
    view = flow.describe(services, iid)
    assert view["deadline"] == DEADLINE
    do(services, iid, "accept", {"eligible": True, "materials_complete": False})
    notice = flow.task(services, iid, "correction_notice")
    assert (notice["window"], notice["form_key"]) == ("centre", "correction_notice")
    do(services, iid, "correction_notice", {"missing_materials": ["消防验收意见书", "房屋租赁合同"]})
    view = flow.describe(services, iid)
    assert view["status"] == "waiting"
    assert view["pauses"] == [{"reason": "补正", "started_at": "2026-09-28T01:00:00+00:00", "ended_at": None}]
    assert view["deadline"] == DEADLINE  # stored deadline before the resumption
    # the applicant's limit (correction_days 15 from the data): 10-16 + 10-19 .. 10-23 = Fri 10-23
    assert timers(services, iid) == [("补正期限届满", "2026-10-23T16:00:00+00:00", "pending")]

    clock.set(flow.local("2026-10-19", "09:30"))  # Monday after the weekend of 10-17/18
    flow.send(
        services,
        "materials_resubmitted",
        view["business_key"],
        {"materials": ["消防验收意见书", "房屋租赁合同"]},
    )
    view = flow.describe(services, iid)
    assert view["pauses"] == [
        {"reason": "补正", "started_at": "2026-09-28T01:00:00+00:00", "ended_at": "2026-10-19T01:30:00+00:00"}
    ]
    # paused working days in (09-28, 10-19]: 09-29, 09-30, 10-08, 10-09, 10-10, 10-12 .. 10-16, 10-19 = 11
    # (National Day 10-01..10-07 and the weekends 10-03/04, 10-11, 10-17/18 are not counted);
    # 10-16 + 11 working days = 10-19 .. 10-23, 10-26 .. 10-30, Mon 11-02
    assert view["deadline"] == "2026-11-02T15:59:59+00:00"
    do(services, iid, "materials_check", {"complete": True})
    view = flow.describe(services, iid)
    assert view["data"]["promised_date"] == "2026-11-02T15:59:59+00:00"
    assert view["data"]["promised_day"] == "2026-11-02"
    do(services, iid, "acceptance_notice")
    # the warning timers follow the moved deadline: 00:00 Fri 10-30 and end of Mon 11-02
    assert timers(services, iid) == [
        ("补正期限届满", "2026-10-23T16:00:00+00:00", "cancelled"),
        ("到达承诺期限", "2026-11-02T16:00:00+00:00", "pending"),
    ]
    assert ("提示预警", "2026-10-29T16:00:00+00:00", "pending") in rule_timers(services, iid)
    # no warning at the original dates
    flow.advance_to(services, clock, flow.local("2026-10-29", "18:00"))
    assert flow.describe(services, iid)["warnings"] == []
    flow.advance_to(services, clock, flow.local("2026-10-30", "09:00"))
    assert [(w["level"], w["created_at"]) for w in flow.describe(services, iid)["warnings"]] == [
        ("notice", "2026-10-29T16:00:00+00:00")
    ]
    finish(services, iid)
    view = flow.describe(services, iid)
    assert view["status"] == "completed"
    assert [w["level"] for w in view["warnings"]] == ["notice"]
    assert flow.actions(services, iid) == [
        "start", "complete", "complete", "clock_paused", "message", "timer_cancelled", "clock_resumed",
        "complete", "complete", "timer_fired", "warning", "complete", "complete", "complete", "timer_cancelled",
    ]  # fmt: skip


def test_correction_timeout_returns_with_notice(services, clock, lib):
    iid = flow.start_item(services, "chengnuo", {"applicant": "张三"})
    do(services, iid, "accept", {"eligible": True, "materials_complete": False})
    do(services, iid, "correction_notice", {"missing_materials": ["规划许可证"]})
    flow.advance_to(services, clock, flow.local("2026-10-19", "09:00"))
    view = flow.describe(services, iid)
    # the applicant's 10 working days ran out at the end of Fri 10-16; the clock resumed then
    assert view["pauses"] == [
        {"reason": "补正", "started_at": "2026-09-28T01:00:00+00:00", "ended_at": "2026-10-16T16:00:00+00:00"}
    ]
    # paused (09-28, 10-16] = 10 working days → 10-16 + 10 = Fri 10-30
    assert view["deadline"] == "2026-10-30T15:59:59+00:00"
    notice = do(services, iid, "return_notice", {"return_note": "逾期未补正，材料退回"})
    assert (notice["window"], notice["form_key"]) == ("centre", "return_notice")
    view = flow.describe(services, iid)
    assert view["status"] == "completed"
    assert view["data"]["correction_result"] == "returned"
    assert "end_returned" in view["completed_path"]
    assert "acceptance_notice" not in view["completed_path"] and "review" not in view["completed_path"]
    assert [
        {k: w[k] for k in ("level", "rule", "window", "message", "created_at")} for w in view["warnings"]
    ] == []
    assert timers(services, iid) == [("补正期限届满", "2026-10-16T16:00:00+00:00", "fired")]
    assert flow.actions(services, iid) == [
        "start", "complete", "complete", "clock_paused", "timer_fired", "clock_resumed", "complete",
    ]  # fmt: skip


def test_site_survey_branch(services, clock, lib):
    iid = flow.start_item(services, "chengnuo", {"applicant": "张三"})
    accept(services, iid)
    clock.set(flow.local("2026-09-29", "10:00"))
    do(services, iid, "review", {"needs_survey": True, "review_opinion": "需现场核实经营场所"})
    survey = flow.task(services, iid, "site_survey")
    assert (survey["window"], survey["form_key"], survey["limit_days"]) == ("centre", "site_survey", 3)
    # 3 working days from Tue 09-29: 09-30, 10-08, 10-09
    assert survey["due_at"] == "2026-10-09T15:59:59+00:00"
    do(services, iid, "site_survey", {"survey_result": "现场与申报一致"})
    do(services, iid, "decide", {"approved": True})
    do(services, iid, "notify")
    view = flow.describe(services, iid)
    assert view["status"] == "completed"
    assert view["data"]["survey_result"] == "现场与申报一致"
    assert view["completed_path"].index("site_survey") < view["completed_path"].index("decide")
    assert [
        {k: w[k] for k in ("level", "rule", "window", "message", "created_at")} for w in view["warnings"]
    ] == []
    assert [t["status"] for t in view["timers"]] == ["cancelled"] * 4

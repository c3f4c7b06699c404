"""差评整改 (bpmn/rectification.bpmn): 核实 → 拟办 → 领导批示 → 整改 → 回访, within 15 working days.

Clock: Mon 2026-09-28 09:00 Asia/Shanghai; National Day 10-01..10-07 with the make-up working day Sat 10-10.
15 working days from the rating on Mon 09-28: 09-29, 09-30, 10-08, 10-09, 10-10, 10-12 … 10-16, 10-19 … 10-23
→ end of Fri 10-23 (15:59:59 UTC).
"""

from __future__ import annotations

from typing import Any

import pytest

import runner
from runner.applicants import ratings, rectification
from runner.models import Rating, Rectification, WarningEvent
from tests.support.flow import advance_to, complete, deploy_library, describe, local, start_item, task, tasks

DUE = "2026-10-23T15:59:59+00:00"


@pytest.fixture
def item(services) -> str:
    deploy_library(
        services, "block_correction.bpmn", "block_refusal.bpmn", "jiban.bpmn", "rectification.bpmn"
    )
    iid = start_item(
        services, "jiban", {"applicant": "王五", "lead_window": "shichang", "title": "名称预先核准"}
    )
    return describe(services, iid)["business_key"]


def rate(services: Any, key: str, level: str = "very_dissatisfied", **kw: Any) -> tuple[int, int | None]:
    with services.transaction() as s:
        row = ratings.give_rating(
            s, key, level=level, channel="counter", occasion="acceptance", comment=kw.pop("comment", "材料讲了三遍"),
            **kw,
        )  # fmt: skip
        rect = rectification.for_rating(s, row.id)
        return row.id, rect.process_instance_id if rect else None


def state(services: Any, rating_id: int) -> dict[str, Any]:
    with services.transaction() as s:
        row = rectification.for_rating(s, rating_id)
        assert row is not None
        return rectification.rectification_view(s, rectification.sync(s, row))


def test_founded_bad_rating_rectified_approved_and_called_back(services, clock, item):
    rating_id, iid = rate(services, item, named=True, rater_name="王五", rater_phone="13900001111",
                          indicators={"attitude": "very_dissatisfied"})  # fmt: skip
    assert iid is not None
    view = describe(services, iid)
    assert (view["item_kind"], view["lead_window"], view["deadline"]) == ("rectification", "shichang", DUE)
    text = repr(view["data"])
    assert "13900001111" not in text and "王五" not in text  # the rater's contact stays in the ratings row
    assert view["data"]["indicators_text"] == "服务态度：非常不满意"
    assert state(services, rating_id)["state"] == "verifying"

    verify = task(services, iid, "verify")
    assert (verify["window"], verify["form_key"]) == ("supervision", "rectification_verify")
    complete(
        services,
        verify["id"],
        {"verdict": "founded", "window": "shichang", "verify_note": "属实"},
        "supervisor",
    )
    assert state(services, rating_id)["state"] == "pending"
    propose = task(services, iid, "propose")
    assert (propose["window"], propose["form_key"]) == ("shichang", "rectification_propose")
    complete(services, propose["id"], {"plan": "一次性告知培训", "cannot_rectify": False}, "clerk_sc")
    leader = task(services, iid, "leader_approve")
    assert leader["window"] == "leader"
    complete(services, leader["id"], {"plan_approved": False, "instruction": "方案太笼统"}, "leader")
    complete(services, task(services, iid, "propose")["id"], {"plan": "逐项培训并考核"}, "clerk_sc")
    complete(
        services, task(services, iid, "leader_approve")["id"], {"plan_approved": True, "instruction": "同意"}
    )
    assert state(services, rating_id)["state"] == "in_progress"
    rect = task(services, iid, "rectify")
    assert (rect["window"], rect["due_at"]) == ("shichang", DUE)
    clock.set(local("2026-10-09", "10:00"))
    complete(services, rect["id"], {"measures": "已培训", "reply": "已致歉并说明"}, "clerk_sc")
    done = state(services, rating_id)
    assert (done["state"], done["on_time"], done["verdict"]) == ("done", True, "founded")
    revisit = task(services, iid, "revisit")
    assert revisit["window"] == "supervision"
    complete(services, revisit["id"], {"revisit_result": "satisfied", "revisit_note": "满意"}, "supervisor")
    final = state(services, rating_id)
    with pytest.raises(runner.InvalidInput):  # the rectification itself is no item to rate
        rate(services, describe(services, iid)["business_key"], level="satisfied")
    assert (final["revisit_result"], describe(services, iid)["status"]) == ("satisfied", "completed")
    # 考核 reads the event against the window
    with services.transaction() as s:
        events = rectification.founded_bad_ratings(s, local("2026-09-28").date(), local("2026-10-31").date())
    assert [(e.window, e.subject, e.rectified_on_time) for e in events] == [
        ("shichang", f"rating:{rating_id}", True)
    ]


def test_malicious_rating_dismissed_only_with_approval(services, clock, item):
    rating_id, iid = rate(services, item, level="not_satisfied", comment="随便打的")
    complete(services, task(services, iid, "verify")["id"],
             {"verdict": "malicious", "window": "shichang", "verify_note": "与办件无关"}, "supervisor")  # fmt: skip
    approve = task(services, iid, "approve_invalid")
    assert approve["form_key"] == "rectification_dismissal"
    complete(
        services, approve["id"], {"dismissal_approved": False, "dismissal_reason": "证据不足"}, "sup_head"
    )
    assert state(services, rating_id)["state"] == "verifying"  # back to verification
    complete(services, task(services, iid, "verify")["id"],
             {"verdict": "malicious", "window": "shichang", "verify_note": "录像证明"}, "supervisor")  # fmt: skip
    complete(services, task(services, iid, "approve_invalid")["id"],
             {"dismissal_approved": True, "dismissal_reason": "录像显示服务规范"}, "sup_head")  # fmt: skip
    assert state(services, rating_id)["state"] == "invalid"
    assert describe(services, iid)["status"] == "completed"  # anonymous: nobody to call back
    with services.transaction() as s:
        assert (
            rectification.founded_bad_ratings(s, local("2026-09-28").date(), local("2026-10-31").date()) == []
        )


def test_one_extension_and_warnings_past_the_limit(services, clock, item):
    with services.transaction() as s:
        runner.seed_warning_rules(s)
    rating_id, iid = rate(services, item)
    complete(services, task(services, iid, "verify")["id"], {"verdict": "founded", "window": "shichang",
             "verify_note": "属实"})  # fmt: skip
    complete(services, task(services, iid, "propose")["id"], {"plan": "整改"})
    complete(
        services, task(services, iid, "leader_approve")["id"], {"plan_approved": True, "instruction": "同意"}
    )
    complete(services, task(services, iid, "rectify")["id"],
             {"request_extension": True, "extension_days": 2, "extension_reason": "需上级配合"})  # fmt: skip
    complete(services, task(services, iid, "approve_extension")["id"],
             {"extension_approved": True, "extension_decision": "同意延期2个工作日"}, "supervisor")  # fmt: skip
    assert describe(services, iid)["deadline"] == "2026-10-27T15:59:59+00:00"  # two more working days
    complete(services, task(services, iid, "rectify")["id"],
             {"request_extension": True, "extension_days": 3, "extension_reason": "再延"})  # fmt: skip
    again = task(services, iid, "rectify")  # refused: one extension only
    assert "approve_extension" not in [t["spec_name"] for t in tasks(services, iid)]
    assert describe(services, iid)["data"]["extension_note"].startswith("延期只能申请一次")

    advance_to(services, clock, local("2026-10-28", "10:00"))
    with services.transaction() as s:
        found = s.query(WarningEvent).filter_by(instance_id=iid).order_by(WarningEvent.id)
        levels = [(w.level, w.window) for w in found]
    assert levels == [("notice", "shichang"), ("yellow", "shichang")]
    assert state(services, rating_id)["state"] == "overdue"
    complete(services, again["id"], {"measures": "已整改", "reply": "已答复"})
    late = state(services, rating_id)
    assert (late["state"], late["on_time"]) == ("done", False)
    assert describe(services, iid)["status"] == "completed"


def test_cannot_rectify_needs_approval(services, clock, item):
    rating_id, iid = rate(services, item, named=True, rater_name="李四", rater_phone="13900002222")
    complete(services, task(services, iid, "verify")["id"], {"verdict": "founded", "window": "guotu",
             "verify_note": "属实，责任在国土窗口"})  # fmt: skip
    propose = task(services, iid, "propose")
    assert propose["window"] == "guotu"  # the window at fault named at verification
    complete(services, propose["id"], {"plan": "", "cannot_rectify": True, "unable_reason": "法规所限"})
    complete(services, task(services, iid, "approve_unable")["id"],
             {"unable_approved": True, "unable_decision": "属政策限制，同意"}, "supervisor")  # fmt: skip
    assert state(services, rating_id)["state"] == "unable"
    complete(
        services,
        task(services, iid, "revisit")["id"],
        {"revisit_result": "unreachable", "revisit_note": "关机"},
    )
    with services.transaction() as s:
        assert s.get(Rectification, 1).window == "guotu"
        assert s.query(Rating).count() == 1


def test_founded_bad_rating_counts_in_assessment_until_an_appeal_is_upheld(services, clock, item):
    """考核's 不满意 rule counts a 差评 once it is found 属实, against the window at fault; an upheld appeal of
    the window's head removes it from the scheme's score and from the 好差评 events alike."""
    from runner.people import directory
    from runner.supervision.assessment import decide_appeal
    from runner.supervision.assessment_schemes import appeals, scoring, store
    from runner.supervision.assessment_schemes.periods import Span

    scheme = {
        "code": "haoping", "name": "好差评考核", "target": "window", "period": "month", "full_score": 100,
        "floor": 0, "sections": [{"code": "all", "name": "服务", "max": 100, "cap": True, "rules": [
            {"code": "bad_rating", "event": "unsatisfied_rating", "points": -5},
        ]}],
    }  # fmt: skip
    with services.transaction() as s:
        directory.create_user(s, "sc_head", "市场负责人", "banjian2026", [("shichang", "window_head")])
        directory.create_user(s, "sup", "督查员", "banjian2026", [("supervision", "supervisor")])
        store.save_scheme(s, scheme, actor="sup")
    rating_id, iid = rate(services, item)
    september = Span(local("2026-09-01").date(), local("2026-09-30").date())

    def lines() -> list[tuple[str, str, float, bool]]:
        with services.transaction() as s:
            res = scoring.score_period(s, store.scheme_for(s, "haoping", september.first), september)
        return [(w, ln.subject, ln.points, ln.counted) for w, sc in res.scores.items() for ln in sc.lines]

    assert lines() == []  # rated, not yet verified: nothing counts
    complete(services, task(services, iid, "verify")["id"], {"verdict": "founded", "window": "shichang",
             "verify_note": "属实"})  # fmt: skip
    assert lines() == [("shichang", f"rating:{rating_id}", -5, True)]
    with services.transaction() as s:
        appeal = appeals.file_appeal(
            s, scheme_code="haoping", rule_code="bad_rating", subject="shichang",
            event_subject=f"rating:{rating_id}", span=september, reason="申请人误评", actor="sc_head",
        )  # fmt: skip
        decide_appeal(s, appeal.id, upheld=True, decision="录像证明服务规范", actor="sup")
    assert lines() == [("shichang", f"rating:{rating_id}", -5, False)]
    with services.transaction() as s:
        assert rectification.founded_bad_ratings(s, september.first, september.last) == []

"""加签 / 减签 on the shipped 抄告制 diagram: the joint review grows and shrinks while it runs; the other
windows' answers stay, and the open tasks, timers and audit trail follow."""

from __future__ import annotations

from typing import Any

import pytest

import runner
from tests.bpmn.test_lianban_chaogao import accept, review, start
from tests.support.flow import actions, advance_to, describe, local, tasks

REVIEW_DUE = "2026-10-08T15:59:59+00:00"


def reviews(services: Any, iid: int) -> dict[str, dict[str, Any]]:
    return {t["window"]: t for t in tasks(services, iid) if t["spec_name"] == "review"}


def add(services: Any, iid: int, window: str, reason: str = "涉及林地，需林业审查") -> None:
    with services.transaction() as s:
        runner.add_reviewer(s, iid, window, actor="lead_clerk", reason=reason)


def remove(services: Any, iid: int, window: str, reason: str = "项目不涉及该窗口职责") -> None:
    with services.transaction() as s:
        runner.remove_reviewer(s, iid, window, actor="lead_clerk", reason=reason)


def members(services: Any, iid: int) -> dict[str, str]:
    with services.transaction() as s:
        (block,) = runner.review_blocks(s, iid)
    assert (block["block"], block["name"], block["sequential"]) == (
        "joint_review",
        "同步审查（各相关窗口）",
        False,
    )
    return {m["item"]: m["state"] for m in block["members"]}


def test_add_a_window_to_a_running_review_keeps_the_answers(services, clock):
    iid = start(services)
    accept(services, iid)
    review(services, iid, "guotu", result="agree")
    clock.set(local("2026-09-29", "10:00"))
    add(services, iid, "shebao")

    assert members(services, iid) == {
        "guotu": "answered",
        "huanbao": "open",
        "guihua": "open",
        "shebao": "open",
    }
    open_reviews = reviews(services, iid)
    assert sorted(open_reviews) == ["guihua", "huanbao", "shebao"]
    # the added window gets its own 3 working days from now: 09-30, 10-08, 10-09
    assert open_reviews["shebao"]["due_at"] == "2026-10-09T15:59:59+00:00"
    assert open_reviews["huanbao"]["due_at"] == REVIEW_DUE
    view = describe(services, iid)
    assert view["data"]["related_windows"] == ["guotu", "huanbao", "guihua", "shebao"]
    # each review's timer falls due when its limit day is over (the next local midnight)
    pending = sorted(t["due_at"] for t in view["timers"] if t["status"] == "pending")
    assert pending == ["2026-10-08T16:00:00+00:00"] * 2 + ["2026-10-09T16:00:00+00:00"]
    entry = next(a for a in view["audit"] if a["action"] == "add_reviewer")
    assert entry["actor"] == "lead_clerk"
    assert entry["detail"]["item"] == "shebao" and entry["detail"]["reason"] == "涉及林地，需林业审查"
    assert entry["detail"]["members"] == ["guotu", "huanbao", "guihua", "shebao"]

    for window in ("huanbao", "guihua", "shebao"):
        review(services, iid, window, result="agree")
    opinions = {o["window"]: o["result"] for o in describe(services, iid)["data"]["opinions"]}
    assert opinions == {"guotu": "agree", "huanbao": "agree", "guihua": "agree", "shebao": "agree"}
    assert [t["spec_name"] for t in tasks(services, iid)] == ["consolidate"]


def test_the_added_window_is_deemed_at_its_own_limit(services, clock):
    iid = start(services)
    accept(services, iid)
    clock.set(local("2026-09-29", "10:00"))
    add(services, iid, "shebao")
    for window in ("guotu", "huanbao", "guihua"):
        review(services, iid, window, result="agree")
    advance_to(services, clock, local("2026-10-08", "23:00"))
    assert sorted(reviews(services, iid)) == ["shebao"]  # its own limit has not passed yet
    advance_to(services, clock, local("2026-10-10", "09:00"))
    view = describe(services, iid)
    assert [t["spec_name"] for t in view["tasks"]] == ["consolidate"]
    assert [(r["window"], r["rule"]) for r in view["accountability"]] == [("shebao", "timeout")]


def test_remove_a_window_that_has_not_answered(services, clock):
    iid = start(services)
    accept(services, iid)
    review(services, iid, "guotu", result="agree")
    remove(services, iid, "guihua")

    assert members(services, iid) == {"guotu": "answered", "huanbao": "open"}
    assert sorted(reviews(services, iid)) == ["huanbao"]
    view = describe(services, iid)
    assert sorted(t["status"] for t in view["timers"]) == ["cancelled", "cancelled", "pending"]
    assert actions(services, iid)[-2:] == ["remove_reviewer", "timer_cancelled"]

    review(services, iid, "huanbao", result="agree_with_conditions", conditions="落实环保措施")
    view = describe(services, iid)
    assert [t["spec_name"] for t in view["tasks"]] == ["consolidate"]
    assert sorted(o["window"] for o in view["data"]["opinions"]) == ["guotu", "huanbao"]
    assert view["data"]["related_windows"] == ["guotu", "huanbao"]  # the block shrank
    assert view["accountability"] == []  # the removed window is not deemed to assent: it left the review


def test_removing_the_last_open_window_completes_the_review(services, clock):
    iid = start(services)
    accept(services, iid)
    review(services, iid, "guotu", result="agree")
    review(services, iid, "huanbao", result="agree")
    remove(services, iid, "guihua")
    view = describe(services, iid)
    assert [t["spec_name"] for t in view["tasks"]] == ["consolidate"]
    assert view["data"]["opinion_summary"] == {"agree": 2}
    assert [t["status"] for t in view["timers"]] == ["cancelled"] * 3


def test_remove_a_window_waiting_for_its_extension_decision(services, clock):
    iid = start(services)
    accept(services, iid)
    review(services, iid, "guotu", request_extension=True, extension_days=2, extension_reason="需勘察")
    assert [t["spec_name"] for t in tasks(services, iid) if t["window"] == "shichang"] == [
        "extension_decision"
    ]
    remove(services, iid, "guotu")
    assert sorted(t["spec_name"] for t in tasks(services, iid)) == ["review", "review"]


def test_refusals(services, clock):
    iid = start(services)
    with pytest.raises(runner.TaskNotReady), services.transaction() as s:
        runner.add_reviewer(s, iid, "shebao", actor="x", reason="r")  # not yet in review
    accept(services, iid)
    review(services, iid, "guotu", result="agree")
    before = len(actions(services, iid))
    for call, window, reason, error in (
        (runner.add_reviewer, "shebao", " ", runner.InvalidInput),  # no reason
        (runner.add_reviewer, "huanbao", "r", runner.InvalidInput),  # already a member
        (runner.remove_reviewer, "guotu", "r", runner.TaskNotReady),  # already answered
        (runner.remove_reviewer, "shebao", "r", runner.InvalidInput),  # not a member
    ):
        with pytest.raises(error), services.transaction() as s:
            call(s, iid, window, actor="x", reason=reason)
    assert len(actions(services, iid)) == before  # nothing was recorded


def test_a_review_keeps_at_least_one_member(services, clock):
    iid = start(services)
    accept(services, iid, related_windows=["guotu"])
    with pytest.raises(runner.InvalidInput), services.transaction() as s:
        runner.remove_reviewer(s, iid, "guotu", actor="x", reason="r")
    assert sorted(reviews(services, iid)) == ["guotu"]

"""Clerk operations: 撤回, 退回 (also inside a joint review), 催办, 抄送, 委派, 挂起 with the clock."""

from __future__ import annotations

import pytest

import runner
from tests.runner.helpers import actions, complete, deploy_file, describe, open_tasks, start, the_task


def _joint(services) -> int:
    deploy_file(services, "joint.bpmn")
    iid = start(services, "joint_test", data={"lead_window": "shebao"})
    complete(
        services, the_task(services, iid, "accept")["id"], {"related_windows": ["guotu", "huanbao", "guihua"]}
    )
    return iid


def _reviews(services, iid):
    return {t["window"]: t for t in open_tasks(services, iid) if t["spec_name"].startswith("review")}


def test_withdraw_while_next_step_untouched(services):
    deploy_file(services, "review.bpmn")
    iid = start(services, "review")
    accept_id = the_task(services, iid, "accept")["id"]
    complete(services, accept_id, {"complete": True}, actor="clerk_a")
    with pytest.raises(runner.PermissionDenied), services.transaction() as s:
        runner.withdraw(s, accept_id, actor="clerk_b")
    with services.transaction() as s:
        runner.withdraw(s, accept_id, actor="clerk_a")
    view = describe(services, iid)
    assert [t["spec_name"] for t in view["tasks"]] == ["accept"]
    assert [t["status"] for t in view["timers"]] == ["cancelled"]  # the decide step's timer went with it
    assert view["data"]["complete"] is True  # the form comes back filled in
    assert actions(services, iid)[-2:] == ["withdraw", "timer_cancelled"]


def test_withdraw_refused_once_the_next_step_is_claimed(services):
    deploy_file(services, "review.bpmn")
    iid = start(services, "review")
    accept_id = the_task(services, iid, "accept")["id"]
    complete(services, accept_id, {"complete": True}, actor="clerk_a")
    with services.transaction() as s:
        runner.claim(s, the_task(services, iid, "decide")["id"], actor="clerk_b")
    with pytest.raises(runner.TaskNotReady, match="claimed by clerk_b"), services.transaction() as s:
        runner.withdraw(s, accept_id, actor="clerk_a")
    assert [t["spec_name"] for t in describe(services, iid)["tasks"]] == ["decide"]


def test_send_back_to_an_earlier_step_keeps_the_clock(services):
    deploy_file(services, "review.bpmn")
    iid = start(services, "review")
    accept_id = the_task(services, iid, "accept")["id"]
    complete(services, accept_id, {"complete": True})
    deadline = describe(services, iid)["deadline"]
    decide = the_task(services, iid, "decide")
    with services.transaction() as s:
        steps = runner.returnable_steps(s, decide["id"])
    assert [st["spec_name"] for st in steps] == ["accept"]
    with pytest.raises(runner.InvalidInput), services.transaction() as s:
        runner.send_back(s, decide["id"], accept_id, actor="clerk_b", reason=" ")
    with pytest.raises(runner.InvalidInput), services.transaction() as s:
        runner.send_back(s, decide["id"], decide["id"], actor="clerk_b", reason="材料有误")
    with services.transaction() as s:
        runner.send_back(s, decide["id"], accept_id, actor="clerk_b", reason="材料有误")
    view = describe(services, iid)
    assert [t["spec_name"] for t in view["tasks"]] == ["accept"]
    assert view["deadline"] == deadline
    with services.transaction() as s:
        [note] = runner.notifications_for(s, user="clerk_a", windows=set())
    assert note.kind == "returned" and "材料有误" in note.message


def test_send_back_inside_a_joint_review_keeps_the_other_answers(services):
    iid = _joint(services)
    reviews = _reviews(services, iid)
    complete(services, reviews["guotu"]["id"], {"opinion": {"result": "agree", "window": "guotu"}})
    huanbao = reviews["huanbao"]
    with services.transaction() as s:
        steps = runner.returnable_steps(s, huanbao["id"])
        assert [st["spec_name"] for st in steps] == ["accept"]
        runner.send_back(
            s, huanbao["id"], steps[0]["task_id"], actor="huanbao_clerk", reason="需主办窗口补充说明"
        )
    assert [t["spec_name"] for t in open_tasks(services, iid)] == ["accept"]
    complete(
        services, the_task(services, iid, "accept")["id"], {"related_windows": ["guotu", "huanbao", "guihua"]}
    )
    assert sorted(_reviews(services, iid)) == ["guihua", "guotu", "huanbao"]


def test_urge_copy_and_delegate(services):
    deploy_file(services, "review.bpmn")
    iid = start(services, "review")
    task_id = the_task(services, iid, "accept")["id"]
    with services.transaction() as s:
        runner.urge(s, task_id, actor="supervisor", note="请今日办结")
        row = runner.urge(s, task_id, actor="supervisor")
        assert row.urge_count == 2 and row.last_urged_by == "supervisor"
        runner.copy_item(s, iid, actor="clerk_a", to_window="guotu", note="供参考")
    with services.transaction() as s:
        [copy] = runner.copies_for(s, user="nobody", windows={"guotu"})
        assert copy["note"] == "供参考" and copy["by"] == "clerk_a"
        assert runner.copies_for(s, user="nobody", windows={"huanbao"}) == []
        assert [n.kind for n in runner.notifications_for(s, user="x", windows={"shebao"})] == ["urge", "urge"]
    with services.transaction() as s:
        runner.claim(s, task_id, actor="clerk_a")
        runner.delegate(s, task_id, actor="clerk_a", to_user="expert", note="请提意见")
    with pytest.raises(runner.PermissionDenied), services.transaction() as s:
        runner.answer_delegation(s, task_id, actor="clerk_a", opinion="x")
    with services.transaction() as s:
        runner.answer_delegation(s, task_id, actor="expert", opinion="同意受理")
    task = the_task(services, iid, "accept")
    assert task["assignee"] == "clerk_a"
    assert describe(services, iid)["data"]["delegation_opinions"][0]["opinion"] == "同意受理"
    assert [a for a in actions(services, iid) if a in ("urge", "copy", "delegate", "delegation_answered")] == [
        "urge", "urge", "copy", "delegate", "delegation_answered",
    ]  # fmt: skip


def test_suspension_stops_the_clock(services, clock):
    deploy_file(services, "review.bpmn")
    iid = start(services, "review")
    assert describe(services, iid)["deadline"] == "2026-10-10T15:59:59+00:00"
    with services.transaction() as s:
        runner.suspend(s, iid, actor="head", reason="听证")
    clock.advance(days=3)  # Thu 1 Oct: holidays only, no working day passes
    clock.set(clock.now().replace(day=9))  # Fri 9 Oct: 8 and 9 Oct were working days while suspended
    with services.transaction() as s:
        runner.resume(s, iid, actor="head")
    view = describe(services, iid)
    assert view["pauses"][0]["reason"] == "挂起：听证" and view["pauses"][0]["ended_at"]
    # paused working days in (28 Sep, 9 Oct] = 29, 30, 8, 9 → 10 Oct + 4 wd = 12, 13, 14, 15 Oct
    assert view["deadline"] == "2026-10-15T15:59:59+00:00"

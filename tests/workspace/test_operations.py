"""Clerk operations in the workspace (forms/operations.py): 转办, 委派, 退回, 撤回, 催办, 抄送, 挂起/恢复 and the
message centre — each success path, and each tried by someone without the right (403, nothing changed)."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

import runner
from runner.models import AuditEntry, Notification
from tests.support.flow import describe, tasks

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture
def people(make_user: Any) -> None:
    make_user("sb1", ("shebao", "clerk"), name="社保甲")
    make_user("sb2", ("shebao", "clerk"), name="社保乙")
    make_user("sbhead", ("shebao", "window_head"), ("shebao", "clerk"), name="社保科长")
    make_user("gt1", ("guotu", "clerk"), name="国土甲")
    make_user("duban", ("centre", "supervisor"), name="督查室")


@pytest.fixture
def item(services: runner.Services, people: None) -> dict[str, Any]:
    """A ``review`` item (lead window shebao) at its first task 受理; returns that task."""
    with services.transaction() as s:
        runner.deploy(s, (DATA / "review.bpmn").read_bytes(), "review.bpmn", actor="designer")
    with services.transaction() as s:
        iid = runner.start(s, "review", actor="sb1", data={"applicant": "张三"}).id
    (task,) = tasks(services, iid)
    return task


def audit_count(services: runner.Services) -> int:
    with services.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def text(response: Any) -> str:
    return unescape(response.get_data(as_text=True))


def the_task(services: runner.Services, iid: int) -> dict[str, Any]:
    (task,) = tasks(services, iid)
    return task


def to_decide(services: runner.Services, item: dict[str, Any], actor: str = "sb1") -> dict[str, Any]:
    with services.transaction() as s:
        runner.complete(s, item["id"], {"complete": True}, actor=actor)
    return the_task(services, item["instance_id"])


def test_transfer_within_the_window_and_to_another_window(
    services: runner.Services, item: dict[str, Any], signed_in: Any
) -> None:
    url = f"/tasks/{item['id']}/transfer"
    before = audit_count(services)
    # another window's clerk: 403 on the page and on the post, nothing changed
    gt = signed_in("gt1")
    assert gt.get(url).status_code == 403
    assert gt.post(url, data={"to_user": "sb2", "reason": "x"}).status_code == 403
    # a clerk may not send it to another window
    sb1 = signed_in("sb1")
    page = sb1.get(url)
    assert page.status_code == 200 and "社保乙" in text(page) and 'name="to_window"' not in text(page)
    assert sb1.post(url, data={"to_window": "guotu", "reason": "x"}).status_code == 403
    assert audit_count(services) == before
    assert the_task(services, item["instance_id"])["window"] == "shebao"
    # a colleague outside the window is refused next to the field
    r = sb1.post(url, data={"to_user": "gt1"})
    assert r.status_code == 400 and "只能转办给本窗口的同事" in text(r)
    # within the window: any clerk of it
    r = sb1.post(url, data={"to_user": "sb2", "reason": "请假"})
    assert r.status_code == 302
    assert the_task(services, item["instance_id"])["assignee"] == "sb2"
    # to another window: the head, with a reason
    head = signed_in("sbhead")
    assert 'name="to_window"' in text(head.get(url))
    r = head.post(url, data={"to_window": "guotu", "reason": " "})
    assert r.status_code == 400 and "须写明理由" in text(r)
    assert head.post(url, data={"to_window": "guotu", "reason": "属国土事项"}).status_code == 302
    task = the_task(services, item["instance_id"])
    assert task["window"] == "guotu" and task["assignee"] is None
    with services.transaction() as s:
        entries = list(
            s.scalars(select(AuditEntry).where(AuditEntry.action == "reassign").order_by(AuditEntry.id))
        )
    assert [(e.actor, e.detail["after"]) for e in entries] == [
        ("sb1", {"assignee": "sb2", "window": "shebao"}),
        ("sbhead", {"assignee": None, "window": "guotu"}),
    ]
    assert entries[1].detail["note"] == "属国土事项"


def test_delegate_and_answer(services: runner.Services, item: dict[str, Any], signed_in: Any) -> None:
    with services.transaction() as s:
        runner.claim(s, item["id"], actor="sb1")
    before = audit_count(services)
    # only the assignee may delegate a claimed task
    assert signed_in("sb2").post(f"/tasks/{item['id']}/delegate", data={"to_user": "gt1"}).status_code == 403
    assert audit_count(services) == before
    sb1 = signed_in("sb1")
    assert 'id="op-delegate"' in text(sb1.get(f"/tasks/{item['id']}"))
    r = sb1.post(f"/tasks/{item['id']}/delegate", data={"to_user": "gt1", "note": "请看用地性质"})
    assert r.status_code == 302
    assert the_task(services, item["instance_id"])["assignee"] == "gt1"
    page = text(sb1.get(f"/tasks/{item['id']}"))
    assert 'id="delegated-note"' in page and "请看用地性质" in page and 'id="submit-task"' not in page
    assert "将撤销此委派" in page  # the holder is told how to get the task back without the answer
    # the answer: only the delegate
    url = f"/tasks/{item['id']}/delegation"
    before = audit_count(services)
    assert signed_in("sb2").get(url).status_code == 403
    assert sb1.post(url, data={"opinion": "x"}).status_code == 403
    assert audit_count(services) == before
    gt = signed_in("gt1")
    assert "请看用地性质" in text(gt.get("/notifications"))
    assert gt.get(url).status_code == 200
    r = gt.post(url, data={"opinion": " "})
    assert r.status_code == 400 and "请填写意见" in text(r)
    assert gt.post(url, data={"opinion": "符合规划"}).status_code == 302
    assert the_task(services, item["instance_id"])["assignee"] == "sb1"
    assert describe(services, item["instance_id"])["data"]["delegation_opinions"][0]["opinion"] == "符合规划"


def test_send_back_offers_completed_steps_and_needs_a_reason(
    services: runner.Services, item: dict[str, Any], signed_in: Any
) -> None:
    decide = to_decide(services, item)
    deadline = describe(services, item["instance_id"])["deadline"]
    url = f"/tasks/{decide['id']}/send-back"
    before = audit_count(services)
    gt = signed_in("gt1")
    assert gt.get(url).status_code == 403
    assert gt.post(url, data={"to_task_id": item["id"], "reason": "x"}).status_code == 403
    assert audit_count(services) == before
    sb2 = signed_in("sb2")
    page = text(sb2.get(url))
    assert f'value="{item["id"]}"' in page and "受理" in page
    r = sb2.post(url, data={"to_task_id": item["id"], "reason": ""})
    assert r.status_code == 400 and "退回须写明理由" in text(r)
    r = sb2.post(url, data={"to_task_id": decide["id"], "reason": "材料不全"})
    assert r.status_code == 400 and "请选择可退回的前序环节" in text(r)
    assert audit_count(services) == before
    assert sb2.post(url, data={"to_task_id": item["id"], "reason": "材料不全"}).status_code == 302
    back = the_task(services, item["instance_id"])
    assert back["spec_name"] == "accept"
    assert describe(services, item["instance_id"])["deadline"] == deadline  # the clock is not reset
    assert "材料不全" in text(signed_in("sb1").get("/notifications"))


def test_withdraw_from_my_completed_steps(
    services: runner.Services, item: dict[str, Any], signed_in: Any
) -> None:
    to_decide(services, item, actor="sb1")
    sb1 = signed_in("sb1")
    nav = text(sb1.get("/inbox"))
    assert 'href="/done"' in nav and 'href="/copies"' in nav and 'href="/notifications"' in nav
    page = text(sb1.get("/done"))
    assert f'data-done="{item["id"]}"' in page and "受理" in page
    assert f'data-done="{item["id"]}"' not in text(signed_in("sb2").get("/done"))
    before = audit_count(services)
    assert signed_in("sb2").post(f"/done/{item['id']}/withdraw").status_code == 403
    assert audit_count(services) == before
    r = sb1.post(f"/done/{item['id']}/withdraw")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/tasks/{item['id']}")
    back = the_task(services, item["instance_id"])
    # issue 21.8: the step is back in the withdrawing clerk's own inbox, marked as withdrawn
    assert back["spec_name"] == "accept" and back["assignee"] == "sb1"
    assert back["returned"]["kind"] == "withdraw" and back["returned"]["by"] == "sb1"
    assert "已撤回，任务已回到您的待办" in text(sb1.get(f"/tasks/{item['id']}"))
    assert "已撤回" in text(sb1.get("/done"))
    # once the next task is claimed, withdrawing is refused with a clear message
    accept = the_task(services, item["instance_id"])
    decide = to_decide(services, accept, actor="sb1")
    with services.transaction() as s:
        runner.claim(s, decide["id"], actor="sb2")
    r = sb1.post(f"/done/{accept['id']}/withdraw", follow_redirects=True)
    assert r.request.path == "/done" and "已被 sb2 认领，不能撤回" in text(r)
    assert the_task(services, item["instance_id"])["spec_name"] == "decide"


def test_urge_count_in_the_inbox_and_notifications(
    services: runner.Services, item: dict[str, Any], signed_in: Any
) -> None:
    url = f"/tasks/{item['id']}/urge"
    before = audit_count(services)
    assert signed_in("gt1").post(url, data={"note": "快"}).status_code == 403  # not the lead window
    assert audit_count(services) == before
    sb2 = signed_in("sb2")
    assert 'id="unread-count"' not in text(sb2.get("/inbox?tab=window"))
    inbox = text(sb2.get("/inbox?tab=window"))
    assert f'action="/tasks/{item["id"]}/urge"' in inbox  # the lead window may urge
    duban = signed_in("duban")
    assert duban.post(url, data={"note": "请今日办结", "next": "/inbox"}).status_code == 302
    assert duban.post(url, data={}).status_code == 302
    inbox = text(sb2.get("/inbox?tab=window"))
    assert "已催办 2 次" in inbox and "duban" in inbox
    assert re.search(r'id="unread-count">2<', inbox)
    page = text(sb2.get("/notifications"))
    assert "请今日办结" in page and "第1次" in page
    with services.transaction() as s:
        ids = list(s.scalars(select(Notification.id).order_by(Notification.id)))
    # someone else's message cannot be marked read
    assert signed_in("gt1").post(f"/notifications/{ids[0]}/read").status_code == 403
    assert sb2.post(f"/notifications/{ids[0]}/read").status_code == 302
    assert re.search(r'id="unread-count">1<', text(sb2.get("/inbox")))
    assert 'class="unread"' in text(sb2.get("/notifications?unread=1"))
    assert sb2.post("/notifications/read-all").status_code == 302
    assert 'id="unread-count"' not in text(sb2.get("/inbox"))


def test_copy_to_a_window(services: runner.Services, item: dict[str, Any], signed_in: Any) -> None:
    bk = item["business_key"]
    before = audit_count(services)
    gt = signed_in("gt1")  # not involved in the item
    assert gt.get(f"/items/{bk}").status_code == 403
    assert gt.post(f"/items/{bk}/copy", data={"to_window": "guotu"}).status_code == 403
    assert audit_count(services) == before
    sb1 = signed_in("sb1")
    assert 'id="op-copy"' in text(sb1.get(f"/tasks/{item['id']}"))
    r = sb1.post(f"/items/{bk}/copy", data={"note": "x"})
    assert r.status_code == 400 and "请选择抄送对象" in text(r)
    assert sb1.post(f"/items/{bk}/copy", data={"to_window": "guotu", "note": "供参考"}).status_code == 302
    copies = text(gt.get("/copies"))
    assert bk in copies and "供参考" in copies and "sb1" in copies
    assert gt.get(f"/items/{bk}").status_code == 200  # read-only: no suspend, no urge
    assert 'id="suspension"' not in text(gt.get(f"/items/{bk}"))
    assert "供参考" in text(gt.get("/notifications"))


def test_suspend_and_resume_by_the_window_head(
    services: runner.Services, item: dict[str, Any], signed_in: Any
) -> None:
    bk = item["business_key"]
    before = audit_count(services)
    sb1 = signed_in("sb1")
    assert 'id="suspension"' not in text(sb1.get(f"/items/{bk}"))
    assert sb1.post(f"/items/{bk}/suspend", data={"reason": "x"}).status_code == 403
    assert audit_count(services) == before
    head = signed_in("sbhead")
    r = head.post(f"/items/{bk}/suspend", data={"reason": " "})
    assert r.status_code == 400 and "挂起须写明理由" in text(r)
    assert audit_count(services) == before
    assert head.post(f"/items/{bk}/suspend", data={"reason": "等待上级批复"}).status_code == 302
    view = describe(services, item["instance_id"])
    assert view["status"] == "suspended" and view["paused_since"]
    page = text(head.get(f"/items/{bk}"))
    assert "等待上级批复" in page and "恢复办理" in page and "计时暂停中" in page
    assert sb1.post(f"/items/{bk}/resume").status_code == 403
    assert head.post(f"/items/{bk}/resume").status_code == 302
    view = describe(services, item["instance_id"])
    assert view["status"] == "running" and not view["paused_since"]


def test_operation_forms_carry_csrf_and_speak_english(
    services: runner.Services, item: dict[str, Any], csrf_app: Any
) -> None:
    c = csrf_app.test_client()
    with c.session_transaction() as sess:
        sess["_user_id"] = "sb1"
        sess["_fresh"] = True
    url = f"/tasks/{item['id']}/transfer"
    page = text(c.get(url))
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    assert c.post(url, data={"to_user": "sb2"}).status_code == 400  # no token: refused
    assert the_task(services, item["instance_id"])["assignee"] is None
    assert c.post(url, data={"to_user": "sb2", "csrf_token": token.group(1)}).status_code == 302
    assert the_task(services, item["instance_id"])["assignee"] == "sb2"
    english = text(c.get(f"/items/{item['business_key']}?lang=en"))
    assert "Open tasks" in english and "Messages" in english


@pytest.mark.parametrize(
    ("method_path", "form"),
    [
        ("/tasks/{task}/transfer", {"to_user": "sb2", "reason": "x"}),
        ("/tasks/{task}/delegate", {"to_user": "sb2", "note": "x"}),
        ("/tasks/{task}/delegation", {"opinion": "x"}),
        ("/tasks/{task}/send-back", {"to_task_id": "{done}", "reason": "x"}),
        ("/tasks/{task}/urge", {"note": "x"}),
        ("/done/{done}/withdraw", {}),
        ("/items/{key}/copy", {"to_window": "guotu", "note": "x"}),
        ("/items/{key}/suspend", {"reason": "x"}),
        ("/items/{key}/resume", {}),
        ("/items/{key}/reviewers", {"action": "add", "window": "guotu", "reason": "x"}),
        ("/items/{key}/extension", {"days": "2", "reason": "x"}),
    ],
)
def test_every_operation_refused_to_a_clerk_without_the_right(
    services: runner.Services, item: dict[str, Any], signed_in: Any, method_path: str, form: dict[str, str]
) -> None:
    """Another window's clerk (not involved, not covering anybody) gets 403 and nothing changes."""
    decide = to_decide(services, item)
    ids = {"task": decide["id"], "done": item["id"], "key": item["business_key"]}
    url = method_path.format(**ids)
    before = audit_count(services)
    response = signed_in("gt1").post(url, data={k: v.format(**ids) for k, v in form.items()})
    assert response.status_code == 403, (url, response.status_code)
    assert audit_count(services) == before
    after = the_task(services, item["instance_id"])
    assert (after["id"], after["assignee"], after["window"]) == (decide["id"], decide["assignee"], "shebao")
    assert describe(services, item["instance_id"])["status"] == "running"


def test_a_clerk_who_handed_the_task_over_may_no_longer_act_on_it(
    services: runner.Services, item: dict[str, Any], signed_in: Any
) -> None:
    """sb1 claims the 决定 step and hands it over (转办) to sb2: sb1's 退回, 转办 and 委派 are refused on the page
    and on the post with the current holder named, nothing changes, the task page offers sb1 none of them; the
    window head may still send it back."""
    decide = to_decide(services, item)
    sb1 = signed_in("sb1")
    assert sb1.post(f"/inbox/tasks/{decide['id']}/claim").status_code == 302
    r = sb1.post(f"/tasks/{decide['id']}/transfer", data={"to_user": "sb2", "reason": "请假"})
    assert r.status_code == 302 and the_task(services, item["instance_id"])["assignee"] == "sb2"
    before = audit_count(services)
    for op, form in (
        ("send-back", {"to_task_id": item["id"], "reason": "材料不全"}),
        ("transfer", {"to_user": "sbhead", "reason": "x"}),
        ("delegate", {"to_user": "gt1", "note": "x"}),
    ):
        for response in (
            sb1.get(f"/tasks/{decide['id']}/{op}"),
            sb1.post(f"/tasks/{decide['id']}/{op}", data=form),
        ):
            assert response.status_code == 403, op
            assert "此任务现由 sb2 承办" in text(response), op
    assert audit_count(services) == before
    page = text(sb1.get(f"/tasks/{decide['id']}", headers={"Accept-Language": "en"}))
    assert 'id="op-send-back"' not in page and 'id="op-transfer"' not in page
    task = the_task(services, item["instance_id"])
    assert (task["spec_name"], task["assignee"]) == ("decide", "sb2")
    head = signed_in("sbhead")
    r = head.post(f"/tasks/{decide['id']}/send-back", data={"to_task_id": item["id"], "reason": "材料不全"})
    assert r.status_code == 302 and the_task(services, item["instance_id"])["spec_name"] == "accept"


def test_a_task_out_for_an_opinion_is_released_and_handed_over_by_its_holder_not_the_delegate(
    services: runner.Services, item: dict[str, Any], signed_in: Any
) -> None:
    """sb1 asked sb2 (same window) for an opinion: sb2 may not give the task back to the pool nor hand it over
    (it is sb1's); sb1 may, which withdraws the request: sb2 is told, the task page shows no 委派 any more."""
    with services.transaction() as s:
        runner.claim(s, item["id"], actor="sb1")
        runner.delegate(s, item["id"], actor="sb1", to_user="sb2", note="请看用地性质")
    sb1, sb2 = signed_in("sb1"), signed_in("sb2")
    before = audit_count(services)
    assert sb2.post(f"/inbox/tasks/{item['id']}/release").status_code == 403
    assert sb2.get(f"/inbox/tasks/{item['id']}/handover").status_code == 403
    assert audit_count(services) == before
    page = text(sb1.get(f"/inbox/tasks/{item['id']}/handover"))
    assert 'value="sb2"' in page and 'value="sb1"' not in page  # the delegate can be given it; the holder not
    r = sb1.post(f"/inbox/tasks/{item['id']}/handover", data={"to": "sb2", "note": "请接办"})
    assert r.status_code == 302, text(r)
    task = the_task(services, item["instance_id"])
    assert (task["assignee"], task["delegated_by"]) == ("sb2", None)
    assert "委派已撤销" in text(sb2.get("/notifications"))
    page = text(sb2.get(f"/tasks/{item['id']}"))
    assert 'id="delegated-note"' not in page and 'id="submit-task"' in page
    assert sb2.get(f"/tasks/{item['id']}/delegation").status_code == 403


def test_releasing_a_task_out_for_an_opinion_withdraws_it(
    services: runner.Services, item: dict[str, Any], signed_in: Any
) -> None:
    with services.transaction() as s:
        runner.claim(s, item["id"], actor="sb1")
        runner.delegate(s, item["id"], actor="sb1", to_user="gt1", note="请看用地性质")
    assert signed_in("sb1").post(f"/inbox/tasks/{item['id']}/release").status_code == 302
    task = the_task(services, item["instance_id"])
    assert (task["assignee"], task["delegated_by"]) == (None, None)
    gt = signed_in("gt1")
    assert "委派已撤销" in text(gt.get("/notifications"))
    assert gt.get(f"/tasks/{item['id']}/delegation").status_code == 403

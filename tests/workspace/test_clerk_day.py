"""Issue 21: what a clerk's day showed missing — the outcome of 委派, 退回 and 撤回 seen by the person it
concerns, the people offered for passing work on, one-click 认领并办理 and batch actions, and the small ones
(an empty 退回 page, an empty 加签, a proxy's last day; the favicon: tests/web/test_favicon.py)."""

from __future__ import annotations

import re
from typing import Any

import pytest

import runner
from runner.items.clerk import do_transfer
from runner.items.permissions import Who
from runner.models import Notification
from runner.people import directory

from .test_operations import DATA, text, the_task, to_decide


@pytest.fixture
def people(make_user: Any) -> None:
    make_user("sb1", ("shebao", "clerk"), name="社保甲")
    make_user("sb2", ("shebao", "clerk"), name="社保乙")
    make_user("sbhead", ("shebao", "window_head"), ("shebao", "clerk"), name="社保科长")
    make_user("gt1", ("guotu", "clerk"), name="国土甲")
    make_user("sysadmin", ("shebao", "admin"), name="系统管理员")
    make_user("drawer", ("shebao", "designer"), name="流程设计员")


@pytest.fixture
def item(services: runner.Services, people: None) -> dict[str, Any]:
    """A ``review`` item (lead window shebao) at its first task 受理."""
    with services.transaction() as s:
        runner.deploy(s, (DATA / "review.bpmn").read_bytes(), "review.bpmn", actor="designer")
    with services.transaction() as s:
        iid = runner.start(s, "review", actor="sb1", data={"applicant": "张三"}).id
    return the_task(services, iid)


def start(services: runner.Services, applicant: str) -> dict[str, Any]:
    """Another ``review`` item at 受理; its task."""
    with services.transaction() as s:
        iid = runner.start(s, "review", actor="sb1", data={"applicant": applicant}).id
    return the_task(services, iid)


def test_the_delegates_answer_reaches_the_clerk_who_asked(
    services: runner.Services, item: dict[str, Any], signed_in: Any
) -> None:
    with services.transaction() as s:
        runner.claim(s, item["id"], actor="sb1")
    sb1, head = signed_in("sb1"), signed_in("sbhead")
    assert (
        sb1.post(
            f"/tasks/{item['id']}/delegate", data={"to_user": "sbhead", "note": "能否受理？"}
        ).status_code
        == 302
    )
    # 21.9: the delegate is asked for an opinion, not told the task is someone else's
    page = text(head.get(f"/tasks/{item['id']}"))
    assert "只有认领人" not in page and "请您就此任务提出意见：能否受理？" in page
    answer = "材料齐全，可以受理，注意核对营业执照有效期"
    assert head.post(f"/tasks/{item['id']}/delegation", data={"opinion": answer}).status_code == 302
    # 21.6: the text is in the message and on the task
    with services.transaction() as s:
        (note,) = s.query(Notification).filter_by(to_user="sb1", kind="delegation_answered").all()
    assert answer in note.message
    page = text(sb1.get(f"/tasks/{item['id']}"))
    assert 'id="delegation-opinions"' in page and answer in page and "sbhead" in page
    assert 'id="submit-task"' in page


def test_a_returned_task_is_marked_explained_and_filled_in(
    services: runner.Services, item: dict[str, Any], signed_in: Any
) -> None:
    with services.transaction() as s:
        runner.complete(s, item["id"], {"complete": True, "acceptance_note": "已核原件"}, actor="sb1")
    decide = the_task(services, item["instance_id"])
    sb2 = signed_in("sb2")
    page = text(sb2.get(f"/tasks/{decide['id']}/send-back"))
    (target,) = re.findall(r'<option value="([0-9a-f-]{36})"', page)
    reason = "申请人身份证明已过期，请重新核对"
    assert (
        sb2.post(
            f"/tasks/{decide['id']}/send-back", data={"to_task_id": target, "reason": reason}
        ).status_code
        == 302
    )
    back = the_task(services, item["instance_id"])
    # 21.7: back with the clerk who did the step, marked, with who and why
    assert (
        back["assignee"] == "sb1" and back["returned"]["by"] == "sb2" and back["returned"]["reason"] == reason
    )
    sb1 = signed_in("sb1")
    inbox = text(sb1.get("/inbox"))
    assert "被退回（sb2）" in inbox and reason in inbox
    only_returned = text(sb1.get("/inbox?returned=1"))
    assert f'data-task="{back["id"]}"' in only_returned
    other = start(services, "李四")
    with services.transaction() as s:
        runner.claim(s, other["id"], actor="sb1")
    assert f'data-task="{other["id"]}"' not in text(sb1.get("/inbox?returned=1"))
    page = text(sb1.get(f"/tasks/{back['id']}"))
    assert 'id="returned-note"' in page and reason in page and "sb2" in page
    assert ">已核原件</textarea>" in page  # what was submitted before comes back to correct


def test_withdraw_is_not_offered_on_a_finished_item_and_says_why_in_chinese(
    services: runner.Services, item: dict[str, Any], signed_in: Any
) -> None:
    decide = to_decide(services, item, actor="sb1")
    with services.transaction() as s:
        runner.complete(s, decide["id"], {"approved": True}, actor="sb2")
    sb1 = signed_in("sb1")
    page = text(sb1.get("/done"))
    row = page.split(f'data-done="{item["id"]}"')[1].split("</tr>")[0]
    assert "办件已办结" in row and "withdraw" not in row
    r = sb1.post(f"/done/{item['id']}/withdraw", follow_redirects=True)
    assert r.request.path == "/done"
    assert "已办结，不能再办理" in text(r) and "completed" not in text(r).split("flash")[1][:200]


def test_hand_over_and_delegate_offer_only_people_who_do_the_work(
    services: runner.Services, item: dict[str, Any], signed_in: Any
) -> None:
    sb1 = signed_in("sb1")
    for url in (f"/tasks/{item['id']}/transfer", f"/tasks/{item['id']}/delegate", "/proxies"):
        page = text(sb1.get(url))
        assert "系统管理员" not in page and "流程设计员" not in page, url
        assert "社保乙（社保窗口）" in page or "社保乙（" in page, url
    assert "国土甲（" in text(sb1.get(f"/tasks/{item['id']}/delegate"))


def test_claim_and_open_in_one_click_and_batch_actions(
    services: runner.Services, item: dict[str, Any], signed_in: Any
) -> None:
    sb2 = signed_in("sb2")
    window = text(sb2.get("/inbox?tab=window"))
    assert "认领并办理" in window and 'id="batch-claim"' in window and 'id="batch-handover"' not in window
    r = sb2.post(f"/inbox/tasks/{item['id']}/claim", data={"open": "1", "next": "/inbox?tab=window"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/tasks/{item['id']}")
    assert the_task(services, item["instance_id"])["assignee"] == "sb2"
    # batch: two more items, claimed at once; the head hands both to sb1
    ids = [start(services, name)["id"] for name in ("李四", "王五")]
    r = sb2.post("/inbox/batch", data={"action": "claim", "task_ids": ids, "next": "/inbox?tab=window"})
    assert r.status_code == 302
    assert "已认领 2 个任务" in text(sb2.get("/inbox"))
    assert (
        sb2.post("/inbox/batch", data={"action": "handover", "task_ids": ids, "to": "sb1"}).status_code == 403
    )
    head = signed_in("sbhead")
    assert 'id="batch-handover"' in text(head.get("/inbox?tab=all"))
    head.post("/inbox/batch", data={"action": "handover", "task_ids": ids, "to": "sb1", "note": "请接办"})
    with services.transaction() as s:
        assignees = {runner.task_details(s, i)["assignee"] for i in ids}
    assert assignees == {"sb1"}
    # a clerk of another window claims nothing of this one
    gt = signed_in("gt1")
    third = start(services, "赵六")
    gt.post("/inbox/batch", data={"action": "claim", "task_ids": [third["id"]]})
    assert the_task(services, third["instance_id"])["assignee"] is None


def test_small_things(services: runner.Services, item: dict[str, Any], signed_in: Any) -> None:
    sb1 = signed_in("sb1")
    # 退回 with no earlier step: the page says so and shows no form
    page = text(sb1.get(f"/tasks/{item['id']}/send-back"))
    assert "没有可退回的前序环节" in page and 'name="reason"' not in page
    # a proxy to 12-09 reads "… — 2026-12-09", not the next midnight
    r = sb1.post(
        "/proxies",
        data={"to_user": "sb2", "starts": "2026-12-07", "ends": "2026-12-09", "reason": "外出培训"},
    )
    assert r.status_code == 302, text(r)[:2000]
    page = text(sb1.get("/proxies"))
    assert "2026-12-09 全天" in page and "2026-12-10 00:00" not in page
    # the inbox's receipt number cell does not wrap
    assert '<td class="receipt">' in text(sb1.get("/inbox?tab=window"))


def test_words_not_codes(services: runner.Services, item: dict[str, Any], signed_in: Any) -> None:
    """21.12 in the workspace: message kinds, the item's windows and item kinds in words; English plurals."""
    with services.transaction() as s:
        runner.items.operations.notify(
            s, "extension_decided", "延期申请已批准", english="The extension was approved", to_user="sb1"
        )
    sb1 = signed_in("sb1")
    page = text(sb1.get("/notifications"))
    assert "延期审批结果" in page and "extension_decided" not in page
    assert "延期申请已批准" in page and "The extension was approved" not in page
    english_page = text(sb1.get("/notifications?lang=en"))
    assert "Extension decided" in english_page  # the kind, and the message itself, in English
    assert "The extension was approved" in english_page and "延期申请已批准" not in english_page
    item_page = text(sb1.get(f"/items/{item['business_key']}?lang=zh"))
    assert '<dd id="lead-window">社保窗口</dd>' in item_page
    english = text(sb1.get("/inbox?tab=window&lang=en"))
    assert ">Promised<" in english or ">Immediate<" in english
    assert "承诺件</option>" not in english
    assert "working days left" not in english or "1 working days" not in english
    assert "1 working days" not in text(sb1.get(f"/tasks/{item['id']}?lang=en"))


@pytest.mark.parametrize("to", ["gone", "drawer", "sysadmin", "gt1"])
def test_work_goes_only_to_an_active_clerk_of_the_window(
    services: runner.Services, item: dict[str, Any], signed_in: Any, make_user: Any, to: str
) -> None:
    """Batch 转交 and the API's 转办 refuse a deactivated user, a designer or admin of the window, another window's."""
    make_user("gone", ("shebao", "clerk"), name="已离职")
    with services.transaction() as s:
        runner.people.directory.set_active(s, "gone", False, actor="sbhead")
    head = signed_in("sbhead")
    head.post(
        "/inbox/batch", data={"action": "handover", "task_ids": [item["id"]], "to": to, "note": "请接办"}
    )
    assert the_task(services, item["instance_id"])["assignee"] is None
    with services.transaction() as s, pytest.raises(runner.InvalidInput):
        head_person = directory.get_person(s, "sbhead")
        assert head_person is not None
        do_transfer(s, Who.of_person(head_person), item["id"], to_user=to, to_window=None, reason="请接办")

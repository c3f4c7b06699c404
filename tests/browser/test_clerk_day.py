"""Issue 21 in real Chromium: a clerk's day on a 承诺件 (bpmn/chengnuo.bpmn, lead window centre) — 认领并办理 in
one click, 委派 to the window head who is asked (not refused) and whose answer the clerk then reads on the task,
a 退回 that comes back marked, explained and filled in, a 撤回 that lands in the clerk's own inbox, and the
window head's batch 认领."""

from __future__ import annotations

import pytest

from runner.people.directory import DEMO_PASSWORD, create_user, seed_demo_users
from tests.support.flow import complete, deploy_library, describe, library_windows, start_item, task

from .conftest import login, screenshot

pytestmark = pytest.mark.slow


def flash(page) -> str:
    return " | ".join(page.locator(".flash").all_inner_texts())


def test_a_clerks_day(services, clock, live_server, new_page):
    deploy_library(services, "block_correction.bpmn", "block_refusal.bpmn", "chengnuo.bpmn")
    with services.transaction() as s:
        seed_demo_users(s, library_windows())
        create_user(s, "centre_clerk2", "中心窗口·乙", DEMO_PASSWORD, [("centre", "clerk")])
    iid = start_item(services, "chengnuo", {"applicant": "张三", "applicant_phone": "13800001234"},
                     actor="centre_clerk")  # fmt: skip

    # 11. 认领并办理: one click from the window's pool to the form
    clerk = new_page()
    login(clerk, live_server, "centre_clerk")
    clerk.goto(f"{live_server}/inbox?tab=window")
    accept = task(services, iid, "accept")
    screenshot(clerk, "clerk-day-window-tab")
    with clerk.expect_navigation():
        clerk.click(f"tr[data-task='{accept['id']}'] button.claim-open")
    assert clerk.url.endswith(f"/tasks/{accept['id']}"), clerk.url
    assert clerk.locator("#submit-task").count() == 1

    # 委派 to the window head, who is asked for an opinion (9) and answers
    clerk.click("#op-delegate")
    options = clerk.locator("select[name=to_user] option").all_inner_texts()
    assert not any("系统管理员" in o or "流程设计员" in o for o in options), options  # 10
    clerk.select_option("select[name=to_user]", "centre_head")
    clerk.fill("textarea[name=note]", "营业执照复印件不清晰，能否受理？")
    with clerk.expect_navigation():
        clerk.click("button[type=submit].btn-primary")
    head = new_page()
    login(head, live_server, "centre_head")
    head.goto(f"{live_server}/tasks/{accept['id']}")
    note = head.inner_text("#delegated-note")
    assert "请您就此任务提出意见" in note and "只有认领人" not in note, note
    screenshot(head, "clerk-day-delegate-asked")
    head.click("#op-answer")
    answer = "可以受理，请申请人补交清晰复印件"
    head.fill("textarea[name=opinion]", answer)
    with head.expect_navigation():
        head.click("button[type=submit].btn-primary")

    # 6. the clerk reads the answer on the task and in the message
    clerk.goto(f"{live_server}/tasks/{accept['id']}")
    assert answer in clerk.inner_text("#delegation-opinions")
    screenshot(clerk, "clerk-day-opinion")
    clerk.goto(f"{live_server}/notifications")
    assert answer in clerk.inner_text("main")

    # 7. 退回: the next step's clerk sends it back; it comes back to centre_clerk marked, explained, filled in
    clerk.goto(f"{live_server}/tasks/{accept['id']}")
    clerk.check("input[name=eligible][value=true]")
    for box in clerk.locator("input[name=materials_received]").all():
        box.check()
    clerk.fill("textarea[name=acceptance_note]", "原件已核")
    with clerk.expect_navigation():
        clerk.click("#submit-task")
    notice = task(services, iid, "acceptance_notice")
    complete(services, notice["id"], {"notice_no": "受字[2026]001号"}, actor="centre_clerk")
    review = task(services, iid, "review")
    other = new_page()
    login(other, live_server, "centre_clerk2")
    other.goto(f"{live_server}/tasks/{review['id']}/send-back")
    other.select_option("select[name=to_task_id]", accept["id"])
    reason = "受理意见未写明材料核验情况"
    other.fill("textarea[name=reason]", reason)
    with other.expect_navigation():
        other.click("button[type=submit].btn-primary")
    assert "已退回" in flash(other)
    (back,) = describe(services, iid)["tasks"]
    clerk.goto(f"{live_server}/inbox?returned=1")
    row = clerk.locator(f"tr[data-task='{back['id']}']")
    assert "被退回（centre_clerk2）" in row.inner_text()
    screenshot(clerk, "clerk-day-returned-inbox")
    with clerk.expect_navigation():
        row.locator("a.btn-primary").click()
    assert reason in clerk.inner_text("#returned-note")
    assert clerk.input_value("textarea[name=acceptance_note]") == "原件已核"
    screenshot(clerk, "clerk-day-returned-task")
    clerk.fill("textarea[name=acceptance_note]", "原件已核，营业执照复印件已补清晰件")
    with clerk.expect_navigation():
        clerk.click("#submit-task")
    assert describe(services, iid)["data"]["applicant_phone"] == "13800001234"

    # 8. 撤回 from 我已办理: the step is back in the clerk's own inbox, as the message says
    clerk.goto(f"{live_server}/done")
    done_row = clerk.locator(f"tr[data-done='{back['id']}']").first
    with clerk.expect_navigation():
        done_row.locator("button[type=submit]").click()
    assert "已撤回，任务已回到您的待办" in flash(clerk)
    assert clerk.url.endswith(f"/tasks/{back['id']}")
    assert describe(services, iid)["tasks"][0]["assignee"] == "centre_clerk"
    clerk.goto(f"{live_server}/inbox")
    assert clerk.locator(f"tr[data-task='{back['id']}']").count() == 1

    # 11. batch 认领 by the window head: two new items at once
    fresh = [
        start_item(services, "chengnuo", {"applicant": n}, actor="centre_clerk") for n in ("李四", "王五")
    ]
    head.goto(f"{live_server}/inbox?tab=window")
    for iid_new in fresh:
        head.check(f"tr[data-task='{task(services, iid_new, 'accept')['id']}'] input[name=task_ids]")
    screenshot(head, "clerk-day-batch")
    with head.expect_navigation():
        head.click("#batch-claim")
    assert "已认领 2 个任务" in flash(head)
    assert {task(services, i, "accept")["assignee"] for i in fresh} == {"centre_head"}

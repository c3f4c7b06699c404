"""Clerk operations in real Chromium on a 承诺件 (bpmn/chengnuo.bpmn, lead window centre, 3 promised days):
a clerk returns the item to an earlier step (退回), another takes back a step (撤回), the supervision office
urges the open task (催办), the electronic supervision warns the window one working day before the
deadline, a clerk answers it (纠错回告) and the supervisor sees the warning answered on the item page.
"""

from __future__ import annotations

import pytest

from runner.people.directory import DEMO_PASSWORD, create_user, seed_demo_users
from runner.supervision.warning_rules import seed_warning_rules
from tests.support.flow import (
    actions,
    advance_to,
    complete,
    deploy_library,
    describe,
    library_windows,
    local,
    start_item,
    task,
)

from .conftest import login, screenshot

pytestmark = pytest.mark.slow


def flash(page) -> str:
    return " | ".join(page.locator(".flash").all_inner_texts())


def test_return_withdraw_urge_and_warning_reply(services, clock, live_server, new_page):
    deploy_library(services, "block_correction.bpmn", "block_refusal.bpmn", "chengnuo.bpmn")
    with services.transaction() as s:
        seed_demo_users(s, library_windows())
        create_user(s, "centre_clerk2", "中心窗口·乙", DEMO_PASSWORD, [("centre", "clerk")])
        seed_warning_rules(s)  # the supervision warnings come from the rule table
    iid = start_item(services, "chengnuo", {"applicant": "张三", "promised_days": 3}, actor="centre_clerk")
    bk = describe(services, iid)["business_key"]
    complete(services, task(services, iid, "accept")["id"], {"eligible": True, "materials_complete": True},
             actor="centre_clerk")  # fmt: skip
    notice = task(services, iid, "acceptance_notice")
    complete(services, notice["id"], {"notice_no": "受字[2026]001号"}, actor="centre_clerk")

    # 1. 退回: the reviewing clerk sends the item back to the acceptance notice, with a reason
    reviewer = new_page()
    login(reviewer, live_server, "centre_clerk2")
    review = task(services, iid, "review")
    reviewer.goto(f"{live_server}/tasks/{review['id']}/send-back")
    reviewer.select_option("select[name=to_task_id]", notice["id"])
    reviewer.fill("textarea[name=reason]", "受理通知书的承诺日期有误，请更正")
    screenshot(reviewer, "operation-send-back")
    with reviewer.expect_navigation():
        reviewer.click("button[type=submit].btn-primary")
    assert "已退回" in flash(reviewer), reviewer.inner_text("main")
    assert [t["spec_name"] for t in describe(services, iid)["tasks"]] == ["acceptance_notice"]

    # the accepting clerk corrects the notice ...
    complete(services, notice["id"], {"notice_no": "受字[2026]002号"}, actor="centre_clerk")
    assert [t["spec_name"] for t in describe(services, iid)["tasks"]] == ["review"]

    # 2. 撤回: ... and takes the step back from 我已办理 while the review is untouched
    accepting = new_page()
    login(accepting, live_server, "centre_clerk")
    accepting.goto(f"{live_server}/done")
    row = accepting.locator(f"tr[data-done='{notice['id']}']").first
    assert "出具受理通知书" in row.inner_text()
    with accepting.expect_navigation():
        row.locator("button[type=submit]").click()
    assert "已撤回" in flash(accepting), accepting.inner_text("main")
    screenshot(accepting, "operation-withdrawn")
    assert [t["spec_name"] for t in describe(services, iid)["tasks"]] == ["acceptance_notice"]
    complete(services, notice["id"], {"notice_no": "受字[2026]002号"}, actor="centre_clerk")

    # 3. one working day before the deadline the supervision system warns the lead window
    advance_to(services, clock, local("2026-09-30", "08:00"))
    (warning,) = describe(services, iid)["warnings"]
    assert (warning["window"], warning["level"], warning["acknowledged_by"]) == ("centre", "notice", None)

    # 4. 催办: the supervisor urges the review from the item page and sees the warning still open
    supervisor = new_page()
    login(supervisor, live_server, "supervisor")
    supervisor.goto(f"{live_server}/items/{bk}")
    review = task(services, iid, "review")
    with supervisor.expect_navigation():
        supervisor.click(f"tr[data-task='{review['id']}'] button[type=submit]")
    assert "已催办" in flash(supervisor)
    assert supervisor.locator(f"tr[data-task='{review['id']}'] td").nth(4).inner_text().strip() == "1"
    assert "待回告" in supervisor.inner_text(f"tr[data-warning='{warning['id']}']")
    screenshot(supervisor, "operation-urged")

    # 5. 纠错回告: a clerk of the warned window answers the warning on 我的预警
    reviewer.goto(f"{live_server}/warnings")
    reviewer.wait_for_selector(f"#open-warnings tr[data-warning='{warning['id']}']")
    reviewer.fill(
        f"tr[data-warning='{warning['id']}'] textarea[name=reply]", "受理通知书已更正，审查今日办结"
    )
    screenshot(reviewer, "warning-reply")
    with reviewer.expect_navigation():
        reviewer.click(f"tr[data-warning='{warning['id']}'] button[type=submit]")
    assert "已回告" in flash(reviewer)
    assert reviewer.locator(f"#answered-warnings tr[data-warning='{warning['id']}']").count() == 1

    # 6. the supervisor sees it answered on the item page
    supervisor.reload()
    answered = supervisor.inner_text(f"tr[data-warning='{warning['id']}']")
    assert "已回告" in answered and "受理通知书已更正" in answered and "centre_clerk2" in answered
    screenshot(supervisor, "warning-answered")

    trail = actions(services, iid)
    for action in ("send_back", "withdraw", "urge", "warning", "warning_acknowledged"):
        assert action in trail, (action, trail)


def test_add_and_remove_a_reviewer_then_extend_with_a_notice(services, clock, live_server, new_page):
    """加签 / 减签 on a running 抄告制 review, then 延期 asked, approved and printed (延期告知书)."""
    deploy_library(services, "block_correction.bpmn", "block_refusal.bpmn", "lianban_chaogao.bpmn")
    with services.transaction() as s:
        seed_demo_users(s, library_windows())
    iid = start_item(services, "lianban_chaogao", {"lead_window": "centre", "applicant": "李四"})
    bk = describe(services, iid)["business_key"]
    complete(
        services, task(services, iid, "accept")["id"],
        {"related_windows": ["guotu", "huanbao", "guihua"], "review_days": 3, "materials_complete": True,
         "materials_list": ["申请书", "规划设计方案"]},
        actor="centre_clerk",
    )  # fmt: skip
    complete(
        services,
        task(services, iid, "review", window="guotu")["id"],
        {"result": "agree"},
        actor="guotu_clerk",
    )

    lead = new_page()
    login(lead, live_server, "centre_clerk")
    lead.goto(f"{live_server}/items/{bk}")
    with lead.expect_navigation():
        lead.click("#link-reviewers")
    assert "已答复" in lead.inner_text("tr[data-member='guotu']")
    assert lead.locator("tr[data-member='guotu'] form").count() == 0  # an answered window stays
    lead.select_option("#add-window", "shebao")
    lead.fill("#add-reason", "项目涉及用工参保，需社保窗口审查")
    with lead.expect_navigation():
        lead.click("#add-reviewer button[type=submit]")
    assert "已加签" in flash(lead), lead.inner_text("main")
    row = lead.locator("tr[data-member='guihua']")
    row.locator("input[name=reason]").fill("不涉及规划调整")
    with lead.expect_navigation():
        row.locator("button[type=submit]").click()
    assert "已减签" in flash(lead), lead.inner_text("main")
    members = lead.inner_text("table[data-block='joint_review']")
    assert "shebao" in members and "guihua" not in members
    screenshot(lead, "operation-reviewers")
    open_reviews = sorted(t["window"] for t in describe(services, iid)["tasks"] if t["spec_name"] == "review")
    assert open_reviews == ["huanbao", "shebao"]

    # 延期: the lead window's clerk asks, the head approves, the clerk prints the 延期告知书
    lead.goto(f"{live_server}/items/{bk}/extension")
    lead.fill("#ext-days", "5")
    lead.fill("#ext-reason", "新增社保窗口审查，需组织联合勘察")
    with lead.expect_navigation():
        lead.click("#request-extension button[type=submit]")
    assert "等待审批" in flash(lead), lead.inner_text("main")
    before = describe(services, iid)["deadline"]

    head = new_page()
    login(head, live_server, "centre_head")
    head.goto(f"{live_server}/extensions")
    head.fill("#pending-extensions input[name=note]", "同意")
    with head.expect_navigation():
        head.click("#pending-extensions button[value=approve]")
    assert "已批准延期" in flash(head), head.inner_text("main")
    after = describe(services, iid)
    assert after["extension_days"] == 5 and after["deadline"] > before

    lead.goto(f"{live_server}/items/{bk}/documents")
    with lead.expect_navigation():
        lead.click("form[action$='/documents/extension'] button[type=submit]")
    lead.goto(f"{live_server}/items/{bk}/documents/extension")
    notice = lead.inner_text("body")
    assert "延期告知书" in notice and "延字〔2026〕第000001号" in notice and "联合勘察" in notice
    screenshot(lead, "document-extension-notice")

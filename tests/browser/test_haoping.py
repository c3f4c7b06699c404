"""好差评 in real Chromium (issue 25's "Done means").

Clock Mon 2026-09-28 09:00 Shanghai. An applicant looks up a finished 即办件 of 市场监管 and gives 非常不满意 with
a comment (实名) → 督查股 finds it 属实 → 市场监管 proposes a rectification → the centre leader approves → the
window rectifies and answers → 督查股 calls the applicant back → the dashboard's figures move. A malicious
rating given at the counter is dismissed with 督查股's approval. A rectification left past its limit (15
working days: end of Fri 10-23) draws its warnings against the window.
"""

from __future__ import annotations

import re

import pytest

import runner
from runner.applicants import ratings
from runner.models import Rectification, WarningEvent
from runner.people.directory import seed_demo_users
from tests.support.flow import (
    advance_to,
    complete,
    deploy_library,
    describe,
    library_windows,
    local,
    start_item,
)
from tests.support.flow import task as runner_task

from .conftest import login, screenshot
from .test_workspace_journey import choose, open_from_inbox, submit

pytestmark = pytest.mark.slow
LIBRARY = ("block_correction.bpmn", "block_refusal.bpmn", "jiban.bpmn", "rectification.bpmn")


def finished_item(services, phone: str = "13800001234") -> str:
    iid = start_item(services, "jiban", {"applicant": "王五", "applicant_phone": phone, "lead_window": "shichang",
                                         "title": "个体工商户名称核准"})  # fmt: skip
    complete(
        services, runner_task(services, iid, "accept")["id"], {"eligible": True, "materials_complete": True}
    )
    complete(
        services, runner_task(services, iid, "decide")["id"], {"approved": True, "decision_note": "准予"}
    )
    complete(services, runner_task(services, iid, "notify")["id"], {"delivery": "当场领取"})
    return describe(services, iid)["business_key"]


def rectification_of(services, receipt: str) -> tuple[int, str]:
    """The rectification's process and its state as stored (each step keeps it; nothing refreshes it here)."""
    with services.transaction() as s:
        item = runner.get_instance(s, business_key=receipt)
        row = s.query(Rectification).join(runner.models.Rating).filter_by(instance_id=item.id).one()
        return row.process_instance_id, row.state


def work(page, base: str, services, iid: int, name: str) -> None:
    open_from_inbox(page, base, runner_task(services, iid, name)["id"])


def figure(page, key: str) -> str:
    return page.inner_text(f"#figure-{key} .figure-value").strip()


def test_bad_rating_verified_rectified_called_back_and_counted(services, clock, live_server, new_page):
    deploy_library(services, *LIBRARY)
    with services.transaction() as s:
        seed_demo_users(s, library_windows())
        runner.seed_warning_rules(s)
    receipt = finished_item(services)

    # 1. the applicant rates on the progress page: 非常不满意, an indicator, a comment, 实名
    applicant = new_page()
    applicant.goto(f"{live_server}/progress")
    applicant.fill("input[name=receipt]", receipt)
    applicant.fill("input[name=phone_suffix]", "1234")
    applicant.click("button[type=submit]")
    applicant.wait_for_url(re.compile(rf".*/progress/{receipt}"))
    levels = applicant.locator("#rating .rating-level").all_inner_texts()
    assert [t.strip() for t in levels] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    applicant.check("input[name=level][value=very_dissatisfied]")
    applicant.select_option("select[name=ind_attitude]", "very_dissatisfied")
    applicant.fill("textarea[name=comment]", "窗口人员态度生硬，材料讲了三遍")
    applicant.check("input[name=named]")
    applicant.fill("input[name=rater_name]", "王五")
    applicant.fill("input[name=rater_phone]", "13800001234")
    screenshot(applicant, "haoping-progress-rating")
    applicant.click("form[action$='/rating'] button[type=submit]")
    applicant.wait_for_selector("#rated")
    assert "非常不满意" in applicant.inner_text("#rated")
    pid, state = rectification_of(services, receipt)
    assert state == "verifying"

    # 2. 督查股 verifies: 属实, against 市场监管
    sup = new_page()
    login(sup, live_server, "supervision_clerk")
    work(sup, live_server, services, pid, "verify")
    body = sup.inner_text("main")
    assert "窗口人员态度生硬" in body and "13800001234" not in body  # the contact stays with the ratings
    choose(sup, "verdict", "founded")
    choose(sup, "window", "shichang")
    sup.fill("textarea[name=verify_note]", "调取录像，情况属实")
    submit(sup)

    # 3. the window proposes, the leader approves, the window rectifies and answers
    window = new_page()
    login(window, live_server, "shichang_clerk")
    work(window, live_server, services, pid, "propose")
    window.fill("textarea[name=plan]", "开展服务规范培训，当面向申请人致歉")
    submit(window)
    leader = new_page()
    login(leader, live_server, "leader_clerk")
    work(leader, live_server, services, pid, "leader_approve")
    assert "开展服务规范培训" in leader.inner_text("main")
    leader.check("input[name=plan_approved][value=true]")
    leader.fill("textarea[name=instruction]", "同意，十个工作日内完成")
    submit(leader)
    work(window, live_server, services, pid, "rectify")
    window.fill("textarea[name=measures]", "已培训并考核")
    window.fill("textarea[name=reply]", "已电话致歉，说明改进措施")
    screenshot(window, "haoping-rectify")
    submit(window)

    # 4. 督查股 calls the applicant back: the phone is on its 好差评 page, not on the window's task
    sup.goto(f"{live_server}/ratings?bad=1")
    register = sup.inner_text("#ratings")
    assert "王五" in register and "13800001234" in register and "整改完成" in register
    screenshot(sup, "haoping-register")
    assert window.goto(f"{live_server}/ratings").status == 403
    work(sup, live_server, services, pid, "revisit")
    choose(sup, "revisit_result", "satisfied")
    sup.fill("textarea[name=revisit_note]", "申请人对整改结果满意")
    submit(sup)
    assert describe(services, pid)["status"] == "completed"

    # 5. a malicious rating given at the counter is dismissed with approval
    second = finished_item(services, phone="13800005678")
    window.goto(f"{live_server}/items/{second}")
    window.click("#link-rate")
    window.wait_for_selector("#counter-rating")
    assert window.inner_text("#occasion") == "办结"
    window.check("input[name=level][value=not_satisfied]")
    window.fill("textarea[name=comment]", "随便评的")
    screenshot(window, "haoping-counter")
    window.click("#counter-rating button[type=submit]")
    window.wait_for_selector("#counter-rating-done")
    pid2, _ = rectification_of(services, second)
    work(sup, live_server, services, pid2, "verify")
    choose(sup, "verdict", "malicious")
    choose(sup, "window", "shichang")
    sup.fill("textarea[name=verify_note]", "评价内容与办件无关")
    submit(sup)
    # the one who verified it cannot take the approval (四眼原则): the inbox says so; a colleague approves
    approve_id = runner_task(services, pid2, "approve_invalid")["id"]
    sup.goto(f"{live_server}/inbox?tab=window")
    sup.click(f"form[action='/inbox/tasks/{approve_id}/claim'] button")
    sup.wait_for_load_state()
    refusal = sup.inner_text(".flash-error")
    assert "须由另一人办理" in refusal and "supervision_clerk" in refusal and "四眼原则" in refusal
    assert "(four eyes" not in refusal  # the page speaks its own language
    screenshot(sup, "haoping-four-eyes")
    assert runner_task(services, pid2, "approve_invalid")["assignee"] is None
    assert rectification_of(services, second)[1] == "verifying"
    head = new_page()
    login(head, live_server, "supervision_head")
    work(head, live_server, services, pid2, "approve_invalid")
    head.check("input[name=dismissal_approved][value=true]")
    head.fill("textarea[name=dismissal_reason]", "录像显示服务规范，属恶意差评")
    submit(head)
    assert rectification_of(services, second)[1] == "invalid"
    head.goto(f"{live_server}/ratings?bad=1")
    assert "supervision_head" in head.inner_text("#ratings")  # the approver and the reason on the register
    assert "录像显示服务规范，属恶意差评" in head.inner_text("#ratings")
    screenshot(head, "haoping-register-approval")
    head.goto(f"{live_server}/ratings?bad=1&lang=en")
    assert "Invalid rating approved · supervision_head" in head.inner_text("#ratings")
    screenshot(head, "haoping-register-approval-en")

    # 6. the figures moved: 2 ratings, both bad; 1 founded and rectified in time, called back; 1 dismissed
    boss = new_page()
    login(boss, live_server, "supervisor")
    boss.goto(f"{live_server}/admin/supervision/?kind=month&date=2026-09-01")
    assert figure(boss, "satisfaction_rate") == "0.0%"
    assert figure(boss, "bad_rate") == "100.0%"
    assert figure(boss, "rectification_rate") == "100.0%"
    assert figure(boss, "on_time_rate") == "100.0%"
    assert figure(boss, "revisit_rate") == "100.0%"
    assert "满意率 = (非常满意 + 满意 + 基本满意) ÷ 全部评价" in boss.inner_text("#figure-satisfaction_rate")
    row = [
        c.strip()
        for c in boss.locator("#table-rectifications tbody tr").first.locator("td").all_inner_texts()
    ]
    assert row[:6] == ["市场监管窗口", "2", "2", "1", "1", "0"]
    screenshot(boss, "haoping-dashboard")
    boss.goto(
        f"{live_server}/admin/supervision/?kind=month&date=2026-09-01&lang=en"
    )  # the console stays Chinese

    # 7. a rectification left past its limit draws its warnings against the window
    third = finished_item(services, phone="13800009999")
    with services.transaction() as s:
        ratings.give_rating(s, third, level="not_satisfied", channel="progress", comment="办理慢")
    pid3, _ = rectification_of(services, third)
    advance_to(services, clock, local("2026-10-26", "09:00"))  # past the end of Fri 10-23
    with services.transaction() as s:
        warned = [(w.level, w.window) for w in s.query(WarningEvent).filter_by(instance_id=pid3)]
    assert ("yellow", "shichang") in warned and ("notice", "shichang") in warned
    assert rectification_of(services, third)[1] == "overdue"
    window.goto(f"{live_server}/warnings")
    text = window.inner_text("main")
    assert describe(services, pid3)["business_key"] in text
    screenshot(window, "haoping-overdue-warning")

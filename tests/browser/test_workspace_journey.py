"""A 联办件 through the clerk workspace in real Chromium, from one-stop acceptance to the applicant's rating.

The lead window accepts with a material missing and prints the one-time 补正 notice; the applicant
resubmits; two related windows review in their own sessions and one stays silent past its limit and is
shown as deemed to assent; the lead window answers; the applicant looks the item up and rates it.
"""

from __future__ import annotations

import re

import pytest

import runner
from runner.people.directory import seed_demo_users
from tests.support.flow import (
    advance_to,
    deploy_library,
    describe,
    library_windows,
    local,
    send,
    start_item,
    task,
)

from .conftest import login, screenshot

pytestmark = pytest.mark.slow


def open_from_inbox(page, base: str, task_id: str) -> None:
    """Claim the task from the window's pool, then open it from "my tasks" — as a clerk does."""
    page.goto(f"{base}/inbox?tab=window")
    claim = page.locator(f"form[action='/inbox/tasks/{task_id}/claim'] button")
    assert claim.count() == 1, page.inner_text("main")
    claim.click()
    page.wait_for_load_state()
    page.goto(f"{base}/inbox?tab=mine")
    link = page.locator(f"a[href='/tasks/{task_id}']")
    assert link.count() == 1, page.inner_text("main")
    link.click()
    page.wait_for_selector("#submit-task")


def choose(page, name: str, value: str) -> None:
    """Pick a choice whether the form shows it as radio buttons or as a select."""
    if page.locator(f"select[name={name}]").count():
        page.select_option(f"select[name={name}]", value)
    else:
        radio = page.locator(f"input[name={name}][value={value}]")
        assert radio.count() == 1, (
            page.inner_html("form#task-form") if page.locator("form#task-form").count() else page.content()
        )
        radio.check()


def submit(page) -> None:
    """Submit the task form; it must land back on the inbox (any error on the form fails the test)."""
    invalid = page.evaluate(
        """() => { const f = document.querySelector('#submit-task').form;
                   return f ? [...f.elements].filter(e => e.willValidate && !e.checkValidity())
                                .map(e => e.name + ': ' + e.validationMessage) : ['no form']; }"""
    )
    assert not invalid, f"the browser refuses the form: {invalid}"
    with page.expect_navigation(timeout=10_000):
        page.click("#submit-task")
    if "/inbox" not in page.url:
        errors = page.locator(".error, .alert-error, .alert")
        detail = " | ".join(errors.all_inner_texts()) if errors.count() else page.inner_text("main")
        raise AssertionError(f"form not accepted at {page.url}: {detail}")
    assert page.locator(".alert-error").count() == 0, page.inner_text("main")


def test_joint_item_from_acceptance_to_rating(services, clock, live_server, new_page):
    deploy_library(services, "block_correction.bpmn", "block_refusal.bpmn", "lianban_chaogao.bpmn")
    with services.transaction() as s:
        seed_demo_users(s, library_windows())
    iid = start_item(
        services,
        "lianban_chaogao",
        {"lead_window": "centre", "applicant": "张三", "applicant_phone": "13800001234"},
    )
    bk = describe(services, iid)["business_key"]

    # 1. the lead window accepts once, with one material missing
    lead = new_page()
    login(lead, live_server, "centre_clerk")
    accept = task(services, iid, "accept")
    lead.goto(f"{live_server}/inbox?tab=window")
    assert bk in lead.inner_text("main")
    screenshot(lead, "inbox")
    open_from_inbox(lead, live_server, accept["id"])
    for window in ("guotu", "huanbao", "guihua"):
        lead.check(f"input[name=related_windows][value={window}]")
    lead.fill("textarea[name=materials_list]", "营业执照副本\n建设项目环评报告\n规划许可申请表")
    lead.fill("textarea[name=missing_materials]", "营业执照副本")
    lead.fill("input[name=review_days]", "3")
    screenshot(lead, "form-joint-acceptance")
    submit(lead)

    # 2. one-time 补正 notice listing every missing material, printed
    notice = task(services, iid, "correction_notice")
    open_from_inbox(lead, live_server, notice["id"])
    assert "营业执照副本" in lead.input_value("textarea[name=missing_materials]")
    lead.check("input[name=notice_confirmed]")
    submit(lead)
    lead.goto(f"{live_server}/items/{bk}/documents")
    lead.click("form[action$='/documents/correction'] button[type=submit]")
    lead.goto(f"{live_server}/items/{bk}/documents/correction")
    text = lead.inner_text("body")
    assert "补正" in text and "营业执照副本" in text and "第" in text
    screenshot(lead, "document-correction-notice")

    # 3. the applicant brings the material; the lead window checks it
    send(services, "materials_resubmitted", bk, {"materials": ["营业执照副本"]})
    check = task(services, iid, "materials_check")
    open_from_inbox(lead, live_server, check["id"])
    for box in lead.locator("input[name=received]").all():
        box.check()
    submit(lead)

    # 4. related windows review at the same time, each in its own session; 规划 stays silent
    reviews = {t["window"]: t for t in runner_tasks(services, iid) if t["spec_name"].startswith("review")}
    assert sorted(reviews) == ["guihua", "guotu", "huanbao"]
    guotu = new_page()
    login(guotu, live_server, "guotu_clerk")
    assert reviews["huanbao"]["id"] not in guotu.content()  # another window's task is not shown
    open_from_inbox(guotu, live_server, reviews["guotu"]["id"])
    choose(guotu, "result", "agree")
    submit(guotu)
    huanbao = new_page()
    login(huanbao, live_server, "huanbao_clerk")
    open_from_inbox(huanbao, live_server, reviews["huanbao"]["id"])
    choose(huanbao, "result", "agree_with_conditions")
    huanbao.fill("textarea[name=conditions]", "按环评批复落实防护措施")
    submit(huanbao)
    denied = huanbao.goto(f"{live_server}/tasks/{reviews['guihua']['id']}")
    assert denied is not None and denied.status == 403

    advance_to(services, clock, local("2026-10-09", "09:00"))  # past 规划's limit (3 wd, over National Day)
    [record] = describe(services, iid)["accountability"]
    assert (record["window"], record["rule"]) == ("guihua", "timeout")

    # 5. the lead window consolidates (规划 shown as deemed assent) and answers the applicant
    consolidate = task(services, iid, "consolidate")
    open_from_inbox(lead, live_server, consolidate["id"])
    body = lead.inner_text("main")
    assert "guihua" in body or "规划" in body
    assert re.search(r"视为同意|默认|deemed", body), body
    choose(lead, "decision", "approve")
    submit(lead)
    notify = task(services, iid, "notify_applicant")
    open_from_inbox(lead, live_server, notify["id"])
    choose(lead, "delivery", "window")
    submit(lead)
    assert describe(services, iid)["status"] == "completed"

    # 6. the applicant looks the receipt up and rates the service
    applicant = new_page()
    applicant.goto(f"{live_server}/progress")
    applicant.fill("input[name=receipt]", bk)
    applicant.fill("input[name=phone_suffix]", "1234")
    applicant.click("button[type=submit]")
    applicant.wait_for_url(re.compile(rf".*/progress/{bk}"))
    page_text = applicant.inner_text("main")
    assert bk in page_text and "按环评批复落实防护措施" not in page_text  # no internal data leaks
    applicant.check("input[name=level][value=satisfied]")
    applicant.fill("textarea[name=comment]", "一次办好，很满意")
    applicant.click("form[action$='/rating'] button[type=submit]")
    applicant.wait_for_load_state()
    screenshot(applicant, "applicant-progress")
    with services.transaction() as s:
        from runner.models import Rating

        rating = s.query(Rating).filter_by(instance_id=iid).one()
        assert rating.level == "satisfied"


def runner_tasks(services, iid):
    with services.transaction() as s:
        found, _ = runner.list_tasks(s, instance_id=iid, count=False)
        return found

"""The monitoring console in real Chromium: an admin filters the overdue items, opens one, sees its current task
highlighted on the diagram, suspends and resumes it, and retries an item in error after fixing its data."""

from __future__ import annotations

import re

import pytest

import runner
from runner.people.directory import DEMO_PASSWORD, seed_demo_users
from tests.admin.monitoring_helpers import DATA
from tests.support.flow import complete, deploy_library, describe, library_windows, local, start_item, task

from .conftest import screenshot

pytestmark = pytest.mark.slow


def login(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/inbox.*"))


def flash(page) -> str:
    return " | ".join(page.locator(".alert").all_inner_texts())


def accepted(services) -> int:
    iid = start_item(services, "chengnuo", {"applicant": "张三", "lead_window": "shebao"})
    complete(services, task(services, iid, "accept")["id"], {"eligible": True, "materials_complete": True})
    complete(services, task(services, iid, "acceptance_notice")["id"], {"notice_no": "受字[2026]001号"})
    return iid


def test_admin_watches_and_repairs_items(services, clock, live_server, new_page) -> None:
    deploy_library(services, "block_correction.bpmn", "block_refusal.bpmn", "chengnuo.bpmn")
    with services.transaction() as s:
        runner.deploy(s, (DATA / "upper_reply.bpmn").read_bytes(), "upper_reply.bpmn", actor="designer")
        seed_demo_users(s, library_windows())
    late = accepted(services)
    broken = start_item(services, "upper_reply", {"lead_window": "shebao", "total": 10, "copies": 0})
    complete(services, task(services, broken, "report")["id"], {"report_no": "R-1"})
    clock.set(local("2026-10-19", "10:00"))  # the first item is now past its promised date
    fresh = accepted(services)
    late_key, fresh_key = describe(services, late)["business_key"], describe(services, fresh)["business_key"]

    page = new_page()
    login(page, live_server, "admin")

    # the front page counts what needs attention
    page.goto(f"{live_server}/admin/")
    cards = page.inner_text("#home-cards")
    assert re.search(r"未处理故障\s*1", cards) and re.search(r"超期办件\s*1", cards), cards

    # 1. filter the overdue items: only the late one is left
    page.goto(f"{live_server}/admin/instances/")
    listed = page.inner_text("table.model-list")
    assert late_key in listed and fresh_key in listed, listed
    # with Flask-Admin's own filter bar: 添加筛选器 → 时限 → 已超期 → 应用
    page.click("a.nav-link:has-text('添加筛选器')")
    page.click(".field-filters a.filter:has-text('时限')")
    page.click("table.filters .select2-container.filter-val")  # the value list is a select2 widget
    page.click(".select2-drop-active .select2-result-label:has-text('已超期')")
    assert page.eval_on_selector("table.filters select.filter-val", "el => el.value") == "overdue"
    with page.expect_navigation():
        page.click("#filter_form button[type=submit]")
    listed = page.inner_text("table.model-list")
    assert late_key in listed and fresh_key not in listed, listed
    screenshot(page, "console-overdue-list")

    # 2. open it: the diagram shows the path taken and the current task highlighted
    page.click(f"text={late_key}")
    page.wait_for_selector("#diagram[data-state=ready]")
    current = page.locator("#diagram .djs-element.bj-current[data-element-id=review]")
    assert current.count() == 1, page.get_attribute("#diagram", "data-current")
    assert page.locator("#diagram .djs-element.bj-done[data-element-id=accept]").count() == 1
    assert page.locator("#diagram .bj-token").count() >= 1
    assert "审查" in page.inner_text("#open-tasks")
    screenshot(page, "console-instance")

    # 3. suspend and resume it
    page.fill("#form-suspend input[name=reason]", "等待听证")
    page.click("#form-suspend button[type=submit]")
    page.wait_for_selector("#form-resume")
    assert "已挂起" in flash(page) and "已挂起" in page.inner_text("#instance-status")
    assert describe(services, late)["status"] == "suspended"
    page.click("#form-resume button[type=submit]")
    page.wait_for_selector("#form-suspend")
    assert "已恢复办理" in flash(page) and "办理中" in page.inner_text("#instance-status")
    assert describe(services, late)["status"] == "running"

    # 4. an item in error: read the message, fix its data, retry
    page.goto(f"{live_server}/admin/incidents/")
    assert "division by zero" in page.inner_text("table.model-list")
    page.click(f"text={describe(services, broken)['business_key']}")
    page.wait_for_selector("#form-retry")
    assert "division by zero" in page.inner_text("#incidents")
    page.fill("#form-retry textarea[name=data]", '{"copies": 5}')
    page.click("#form-retry button[type=submit]")
    page.wait_for_selector("#instance-status [data-status=waiting]")
    assert "已重试" in flash(page), flash(page)
    assert describe(services, broken)["status"] == "waiting"
    page.goto(f"{live_server}/admin/")
    assert re.search(r"未处理故障\s*0", page.inner_text("#home-cards"))

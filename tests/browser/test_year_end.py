"""The year end in Chromium: the alarm on the console's front page, the import page (paste, preview, save), and
the clerk's inbox before and after (Chinese and English). Screenshots in tests/artifacts/year_end_*.png."""

from __future__ import annotations

from typing import Any

import pytest

import runner
from runner.people import directory
from runner.people.directory import DEMO_PASSWORD
from tests.support.flow import complete, deploy_library, library_windows, local, start_item, task
from tests.support.year_end import TEST_2027, needs_2027

from .conftest import login, screenshot

pytestmark = pytest.mark.skipif(not needs_2027(), reason="a newer chinesecalendar knows 2027")


def test_an_admin_imports_next_year_and_the_pending_deadlines_fill_in(
    services, clock, live_server, new_page
) -> None:
    with services.transaction() as s:
        runner.upsert_windows(s, library_windows())
        directory.create_user(s, "admin", "管理员", DEMO_PASSWORD, [("centre", "admin")])
        directory.create_user(s, "sb_clerk", "社保窗口", DEMO_PASSWORD, [("shebao", "clerk")])
    deploy_library(
        services, "block_correction.bpmn", "block_refusal.bpmn", "chengnuo.bpmn", "shebao_transfer.bpmn"
    )
    with services.transaction() as s:
        runner.seed_warning_rules(s)
    clock.set(local("2026-12-21", "10:00"))
    iid = start_item(services, "shebao_transfer", {"applicant": "王五", "old_office": "某市社保局"})
    other = start_item(services, "chengnuo", {"applicant": "张三", "lead_window": "shebao"})
    complete(services, task(services, other, "accept")["id"], {"eligible": True, "materials_complete": True})

    clerk: Any = new_page()
    login(clerk, live_server, "sb_clerk")
    clerk.goto(f"{live_server}/inbox?tab=window")
    assert "期限待 2027 年节假日安排公布后确定" in clerk.inner_text("table.inbox")
    screenshot(clerk, "year_end_inbox_pending")
    clerk.goto(f"{live_server}/inbox?tab=window&lang=en")
    assert "due once the 2027 holiday arrangement is published" in clerk.inner_text("table.inbox")
    screenshot(clerk, "year_end_inbox_pending_en")

    admin: Any = new_page()
    login(admin, live_server, "admin")
    assert admin.is_visible("#calendar-alarm")  # the admins' inbox says it too
    admin.goto(f"{live_server}/admin/")
    tile = admin.locator(".home-card", has_text="节假日数据告警")
    assert "2027 年节假日安排未录入" in tile.inner_text()
    screenshot(admin, "year_end_console_home")
    tile.locator("a").click()
    admin.wait_for_selector("#import-form")
    admin.fill("#text", TEST_2027)
    admin.click("#preview-button")
    admin.wait_for_selector("#import-preview")
    assert "2027-01-11" in admin.inner_text("#effects") and "待 2027 年" in admin.inner_text("#effects")
    screenshot(admin, "year_end_import_preview")
    admin.click("#save-button")
    admin.wait_for_selector("#arrangements")
    assert "已导入 2027 年节假日安排" in admin.inner_text("body")
    assert not admin.is_visible("#calendar-alarm")
    screenshot(admin, "year_end_calendar_list")

    clerk.goto(f"{live_server}/inbox?tab=window&lang=zh")
    text = clerk.inner_text("table.inbox")
    assert "待 2027" not in text and "2027-01-11" in text
    admin.goto(f"{live_server}/admin/instance/{iid}/")
    assert "2027-02-26" in admin.inner_text("#instance-facts")
    screenshot(admin, "year_end_instance_after")

"""A diagram drawn elsewhere, in real Chromium: an admin uploads a GB18030 file through the console, reads its
Chinese names in the list, the deploy warnings element by element and the drawn diagram; a clerk works its
first task with the generic task form, in Chinese and in English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import runner
from runner.people.directory import seed_demo_users
from tests.support.flow import describe, library_windows, start_item, task

from .conftest import login, screenshot

pytestmark = pytest.mark.slow

GB18030 = Path(__file__).resolve().parent.parent / "data" / "foreign" / "gb18030.bpmn"


def flashes(page) -> str:
    return " | ".join(page.locator(".alert").all_inner_texts())


def test_a_gb18030_diagram_reads_in_chinese_and_runs_with_the_generic_form(
    services, live_server, new_page
) -> None:
    with services.transaction() as s:
        runner.upsert_windows(s, library_windows())
        seed_demo_users(s, library_windows())
    admin = new_page()
    login(admin, live_server, "admin")
    admin.goto(f"{live_server}/admin/definitions/")
    admin.set_input_files("#deploy-form input[name=bpmn]", str(GB18030))
    admin.select_option("#default-window", "minzheng")
    with admin.expect_navigation():
        admin.click("#deploy-form button[type=submit]")
    told = flashes(admin)
    assert "已部署：juzhuzheng v1（新版本）" in told, told
    assert "[Activity_shouli] 任务未指定窗口，交给默认窗口 minzheng" in told, told
    assert "gb18030.bpmn:" in told  # each warning names its line
    card = admin.locator(".definition[data-key=juzhuzheng]")
    assert "居住证办理（跨省通办）" in card.inner_text()
    screenshot(admin, "console-foreign-gb18030-deployed")

    card.locator("text=查看流程图").click()
    admin.wait_for_selector("#diagram[data-state=ready]")
    drawn = admin.inner_text("#diagram")
    for name in ("受理登记", "派出所审核", "制证发放", "县政务服务中心", "综合受理窗口"):
        assert name in drawn, drawn
    warnings = admin.inner_text("#definition-warnings")
    assert "Activity_shenhe" in warnings and "第 " in warnings
    screenshot(admin, "console-foreign-gb18030-diagram")

    iid = start_item(services, "juzhuzheng", {"applicant": "刘䶮", "address": "平安里3号"})
    first = task(services, iid, "Activity_shouli")
    assert (first["window"], first["form_key"]) == ("minzheng", "generic_task")
    clerk = new_page()
    login(clerk, live_server, "minzheng_clerk")
    clerk.goto(f"{live_server}/tasks/{first['id']}")
    assert clerk.inner_text("#task-title") == "受理登记"
    assert "核验申请人刘䶮等人的身份证明和居住证明。" in clerk.inner_text("#task-documentation")
    data = clerk.inner_text("#item-data")
    assert "applicant" in data and "刘䶮" in data and "平安里3号" in data
    screenshot(clerk, "workspace-generic-form")
    clerk.goto(f"{live_server}/tasks/{first['id']}?lang=en")
    assert "Opinion and decision" in clerk.inner_text("#task-form-card")
    assert "Item data" in clerk.inner_text("#task-context")
    screenshot(clerk, "workspace-generic-form-en")
    clerk.goto(f"{live_server}/tasks/{first['id']}?lang=zh")
    clerk.click("#submit-task")  # nothing chosen: approved is required
    assert clerk.locator("#form-error").count() == 1
    clerk.fill("textarea[name=opinion]", "证明材料齐全")
    clerk.check("input[name=approved][value=true]")
    with clerk.expect_navigation():
        clerk.click("#submit-task")
    done = " | ".join(clerk.locator(".flashes .flash").all_inner_texts())
    assert re.search("已办理：受理登记", done), done
    view = describe(services, iid)
    assert view["data"]["opinion"] == "证明材料齐全" and view["data"]["approved"] is True
    assert [t["name"] for t in view["tasks"]] == ["派出所审核"]

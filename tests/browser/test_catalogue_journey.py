"""The catalogue in real Chromium: a clerk registers a 联办件 from the catalogue with one material missing, the
printed 补正通知书 names it, 补正材料已收到, the related windows review, 办结, and the item page's timeline tells
it all; the guide without login; identity numbers refused; a catalogue change leaves the running item on its
version. Screenshots in Chinese and English go to tests/artifacts/."""

from __future__ import annotations

import re

import pytest

import runner
from runner.catalogue import items
from runner.people.directory import seed_demo_users
from tests.support.catalogue import demo
from tests.support.flow import deploy_library, describe, library_windows

from .conftest import login, screenshot
from .test_workspace_journey import choose, open_from_inbox, submit

pytestmark = pytest.mark.slow
MISSING = "拟选址位置图"


@pytest.fixture
def centre(services):
    deploy_library(
        services, "block_correction.bpmn", "block_refusal.bpmn", "chengnuo.bpmn", "lianban_chaogao.bpmn"
    )
    with services.transaction() as s:
        seed_demo_users(s, library_windows())
        for code in ("GT-001", "SC-001", "SC-002"):
            items.save_item(s, demo(code), actor="admin")


def the_instance(services) -> tuple[int, str]:
    with services.transaction() as s:
        from runner.models import ItemApplication

        row = s.query(ItemApplication).order_by(ItemApplication.instance_id.desc()).first()
        return row.instance_id, runner.get_instance(s, row.instance_id).business_key


def tasks_of(services, iid):
    with services.transaction() as s:
        found, _ = runner.list_tasks(s, instance_id=iid, count=False)
        return found


def test_a_joint_item_from_the_catalogue_to_completion(services, centre, live_server, new_page):
    lead = new_page()
    login(lead, live_server, "guotu_clerk")
    lead.click("nav >> text=收件登记")
    lead.fill("input[name=q]", "用地")
    lead.click("#intake-search button[type=submit]")
    lead.click("tr[data-code='GT-001'] a")
    lead.wait_for_selector("#intake-form")
    lead.check("input[name=applicant_type][value=organisation]")
    lead.fill("#applicant_name", "某某实业有限公司")
    lead.fill("#applicant_id", "91110000600037341L")
    lead.fill("#phone", "13800001234")
    lead.fill("#agent_name", "李四")
    lead.fill("#agent_id", "11010519491231002X")
    lead.check(f"tr[data-material='{MISSING}'] input[value=missing]")
    screenshot(lead, "intake-form")
    lead.click("#do-notify")
    lead.wait_for_url(re.compile(r".*/documents/correction$"))
    notice = lead.inner_text("body")
    assert "补正材料通知书" in notice and MISSING in notice
    for other in ("建设项目用地预审与选址申请表", "项目建议书或可行性研究报告"):
        assert other not in notice  # exactly the item's missing material
    screenshot(lead, "intake-correction-notice")
    iid, key = the_instance(services)
    assert describe(services, iid)["paused_since"]

    # the applicant brings the material: the clerk records it on the item page; the clock resumes
    lead.goto(f"{live_server}/items/{key}")
    lead.click("#link-materials")
    lead.check(f"input[name=arrived][value='{MISSING}']")
    lead.click("#do-materials")
    lead.wait_for_url(re.compile(rf".*/items/{key}$"))
    assert describe(services, iid)["paused_since"] is None

    # the related windows review, each in its own session
    reviews = {t["window"]: t for t in tasks_of(services, iid) if t["spec_name"].startswith("review")}
    assert sorted(reviews) == ["guihua", "huanbao"]
    for window, result in (("guihua", "agree"), ("huanbao", "agree")):
        page = new_page()
        login(page, live_server, f"{window}_clerk")
        open_from_inbox(page, live_server, reviews[window]["id"])
        choose(page, "result", result)
        if page.locator("textarea[name=opinion]").count():
            page.fill("textarea[name=opinion]", f"{window} 审查同意")
        submit(page)

    consolidate = next(t for t in tasks_of(services, iid) if t["spec_name"] == "consolidate")
    open_from_inbox(lead, live_server, consolidate["id"])
    choose(lead, "decision", "approve")
    submit(lead)
    notify = next(t for t in tasks_of(services, iid) if t["spec_name"] == "notify_applicant")
    open_from_inbox(lead, live_server, notify["id"])
    choose(lead, "delivery", "window")
    submit(lead)
    assert describe(services, iid)["status"] == "completed"

    lead.goto(f"{live_server}/items/{key}")
    timeline = lead.inner_text("#timeline")
    for seen in ("收件", "收到消息", "恢复计时", MISSING, "国土资源窗口", "规划建设窗口", "环保窗口"):
        assert seen in timeline, (seen, timeline)
    assert "guotu_clerk" not in timeline or "国土" in timeline
    assert "办理中" not in lead.inner_text("#item-status")
    screenshot(lead, "item-hub")
    lead.goto(f"{live_server}/items/{key}?lang=en")
    assert "Timeline" in lead.inner_text("main")
    screenshot(lead, "item-hub-en")


def test_the_guide_without_login_in_chinese_and_english(services, centre, live_server, new_page):
    page = new_page()
    page.goto(f"{live_server}/guide")
    assert "GT-001" in page.inner_text("#guide-items")
    page.fill("input[name=q]", "食品")
    page.click("#guide-search button[type=submit]")
    assert "GT-001" not in page.inner_text("main") and "SC-001" in page.inner_text("main")
    screenshot(page, "guide-list")
    page.click("tr[data-code='SC-001'] a")
    for part in ("#g-subject", "#g-basis", "#g-conditions", "#g-procedure", "#g-limits", "#g-result",
                 "#g-fee-basis", "#g-fee", "#g-supervision"):  # fmt: skip
        assert page.inner_text(part).strip(), part
    assert "食品经营许可申请书" in page.inner_text("#g-materials")
    screenshot(page, "guide-item")
    page.emulate_media(media="print")
    screenshot(page, "guide-item-print")
    page.emulate_media(media="screen")
    page.goto(f"{live_server}/guide/SC-001?lang=en")
    assert "Legal basis" in page.inner_text("main")
    screenshot(page, "guide-item-en")


def test_identity_numbers_are_refused_with_a_clear_message(services, centre, live_server, new_page):
    page = new_page()
    login(page, live_server, "shichang_clerk")
    page.goto(f"{live_server}/intake?item=SC-001")
    page.fill("#applicant_name", "张三")
    page.fill("#applicant_id", "110105194912310021")
    page.fill("#phone", "13800001234")
    page.click("#do-accept")
    assert "身份证号码校验位不符" in page.inner_text("#intake-error")
    assert page.input_value("#applicant_name") == "张三"  # what was typed stays
    page.check("input[name=applicant_type][value=organisation]")
    page.fill("#applicant_id", "91110000600037341A")
    page.click("#do-accept")
    assert "统一社会信用代码校验位不符" in page.inner_text("#intake-error")
    screenshot(page, "intake-credit-code-refused")
    page.goto(f"{live_server}/intake?item=SC-001&lang=en")
    page.fill("#applicant_name", "Zhang San")
    page.fill("#applicant_id", "110105194912310021")
    page.fill("#phone", "13800001234")
    page.click("#do-accept")
    assert "check character does not match" in page.inner_text("#intake-error")
    screenshot(page, "intake-id-refused-en")


def test_a_catalogue_change_leaves_the_running_item_on_its_version(services, centre, live_server, new_page):
    clerk = new_page()
    login(clerk, live_server, "shichang_clerk")
    clerk.goto(f"{live_server}/intake?item=SC-002")
    clerk.fill("#applicant_name", "张三")
    clerk.fill("#applicant_id", "11010519491231002X")
    clerk.fill("#phone", "13800001234")
    clerk.click("#do-accept")
    clerk.wait_for_url(re.compile(r".*/documents/acceptance$"))
    iid, key = the_instance(services)
    assert describe(services, iid)["promised_days"] == 7

    admin = new_page()
    login(admin, live_server, "admin")
    admin.goto(f"{live_server}/admin/catalogue/item/SC-002/edit")
    admin.fill("#f-promised", "5")
    admin.click("#catalogue-save")
    admin.wait_for_url(re.compile(r".*/admin/catalogue/item/SC-002$"))
    assert "现行第 2 版" in admin.inner_text("body")
    assert "promised_days" in admin.inner_text("#catalogue-history")
    screenshot(admin, "console-catalogue-item")

    clerk.goto(f"{live_server}/items/{key}")
    assert "按第 1 版办理" in clerk.inner_text("#hub-item")
    assert "第 2 版" in clerk.inner_text("#hub-old-version")
    assert describe(services, iid)["promised_days"] == 7
    screenshot(clerk, "item-old-version")


RECORD_SUBMIT = """() => {
    const form = document.querySelector("#do-accept").form;
    window.seen = [];
    form.addEventListener("submit", (event) => {
        window.seen.push({
            disabled: [...form.querySelectorAll("button[type=submit]")].map((b) => b.disabled),
            carried: [...form.querySelectorAll("input[type=hidden][name=decision]")].map((f) => f.value),
        });
        event.preventDefault();
    });
}"""


def test_the_intake_form_is_sent_once_with_the_decision_clicked(services, centre, live_server, new_page):
    """A double click on 一次性告知补正 registers one application, as a notice: page.js disables the buttons and
    still sends the clicked button's decision (a disabled button is left out of what a form sends)."""
    page = new_page()
    login(page, live_server, "shichang_clerk")
    page.goto(f"{live_server}/intake?item=SC-001")
    page.evaluate(RECORD_SUBMIT)
    page.click("#do-refuse")
    page.click("#do-accept", force=True)  # disabled by then: no second submission
    seen = page.evaluate("window.seen")
    assert seen == [{"disabled": [True, True, True], "carried": ["refuse"]}]

    page.goto(f"{live_server}/intake?item=SC-001")
    page.fill("#applicant_name", "张三")
    page.fill("#applicant_id", "11010519491231002X")
    page.fill("#phone", "13800001234")
    page.check("input[name=m0][value=missing]")
    with page.expect_navigation():
        page.dblclick("#do-notify")
    page.wait_for_load_state()
    with services.transaction() as s:
        from runner.models import ItemApplication

        decisions = [row.decision for row in s.query(ItemApplication)]
    assert decisions == ["notified"]

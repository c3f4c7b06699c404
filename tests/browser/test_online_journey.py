"""网上申报 in real Chromium: an applicant applies from home with one wrong material (and a file refused by the
upload checks), 预审 returns it with a reason, the applicant re-uploads just that one and resubmits, 预审通过, books
a slot and prints the confirmation; at the counter the clerk finds the application by its number and accepts it
with everything pre-filled; the item runs on and the applicant's page shows its receipt number. Screenshots in
Chinese and English go to tests/artifacts/."""

from __future__ import annotations

import re

import pytest

import runner
from runner.catalogue import items
from runner.models import ItemApplication, Notification, OnlineApplication
from runner.people.directory import seed_demo_users
from tests.support.catalogue import demo
from tests.support.flow import deploy_library, describe, library_windows, tasks

from .conftest import login, screenshot

pytestmark = pytest.mark.slow
CODE = "SC-001"
WRONG = "营业执照"  # the applicant first uploads the wrong document for it
PDF = b"%PDF-1.4 a scanned material\n%%EOF\n"


@pytest.fixture
def centre(services):
    deploy_library(services, "block_correction.bpmn", "block_refusal.bpmn", "chengnuo.bpmn")
    with services.transaction() as s:
        seed_demo_users(s, library_windows())
        items.save_item(s, demo(CODE), actor="admin")


def texted_code(services) -> str:
    with services.transaction() as s:
        note = (
            s.query(Notification).filter(Notification.kind == "otp").order_by(Notification.id.desc()).first()
        )
        return re.search(r"验证码 (\d{6})", note.message).group(1)


def pdf(name: str) -> dict[str, object]:
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF + name.encode()}


def the_application(services) -> OnlineApplication:
    with services.transaction() as s:
        row = s.query(OnlineApplication).one()
        s.expunge(row)
        return row


def test_apply_from_home_to_the_counter(services, centre, live_server, new_page):
    materials = [m for m in demo(CODE)["materials"]]
    applicant = new_page()
    applicant.goto(f"{live_server}/apply")
    applicant.click(f"tr[data-code='{CODE}'] a")
    applicant.fill("#applicant_name", "张三")
    applicant.fill("#applicant_id", "110105194912310021")  # a wrong check digit first
    applicant.fill("#phone", "13800001234")
    applicant.click("#do-start")
    assert "校验位不符" in applicant.inner_text("#apply-error")
    applicant.fill("#applicant_id", "11010519491231002X")
    screenshot(applicant, "online-apply-form")
    applicant.click("#do-start")
    applicant.wait_for_url(re.compile(r".*/apply/track/[A-Za-z0-9_-]{40,}$"))
    private_link = applicant.url
    applicant.fill("#otp", texted_code(services))
    applicant.click("#do-confirm")
    applicant.wait_for_selector("#track-files")
    assert applicant.locator("#track-code").count() == 0  # the number is confirmed

    # a file whose content is not what its name says is refused by the upload checks, nothing stored
    applicant.set_input_files("input[name=file-0]", {"name": "申请书.pdf", "mimeType": "application/pdf",
                                                     "buffer": b"MZ\x90\x00 not a pdf"})  # fmt: skip
    applicant.click("#do-upload")
    assert "不符" in applicant.inner_text("#track-error")
    for n, material in enumerate(materials):
        if material["required"]:
            name = "身份证照片.pdf" if material["name"] == WRONG else f"{material['name']}.pdf"
            applicant.set_input_files(f"input[name=file-{n}]", pdf(name))
    screenshot(applicant, "online-track-draft")
    applicant.click("#do-submit")
    applicant.wait_for_selector("#track-state[data-state=submitted]")
    number = applicant.inner_text("#track-number").strip()
    assert re.fullmatch(r"WS2026-\d{6}", number)

    # 预审: the lead window's clerk sees it from the inbox and returns the wrong material with a reason
    clerk = new_page()
    login(clerk, live_server, "shichang_clerk")
    clerk.click("#online-waiting a")
    clerk.click(f"tr[data-number='{number}'] a")
    assert "身份证照片.pdf" in clerk.inner_text(f"tr[data-material='{WRONG}']")
    screenshot(clerk, "online-review")
    clerk.fill(f"tr[data-material='{WRONG}'] input[type=text]", "上传的是身份证照片，请上传营业执照副本")
    clerk.click("#do-return")
    clerk.wait_for_url(re.compile(r".*/online/reviews$"))

    # the applicant sees the reason, re-uploads just that material and resubmits
    applicant.goto(private_link)
    assert applicant.get_attribute("#track-state", "data-state") == "returned"
    assert "请上传营业执照副本" in applicant.inner_text(f"tr[data-material='{WRONG}']")
    wrong_index = next(n for n, m in enumerate(materials) if m["name"] == WRONG)
    assert applicant.locator("#track-files input[type=file]").count() == 1  # only the returned one
    screenshot(applicant, "online-track-returned")
    applicant.set_input_files(f"input[name=file-{wrong_index}]", pdf("营业执照副本.pdf"))
    applicant.click("#do-submit")
    applicant.wait_for_selector("#track-state[data-state=submitted]")
    assert "身份证照片.pdf" in applicant.inner_text(
        f"tr[data-material='{WRONG}']"
    )  # the earlier version is kept

    clerk.goto(f"{live_server}/online/reviews")
    clerk.click(f"tr[data-number='{number}'] a")
    assert "营业执照副本.pdf" in clerk.inner_text(f"tr[data-material='{WRONG}']")
    clerk.click("#do-pass")
    clerk.wait_for_url(re.compile(r".*/online/reviews$"))

    # 预审通过: the applicant books a slot and prints the confirmation
    applicant.goto(private_link)
    assert applicant.get_attribute("#track-state", "data-state") == "approved"
    applicant.check("tr[data-slot='2026-09-29@09:00'] input[type=radio]")
    applicant.click("#do-book")
    applicant.wait_for_selector("#track-appointment")
    assert "2026-09-29 09:00–12:00" in applicant.inner_text("#track-appointment")
    screenshot(applicant, "online-track-booked")
    applicant.click("#track-confirmation")
    assert "2026-09-29 09:00–12:00" in applicant.inner_text("#conf-slot")
    screenshot(applicant, "online-confirmation")

    # at the counter: the day's appointments, then find by the number and accept pre-filled (窗口优先)
    clerk.goto(f"{live_server}/online/appointments?day=2026-09-29")
    assert number in clerk.inner_text("#appointment-list")
    clerk.click("nav >> text=收件登记")
    clerk.click("#link-online-counter")
    clerk.fill("input[name=q]", number)
    clerk.click("#do-find")
    clerk.click(f"tr[data-number='{number}'] a.btn-primary")
    clerk.wait_for_selector("#intake-online")
    assert clerk.input_value("#applicant_id") == "11010519491231002X"
    assert clerk.input_value("#phone") == "13800001234"
    assert clerk.is_checked(f"tr[data-material='{WRONG}'] input[value=received]")
    screenshot(clerk, "online-intake-prefilled")
    clerk.click("#do-accept")
    clerk.wait_for_url(re.compile(r".*/documents/acceptance$"))

    row = the_application(services)
    assert row.state == "received" and row.instance_id
    with services.transaction() as s:
        record = s.get(ItemApplication, row.instance_id)
        assert (record.applicant_id, record.decision) == ("11010519491231002X", "accepted")
        key = runner.get_instance(s, row.instance_id).business_key
    assert describe(services, row.instance_id)["status"] == "running"
    assert [t["window"] for t in tasks(services, row.instance_id)] == [
        "shichang"
    ]  # the item runs on: its next step

    applicant.goto(private_link)
    assert applicant.get_attribute("#track-state", "data-state") == "received"
    assert key in applicant.inner_text("#track-receipt")
    applicant.click("#track-progress")
    applicant.wait_for_url(re.compile(rf".*/progress/{key}$"))
    screenshot(applicant, "online-progress")
    applicant.goto(f"{private_link}?lang=en")
    assert "received at the counter" in applicant.inner_text("#track-state")
    screenshot(applicant, "online-track-en")

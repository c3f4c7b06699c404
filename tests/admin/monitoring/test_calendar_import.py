"""工作日调整 → 导入年度安排 in the console: paste or upload, preview (exactly what the save stores), save.

The 2027 arrangement is the one written for the tests (tests/support/year_end.py), not the official notice.
"""

from __future__ import annotations

import io
import re

import pytest

import runner
from tests.admin.monitoring_helpers import audit_actions, deploy, flashes, people
from tests.support.flow import describe, local, start_item
from tests.support.year_end import TEST_2027, needs_2027

pytestmark = pytest.mark.skipif(not needs_2027(), reason="a newer chinesecalendar knows 2027")
IMPORT = "/admin/calendar/import"


@pytest.fixture
def december(services, clock, make_user) -> int:
    """People, the diagrams, and a 承诺件 started Mon 12-21 (10 working days: pending until 2027 is known)."""
    people(make_user)
    deploy(services)
    with services.transaction() as s:
        runner.seed_warning_rules(s)
    clock.set(local("2026-12-21", "09:00"))
    return start_item(services, "chengnuo", {"applicant": "张三", "lead_window": "centre"})


def test_preview_then_save_recalculates_the_items(services, december, signed_in) -> None:
    admin = signed_in("admin")
    page = admin.get(IMPORT).get_data(as_text=True)
    assert 'id="import-form"' in page and "2027-02-20 班 春节调休" in page  # the format, shown
    assert 'id="calendar-alarm"' in page  # 12-21: next year's arrangement is missing
    page = admin.post(IMPORT, data={"text": TEST_2027, "step": "preview"}).get_data(as_text=True)
    assert 'id="import-preview"' in page and 'data-year="2027"' in page
    key = describe(services, december)["business_key"]
    row = re.search(rf'<tr data-item="{key}" data-what="deadline">(.*?)</tr>', page, re.S)[1]
    assert "待 2027 年节假日安排公布后确定" in row and "2027-01-05 23:59" in row
    with services.transaction() as s:
        assert runner.list_arrangements(s) == []  # the preview stored nothing
    assert describe(services, december)["deadline_pending_year"] == 2027
    page = admin.post(IMPORT, data={"text": TEST_2027, "step": "save"}, follow_redirects=True).get_data(
        as_text=True
    )
    assert any("已导入 2027 年节假日安排" in f and "1 件办件" in f for f in flashes(page)), flashes(page)
    assert '<tr data-year="2027">' in page  # listed with who and when
    assert describe(services, december)["deadline"] == "2027-01-05T15:59:59+00:00"
    assert ("holiday_arrangement_imported", "admin") in audit_actions(
        services, action="holiday_arrangement_imported"
    )
    assert 'id="calendar-alarm"' not in admin.get("/admin/calendar/").get_data(as_text=True)


def test_malformed_lines_are_named_and_nothing_is_stored(services, december, signed_in) -> None:
    text = "# 2027\n2027-01-01..2027-01-03 休 元旦\n2027-13-01 休 春节\n2027-02-20 补\n"
    response = signed_in("admin").post(IMPORT, data={"text": text, "step": "save"})
    page = response.get_data(as_text=True)
    assert 'id="arrangement-problems"' in page
    assert re.findall(r'<li data-line="(\d+)">', page) == ["3", "4"]
    assert "第 3 行" in page and text.strip().splitlines()[2] in page  # the text stays in the box
    with services.transaction() as s:
        assert runner.list_arrangements(s) == []
    assert describe(services, december)["deadline_pending_year"] == 2027


def test_an_uploaded_file_is_read_like_pasted_text(services, december, signed_in) -> None:
    data = {"step": "preview", "text": "", "file": (io.BytesIO(TEST_2027.encode("utf-8-sig")), "2027.txt")}
    page = (
        signed_in("admin").post(IMPORT, data=data, content_type="multipart/form-data").get_data(as_text=True)
    )
    assert 'id="import-preview"' in page and "放假 <strong>12</strong> 天" in page
    gbk = {"step": "preview", "file": (io.BytesIO(TEST_2027.encode("gb18030")), "2027.txt")}
    page = (
        signed_in("admin").post(IMPORT, data=gbk, content_type="multipart/form-data").get_data(as_text=True)
    )
    assert 'id="import-preview"' in page


def test_only_admins_import(services, december, signed_in) -> None:
    sup = signed_in("sup")
    assert sup.get(IMPORT).status_code == 200  # may look
    assert 'id="save-form"' not in sup.get(IMPORT).get_data(as_text=True)
    assert sup.post(IMPORT, data={"text": TEST_2027, "step": "save"}).status_code == 403
    assert signed_in("clerk1").get(IMPORT).status_code == 403


def test_the_front_page_tile_stays_until_the_year_is_known(services, december, signed_in) -> None:
    admin = signed_in("admin")
    home = admin.get("/admin/").get_data(as_text=True)
    assert "节假日数据告警" in home and "2027 年节假日安排未录入" in home and IMPORT in home
    for day in ("2027-01-01", "2027-01-02", "2027-01-03"):  # single days entered as overrides: still missing
        admin.post("/admin/calendar/add", data={"day": day, "kind": "holiday", "step": "save"})
    assert "节假日数据告警" in admin.get("/admin/").get_data(as_text=True)
    admin.post(IMPORT, data={"text": TEST_2027, "step": "save"})
    assert "节假日数据告警" not in admin.get("/admin/").get_data(as_text=True)


def test_the_instance_page_says_what_a_pending_deadline_waits_for(services, december, signed_in) -> None:
    page = signed_in("sup").get(f"/admin/instance/{december}/").get_data(as_text=True)
    deadline = re.search(r'<td id="fact-deadline">(.*?)</td>', page, re.S)[1]
    statutory = re.search(r'<td id="fact-statutory">(.*?)</td>', page, re.S)[1]
    assert "待 2027 年节假日安排公布后确定" in deadline
    assert "待 2027 年节假日安排公布后确定" in statutory and "20 个工作日" in statutory
    timers = re.search(r'<table class="table table-sm" id="instance-timers">(.*?)</table>', page, re.S)[1]
    assert timers.count("未布防") == 3 and timers.count("待 2027 年节假日安排公布后确定") == 3


def test_the_admins_inbox_shows_the_alarm(services, december, signed_in) -> None:
    admin_inbox = signed_in("admin").get("/inbox").get_data(as_text=True)
    assert 'id="calendar-alarm"' in admin_inbox and IMPORT in admin_inbox
    assert 'id="calendar-alarm"' not in signed_in("clerk1").get("/inbox").get_data(as_text=True)


def test_the_timers_page_counts_the_unarmed_ones(services, december, signed_in) -> None:
    page = signed_in("sup").get("/admin/timers/").get_data(as_text=True)
    assert re.search(r'id="unarmed-2027">另有 <strong>3</strong> 个定时器未布防', page)
    signed_in("admin").post(IMPORT, data={"text": TEST_2027, "step": "save"})
    page = signed_in("sup").get("/admin/timers/").get_data(as_text=True)
    assert 'id="unarmed-2027"' not in page and describe(services, december)["business_key"] in page


def test_the_instance_list_filters_the_items_with_pending_deadlines(
    services, december, clock, signed_in
) -> None:
    clock.set(local("2026-12-01", "09:00"))  # a known deadline (10 working days: end of 12-15)
    known = start_item(services, "chengnuo", {"applicant": "李四", "lead_window": "centre"})
    sup = signed_in("sup")
    page = sup.get("/admin/instances/").get_data(as_text=True)
    link = re.search(r'id="quick-pending" href="([^"]+)"', page)[1].replace("&amp;", "&")
    listed = sup.get(link).get_data(as_text=True)
    assert describe(services, december)["business_key"] in listed
    assert describe(services, known)["business_key"] not in listed


def test_a_local_override_is_removed_with_a_preview(services, december, signed_in) -> None:
    """撤销本地调整: the day follows the published calendar again and the open item's deadline moves back."""
    admin = signed_in("admin")
    admin.post(IMPORT, data={"text": TEST_2027, "step": "save"})
    known = describe(services, december)["deadline"]
    admin.post("/admin/calendar/add", data={"day": "2026-12-22", "kind": "holiday", "step": "save"})
    assert describe(services, december)["deadline"] != known
    form = {"day": "2026-12-22", "kind": "remove"}
    page = admin.post("/admin/calendar/add", data={**form, "step": "preview"}).get_data(as_text=True)
    assert 'id="override-preview"' in page and "保存将覆盖" not in page and "no-override" not in page
    assert "<strong>1</strong>" in page  # the item that moves back
    admin.post("/admin/calendar/add", data={**form, "step": "save"})
    assert describe(services, december)["deadline"] == known
    assert ("calendar_override_removed", "admin") in audit_actions(services)
    again = admin.post("/admin/calendar/add", data={**form, "step": "save"}, follow_redirects=True)
    assert "没有本地调整" in again.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/admin/calendar/", IMPORT])
def test_the_alarm_speaks_the_pages_language(services, december, signed_in, url) -> None:
    """Every calendar page shows the alarm in the page's language, not the Chinese above English chrome."""
    admin = signed_in("admin")
    english = admin.get(f"{url}?lang=en").get_data(as_text=True)
    alarm = re.search(r'<div[^>]*id="calendar-alarm"[^>]*>(.*?)</div>', english, re.S)[1]
    assert "The 2027 holiday arrangement is missing" in alarm and "尚未录入" not in alarm
    chinese = admin.get(f"{url}?lang=zh_CN").get_data(as_text=True)
    alarm = re.search(r'<div[^>]*id="calendar-alarm"[^>]*>(.*?)</div>', chinese, re.S)[1]
    assert "2027 年的节假日安排尚未录入" in alarm and "is missing" not in alarm

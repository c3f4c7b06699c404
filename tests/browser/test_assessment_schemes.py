"""考核与申诉 in real Chromium: the supervisor enters a score, the window head sees it and appeals a late day.

The month of tests/support/supervision.py under 窗口单位考核实施细则 (in force after ``seed``): centre loses
5 points for each of its 5 late working days → 75. The supervisor enters 窗口无人值守 (−5) for centre on 10-21
→ 70, and a thank-you letter (+1) with its scan → 71 (a .exe is refused); the centre head sees the entries
among the lines, downloads the letter's scan from its line and appeals one of D's late days (all three are one
appeal: the item's lateness), which then shows as 待裁决. On 考核方案 the supervisor takes shebao out of the
window scheme (from November).
"""

from __future__ import annotations

import re

import pytest

from runner.people.directory import DEMO_PASSWORD, seed_demo_users
from runner.supervision.assessment_schemes.store import seed_schemes
from tests.support.flow import library_windows
from tests.support.supervision import october

from .conftest import screenshot

pytestmark = pytest.mark.slow
PAGE = "/admin/supervision/assessment/?kind=month&date=2026-10-01"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def login(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/inbox.*"))


def centre_total(page) -> list[str]:
    rows = page.locator("#table-totals tbody tr")
    for i in range(rows.count()):
        texts = [t.strip() for t in rows.nth(i).locator("td").all_inner_texts()]
        if texts[1] == "centre":
            return texts
    raise AssertionError(page.inner_text("#table-totals"))


def test_enter_a_score_and_appeal_a_late_day(services, clock, live_server, new_page):
    month = october(services, clock)
    with services.transaction() as s:
        seed_demo_users(s, library_windows())
        seed_schemes(s)

    page = new_page()
    login(page, live_server, "supervisor")
    page.goto(live_server + PAGE)
    assert centre_total(page)[3:6] == ["-25", "75", "合格"]
    page.select_option("#entry-form select[name=rule]", "window_rules_001.unattended")
    page.fill("#entry-form input[name=subject]", "centre")
    page.fill("#entry-form input[name=occurred_on]", "2026-10-21")
    page.fill("#entry-form input[name=note]", "10-21 上午窗口无人值守（巡查记录第12号）")
    page.click("#entry-form button[type=submit]")
    page.wait_for_selector("#table-entries")
    assert centre_total(page)[3:6] == ["-30", "70", "合格"]
    page.select_option("#entry-form select[name=rule]", "window_rules_001.thank_letter")
    page.fill("#entry-form input[name=subject]", "centre")
    page.fill("#entry-form input[name=occurred_on]", "2026-10-22")
    page.fill("#entry-form input[name=points]", "1")
    page.set_input_files(
        "#entry-form input[name=attachment]",
        files=[{"name": "感谢信.pdf", "mimeType": "application/pdf", "buffer": PDF}],
    )
    page.click("#entry-form button[type=submit]")
    page.wait_for_selector("#table-entries a.entry-file")
    assert centre_total(page)[3:6] == ["-29", "71", "合格"]
    page.select_option("#entry-form select[name=rule]", "window_rules_001.thank_letter")
    page.fill("#entry-form input[name=subject]", "centre")
    page.fill("#entry-form input[name=occurred_on]", "2026-10-22")
    page.set_input_files(
        "#entry-form input[name=attachment]",
        files=[{"name": "letter.exe", "mimeType": "application/octet-stream", "buffer": b"MZ" + b"0" * 40}],
    )
    page.click("#entry-form button[type=submit]")
    page.wait_for_selector("text=不支持的文件类型")
    screenshot(page, "assessment_supervisor")

    head = new_page()
    login(head, live_server, "centre_head")
    head.goto(live_server + PAGE)
    assert centre_total(head)[3:5] == ["-29", "71"]
    assert "巡查记录第12号" in head.inner_text("#table-deductions")
    link = head.locator("#table-deductions tr.deduction a.entry-file").first
    assert link.inner_text() == "附件：感谢信.pdf"
    got = head.request.get(live_server + link.get_attribute("href"))
    assert got.status == 200 and got.body() == PDF
    row = head.locator(f"tr.deduction[data-subject='instance:{month.d}'][data-scored='centre']").first
    row.locator("textarea[name=reason]").fill("申请人补充材料未到")
    row.locator("button[type=submit]").click()
    head.wait_for_selector(".appeal-status")
    assert (
        head.locator(
            f"tr.deduction[data-subject='instance:{month.d}'][data-scored='centre'] .appeal-status"
        ).count()
        == 3
    )
    screenshot(head, "assessment_head")


def test_the_supervisor_narrows_a_scheme_to_service_windows(services, clock, live_server, new_page):
    october(services, clock)
    with services.transaction() as s:
        seed_demo_users(s, library_windows())
        seed_schemes(s)
    page = new_page()
    login(page, live_server, "supervisor")
    page.goto(live_server + "/admin/supervision/schemes/")
    scheme = page.locator("#scheme-window_rules_001")
    assert not scheme.locator("input[value=supervision]").is_checked()
    assert scheme.locator("input[value=shebao]").is_checked()
    scheme.locator("input[value=shebao]").uncheck()
    scheme.locator("form.scheme-windows button[type=submit]").click()
    page.wait_for_selector("text=已保存方案 window_rules_001 第 2 版")
    assert not page.locator("#scheme-window_rules_001 input[value=shebao]").is_checked()
    assert "下期施行（第 2 版）" in page.inner_text("#scheme-window_rules_001")
    screenshot(page, "assessment_schemes")
    page.goto(live_server + "/admin/supervision/schemes/?lang=en")
    screenshot(page, "assessment_schemes_en")

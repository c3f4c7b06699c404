"""考核与申诉 in real Chromium: the supervisor enters a score, the window head sees it and appeals a late day.

The month of tests/support/supervision.py under 窗口单位考核实施细则 (in force after ``seed``): centre loses
5 points for each of its 5 late working days → 75. The supervisor enters 窗口无人值守 (−5) for centre on 10-21
→ 70; the centre head sees the entry among the lines and appeals one of D's late days (all three are one
appeal: the item's lateness), which then shows as 待裁决.
"""

from __future__ import annotations

import re

import pytest

from runner.assessment_schemes.store import seed_schemes
from runner.directory import DEMO_PASSWORD, seed_demo_users
from tests.support.flow import library_windows
from tests.support.supervision import october

from .conftest import screenshot

pytestmark = pytest.mark.slow
PAGE = "/admin/supervision/assessment/?kind=month&date=2026-10-01"


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
    screenshot(page, "assessment_supervisor")

    head = new_page()
    login(head, live_server, "centre_head")
    head.goto(live_server + PAGE)
    assert centre_total(head)[3:5] == ["-30", "70"]
    assert "巡查记录第12号" in head.inner_text("#table-deductions")
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

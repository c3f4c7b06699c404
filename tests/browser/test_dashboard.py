"""督查统计 in real Chromium: a 联办件 (抄告制) where 规划 stays silent shows up as that window's deemed assent.

Scenario (clock Mon 2026-09-28 09:00 Shanghai): 市场监管 accepts a joint item and notifies 国土, 环保 and
规划 with a review limit of 3 working days — 09-29, 09-30, then 10-08 after National Day. 国土 and 环保
answer; 规划 says nothing, so at the end of Thu 10-08 the runner records a deemed assent (默认议定)
against 规划. The supervisor opens the dashboard for October, sees it in 规划's row, in the deemed-assent
table and in the chart data, narrows the view to 规划 with the filter, and the page is saved as a screenshot.
"""

from __future__ import annotations

import json
import re

import pytest

from runner.people.directory import DEMO_PASSWORD, seed_demo_users
from tests.support.flow import advance_to, deploy_library, describe, library_windows, local
from tests.support.supervision import LIBRARY, joint_with_silent_guihua

from .conftest import screenshot

pytestmark = pytest.mark.slow


def login(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/inbox.*"))


def cells(page, table: str, window_code: str) -> list[str]:
    """The cells of the row of ``window_code`` in a dashboard table."""
    rows = page.locator(f"#table-{table} tbody tr")
    for i in range(rows.count()):
        texts = [t.strip() for t in rows.nth(i).locator("td").all_inner_texts()]
        if len(texts) > 1 and texts[1] == window_code:
            return texts
    raise AssertionError(f"no row for {window_code} in {table}: {page.inner_text(f'#table-{table}')}")


def test_dashboard_shows_the_deemed_assent_of_the_silent_window(services, clock, live_server, new_page):
    deploy_library(services, *LIBRARY)
    with services.transaction() as s:
        seed_demo_users(s, library_windows())
    iid = joint_with_silent_guihua(services)
    advance_to(services, clock, local("2026-10-09", "09:00"))
    view = describe(services, iid)
    assert [(r["window"], r["kind"], r["rule"]) for r in view["accountability"]] == [
        ("guihua", "deemed_assent", "timeout")
    ]

    page = new_page()
    login(page, live_server, "supervisor")
    page.goto(f"{live_server}/admin/")
    page.click("a.dropdown-toggle:text-is('督查')")  # through the console's menu
    page.click("a.dropdown-item:text-is('督查统计')")
    page.wait_for_selector("#table-windows")
    assert "2026年10月" in page.inner_text("#period-label")

    # 规划's row: no items of its own, one deemed assent (column 默认议定)
    headers = page.locator("#table-windows thead th").all_inner_texts()
    deemed_col = headers.index("默认议定")
    guihua = cells(page, "windows", "guihua")
    assert guihua[0] == "规划建设窗口" and guihua[deemed_col] == "1"
    for other in ("guotu", "huanbao", "shichang"):
        assert cells(page, "windows", other)[deemed_col] == "0"
    deemed = page.locator("#table-deemed tbody tr")
    assert deemed.count() == 1
    row = [t.strip() for t in deemed.first.locator("td").all_inner_texts()]
    assert row[0] == "2026-10-09 00:00" and row[1] == "规划建设窗口" and row[2] == view["business_key"]
    assert row[5] == "超时未答复"

    # the charts are drawn by Chart.js from the embedded data, 规划's bar included
    page.wait_for_selector("html[data-charts=drawn]")
    data = json.loads(page.inner_text("#dashboard-data"))
    assert data["deemed"][data["windows"].index("规划建设窗口")] == 1
    assert page.evaluate("() => Chart.getChart('chart-windows').data.datasets[3].label") == "默认议定"
    assert page.evaluate("() => document.getElementById('chart-trend').width") > 0
    screenshot(page, "supervision-dashboard")

    # in English (issue 21.12): the period, the headers and the charts' legends
    page.goto(f"{live_server}/admin/supervision/?kind=month&date=2026-10-01&lang=en")
    page.wait_for_selector("html[data-charts=drawn]")
    assert "October 2026" in page.inner_text("#period-label")
    assert "Deemed assents" in page.locator("#table-windows thead th").all_inner_texts()
    legends = "() => Chart.getChart('chart-windows').data.datasets.map(d => d.label)"
    assert page.evaluate(legends) == ["Accepted", "Completed", "Overdue", "Deemed assents"]
    assert page.evaluate("() => Chart.getChart('chart-trend').data.datasets[2].label") == "On-time rate %"
    page.goto(f"{live_server}/admin/supervision/?kind=month&date=2026-10-01&lang=zh_CN")

    # narrow to 规划 with the filter form: its row alone, the CSV link keeps the filter
    page.select_option("#f-window", "guihua")
    with page.expect_navigation():
        page.click("#period-filter button[type=submit]")
    assert [t.strip() for t in page.locator("#table-windows tbody tr td:nth-child(2)").all_inner_texts()] == [
        "guihua",
        "",
    ]
    link = page.get_attribute("#table-deemed a.export-csv", "href")
    assert link is not None and "window=guihua" in link
    response = page.context.request.get(f"{live_server}{link}", timeout=15_000)  # the browser's cookies
    assert response.ok and response.headers["content-type"].startswith("text/csv")
    csv_text = response.text()
    assert "规划建设窗口" in csv_text and view["business_key"] in csv_text

    # the printable monthly report (月报) of October, reached from the dashboard
    page.goto(f"{live_server}/admin/supervision/?kind=month&date=2026-10-01")
    with page.expect_navigation():
        page.click("#report-link")
    assert "督查月报" in page.inner_text("h1")
    scores = page.inner_text("#report-scores")
    assert "规划建设窗口" in scores
    assert page.locator("#table-deemed tbody tr").count() == 1
    page.emulate_media(media="print")
    assert page.locator(".navbar").first.is_hidden()  # printed without the console's frame
    screenshot(page, "supervision-monthly-report")

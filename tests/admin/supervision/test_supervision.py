"""督查统计 in the console: who may look, the figures of the month, CSV of every table, the printable 月报.

The month is tests/support/supervision.py's (figures worked out by hand there): centre accepted B and D,
completed A (late) and B, D is overdue; shichang completed C on time; guihua was deemed to assent on
10-08; under the window scheme in force (窗口单位考核实施细则) centre loses 5 points per late working day: 25.
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

import runner
from runner.supervision.assessment_schemes.store import seed_schemes
from tests.support.supervision import october

MONTH = "/admin/supervision/?kind=month&date=2026-10-01"


@pytest.fixture
def month(services, clock, windows, make_user):
    built = october(services, clock)
    with services.transaction() as s:
        seed_schemes(s)
    make_user("sup", ("supervision", "supervisor"))
    make_user("boss", ("leader", "leader"))
    make_user("centre_head", ("centre", "window_head"))
    make_user("clerk1", ("centre", "clerk"))
    return built


def rows_of(text: str, table: str) -> list[list[str]]:
    """The body rows of ``<section id="table-<table>">`` as cell texts."""
    section = text.split(f'id="table-{table}"', 1)[1].split("</section>", 1)[0]
    body = section.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", tr, re.S)]
        for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    # a real server sends headers as Latin-1: the Chinese name goes in filename*
    disposition.encode("latin-1")
    assert "filename*=UTF-8''" in disposition
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_csv_cells_never_start_a_formula(month, services, signed_in) -> None:
    with services.transaction() as s:
        runner.upsert_windows(s, [("centre", '=HYPERLINK("http://evil/","中心")')])
    table = read_csv(signed_in("sup").get("/admin/supervision/export/windows.csv?kind=month&date=2026-10-01"))
    names = [row[0] for row in table[1:]]
    assert '\'=HYPERLINK("http://evil/","中心")' in names
    assert not [name for name in names if name.startswith(("=", "+", "-", "@"))]


def test_a_window_name_cannot_run_script_on_the_dashboard(month, services, signed_in) -> None:
    hostile = "</script><script>alert(11)</script>"
    with services.transaction() as s:
        runner.upsert_windows(s, [("centre", hostile)])
    page = signed_in("sup").get(MONTH).get_data(as_text=True)
    assert hostile not in page and "<script>alert(11)" not in page
    data = page.split('<script type="application/json" id="dashboard-data">', 1)[1].split("</script>", 1)[0]
    assert json.loads(data)["windows"].count(hostile) == 1  # the chart still gets the name as it is


def test_only_overseers_see_the_dashboard(month, client, signed_in) -> None:
    assert client.get(MONTH).status_code == 302  # to the login page
    assert signed_in("clerk1").get(MONTH).status_code == 403
    assert signed_in("centre_head").get(MONTH).status_code == 403
    for user in ("sup", "boss"):
        assert signed_in(user).get(MONTH).status_code == 200


def test_month_figures_per_window(month, signed_in) -> None:
    text = signed_in("sup").get(MONTH).get_data(as_text=True)
    assert "2026年10月" in text
    by_code = {r[1]: r for r in rows_of(text, "windows")}
    # 窗口 代码 受理 办结 按时 按时率 当前超期 超期办结 平均工作日 默认议定 延期 延期日 投诉 属实 预警 未回告 扣分
    assert by_code["centre"][2:] == [
        "2",
        "2",
        "1",
        "50.0%",
        "1",
        "1",
        "6.5",
        "0",
        "0",
        "0",
        "0",
        "0",
        "4",
        "4",
        "-25",
    ]
    assert by_code["shichang"][2:9] == ["0", "1", "1", "100.0%", "0", "0", "6.0"]
    assert by_code["guihua"][9] == "1"  # the deemed assent of the silent related window
    total = rows_of(text, "windows")[-1]
    assert total[0] == "合计" and total[2:5] == ["2", "3", "2"] and total[-1] == "-23"  # −25 −2 +2 +2
    deemed = rows_of(text, "deemed")
    assert len(deemed) == 1 and deemed[0][1] == "规划建设窗口" and deemed[0][5] == "超时未答复"
    assert deemed[0][0] == "2026-10-09 00:00"  # deemed when the limit day (10-08) is over
    assert deemed[0][4] == "相关窗口同步审查"  # 环节: the review the window let lapse
    # the charts: Chart.js served locally, the data embedded in the page
    assert "/vendor/chart.js/chart.umd.min.js" in text and 'id="chart-windows"' in text
    assert '"deemed": [' in text


def test_other_periods_and_the_window_filter(month, signed_in) -> None:
    client = signed_in("boss")
    quarter = client.get("/admin/supervision/?kind=quarter&date=2026-11-15").get_data(as_text=True)
    assert "2026年第4季度" in quarter
    assert {r[1]: r[-1] for r in rows_of(quarter, "windows")}["centre"] == "-25"
    day = client.get("/admin/supervision/?kind=day&date=2026-10-20").get_data(as_text=True)
    centre = {r[1]: r for r in rows_of(day, "windows")}["centre"]
    assert (centre[3], centre[7], centre[-1]) == ("1", "1", "-5")  # A's 2nd late working day
    ranged = client.get("/admin/supervision/?kind=range&start=2026-10-23&end=2026-10-31&window=centre")
    rows = rows_of(ranged.get_data(as_text=True), "windows")
    assert [r[1] for r in rows[:-1]] == ["centre"] and rows[0][-1] == "-10"  # D's 10-23 and 10-26
    bad = client.get("/admin/supervision/?kind=range&start=2026-10-23&end=oops").get_data(as_text=True)
    assert "筛选条件有误" in bad


def test_every_table_exports_as_csv(month, signed_in) -> None:
    client = signed_in("sup")
    text = client.get(MONTH).get_data(as_text=True)
    links = sorted(set(re.findall(r'href="(/admin/supervision/export/[a-z]+\.csv\?[^"]+)"', text)))
    names = {re.search(r"export/([a-z]+)\.csv", link).group(1) for link in links}
    assert names == {
        "windows",
        "complaints",
        "ratings",
        "rectifications",
        "warnings",
        "trend",
        "deemed",
        "points",
        "scores",
        "staff",
    }
    table = read_csv(client.get("/admin/supervision/export/windows.csv?kind=month&date=2026-10-01"))
    assert table[0][:3] == ["窗口", "窗口代码", "受理"]
    points_of = {r[1]: r[-1] for r in table[1:]}
    assert points_of["centre"] == "-25"
    # the scheme does not assess the supervision office nor the leaders: 不参加, not a clean 0
    assert points_of["supervision"] == points_of["leader"] == "不参加"
    points = read_csv(client.get("/admin/supervision/export/points.csv?kind=month&date=2026-10-01"))
    # one line per late working day, each traceable to its item; the deemed assent; C's related windows
    assert sorted((r[0], r[1], r[2], r[5], r[7]) for r in points[1:] if r[2] == "late_day") == [
        (day, "中心综合受理窗口", "late_day", f"instance:{item}", "-5")
        for day, item in [("2026-10-19", month.a), ("2026-10-20", month.a), ("2026-10-22", month.d),
                          ("2026-10-23", month.d), ("2026-10-26", month.d)]
    ]  # fmt: skip
    assert sorted(r[2] for r in points[1:] if r[2] != "late_day") == [
        "deemed_assent",
        "joint_early",
        "joint_early",
    ]
    scores = read_csv(client.get("/admin/supervision/export/scores.csv?kind=month&date=2026-10-01"))
    centre = next(r for r in scores[1:] if r[1] == "centre")
    assert centre[2:] == ["-25", "+0", "+0", "+0", "+0", "75", "合格", ""]
    left_out = {r[1]: r for r in scores[1:] if "不参加考核" in r}
    assert {"supervision", "leader"} <= set(left_out) and "centre" not in left_out
    trend = read_csv(client.get("/admin/supervision/export/trend.csv?kind=month&date=2026-10-01"))
    assert trend[-1][:4] == ["2026-10", "2", "3", "1"]
    for link in links:  # every link answers with a CSV of its table
        assert read_csv(client.get(link.replace("&amp;", "&")))[0]
    assert client.get("/admin/supervision/export/nothing.csv").status_code == 404


def test_monthly_report_prints_the_scores(month, signed_in) -> None:
    response = signed_in("sup").get("/admin/supervision/report?month=2026-10")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "督查月报" in text and "2026年10月" in text and "data-print" in text and "page.js" in text
    assert "supervision/supervision.css" in text  # the print stylesheet
    scores = text.split('id="report-scores"', 1)[1].split("</section>", 1)[0]
    row = re.search(r"<tr><td>中心综合受理窗口</td>(.*?)</tr>", scores, re.S)
    assert row is not None and "<strong>75</strong>" in row.group(1)  # 100 − 25
    for name in ("督查股", "中心领导"):  # no applicant is served there: not scored 100 (seed 001 第三条)
        row = re.search(rf"<tr><td>{name}</td>(.*?)</tr>", scores, re.S)
        assert row is not None and "不参加考核" in row.group(1) and "<strong>" not in row.group(1)
    assert "本月共受理办件 <strong>2</strong> 件" in text


def test_front_page_tiles(month, signed_in) -> None:
    text = signed_in("sup").get("/admin/").get_data(as_text=True)
    tile = text.split("未回告预警", 1)[1][:400]
    assert ">4</a>" in tile  # A's and D's 提示 and 超期 warnings, none answered
    assert "/admin/supervision/warnings/?flt" in tile
    tile = text.split("待裁决申诉", 1)[1][:400]
    assert ">0</a>" in tile


def test_calendar_alarm_tile_from_november(services, clock, windows, make_user, signed_in) -> None:
    """With no 2027 holiday data installed, the front page warns from November 2026 on, not before."""
    from tests.support.flow import local

    if runner.BusinessCalendar().supports_year(2027):
        pytest.skip("the installed chinesecalendar already has 2027")
    make_user("sup", ("supervision", "supervisor"))
    assert "节假日数据告警" not in signed_in("sup").get("/admin/").get_data(as_text=True)  # Mon 09-28
    clock.set(local("2026-10-31", "23:30"))
    assert "节假日数据告警" not in signed_in("sup").get("/admin/").get_data(as_text=True)
    clock.set(local("2026-11-01", "00:30"))
    text = signed_in("sup").get("/admin/").get_data(as_text=True)
    assert "节假日数据告警" in text and "2027" in text and "chinesecalendar" in text


def test_one_definition_of_each_figure_on_every_view(month, services, clock, signed_in) -> None:
    """Issue 21.4: tiles, the window table's 合计, the month's trend row, both CSVs and the 月报's 总体情况 say the
    same 受理 / 办结 / 超期办结 — also with an item that names no lead window (it is counted once, in its own
    row, everywhere)."""
    from pathlib import Path

    from tests.support.flow import local, tasks

    data = Path(__file__).resolve().parents[2] / "data" / "review.bpmn"
    with services.transaction() as s:
        xml = re.sub(rb'<spiffworkflow:property name="leadWindow"[^>]*/>', b"", data.read_bytes())
        runner.deploy(s, xml, "review.bpmn", actor="designer")  # a diagram naming no lead window
    clock.set(local("2026-10-21", "09:00"))
    with services.transaction() as s:
        iid = runner.start(s, "review", actor="clerk1", data={"applicant": "无主办"}).id
    for _ in range(2):
        (open_task,) = tasks(services, iid)
        with services.transaction() as s:
            runner.complete(s, open_task["id"], {"complete": True, "approved": True}, actor="clerk1")
    client = signed_in("sup")
    text = client.get(MONTH).get_data(as_text=True)
    tiles = dict(
        re.findall(r'<div class="small text-muted">(.*?)</div><div class="h4[^"]*">(.*?)</div>', text)
    )
    total = rows_of(text, "windows")[-1]
    trend = {r[0]: r for r in rows_of(text, "trend")}["2026-10"]
    csv_total = read_csv(client.get("/admin/supervision/export/windows.csv?kind=month&date=2026-10-01"))[-1]
    csv_trend = read_csv(client.get("/admin/supervision/export/trend.csv?kind=month&date=2026-10-01"))[-1]
    report = client.get("/admin/supervision/report?month=2026-10").get_data(as_text=True)
    said = re.search(r"本月共受理办件 <strong>(\d+)</strong> 件，办结 <strong>(\d+)</strong> 件", report)
    assert said is not None
    accepted, completed = "3", "4"  # B, D and the new item; A, B, C and the new item
    assert (tiles["受理"], tiles["办结"]) == (accepted, completed)
    assert (total[2], total[3], total[7]) == (accepted, completed, "1")
    assert (trend[1], trend[2], trend[3]) == (accepted, completed, "1")
    assert (csv_total[2], csv_total[3]) == (accepted, completed)
    assert csv_trend[:4] == ["2026-10", accepted, completed, "1"]
    assert said.groups() == (accepted, completed)
    assert "未指定主办窗口" in [r[0] for r in rows_of(text, "windows")]


def test_without_a_window_scheme_no_window_shows_points(
    services, clock, windows, make_user, signed_in
) -> None:
    """No window scheme in force: the 考核扣分 column says — for every window (not 0, not 不参加)."""
    october(services, clock)
    make_user("sup", ("supervision", "supervisor"))
    table = read_csv(signed_in("sup").get("/admin/supervision/export/windows.csv?kind=month&date=2026-10-01"))
    assert table[0][-1] == "考核扣分" and {r[-1] for r in table[1:]} == {"—"}
    report = signed_in("sup").get("/admin/supervision/report?month=2026-10").get_data(as_text=True)
    assert "未设考核方案" in report and "不参加考核" not in report


@pytest.mark.parametrize(
    "query",
    [
        "kind=month&date=9999-12-31",
        "kind=quarter&date=9999-12-01",
        "kind=day&date=0001-01-01",
        "kind=range&start=9999-12-30&end=9999-12-31",
        "kind=month&date=2026-10-01&window=nosuch",
    ],
)
def test_a_period_at_the_end_of_the_calendar_or_an_unknown_window_is_refused_not_a_500(
    month, signed_in, query
) -> None:
    client = signed_in("sup")
    for page in (
        "/admin/supervision/",
        "/admin/supervision/assessment/",
        "/admin/supervision/export/scores.csv",
    ):
        assert client.get(f"{page}?{query}").status_code == 200, page
    report = query.replace("kind=month&date=", "month=").replace("kind=quarter&date=", "month=")
    response = client.get(f"/admin/supervision/report?{report}")
    assert response.status_code == 200
    if "9999" in query or "nosuch" in query:
        assert "已显示" in response.get_data(as_text=True)  # the page says what it shows instead


@pytest.mark.parametrize(
    ("start", "end"),
    [("9999-12-01", "9999-12-31"), ("0001-01-01", "0001-01-31"), ("2026-10-31", "2026-10-01")],
)
def test_an_appeal_on_a_period_no_page_shows_is_a_bad_request(month, signed_in, start, end) -> None:
    form = {
        "window": "centre",
        "start": start,
        "end": end,
        "rule_code": "late_item",
        "subject": "x",
        "reason": "r",
    }
    response = signed_in("centre_head").post("/admin/supervision/assessment/appeal", data=form)
    assert response.status_code == 400

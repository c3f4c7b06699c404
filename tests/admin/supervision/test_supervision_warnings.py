"""预警 in the console: the supervision office sees the stored warnings, open and answered (纠错回告).

A 承诺件 (chengnuo, deadline the end of Fri 10-16) left open past its deadline gets the diagram's 提示 at
00:00 Thu 10-15 and 超期 at the end of 10-16, and the rule table's 提示 (−1), 黄牌 (0) and 红牌 (+3: end of
Wed 10-21) — five warnings for the centre window. The clerk answers one of them.
"""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

import runner
from runner.models import WarningEvent
from tests.support.flow import advance_to, deploy_library, local, start_item
from tests.support.supervision import accept_chengnuo

LIST = "/admin/supervision/warnings/"


@pytest.fixture
def warned(services, clock, windows, make_user):
    with services.transaction() as s:
        runner.seed_warning_rules(s)
    deploy_library(services, "block_correction.bpmn", "block_refusal.bpmn", "chengnuo.bpmn")
    iid = start_item(services, "chengnuo", {"applicant": "张三"})
    accept_chengnuo(services, iid)
    advance_to(services, clock, local("2026-10-22", "09:00"))
    make_user("sup", ("supervision", "supervisor"))
    make_user("centre_clerk", ("centre", "clerk"))
    with services.transaction() as s:
        levels = [w.level for w in s.scalars(select(WarningEvent).order_by(WarningEvent.id))]
        red = s.scalars(select(WarningEvent.id).where(WarningEvent.level == "red")).one()
        runner.acknowledge_warning(s, red, actor="centre_clerk", reply="审查人员出差，已安排B岗10-23前办结")
    return iid, levels


def test_open_and_answered_warnings(warned, signed_in) -> None:
    iid, levels = warned
    assert sorted(levels) == sorted(["notice", "yellow", "red"])  # one source: the rule table, once each
    sup = signed_in("sup")
    everything = sup.get(LIST).get_data(as_text=True)
    assert everything.count('data-state="open"') == 2 and everything.count('data-state="answered"') == 1
    assert "审查人员出差" in everything
    front = everything.split('id="quick-filters"', 1)[1]
    open_url = front.split('id="quick-open" href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    answered_url = front.split('id="quick-answered" href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    only_open = sup.get(open_url).get_data(as_text=True)
    assert only_open.count('data-state="open"') == 2 and 'data-state="answered"' not in only_open
    only_answered = sup.get(answered_url).get_data(as_text=True)
    assert only_answered.count('data-state="answered"') == 1 and 'data-state="open"' not in only_answered
    assert 'data-level="red"' in only_answered and "centre_clerk" in only_answered
    # the front page's tile counts the open ones and links to that list
    home = sup.get("/admin/").get_data(as_text=True)
    tile = home.split("未回告预警", 1)[1][:400]
    assert ">2</a>" in tile


def test_warnings_export_as_csv(warned, signed_in) -> None:
    response = signed_in("sup").get(LIST + "export/csv/")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    header = rows[0]
    assert header[:3] == ["编号", "预警时间", "级别"]
    by_level = {r[header.index("级别")]: r for r in rows[1:]}
    assert set(by_level) == {"提示", "黄牌", "红牌"}
    assert by_level["红牌"][header.index("预警时间")] == "2026-10-22 00:00"  # once the red card's day is over
    assert by_level["红牌"][header.index("回告人")] == "centre_clerk"


def test_the_export_neutralises_formulas(warned, services, signed_in) -> None:
    with services.transaction() as s:
        for row in s.scalars(select(WarningEvent).where(WarningEvent.reply.is_not(None))):
            row.reply = '=HYPERLINK("http://evil/","点此")'
    rows = list(csv.reader(io.StringIO(signed_in("sup").get(LIST + "export/csv/").get_data(as_text=True))))
    replies = [r[rows[0].index("回告内容")] for r in rows[1:] if r[rows[0].index("回告内容")]]
    assert replies == ['\'=HYPERLINK("http://evil/","点此")']


def test_clerks_cannot_see_the_list(warned, signed_in) -> None:
    assert signed_in("centre_clerk").get(LIST).status_code == 403


def test_warnings_read_in_the_page_language(warned, services, signed_in) -> None:
    """A warning the system raises carries its English: the list and the details show it with ``?lang=en``
    and the Chinese without; an older warning without English shows its Chinese (21.12)."""
    sup = signed_in("sup")
    chinese = sup.get(LIST).get_data(as_text=True)
    english = sup.get(LIST + "?lang=en").get_data(as_text=True)
    assert "红牌预警：承诺时限" in chinese and "red card warning; promised date" not in chinese
    assert "red card warning; promised date" in english and "红牌预警：承诺时限" not in english
    with services.transaction() as s:
        red = s.scalars(select(WarningEvent).where(WarningEvent.level == "red")).one()
        red_id, red.message_en = red.id, None  # as a warning stored before the English was kept
    details = sup.get(f"{LIST}details/?id={red_id}&lang=en").get_data(as_text=True)
    assert "红牌预警：承诺时限" in details
    assert "中心综合受理窗口" in details and ">centre<" not in details  # the window by its name


def test_every_warning_the_system_raises_carries_its_english() -> None:
    """Each place in the shipped code that stores a ``WarningEvent`` gives its ``message_en`` too."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    places = []
    for folder in ("runner", "workspace", "admin", "api", "worker", "forms", "webapp", "web"):
        for path in (root / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "WarningEvent":
                    keywords = {k.arg for k in node.keywords}
                    places.append((f"{path.relative_to(root)}:{node.lineno}", "message_en" in keywords))
    assert len(places) >= 4  # the rule table, the diagram, §32, the overdue 预审
    assert [where for where, english in places if not english] == []


def test_what_raised_a_warning_is_named_in_words(warned, services, signed_in) -> None:
    """The details and the export name the rule in words of the page's language, never its code (21.12)."""
    sup = signed_in("sup")
    with services.transaction() as s:
        red_id = s.scalars(select(WarningEvent.id).where(WarningEvent.level == "red")).one()
    chinese = sup.get(f"{LIST}details/?id={red_id}&lang=zh").get_data(as_text=True)
    english = sup.get(f"{LIST}details/?id={red_id}&lang=en").get_data(as_text=True)
    assert "预警规则（红牌）" in chinese and "rule:red" not in chinese
    assert "Warning rule (red card)" in english and "rule:red" not in english
    export = sup.get(LIST + "export/csv/?lang=zh").get_data(as_text=True)
    assert "预警规则（红牌）" in export and "rule:red" not in export

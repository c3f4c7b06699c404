"""Every console page speaks the page language (issue 21.12): with ``?lang=en`` no Chinese is left on the page but
data (window, item, scheme and task names, stored messages), and Chinese by default, Flask-Admin's own words
included (its zh_Hans_CN catalogue through the ``admin`` domain).

The pages are fetched as an admin and as a supervisor over the October of tests/support/supervision.py (items,
warnings, a deemed assent, the schemes in force), one catalogue item and one diagram draft. A Chinese run on an
English page passes only when the database holds it (a value, not a label).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import MetaData, select

import runner
from runner.catalogue import items
from runner.models import ProcessInstance, WarningEvent
from runner.supervision.assessment_schemes.store import seed_schemes
from tests.support.catalogue import demo
from tests.support.supervision import october

HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
SKIPPED = {"script", "style", "textarea", "pre", "code"}  # data and code, not words of the page


class _Visible(HTMLParser):
    """The text a reader sees (and the placeholders and titles they read), outside scripts, code and data."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED:
            self.depth += 1
        elif self.depth == 0:
            self.parts.extend(v or "" for k, v in attrs if k in ("placeholder", "title", "aria-label"))

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED and self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth == 0:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def stored_text(services: runner.Services) -> str:
    """Every text the database holds (names, titles, messages, scheme and catalogue definitions)."""
    meta = MetaData()
    texts: list[str] = []
    with services.reading() as s:
        meta.reflect(bind=s.get_bind())
        for table in meta.sorted_tables:
            for row in s.execute(select(table)):
                texts.extend(str(v) for v in row if isinstance(v, str | dict | list))
    return "\n".join(texts)


@pytest.fixture
def console(services, clock, windows, make_user, signed_in):
    month = october(services, clock)
    with services.transaction() as s:
        seed_schemes(s)
        items.save_item(s, demo("SC-001"), actor="admin")
        draft = runner.open_draft(s, "chengnuo", actor="admin")
        draft_id = draft.id
    make_user("root", ("centre", "admin"))
    make_user("sup", ("supervision", "supervisor"))
    return {"month": month, "draft": draft_id, "windows": windows}


def pages(console) -> dict[str, str]:
    """Each console page (its URL) and a Chinese label it shows by default."""
    a = console["month"].a
    return {
        "/admin/": "中心控制台",
        "/admin/supervision/?kind=month&date=2026-10-01": "督查统计",
        "/admin/supervision/report?month=2026-10": "总体情况",
        "/admin/supervision/assessment/?kind=month&date=2026-10-01": "考核与申诉",
        "/admin/supervision/schemes/": "考核方案",
        "/admin/supervision/warnings/": "预警时间",
        "/admin/supervision/warning-rules/": "相对承诺时限（工作日）",
        "/admin/supervision/warning-rules/new/": "办件类别",
        "/admin/supervision/audit-verify/": "审计日志校验",
        "/admin/instances/": "办件编号",
        f"/admin/instance/{a}/": "承诺期限",
        "/admin/incidents/": "故障任务",
        "/admin/timers/": "最近发送",
        "/admin/online/": "申报编号",
        "/admin/definitions/": "部署新版本",
        "/admin/definitions/chengnuo/1/": "下载 XML",
        "/admin/calendar/": "年度节假日安排",
        "/admin/calendar/add": "新增工作日调整",
        "/admin/calendar/import": "导入年度节假日安排",
        "/admin/users/": "新建用户",
        "/admin/users/sup/": "窗口与角色",
        "/admin/catalogue/": "事项目录",
        "/admin/catalogue/item/SC-001": "版本与修改记录",
        "/admin/designer/": "新建空白流程",
        f"/admin/designer/drafts/{console['draft']}": "部署为新版本",
        "/admin/designer/forms/": "新建表单",
        "/admin/designer/forms/acceptance": "表单定义（JSON，格式见 forms/schemas/README.md）",
    }


ADMIN_ONLY = (
    "/admin/users/",
    "/admin/designer/",
    "/admin/catalogue/item/SC-001",
    "/admin/supervision/warning-rules/new/",
)


def test_every_console_page_is_english_with_lang_en(console, services, signed_in) -> None:
    data = stored_text(services)
    left: dict[str, list[str]] = {}
    for who in ("root", "sup"):
        browser = signed_in(who)
        for url in pages(console):
            if who == "sup" and url.startswith(ADMIN_ONLY):
                continue
            response = browser.get(url + ("&" if "?" in url else "?") + "lang=en")
            assert response.status_code == 200, (who, url)
            html = response.get_data(as_text=True)
            runs = [run for run in HAN_RUN.findall(visible(html)) if run not in data]
            if runs:
                left[f"{who} {url}"] = sorted(set(runs))
    assert not left, "Chinese left on English console pages:\n" + "\n".join(
        f"{k}: {v}" for k, v in left.items()
    )


def test_every_console_page_is_chinese_by_default(console, signed_in) -> None:
    browser = signed_in("root")
    browser.get("/admin/?lang=en")
    for url, label in pages(console).items():
        html = browser.get(url + ("&" if "?" in url else "?") + "lang=zh_CN").get_data(as_text=True)
        assert label in visible(html), url


def test_menu_and_flask_admin_words_follow_the_language(console, signed_in) -> None:
    browser = signed_in("root")
    zh = visible(browser.get("/admin/supervision/warnings/?lang=zh").get_data(as_text=True))
    assert "督查" in zh and "监控" in zh and "配置" in zh and "工作日调整" in zh
    assert "列表" in zh and "导出" in zh and "添加筛选器" in zh and "应用" in zh  # Flask-Admin's zh_Hans_CN
    assert "20 项目" in zh and "20 items" not in zh  # the page sizes
    en = visible(browser.get("/admin/supervision/warnings/?lang=en").get_data(as_text=True))
    assert (
        "Supervision" in en
        and "Monitoring" in en
        and "Configuration" in en
        and "Working-day adjustments" in en
    )
    assert "List" in en and "Export" in en and "Add Filter" in en and "Apply" in en


def test_console_flashes_and_chart_legends_follow_the_language(console, services, signed_in) -> None:
    browser = signed_in("root")
    a = console["month"].a
    browser.get("/admin/?lang=en")
    done = browser.post(f"/admin/instance/{a}/retry", data={}, follow_redirects=True)
    shown = visible(done.get_data(as_text=True))
    assert "Not done:" in shown and "操作未完成" not in shown
    board = browser.get("/admin/supervision/?kind=month&date=2026-10-01").get_data(as_text=True)
    assert '"legend": {"accepted": "Accepted"' in board or '"accepted": "Accepted"' in board
    browser.get("/admin/?lang=zh")
    board = browser.get("/admin/supervision/?kind=month&date=2026-10-01").get_data(as_text=True)
    assert '"accepted": "\\u53d7\\u7406"' in board or '"accepted": "受理"' in board


def test_the_designer_gets_its_script_words_in_english(console, signed_in) -> None:
    browser = signed_in("root")
    html = browser.get(f"/admin/designer/drafts/{console['draft']}?lang=en").get_data(as_text=True)
    words = re.search(
        r'<script type="application/json" id="console-words" data-lang="en">(.*?)</script>', html, re.S
    )
    assert words is not None
    import json

    said = json.loads(words.group(1))
    assert said["正在校验……"] == "Validating…" and said["（按泳道）"] == "(by lane)"
    html = browser.get(f"/admin/designer/drafts/{console['draft']}?lang=zh").get_data(as_text=True)
    words = re.search(
        r'<script type="application/json" id="console-words" data-lang="zh-CN">(.*?)</script>', html, re.S
    )
    assert words is not None
    said = json.loads(words.group(1))
    assert "正在校验……" not in said and said["天数不能为负 (must not be negative)"] == "天数不能为负"


def test_the_designer_validation_speaks_the_page_language(console, signed_in) -> None:
    browser = signed_in("root")
    browser.get("/admin/?lang=en")
    response = browser.post("/admin/designer/new", data={"key": "xin_liucheng", "name": "新流程"})
    draft_id = int(response.headers["Location"].rsplit("/", 1)[1])
    [warning] = browser.post(f"/admin/designer/drafts/{draft_id}/validate", json={}).get_json()["problems"]
    assert "implicit end" in warning["message"] and not re.search(r"[\u4e00-\u9fff]", warning["message"])
    browser.get("/admin/?lang=zh")
    [warning] = browser.post(f"/admin/designer/drafts/{draft_id}/validate", json={}).get_json()["problems"]
    assert "隐式结束" in warning["message"] and "implicit end" not in warning["message"]


def test_the_console_reads_as_english_words(console, services, signed_in) -> None:
    """Words that were English but read oddly (issue 21.12): the menu's list of items, the legends, a count of one,
    the roles, the designer's save badge; the item's lead window by its name."""
    browser = signed_in("root")
    home = browser.get("/admin/?lang=en").get_data(as_text=True)
    assert re.search(r">\s*All items\s*<", home) and not re.search(r">\s*Item\s*<", home)
    report = visible(browser.get("/admin/supervision/report?month=2026-10").get_data(as_text=True))
    assert not re.search(r"\b1 (were|times|items|complaints)\b", report), report[:800]
    listed = browser.get("/admin/instances/").get_data(as_text=True)  # 办件 are items, 事项 their service
    assert re.search(r">\s*Service\s*<", listed) and not re.search(r">\s*Item\s*<", listed)
    board = browser.get("/admin/supervision/?kind=month&date=2026-10-01").get_data(as_text=True)
    assert '"overdue": "Overdue"' in board and ">overdue<" not in board
    catalogue = visible(browser.get("/admin/catalogue/").get_data(as_text=True))
    assert "1 item" in catalogue and "1 items" not in catalogue
    users = visible(browser.get("/admin/users/").get_data(as_text=True))
    assert "Process designer" in users and "Supervisor" in users
    modeler = visible(browser.get(f"/admin/designer/drafts/{console['draft']}").get_data(as_text=True))
    assert "Save no. 1" in modeler
    a = console["month"].a
    page = browser.get(f"/admin/instance/{a}/").get_data(as_text=True)
    assert "Current position (token)" in visible(page)
    assert (
        "（"
        not in page[
            page.index('id="instance-facts"') : page.index("</table>", page.index('id="instance-facts"'))
        ]
    )
    facts = visible(page[page.index('id="instance-facts"') :])
    with services.reading() as s:
        lead = s.get(ProcessInstance, a).lead_window
        name = next(w.name for w in runner.list_windows(s) if w.code == lead)
    assert f"Lead window {name} " in facts, facts[:300]
    warned = browser.get("/admin/supervision/warnings/").get_data(as_text=True)
    with services.reading() as s:
        names = {w.code: w.name for w in runner.list_windows(s)}
        codes = set(s.scalars(select(WarningEvent.window)).all()) - {None}
    assert codes and all(f'<span title="{c}">{names[c]}</span>' in warned for c in codes), codes


@pytest.mark.parametrize(("lang", "said", "unsaid"), [("zh_CN", "创建记录失败。", "Failed to create record."),
                                                     ("en", "Failed to create record.", "创建记录失败")])  # fmt: skip
def test_flask_admins_own_refusal_is_in_the_page_language(console, signed_in, lang, said, unsaid) -> None:
    """A form that does not validate: Flask-Admin's own notice that nothing was created follows the page's language
    (its shipped Chinese catalogue lacks "Failed to create record."; the console's catalogue supplies it)."""
    browser = signed_in("root")
    browser.get(f"/admin/supervision/?lang={lang}")
    page = browser.post(
        "/admin/supervision/warning-rules/new/",
        data={"item_kind": "", "level": "red", "offset_days": "", "active": "y"},  # required
        follow_redirects=True,
    ).get_data(as_text=True)
    assert said in page and unsaid not in page


@pytest.mark.parametrize(("lang", "said", "unsaid"), [("zh_CN", "事项名称: 不能为空", "is required"),
                                                     ("en", "Item name: is required", "不能为空")])  # fmt: skip
def test_the_catalogue_editors_problems_are_in_the_page_language(
    console, signed_in, lang, said, unsaid
) -> None:
    """An item saved without its fields: each problem names its field and says what is wrong in the page's
    language only (the runner writes them ``field: 中文 (English)``)."""
    browser = signed_in("root")
    browser.get(f"/admin/?lang={lang}")
    response = browser.post("/admin/catalogue/item/SC-001/edit", data={})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    problems = page[page.index('id="catalogue-problems"') :].split("</div>")[0]
    assert said in problems and unsaid not in problems


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_the_calendar_imports_problems_are_in_the_page_language(console, signed_in, lang) -> None:
    """A holiday arrangement with wrong lines: each line's problem in the page's language only."""
    browser = signed_in("root")
    browser.get(f"/admin/?lang={lang}")
    text = "2026-01-01 休 元旦\n2027-05-01 休 劳动节\nnonsense\n2026-01-01 休 元旦"
    page = browser.post("/admin/calendar/import", data={"text": text, "step": "preview"}).get_data(
        as_text=True
    )
    listed = page[page.index('id="arrangement-problems"') :].split("</ul>")[0]
    said = [re.sub(r"<code>.*?</code>|<[^>]+>", "", item) for item in listed.split("<li")[1:]]
    assert said
    if lang == "en":
        keywords = re.compile(r"休\|班|[休班](?= \[name\])")  # the file's own keywords, in either language
        assert not [s for s in said if re.search(r"[\u4e00-\u9fff]", keywords.sub("", s))], said
    else:
        assert not [s for s in said if re.search(r"\([A-Za-z][a-z]+ [a-z]+", s)], said

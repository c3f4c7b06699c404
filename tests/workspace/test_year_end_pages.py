"""What clerks, applicants and printed notices say about a deadline that waits for next year's calendar.

Clock in December 2026; chinesecalendar knows 2026 only; the 2027 arrangement is the test's own
(tests/support/year_end.py).
"""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest

from runner.applicants import ratings
from runner.papers import documents as docs
from tests.support.flow import complete, deploy_library, describe, local, start_item, task
from tests.support.year_end import import_2027, needs_2027

pytestmark = pytest.mark.skipif(not needs_2027(), reason="a newer chinesecalendar knows 2027")
NOTE = "待 2027 年节假日安排公布后确定"


@pytest.fixture
def items(services, clock, make_user) -> dict[str, int]:
    make_user("sb_clerk", ("shebao", "clerk"))
    make_user("centre_clerk", ("centre", "clerk"))
    deploy_library(
        services, "block_correction.bpmn", "block_refusal.bpmn", "chengnuo.bpmn", "shebao_transfer.bpmn"
    )
    clock.set(local("2026-12-21", "10:00"))
    transfer = start_item(services, "shebao_transfer", {"applicant": "王五", "old_office": "某市社保局"})
    promised = start_item(services, "chengnuo", {"applicant": "张三", "applicant_phone": "13800001234"})
    complete(
        services, task(services, promised, "accept")["id"], {"eligible": True, "materials_complete": True}
    )
    return {"transfer": transfer, "promised": promised}


def due_cell(page: str, business_key: str) -> str:
    row = re.search(rf"<code>{business_key}</code>.*?</tr>", page, re.S)
    assert row is not None, page
    return re.findall(r"<td>(.*?)</td>", row[0], re.S)[-1]  # the due column (the actions cell has a class)


def test_the_inbox_says_which_year_a_due_time_waits_for(services, items, signed_in) -> None:
    key = describe(services, items["transfer"])["business_key"]
    page = signed_in("sb_clerk").get("/inbox?tab=window").get_data(as_text=True)
    cell = due_cell(page, key)
    assert "期限待 2027 年节假日安排公布后确定" in cell and 'data-pending-year="2027"' in cell
    assert "承诺期限待 2027 年节假日安排公布后确定" in cell  # the item's promised deadline too
    assert 'id="pending-note"' in page
    english = signed_in("sb_clerk").get("/inbox?tab=window&lang=en").get_data(as_text=True)
    assert "due once the 2027 holiday arrangement is published" in due_cell(english, key)
    import_2027(services)
    cell = due_cell(signed_in("sb_clerk").get("/inbox?tab=window").get_data(as_text=True), key)
    assert "2027-01-11" in cell and "待 2027" not in cell


def test_the_item_task_and_extension_pages_say_it_plainly(services, items, signed_in) -> None:
    key = describe(services, items["promised"])["business_key"]
    clerk = signed_in("centre_clerk")
    item = clerk.get(f"/items/{key}").get_data(as_text=True)
    assert NOTE in re.search(r'<dd id="item-deadline">(.*?)</dd>', item, re.S)[1]
    assert NOTE in re.search(r'<dd id="item-statutory">(.*?)</dd>', item, re.S)[1]
    extension = clerk.get(f"/items/{key}/extension").get_data(as_text=True)
    assert NOTE in re.search(r'<dd id="deadline">(.*?)</dd>', extension, re.S)[1]
    assert NOTE in re.search(r'<dd id="statutory-deadline">(.*?)</dd>', extension, re.S)[1]  # not "—"
    english = clerk.get(f"/items/{key}/extension?lang=en").get_data(as_text=True)
    assert "to be set once the 2027 holiday arrangement is published" in english
    task_id = task(services, items["promised"], "acceptance_notice")["id"]
    page = signed_in("centre_clerk").get(f"/tasks/{task_id}").get_data(as_text=True)
    assert NOTE in re.search(r'<dd id="task-item-deadline">(.*?)</dd>', page, re.S)[1]


def test_printed_notices_and_the_applicants_page_say_it_plainly(services, items, client) -> None:
    iid = items["promised"]
    complete(services, task(services, iid, "acceptance_notice")["id"], {"notice_no": "受字[2026]9号"})
    content = services.run(docs.issue, iid, "acceptance", "centre_clerk")["content"]
    assert content["promised_date"] is None and content["promised_pending"] == NOTE
    key = describe(services, iid)["business_key"]
    client.post("/progress", data={"receipt": key, "phone_suffix": "1234"})
    page = client.get(f"/progress/{key}").get_data(as_text=True)
    assert NOTE in re.search(r'<dd id="promised-date">(.*?)</dd>', page, re.S)[1]
    import_2027(services)
    page = client.get(f"/progress/{key}").get_data(as_text=True)
    assert "2027" in re.search(r'<dd id="promised-date">(.*?)</dd>', page, re.S)[1]
    assert NOTE not in page


def test_a_correction_notice_says_its_deadline_waits(services, clock, make_user) -> None:
    make_user("centre_clerk", ("centre", "clerk"))
    deploy_library(services, "block_correction.bpmn", "block_refusal.bpmn", "chengnuo.bpmn")
    clock.set(local("2026-12-28", "10:00"))
    iid = start_item(services, "chengnuo", {"applicant": "李四"})
    complete(services, task(services, iid, "accept")["id"], {"eligible": True, "materials_complete": False})
    complete(
        services, task(services, iid, "correction_notice")["id"], {"missing_materials": ["身份证复印件"]}
    )
    content: dict[str, Any] = services.run(docs.issue, iid, "correction", "centre_clerk")["content"]
    assert content["correction_due"] is None and content["correction_pending"] == NOTE
    assert content["correction_days"] == 10


def test_a_task_form_shows_a_pending_date_in_words(services, items, signed_in) -> None:
    task_id = task(services, items["promised"], "acceptance_notice")["id"]
    page = signed_in("centre_clerk").get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "pending:2027" not in page  # the stored form of the date never shows
    assert page.count(NOTE) >= 2  # the promised date shown by the form, and the item's deadline


def register_due(client: Any, query: str = "?bad=1") -> str:
    """The rectification limit in the 整改 cell of the supervision office's 好差评 register (its one 差评)."""
    page = unescape(client.get(f"/ratings{query}").get_data(as_text=True))
    found = re.search(r'<span class="muted rectification-due"[^>]*>.*?</span>', page, re.S)
    assert found is not None, page
    return found[0]


def test_the_ratings_register_shows_the_rectification_limit_or_the_year_it_waits_for(
    services, clock, make_user, signed_in
) -> None:
    make_user("sup_a", ("supervision", "clerk"))
    deploy_library(
        services, "block_correction.bpmn", "block_refusal.bpmn", "jiban.bpmn", "rectification.bpmn"
    )
    clock.set(local("2026-12-20", "10:00"))
    iid = start_item(services, "jiban", {"applicant": "王五", "lead_window": "shichang", "title": "名称核准"})
    with services.transaction() as s:
        key = describe(services, iid)["business_key"]
        ratings.give_rating(s, key, level="not_satisfied", channel="counter", occasion="acceptance")
    cell = register_due(signed_in("sup_a"))
    assert f"整改期限：{NOTE}" in cell and 'data-pending-year="2027"' in cell  # as on the item's pages
    english = register_due(signed_in("sup_a"), "?bad=1&lang=en")
    assert "Rectify by: to be set once the 2027 holiday arrangement is published" in english
    import_2027(services)
    cell = register_due(signed_in("sup_a"))
    assert "整改期限：2027-01-09" in cell and "待 2027" not in cell

"""The instance list (filters, receipt search, paging without a count) and the instance detail page."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event

from runner.timekeeping.calendar import calendar_for
from tests.admin.monitoring_helpers import deploy, incident_item, people, promised_item, waiting_item
from tests.support.flow import advance_to, describe, local


@pytest.fixture
def setup(services, make_user) -> None:
    people(make_user)
    deploy(services)


def rows(html: str) -> list[str]:
    """Receipt numbers listed on an instance list page."""
    return re.findall(r'href="/admin/instance/\d+/">(\d{4}-\d{6})</a>', html)


def quick(html: str, link_id: str) -> str:
    match = re.search(rf'id="{link_id}" href="([^"]+)"', html)
    assert match, f"no quick link {link_id}"
    return match.group(1).replace("&amp;", "&")


def key_of(services, iid: int) -> str:
    return describe(services, iid)["business_key"]


def test_who_may_see_the_lists(services, setup, client, signed_in) -> None:
    iid = promised_item(services)
    assert client.get("/admin/instances/").status_code == 302
    assert signed_in("clerk1").get("/admin/instances/").status_code == 403
    assert signed_in("clerk1").get(f"/admin/instance/{iid}/").status_code == 403
    assert signed_in("designer1").get("/admin/instances/").status_code == 403
    for user in ("sup", "boss", "admin"):
        assert signed_in(user).get("/admin/instances/").status_code == 200, user
        assert signed_in(user).get(f"/admin/instance/{iid}/").status_code == 200, user
    assert signed_in("admin").get("/admin/instance/999999/").status_code == 404


def test_overdue_filter_and_quick_links(services, clock, setup, signed_in) -> None:
    late = promised_item(services, "李四")
    advance_to(services, clock, local("2026-10-19", "10:00"))  # past the promised 10 working days
    fresh = promised_item(services, "王五")
    admin = signed_in("admin")
    page = admin.get("/admin/instances/").get_data(as_text=True)
    assert set(rows(page)) == {key_of(services, late), key_of(services, fresh)}
    overdue = admin.get(quick(page, "quick-overdue")).get_data(as_text=True)
    assert rows(overdue) == [key_of(services, late)]
    assert "超期" in overdue
    soon = admin.get(quick(page, "quick-due-soon")).get_data(as_text=True)
    assert rows(soon) == []


def test_filters_on_status_kind_version_window_and_days(services, clock, setup, signed_in) -> None:
    first = promised_item(services)
    clock.set(local("2026-09-29", "10:00"))
    broken = incident_item(services)
    admin = signed_in("admin")
    page = admin.get("/admin/instances/").get_data(as_text=True)
    assert rows(admin.get(quick(page, "quick-error")).get_data(as_text=True)) == [key_of(services, broken)]
    from admin.monitoring.instances import INSTANCE_LIST  # the registered list view knows its filters

    with admin.application.test_request_context():
        listing = INSTANCE_LIST[0]
        by_kind = listing.quick_filter_url("类型", "promised")
        by_key = listing.quick_filter_url("服务事项", "upper_reply")
        by_window = listing.quick_filter_url("主办窗口", "shebao")
        by_other_window = listing.quick_filter_url("主办窗口", "guotu")
        by_day = listing.quick_filter_url("受理日期", "2026-09-28 to 2026-09-28")
        by_status = listing.quick_filter_url("状态", "running")
        version_id = describe(services, first)["definition_version"]
        assert version_id == 1
    assert rows(admin.get(by_kind).get_data(as_text=True)) == [key_of(services, first)]
    assert rows(admin.get(by_key).get_data(as_text=True)) == [key_of(services, broken)]
    assert set(rows(admin.get(by_window).get_data(as_text=True))) == {
        key_of(services, first),
        key_of(services, broken),
    }
    assert rows(admin.get(by_other_window).get_data(as_text=True)) == []
    assert rows(admin.get(by_day).get_data(as_text=True)) == [key_of(services, first)]
    assert rows(admin.get(by_status).get_data(as_text=True)) == [key_of(services, first)]
    # the version filter offers "key vN" choices read from the deployed definitions
    assert "chengnuo v1" in page and "upper_reply v1" in page


def test_receipt_number_search_is_a_prefix(services, setup, signed_in) -> None:
    ids = [promised_item(services) for _ in range(3)]
    keys = [key_of(services, i) for i in ids]
    admin = signed_in("admin")
    assert rows(admin.get(f"/admin/instances/?search={keys[1]}").get_data(as_text=True)) == [keys[1]]
    assert set(rows(admin.get("/admin/instances/?search=2026-0000").get_data(as_text=True))) == set(keys)
    assert rows(admin.get("/admin/instances/?search=2025-").get_data(as_text=True)) == []
    # ?q= on the detail door jumps straight to the item
    response = admin.get(f"/admin/instance/?q={keys[2]}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/admin/instance/{ids[2]}/")


def test_list_pages_without_counting_the_table(services, setup, signed_in, db_engine, monkeypatch) -> None:
    from admin.monitoring.instances import INSTANCE_LIST

    for _ in range(3):
        promised_item(services)
    admin = signed_in("admin")
    monkeypatch.setattr(INSTANCE_LIST[0], "page_size", 2)
    statements: list[str] = []

    def capture(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement.lower())

    event.listen(db_engine, "before_cursor_execute", capture)
    try:
        first = admin.get("/admin/instances/").get_data(as_text=True)
        second = admin.get("/admin/instances/?page=1").get_data(as_text=True)
    finally:
        event.remove(db_engine, "before_cursor_execute", capture)
    assert len(rows(first)) == 2 and len(rows(second)) == 1
    assert not set(rows(first)) & set(rows(second))
    listing = [s for s in statements if "from process_instances" in s]
    assert listing, statements
    assert not [s for s in listing if "count(" in s], "the pager must not count the instances"
    # neither the engine state nor the definition's XML is read for a list
    assert not [s for s in listing if "process_instances.state" in s or "bpmn_xml" in s]


def test_detail_shows_diagram_tokens_tasks_timers_and_audit(services, setup, signed_in) -> None:
    iid = promised_item(services)
    page = signed_in("sup").get(f"/admin/instance/{iid}/").get_data(as_text=True)
    data = json.loads(
        re.search(r'<script type="application/json" id="diagram-data">(.*?)</script>', page, re.S)[1]
    )
    assert "<bpmn:definitions" in data["xml"]
    assert data["current"] == ["accept"]
    assert data["completed"] == ["cn_start"]
    assert "受理（形式审查）" in page  # the open task
    assert 'id="instance-timers"' in page and 'id="instance-audit"' in page
    assert ">收件<" in page and 'title="start"' in page  # the audit trail's first action, in words (21.12)
    assert "bpmn-navigated-viewer.production.min.js" in page
    assert 'id="instance-actions"' not in page  # the supervisor only looks
    assert 'id="instance-actions"' in signed_in("admin").get(f"/admin/instance/{iid}/").get_data(as_text=True)


def test_detail_of_an_incident_and_a_waiting_item(services, setup, signed_in) -> None:
    broken = incident_item(services)
    waiting = waiting_item(services)
    admin = signed_in("admin")
    page = admin.get(f"/admin/instance/{broken}/").get_data(as_text=True)
    assert "division by zero" in page and "计算份数" in page
    assert 'id="form-retry"' in page
    page = admin.get(f"/admin/instance/{waiting}/").get_data(as_text=True)
    assert 'id="form-message"' in page and "<option>upper_reply</option>" in page


def test_due_soon_is_due_by_the_end_of_the_next_working_day(services, clock, setup, signed_in) -> None:
    """下一工作日内到期: from the start of the working day before the deadline's day (when the 提示 warning comes),
    not 24 clock hours (which missed it until 23:59:59 that day)."""
    iid = promised_item(services, "李四")
    deadline = datetime.fromisoformat(describe(services, iid)["deadline"])
    with services.transaction() as s:
        cal = calendar_for(s)
    day_before = cal.add_workdays(cal.local_date(deadline), -1)
    admin = signed_in("admin")
    clock.set(cal.start_of_day(day_before) - timedelta(seconds=1))  # two working days ahead: not yet
    page = admin.get("/admin/instances/").get_data(as_text=True)
    assert "下一工作日内到期" in page
    assert rows(admin.get(quick(page, "quick-due-soon")).get_data(as_text=True)) == []
    clock.set(cal.start_of_day(day_before))  # the 提示 warning's instant: the deadline is ~48 hours away
    assert rows(admin.get(quick(page, "quick-due-soon")).get_data(as_text=True)) == [key_of(services, iid)]


def test_the_deadline_days_last_second_is_not_overdue(services, clock, setup, signed_in) -> None:
    """The list's 已超期 filter and mark and the detail's badge wait for the next local midnight (is_late)."""
    iid = promised_item(services, "李四")
    deadline = datetime.fromisoformat(describe(services, iid)["deadline"])
    clock.set(deadline + timedelta(milliseconds=500))  # 23:59:59.5 Beijing on the deadline day
    admin = signed_in("admin")
    page = admin.get("/admin/instances/").get_data(as_text=True)
    assert rows(admin.get(quick(page, "quick-overdue")).get_data(as_text=True)) == []
    assert rows(admin.get(quick(page, "quick-due-soon")).get_data(as_text=True)) == [key_of(services, iid)]
    assert 'class="text-danger font-weight-bold overdue"' not in page
    assert "overdue-badge" not in admin.get(f"/admin/instance/{iid}/").get_data(as_text=True)
    clock.set(deadline + timedelta(seconds=1))  # the next local midnight
    page = admin.get("/admin/instances/").get_data(as_text=True)
    assert rows(admin.get(quick(page, "quick-overdue")).get_data(as_text=True)) == [key_of(services, iid)]
    assert 'class="text-danger font-weight-bold overdue"' in page
    assert "overdue-badge" in admin.get(f"/admin/instance/{iid}/").get_data(as_text=True)

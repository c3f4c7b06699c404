"""The console names windows by their names, not their codes (item list, timers, users), and the timers'
job state reads once in the page's language (issue 21, point 12)."""

from __future__ import annotations

import re
from html import unescape

import pytest

from tests.admin.monitoring_helpers import accepted_item, deploy, people
from tests.support.flow import describe


@pytest.fixture
def setup(services, make_user) -> None:
    people(make_user)
    deploy(services)


def cells(html: str, column: str) -> list[str]:
    """The text of the list's cells in ``column`` (Flask-Admin's ``col-<name>`` classes)."""
    found = re.findall(rf'<td class="col-{column}">(.*?)</td>', html, re.S)
    return [unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in found]


def test_the_item_list_names_the_lead_window(services, setup, signed_in) -> None:
    accepted_item(services)
    page = signed_in("sup").get("/admin/instances/").get_data(as_text=True)
    assert cells(page, "lead_window") == ["社保窗口"]
    assert 'title="shebao"' in page  # the code on hover


def test_the_users_page_lists_roles_by_window_name(services, setup, signed_in) -> None:
    page = unescape(signed_in("sup").get("/admin/users/").get_data(as_text=True))
    roles = re.search(r'data-username="clerk1".*?</tr>', page, re.S)[0]
    assert "社保窗口 · " in roles and "shebao · " not in roles


def test_the_timers_job_state_reads_once_in_each_language(services, setup, signed_in) -> None:
    iid = accepted_item(services)
    sup = signed_in("sup")
    chinese = sup.get("/admin/timers/").get_data(as_text=True)
    assert describe(services, iid)["business_key"] in chinese
    assert cells(chinese, "job") == ["已记录（无 Redis 的调度器）"]
    english = sup.get("/admin/timers/?lang=en").get_data(as_text=True)
    assert cells(english, "job") == ["Recorded (scheduler without Redis)"]
    detail = sup.get(f"/admin/instance/{iid}/?lang=en").get_data(as_text=True)
    assert "Recorded (scheduler without Redis)<" in detail and "(recorded)" not in detail

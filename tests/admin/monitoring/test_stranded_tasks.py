"""Open tasks held by a login disabled before the 'no disabling while holding tasks' rule: the console
shows them (front-page tile, notice on the instance list, a list with the holder, a count on the users
list) so the admin can 改派 each."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from markupsafe import escape

import runner
from runner.models import User
from runner.people import directory
from tests.admin.monitoring.test_monitoring_actions import post
from tests.admin.monitoring_helpers import deploy, flashes, people, promised_item
from tests.support.flow import task


@pytest.fixture
def setup(services, make_user) -> None:
    people(make_user)
    make_user("张<b>&'\"", ("shebao", "clerk"))
    deploy(services)


def _disable_behind_the_rule(services, username: str) -> None:
    """Disable ``username`` directly (as before the refusal existed)."""
    with services.transaction() as s:
        s.query(User).filter(User.username == username).one().is_active = False


@pytest.mark.parametrize("holder", ["clerk1", "张<b>&'\""])
def test_tasks_held_by_a_disabled_user_are_shown_for_reassignment(services, setup, signed_in, holder) -> None:
    iid = promised_item(services)
    accept = task(services, iid, "accept")
    with services.transaction() as s:
        runner.claim(s, accept["id"], actor=holder)
    _disable_behind_the_rule(services, holder)
    admin = signed_in("admin")
    home = admin.get("/admin/").get_data(as_text=True)
    assert "停用人员名下待办" in home and "/admin/users/stranded/" in home
    listing = admin.get("/admin/instances/")
    assert listing.status_code == 200
    notice = listing.get_data(as_text=True)
    assert "1 项待办任务仍在已停用人员名下" in notice and "/admin/users/stranded/" in notice
    page = admin.get("/admin/users/stranded/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert accept["business_key"] in html and f"/admin/instance/{iid}" in html
    assert "<b>&" not in html and str(escape(holder)) in html
    assert admin.get(f"/admin/users/{quote(holder)}/").status_code == 200  # the holder's link
    users = admin.get("/admin/users/").get_data(as_text=True)
    assert "stranded-count" in users and "仍有 1 项待办" in users
    with services.transaction() as s:
        runner.reassign(s, accept["id"], actor="admin", assignee="clerk2")
    assert "仍在已停用人员名下" not in admin.get("/admin/instances/").get_data(as_text=True)
    assert accept["business_key"] not in admin.get("/admin/users/stranded/").get_data(as_text=True)
    assert "stranded-count" not in admin.get("/admin/users/").get_data(as_text=True)


def test_a_task_delegated_by_a_disabled_user_names_them_as_holder(services, setup, signed_in) -> None:
    """委派 by a clerk since disabled: the task would come back to them, so it is listed under them; an
    enabled clerk's tasks are never listed."""
    iid = promised_item(services)
    accept = task(services, iid, "accept")
    with services.transaction() as s:
        runner.claim(s, accept["id"], actor="clerk1")
        runner.delegate(s, accept["id"], actor="clerk1", to_user="clerk2", note="请看")
        assert directory.stranded_tasks(s) == []
    _disable_behind_the_rule(services, "clerk1")
    with services.transaction() as s:
        held = directory.stranded_tasks(s)
        assert [(t.business_key, t.holder) for t in held] == [(accept["business_key"], "clerk1")]
        assert directory.stranded_counts(s) == {"clerk1": 1} and directory.stranded_count(s) == 1


def test_an_admin_reassigns_a_stranded_task_in_its_row(services, setup, signed_in) -> None:
    """The row offers the enabled clerks and heads of the task's window and posts to the item page's 改派
    (same refusals), coming back to the list; overseers see the list without the form."""
    iid = promised_item(services)
    accept = task(services, iid, "accept")
    with services.transaction() as s:
        runner.claim(s, accept["id"], actor="clerk1")
    _disable_behind_the_rule(services, "clerk1")
    admin = signed_in("admin")
    html = admin.get("/admin/users/stranded/").get_data(as_text=True)
    form = re.search(r"<form[^>]*stranded-reassign.*?</form>", html, re.S)
    assert form is not None, html
    form_html = form.group(0)
    assert f'action="/admin/instance/{iid}/reassign"' in form_html and 'name="csrf_token"' in form_html
    posted = re.search(r'name="task_id" value="([^"]+)"', form_html)
    assert posted is not None and posted.group(1) == accept["id"]  # the task's id the runner names it by
    offered = re.findall(r'<option value="([^"]+)"', form_html)
    assert sorted(offered) == sorted(["clerk2", str(escape("张<b>&'\""))]), offered  # not clerk1, admin, sup
    back = "/admin/users/stranded/"
    url = f"/admin/instance/{iid}/reassign"
    for who, refusal in (
        ("clerk1", "已停用"),
        ("sup", "不是窗口 shebao 的办事员"),
        ("nobody", "没有用户 nobody"),
    ):
        page = post(admin, url, task_id=accept["id"], assignee=who, next=back)
        assert "停用人员名下待办" in page and any(refusal in f for f in flashes(page)), flashes(page)
        assert task(services, iid, "accept")["assignee"] == "clerk1"
    page = post(admin, url, task_id=accept["id"], assignee="clerk2", next=back)
    assert "停用人员名下待办" in page and any("已改派给 clerk2" in f for f in flashes(page)), flashes(page)
    assert task(services, iid, "accept")["assignee"] == "clerk2"
    assert accept["business_key"] not in page
    with services.transaction() as s:  # stranded again: an overseer sees the list, not the form
        runner.reassign(s, accept["id"], actor="admin", assignee="张<b>&'\"")
    _disable_behind_the_rule(services, "张<b>&'\"")
    overseer = signed_in("sup")
    listing = overseer.get("/admin/users/stranded/")
    if listing.status_code == 200:
        assert "stranded-reassign" not in listing.get_data(as_text=True)
    assert overseer.post(url, data={"task_id": accept["id"], "assignee": "clerk2"}).status_code == 403
    assert task(services, iid, "accept")["assignee"] == "张<b>&'\""

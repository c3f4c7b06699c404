"""The instance page's actions: each a POST with CSRF, admins only, one runner call, one audit entry."""

from __future__ import annotations

import re

import pytest

import runner
from tests.admin.monitoring_helpers import (
    audit_actions,
    deploy,
    flashes,
    incident_item,
    people,
    promised_item,
    waiting_item,
)
from tests.support.flow import describe, task


@pytest.fixture
def setup(services, make_user) -> None:
    people(make_user)
    deploy(services)


def post(client, url: str, **form: str) -> str:
    """POST a form, follow the redirect, return the page."""
    response = client.post(url, data=form, follow_redirects=True)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    "action", ["suspend", "resume", "terminate", "retry", "reassign", "message", "migrate"]
)
def test_only_admins_act(services, setup, signed_in, action) -> None:
    iid = promised_item(services)
    for user in ("sup", "boss", "clerk1"):
        assert (
            signed_in(user).post(f"/admin/instance/{iid}/{action}", data={"reason": "x"}).status_code == 403
        )
    assert audit_actions(services, instance_id=iid) == [("start", "clerk")]


def test_suspend_and_resume(services, setup, signed_in) -> None:
    iid = promised_item(services)
    admin = signed_in("admin")
    page = post(admin, f"/admin/instance/{iid}/suspend", reason="等待听证")
    assert "success: 已挂起，计时已暂停" in flashes(page)
    assert describe(services, iid)["status"] == "suspended"
    assert 'id="form-resume"' in page and 'id="form-suspend"' not in page
    page = post(admin, f"/admin/instance/{iid}/suspend", reason="again")
    assert any(f.startswith("danger: 操作未完成") for f in flashes(page)), flashes(page)
    page = post(admin, f"/admin/instance/{iid}/resume")
    assert "success: 已恢复办理" in flashes(page)
    assert describe(services, iid)["status"] == "running"
    page = post(admin, f"/admin/instance/{iid}/resume")
    assert any("未挂起" in f for f in flashes(page)), flashes(page)
    actions = audit_actions(services, instance_id=iid)
    assert ("suspend", "admin") in actions and ("resume", "admin") in actions


def test_terminate_needs_a_reason(services, setup, signed_in) -> None:
    iid = promised_item(services)
    admin = signed_in("admin")
    page = post(admin, f"/admin/instance/{iid}/terminate", reason="  ")
    assert any("理由" in f for f in flashes(page)), flashes(page)
    assert describe(services, iid)["status"] == "running"
    post(admin, f"/admin/instance/{iid}/terminate", reason="申请人撤回申请")
    view = describe(services, iid)
    assert view["status"] == "terminated" and view["end_reason"] == "申请人撤回申请"
    assert ("terminate", "admin") in audit_actions(services, instance_id=iid)


def test_retry_an_incident_with_fixed_data(services, setup, signed_in) -> None:
    iid = incident_item(services)
    admin = signed_in("admin")
    page = post(admin, f"/admin/instance/{iid}/retry", data="not json")
    assert any("JSON" in f for f in flashes(page)), flashes(page)
    assert describe(services, iid)["status"] == "error"
    page = post(admin, f"/admin/instance/{iid}/retry", data='{"copies": 5}')
    assert any("已重试" in f for f in flashes(page)), flashes(page)
    view = describe(services, iid)
    assert view["status"] == "waiting" and view["data"]["per_copy"] == 2
    assert view["incidents"][0]["resolved_by"] == "admin"
    assert ("retry", "admin") in audit_actions(services, instance_id=iid)


def test_reassign_a_task(services, setup, signed_in) -> None:
    iid = promised_item(services)
    accept = task(services, iid, "accept")
    admin = signed_in("admin")
    page = post(admin, f"/admin/instance/{iid}/reassign", task_id=accept["id"], assignee="nobody")
    assert any("没有用户 nobody" in f for f in flashes(page)), flashes(page)
    page = post(
        admin, f"/admin/instance/{iid}/reassign", task_id=accept["id"], assignee="clerk2", note="A岗休假"
    )
    assert any("已改派给 clerk2" in f for f in flashes(page)), flashes(page)
    assert task(services, iid, "accept")["assignee"] == "clerk2"
    page = post(admin, f"/admin/instance/{iid}/reassign", task_id="not-a-task", assignee="clerk2")
    assert any("没有这个待办任务" in f for f in flashes(page)), flashes(page)
    assert ("reassign", "admin") in audit_actions(services, instance_id=iid)


def test_reassign_refuses_a_disabled_user_or_one_outside_the_window(
    services, setup, signed_in, make_user
) -> None:
    """改派 like 转办: only an enabled clerk or head of the window the task will be in."""
    make_user("gone", ("shebao", "clerk"))
    make_user("g1", ("guotu", "clerk"))
    with services.transaction() as s:
        runner.people.directory.set_active(s, "gone", False, actor="admin")
    iid = promised_item(services)
    accept = task(services, iid, "accept")
    admin = signed_in("admin")
    url = f"/admin/instance/{iid}/reassign"
    page = post(admin, url, task_id=accept["id"], assignee="gone")
    assert any("已停用" in f for f in flashes(page)), flashes(page)
    page = post(admin, url, task_id=accept["id"], assignee="sup")
    assert any("不是窗口 shebao 的办事员" in f for f in flashes(page)), flashes(page)
    page = post(admin, url, task_id=accept["id"], assignee="g1")
    assert any("不是窗口 shebao 的办事员" in f for f in flashes(page)), flashes(page)
    assert task(services, iid, "accept")["assignee"] != "gone"
    page = post(admin, url, task_id=accept["id"], assignee="g1", window="guotu")
    assert any("已改派给 g1" in f for f in flashes(page)), flashes(page)
    with services.transaction() as s, pytest.raises(runner.InvalidInput) as err:  # the runner itself too
        runner.reassign(s, accept["id"], actor="admin", assignee="gone")
    assert "已停用" in err.value.message


def test_register_the_upper_authoritys_reply_by_hand(services, setup, signed_in) -> None:
    iid = waiting_item(services)
    admin = signed_in("admin")
    page = post(admin, f"/admin/instance/{iid}/message", name="other_message", payload="{}")
    assert any("other_message" in f for f in flashes(page)), flashes(page)
    page = post(admin, f"/admin/instance/{iid}/message", name="upper_reply", payload='{"approved": true}')
    assert any("已送达" in f for f in flashes(page)), flashes(page)
    view = describe(services, iid)
    assert view["status"] == "running" and view["data"]["approved"] is True
    assert [t["spec_name"] for t in view["tasks"]] == ["notify"]
    assert ("message", "admin") in audit_actions(services, instance_id=iid)


def test_migrate_one_instance(services, setup, signed_in) -> None:
    import runner
    from tests.admin.monitoring_helpers import DATA

    iid = waiting_item(services)
    changed = (DATA / "upper_reply.bpmn").read_bytes().replace(b'value="2"', b'value="3"')
    with services.transaction() as s:
        runner.deploy(s, changed, "upper_reply.bpmn", actor="designer")
    admin = signed_in("admin")
    page = admin.get(f"/admin/instance/{iid}/").get_data(as_text=True)
    assert re.search(r'<option value="2">迁移到 v2</option>', page)
    post(admin, f"/admin/instance/{iid}/migrate", version="2")
    assert describe(services, iid)["definition_version"] == 2
    page = post(admin, f"/admin/instance/{iid}/migrate", version="9")
    assert any("没有版本 9" in f for f in flashes(page)), flashes(page)
    assert ("migrate", "admin") in audit_actions(services, instance_id=iid)


def test_actions_need_the_csrf_token(services, csrf_app, make_user) -> None:
    people(make_user)
    deploy(services)
    iid = promised_item(services)
    client = csrf_app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = "admin"
        sess["_fresh"] = True
    assert client.post(f"/admin/instance/{iid}/suspend", data={"reason": "x"}).status_code == 400
    page = client.get(f"/admin/instance/{iid}/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    response = client.post(f"/admin/instance/{iid}/suspend", data={"reason": "x", "csrf_token": token})
    assert response.status_code == 302
    assert describe(services, iid)["status"] == "suspended"

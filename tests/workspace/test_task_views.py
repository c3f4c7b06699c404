"""The form task page (workspace/task_views.py) on real deployed library diagrams: GET shows the item and
the form, POST validates on the server and completes through the runner; access, claims, double
submission."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

import runner
from runner.models import AuditEntry
from tests.support.flow import complete, deploy_library, describe, start_item, task, tasks
from tests.support.joint import FILES as CHAOGAO

CHENGNUO = ("block_correction.bpmn", "block_refusal.bpmn", "chengnuo.bpmn")


def hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', page
    )
    assert found, f"no hidden input {name}"
    return found.group(1)


def text(response: Any) -> str:
    return unescape(response.get_data(as_text=True))


def completions(services: runner.Services, task_id: str) -> int:
    with services.transaction() as s:
        return s.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "complete", AuditEntry.task_id == task_id)
        )


@pytest.fixture
def people(make_user: Any) -> None:
    make_user("centre1", ("centre", "clerk"), name="综合窗口甲")
    make_user("centre2", ("centre", "clerk"), name="综合窗口乙")
    make_user("lead", ("shichang", "clerk"), name="市场监管员")
    make_user("gt", ("guotu", "clerk"), name="国土员")
    make_user("hb", ("huanbao", "clerk"), name="环保员")
    make_user("sb", ("shebao", "clerk"), name="社保员")


@pytest.fixture
def accept_task(services: runner.Services, people: None) -> dict[str, Any]:
    deploy_library(services, *CHENGNUO)
    iid = start_item(services, "chengnuo", {"applicant": "张三", "title": "食品经营许可"})
    return task(services, iid, "accept")


@pytest.fixture
def csrf_client(csrf_app: Flask) -> Any:
    def sign_in(username: str) -> FlaskClient:
        c = csrf_app.test_client()
        with c.session_transaction() as sess:
            sess["_user_id"] = username
            sess["_fresh"] = True
        return c

    return sign_in


def test_acceptance_page_and_full_cycle_with_csrf(
    services: runner.Services, accept_task: dict[str, Any], csrf_client: Any
) -> None:
    client = csrf_client("centre1")
    url = f"/tasks/{accept_task['id']}"
    page = client.get(url)
    assert page.status_code == 200
    html = text(page)
    # the item header, the form, the fields of the schema
    assert "办件编号" in html and describe(services, accept_task["instance_id"])["business_key"] in html
    assert "食品经营许可" in html and "张三" in html and "2026-09-29 23:59" in html  # due: 1 working day
    assert "受理（形式审查）" in html and 'name="eligible" value="true"' in html
    assert 'value="申请表（申请书）"' in html  # the materials checklist
    csrf, token = hidden(html, "csrf_token"), hidden(html, "submit_token")

    # without the CSRF token: refused before anything happens
    assert (
        client.post(url, data={"eligible": "true", "applicant": "张三", "submit_token": token}).status_code
        == 400
    )

    # invalid: errors in Chinese next to the fields, nothing completed
    bad = client.post(url, data={"csrf_token": csrf, "submit_token": token, "applicant": ""})
    assert bad.status_code == 400
    body = text(bad)
    assert re.search(r'id="field-applicant".*?请填写此项', body, re.S)
    assert re.search(r'id="field-eligible".*?请选择“是”或“否”', body, re.S)
    assert "表单有误" in body
    assert completions(services, accept_task["id"]) == 0

    # valid: one material missing → the one-time correction notice comes next, prefilled
    done = client.post(
        url,
        data={
            "csrf_token": csrf,
            "submit_token": token,
            "applicant": "张三",
            "applicant_phone": "13800001234",
            "eligible": "true",
            "materials_received": ["申请表（申请书）", "申请人身份证明材料"],
        },
    )
    assert done.status_code == 302 and done.headers["Location"].endswith("/inbox")
    assert "已办理：受理（形式审查）" in text(client.get("/inbox"))
    assert completions(services, accept_task["id"]) == 1
    data = describe(services, accept_task["instance_id"])["data"]
    assert (data["eligible"], data["materials_complete"]) == (True, False)
    assert data["missing_materials"] == ["法律法规规定的其他申请材料"]
    assert data["applicant_phone"] == "13800001234"
    notice = task(services, accept_task["instance_id"], "correction_notice")
    page = text(client.get(f"/tasks/{notice['id']}"))
    assert re.search(r'<textarea id="missing_materials"[^>]*>法律法规规定的其他申请材料</textarea>', page)
    assert "受理时核出的缺件" in page  # the read-only context


def test_acceptance_all_materials_goes_to_the_acceptance_notice(
    services: runner.Services, accept_task: dict[str, Any], signed_in: Any
) -> None:
    client = signed_in("centre1")
    url = f"/tasks/{accept_task['id']}"
    token = hidden(text(client.get(url)), "submit_token")
    form = {
        "submit_token": token,
        "applicant": "张三",
        "eligible": "true",
        "materials_received": ["申请表（申请书）", "申请人身份证明材料", "法律法规规定的其他申请材料"],
    }
    assert client.post(url, data=form).status_code == 302
    iid = accept_task["instance_id"]
    assert describe(services, iid)["data"]["materials_complete"] is True
    notice = task(services, iid, "acceptance_notice")
    page = text(client.get(f"/tasks/{notice['id']}"))
    assert "承诺办结期限" in page and "2026-10-16 23:59" in page  # promised_date from item_deadline()
    token = hidden(page, "submit_token")
    unticked = client.post(f"/tasks/{notice['id']}", data={"submit_token": token, "notice_no": "受字1号"})
    assert unticked.status_code == 400 and "请勾选确认" in text(unticked)
    ok = client.post(f"/tasks/{notice['id']}", data={"submit_token": token, "notice_delivered": "y"})
    assert ok.status_code == 302
    assert [t["spec_name"] for t in tasks(services, iid)] == ["review"]


def test_double_submission_completes_once(
    services: runner.Services, accept_task: dict[str, Any], signed_in: Any
) -> None:
    client = signed_in("centre1")
    url = f"/tasks/{accept_task['id']}"
    token = hidden(text(client.get(url)), "submit_token")
    form = {
        "submit_token": token,
        "applicant": "张三",
        "eligible": "false",
        "acceptance_note": "不属于受理范围",
    }
    first = client.post(url, data=form)
    assert first.status_code == 302
    # double click / back button: the same token again in the same session
    second = client.post(url, data=form)
    assert second.status_code == 302 and second.headers["Location"].endswith("/inbox")
    assert "此任务已办理" in text(client.get("/inbox"))
    # another tab or browser (a session that never used the token): the runner refuses the second completion
    other = signed_in("centre1")
    third = other.post(url, data=form)
    assert third.status_code == 409  # it completed nothing: the page says who did
    assert "此任务已办理" in text(third) and "centre1" in text(third)
    # the page of a completed task says so instead of failing
    again = other.get(url)
    assert again.status_code == 302 and "此任务已办理" in text(other.get("/inbox"))
    assert completions(services, accept_task["id"]) == 1
    assert [t["spec_name"] for t in tasks(services, accept_task["instance_id"])] == ["refusal"]


def test_another_windows_clerk_gets_403(
    services: runner.Services, accept_task: dict[str, Any], signed_in: Any
) -> None:
    outsider = signed_in("sb")
    url = f"/tasks/{accept_task['id']}"
    assert outsider.get(url).status_code == 403
    posted = outsider.post(
        url,
        data={"submit_token": "0" * 32, "applicant": "张三", "eligible": "true", "materials_received": []},
    )
    assert posted.status_code == 403
    assert completions(services, accept_task["id"]) == 0
    assert signed_in("centre1").get(url).status_code == 200
    assert signed_in("centre1").get("/tasks/00000000-0000-0000-0000-000000000000").status_code == 404


def test_anonymous_is_sent_to_login(app: Flask, accept_task: dict[str, Any]) -> None:
    response = app.test_client().get(f"/tasks/{accept_task['id']}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_task_claimed_by_a_colleague_is_read_only(
    services: runner.Services, accept_task: dict[str, Any], signed_in: Any
) -> None:
    with services.transaction() as s:
        runner.claim(s, accept_task["id"], actor="centre2")
    client = signed_in("centre1")
    url = f"/tasks/{accept_task['id']}"
    page = client.get(url)
    assert page.status_code == 200
    html = text(page)
    assert "此任务已由 centre2 认领" in html and 'id="submit-task"' not in html and " disabled" in html
    token = hidden(html, "submit_token")
    posted = client.post(url, data={"submit_token": token, "applicant": "张三", "eligible": "true"})
    assert posted.status_code == 409 and "此任务已由 centre2 认领" in text(posted)
    assert completions(services, accept_task["id"]) == 0
    # the holder can
    holder = signed_in("centre2")
    token = hidden(text(holder.get(url)), "submit_token")
    done = holder.post(
        url, data={"submit_token": token, "applicant": "张三", "eligible": "false", "acceptance_note": "x"}
    )
    assert done.status_code == 302 and completions(services, accept_task["id"]) == 1


def test_a_forged_token_is_refused_without_completing(
    services: runner.Services, accept_task: dict[str, Any], signed_in: Any
) -> None:
    client = signed_in("centre1")
    url = f"/tasks/{accept_task['id']}"
    posted = client.post(
        url,
        data={"submit_token": "../../x", "applicant": "张三", "eligible": "false", "acceptance_note": "x"},
    )
    assert posted.status_code == 400 and "表单已失效" in text(posted)
    assert completions(services, accept_task["id"]) == 0
    # the page carries a fresh token to submit with
    assert re.fullmatch(r"[0-9a-f]{32}", hidden(text(posted), "submit_token"))


# ---- window_review on the joint item (抄告制) -------------------------------------------------------


@pytest.fixture
def joint(services: runner.Services, people: None) -> int:
    deploy_library(services, *CHAOGAO)
    iid = start_item(services, "lianban_chaogao", {"lead_window": "shichang", "applicant": "某置业有限公司"})
    complete(
        services,
        task(services, iid, "accept")["id"],
        {
            "related_windows": ["guotu", "huanbao"],
            "review_days": 3,
            "materials_complete": True,
            "materials_list": ["申请书", "规划设计方案"],
        },
        actor="lead",
    )
    return iid


def test_window_review_page_and_cycle(services: runner.Services, joint: int, signed_in: Any) -> None:
    review = task(services, joint, "review", window="guotu")
    url = f"/tasks/{review['id']}"
    gt = signed_in("gt")
    page = gt.get(url)
    assert page.status_code == 200
    html = text(page)
    assert "相关窗口审查意见" in html and "审查时限" in html and "2026-10-08 23:59" in html
    assert "国土资源窗口" in html and "规划设计方案" in html  # the reviewing window and the materials
    assert 'value="refuse_participation"' in html
    token = hidden(html, "submit_token")

    # the other related window and the lead window cannot answer for guotu
    assert signed_in("hb").get(url).status_code == 403
    assert signed_in("lead").post(url, data={"submit_token": token, "result": "agree"}).status_code == 403

    missing_reason = gt.post(url, data={"submit_token": token, "result": "disagree"})
    assert missing_reason.status_code == 400
    assert re.search(r'id="field-reason".*?选择“不同意”时必须说明理由', text(missing_reason), re.S)
    assert completions(services, review["id"]) == 0

    done = gt.post(url, data={"submit_token": token, "result": "disagree", "reason": "用地性质与规划不符"})
    assert done.status_code == 302
    view = describe(services, joint)
    assert completions(services, review["id"]) == 1
    audit = [a for a in view["audit"] if a["action"] == "complete" and a["task_id"] == review["id"]]
    assert audit[0]["actor"] == "gt" and audit[0]["on_behalf_of"] is None
    # huanbao answers too; the opinions reach the lead window's consolidation
    hb_review = task(services, joint, "review", window="huanbao")
    hb = signed_in("hb")
    token = hidden(text(hb.get(f"/tasks/{hb_review['id']}")), "submit_token")
    assert (
        hb.post(f"/tasks/{hb_review['id']}", data={"submit_token": token, "result": "agree"}).status_code
        == 302
    )
    opinions = {o["window"]: o for o in describe(services, joint)["data"]["opinions"]}
    assert (opinions["guotu"]["result"], opinions["guotu"]["reason"]) == ("disagree", "用地性质与规划不符")
    assert opinions["huanbao"]["result"] == "agree"
    consolidate = task(services, joint, "consolidate")
    page = text(signed_in("lead").get(f"/tasks/{consolidate['id']}"))
    assert "各相关窗口意见" in page and "用地性质与规划不符" in page and "不同意的窗口" in page


def test_window_review_extension_request(services: runner.Services, joint: int, signed_in: Any) -> None:
    review = task(services, joint, "review", window="guotu")
    url = f"/tasks/{review['id']}"
    gt = signed_in("gt")
    token = hidden(text(gt.get(url)), "submit_token")
    posted = gt.post(
        url,
        data={
            "submit_token": token,
            "request_extension": "y",
            "extension_days": "2",
            "extension_reason": "需现场勘察地界",
        },
    )
    assert posted.status_code == 302
    decision = task(services, joint, "extension_decision")
    lead = signed_in("lead")
    page = text(lead.get(f"/tasks/{decision['id']}"))
    assert "需现场勘察地界" in page and "申请延期（工作日）" in page
    token = hidden(page, "submit_token")
    refused = lead.post(f"/tasks/{decision['id']}", data={"submit_token": token, "approved": "false"})
    assert refused.status_code == 400 and "不准予延期时请说明理由" in text(refused)
    assert (
        lead.post(f"/tasks/{decision['id']}", data={"submit_token": token, "approved": "true"}).status_code
        == 302
    )
    # back to guotu: a second extension cannot be asked for
    again = task(services, joint, "review", window="guotu")
    page = text(gt.get(f"/tasks/{again['id']}"))
    assert "已准予延期" in page
    token = hidden(page, "submit_token")
    second = gt.post(
        f"/tasks/{again['id']}",
        data={
            "submit_token": token,
            "request_extension": "y",
            "extension_days": "1",
            "extension_reason": "再延",
        },
    )
    assert second.status_code == 400 and "本次审查已申请过延期，不能再次申请" in text(second)
    assert (
        gt.post(f"/tasks/{again['id']}", data={"submit_token": token, "result": "agree"}).status_code == 302
    )
    complete(
        services, task(services, joint, "review", window="huanbao")["id"], {"result": "agree"}, actor="hb"
    )
    opinions = {o["window"]: o for o in describe(services, joint)["data"]["opinions"]}
    assert opinions["guotu"]["extended"] is True


def test_a_submission_opens_at_most_two_database_sessions(
    services: runner.Services, accept_task: dict[str, Any], signed_in: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The task POST takes the API's road: the login's user look-up, then one transaction that reads the task,
    checks the window rule, the claim and the form and completes it (no session of its own per check)."""
    client = signed_in("centre1")
    url = f"/tasks/{accept_task['id']}"
    token = hidden(text(client.get(url)), "submit_token")
    opened: list[Any] = []
    real = runner.Services._session

    def counted(self: runner.Services, session: Any) -> Any:
        opened.append(session)
        return real(self, session)

    monkeypatch.setattr(runner.Services, "_session", counted)
    form = {
        "submit_token": token,
        "applicant": "张三",
        "eligible": "false",
        "acceptance_note": "不属于受理范围",
    }
    assert client.post(url, data=form).status_code == 302
    assert 1 <= len(opened) <= 2
    monkeypatch.setattr(runner.Services, "_session", real)
    assert completions(services, accept_task["id"]) == 1

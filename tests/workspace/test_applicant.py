"""The applicant's pages: progress lookup (phone suffix, rate limit, nothing leaks), rating, complaints."""

from __future__ import annotations

import time
from typing import Any

import pytest

from runner.applicants import service as applicant
from runner.models import Complaint, Rating, WarningEvent
from tests.support.flow import advance_to, complete, deploy_library, describe, local, send, start_item, task

FILES = (
    "block_correction.bpmn",
    "block_refusal.bpmn",
    "lianban_chaogao.bpmn",
    "jiban.bpmn",
    "complaint.bpmn",
)
PHONE = "138-0013-8000"
# things of the item the applicant's page must never show
SECRETS = [
    "张三丰",  # the applicant's name
    "13800138000",
    "138-0013-8000",
    "食品厂新建项目联合审批",  # the item's title
    "机密材料清单甲",  # a material of the form data
    "内部审查意见乙",  # a window's opinion
    "clerk_sc",
    "clerk_gt",
    "市场窗口小王",  # a clerk's display name
    "related_windows",  # data keys
    "review_days",
]


@pytest.fixture
def item(services: Any, make_user: Any) -> dict[str, Any]:
    """A joint item, accepted after a correction (a clock pause), reviewed by one of two windows."""
    make_user("clerk_sc", ("shichang", "clerk"), name="市场窗口小王")
    deploy_library(services, *FILES)
    iid = start_item(
        services,
        "lianban_chaogao",
        {
            "lead_window": "shichang",
            "applicant": "张三丰",
            "applicant_phone": PHONE,
            "title": "食品厂新建项目联合审批",
        },
        actor="clerk_sc",
    )
    key = describe(services, iid)["business_key"]
    form = {
        "related_windows": ["guotu", "huanbao"],
        "review_days": 3,
        "materials_complete": False,
        "materials_list": ["机密材料清单甲"],
    }
    complete(services, task(services, iid, "accept")["id"], form, actor="clerk_sc")
    complete(
        services,
        task(services, iid, "correction_notice")["id"],
        {"missing_materials": ["规划设计方案"]},
        actor="clerk_sc",
    )
    services.clock.set(local("2026-09-30", "10:00"))
    send(services, "materials_resubmitted", key, {})
    complete(services, task(services, iid, "materials_check")["id"], {"complete": True}, actor="clerk_sc")
    complete(
        services,
        task(services, iid, "review", window="guotu")["id"],
        {"result": "disagree", "reason": "内部审查意见乙"},
        actor="clerk_gt",
    )
    return {"id": iid, "key": key}


def look_up(client: Any, receipt: str, suffix: str, **kwargs: Any) -> Any:
    return client.post("/progress", data={"receipt": receipt, "phone_suffix": suffix}, **kwargs)


def finish(services: Any, iid: int) -> None:
    complete(
        services, task(services, iid, "review", window="huanbao")["id"], {"result": "agree"}, actor="clerk_hb"
    )
    complete(services, task(services, iid, "consolidate")["id"], {"decision": "approve"}, actor="clerk_sc")
    complete(
        services, task(services, iid, "notify_applicant")["id"], {"result_doc_no": "LB-1"}, actor="clerk_sc"
    )


# --- progress ------------------------------------------------------------------------------------------


def test_right_phone_suffix_shows_the_progress(client: Any, services: Any, item: dict[str, Any]) -> None:
    response = look_up(client, item["key"], "8000")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/progress/{item['key']}")
    page = client.get(f"/progress/{item['key']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "相关窗口同步审查" in html  # the open step (huanbao's review)
    assert "市场监管窗口、环保窗口、国土资源窗口" in html
    # 15 working days from 09-28, moved by the 补正 pause (09-28 .. 09-30: 2 working days)
    view = describe(services, item["id"])
    assert view["deadline"] == "2026-10-27T15:59:59+00:00"
    assert "2026年10月27日" in html
    assert "补正" in html and "2026年9月28日" in html and "2026年9月30日" in html
    assert "办理中" in html


def test_the_english_progress_page_writes_its_dates_in_english(
    client: Any, services: Any, item: dict[str, Any]
) -> None:
    look_up(client, item["key"], "8000")
    html = client.get(f"/progress/{item['key']}?lang=en").get_data(as_text=True)
    assert "27 October 2026" in html and "28 September 2026" in html and "30 September 2026" in html
    assert "年" not in html and "月" not in html


def test_wrong_suffix_and_unknown_receipt_get_the_same_answer(
    client: Any, services: Any, item: dict[str, Any]
) -> None:
    wrong = look_up(client, item["key"], "8001")
    unknown = look_up(client, "2026-999999", "8000")
    for response in (wrong, unknown):
        assert response.status_code == 404
        assert "办件编号或手机号后四位不正确" in response.get_data(as_text=True)
    # without a successful lookup in this session the progress page is not shown
    direct = client.get(f"/progress/{item['key']}")
    assert direct.status_code == 302 and direct.headers["Location"].endswith("/progress")


def test_bad_input_is_shown_next_to_the_field(client: Any, services: Any, item: dict[str, Any]) -> None:
    response = look_up(client, "", "80a0")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "请输入办件编号" in html and "请输入 4 位数字" in html


def test_a_phone_that_was_never_given_matches_nothing(
    client: Any, services: Any, item: dict[str, Any]
) -> None:
    iid = start_item(services, "jiban", {"applicant": "无电话"})
    key = describe(services, iid)["business_key"]
    for suffix in ("0000", "\x00\x00\x00\x00"):
        assert look_up(client, key, suffix).status_code in (400, 404)
    assert applicant.phone_matches(None, "0000") is False
    assert applicant.phone_matches("+86 138 0013 8000", "8000") is True


def test_the_page_shows_nothing_else_of_the_item(client: Any, services: Any, item: dict[str, Any]) -> None:
    look_up(client, item["key"], "8000")
    html = client.get(f"/progress/{item['key']}").get_data(as_text=True)
    for secret in SECRETS:
        assert secret not in html, secret
    # the same after completion (outcome shown, still nothing else)
    finish(services, item["id"])
    html = client.get(f"/progress/{item['key']}").get_data(as_text=True)
    assert "办结" in html and "已办结" in html
    for secret in [*SECRETS, "LB-1", "approve"]:
        assert secret not in html, secret
    # a finished item can still be looked up
    assert look_up(client.application.test_client(), item["key"], "8000").status_code == 302


def test_failed_lookups_are_rate_limited_per_client(
    app: Any, services: Any, item: dict[str, Any], monkeypatch: Any
) -> None:
    client = app.test_client()
    for _ in range(10):
        assert look_up(client, item["key"], "1234").status_code == 404
    blocked = look_up(client, item["key"], "8000")  # even the right suffix, for now
    assert blocked.status_code == 429
    assert "查询失败次数过多" in blocked.get_data(as_text=True)
    # another client address is not affected
    other = look_up(app.test_client(), item["key"], "8000", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code == 302
    # ten minutes later the first client may try again
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 601)
    assert look_up(client, item["key"], "8000").status_code == 302


def test_successful_lookups_are_not_counted(app: Any, services: Any, item: dict[str, Any]) -> None:
    client = app.test_client()
    for _ in range(12):
        assert look_up(client, item["key"], "8000").status_code == 302


# --- rating --------------------------------------------------------------------------------------------


def test_rating_once_after_completion(client: Any, services: Any, item: dict[str, Any]) -> None:
    look_up(client, item["key"], "8000")
    page = client.get(f"/progress/{item['key']}").get_data(as_text=True)
    assert 'id="rating"' not in page  # not before completion
    early = client.post(f"/progress/{item['key']}/rating", data={"level": "satisfied"}, follow_redirects=True)
    assert "办件办结后才能评价" in early.get_data(as_text=True)

    finish(services, item["id"])
    assert 'id="rating"' in client.get(f"/progress/{item['key']}").get_data(as_text=True)
    bad = client.post(f"/progress/{item['key']}/rating", data={"level": "delighted"})
    assert bad.status_code == 400
    done = client.post(
        f"/progress/{item['key']}/rating",
        data={"level": "basically", "comment": "等待时间稍长"},
        follow_redirects=True,
    )
    html = done.get_data(as_text=True)
    assert "感谢您的评价" in html and 'id="rated"' in html and 'id="rating"' not in html
    again = client.post(
        f"/progress/{item['key']}/rating", data={"level": "not_satisfied"}, follow_redirects=True
    )
    assert "已评价过" in again.get_data(as_text=True)
    with services.transaction() as s:
        rows = [(r.level, r.comment) for r in s.query(Rating)]
    assert rows == [("basically", "等待时间稍长")]


def test_rating_needs_a_lookup_in_this_session(app: Any, services: Any, item: dict[str, Any]) -> None:
    finish(services, item["id"])
    response = app.test_client().post(f"/progress/{item['key']}/rating", data={"level": "satisfied"})
    assert response.status_code == 403
    with services.transaction() as s:
        assert s.query(Rating).count() == 0


# --- complaints ----------------------------------------------------------------------------------------

COMPLAINT = {
    "channel": "on_site",
    "complainant": "赵六",
    "contact": "139 1234 5678",
    "address": "某县城关镇 12 号",
    "content": "审查意见迟迟不出",
}


def test_public_complaint_starts_the_process_and_the_silent_window_is_warned(
    client: Any, services: Any, item: dict[str, Any], clock: Any
) -> None:
    response = client.post("/complaints/new", data={**COMPLAINT, "receipt": item["key"]})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "投诉已登记" in html
    with services.transaction() as s:
        row = s.query(Complaint).one()
        complaint_id, process_id = row.id, row.process_instance_id
        assert (row.channel, row.complainant, row.contact, row.window, row.about_instance_id) == (
            "on_site",
            "赵六",
            "139 1234 5678",
            "shichang",
            item["id"],
        )
    key = describe(services, process_id)["business_key"]
    assert f'id="complaint-number">{key}<' in html

    register = task(services, process_id, "register")
    assert (register["window"], register["form_key"]) == ("supervision", "complaint_register")
    complete(services, register["id"], {"window": "huanbao"}, actor="supervisor")
    answer = task(services, process_id, "answer")
    assert (answer["window"], answer["form_key"]) == ("huanbao", "complaint_answer")
    data = describe(services, process_id)["data"]
    assert data["content"] == "审查意见迟迟不出"
    assert not any(v in repr(data) for v in ("赵六", "139 1234 5678", "城关镇"))  # confidential

    advance_to(services, clock, local("2026-10-20", "09:00"))  # past the 5 working days
    with services.transaction() as s:
        warned = [
            (w.level, w.window) for w in s.query(WarningEvent).filter(WarningEvent.instance_id == process_id)
        ]
        assert warned == [("yellow", "huanbao")]
        assert applicant.sync_complaint(s, complaint_id)["state"] == "forwarded"


def test_complaint_errors_are_shown_next_to_the_fields(
    client: Any, services: Any, item: dict[str, Any]
) -> None:
    response = client.post("/complaints/new", data={**COMPLAINT, "content": "", "contact": "call me"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "请填写投诉内容" in html and "请填写有效的电话号码" in html
    unknown = client.post("/complaints/new", data={**COMPLAINT, "receipt": "2026-999999"})
    assert unknown.status_code == 400
    assert "没有这个办件编号" in unknown.get_data(as_text=True)
    with services.transaction() as s:
        assert s.query(Complaint).count() == 0


def test_public_complaints_are_rate_limited(app: Any, services: Any, item: dict[str, Any]) -> None:
    client = app.test_client()
    for _ in range(5):
        assert client.post("/complaints/new", data=COMPLAINT).status_code == 200
    assert client.post("/complaints/new", data=COMPLAINT).status_code == 429
    with services.transaction() as s:
        assert s.query(Complaint).count() == 5


def test_the_supervision_office_registers_and_lists_complaints(
    services: Any, item: dict[str, Any], make_user: Any, signed_in: Any
) -> None:
    make_user("supervisor", ("supervision", "supervisor"), name="督查股老陈")
    clerk = signed_in("clerk_sc")
    for url in ("/complaints", "/complaints/register"):
        assert clerk.get(url).status_code == 403
    office = signed_in("supervisor")
    form = office.get("/complaints/register")
    assert form.status_code == 200 and "被投诉窗口" in form.get_data(as_text=True)
    response = office.post("/complaints/register", data={**COMPLAINT, "channel": "letter", "window": "guotu"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/complaints")
    listing = office.get("/complaints").get_data(as_text=True)
    assert (
        "赵六" in listing and "139 1234 5678" in listing and "信函" in listing and "国土资源窗口" in listing
    )  # the name, not the code (21.12)
    with services.transaction() as s:
        row = s.query(Complaint).one()
        assert (row.channel, row.window) == ("letter", "guotu")
    # the process waits for the office to confirm the registration; its data has no complainant
    view = describe(services, row.process_instance_id)
    assert [t["form_key"] for t in view["tasks"]] == ["complaint_register"]
    assert view["data"]["window"] == "guotu" and "赵六" not in repr(view["data"])


def test_lookup_without_csrf_token_is_refused(csrf_app: Any, services: Any, item: dict[str, Any]) -> None:
    response = csrf_app.test_client().post("/progress", data={"receipt": item["key"], "phone_suffix": "8000"})
    assert response.status_code == 400


def test_the_complaint_forms_channels_are_in_the_pages_language(client):
    """The 投诉方式 choices (现场, 电话, 信函) are words of the page, not stored codes' Chinese names."""
    english = client.get("/complaints/new?lang=en").get_data(as_text=True)
    channels = english.split('name="channel"')[1].split("</select>")[0]
    assert ">On site<" in channels and ">Phone<" in channels and ">Letter<" in channels, channels
    chinese = client.get("/complaints/new?lang=zh_CN").get_data(as_text=True)
    assert ">现场<" in chinese.split('name="channel"')[1].split("</select>")[0]


def test_the_english_progress_page_has_english_dates_and_state(
    client: Any, services: Any, item: dict[str, Any]
) -> None:
    """The progress page is a web page, not a printed notice: in English its state and dates are English
    (they were 办理中 and 2026年10月27日 between English labels); the Chinese page keeps Chinese dates."""
    look_up(client, item["key"], "8000")
    english = client.get(f"/progress/{item['key']}?lang=en").get_data(as_text=True)
    assert "27 October 2026" in english and "28 September 2026" in english and "In progress" in english
    assert "年" not in english.split('id="status"')[1].split("</section>")[0]
    chinese = client.get(f"/progress/{item['key']}?lang=zh_CN").get_data(as_text=True)
    assert "2026年10月27日" in chinese and "办理中" in chinese

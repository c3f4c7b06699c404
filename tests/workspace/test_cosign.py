"""加签 / 减签 in the workspace and over the API: the lead window grows and shrinks a running 抄告制 review;
anybody else gets 403 and nothing changes."""

from __future__ import annotations

from html import unescape
from typing import Any

import pytest
from sqlalchemy import func, select

import runner
from runner.models import AuditEntry
from tests.bpmn.test_lianban_chaogao import FILES, KEY, accept, review
from tests.support.flow import deploy_library, start_item, tasks
from webapp import create_app


@pytest.fixture
def joint(services: runner.Services, make_user: Any) -> dict[str, Any]:
    """A 抄告制 item led by shichang, in review by guotu (answered), huanbao and guihua."""
    make_user("sc1", ("shichang", "clerk"), name="市场甲")
    make_user("schead", ("shichang", "window_head"), name="市场科长")
    make_user("gt1", ("guotu", "clerk"), name="国土甲")
    make_user("sb1", ("shebao", "clerk"), name="社保甲")
    deploy_library(services, *FILES)
    iid = start_item(services, KEY, {"lead_window": "shichang", "applicant": "张三"}, actor="sc1")
    accept(services, iid)
    review(services, iid, "guotu", result="agree")
    with services.transaction() as s:
        return {"id": iid, "business_key": runner.get_instance(s, iid).business_key}


def audit_count(services: runner.Services) -> int:
    with services.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def review_windows(services: runner.Services, iid: int) -> list[str]:
    return sorted(t["window"] for t in tasks(services, iid) if t["spec_name"] == "review")


def test_lead_window_adds_and_removes_on_the_page(
    services: runner.Services, joint: dict[str, Any], signed_in: Any
) -> None:
    url = f"/items/{joint['business_key']}/reviewers"
    sc = signed_in("sc1")
    assert "加签 / 减签" in unescape(sc.get(f"/items/{joint['business_key']}").get_data(as_text=True))
    page = unescape(sc.get(url).get_data(as_text=True))
    assert 'data-member="guotu"' in page and "已答复" in page and "审查中" in page

    missing = sc.post(url, data={"action": "add", "window": "shebao", "reason": " "})
    assert missing.status_code == 400 and "须写明理由" in unescape(missing.get_data(as_text=True))
    assert review_windows(services, joint["id"]) == ["guihua", "huanbao"]

    done = sc.post(url, data={"action": "add", "window": "shebao", "reason": "涉及参保登记"})
    assert done.status_code == 302
    assert review_windows(services, joint["id"]) == ["guihua", "huanbao", "shebao"]

    answered = sc.post(url, data={"action": "remove", "window": "guotu", "reason": "x"})
    assert answered.status_code == 400 and "已答复" in unescape(answered.get_data(as_text=True))

    head = signed_in("schead")
    assert (
        head.post(url, data={"action": "remove", "window": "guihua", "reason": "不涉及规划"}).status_code
        == 302
    )
    assert review_windows(services, joint["id"]) == ["huanbao", "shebao"]
    with services.transaction() as s:
        entries = list(
            s.scalars(
                select(AuditEntry)
                .where(AuditEntry.action.in_(["add_reviewer", "remove_reviewer"]))
                .order_by(AuditEntry.id)
            )
        )
    assert [(e.action, e.actor, e.detail["item"]) for e in entries] == [
        ("add_reviewer", "sc1", "shebao"),
        ("remove_reviewer", "schead", "guihua"),
    ]
    english = unescape(sc.get(url + "?lang=en").get_data(as_text=True))
    assert "Add a reviewer" in english and "answered" in english


@pytest.mark.parametrize(
    ("who", "form"),
    [
        ("gt1", {"action": "add", "window": "shebao", "reason": "r"}),  # a reviewing window, not the lead
        ("sb1", {"action": "add", "window": "shebao", "reason": "r"}),  # an uninvolved window
        ("gt1", {"action": "remove", "window": "guihua", "reason": "r"}),
        ("sb1", {"action": "remove", "window": "guihua", "reason": "r"}),
    ],
)
def test_others_are_refused(
    services: runner.Services, joint: dict[str, Any], signed_in: Any, who: str, form: dict[str, str]
) -> None:
    url = f"/items/{joint['business_key']}/reviewers"
    before = audit_count(services)
    client = signed_in(who)
    assert client.get(url).status_code == 403
    assert client.post(url, data=form).status_code == 403
    assert audit_count(services) == before
    assert review_windows(services, joint["id"]) == ["guihua", "huanbao"]


def test_over_the_api(services: runner.Services, joint: dict[str, Any]) -> None:
    app = create_app({"TESTING": True, "SERVICES": services, "API_TOKENS": "t-sc=sc1,t-gt=gt1"})
    api = app.test_client()
    url = f"/api/instances/{joint['id']}/reviewers"
    sc, gt = {"Authorization": "Bearer t-sc"}, {"Authorization": "Bearer t-gt"}
    before = audit_count(services)
    assert api.get(url, headers=gt).status_code == 403
    assert api.post(url, json={"window": "shebao", "reason": "r"}, headers=gt).status_code == 403
    assert api.post(url + "/remove", json={"window": "guihua", "reason": "r"}, headers=gt).status_code == 403
    assert audit_count(services) == before
    assert api.post(url, json={"window": "shebao"}, headers=sc).status_code == 400
    assert api.post(url, json={"window": "nowhere", "reason": "r"}, headers=sc).status_code == 400
    assert api.post(url, json={"window": "shichang", "reason": "r"}, headers=sc).status_code == 400
    added = api.post(url, json={"window": "shebao", "reason": "涉及参保"}, headers=sc)
    assert added.status_code == 200, added.get_json()
    [block] = added.get_json()["blocks"]
    assert {m["item"]: m["state"] for m in block["members"]} == {
        "guotu": "answered",
        "huanbao": "open",
        "guihua": "open",
        "shebao": "open",
    }
    refused = api.post(url + "/remove", json={"window": "guotu", "reason": "r"}, headers=sc)
    assert refused.status_code == 409
    removed = api.post(url + "/remove", json={"window": "guihua", "reason": "不涉及"}, headers=sc)
    assert removed.status_code == 200
    assert [m["item"] for m in removed.get_json()["blocks"][0]["members"]] == ["guotu", "huanbao", "shebao"]
    assert api.get(url, headers=sc).get_json()["blocks"][0]["block"] == "joint_review"

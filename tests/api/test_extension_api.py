"""延期 requests and warnings over the JSON API: same rules as the workspace (403, nothing changed)."""

from __future__ import annotations

from typing import Any

import pytest

import runner
from runner.models import WarningEvent

from ..runner.helpers import DATA
from .clients import api_client

USERS = {
    "t-sb1": ("sb1", "sb1", [("shebao", "clerk")]),
    "t-head": ("sbhead", "sbhead", [("shebao", "window_head")]),
    "t-gt1": ("gt1", "gt1", [("guotu", "clerk")]),
}


@pytest.fixture
def client(services: runner.Services) -> Any:
    client = api_client(services, USERS)
    with services.transaction() as s:
        runner.deploy(s, (DATA / "review.bpmn").read_bytes(), "review.bpmn", actor="designer")
    return client


def auth(who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer t-{who}"}


def test_request_and_decide(client: Any, services: runner.Services) -> None:
    item = client.post(
        "/api/instances", json={"key": "review", "data": {"statutory_days": 20}}, headers=auth("sb1")
    ).get_json()
    url = f"/api/instances/{item['id']}/extension-requests"
    assert client.post(url, json={"days": 3, "reason": "x"}, headers=auth("gt1")).status_code == 403
    assert client.post(url, json={"days": 11, "reason": "x"}, headers=auth("sb1")).status_code == 400
    asked = client.post(url, json={"days": 3, "reason": "需检测"}, headers=auth("sb1"))
    assert asked.status_code == 201, asked.get_json()
    request_id = asked.get_json()["request_id"]
    assert client.post(url, json={"days": 1, "reason": "再"}, headers=auth("sb1")).status_code == 409
    decide = f"/api/extension-requests/{request_id}/decide"
    assert client.post(decide, json={"decision": "approve"}, headers=auth("sb1")).status_code == 403
    assert client.post(decide, json={"decision": "maybe"}, headers=auth("head")).status_code == 400
    assert client.post(decide, json={"decision": "refuse"}, headers=auth("head")).status_code == 400
    done = client.post(decide, json={"decision": "approve"}, headers=auth("head"))
    assert done.status_code == 200 and done.get_json()["granted"] == 3
    assert done.get_json()["deadline"] > item["deadline"]
    assert client.post(decide, json={"decision": "approve"}, headers=auth("head")).status_code == 409
    assert client.post("/api/extension-requests/999/decide", json={"decision": "approve"},
                       headers=auth("head")).status_code == 404  # fmt: skip


def test_my_warnings(client: Any, services: runner.Services) -> None:
    item = client.post("/api/instances", json={"key": "review"}, headers=auth("sb1")).get_json()
    with services.transaction() as s:
        s.add(WarningEvent(instance_id=item["id"], window="shebao", rule="黄牌", level="yellow",
                           message="超期", created_at=services.now()))  # fmt: skip
    (mine,) = client.get("/api/warnings?state=open", headers=auth("sb1")).get_json()["warnings"]
    assert (mine["level"], mine["business_key"]) == ("yellow", item["business_key"])
    assert client.get("/api/warnings", headers=auth("gt1")).get_json()["warnings"] == []
    assert client.get("/api/warnings?state=x", headers=auth("sb1")).status_code == 400
    url = f"/api/warnings/{mine['id']}/acknowledge"
    assert client.post(url, json={"reply": "已整改"}, headers=auth("sb1")).status_code == 200
    assert client.get("/api/warnings?state=open", headers=auth("sb1")).get_json()["warnings"] == []
    (answered,) = client.get("/api/warnings?state=answered", headers=auth("sb1")).get_json()["warnings"]
    assert answered["reply"] == "已整改"

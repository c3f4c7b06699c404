"""``POST /api/instances`` with ``item``: the catalogue's parameters; the ``key`` form stays."""

from __future__ import annotations

import pytest

from runner.catalogue import items
from runner.people import directory
from tests.support.catalogue import demo
from tests.support.flow import deploy_library
from webapp import create_app


@pytest.fixture
def client(services):
    deploy_library(services, "block_correction.bpmn", "block_refusal.bpmn", "chengnuo.bpmn")
    with services.transaction() as s:
        directory.create_user(s, "clerk_a", "市场甲", "banjian2026", [("shichang", "clerk")])
        items.save_item(s, demo("SC-001"), actor="admin")
    app = create_app({"TESTING": True, "SERVICES": services, "API_TOKENS": "t-clerk=clerk_a"})
    return app.test_client()


def post(client, body):
    return client.post("/api/instances", json=body, headers={"Authorization": "Bearer t-clerk"})


def test_an_item_starts_with_the_catalogues_parameters(client):
    started = post(client, {"item": "SC-001", "data": {"applicant": "张三", "promised_days": 99}})
    assert started.status_code == 201, started.get_json()
    view = started.get_json()
    assert (view["title"], view["promised_days"], view["statutory_days"]) == ("食品经营许可（新办）", 10, 20)
    assert view["lead_window"] == "shichang"
    assert [t["form_key"] for t in view["tasks"]] == ["acceptance"]
    detail = client.get(
        f"/api/instances/{view['id']}", headers={"Authorization": "Bearer t-clerk"}
    ).get_json()
    assert detail["data"]["materials_list"][0] == "食品经营许可申请书"
    assert detail["data"]["item_code"] == "SC-001"


def test_an_unknown_item_or_a_mixed_body_is_refused(client):
    unknown = post(client, {"item": "NOPE"})
    assert unknown.status_code == 404 and unknown.get_json()["code"] == "no_such_item"
    mixed = post(client, {"item": "SC-001", "key": "chengnuo"})
    assert mixed.status_code == 400
    by_key = post(client, {"key": "chengnuo", "data": {"applicant": "王五"}})
    assert by_key.status_code == 201 and by_key.get_json()["promised_days"] == 10

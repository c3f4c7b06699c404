"""The 好差评 export for the provincial platform (``GET /api/ratings/export``, format banjian-haoping/1)."""

from __future__ import annotations

from typing import Any

import pytest

import runner
from runner.applicants import ratings
from runner.people import directory
from tests.support.flow import complete, deploy_library, describe, start_item, task
from webapp import create_app


@pytest.fixture
def client(services: Any) -> Any:
    deploy_library(
        services, "block_correction.bpmn", "block_refusal.bpmn", "jiban.bpmn", "rectification.bpmn"
    )
    with services.transaction() as s:
        directory.create_user(s, "sup", "督查员", "banjian2026", [("supervision", "supervisor")])
        directory.create_user(s, "clerk_sc", "市场甲", "banjian2026", [("shichang", "clerk")])
        directory.create_user(s, "province", "省好差评系统", "banjian2026", [("centre", "system")])
    app = create_app({"TESTING": True, "SERVICES": services, "CENTRE_NAME": "示例政务服务中心",
                      "API_TOKENS": "t-sup=sup,t-clerk=clerk_sc,t-prov=province"})  # fmt: skip
    return app.test_client()


def test_export_lists_ratings_and_rectifications_without_contacts(client: Any, services: Any) -> None:
    iid = start_item(services, "jiban", {"applicant": "王五", "lead_window": "shichang"})
    key = describe(services, iid)["business_key"]
    with services.transaction() as s:
        ratings.give_rating(s, key, level="very_dissatisfied", channel="counter", occasion="acceptance",
                            indicators={"efficiency": "not_satisfied"}, comment="排队太久", named=True,
                            rater_name="王五", rater_phone="13900001111")  # fmt: skip
        rect = s.query(runner.models.Rectification).one()
        pid = rect.process_instance_id
    complete(services, task(services, pid, "verify")["id"], {"verdict": "founded", "window": "shichang",
             "verify_note": "属实"})  # fmt: skip

    response = client.get("/api/ratings/export?start=2026-09-01&end=2026-09-30",
                          headers={"Authorization": "Bearer t-prov"})  # fmt: skip
    assert response.status_code == 200
    doc = response.get_json()
    assert (doc["format"], doc["centre"], doc["period"]) == (
        "banjian-haoping/1", "示例政务服务中心", {"start": "2026-09-01", "end": "2026-09-30"})  # fmt: skip
    [rating] = doc["ratings"]
    assert {k: rating[k] for k in ("receipt_number", "item_code", "item_kind", "window", "level", "score",
                                   "channel", "occasion", "comment", "named")} == {
        "receipt_number": key, "item_code": None, "item_kind": "immediate", "window": "shichang",
        "level": "very_dissatisfied", "score": 1, "channel": "counter", "occasion": "acceptance",
        "comment": "排队太久", "named": True}  # fmt: skip
    assert rating["indicators"] == [
        {"code": "efficiency", "label": "服务效率", "level": "not_satisfied", "score": 2}
    ]
    [rectification] = doc["rectifications"]
    assert (rectification["receipt_number"], rectification["state"], rectification["verdict"]) == (
        key, "pending", "founded")  # fmt: skip
    assert "13900001111" not in response.get_data(as_text=True) and "王五" not in response.get_data(
        as_text=True
    )
    # another month has nothing; bad periods and other roles are refused
    empty = client.get(
        "/api/ratings/export?start=2026-10-01&end=2026-10-31", headers={"Authorization": "Bearer t-sup"}
    )
    assert empty.get_json()["ratings"] == []
    bad = client.get(
        "/api/ratings/export?start=2026-10-31&end=2026-10-01", headers={"Authorization": "Bearer t-sup"}
    )
    assert bad.status_code == 400
    assert client.get("/api/ratings/export?start=2026-09-01&end=2026-09-30",
                      headers={"Authorization": "Bearer t-clerk"}).status_code == 403  # fmt: skip


@pytest.mark.parametrize(("start", "end"), [("9999-12-31", "9999-12-31"), ("0001-01-01", "0001-01-31")])
def test_an_export_period_at_the_end_of_the_calendar_is_a_bad_request(
    client: Any, start: str, end: str
) -> None:
    response = client.get(
        f"/api/ratings/export?start={start}&end={end}", headers={"Authorization": "Bearer t-sup"}
    )
    assert response.status_code == 400

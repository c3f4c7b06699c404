"""``GET /api/instances/<id>`` says which year's holiday arrangement a pending deadline waits for."""

from __future__ import annotations

import pytest

import runner
from runner.people import directory
from tests.support.flow import deploy_library, local, start_item
from tests.support.year_end import import_2027, needs_2027
from webapp import create_app

pytestmark = pytest.mark.skipif(not needs_2027(), reason="a newer chinesecalendar knows 2027")


@pytest.fixture
def client(services):
    deploy_library(services, "block_correction.bpmn", "block_refusal.bpmn", "shebao_transfer.bpmn")
    with services.transaction() as s:
        directory.create_user(s, "clerk", "社保甲", "banjian2026", [("shebao", "clerk")])
        runner.seed_warning_rules(s)
    app = create_app({"TESTING": True, "SERVICES": services, "API_TOKENS": "t-clerk=clerk"})
    return app.test_client()


def test_the_api_names_the_missing_year_then_the_dates(services, clock, client) -> None:
    clock.set(local("2026-12-21", "10:00"))
    iid = start_item(services, "shebao_transfer", {"applicant": "王五", "old_office": "某市社保局"})
    headers = {"Authorization": "Bearer t-clerk"}
    body = client.get(f"/api/instances/{iid}", headers=headers).get_json()
    assert body["status"] == "running" and body["incidents"] == []
    assert (body["deadline"], body["deadline_pending_year"]) == (None, 2027)
    assert (body["statutory_deadline"], body["statutory_pending_year"]) == (None, 2027)
    assert body["calendar_pending"]["year"] == 2027
    assert body["calendar_pending"]["message"] == "待 2027 年节假日安排公布后确定"
    [review] = body["tasks"]
    assert (review["due_at"], review["due_pending_year"]) == (None, 2027)
    assert {t["status"] for t in body["timers"]} == {"unarmed"}
    assert {t["pending_year"] for t in body["timers"]} == {2027}
    same = client.get(f"/api/instances/by-key/{body['business_key']}", headers=headers).get_json()
    assert same["calendar_pending"] == body["calendar_pending"]

    import_2027(services)
    body = client.get(f"/api/instances/{iid}", headers=headers).get_json()
    assert body["calendar_pending"] is None and body["deadline_pending_year"] is None
    assert body["tasks"][0]["due_at"] == "2027-01-11T15:59:59+00:00"  # 15 working days (Sat 01-09 worked)
    assert {t["status"] for t in body["timers"]} == {"pending"}

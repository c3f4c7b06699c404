"""``POST /api/instances``: who may supply a receipt number, and every odd body a clear 4xx, never a 500."""

from __future__ import annotations

import pytest

import runner
from runner.people import directory

from ..runner.helpers import DATA
from .clients import api_client

USERS = {
    "t-clerk": ("clerk_a", "社保甲", [("shebao", "clerk")]),
    "t-admin": ("admin", "管理员", [("shebao", "admin")]),
    "t-hall": ("hall", "网上大厅", [("shebao", "system")]),
}


@pytest.fixture
def client(services):
    client = api_client(services, USERS)
    with services.transaction() as s:
        runner.deploy(s, (DATA / "review.bpmn").read_bytes(), "review.bpmn", actor="admin")
    return client


def start(client, token: str, **body):
    return client.post(
        "/api/instances", json={"key": "review", **body}, headers={"Authorization": f"Bearer {token}"}
    )


def test_only_a_system_account_may_supply_a_receipt_number(client) -> None:
    for token in ("t-clerk", "t-admin"):
        refused = start(client, token, business_key="HALL-2025-000001")
        assert refused.status_code == 403, refused.get_json()
        assert refused.get_json()["code"] == "permission_denied"
        assert "系统账户" in refused.get_json()["message"]
    migrated = start(client, "t-hall", business_key="HALL-2025-000001")
    assert migrated.status_code == 201 and migrated.get_json()["business_key"] == "HALL-2025-000001"
    again = start(client, "t-hall", business_key="HALL-2025-000001")
    assert again.status_code == 409 and again.get_json()["code"] == "duplicate_business_key"


@pytest.mark.parametrize(
    "key",
    [
        "2026-000002",
        "../../etc/passwd",
        "<script>alert(1)</script>",
        "H" * 5000,
        "HALL-1\r\nX: 1",
        "=HYPERLINK(1)",
    ],
)
def test_a_system_account_cannot_take_a_number_of_the_platform_or_an_odd_one(client, key: str) -> None:
    refused = start(client, "t-hall", business_key=key)
    assert refused.status_code == 400, refused.get_json()
    assert refused.get_json()["code"] == "invalid_input"
    # every later start still gets the counter's next number
    for expected in ("2026-000001", "2026-000002"):
        started = start(client, "t-clerk")
        assert started.status_code == 201 and started.get_json()["business_key"] == expected


@pytest.mark.parametrize("version", [2**31, 99999999999, -(2**31) - 1, 10**30])
def test_a_version_out_of_range_is_a_bad_request(client, version: int) -> None:
    response = start(client, "t-clerk", version=version)
    assert response.status_code == 400, response.get_json()
    assert {"code", "message"} <= set(response.get_json())


def test_nul_bytes_in_the_body_are_a_bad_request(client) -> None:
    for body in ({"title": "a\x00b"}, {"data": {"applicant": "张\x00三"}}, {"data": {"a\x00": 1}}):
        response = start(client, "t-clerk", **body)
        assert response.status_code == 400, response.get_json()
        assert response.get_json()["code"] == "bad_request"
    lookup = client.get("/api/instances/by-key/a%00b", headers={"Authorization": "Bearer t-admin"})
    assert lookup.status_code == 400 and lookup.get_json()["code"] == "bad_request"
    huge = client.get("/api/instances/99999999999", headers={"Authorization": "Bearer t-admin"})
    assert huge.status_code == 404 and {"code", "message"} <= set(huge.get_json())


def test_a_start_checks_its_caller_in_its_own_transaction(client, services) -> None:
    """One database session per start (the caller is checked inside the start's transaction, not in a read of
    its own before it), and a refused caller still learns nothing: 403 before the body is looked at."""
    from sqlalchemy import event

    checkouts: list[int] = []
    began: list[int] = []

    def checkout(*_: object) -> None:
        checkouts.append(1)

    def begin(*_: object) -> None:
        began.append(1)

    event.listen(services.engine, "checkout", checkout)
    event.listen(services.engine, "begin", begin)
    try:
        assert start(client, "t-clerk").status_code == 201
        assert len(began) == 1 and len(checkouts) <= 1  # a connection the pool kept may still be checked out
        refused = client.post(
            "/api/instances", data=b"{not json", headers={"Authorization": "Bearer t-nobody"}
        )
        assert refused.status_code == 401
        with services.transaction() as s:
            directory.set_active(s, "clerk_a", False, actor="admin")
        refused = client.post(
            "/api/instances", data=b"{not json", headers={"Authorization": "Bearer t-clerk"}
        )
        assert refused.status_code == 403, refused.get_json()
    finally:
        event.remove(services.engine, "checkout", checkout)
        event.remove(services.engine, "begin", begin)

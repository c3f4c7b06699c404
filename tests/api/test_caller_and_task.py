"""A completion's first statement reads the caller and the task together (``api.access.READ_WITH_CALLER``):
one round trip, and every answer the two separate reads gave — the refusals included."""

from __future__ import annotations

from typing import Any

import pytest

import runner
from runner.people import directory
from tests.support.statements import statements

from .clients import api_client
from .test_api import auth, deploy


@pytest.fixture
def client(services: runner.Services) -> Any:
    """The API with a shebao clerk, a guotu clerk and an inactive shebao clerk."""
    client = api_client(
        services,
        {
            "t-designer": ("designer", "设计员", [("shebao", "designer")]),
            "t-clerk": ("clerk_a", "社保甲", [("shebao", "clerk")]),
            "t-guotu": ("gt_clerk", "国土甲", [("guotu", "clerk")]),
            "t-gone": ("gone", "离职", [("shebao", "clerk")]),
        },
    )
    with services.transaction() as s:
        directory.set_active(s, "gone", False, actor="admin")
    return client


@pytest.fixture
def item(client: Any) -> dict[str, Any]:
    """A started review item: one open task, in window shebao."""
    assert deploy(client).status_code == 201
    started = client.post(
        "/api/instances",
        json={"key": "review", "data": {"applicant": "李四", "complete": False}},
        headers=auth(),
    )
    assert started.status_code == 201, started.get_json()
    return started.get_json()  # type: ignore[no-any-return]


def _complete(client: Any, task_id: str, token: str = "t-clerk") -> Any:
    return client.post(
        f"/api/tasks/{task_id}/complete",
        json={"data": {"applicant": "李四", "eligible": True}},
        headers=auth(token),
    )


def test_a_clerk_completing_reads_caller_and_task_in_one_statement(
    client: Any, item: dict[str, Any], db_engine: Any
) -> None:
    [task] = item["tasks"]
    with statements(db_engine, keep=lambda sql: sql.startswith("SELECT")) as reads:
        done = _complete(client, task["id"])
    assert done.status_code == 200 and done.get_json()["status"] == "completed", done.get_json()
    assert "FROM users" in reads[0] and "open_tasks" in reads[0]  # the caller's rows and the task's, together
    assert not [sql for sql in reads[1:] if "FROM users" in sql or "FROM open_tasks" in sql], reads


def test_the_refusals_are_those_of_two_reads(
    client: Any, item: dict[str, Any], services: runner.Services
) -> None:
    [task] = item["tasks"]
    other_window = _complete(client, task["id"], "t-guotu")
    assert other_window.status_code == 403 and "shebao" in other_window.get_json()["message"]
    inactive = _complete(client, task["id"], "t-gone")
    assert inactive.status_code == 403 and "not an active directory user" in inactive.get_json()["message"]
    unknown = _complete(client, "no-such-task")
    assert unknown.status_code == 404 and unknown.get_json()["code"] == "no_such_task"
    assert _complete(client, task["id"]).status_code == 200
    again = _complete(client, task["id"])
    assert again.status_code == 409 and "clerk_a" in again.get_json()["message"]
    with services.transaction() as s:
        assert runner.verify_audit(s) == []

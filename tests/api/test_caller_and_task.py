"""A completion's first statement reads the caller and the task together (``api.access.READ_WITH_CALLER``):
one round trip, and every answer the two separate reads gave — the refusals included."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

import runner
from runner.items.tasks import identify_reading_task
from runner.models import OpenTask, User
from runner.people import directory
from tests.support.statements import statements

from .clients import api_client
from .test_api import auth, deploy


@pytest.fixture
def client(services: runner.Services) -> Any:
    """The API with a shebao clerk, a guotu clerk, an inactive shebao clerk and the shebao window's head."""
    client = api_client(
        services,
        {
            "t-designer": ("designer", "设计员", [("shebao", "designer")]),
            "t-clerk": ("clerk_a", "社保甲", [("shebao", "clerk")]),
            "t-guotu": ("gt_clerk", "国土甲", [("guotu", "clerk")]),
            "t-gone": ("gone", "离职", [("shebao", "clerk")]),
            "t-head": ("zhang_head", "社保组长", [("shebao", "window_head")]),
        },
    )
    with services.transaction() as s:
        directory.set_active(s, "gone", False, actor="admin")
    return client


def _started(client: Any, *, complete: bool) -> dict[str, Any]:
    """A started review item: one open task (受理), in window shebao; completing it opens 决定 there when
    ``complete``, else ends the item."""
    assert deploy(client).status_code == 201
    started = client.post(
        "/api/instances",
        json={"key": "review", "data": {"applicant": "李四", "complete": complete}},
        headers=auth(),
    )
    assert started.status_code == 201, started.get_json()
    return started.get_json()  # type: ignore[no-any-return]


@pytest.fixture
def item(client: Any) -> dict[str, Any]:
    """A started review item whose one open task ends it."""
    return _started(client, complete=False)


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


def _started_to_decide(client: Any) -> str:
    """A started review item whose 受理 opens 决定 in window shebao when completed: the 受理 task's id."""
    [task] = _started(client, complete=True)["tasks"]
    return str(task["id"])


def _staffing_reads(reads: list[str]) -> list[str]:
    return [sql for sql in reads if sql.startswith("SELECT DISTINCT memberships")]


@pytest.mark.parametrize("at_work", [True, False])
def test_the_staffing_of_the_windows_comes_along_with_the_first_read(
    client: Any, services: runner.Services, db_engine: Any, at_work: bool
) -> None:
    """A step that opens a task in a window asks whether the window has a clerk at work (else the task goes to
    its head): the completion's first statement brought the answer."""
    task_id = _started_to_decide(client)
    if not at_work:  # the window's one active clerk is away: its head covers
        with services.transaction() as s:
            directory.mark_absent(
                s, "clerk_a", "zhang_head", services.now(), None, "病假", actor="zhang_head"
            )
    with statements(db_engine, keep=lambda sql: sql.startswith("SELECT")) as reads:
        done = _complete(client, task_id)
    assert done.status_code == 200, done.get_json()
    [decide] = done.get_json()["tasks"]
    assert decide["spec_name"] == "decide" and decide["window"] == "shebao"
    assert decide["assignee"] == (None if at_work else "zhang_head")
    assert _staffing_reads(reads) == [] and "staffed_windows" in reads[0], reads


@pytest.mark.parametrize("how", ["unwritten", "flushed", "by statement"])
def test_people_changed_after_the_first_read_are_seen(
    client: Any, services: runner.Services, db_engine: Any, how: str
) -> None:
    """The staffing read along is the transaction's first view of it: once the transaction changes people (the
    change not written yet, flushed before the step, or an UPDATE of its own), the look-up asks again."""
    task_id = _started_to_decide(client)
    with (
        statements(db_engine, keep=lambda sql: sql.startswith("SELECT")) as reads,
        services.transaction() as s,
    ):
        person, _ = identify_reading_task(s, "clerk_a", task_id)
        assert person is not None
        if how == "by statement":  # the window's one active clerk leaves
            s.execute(update(User).where(User.username == "clerk_a").values(is_active=False))
        else:  # ... or is away
            directory.mark_absent(
                s, "clerk_a", "zhang_head", services.now(), None, "病假", actor="zhang_head"
            )
        if how == "flushed":
            s.flush()
        runner.complete(s, task_id, {"applicant": "李四", "eligible": True}, actor="clerk_a")
    assert len(_staffing_reads(reads)) == 1, reads
    with services.transaction() as s:
        assert (
            s.scalars(select(OpenTask.assignee).where(OpenTask.spec_name == "decide")).one() == "zhang_head"
        )


@pytest.mark.parametrize("at_work", [True, False])
def test_a_start_reads_the_staffing_along_with_the_caller(
    client: Any, services: runner.Services, db_engine: Any, at_work: bool
) -> None:
    """A start opens its first task in a window: whether the window has a clerk at work comes with the caller."""
    assert deploy(client).status_code == 201
    if not at_work:
        with services.transaction() as s:
            directory.mark_absent(
                s, "clerk_a", "zhang_head", services.now(), None, "病假", actor="zhang_head"
            )
    with statements(db_engine, keep=lambda sql: sql.startswith("SELECT")) as reads:
        started = client.post(
            "/api/instances", json={"key": "review", "data": {"applicant": "李四"}}, headers=auth()
        )
    assert started.status_code == 201, started.get_json()
    [accept] = started.get_json()["tasks"]
    assert accept["window"] == "shebao" and accept["assignee"] == (None if at_work else "zhang_head")
    assert _staffing_reads(reads) == [] and "FROM users" in reads[0] and "staffed_windows" in reads[0], reads

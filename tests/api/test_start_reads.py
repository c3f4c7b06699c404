"""A start reads its diagram's newest version and the active warning rules along with its caller
(``runner.items.start_reads``): one statement instead of three, and the item it starts as before."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

import runner
from runner.models import ProcessInstance, Timer, WarningRule
from runner.supervision import warning_rules
from tests.support.statements import statements

from ..runner.helpers import DATA
from .clients import api_client
from .test_api import USERS, auth, deploy


@pytest.fixture
def client(services: runner.Services) -> Any:
    client = api_client(services, USERS)
    assert deploy(client).status_code == 201
    return client


@pytest.fixture
def rules(services: runner.Services) -> None:
    """Beside whatever rules there are: one for every kind, one for the review's kind (承诺件), one for another
    kind, and an inactive one."""
    with services.transaction() as s:
        warning_rules.add_warning_rule(s, "notice", -2, note="every kind")
        warning_rules.add_warning_rule(s, "yellow", 1, item_kind="承诺件", note="promised")
        warning_rules.add_warning_rule(s, "red", 2, item_kind="即办件", note="another kind")
        off = warning_rules.add_warning_rule(s, "red", 5, note="inactive")
        s.execute(update(WarningRule).where(WarningRule.id == off.id).values(active=False))


def _start(client: Any, **body: Any) -> Any:
    return client.post(
        "/api/instances", json={"key": "review", "data": {"applicant": "李四"}, **body}, headers=auth()
    )


def _reads(sent: list[str], table: str) -> list[str]:
    """The reads of ``table``'s rows (a definition's spec, read once per process, aside)."""
    return [sql for sql in sent if sql.startswith(f"SELECT {table}.id") and f"FROM {table} " in f"{sql} "]


def _rule_timers(services: runner.Services, item: int) -> dict[int, Any]:
    with services.transaction() as s:
        return dict(s.execute(select(Timer.rule_id, Timer.due_at).where(Timer.instance_id == item)).all())


def _applying(services: runner.Services, item: int) -> set[int]:
    """The active rules for the item's kind, read by themselves."""
    with services.transaction() as s:
        kind = s.scalars(select(ProcessInstance.item_kind).where(ProcessInstance.id == item)).one()
        return set(
            s.scalars(
                select(WarningRule.id).where(
                    WarningRule.active.is_(True),
                    WarningRule.item_kind.is_(None) | (WarningRule.item_kind == kind),
                )
            )
        )


@pytest.mark.usefixtures("rules")
def test_a_start_reads_its_definition_and_the_rules_along_with_the_caller(
    client: Any, services: runner.Services, db_engine: Any
) -> None:
    with statements(db_engine) as sent:
        started = _start(client)
    assert started.status_code == 201, started.get_json()
    first, *then = [sql for sql in sent if sql.startswith("SELECT")]
    assert "FROM users" in first and "process_definitions" in first and "warning_rules" in first, sent
    assert not _reads(then, "process_definitions") and not _reads(then, "warning_rules"), sent
    item = started.get_json()["id"]
    timers = _rule_timers(services, item)
    assert set(timers) == _applying(services, item) and len(timers) >= 2, timers
    assert all(due is not None for due in timers.values())


def test_a_start_takes_the_newest_version_and_a_pinned_one_reads_its_own(
    client: Any, services: runner.Services, db_engine: Any
) -> None:
    changed = (
        (DATA / "review.bpmn")
        .read_bytes()
        .replace(b"</bpmn:definitions>", b"<!-- v2 -->\n</bpmn:definitions>")
    )
    newer = client.post(
        "/api/definitions",
        data=changed,
        query_string={"filename": "review.bpmn"},
        headers={**auth("t-designer"), "Content-Type": "application/xml"},
    )
    assert newer.status_code == 201 and newer.get_json()["definitions"][0]["version"] == 2, newer.get_json()
    newest = _start(client)
    with statements(db_engine) as sent:
        pinned = _start(client, version=1)
    assert newest.status_code == pinned.status_code == 201, (newest.get_json(), pinned.get_json())
    assert len(_reads(sent[1:], "process_definitions")) == 1, sent  # the pinned version, read by itself
    with services.transaction() as s:
        assert s.get(ProcessInstance, newest.get_json()["id"]).definition.version == 2
        assert s.get(ProcessInstance, pinned.get_json()["id"]).definition.version == 1


def test_a_start_of_an_unknown_diagram_is_refused_as_before(client: Any) -> None:
    unknown = client.post("/api/instances", json={"key": "no-such-diagram"}, headers=auth())
    assert unknown.status_code == 404 and unknown.get_json()["code"] == "no_such_definition", (
        unknown.get_json()
    )
    assert "no-such-diagram" in unknown.get_json()["message"]


def test_with_no_active_rule_a_start_lays_out_no_rule_timer(
    client: Any, services: runner.Services, db_engine: Any
) -> None:
    with services.transaction() as s:
        s.execute(update(WarningRule).values(active=False))
    with statements(db_engine) as sent:
        started = _start(client)
    assert started.status_code == 201, started.get_json()
    assert not _reads(sent[1:], "warning_rules"), sent
    assert _rule_timers(services, started.get_json()["id"]) == {}

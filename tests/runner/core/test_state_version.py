"""The engine state is a deferred column: read after its row, on PostgreSQL (READ COMMITTED: a snapshot per
statement) it may come from a step committed in between. A step must not run on it — it would find its task
done and answer "not ready" instead of losing the race (CI's form race, 2026-12-06) — and a page that reads it
must not cache it under the row's older version."""

from __future__ import annotations

import pytest

from runner.core import engine
from runner.exceptions import ConcurrentUpdate
from runner.models import ProcessInstance

from ..helpers import complete, deploy_file, open_tasks, start


@pytest.fixture
def raced(services, db_engine):
    """An item read (its row, not its state) before a colleague's completion of its task commits."""
    if db_engine.dialect.name != "postgresql":
        pytest.skip("SQLite's transaction reads one snapshot; PostgreSQL's statements each read their own")
    deploy_file(services, "review.bpmn")
    iid = start(services, "review", data={"applicant": "张三", "complete": True})
    [task] = open_tasks(services, iid)
    services.workflows.clear()  # the state comes from the row, as in another process
    with services.transaction() as s:
        instance = s.get(ProcessInstance, iid)
        version = instance.lock_version
        complete(services, task["id"], {"eligible": True}, actor="clerk_b")
        yield s, instance, version


def test_a_step_on_a_state_newer_than_its_row_loses_the_race(raced) -> None:
    s, instance, _ = raced
    with pytest.raises(ConcurrentUpdate):
        engine.load(s, instance)


def test_a_page_reads_the_newer_state_but_never_caches_it_under_the_older_version(raced, services) -> None:
    s, instance, version = raced
    with engine.read(s, instance):
        pass
    assert services.workflows.take(instance.id, version) is None

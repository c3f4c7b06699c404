"""The cost of one step: the restored-workflow cache, the caller look-up and the statements a completion issues.

Each of these makes a step cheaper without changing what it does; the tests prove the "without changing" part
(a stale cache entry is never used, a rolled-back step never leaves its object behind) and pin the number of
statements so that a change adding round trips to every completion is noticed.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import event, select

import runner
from runner.core import engine
from runner.core.scheduling import NullScheduler
from runner.core.services import Services
from runner.items.taskdata import task_context
from runner.items.tasks import identify_reading_task, open_task_and_item
from runner.models import ProcessInstance, Timer
from runner.people.directory import create_user, identify, mark_absent
from runner.people.windows import upsert_windows
from tests.runner.helpers import complete, deploy_file, describe, open_tasks, start, the_task

PASSWORD = "Banjian-test-2026!"
RELATED = ["guotu", "huanbao", "guihua"]


def _joint_item(services: Services) -> int:
    deploy_file(services, "joint.bpmn")
    iid = start(services, "joint_test", data={"lead_window": "shebao"})
    complete(services, the_task(services, iid, "accept")["id"], {"related_windows": RELATED})
    return iid


def _reviews(services: Services, iid: int) -> list[dict]:
    return [t for t in open_tasks(services, iid) if t["spec_name"].startswith("review")]


def _review(services: Services, task: dict) -> None:
    complete(services, task["id"], {"opinion": {"result": "agree", "window": task["window"]}})


def test_next_step_uses_the_cached_workflow(services):
    iid = _joint_item(services)
    cache = services.workflows
    before = cache.hits
    _review(services, _reviews(services, iid)[0])
    assert cache.hits == before + 1  # the accept step's committed object, not the row, was stepped on


def test_reading_an_item_keeps_its_workflow_for_the_next_step(services):
    iid = _joint_item(services)
    services.workflows.clear()  # as in a process that has not stepped this item yet
    review = _reviews(services, iid)[0]
    with services.transaction() as s:
        task_context(s, review["id"])  # the form page reads the task's data
    hits = services.workflows.hits
    _review(services, review)  # then the clerk submits it
    assert services.workflows.hits == hits + 1
    describe(services, iid)  # the item page reads it too, and gives it back
    _review(services, _reviews(services, iid)[0])
    assert services.workflows.hits == hits + 3


def test_a_change_by_another_process_is_never_hidden_by_the_cache(services, database_url, db_engine, clock):
    iid = _joint_item(services)
    other = Services(services.settings, clock=clock, scheduler=NullScheduler(), engine=db_engine)
    first, second, third = _reviews(services, iid)
    _review(other, first)  # the row moves on in "another process"; this one's entry is now stale
    misses = services.workflows.misses
    _review(services, second)
    assert services.workflows.misses == misses + 1
    _review(services, third)
    complete(services, the_task(services, iid, "consolidate")["id"], {"approved": True})
    view = describe(services, iid)
    assert view["status"] == "completed"
    assert sorted(o["window"] for o in view["data"]["opinions"]) == sorted(RELATED)  # none of the 3 lost
    with services.transaction() as s:
        assert runner.verify_audit(s) == []


def test_a_rolled_back_step_leaves_no_object_behind(services):
    iid = _joint_item(services)
    first, second, _ = _reviews(services, iid)
    with pytest.raises(RuntimeError), services.transaction() as s:
        runner.complete(s, first["id"], {"opinion": {"result": "agree"}}, actor="clerk_a")
        raise RuntimeError("the request failed after the step")
    hits = services.workflows.hits
    _review(services, second)
    assert services.workflows.hits == hits  # read from the row: the failed step's object was not kept
    assert {t["id"] for t in _reviews(services, iid)} == {first["id"], _reviews(services, iid)[-1]["id"]}


def test_cache_of_size_zero_always_reads_the_row(database_url, db_engine, clock):
    services = Services(
        runner.Settings(database_url=database_url, workflow_cache_size=0),
        clock=clock, scheduler=NullScheduler(), engine=db_engine,
    )  # fmt: skip
    iid = _joint_item(services)
    for task in _reviews(services, iid):
        _review(services, task)
    assert services.workflows.hits == 0
    assert the_task(services, iid, "consolidate")


def test_identify_reads_person_memberships_and_cover_at_once(services, clock):
    deploy_file(services, "review.bpmn")
    with services.transaction() as s:
        create_user(s, "clerk_a", "甲", PASSWORD, [("shebao", "clerk"), ("guotu", "window_head")])
        create_user(s, "clerk_b", "乙", PASSWORD, [("shebao", "clerk")])
        create_user(s, "clerk_c", "丙", PASSWORD, [("shebao", "clerk")])
        mark_absent(s, "clerk_b", "clerk_a", clock.now(), clock.now() + timedelta(days=2), actor="clerk_b")
        mark_absent(s, "clerk_c", "clerk_a", clock.now() + timedelta(days=5), None, actor="clerk_c")
    with services.reading() as s:
        person, covering = identify(s, "clerk_a")
        assert person is not None
        assert person.memberships == {("shebao", "clerk"), ("guotu", "window_head")}
        assert covering == {"clerk_b"}  # clerk_c's absence has not begun
        assert identify(s, "nobody") == (None, set())
        person_b, covering_b = identify(s, "clerk_b")
        assert person_b is not None and person_b.windows == {"shebao"} and covering_b == set()


def test_identify_reading_task_answers_what_the_two_reads_answer(services, clock):
    """The caller and the task in one statement (rows multiplied: memberships × covered colleagues × the item's
    open tasks) give exactly the person, the cover and the task rows the two reads give."""
    iid = _joint_item(services)
    with services.transaction() as s:
        create_user(s, "head", "甲", PASSWORD, [("shebao", "clerk"), ("guotu", "window_head")])
        for absent in ("clerk_b", "clerk_c"):
            create_user(s, absent, absent, PASSWORD, [("shebao", "clerk")])
            mark_absent(s, absent, "head", clock.now(), None, actor=absent)
    reviews = _reviews(services, iid)
    assert len(reviews) == 3
    with services.transaction() as s:
        expected = identify(s, "head")
        row, instance = open_task_and_item(s, reviews[1]["id"])
        others = sorted(r.task_id for r in engine.open_task_rows(s, instance))
    with services.transaction() as s:
        assert identify_reading_task(s, "head", reviews[1]["id"]) == expected
        assert expected[1] == {"clerk_b", "clerk_c"} and len(expected[0].memberships) == 2
        read_row, read_instance = open_task_and_item(s, reviews[1]["id"])  # taken along: no statement
        assert (read_row.task_id, read_instance.id) == (row.task_id, instance.id)
        assert sorted(r.task_id for r in engine.open_task_rows(s, read_instance)) == others  # not multiplied
    with services.transaction() as s:
        assert identify_reading_task(s, "nobody", reviews[1]["id"]) == (None, set())
        person, _ = identify_reading_task(s, "head", "no-such-task")
        assert person is not None
        with pytest.raises(runner.NotFound):
            open_task_and_item(s, "no-such-task")


def test_a_review_completion_issues_few_statements(services, db_engine):
    """Pins the round trips of the commonest step: task with its item, pending timers, open tasks, then one
    flush (audit entries, instance row, removed task). Raise the figure only for a reason worth a round trip
    on every completion."""
    iid = _joint_item(services)
    first = _reviews(services, iid)[0]
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # noqa: ANN001 - SQLAlchemy's listener signature
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE")):
            statements.append(statement.split()[0].upper())

    event.listen(db_engine, "before_cursor_execute", count)
    try:
        with services.transaction() as s:
            instance = runner.complete(s, first["id"], {"opinion": {"result": "agree"}}, actor="clerk_a")
            tasks = runner.instance_tasks(s, instance)
    finally:
        event.remove(db_engine, "before_cursor_execute", count)
    assert len(tasks) == 2
    assert statements.count("SELECT") <= 3, statements
    assert len(statements) <= 8, statements


def test_a_cached_workflow_carries_what_its_rows_mirror(services):
    """The waits and timers a save notes on the workflow it leaves in the cache are those a load would work out
    from its tasks (the next step then skips that walk of the tree)."""
    with services.transaction() as s:
        runner.upsert_windows(s, [("centre", "综合窗口")])
    deploy_file(services, "foreign/event_gateway.bpmn")
    iid = start(services, "Process_correction")
    complete(services, open_tasks(services, iid)[0]["id"], {})
    _, workflow = services.workflows._items[iid]
    noted = workflow.__dict__[engine._MIRRORS]
    waits, timers, _ = noted
    assert [name for _, name in waits] == ["materials_received"] and len(timers) == 1
    assert noted == engine._mirrors(workflow.get_tasks(state=TaskState.WAITING))
    with services.transaction() as s:
        engine.load(s, s.get(ProcessInstance, iid))  # from the cache: the noted mirrors, no walk
        assert engine._stored_timers(s)[iid] == timers and engine._stored_waits(s)[iid] == set(waits)


def test_a_cached_workflow_knows_the_ids_and_names_of_its_timer_rows(services):
    """The pending engine timer rows a save laid out are noted on the workflow it leaves in the cache, by key,
    with their ids and names once written (the next step closes them by id); a load from the row knows none."""
    deploy_file(services, "review.bpmn")
    iid = start(services, "review")
    complete(services, the_task(services, iid, "accept")["id"], {"complete": True})
    _, workflow = services.workflows._items[iid]
    with services.transaction() as s:
        [row] = s.scalars(select(Timer).where(Timer.instance_id == iid, Timer.kind != "rule"))
        assert workflow.__dict__[engine._TIMER_ROWS] == {(row.task_id, row.due_at): (row.id, row.name)}
        engine.load(s, s.get(ProcessInstance, iid))  # from the cache
        assert engine._stored_timer_rows(s)[iid] == {(row.task_id, row.due_at): (row.id, row.name)}
    services.workflows.clear()
    with services.transaction() as s:
        engine.load(s, s.get(ProcessInstance, iid))  # from the row
        assert engine._stored_timer_rows(s)[iid] == {}


def test_a_step_into_staffed_windows_reads_no_window_row(services, db_engine):
    """Whether a new task's window is closed is answered by the staffing the step asks about anyway (a closed
    window has no clerk present): a step opening tasks in staffed windows reads no window's row, one opening a
    task in an unstaffed window reads that row."""
    deploy_file(services, "joint.bpmn")
    with services.transaction() as s:
        upsert_windows(s, [(window, window) for window in RELATED])
        for window in RELATED[:2]:
            create_user(s, f"clerk_{window}", window, PASSWORD, [(window, "clerk")])
    iid = start(services, "joint_test", data={"lead_window": "shebao"})
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # noqa: ANN001 - SQLAlchemy's listener signature
        statements.append(" ".join(statement.split()))

    event.listen(db_engine, "before_cursor_execute", count)
    try:
        complete(services, the_task(services, iid, "accept")["id"], {"related_windows": RELATED})
    finally:
        event.remove(db_engine, "before_cursor_execute", count)
    assert {t["window"] for t in _reviews(services, iid)} == set(RELATED)
    row_reads = [q for q in statements if q.startswith("SELECT windows.")]
    assert len(row_reads) == 1, row_reads  # guihua's: nobody works there


@pytest.mark.parametrize("where", ["resolve_window", "task_due"])
def test_a_database_error_while_a_step_opens_its_tasks_is_not_the_items_incident(
    services, monkeypatch, where
):
    """A lost race's flush or a dropped connection while a new task's window and limit are worked out is the
    caller's error (a Conflict, a retry), not the diagram's: it must not be recorded as the item's incident
    (recording it on a session the failed flush rolled back raised PendingRollbackError instead)."""
    from sqlalchemy.exc import OperationalError

    deploy_file(services, "review.bpmn")
    iid = start(services, "review")
    accept = the_task(services, iid, "accept")["id"]

    def lost(*args, **kwargs):  # noqa: ANN002, ANN003 - stands in for the database going away
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    monkeypatch.setattr(engine, where, lost)
    with pytest.raises(OperationalError):
        complete(services, accept, {"complete": True})
    monkeypatch.undo()
    view = describe(services, iid)
    assert not view.get("incidents"), view.get("incidents")
    assert [t["spec_name"] for t in view["tasks"]] == ["accept"]

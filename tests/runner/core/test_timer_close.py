"""A step closes the timers it no longer wants by their keys, without reading them (``engine._close_by_key``), or on
PostgreSQL with its other writes, by the ids of rows this process wrote (``engine._close_with_the_step``); an item
that ends cancels its warning-rule timers in one statement (``warning_rules._end_rule_timers``), or with its other
writes. The rows and their audit entries are what reading them first gave (each timer closed once, fired or
cancelled as the workflow says, audited with its id and name), the session's own objects of those rows see the new
status."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

import runner
from runner.core import engine
from runner.core.spiff.timers import timer_due
from runner.models import AuditEntry, ProcessInstance, Timer
from tests.runner.helpers import complete, deploy_file, describe, start, the_task
from tests.support.flow import deploy_library, start_item, task, tasks
from tests.support.joint import FILES as CHAOGAO
from tests.support.platform import JOINT, step_task_data


@contextmanager
def _timer_statements(db_engine: Any) -> Iterator[list[str]]:
    """The statements on the timers table issued inside the block (``SELECT …`` / ``UPDATE …``, one line each),
    and a ``FLUSH`` for each flush of a session."""
    seen: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # noqa: ANN001 - SQLAlchemy's listener signature
        words = " ".join(statement.split())
        if " timers" in words.split(" WHERE ")[0] or "AS (UPDATE timers" in words:  # or riding along a step's
            seen.append(words)

    def flushed(*args: Any) -> None:
        seen.append("FLUSH")

    event.listen(db_engine, "before_cursor_execute", count)
    event.listen(Session, "after_flush", flushed)
    try:
        yield seen
    finally:
        event.remove(db_engine, "before_cursor_execute", count)
        event.remove(Session, "after_flush", flushed)


def _timers(services: runner.Services, iid: int) -> list[Timer]:
    with services.transaction() as s:
        rows = list(s.scalars(select(Timer).where(Timer.instance_id == iid).order_by(Timer.id)))
        s.expunge_all()
        return rows


def _timer_audit(services: runner.Services, iid: int) -> list[AuditEntry]:
    with services.transaction() as s:
        entries = list(
            s.scalars(
                select(AuditEntry)
                .where(
                    AuditEntry.instance_id == iid, AuditEntry.action.in_(("timer_fired", "timer_cancelled"))
                )
                .order_by(AuditEntry.id)
            )
        )
        s.expunge_all()
        return entries


def test_the_joint_item_closes_each_timer_once_without_reading_the_timers(services, db_engine):
    """The 联办件 of the benchmark: each review's completion cancels its own boundary timer and leaves the others
    pending; the last step ends the item and its warning-rule timers — no completion reads the timers table."""
    deploy_library(services, *CHAOGAO)
    with services.transaction() as s:
        runner.seed_warning_rules(s)
    iid = start_item(services, JOINT, {"lead_window": "shichang", "applicant": "李四"})
    with services.transaction() as s:
        runner.complete(s, task(services, iid, "accept")["id"], step_task_data("accept"), actor="sc")
    reviews = [t for t in tasks(services, iid) if t["spec_name"].startswith("review")]
    engine_timers = [t for t in _timers(services, iid) if t.kind != "rule"]
    assert len(reviews) == 3 and len(engine_timers) == 3
    assert {t.status for t in _timers(services, iid) if t.kind == "rule"} == {"pending"}
    closed: list[Timer] = []
    for review in reviews:
        with _timer_statements(db_engine) as statements, services.transaction() as s:
            runner.complete(s, review["id"], step_task_data("review"), actor="clerk")
        # one statement closes it, and no other statement touches the timers table: on PostgreSQL the step's
        # merged write (the timer's row known by id from the step that laid it out), else a statement of its own,
        # which flushes nothing (the step's writes go together, afterwards)
        if db_engine.dialect.name == "postgresql":
            [merged] = [q for q in statements if q != "FLUSH"]
            assert "closed_timers AS (UPDATE timers" in merged and "UPDATE process_instances" in merged, (
                merged
            )
        else:
            assert statements[0].startswith("UPDATE timers") and set(statements[1:]) <= {"FLUSH"}
        now_closed = [t for t in _timers(services, iid) if t.kind != "rule" and t.status != "pending"]
        [new] = [t for t in now_closed if t.id not in {c.id for c in closed}]
        assert new.status == "cancelled" and new.ended_at == services.now()
        closed.append(new)
        # the timer of the review that was completed, and only it
        assert sum(t.status == "pending" for t in _timers(services, iid) if t.kind != "rule") == 3 - len(
            closed
        )
    for step in ("consolidate", "notify_applicant"):
        with _timer_statements(db_engine) as statements, services.transaction() as s:
            runner.complete(s, task(services, iid, step)["id"], step_task_data(step), actor="sc")
        assert not [q for q in statements if q.startswith("SELECT")], statements
    assert describe(services, iid)["status"] == "completed"
    [ended] = [q for q in statements if q != "FLUSH"]  # the rules'
    if db_engine.dialect.name == "postgresql":
        assert "ended_timers AS (UPDATE timers" in ended and "UPDATE process_instances" in ended, ended
    else:
        assert ended.startswith("UPDATE timers"), ended
    rows = _timers(services, iid)
    assert {t.status for t in rows} == {"cancelled"}
    audit = _timer_audit(services, iid)
    assert [(a.action, a.detail["timer_id"], a.task_id, a.task_name) for a in audit] == [
        ("timer_cancelled", t.id, t.task_id, t.name) for t in closed
    ]
    assert [a.detail["due_at"] for a in audit] == [t.due_at.isoformat() for t in closed]
    with services.transaction() as s:
        assert runner.verify_audit(s) == []


def _review_item(services: runner.Services) -> int:
    """An item of review.bpmn waiting at "decide", with its boundary timer (due in 30 minutes)."""
    deploy_file(services, "review.bpmn")
    iid = start(services, "review")
    complete(services, the_task(services, iid, "accept")["id"], {"complete": True})
    return iid


def test_an_object_of_the_row_in_the_session_sees_it_closed(services, clock):
    """Fired by ``fire_timer`` (its row is the session's object): fired once, audited once, as ``fired``."""
    iid = _review_item(services)
    [timer] = _timers(services, iid)
    clock.advance(minutes=31)
    with services.transaction() as s:
        row = s.get(Timer, timer.id)
        assert row is not None
        assert runner.fire_timer(s, timer.id) == "fired"
        assert row.status == "fired" and row.ended_at == clock.now()  # not left pending (then: "cancelled")
    [entry] = _timer_audit(services, iid)
    assert (entry.action, entry.detail["timer_id"], entry.task_name) == ("timer_fired", timer.id, timer.name)
    assert describe(services, iid)["data"]["escalated"] is True


def test_a_completion_cancels_the_timer_and_the_rule_timers_of_the_item_it_ends(services, clock):
    with services.transaction() as s:
        runner.seed_warning_rules(s)
    iid = _review_item(services)
    clock.advance(minutes=5)
    decide = the_task(services, iid, "decide")
    with services.transaction() as s:
        loaded = list(s.scalars(select(Timer).where(Timer.instance_id == iid)))  # a page listed them
        runner.complete(s, decide["id"], {"approved": True}, actor="clerk")
        assert {t.status for t in loaded} == {"cancelled"}
        assert {t.ended_at for t in loaded} == {clock.now()}
    assert describe(services, iid)["status"] == "completed"
    rows = _timers(services, iid)
    assert {t.kind for t in rows} == {"bpmn", "rule"} and {t.status for t in rows} == {"cancelled"}
    [bpmn] = [t for t in rows if t.kind == "bpmn"]
    [entry] = _timer_audit(services, iid)
    assert (entry.action, entry.detail["timer_id"], entry.task_id) == (
        "timer_cancelled",
        bpmn.id,
        bpmn.task_id,
    )


def _step(session: Session, instance: ProcessInstance, name: str, data: dict[str, Any]) -> None:
    """Complete the ready task ``name`` and save, in the engine's own terms (no query of the runner's)."""
    workflow = engine.load(session, instance)
    [ready] = [t for t in workflow.get_tasks(state=TaskState.READY) if t.task_spec.name == name]
    ready.data.update(data)
    assert engine.advance(session, instance, workflow, actor="clerk", step=ready.run) is None
    engine.save(session, instance, workflow)


def _retime(session: Session, instance: ProcessInstance, later: timedelta) -> tuple[datetime, datetime]:
    """Move the waiting timer of ``instance`` ``later`` (its key changes) and save; its old and new due time."""
    workflow = engine.load(session, instance)
    [waiting] = [t for t in workflow.get_tasks(state=TaskState.WAITING) if timer_due(t)]
    before = timer_due(waiting)
    assert before is not None
    waiting.internal_data["event_value"] = (before + later).isoformat()
    engine.save(session, instance, workflow)
    return before, before + later


def test_a_timer_row_not_written_yet_is_closed_too(services, clock):
    """Two saves of one item in one transaction with no query between them: the second closes the timer row the
    first added (not written yet) — it is written first, not left pending beside the row of its new time."""
    deploy_file(services, "review.bpmn")
    iid = start(services, "review")
    with services.transaction() as s, s.no_autoflush:
        instance = s.get(ProcessInstance, iid)
        assert instance is not None
        _step(s, instance, "accept", {"complete": True})
        assert [t for t in s.new if isinstance(t, Timer)]  # the decide step's timer, not written yet
        old, new = _retime(s, instance, timedelta(hours=1))
    _assert_retimed(services, iid, old, new)


def _assert_retimed(services, iid, old, new) -> None:
    """The row of the old time cancelled (and audited so), one pending row for the new time."""
    rows = _timers(services, iid)
    assert [(t.due_at, t.status) for t in rows] == [(old, "cancelled"), (new, "pending")]
    assert [(a.action, a.detail["timer_id"]) for a in _timer_audit(services, iid)] == [
        ("timer_cancelled", rows[0].id)
    ]


def test_a_retimed_timer_is_closed_and_its_new_time_inserted(services, clock):
    """Moving a waiting timer (its key changes): the old row is cancelled by key, a row for the new time added."""
    iid = _review_item(services)
    with services.transaction() as s:
        instance = s.get(ProcessInstance, iid)
        assert instance is not None
        old, new = _retime(s, instance, timedelta(hours=1))
    _assert_retimed(services, iid, old, new)


def test_rule_timers_not_written_yet_are_cancelled_when_the_item_ends(services, clock):
    """The deadline moves (new rule timers, not written yet) and the item ends in the same transaction with no
    query between: the new rule timers are written first, then cancelled with the others."""
    with services.transaction() as s:
        runner.seed_warning_rules(s)
    deploy_file(services, "joint.bpmn")  # no timer of its own: only the rules'
    iid = start(services, "joint_test", data={"lead_window": "shebao"})
    complete(services, the_task(services, iid, "accept")["id"], {"related_windows": ["guotu"]})
    complete(services, the_task(services, iid, "review [child]")["id"], {"opinion": {"result": "agree"}})
    with services.transaction() as s, s.no_autoflush:
        instance = s.get(ProcessInstance, iid)
        assert instance is not None and instance.deadline is not None
        instance.deadline += timedelta(days=1)
        engine.save(s, instance, engine.load(s, instance))
        assert [t for t in s.new if isinstance(t, Timer) and t.kind == "rule"]
        _step(s, instance, "consolidate", {"approved": True})
        assert instance.status == "completed"
    rules = _timers(services, iid)
    assert len(rules) > 3 and {(t.kind, t.status) for t in rules} == {("rule", "cancelled")}


def test_a_savepoint_rolled_back_leaves_the_rows_object_as_the_row_is(services, clock):
    """A step in a savepoint that is rolled back (the careful firing of a batch): the session's object of a timer
    the step closed is the row as it is again — pending — not left closed."""
    iid = _review_item(services)
    [timer] = _timers(services, iid)
    decide = the_task(services, iid, "decide")
    with pytest.raises(_Undone), services.transaction() as s:
        row = s.get(Timer, timer.id)
        assert row is not None and row.status == "pending"
        savepoint = s.begin_nested()
        runner.complete(s, decide["id"], {"approved": True}, actor="clerk")
        assert row.status == "cancelled"
        savepoint.rollback()
        assert row.status == "pending" and row.ended_at is None
        raise _Undone  # (what the step queued for after the commit is not taken back here: no commit)


class _Undone(Exception):
    pass


def test_a_timer_closed_behind_the_cache_is_not_closed_again(services, db_engine):
    """A timer row that is no longer pending though its item's row did not move (changed by hand here): the step
    that closes it by id is refused as a lost race and run again (``Services.run``), from the item's row — which
    closes by key, finds the row closed and neither closes nor audits it a second time."""
    deploy_library(services, *CHAOGAO)
    iid = start_item(services, JOINT, {"lead_window": "shichang", "applicant": "李四"})
    with services.transaction() as s:
        runner.complete(s, task(services, iid, "accept")["id"], step_task_data("accept"), actor="sc")
    review = next(t for t in tasks(services, iid) if t["spec_name"].startswith("review"))
    engine_timers = [t.id for t in _timers(services, iid) if t.kind != "rule"]
    with services.transaction() as s:  # every engine timer fired behind the item's back: none is pending
        s.execute(update(Timer).where(Timer.id.in_(engine_timers)).values(status="fired"))
    with _timer_statements(db_engine) as statements:
        services.run(lambda s: runner.complete(s, review["id"], step_task_data("review"), actor="clerk"))
    if db_engine.dialect.name == "postgresql":  # refused by id, then closed by key from the row
        assert ["closed_timers" in q for q in statements if q != "FLUSH"][:2] == [True, False], statements
    assert {t.status for t in _timers(services, iid) if t.kind != "rule"} == {"fired"}
    assert _timer_audit(services, iid) == []
    with services.transaction() as s:
        assert runner.verify_audit(s) == []


def test_closes_by_id_go_apart_when_the_step_is_not_merged(services, db_engine, monkeypatch):
    """A step whose writes cannot be one statement (here: told so) writes the timers it closes by id in a statement
    of their own, after the item's UPDATE, with the same check and the same rows and audit entries."""
    deploy_library(services, *CHAOGAO)
    iid = start_item(services, JOINT, {"lead_window": "shichang", "applicant": "李四"})
    with services.transaction() as s:
        runner.complete(s, task(services, iid, "accept")["id"], step_task_data("accept"), actor="sc")
    review = next(t for t in tasks(services, iid) if t["spec_name"].startswith("review"))
    monkeypatch.setattr("runner.core.item_writes._mergeable", lambda *_: False)
    with _timer_statements(db_engine) as statements, services.transaction() as s:
        runner.complete(s, review["id"], step_task_data("review"), actor="clerk")
    if db_engine.dialect.name == "postgresql":
        [closes] = [q for q in statements if q != "FLUSH"]
        assert closes.startswith("UPDATE timers SET status=closed_rows.status"), closes
    [closed] = [t for t in _timers(services, iid) if t.kind != "rule" and t.status != "pending"]
    assert closed.status == "cancelled" and closed.ended_at == services.now()
    [entry] = _timer_audit(services, iid)
    assert (entry.action, entry.detail["timer_id"], entry.task_name) == (
        "timer_cancelled",
        closed.id,
        closed.name,
    )
    with services.transaction() as s:
        assert runner.verify_audit(s) == []

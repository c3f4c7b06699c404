"""Timers first (runner/core/timers_first.py): a worker behind with due timers holds the clerks' steps to a few
turns at a time, so that legal deadlines take effect when they fall due."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

import runner
from runner.core import timers_first
from runner.core.scheduling import NullScheduler
from runner.exceptions import ConcurrentUpdate
from runner.items.tasks import identify_reading_task
from runner.people import directory
from tests.runner.helpers import complete, deploy_file, start, the_task
from tests.support.statements import statements


def _waiting_item(services) -> int:
    deploy_file(services, "review.bpmn")
    iid = start(services, "review")
    complete(services, the_task(services, iid, "accept")["id"], {"complete": True})
    return iid  # its boundary timer falls due in 30 minutes


def test_a_worker_says_it_is_behind_only_when_it_claims_timers_past_the_bound(services, clock):
    _waiting_item(services)
    clock.advance(minutes=30)  # due this very moment: on time
    assert runner.fire_due(services) == {"fired": 1}
    assert not services.scheduler.behind()
    _waiting_item(services)
    clock.advance(minutes=30, seconds=2)  # fell due 2 s ago: behind (bound 0.5 s)
    assert runner.fire_due(services) == {"fired": 1}
    assert services.scheduler.behind()


def test_the_word_lapses_unless_said_again(monkeypatch):
    scheduler = NullScheduler()
    now = [100.0]
    monkeypatch.setattr(timers_first.time, "monotonic", lambda: now[0])
    monkeypatch.setattr("runner.core.scheduling.time.monotonic", lambda: now[0])
    scheduler.say_behind()
    now[0] += 1.9
    assert scheduler.behind()
    now[0] += 0.2
    assert not scheduler.behind()


def _held_back(services, iid) -> None:
    """Complete the item's task in a transaction that gives up after 0.5 s of waiting for a lock."""
    with services.transaction() as s:
        s.execute(text("SET LOCAL lock_timeout = '500ms'"))
        [task] = runner.list_tasks(s, instance_id=iid, count=False)[0]
        runner.complete(s, task["id"], {"approved": True}, actor="clerk_a")


def test_while_the_workers_are_behind_the_clerks_steps_take_turns(services, clock, db_engine):
    if db_engine.dialect.name != "postgresql":
        pytest.skip("the turns are PostgreSQL advisory locks; SQLite's transactions take turns already")
    one_turn = runner.Services(
        dataclasses.replace(services.settings, steps_while_timers_behind=1),
        clock=clock,
        scheduler=NullScheduler(),
        engine=db_engine,
    )
    first, second = _waiting_item(one_turn), _waiting_item(one_turn)
    with one_turn.transaction() as s:  # a step in flight holds the one turn there is
        timers_first.take_turn(s)  # the workers are on time: no turn taken
        with one_turn.transaction() as other:
            other.execute(text("SET LOCAL lock_timeout = '2s'"))
            timers_first.take_turn(other)
    one_turn.scheduler.say_behind()
    timers_first._looked.pop(one_turn, None)  # look again now, not in a quarter of a second
    with one_turn.transaction() as s:
        timers_first.take_turn(s)
        with pytest.raises((OperationalError, ConcurrentUpdate)):  # the other clerk waits for the turn
            _held_back(one_turn, first)
    _held_back(one_turn, second)  # the turn is free once the step in flight has committed


def test_batches_grow_while_the_workers_are_behind(services, clock, monkeypatch):
    from runner.core import timers

    limits: list[int] = []
    claim = timers.claim_due

    def claim_due(session, *, limit, skip=frozenset()):
        limits.append(limit)
        return claim(session, limit=limit, skip=skip)

    monkeypatch.setattr(timers, "claim_due", claim_due)
    ids = [_waiting_item(services) for _ in range(7)]
    clock.advance(minutes=30)  # on time: batches of 2
    assert runner.fire_due(services, batch=2, behind_batch=5) == {"fired": len(ids)}
    assert set(limits) == {2}
    limits.clear()
    more = [_waiting_item(services) for _ in range(7)]
    clock.advance(minutes=31)  # a minute late: after the first claim, batches of 5
    assert runner.fire_due(services, batch=2, behind_batch=5) == {"fired": len(more)}
    assert limits == [2, 5, 5]


def test_a_step_that_took_a_turn_reads_its_task_again_after_it(services, clock, db_engine):
    """The task read along with the caller (one statement) is read again once the step has waited for a turn:
    the timers it waited for may have moved the item on."""
    if db_engine.dialect.name != "postgresql":
        pytest.skip("the turns are PostgreSQL advisory locks; SQLite's transactions take turns already")
    iid = _waiting_item(services)
    with services.transaction() as s:
        directory.create_user(s, "clerk_a", "社保甲", "Banjian-test-2026!", [("shebao", "clerk")])
        [task] = runner.list_tasks(s, instance_id=iid, count=False)[0]
    services.scheduler.say_behind()
    timers_first._looked.pop(services, None)
    task_reads = statements(db_engine, keep=lambda sql: sql.startswith("SELECT") and "open_tasks" in sql)
    with services.transaction() as s, task_reads as reads:
        person, _ = identify_reading_task(s, "clerk_a", task["id"])
        assert person is not None and len(reads) == 1
        runner.complete(s, task["id"], {"approved": True}, actor="clerk_a")
    assert len(reads) == 2, reads

"""How a step's writes reach the database: the audit entries of a transaction are kept pending in the session and
written by its flushes, all those of one flush in one INSERT (no ORM object, no id read back), before the chain
heads they moved. The tests prove the hash chain holds across flushes, savepoints and rollbacks, that a query in
the transaction sees every entry recorded so far, and pin the one statement."""

from __future__ import annotations

import pytest
from sqlalchemy import select

import runner
from runner.core import audit
from runner.models import AuditChain, AuditEntry, ProcessInstance
from tests.runner.helpers import actions, deploy_file, start, the_task
from tests.support.statements import statements, writes_to


class Boom(Exception):
    """Raised to roll a savepoint or a transaction back."""


@pytest.fixture
def iid(services) -> int:
    deploy_file(services, "review.bpmn")
    return start(services, "review")


def audit_inserts(seen: list[str]) -> list[str]:
    return [s for s in seen if s.upper().startswith("INSERT INTO AUDIT_ENTRIES")]


def entries(session, chain: str) -> list[AuditEntry]:  # noqa: ANN001 - a runner session
    return list(session.scalars(select(AuditEntry).where(AuditEntry.chain == chain).order_by(AuditEntry.id)))


def notes(services, chain: str) -> list[str]:  # noqa: ANN001 - the test's services
    """The ``note`` details of a chain's committed entries, oldest first."""
    with services.transaction() as s:
        return [e.detail["n"] for e in entries(s, chain) if e.action == "note"]


def assert_chains_hold(services, iid: int) -> None:  # noqa: ANN001 - the test's services
    """Every chain verifies, and each head is its last entry's hash."""
    with services.transaction() as s:
        assert audit.verify(s) == []
        instance = s.get(ProcessInstance, iid)
        assert instance is not None
        assert instance.audit_head == entries(s, audit.chain_name(iid))[-1].hash
        head = s.get(AuditChain, audit.SYSTEM_CHAIN)
        assert head is not None and head.last_hash == entries(s, audit.SYSTEM_CHAIN)[-1].hash


def test_entries_across_flushes_chain_in_order_and_queries_see_them(services, iid):
    chain = audit.chain_name(iid)
    with services.transaction() as s:
        instance = s.get(ProcessInstance, iid)
        first = audit.record(s, "note", actor="clerk_a", instance=instance, n=1)
        assert isinstance(first, str) and instance.audit_head == first
        audit.record(s, "note", actor="system", n=1)
        assert not any(isinstance(row, AuditEntry) for row in s.new)  # pending in the session, no ORM object
        s.flush()
        audit.record(s, "note", actor="clerk_a", instance=instance, n=2)
        audit.record(s, "note", actor="system", n=2)
        # recorded after the flush: the query's autoflush writes them, in order, chained to the flushed ones
        seen = [e for e in entries(s, chain) if e.action == "note"]
        assert [e.detail["n"] for e in seen] == [1, 2]
        assert seen[0].hash == first and seen[1].prev_hash == first
        assert [e.detail["n"] for e in entries(s, audit.SYSTEM_CHAIN) if e.action == "note"] == [1, 2]
        last = audit.record(s, "note", actor="clerk_a", instance=instance, n=3)
        assert runner.describe(s, instance)["audit"][-1]["detail"] == {"n": 3}  # the item page's reader
        assert audit.verify(s) == []  # within the transaction too
        audit.record(s, "note", actor="clerk_a", instance=instance, n=4)  # written by the commit
    assert notes(services, chain) == [1, 2, 3, 4]
    with services.transaction() as s:
        assert entries(s, chain)[-1].prev_hash == last
    assert_chains_hold(services, iid)


@pytest.mark.parametrize("flush_inside", [False, True], ids=["pending", "flushed"])
def test_a_rolled_back_savepoint_drops_its_entries_and_the_heads_go_back(services, iid, flush_inside):
    chain = audit.chain_name(iid)
    with services.transaction() as s:
        instance = s.get(ProcessInstance, iid)
        before = audit.record(s, "note", actor="clerk_a", instance=instance, n=1)
        audit.record(s, "note", actor="system", n=1)
        with pytest.raises(Boom), s.begin_nested():
            audit.record(s, "note", actor="clerk_a", instance=instance, n=2)
            audit.record(s, "note", actor="system", n=2)
            with s.begin_nested():  # released, but inside the savepoint that rolls back
                audit.record(s, "note", actor="clerk_a", instance=instance, n=3)
            audit.record(s, "note", actor="clerk_a", instance=instance, n=4)
            if flush_inside:
                s.flush()
            raise Boom
        assert instance.audit_head == before  # the head went back with the savepoint
        with s.begin_nested():  # a savepoint that is released keeps its entries
            audit.record(s, "note", actor="clerk_a", instance=instance, n=5)
        audit.record(s, "note", actor="clerk_a", instance=instance, n=6)
        audit.record(s, "note", actor="system", n=6)
        assert [e.detail["n"] for e in entries(s, chain) if e.action == "note"] == [1, 5, 6]
    assert notes(services, chain) == [1, 5, 6]
    assert notes(services, audit.SYSTEM_CHAIN) == [1, 6]
    assert_chains_hold(services, iid)


def test_a_rolled_back_transaction_writes_nothing_then_or_later(services, iid):
    chain = audit.chain_name(iid)
    with pytest.raises(Boom), services.transaction() as s:
        instance = s.get(ProcessInstance, iid)
        audit.record(s, "note", actor="clerk_a", instance=instance, n=1)
        audit.record(s, "note", actor="system", n=1)
        raise Boom
    assert notes(services, chain) == [] and notes(services, audit.SYSTEM_CHAIN) == []
    # the same session goes on after a rollback: what it dropped stays dropped
    with services.transaction() as s:
        instance = s.get(ProcessInstance, iid)
        audit.record(s, "note", actor="clerk_a", instance=instance, n=2)
        audit.record(s, "note", actor="system", n=2)
        s.flush()
        audit.record(s, "note", actor="clerk_a", instance=instance, n=3)
        s.rollback()
        instance = s.get(ProcessInstance, iid)
        audit.record(s, "note", actor="clerk_a", instance=instance, n=4)
    assert notes(services, chain) == [4]
    assert notes(services, audit.SYSTEM_CHAIN) == []
    with services.transaction() as s:
        assert audit.verify(s) == []


def test_the_entries_of_a_flush_are_one_insert_without_returning(services, iid, db_engine):
    with statements(db_engine) as seen, services.transaction() as s:
        instance = s.get(ProcessInstance, iid)
        for n in range(5):
            audit.record(s, "note", actor="clerk_a", instance=instance, n=n)
    [insert] = audit_inserts(seen)
    assert "RETURNING" not in insert.upper()
    assert notes(services, audit.chain_name(iid)) == [0, 1, 2, 3, 4]
    with services.transaction() as s:
        assert audit.verify(s) == []


def test_a_completion_writes_its_entry_without_reading_its_id_back(services, iid, db_engine):
    task = the_task(services, iid, "accept")
    with statements(db_engine) as seen, services.transaction() as s:
        runner.complete(s, task["id"], {"complete": True}, actor="clerk_a")
    [insert] = [
        sql for sql in seen if writes_to(sql, "audit_entries")
    ]  # on PostgreSQL with the step's writes
    assert "AUDIT_ENTRIES" not in insert.upper().partition("RETURNING")[2]
    assert actions(services, iid) == ["start", "complete"]
    with services.transaction() as s:
        assert audit.verify(s) == []


def test_a_task_for_the_window_head_leaves_the_step_written_once(services, iid, db_engine):
    """Looking up the head of a window with no clerk present (this one has none either) writes nothing of the
    step: its item row is written once, with the step's other writes (the look-up's autoflush wrote it before,
    and the step again)."""
    task = the_task(services, iid, "accept")
    with statements(db_engine) as seen, services.transaction() as s:
        runner.complete(s, task["id"], {"complete": True}, actor="clerk_a")
    assert sum(writes_to(sql, "process_instances") for sql in seen) == 1, seen
    assert any(
        sql.startswith("SELECT users.username FROM users JOIN memberships") for sql in seen
    )  # the head

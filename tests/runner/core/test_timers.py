"""Timers: recorded after each commit, woken up per second, fired idempotently in batches, re-sent by the sweep."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select, text

import runner
from runner.config import Settings
from runner.core.scheduling import FIRE_DUE, Job, NullScheduler, wakeup_job_id, wakeup_of
from runner.core.timers import BATCH, claim_due
from runner.core.transaction import read_ahead, taken_ahead
from runner.models import AuditEntry, Incident, Timer
from tests.runner.helpers import actions, complete, deploy_file, describe, start, the_task


def _to_decide(services) -> int:
    deploy_file(services, "review.bpmn")
    iid = start(services, "review")
    complete(services, the_task(services, iid, "accept")["id"], {"complete": True})
    return iid


def _waiting_items(services, n: int) -> list[int]:
    """``n`` items of review.bpmn waiting at "decide", each with a boundary timer due in 30 minutes."""
    deploy_file(services, "review.bpmn")
    ids = []
    for _ in range(n):
        iid = start(services, "review")
        complete(services, the_task(services, iid, "accept")["id"], {"complete": True})
        ids.append(iid)
    return ids


def _wakeup_of(services, timer) -> Job:
    return wakeup_of(services, datetime.fromisoformat(timer["due_at"]))


def test_timer_row_and_job_after_commit(services, clock):
    iid = _to_decide(services)
    [timer] = describe(services, iid)["timers"]
    assert timer["status"] == "pending"
    due = clock.now() + timedelta(minutes=30)
    assert timer["due_at"] == due.isoformat()
    [job] = [j for j in services.scheduler.sent if j.func == FIRE_DUE]
    # the wake-up of the second it falls due in, scheduled (in real time) a second before that second begins
    second = int(due.timestamp())
    assert job == Job(FIRE_DUE, (second,), wakeup_job_id(second), job.at)
    assert job.at is not None
    expected = services.real_time(datetime.fromtimestamp(second, UTC)) - timedelta(seconds=1)
    assert abs((job.at - expected).total_seconds()) < 2


def test_timers_of_one_second_share_one_wakeup(services, clock):
    begins = clock.now().replace(microsecond=0) + timedelta(hours=1)
    first = wakeup_of(services, begins + timedelta(milliseconds=200))
    assert first.job_id == wakeup_of(services, begins + timedelta(milliseconds=999)).job_id
    assert first.job_id == wakeup_job_id(int(begins.timestamp())) and first.args == (int(begins.timestamp()),)
    assert first.at is not None
    assert wakeup_of(services, begins + timedelta(seconds=1)).job_id != first.job_id
    # already due: the wake-up of its second, sent at once
    past = clock.now().replace(microsecond=0) - timedelta(minutes=5)
    assert wakeup_of(services, past + timedelta(milliseconds=10)) == Job(
        FIRE_DUE, (int(past.timestamp()),), wakeup_job_id(int(past.timestamp())), None
    )


def test_one_wakeup_per_second_whatever_a_transaction_schedules(services, clock):
    deploy_file(services, "review.bpmn")
    ids = [start(services, "review") for _ in range(3)]
    services.scheduler.sent.clear()
    with services.transaction() as s:  # three timers due in the same second, scheduled in one transaction
        for iid in ids:
            [task] = [
                t for t in runner.list_tasks(s, instance_id=iid, count=False)[0] if t["spec_name"] == "accept"
            ]
            runner.complete(s, task["id"], {"complete": True}, actor="clerk_a")
    assert [j.func for j in services.scheduler.sent] == [FIRE_DUE]


def test_timer_fires_only_when_due_and_only_once(services, clock):
    iid = _to_decide(services)
    [timer] = describe(services, iid)["timers"]
    with services.transaction() as s:
        assert runner.fire_timer(s, timer["id"]) == "early"
    assert describe(services, iid)["status"] == "running"
    clock.advance(minutes=31)
    with services.transaction() as s:
        assert runner.fire_timer(s, timer["id"]) == "fired"
    view = describe(services, iid)
    assert view["status"] == "completed"
    assert view["data"]["escalated"] is True
    with services.transaction() as s:
        assert runner.fire_timer(s, timer["id"]) == "already fired"
    assert actions(services, iid).count("timer_fired") == 1


def test_completing_task_cancels_timer_and_stale_job_does_nothing(services, clock):
    iid = _to_decide(services)
    [timer] = describe(services, iid)["timers"]
    complete(services, the_task(services, iid, "decide")["id"], {"approved": True})
    assert describe(services, iid)["timers"][0]["status"] == "cancelled"
    clock.advance(hours=1)
    with services.transaction() as s:
        assert runner.fire_timer(s, timer["id"]) == "already cancelled"
    view = describe(services, iid)
    assert "escalated" not in view["data"]
    assert "timer_fired" not in actions(services, iid)


def test_suspended_instance_timer_waits_for_resume(services, clock):
    iid = _to_decide(services)
    [timer] = describe(services, iid)["timers"]
    with services.transaction() as s:
        runner.suspend(s, iid, actor="head", reason="听证")
    clock.advance(hours=1)
    with services.transaction() as s:
        assert runner.fire_timer(s, timer["id"]) == "suspended"
    services.scheduler.sent.clear()
    with services.transaction() as s:
        runner.resume(s, iid, actor="head")
    assert [j.func for j in services.scheduler.sent] == [FIRE_DUE]
    assert services.scheduler.sent[0].at is None  # already due: a wake-up for now
    with services.transaction() as s:
        assert runner.fire_timer(s, timer["id"]) == "fired"


def test_sweep_resends_missing_jobs(services, clock):
    iid = _to_decide(services)
    [timer] = describe(services, iid)["timers"]
    services.scheduler.sent.clear()  # as if Redis had been flushed
    with services.transaction() as s:
        assert runner.sweep(s) == {"checked": 0, "sent": 0}  # not due within the horizon yet
    clock.advance(minutes=29)
    with services.transaction() as s:
        assert runner.sweep(s) == {"checked": 1, "sent": 1}
    assert [j.job_id for j in services.scheduler.sent] == [_wakeup_of(services, timer).job_id]
    with services.transaction() as s:
        assert runner.sweep(s) == {"checked": 1, "sent": 0}  # the job is there now


def test_sweep_sends_one_wakeup_per_second_and_one_for_the_overdue(services, clock):
    _waiting_items(services, 3)  # three timers due at the same time
    clock.advance(seconds=5)
    _waiting_items(services, 1)  # one due five seconds later
    services.scheduler.sent.clear()  # as if Redis had been flushed
    clock.advance(minutes=29)
    with services.transaction() as s:
        assert runner.sweep(s) == {"checked": 4, "sent": 4}
    sent = services.scheduler.sent
    assert {j.func for j in sent} == {FIRE_DUE} and all(j.at is not None for j in sent)
    assert len({j.job_id for j in sent}) == len(sent) == 2  # one per second
    ids = {j.job_id for j in sent}
    clock.advance(minutes=2)  # overdue by more than STALE_AFTER and still pending: whatever Redis says
    sent.clear()
    with services.transaction() as s:
        assert runner.sweep(s) == {"checked": 4, "sent": 4}
    assert {j.job_id for j in sent} == ids and all(j.at is None for j in sent)  # the same, sent at once


# ---- firing in batches (runner.fire_due, the per-second wake-up job) ----------------------------------------


def _fired_per_timer(services) -> dict[int, int]:
    with services.transaction() as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.action == "timer_fired"))
        counts: dict[int, int] = {}
        for e in entries:
            counts[e.detail["timer_id"]] = counts.get(e.detail["timer_id"], 0) + 1
        return counts


def test_fire_due_fires_every_due_timer_once(services, clock):
    ids = _waiting_items(services, BATCH + 4)  # more than one batch
    later = start(services, "review")
    clock.advance(minutes=10)
    complete(services, the_task(services, later, "accept")["id"], {"complete": True})  # due 10 minutes later
    assert runner.fire_due(services) == {}  # nothing due yet
    clock.advance(minutes=21)
    assert runner.fire_due(services) == {"fired": len(ids)}
    for iid in ids:
        view = describe(services, iid)
        assert view["status"] == "completed" and view["data"]["escalated"] is True
    assert set(_fired_per_timer(services).values()) == {1}
    assert describe(services, later)["status"] == "running"  # not due: untouched
    assert runner.fire_due(services) == {}  # a second wake-up finds nothing to do
    assert actions(services, ids[0]).count("timer_fired") == 1


def test_a_batch_of_timers_is_read_and_written_in_a_few_statements(services, clock):
    """What the saves of a batch's items read is read once for the batch, and the batch is written in one flush:
    not ten statements per timer (a savepoint, its release, five reads and three writes each)."""
    ids = _waiting_items(services, BATCH)
    clock.advance(minutes=31)
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement.split(None, 1)[0].upper())

    event.listen(services.engine, "before_cursor_execute", count)
    try:
        assert runner.fire_due(services) == {"fired": len(ids)}
    finally:
        event.remove(services.engine, "before_cursor_execute", count)
    assert "SAVEPOINT" not in statements
    # the claims, a read per kind for the batch, one versioned UPDATE per item, a few batched writes
    assert len(statements) <= 2 * len(ids) + 12, statements
    assert set(_fired_per_timer(services).values()) == {1}
    for iid in ids:
        assert describe(services, iid)["status"] == "completed"


def test_a_batch_ends_the_rule_timers_of_the_items_it_finishes(services, clock):
    """The warning-rule timers a batch's saves cancel are those read ahead for the batch (``read_rule_timers``)."""
    with services.transaction() as s:
        runner.seed_warning_rules(s)
    ids = _waiting_items(services, 3)
    with services.transaction() as s:
        pending = s.scalars(select(Timer.instance_id).where(Timer.kind == "rule", Timer.status == "pending"))
        assert set(pending) == set(ids)
    clock.advance(minutes=31)
    assert runner.fire_due(services) == {"fired": 3}
    with services.transaction() as s:
        rule_timers = s.execute(select(Timer.instance_id, Timer.status).where(Timer.kind == "rule")).all()
    assert {i for i, _ in rule_timers} == set(ids)
    assert {status for _, status in rule_timers} == {"cancelled"}


def test_rows_read_ahead_are_taken_once_and_never_miss_a_row_added_since(services, clock):
    [iid] = _waiting_items(services, 1)
    with services.transaction() as s:
        [row] = s.scalars(select(Timer).where(Timer.instance_id == iid))
        read_ahead(s, "timers", {iid: [row]})
        assert taken_ahead(s, "timers", iid, Timer) == [row]
        assert taken_ahead(s, "timers", iid, Timer) is None  # once: the next reader reads
        read_ahead(s, "timers", {iid: [row]})
        s.delete(row)
        assert taken_ahead(s, "timers", iid, Timer) == []  # deleted since: left out
        read_ahead(s, "timers", {iid: []})
        s.add(
            Timer(
                instance_id=iid,
                task_id="t",
                spec_name="t",
                name="t",
                status="unarmed",
                created_at=clock.now(),
            )
        )
        assert taken_ahead(s, "timers", iid, Timer) is None  # one added since: read them again
        s.rollback()


def test_fire_due_skips_suspended_and_held_items(services, clock):
    suspended, plain = _waiting_items(services, 2)
    with services.transaction() as s:
        runner.suspend(s, suspended, actor="head", reason="听证")
    clock.advance(minutes=31)
    assert runner.fire_due(services) == {"fired": 1}
    assert describe(services, suspended)["timers"][0]["status"] == "pending"
    assert describe(services, plain)["status"] == "completed"
    with services.transaction() as s:
        runner.resume(s, suspended, actor="head")
    assert runner.fire_due(services) == {"fired": 1}


def test_a_timer_whose_firing_raises_becomes_an_incident_and_the_others_fire(services, clock):
    ids = _waiting_items(services, 5)
    broken = ids[2]
    with services.engine.begin() as c:  # its stored engine state is damaged (lock_version moves as any write)
        c.execute(
            text("UPDATE process_instances SET state = :s, lock_version = lock_version + 1 WHERE id = :i"),
            {"s": b"not a workflow", "i": broken},
        )
    clock.advance(minutes=31)
    assert runner.fire_due(services) == {"fired": 4, "failed": 1}
    for iid in ids:
        if iid != broken:
            assert describe(services, iid)["status"] == "completed"
    with services.transaction() as s:
        status, pending = s.execute(
            text("SELECT i.status, t.status FROM process_instances i JOIN timers t ON t.instance_id = i.id"
                 " WHERE i.id = :i"), {"i": broken}
        ).one()  # fmt: skip
        incidents = list(s.scalars(select(Incident).where(Incident.instance_id == broken)))
    assert (status, pending) == ("error", "pending")
    [incident] = incidents
    assert incident.resolved_at is None and incident.task_name == "决定超时"
    assert incident.message.startswith("定时器「决定超时」触发失败")
    assert set(_fired_per_timer(services).values()) == {1}
    # the next wake-ups of this process leave it alone for a while: no retry storm, no second incident
    assert runner.fire_due(services) == {}


def test_two_workers_batches_fire_each_timer_once(services, clock, db_engine):
    ids = _waiting_items(services, 3 * BATCH)
    clock.advance(minutes=31)
    # a second worker: its own services (caches) on the same database, as in another process
    other = runner.Services(services.settings, clock=clock, scheduler=NullScheduler(), engine=db_engine)
    start_together = threading.Barrier(2)
    results: list[dict[str, int]] = []

    def work(svc: runner.Services) -> None:
        start_together.wait()
        results.append(runner.fire_due(svc, batch=4, behind_batch=4))

    workers = [threading.Thread(target=work, args=(svc,)) for svc in (services, other)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert sum(r.get("fired", 0) for r in results) == len(ids), results
    assert not any("failed" in r for r in results)
    fired = _fired_per_timer(services)
    assert len(fired) == len(ids) and set(fired.values()) == {1}


def test_a_claim_skips_timers_and_items_another_transaction_holds(services, clock, db_engine):
    if db_engine.dialect.name != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; on SQLite whole transactions take turns")
    items = []
    for _ in range(4):  # due one second apart, in this order
        clock.advance(seconds=1)
        items += _waiting_items(services, 1)
    first, second, third, fourth = items
    clock.advance(minutes=31)
    with services.transaction() as worker_a:
        held = claim_due(worker_a, limit=1)  # the soonest: the first item's timer
        with services.transaction() as request:  # a request in the middle of changing the third item
            request.execute(text("SELECT id FROM process_instances WHERE id = :i FOR UPDATE"), {"i": third})
            with services.transaction() as worker_b:
                worker_b.execute(text("SET LOCAL lock_timeout = '2s'"))  # waiting would be the bug
                others = claim_due(worker_b, limit=10)
    assert [i.id for _, i in held] == [first]
    assert [i.id for _, i in others] == [second, fourth]


def test_a_wakeup_waits_for_the_timers_of_its_second(database_url, db_engine, file_clock):
    services = runner.Services(
        Settings(database_url=database_url), clock=file_clock, scheduler=NullScheduler(), engine=db_engine
    )
    iid = _to_decide(services)
    [timer] = describe(services, iid)["timers"]
    due = datetime.fromisoformat(timer["due_at"])
    file_clock.set_offset(30 * 60 - 0.6)  # due in about half a second
    began = time.monotonic()
    assert runner.fire_due(services, until=due + timedelta(seconds=0.4)) == {"fired": 1}
    assert time.monotonic() - began < 1.5
    [fired] = [a for a in describe(services, iid)["audit"] if a["action"] == "timer_fired"]
    assert due <= datetime.fromisoformat(fired["at"]) < due + timedelta(seconds=0.3)
    # no timer falls due before ``until``: it does not wait
    began = time.monotonic()
    assert runner.fire_due(services, until=file_clock.now() + timedelta(seconds=2)) == {}
    assert time.monotonic() - began < 0.5

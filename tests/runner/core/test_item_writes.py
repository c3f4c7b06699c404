"""A step's item UPDATE and open-task rows are written as plain statements (``runner.core.item_writes``): the rows
are what the ORM's flush wrote, the session's objects are as the ORM leaves them, the optimistic lock still
refuses a step on a changed item, and a savepoint's step is the ORM's to write. On PostgreSQL the step's writes
and its audit entries are one statement, unless a row it adds is of a task whose row it removes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, inspect, select, update
from sqlalchemy.exc import DataError, StatementError

import runner
from runner.core import audit, engine, item_writes
from runner.exceptions import ConcurrentUpdate
from runner.models import AuditEntry, OpenTask, ProcessInstance, Timer
from tests.support.flow import deploy_library, start_item, task, tasks
from tests.support.joint import FILES as CHAOGAO
from tests.support.joint import TASKS_PER_ITEM
from tests.support.platform import JOINT, step_task_data
from tests.support.statements import statements

START = {"lead_window": "shichang", "applicant": "李四"}
# what differs between two items that went the same way: their ids, numbers, task ids and engine state
ITEM_OWN = {"id", "business_key", "state", "audit_head"}
ROW_OWN = {"id", "instance_id", "task_id", "business_key"}
TIMER_OWN = {"id", "instance_id", "task_id"}
ENTRY_OWN = {"number", "document", "timer_id"}  # of an audit entry's detail: the item's own rows


@pytest.fixture
def joint(services):
    deploy_library(services, *CHAOGAO)
    with services.transaction() as s:
        runner.seed_warning_rules(s)
    return services


def _rows(
    services: runner.Services, iid: int
) -> tuple[dict[str, Any], list[dict[str, Any]], list[tuple[Any, ...]]]:
    """The item's row, its open-task rows and its timers (without what is the item's own), and its audit entries
    (what they say, in order)."""
    with services.transaction() as s:
        item = s.execute(select(ProcessInstance.__table__).where(ProcessInstance.id == iid)).one()._asdict()
        rows = [
            r._asdict()
            for r in s.execute(
                select(OpenTask.__table__).where(OpenTask.instance_id == iid).order_by(OpenTask.spec_name)
            )
        ]
        audited = [
            (action, actor, task_name, {k: v for k, v in detail.items() if k not in ENTRY_OWN})
            for action, actor, task_name, detail in s.execute(
                select(AuditEntry.action, AuditEntry.actor, AuditEntry.task_name, AuditEntry.detail)
                .where(AuditEntry.instance_id == iid)
                .order_by(AuditEntry.id)
            )
        ]
        timers = [
            r._asdict()
            for r in s.execute(
                select(Timer.__table__)
                .where(Timer.instance_id == iid)
                .order_by(Timer.kind, Timer.spec_name, Timer.due_at, Timer.status)
            )
        ]
    drop = lambda row, own: {k: v for k, v in row.items() if k not in own}  # noqa: E731
    return (
        drop(item, ITEM_OWN),
        [drop(r, ROW_OWN) for r in rows] + [drop(t, TIMER_OWN) for t in timers],
        audited,
    )


def _walk(services: runner.Services) -> list[tuple[dict[str, Any], list[dict[str, Any]], int]]:
    """A 联办件 from start to end, the rows after each step."""
    iid = start_item(services, JOINT, START)
    seen = [_rows(services, iid)]
    while open_now := tasks(services, iid):
        name = open_now[0]["spec_name"].split(" [")[0]
        with services.transaction() as s:
            runner.complete(s, open_now[0]["id"], step_task_data(name), actor="clerk")
        seen.append(_rows(services, iid))
    return seen


@pytest.mark.parametrize("merged", [True, False])
def test_the_rows_are_those_the_orm_wrote(joint, monkeypatch, merged) -> None:
    """Two items going the same way, one written by the ORM's flush: after every step the same item row (status,
    deadlines, lock version, dates …), the same open-task rows (defaults included) and the same audit entries —
    written in one statement with the step's (PostgreSQL) or apart."""
    monkeypatch.setattr(item_writes, "MERGED", merged)
    _walk(joint)  # the first item of a process reads and caches what the later ones find
    plain = _walk(joint)
    monkeypatch.setattr(item_writes, "ENABLED", False)
    by_orm = _walk(joint)
    assert len(plain) == TASKS_PER_ITEM + 1 == len(by_orm)
    for step, (ours, theirs) in enumerate(zip(plain, by_orm, strict=True)):
        assert ours == theirs, f"after step {step}: " + repr(
            [(a, b) for a, b in zip(ours[2], theirs[2], strict=False) if a != b][:2]
            or (len(ours[2]), len(theirs[2]))
        )
    assert plain[-1][0]["status"] == "completed" and plain[1][1]  # it ended, and had open tasks on the way
    assert any("rule_id" in row for row in plain[0][1])  # and timers from its start
    with joint.transaction() as s:  # every chain reads in the order of its rows' ids
        assert audit.verify(s) == []


def test_the_session_keeps_what_the_orm_would_leave(joint, db_engine) -> None:
    """After the step's flush its new open-task rows are persistent and unchanged with their ids, reading them
    sends nothing, and the item's lock version is the row's."""
    iid = start_item(joint, JOINT, START)
    accept = task(joint, iid, "accept")
    with joint.transaction() as s:
        runner.complete(s, accept["id"], step_task_data("accept"), actor="clerk")
        instance = s.get(ProcessInstance, iid)
        s.flush()
        rows = engine.open_task_rows(s, instance)
        assert len(rows) == 3 and all(inspect(r).persistent and r.id for r in rows)
        assert not s.new and not s.dirty and not s.deleted
        with statements(db_engine) as sent:
            seen = [
                (r.id, r.spec_name, r.urge_count, r.candidate_windows, r.properties, r.claimed_at)
                for r in rows
            ]
        assert sent == []
        stored = s.execute(
            select(OpenTask.id, OpenTask.spec_name, OpenTask.urge_count, OpenTask.candidate_windows).where(
                OpenTask.instance_id == iid
            )
        ).all()
        assert sorted(stored) == sorted(r[:4] for r in seen)
        version = s.scalar(select(ProcessInstance.lock_version).where(ProcessInstance.id == iid))
        assert instance.lock_version == version
        assert s.get(OpenTask, rows[0].id) is rows[0]  # the identity map holds them


def test_an_item_changed_meanwhile_is_refused_and_nothing_is_written(joint, db_engine) -> None:
    """The item was read before a colleague's step committed: its UPDATE finds the lock moved, as the ORM's would."""
    if db_engine.dialect.name != "postgresql":
        pytest.skip("SQLite's transactions take turns: the colleague's would wait for this one")
    iid = start_item(joint, JOINT, START)
    before = _rows(joint, iid)
    with pytest.raises(ConcurrentUpdate), joint.transaction() as s:
        instance = s.get(ProcessInstance, iid)
        instance.applicant = "王五"
        item_writes.item_saved(s, instance)
        with joint.transaction() as other:  # a colleague's step commits first
            other.execute(
                update(ProcessInstance)
                .where(ProcessInstance.id == iid)
                .values(lock_version=ProcessInstance.lock_version + 1)
            )
        with statements(db_engine, lambda sql: sql.startswith("UPDATE process_instances")) as sent:
            s.flush()
        pytest.fail(f"written over the colleague's change: {sent}")
    after = _rows(joint, iid)
    assert after[0] == before[0] | {
        "lock_version": before[0]["lock_version"] + 1
    }  # the colleague's change only
    assert (after[1], after[2]) == (before[1], before[2])


def test_a_step_inside_a_savepoint_is_the_orms_to_write(joint) -> None:
    """Its rollback undoes the step and leaves the session's objects as the rows are; a step outside it goes on."""
    iid = start_item(joint, JOINT, START)
    accept = task(joint, iid, "accept")
    with joint.transaction() as s:
        instance = s.get(ProcessInstance, iid)
        version = instance.lock_version
        savepoint = s.begin_nested()
        runner.complete(s, accept["id"], step_task_data("accept"), actor="clerk")
        s.flush()
        assert s.scalar(select(ProcessInstance.lock_version).where(ProcessInstance.id == iid)) > version
        assert s.scalar(select(OpenTask.id).where(OpenTask.task_id == accept["id"])) is None
        savepoint.rollback()
        assert instance.lock_version == version
        engine.forget_projections(s, instance)
        runner.complete(s, accept["id"], step_task_data("accept"), actor="clerk")
    assert sorted(t["spec_name"].split(" [")[0] for t in tasks(joint, iid)) == ["review"] * 3


@pytest.mark.parametrize("plain", [True, False])
@pytest.mark.parametrize("flushed", [True, False])
def test_a_change_after_the_save_is_written_with_it(joint, monkeypatch, plain, flushed) -> None:
    """As the ORM writes it: one UPDATE more when a flush wrote the step before the change, else one for both."""
    monkeypatch.setattr(item_writes, "ENABLED", plain)
    iid = start_item(joint, JOINT, START)
    accept = task(joint, iid, "accept")
    before = _rows(joint, iid)[0]["lock_version"]
    with joint.transaction() as s:
        runner.complete(s, accept["id"], step_task_data("accept"), actor="clerk")
        if flushed:
            s.flush()
        s.get(ProcessInstance, iid).applicant = "王五"
    item, _, _ = _rows(joint, iid)
    assert item["applicant"] == "王五" and item["lock_version"] == before + (2 if flushed else 1)


def test_rows_inserted_by_a_transaction_that_rolls_back_leave_the_session(joint) -> None:
    """As the ORM's own inserted rows do: nothing in a session that goes on stands for a row that is not there."""
    iid = start_item(joint, JOINT, START)
    accept = task(joint, iid, "accept")
    s = joint._session(joint.session_factory())  # a session that goes on after its rollback
    try:
        runner.complete(s, accept["id"], step_task_data("accept"), actor="clerk")
        s.flush()
        rows = engine.open_task_rows(s, s.get(ProcessInstance, iid))
        assert len(rows) == 3 and all(r in s for r in rows)
        s.rollback()
        assert not any(r in s for r in rows)
        assert [t.spec_name for t in s.scalars(select(OpenTask).where(OpenTask.instance_id == iid))] == [
            "accept"
        ]
    finally:
        s.close()


def test_a_starts_item_is_one_insert_kept_in_the_session_as_the_orm_would(joint, db_engine) -> None:
    """The new item: one plain INSERT, its id given; then persistent with its first lock version, its definition
    there without a read, and its step's write checks that version."""
    writes = ("INSERT INTO process_instances", "UPDATE process_instances", "WITH")  # WITH: the merged write
    with statements(db_engine, lambda sql: sql.startswith(writes)) as sent, joint.transaction() as s:
        instance = runner.start(s, JOINT, actor="clerk", data=dict(START))
        assert sent[0].startswith(writes[0])
        assert inspect(instance).persistent and instance.id and instance not in s.new
        with statements(db_engine) as read:
            assert instance.definition.key == JOINT and instance.business_key
        assert read == []
    inserted, *written = sent  # then the step's writes, each checking the lock
    assert inserted.startswith(writes[0]) and written
    assert all("UPDATE process_instances" in sql and "lock_version = " in sql for sql in written)
    item, _, _ = _rows(joint, instance.id)
    assert item["lock_version"] == 1 + len(written) and item["definition_key"] == JOINT


def test_a_start_rolled_back_leaves_no_item_in_the_session_or_the_database(joint) -> None:
    s = joint._session(joint.session_factory())  # a session that goes on after its rollback
    try:
        before = s.scalar(select(func.count()).select_from(ProcessInstance))
        instance = runner.start(s, JOINT, actor="clerk", data=dict(START))
        assert instance in s
        s.rollback()
        assert instance not in s
        assert s.scalar(select(func.count()).select_from(ProcessInstance)) == before
        with s.begin_nested():  # inside a savepoint the ORM's flush writes it, and its rollback takes it back
            nested = runner.start(s, JOINT, actor="clerk", data=dict(START))
            assert inspect(nested).persistent
            s.get_nested_transaction().rollback()
        assert nested not in s
        assert s.scalar(select(func.count()).select_from(ProcessInstance)) == before
    finally:
        s.close()


WRITES = (
    "INSERT INTO audit_entries",
    "DELETE FROM open_tasks",
    "INSERT INTO open_tasks",
    "UPDATE process_instances",
)


def _accepted(services: runner.Services) -> int:
    """An item past its acceptance, at its three windows' reviews."""
    iid = start_item(services, JOINT, START)
    with services.transaction() as s:
        runner.complete(s, task(services, iid, "accept")["id"], step_task_data("accept"), actor="clerk")
    return iid


def test_on_postgresql_a_completion_writes_in_one_statement(joint, db_engine) -> None:
    """A review's audit entries, the DELETE of its row and the item's UPDATE, the lock checked in it: one
    statement. The last review's step opens the consolidation: its row's INSERT rides along too."""
    if db_engine.dialect.name != "postgresql":
        pytest.skip("SQLite writes them a statement each")
    iid = _accepted(joint)
    for review in tasks(joint, iid):
        with (
            statements(db_engine, lambda sql: sql.startswith(("WITH", *WRITES))) as sent,
            joint.transaction() as s,
        ):
            runner.complete(s, review["id"], step_task_data("review"), actor="clerk")
        assert len(sent) == 1, "\n".join(sql[:160] for sql in sent)
        assert sent[0].startswith("WITH audit_rows AS (INSERT INTO audit_entries")
        assert all(part in sent[0] for part in (WRITES[1], WRITES[3], "lock_version = ")), sent[0]
    assert WRITES[2] in sent[0]
    (consolidate,) = tasks(joint, iid)
    assert consolidate["spec_name"].startswith("consolidate")
    with joint.transaction() as s:  # the id the statement returned is the row's
        (row,) = engine.open_task_rows(s, s.get(ProcessInstance, iid))
        assert row.id == s.scalar(select(OpenTask.id).where(OpenTask.instance_id == iid))


def test_on_postgresql_a_starts_timers_ride_along(joint, db_engine) -> None:
    """The timers a start lays out (the warning rules' and the diagram's) are inserted by the statement that
    writes its step, and are then persistent with the ids of their rows."""
    if db_engine.dialect.name != "postgresql":
        pytest.skip("SQLite writes them a statement each")
    with (
        statements(db_engine, lambda sql: sql.startswith(("WITH", "INSERT INTO timers"))) as sent,
        joint.transaction() as s,
    ):
        instance = runner.start(s, JOINT, actor="clerk", data=START)
        s.flush()
        laid_out = [row for row in s.identity_map.values() if isinstance(row, Timer)]
        assert laid_out and all(inspect(row).persistent and not inspect(row).modified for row in laid_out)
        assert not any(isinstance(row, Timer) for row in s.new)
        ids = {row.id: (row.task_id, row.due_at) for row in laid_out}
    assert len(sent) == 1 and "INSERT INTO timers" in sent[0] and sent[0].startswith("WITH"), sent
    with joint.transaction() as s:
        stored = s.execute(
            select(Timer.id, Timer.task_id, Timer.due_at).where(Timer.instance_id == instance.id)
        )
        assert {id_: (task_id, due) for id_, task_id, due in stored} == ids


def test_a_timer_moving_off_the_key_a_new_one_takes_is_written_as_the_orm_writes_it(joint) -> None:
    """The ORM's flush moves a timer before it inserts: a new timer may take the key (item, task, due time) the
    move frees. The merged statement inserts first, so that flush's timers are the ORM's to write."""
    iid = start_item(joint, JOINT, START)
    with joint.transaction() as s:
        instance = s.get(ProcessInstance, iid)
        moved = s.scalars(select(Timer).where(Timer.instance_id == iid, Timer.due_at.is_not(None))).first()
        key = (moved.task_id, moved.due_at)
        s.add(Timer(**{k: getattr(moved, k) for k in item_writes._TIMERS.inserted}))  # the key it leaves
        moved.due_at += timedelta(days=1)
        instance.applicant = "王五"
        item_writes.item_saved(s, instance)
    with joint.transaction() as s:
        dues = s.scalars(select(Timer.due_at).where(Timer.instance_id == iid, Timer.task_id == key[0]))
        assert sorted(dues) == [key[1], key[1] + timedelta(days=1)]


@pytest.mark.parametrize("merged", [True, False])
def test_a_value_too_long_for_its_column_is_refused_not_cut(joint, db_engine, monkeypatch, merged) -> None:
    """A new row's text longer than its column is refused by the database, merged or not, as a bound value is
    (never cut to fit); nothing of the step is written."""
    if db_engine.dialect.name != "postgresql":
        pytest.skip("SQLite keeps text of any length")
    monkeypatch.setattr(item_writes, "MERGED", merged)
    iid = start_item(joint, JOINT, START)
    before = _rows(joint, iid)
    with pytest.raises(DataError), joint.transaction() as s:
        instance = s.get(ProcessInstance, iid)
        old = s.scalars(select(OpenTask).where(OpenTask.instance_id == iid)).one()
        again = OpenTask(**{key: getattr(old, key) for key in item_writes._OPEN_TASKS.inserted})
        again.task_id, again.return_kind = "another", "退回" * 20  # return_kind holds 20 characters
        s.add(again)
        instance.applicant = "王五"
        item_writes.item_saved(s, instance)
        item_writes.task_rows_changed(s, [again], [])
    assert _rows(joint, iid) == before


def test_a_task_whose_row_goes_and_comes_back_in_one_flush(joint, db_engine) -> None:
    """The same task's row removed and added again before a flush (the merged statement would insert it before
    deleting the old one): written apart, the old row deleted first."""
    iid = start_item(joint, JOINT, START)
    with joint.transaction() as s:
        instance = s.get(ProcessInstance, iid)
        old = s.scalars(select(OpenTask).where(OpenTask.instance_id == iid)).one()
        again = OpenTask(
            **{key: getattr(old, key) for key in item_writes._OPEN_TASKS.inserted}, id=None
        )  # the same task, a new row
        s.delete(old)
        s.add(again)
        instance.applicant = "王五"
        item_writes.item_saved(s, instance)
        item_writes.task_rows_changed(s, [again], [old])
    with joint.transaction() as s:
        (row,) = s.scalars(select(OpenTask).where(OpenTask.instance_id == iid))
        assert row.task_id == old.task_id
        assert s.get(ProcessInstance, iid).applicant == "王五"


def test_many_audit_entries_ride_along(joint, db_engine) -> None:
    """However many entries a step records, they are written with its other writes, in recording order."""
    if db_engine.dialect.name != "postgresql":
        pytest.skip("SQLite writes them a statement each")
    iid = _accepted(joint)
    review = tasks(joint, iid)[0]
    before = len(_rows(joint, iid)[2])
    extra = 40
    with (
        statements(db_engine, lambda sql: sql.startswith(("WITH", *WRITES))) as sent,
        joint.transaction() as s,
    ):
        runner.complete(s, review["id"], step_task_data("review"), actor="clerk")
        instance = s.get(ProcessInstance, iid)
        for n in range(extra):  # recorded after the step's save, written with its writes
            audit.record(s, "note", actor="clerk", instance=instance, n=n)
    assert len(sent) == 1 and sent[0].startswith("WITH audit_rows AS (INSERT INTO audit_entries"), sent
    entries = _rows(joint, iid)[2]
    assert entries[before][0] == "complete"
    assert [e[3] for e in entries[-extra:]] == [{"n": n} for n in range(extra)]
    with joint.transaction() as s:
        assert audit.verify(s) == []


def test_values_ride_along_as_json_only_when_json_holds_them() -> None:
    """A row's own datetimes travel in ISO form; a value the ORM's JSON type would refuse (a datetime inside a
    JSON column's value) sends the step's writes apart, where it is refused as before."""
    at = datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    encoded = item_writes._encoded([{"at": at, "n": None, "detail": {"text": "受理"}}])
    assert encoded is not None and json.loads(encoded) == [
        {"at": "2026-12-31T23:59:59.999999+00:00", "n": None, "detail": {"text": "受理"}}
    ]
    assert item_writes._encoded([{"detail": {"at": at}}]) is None
    assert item_writes._encoded([{"at": at.replace(tzinfo=None)}]) is None


@pytest.mark.parametrize("merged", [True, False])
def test_a_datetime_without_a_time_zone_is_refused_merged_or_not(
    joint, db_engine, monkeypatch, merged
) -> None:
    """A new row's datetime without a time zone is refused as the columns' type refuses it (PostgreSQL would read
    it in the session's time zone); nothing of the step is written."""
    monkeypatch.setattr(item_writes, "MERGED", merged)
    iid = start_item(joint, JOINT, START)
    before = _rows(joint, iid)
    with pytest.raises(StatementError, match="naive datetime"), joint.transaction() as s:
        instance = s.get(ProcessInstance, iid)
        old = s.scalars(select(OpenTask).where(OpenTask.instance_id == iid)).one()
        again = OpenTask(**{key: getattr(old, key) for key in item_writes._OPEN_TASKS.inserted})
        again.task_id, again.created_at = "another", datetime(2026, 12, 7, 10, 0)
        s.add(again)
        instance.applicant = "王五"
        item_writes.item_saved(s, instance)
        item_writes.task_rows_changed(s, [again], [])
    assert _rows(joint, iid) == before

"""An item's step written without the ORM's unit of work: the item's versioned UPDATE and its open-task rows.

A completion changes one item row and adds or removes a few open-task rows. The ORM's flush of those (sorting
the unit of work, computing each object's history, one statement per row kind) cost about as much CPU as the
statements themselves. ``engine.save`` hands them here instead (``item_saved``, ``task_rows_changed``), and the
session's next flush (or its commit, first thing) writes them as plain statements, in this order:

1. the item's UPDATE of every attribute changed since it was read, with the optimistic lock's check
   (``lock_version``; no row: ``StaleDataError``, as the ORM raises). It comes first, so a concurrent step of the
   same item waits on the row's lock and is then refused by the check before it touches the open tasks;
2. the DELETE of the open-task rows of tasks the step finished;
3. one INSERT of the new open-task rows, their ids returned.

On PostgreSQL all three, the audit entries recorded since the last flush (``runner.core.audit``), the new
timers the step laid out and the timers it closed (``close_timers``: by id, each checked to be pending still;
``end_timers``: by kind) are one statement (``_merged``): the DELETE and the INSERTs are common table expressions
of the item's UPDATE, the rows they insert bound as one JSON array each, so one statement serves any count of
rows. PostgreSQL runs those the statement does not read after the UPDATE, and the new rows' INSERTs (their ids are
read) as the UPDATE returns its row: the row is locked, and its lock checked, first, as above. Each statement a
completion sent cost more CPU in SQLAlchemy and the driver than in the database, and its writes were five.

The objects are then what the ORM would leave after its own flush: persistent, unchanged, with their ids and the
item's new ``lock_version``. The ORM still writes whatever is not plain: an item not yet inserted, one changed
in a relationship, a row of an item not yet inserted, and everything inside a savepoint (a savepoint's rollback
expires only the objects the ORM wrote in it, so it writes those itself).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    JSON,
    Insert,
    Integer,
    Table,
    Text,
    Update,
    any_,
    bindparam,
    cast,
    delete,
    event,
    func,
    insert,
    inspect,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.base import NO_VALUE
from sqlalchemy.orm.exc import StaleDataError

from runner.core import audit
from runner.models import AuditEntry, OpenTask, ProcessInstance, Timer, TimerStatus

_ITEMS: Table = ProcessInstance.__table__  # type: ignore[assignment]
_TASK_ROWS: Table = OpenTask.__table__  # type: ignore[assignment]
_AUDIT: Table = AuditEntry.__table__  # type: ignore[assignment]
_ITEM_COLUMNS = {prop.key: prop.columns[0] for prop in inspect(ProcessInstance).column_attrs}


class _NewRows:
    """How the new rows of one model (open tasks, timers) are written without the ORM: which of its pending
    objects can be, and the values an INSERT of one writes, its column defaults applied as the ORM applies them."""

    def __init__(self, model: type[Any]) -> None:
        self.table: Table = model.__table__
        self.columns = {prop.key: prop.columns[0] for prop in inspect(model).column_attrs}
        if any(column.key != key for key, column in (_ITEM_COLUMNS | self.columns).items()):
            raise TypeError(
                "the statements bind values by attribute name: each attribute must be named as its column"
            )
        self.inserted = [key for key in self.columns if key != "id"]
        # what the ORM's INSERT would have used for an attribute left None (all of the defaults are plain values or
        # callables without arguments; SQLAlchemy wraps a callable one to take the execution context)
        self.defaults = {
            key: (lambda d=column.default: d.arg(None) if d.is_callable else d.arg)
            for key, column in self.columns.items()
            if column.default is not None and key != "id"
        }

    def plain(self, row: Any) -> bool:
        """A pending row of an item already in the database, with only column attributes set."""
        return row.instance_id is not None and not inspect(row).committed_state.keys() - self.columns.keys()

    def values(self, row: Any) -> dict[str, Any]:
        """The values an INSERT of the new row ``row`` writes."""
        values = {key: row.__dict__.get(key) for key in self.inserted}
        for key, default in self.defaults.items():
            if values[key] is None:
                values[key] = default()
        return values


_OPEN_TASKS = _NewRows(OpenTask)
_NEW_ITEMS = _NewRows(ProcessInstance)  # a start's item (``insert_item``)
_TIMERS = _NewRows(Timer)  # a step's new timers ride along the merged statement (``_merged``)
_TIMER_KEY = frozenset(  # the columns the timers are unique by
    next(c for c in _TIMERS.table.constraints if c.name == "uq_timer").columns.keys()  # type: ignore[attr-defined]
)
_INSERT_ROWS = insert(_TASK_ROWS).returning(_TASK_ROWS.c.id, sort_by_parameter_order=True)
_INSERT_ITEM = insert(_ITEMS).returning(_ITEMS.c.id)
_DELETE_ROWS = delete(_TASK_ROWS).where(_TASK_ROWS.c.id.in_(bindparam("ids", expanding=True)))
_KEY = "item_writes"  # session.info: what saves handed over since the last flush (``_Step``)
_INSERTED_KEY = "item_writes_inserted"  # session.info: the rows this transaction inserted
ENABLED = True  # False: the ORM's flush writes everything (the tests and the benchmark compare the two)
# PostgreSQL: the audit entries, the open-task rows and the new timers ride along the item's UPDATE, in one
# statement (``_merged``)
MERGED = True


@dataclass
class _Step:
    """What saves of this session handed over since its last flush."""

    items: dict[int, ProcessInstance] = field(default_factory=dict)  # by id(): ORM objects do not hash by row
    added: list[OpenTask] = field(default_factory=list)
    removed: list[OpenTask] = field(default_factory=list)
    # the pending timers closed by id (``close_timers``), the items whose timers of a kind end (``end_timers``)
    closed: list[dict[str, Any]] = field(default_factory=list)
    ended: list[dict[str, Any]] = field(default_factory=list)


def _step(session: Session) -> _Step:
    step: _Step | None = session.info.get(_KEY)
    if step is None:
        step = session.info[_KEY] = _Step()
    return step


def item_saved(session: Session, instance: ProcessInstance) -> None:
    """``instance`` was saved: its next flush writes it with one plain UPDATE, when it can."""
    _step(session).items[id(instance)] = instance


def insert_item(session: Session, instance: ProcessInstance) -> None:
    """Write a new item (its column attributes; its ``definition`` may be set as well) and give it its id: one
    plain INSERT, then the object is persistent and unchanged, with its first ``lock_version``, as the ORM's flush
    of it leaves it (at twice the CPU). Inside a savepoint, or with ``ENABLED`` off, the ORM's flush writes it."""
    if not ENABLED or session.in_nested_transaction():
        session.add(instance)
        session.flush()
        return
    values = _NEW_ITEMS.values(instance) | {"lock_version": 1}  # the ORM's first version (``version_id_col``)
    new_id = session.connection().execute(_INSERT_ITEM, values).scalar_one()
    _made_persistent(session, [instance], [values], [new_id])


def task_rows_changed(session: Session, added: list[OpenTask], removed: list[OpenTask]) -> None:
    """A save added ``added`` (``session.add``) and removed ``removed`` (``session.delete``)."""
    step = _step(session)
    step.added += added
    step.removed += removed


def closes_timers(session: Session) -> bool:
    """Whether this transaction writes timer closes (``close_timers``, ``end_timers``) with its step: on
    PostgreSQL, outside a savepoint (inside one the ORM writes, and a close must roll back with what it rolls
    back)."""
    return (
        ENABLED
        and MERGED
        and session.get_bind().dialect.name == "postgresql"
        and not session.in_nested_transaction()
    )


def holds_timers(session: Session, instance: ProcessInstance) -> bool:
    """Does the session hold an object of a timer row of ``instance`` (read, added or written by it)? A close
    written by ``close_timers`` or ``end_timers`` would not change it: such a row is closed through its object."""
    return _timer_of(instance, (*session.identity_map.values(), *session.new))


def unwritten_timers(session: Session, instance: ProcessInstance) -> bool:
    """Has this transaction added or changed a timer row of ``instance`` that is not written yet? (A statement of
    the timers table must see them as they are: write them first.)"""
    return _timer_of(instance, (*session.new, *session.dirty))


def _timer_of(instance: ProcessInstance, objects: Iterable[Any]) -> bool:
    return any(isinstance(row, Timer) and row.instance_id == instance.id for row in objects)


def close_timers(session: Session, instance: ProcessInstance, closed: dict[int, str], now: datetime) -> bool:
    """Mark the pending timer rows of ``instance`` with these ids (not the warning rules') with their new status
    (fired or cancelled), ended ``now``, at the next write of the step: all of them, or the write is refused as a
    lost race (``StaleDataError``: one was not pending any more). False, and nothing noted, unless
    ``closes_timers``: the caller writes them itself."""
    if not closes_timers(session) or now.tzinfo is None:
        return False
    _step(session).closed.extend(
        {"id": timer_id, "instance_id": instance.id, "status": str(status), "ended_at": now}
        for timer_id, status in closed.items()
    )
    return True


def end_timers(session: Session, instance: ProcessInstance, kind: str, now: datetime) -> bool:
    """Cancel the pending and unarmed timer rows of ``kind`` of ``instance`` (those written by then), ended
    ``now``, at the next write of the step. False, and nothing noted, unless ``closes_timers``."""
    if not closes_timers(session) or now.tzinfo is None:
        return False
    _step(session).ended.append({"instance_id": instance.id, "kind": kind, "ended_at": now})
    return True


@event.listens_for(Session, "before_flush", insert=True)
def _write_steps(session: Session, _flush: Any, _objects: Any) -> None:
    """Write what saves handed over, before the ORM's unit of work (which is left what this does not write), and
    before the audit trail's listener writes the pending entries (they may ride along)."""
    write_steps(session)


@event.listens_for(Session, "before_commit", insert=True)
def _write_steps_at_commit(session: Session) -> None:
    """The commit writes what saves handed over first: before the audit trail's listener writes the pending
    entries at the commit (they may ride along), and before the commit's flush."""
    write_steps(session)


def write_steps(session: Session) -> None:
    """Write what saves handed over since the last flush, if they can be written without the ORM."""
    step: _Step | None = session.info.pop(_KEY, None)
    if step is None:
        return
    if not ENABLED or session.in_nested_transaction():
        if step.closed or step.ended:  # noted outside the savepoint this flush is in: written all the same
            _close_apart(session.connection(), step)
        return
    connection = session.connection()
    deleted, new = session.deleted, session.new
    removed = [row for row in step.removed if row in deleted]
    added = [row for row in step.added if row in new and _OPEN_TASKS.plain(row)]
    items = list(step.items.values())
    if (
        len(items) == 1
        and _mergeable(connection, removed, added)
        and (changed := _changes(session, items[0]))
    ):
        timers = _new_timers(session)
        rows = _Inserts(added, [_OPEN_TASKS.values(row) for row in added])
        new_timers = _Inserts(timers, [_TIMERS.values(row) for row in timers])
        entries = _encoded(audit.pending(session))
        if entries is not None and rows.encoded is not None and new_timers.encoded is not None:
            _write_merged(session, connection, items[0], changed, removed, entries, rows, new_timers, step)
            return
    for instance in items:
        _write_item(session, connection, instance)
    _close_apart(connection, step)
    if removed:
        connection.execute(_DELETE_ROWS, {"ids": [row.id for row in removed]})
        _gone(session, removed)
    if added:
        _insert_rows(session, connection, added)


def _new_timers(session: Session) -> list[Timer]:
    """The pending timers the merged statement inserts: all of them, unless a timer of this flush moves in the
    key the rows are unique by (the ORM's flush updates before it inserts, so such a move frees the key for a new
    row; the statement inserts first)."""
    if any(
        isinstance(row, Timer) and _TIMER_KEY & inspect(row).committed_state.keys() for row in session.dirty
    ):
        return []
    return [row for row in session.new if isinstance(row, Timer) and _TIMERS.plain(row)]


@dataclass
class _Inserts:
    """New rows of one kind, the values their INSERT writes, and those as JSON (None: not all of them have a JSON
    form, ``_encoded``)."""

    rows: list[Any]
    values: list[dict[str, Any]]
    encoded: str | None = field(init=False)

    def __post_init__(self) -> None:
        self.encoded = _encoded(self.values)


def _mergeable(connection: Any, removed: list[OpenTask], added: list[OpenTask]) -> bool:
    """Whether one statement may write it all: on PostgreSQL, when none of the new rows is of a task whose row
    goes (the statement inserts first)."""
    return (
        MERGED
        and connection.dialect.name == "postgresql"
        and not {row.task_id for row in removed} & {row.task_id for row in added}
    )


def _changes(session: Session, instance: ProcessInstance) -> tuple[str, ...] | None:
    """The attributes of ``instance`` its plain UPDATE writes (empty: none changed); None: the ORM writes it."""
    state = inspect(instance)
    if not state.persistent or instance not in session or instance in session.deleted:
        return None
    before, values = state.committed_state, state.dict
    if any(key not in _ITEM_COLUMNS or key not in values for key in before) or "lock_version" in before:
        return None  # a relationship changed, an attribute expired, or the lock moved by hand: the ORM's own flush
    if values.get("lock_version") is None:
        return None
    return tuple(sorted(key for key, old in before.items() if old is NO_VALUE or old != values[key]))


def _write_merged(
    session: Session,
    connection: Any,
    instance: ProcessInstance,
    changed: tuple[str, ...],
    removed: list[OpenTask],
    entries: str,
    added: _Inserts,
    timers: _Inserts,
    step: _Step,
) -> None:
    """The item's versioned UPDATE, with the pending audit entries (``entries``: as JSON), the DELETE of
    ``removed``, the INSERTs of the new open-task rows and timers and the step's timer closes as its common table
    expressions: one statement, one round trip."""
    wrote_entries = bool(audit.take_pending(session))
    params = _update_params(instance, changed) | {
        "entries": entries,
        "removed": [row.id for row in removed],
        "added": added.encoded,
        "timers": timers.encoded,
        "closed": _encoded(step.closed),
        "ended": _encoded(step.ended),
    }
    statement = _merged(
        changed,
        wrote_entries,
        bool(removed),
        bool(added.rows),
        bool(timers.rows),
        bool(step.closed),
        bool(step.ended),
    )
    answer = connection.execute(statement, params).first()
    _updated(session, instance, 0 if answer is None else 1)
    if step.closed:
        _all_closed(step, answer._mapping["closed_count"])
    _gone(session, removed)
    for new, ids in ((added, "added_ids"), (timers, "timer_ids")):
        if new.rows:
            _made_persistent(session, new.rows, new.values, list(answer._mapping[ids]))


def _encoded(rows: list[dict[str, Any]]) -> str | None:
    """``rows`` as one JSON array, their datetimes in ISO form with their offset, or None when a value has no JSON
    form (the ORM's JSON type refuses it) or is a datetime without a time zone (the columns' type refuses it): the
    writes then go apart, through the types that refuse it."""
    try:
        return json.dumps([{key: _json_value(value) for key, value in row.items()} for row in rows])
    except (TypeError, ValueError):
        return None


def _json_value(value: Any) -> Any:
    if not isinstance(value, datetime):
        return value
    if value.tzinfo is None:
        raise ValueError("a naive datetime")  # PostgreSQL would read it in the session's time zone
    return value.isoformat()


def _close_apart(connection: Any, step: _Step) -> None:
    """The step's timer closes, each kind in a statement of its own (the merged statement did not write them)."""
    if step.closed:
        closed = connection.execute(_CLOSE_TIMERS, {"closed": _encoded(step.closed)}).all()
        _all_closed(step, len(closed))
    if step.ended:
        connection.execute(_END_TIMERS, {"ended": _encoded(step.ended)})


def _all_closed(step: _Step, count: int) -> None:
    """Refuse the write as a lost race unless each timer the step closed by id was still pending."""
    if count != len(step.closed):
        raise StaleDataError(
            f"UPDATE statement on table 'timers' expected to close {len(step.closed)} pending row(s); {count} were."
        )


def _json_rows(table: Table, param: str, columns: list[str], **table_valued: Any) -> Any:
    """The rows of the JSON array bound as ``param``, one object per row keyed by column, read by PostgreSQL once
    each into a row of ``table``'s type (``json_populate_recordset``): a JSON column's value as written, any other
    as its type reads the text. ``columns``: those the statement reads (no column list is rendered: PostgreSQL
    names the row type's columns, in the table's order)."""
    return (
        func.json_populate_recordset(
            literal_column(f"NULL::{table.name}"), cast(bindparam(param, type_=Text), JSON)
        )
        .table_valued(*columns, **table_valued)
        .alias(f"{param}_rows")
    )


def _timer_closes() -> Update:
    """Mark the pending timers of the JSON array ``closed`` (id, instance_id, status, ended_at), not the warning
    rules' (kind ``rule``: ``engine``'s timers only are closed by id), returning the ids of those it marked."""
    timers = _TIMERS.table
    closed = _json_rows(timers, "closed", ["id", "instance_id", "status", "ended_at"])
    return (
        update(timers)
        .where(
            timers.c.id == closed.c.id,
            timers.c.instance_id == closed.c.instance_id,
            timers.c.status == TimerStatus.PENDING,
            timers.c.kind != "rule",
        )
        .values(status=closed.c.status, ended_at=closed.c.ended_at)
        .returning(timers.c.id)
    )


def _timer_ends() -> Update:
    """Cancel the pending and unarmed timers of the items and kinds of the JSON array ``ended`` (instance_id, kind,
    ended_at)."""
    timers = _TIMERS.table
    ended = _json_rows(timers, "ended", ["instance_id", "kind", "ended_at"])
    return (
        update(timers)
        .where(
            timers.c.instance_id == ended.c.instance_id,
            timers.c.kind == ended.c.kind,
            timers.c.status.in_((TimerStatus.PENDING, TimerStatus.UNARMED)),
        )
        .values(status=TimerStatus.CANCELLED, ended_at=ended.c.ended_at)
    )


_CLOSE_TIMERS = _timer_closes()
_END_TIMERS = _timer_ends()


@functools.cache
def _merged(
    changed: tuple[str, ...],
    entries: bool,
    removed: bool,
    added: bool,
    timers: bool,
    closed: bool = False,
    ended: bool = False,
) -> Update:
    """``_item_update(changed)`` with the step's other writes riding along as its common table expressions: the
    audit entries (JSON array ``entries``), the DELETE of the open-task rows of ids ``removed`` (an array), the
    INSERT of the new open-task rows (JSON array ``added``) and of the new timers (``timers``), the timers closed
    by id (``closed``) and those ended by kind (``ended``). It returns the item's id, the new rows' ids in their
    order (``added_ids``, ``timer_ids``) and how many timers it closed by id (``closed_count``), no row when the
    lock check failed. One statement for any count of rows, with few parameters: the driver keeps its parsed form
    (``psycopg`` parses afresh a statement of more than 50 parameters, every time)."""
    ctes = []
    if entries:
        ctes.append(_inserted_from_json(_AUDIT, "entries").cte("audit_rows"))
    if removed:
        gone = delete(_TASK_ROWS).where(_TASK_ROWS.c.id == any_(bindparam("removed", type_=ARRAY(Integer))))
        ctes.append(gone.cte("gone"))
    new_ids = []
    for table, param, wanted, label in (
        (_TASK_ROWS, "added", added, "added_ids"),
        (_TIMERS.table, "timers", timers, "timer_ids"),
    ):
        if wanted:
            new = _inserted_from_json(table, param).returning(table.c.id).cte(f"new_{param}")
            ctes.append(new)
            ids = select(func.array_agg(aggregate_order_by(new.c.id, new.c.id))).scalar_subquery()
            new_ids.append(ids.label(label))
    counts = []
    if closed:
        closes = _CLOSE_TIMERS.cte("closed_timers")
        ctes.append(closes)
        counts.append(select(func.count()).select_from(closes).scalar_subquery().label("closed_count"))
    if ended:
        ctes.append(_END_TIMERS.cte("ended_timers"))
    return _item_update(changed).returning(_ITEMS.c.id, *new_ids, *counts).add_cte(*ctes)


def _inserted_from_json(table: Table, param: str) -> Insert:
    """The INSERT into ``table`` of the rows of the JSON array bound as ``param``, one object per row keyed by
    column, in the array's order (ids follow it: ``audit.verify`` walks a chain by id), as ``_json_rows`` reads them
    (the INSERT refuses a string too long as it refuses one bound)."""
    columns = [c.key for c in table.columns if c.key != "id"]
    rows = _json_rows(table, param, columns, with_ordinality="ordinality")
    ordered = select(*(rows.c[key] for key in columns)).order_by(rows.c.ordinality)
    return insert(table).from_select(columns, ordered)


def _write_item(session: Session, connection: Any, instance: ProcessInstance) -> None:
    """The item's versioned UPDATE of what changed since it was read (nothing when nothing did, as the ORM)."""
    changed = _changes(session, instance)
    if changed is None:
        return
    state = inspect(instance)
    if not changed:  # nothing to write: the object as the ORM's flush leaves it
        state._commit_all(state.dict, session.identity_map)
        return
    result = connection.execute(_item_update(changed), _update_params(instance, changed))
    _updated(session, instance, result.rowcount)


def _update_params(instance: ProcessInstance, changed: tuple[str, ...]) -> dict[str, Any]:
    """The parameters of ``_item_update(changed)``: the changed values, the id, the version read and the next."""
    values = inspect(instance).dict
    version = values["lock_version"]
    return {key: values[key] for key in changed} | {
        "_id": instance.id,
        "_version": version,
        "_next": version + 1,
    }


def _updated(session: Session, instance: ProcessInstance, matched: int) -> None:
    """After the item's UPDATE matched ``matched`` rows: refused as the ORM refuses a lost race (none), else the
    object as the ORM's flush leaves what it wrote (the next version, every attribute committed, unmodified)."""
    if matched != 1:
        raise StaleDataError(
            f"UPDATE statement on table 'process_instances' expected to update 1 row(s); {matched} were matched."
        )
    values = inspect(instance).dict
    values["lock_version"] += 1
    inspect(instance)._commit_all(values, session.identity_map)


def _gone(session: Session, removed: list[OpenTask]) -> None:
    """The deleted open-task rows leave the session, as the ORM's flush leaves the rows it deletes."""
    for row in removed:
        session.expunge(row)


@functools.cache
def _item_update(changed: tuple[str, ...]) -> Update:
    """The versioned UPDATE of an item's ``changed`` attributes (bound by attribute name)."""
    return (
        update(_ITEMS)
        .where(_ITEMS.c.id == bindparam("_id"), _ITEMS.c.lock_version == bindparam("_version"))
        .values(
            {_ITEM_COLUMNS[key]: bindparam(key) for key in changed}
            | {_ITEMS.c.lock_version: bindparam("_next")}
        )
    )


def _insert_rows(session: Session, connection: Any, rows: list[OpenTask]) -> None:
    """One INSERT of ``rows``, their ids returned; then each is persistent and unchanged, as the ORM leaves it."""
    params = [_OPEN_TASKS.values(row) for row in rows]
    ids = connection.execute(_INSERT_ROWS, params).scalars().all()
    _made_persistent(session, rows, params, ids)


def _made_persistent(session: Session, rows: list[Any], params: list[dict[str, Any]], ids: list[int]) -> None:
    """The inserted ``rows`` (with the values written and the ids given) persistent and unchanged, as the ORM
    leaves the rows it inserts (a relationship set on one stays, as loaded)."""
    inserted: list[Any] = session.info.setdefault(_INSERTED_KEY, [])
    for row, values, new_id in zip(rows, params, ids, strict=True):
        if row in session:
            session.expunge(row)
        row.__dict__.update(values, id=new_id)  # no history: the next line resets it, as if loaded
        make_transient_to_detached(row)
        session.add(row)
        inserted.append(row)


@event.listens_for(Session, "after_commit")
def _inserted_for_good(session: Session) -> None:
    """The transaction that inserted rows committed: they stay (a savepoint's release is not that)."""
    if not session.in_nested_transaction():
        session.info.pop(_INSERTED_KEY, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_at_end(session: Session, ended: Any) -> None:
    """Nothing handed over outlives the session's transaction; the rows it inserted leave the session if it ended
    without a commit, as the ORM's own inserted rows do (none is inserted inside a savepoint)."""
    if ended.parent is None:
        session.info.pop(_KEY, None)
        for row in session.info.pop(_INSERTED_KEY, ()):
            if row in session:
                session.expunge(row)

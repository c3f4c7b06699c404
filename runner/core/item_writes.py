"""An item's step written without the ORM's unit of work: the item's versioned UPDATE and its open-task rows.

A completion changes one item row and adds or removes a few open-task rows. The ORM's flush of those (sorting
the unit of work, computing each object's history, one statement per row kind) cost about as much CPU as the
statements themselves. ``engine.save`` hands them here instead (``item_saved``, ``task_rows_changed``), and the
session's next flush writes them as plain statements, in this order:

1. the item's UPDATE of every attribute changed since it was read, with the optimistic lock's check
   (``lock_version``; no row: ``StaleDataError``, as the ORM raises). It comes first, so a concurrent step of the
   same item waits on the row's lock and is then refused by the check before it touches the open tasks;
2. the DELETE of the open-task rows of tasks the step finished;
3. one INSERT of the new open-task rows, their ids returned.

The objects are then what the ORM would leave after its own flush: persistent, unchanged, with their ids and the
item's new ``lock_version``. The ORM still writes whatever is not plain: an item not yet inserted, one changed
in a relationship, a row of an item not yet inserted, and everything inside a savepoint (a savepoint's rollback
expires only the objects the ORM wrote in it, so it writes those itself).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, Update, bindparam, delete, event, insert, inspect, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.base import NO_VALUE
from sqlalchemy.orm.exc import StaleDataError

from runner.models import OpenTask, ProcessInstance

_ITEMS: Table = ProcessInstance.__table__  # type: ignore[assignment]
_TASK_ROWS: Table = OpenTask.__table__  # type: ignore[assignment]
_ITEM_COLUMNS = {prop.key: prop.columns[0] for prop in inspect(ProcessInstance).column_attrs}
_ROW_COLUMNS = {prop.key: prop.columns[0] for prop in inspect(OpenTask).column_attrs}
if any(column.key != key for key, column in (_ITEM_COLUMNS | _ROW_COLUMNS).items()):
    raise TypeError(
        "the statements bind values by attribute name: each attribute must be named as its column"
    )
_INSERTED = [key for key in _ROW_COLUMNS if key != "id"]
# what the ORM's INSERT would have used for an attribute left None (all of the row's defaults are plain values or
# callables without arguments)
_ROW_DEFAULTS = {  # SQLAlchemy wraps a callable default to take the execution context
    key: (lambda d=column.default: d.arg(None) if d.is_callable else d.arg)
    for key, column in _ROW_COLUMNS.items()
    if column.default is not None and key != "id"
}
_INSERT_ROWS = insert(_TASK_ROWS).returning(_TASK_ROWS.c.id, sort_by_parameter_order=True)
_DELETE_ROWS = delete(_TASK_ROWS).where(_TASK_ROWS.c.id.in_(bindparam("ids", expanding=True)))
_KEY = "item_writes"  # session.info: what saves handed over since the last flush (``_Step``)
_INSERTED_KEY = "item_writes_inserted"  # session.info: the open-task rows this transaction inserted
ENABLED = True  # False: the ORM's flush writes everything (the tests and the benchmark compare the two)


@dataclass
class _Step:
    """What saves of this session handed over since its last flush."""

    items: dict[int, ProcessInstance] = field(default_factory=dict)  # by id(): ORM objects do not hash by row
    added: list[OpenTask] = field(default_factory=list)
    removed: list[OpenTask] = field(default_factory=list)


def _step(session: Session) -> _Step:
    step: _Step | None = session.info.get(_KEY)
    if step is None:
        step = session.info[_KEY] = _Step()
    return step


def item_saved(session: Session, instance: ProcessInstance) -> None:
    """``instance`` was saved: its next flush writes it with one plain UPDATE, when it can."""
    _step(session).items[id(instance)] = instance


def task_rows_changed(session: Session, added: list[OpenTask], removed: list[OpenTask]) -> None:
    """A save added ``added`` (``session.add``) and removed ``removed`` (``session.delete``)."""
    step = _step(session)
    step.added += added
    step.removed += removed


@event.listens_for(Session, "before_flush")
def _write_steps(session: Session, _flush: Any, _objects: Any) -> None:
    """Write what saves handed over, before the ORM's unit of work (which is left what this does not write)."""
    step: _Step | None = session.info.pop(_KEY, None)
    if step is None or not ENABLED or session.in_nested_transaction():
        return
    connection = session.connection()
    for instance in step.items.values():
        _write_item(session, connection, instance)
    deleted = session.deleted
    removed = [row for row in step.removed if row in deleted]
    if removed:
        connection.execute(_DELETE_ROWS, {"ids": [row.id for row in removed]})
        for row in removed:
            session.expunge(row)
    new = session.new
    added = [row for row in step.added if row in new and _plain_new_row(row)]
    if added:
        _insert_rows(session, connection, added)


def _write_item(session: Session, connection: Any, instance: ProcessInstance) -> None:
    """The item's versioned UPDATE of what changed since it was read (nothing when nothing did, as the ORM)."""
    state = inspect(instance)
    if not state.persistent or instance not in session or instance in session.deleted:
        return
    before, values = state.committed_state, state.dict
    if any(key not in _ITEM_COLUMNS or key not in values for key in before) or "lock_version" in before:
        return  # a relationship changed, an attribute expired, or the lock moved by hand: the ORM's own flush
    version = values.get("lock_version")
    if version is None:
        return
    changed = tuple(sorted(key for key, old in before.items() if old is NO_VALUE or old != values[key]))
    if changed:
        result = connection.execute(
            _item_update(changed),
            {key: values[key] for key in changed}
            | {"_id": instance.id, "_version": version, "_next": version + 1},
        )
        if result.rowcount != 1:
            raise StaleDataError(
                "UPDATE statement on table 'process_instances' expected to update 1 row(s); "
                f"{result.rowcount} were matched."
            )
        values["lock_version"] = version + 1
    # what the ORM's flush does to what it wrote: every attribute committed, the object no longer modified
    state._commit_all(values, session.identity_map)


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


def _plain_new_row(row: OpenTask) -> bool:
    """A pending row of an item already in the database, with only column attributes set."""
    return row.instance_id is not None and not inspect(row).committed_state.keys() - _ROW_COLUMNS.keys()


def _insert_rows(session: Session, connection: Any, rows: list[OpenTask]) -> None:
    """One INSERT of ``rows``, their ids returned; then each is persistent and unchanged, as the ORM leaves it."""
    params = []
    for row in rows:
        values = {key: row.__dict__.get(key) for key in _INSERTED}
        for key, default in _ROW_DEFAULTS.items():
            if values[key] is None:
                values[key] = default()
        params.append(values)
    ids = connection.execute(_INSERT_ROWS, params).scalars().all()
    inserted: list[OpenTask] = session.info.setdefault(_INSERTED_KEY, [])
    for row, values, new_id in zip(rows, params, ids, strict=True):
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

"""What a runner transaction carries in its session: the services it was opened with and the work to do after
its commit (callbacks in this process, RQ jobs to send). A light module: any part of the runner may use it
without importing how the services are built.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from runner.core.scheduling import Job
    from runner.core.services import Services


def services_of(session: Session) -> Services:
    """The services a session was opened with (``Services.transaction``)."""
    try:
        return session.info["services"]  # type: ignore[no-any-return]
    except KeyError:
        raise RuntimeError("runner functions need a session from Services.transaction()") from None


def on_commit(session: Session, callback: Callable[[], None]) -> None:
    """Call ``callback`` in this process once ``session`` has committed (never on rollback)."""
    session.info.setdefault("on_commit", []).append(callback)


def after_commit(session: Session, job: Job) -> None:
    """Queue ``job`` to be sent once ``session`` has committed (dropped on rollback)."""
    session.info.setdefault("after_commit", []).append(job)


def read_ahead(session: Session, kind: str, rows: dict[int, list[Any]]) -> None:
    """Remember rows of ``kind`` read for many items at once (a batch of timers: one query instead of one per
    item), by item id; the item's first reader takes them (``taken_ahead``)."""
    session.info.setdefault("read_ahead", {}).setdefault(kind, {}).update(rows)


def taken_ahead(
    session: Session, kind: str, instance_id: int, model: type, of_kind: Callable[[Any], bool] | None = None
) -> list[Any] | None:
    """The rows of ``kind`` read ahead for item ``instance_id``, once (None: not read ahead — the caller reads
    them). Rows deleted since are left out; when a row of ``model`` for the item (and of the kind read, when
    ``of_kind`` tells) was added since, None (the rows read ahead miss it). The rows are the session's own
    objects: changes made since are on them."""
    rows = session.info.get("read_ahead", {}).get(kind, {}).pop(instance_id, None)
    if rows is None:
        return None
    if any(
        isinstance(new, model) and new.instance_id == instance_id and (of_kind is None or of_kind(new))
        for new in session.new
    ):
        return None
    return [row for row in rows if row not in session.deleted]


def forget_read_ahead(session: Session, instance_id: int) -> None:
    """Drop whatever was read ahead for item ``instance_id`` (its rows were changed other than by the readers)."""
    for rows in session.info.get("read_ahead", {}).values():
        rows.pop(instance_id, None)


def read_along(session: Session, kind: str, key: Any, value: Any) -> None:
    """Remember ``value`` of ``kind`` for ``key``, read along with another statement of this transaction (one
    round trip fewer); the next reader of ``kind`` in the same transaction takes it, once (``taken_along``)."""
    session.info.setdefault("read_along", {})[kind] = (session.get_transaction(), key, value)


def taken_along(session: Session, kind: str, key: Any, *, leave: bool = False) -> tuple[bool, Any]:
    """``(True, value)`` remembered by ``read_along`` for ``key``, once; ``(False, None)`` when nothing was, or it
    was for another key or in an earlier transaction of the session: the caller reads it itself. ``leave``: a
    reader that only looks (a permission check) leaves it for the next."""
    along = session.info.get("read_along", {})
    found = along.get(kind) if leave else along.pop(kind, None)
    if found is None or found[0] is not session.get_transaction() or found[1] != key:
        return False, None
    return True, found[2]


def forget_read_along(session: Session, kind: str) -> None:
    """Drop what was read along of ``kind`` (this transaction changed it)."""
    session.info.get("read_along", {}).pop(kind, None)


@contextmanager
def read_unflushed(session: Session, *models: type) -> Iterator[None]:
    """Read without first writing what this transaction changed (no autoflush: the step's writes go out once,
    at the commit), unless unwritten rows of ``models`` — the rows what is read depends on — are among them:
    then everything is written first, as autoflush would."""
    if any(isinstance(row, models) for row in (*session.new, *session.dirty, *session.deleted)):
        session.flush()
    with session.no_autoflush:
        yield

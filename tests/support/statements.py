"""The SQL statements a block of code sends, for tests that count a step's round trips."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event


@contextmanager
def statements(db_engine: Any, keep: Callable[[str], bool] | None = None) -> Iterator[list[str]]:
    """Every statement ``db_engine`` sends while inside (those ``keep`` accepts), squeezed to one line, in
    order."""
    sent: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        squeezed = " ".join(statement.split())
        if keep is None or keep(squeezed):
            sent.append(squeezed)

    event.listen(db_engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(db_engine, "before_cursor_execute", count)


# a statement that writes: INSERT, UPDATE or DELETE, alone or with common table expressions (on PostgreSQL a
# step's writes are one UPDATE carrying its INSERTs and DELETE: runner.core.item_writes)
_WRITES = re.compile(r"^(?:WITH .*?)?\b(?:INSERT INTO|UPDATE \w+ SET|DELETE FROM) ", re.DOTALL)


def writes(statement: str) -> bool:
    """Whether ``statement`` writes rows (a ``SELECT … FOR UPDATE`` does not)."""
    return bool(_WRITES.match(statement))


def writes_to(statement: str, table: str) -> bool:
    """Whether ``statement`` writes rows of ``table`` (in itself or in one of its common table expressions)."""
    return re.search(rf"\b(?:INSERT INTO|UPDATE|DELETE FROM) {table}\b", statement) is not None

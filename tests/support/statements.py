"""The SQL statements a block of code sends, for tests that count a step's round trips."""

from __future__ import annotations

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

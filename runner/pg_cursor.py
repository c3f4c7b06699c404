"""PostgreSQL cursors whose ``description`` is made when it is read, not for every statement.

psycopg builds a ``Column`` object for every column of a result each time ``cursor.description`` is read (a
name decoded and a type looked up: ≈ 1 µs a column). SQLAlchemy reads it after every statement, and for a
statement it has run before (a cached compiled statement) it only checks that there is one. A completion's first
read returns 73 columns: ≈ 80 µs of thread CPU each time for a list nobody looks at (``bench/RESULTS.md``,
"2026-12-07 02:22"). Here ``description`` answers whether there are columns and how many at once, and makes
psycopg's own list the first time a column is asked for.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, overload

from psycopg import Column, Cursor
from psycopg.pq import ExecStatus

# the result states psycopg gives a description for even when they have no columns ("SELECT ;")
_ROWS = (ExecStatus.TUPLES_OK, ExecStatus.SINGLE_TUPLE, ExecStatus.TUPLES_CHUNK)


class Description(Sequence[Column]):
    """One result's columns as psycopg describes them, made on the first look at a column."""

    __slots__ = ("_columns", "_cursor", "_result")

    def __init__(self, cursor: Cursor[Any], result: Any) -> None:
        self._cursor, self._result = cursor, result
        self._columns: list[Column] | None = None

    def _made(self) -> list[Column]:
        if self._columns is None:
            if self._cursor.pgresult is not self._result:
                raise RuntimeError(
                    "a cursor's description was first read after the cursor moved to another result"
                )
            self._columns = Cursor.description.fget(self._cursor) or []  # type: ignore[attr-defined]
        return self._columns

    def __len__(self) -> int:
        return int(self._result.nfields)

    @overload
    def __getitem__(self, index: int) -> Column: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Column]: ...
    def __getitem__(self, index: int | slice) -> Column | Sequence[Column]:
        return self._made()[index]

    def __iter__(self) -> Iterator[Column]:
        return iter(self._made())

    def __repr__(self) -> str:
        return repr(self._made())


class LazyDescriptionCursor(Cursor[Any]):
    """psycopg's client-side cursor, its ``description`` a ``Description`` (None exactly where psycopg's is)."""

    @property
    def description(self) -> Description | None:  # type: ignore[override]
        result = self.pgresult
        if result is None or not (result.nfields or result.status in _ROWS):
            return None
        return Description(self, result)

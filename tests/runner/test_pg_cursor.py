"""The platform's PostgreSQL cursors (``runner.pg_cursor``): a description made when read says what psycopg's says."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, select, text

from runner.models import ProcessInstance, User
from runner.pg_cursor import Description, LazyDescriptionCursor


@pytest.fixture
def raw(db_engine: Engine) -> Iterator[Any]:
    """A psycopg connection of the platform's engine."""
    if db_engine.dialect.name != "postgresql":
        pytest.skip("SQLite's cursors are the sqlite3 module's")
    with db_engine.connect() as conn:
        yield conn.connection.driver_connection


STATEMENTS = [
    "SELECT 1 AS one, 'a'::text AS a, now() AS at, '{\"k\": 1}'::json AS j, NULL::numeric(10, 2) AS n",
    "SELECT * FROM process_instances",
    "SELECT",  # a result of rows without columns
    "SET LOCAL statement_timeout = 1000",  # no rows at all
    "CREATE TEMP TABLE described (x int)",
    "INSERT INTO described VALUES (1), (2)",
    "INSERT INTO described VALUES (3) RETURNING x, x + 1 AS y",
]


def _facts(columns: Any) -> list[tuple[Any, ...]]:
    return [(c.name, c.type_code, c.internal_size, c.display_size, c.precision, c.scale) for c in columns]


def test_a_description_says_what_psycopgs_says(raw: Any) -> None:
    ours, theirs = raw.cursor(), psycopg.Cursor(raw)
    assert isinstance(ours, LazyDescriptionCursor)
    for statement in STATEMENTS:
        ours.execute(statement)
        made = ours.description
        theirs.execute(statement.replace("described", "described_too"))
        expected = theirs.description
        if expected is None:
            assert made is None, statement
            continue
        assert isinstance(made, Description), statement
        assert (len(made), bool(made)) == (len(expected), bool(expected)), statement
        assert _facts(made) == _facts(expected), statement
        assert _facts(made[-1:]) == _facts(expected[-1:]) and _facts([made[0]] if made else []) == _facts(
            expected[:1]
        ), statement


def test_a_description_read_after_the_cursor_moved_on_is_refused(raw: Any) -> None:
    """Never the columns of another result."""
    cursor = raw.cursor()
    cursor.execute("SELECT 1 AS one")
    first = cursor.description
    cursor.execute("SELECT 2 AS two, 3 AS three")
    with pytest.raises(RuntimeError, match="moved to another result"):
        first[0]
    assert [c.name for c in cursor.description] == ["two", "three"]


def test_the_description_is_made_only_when_a_column_is_asked_for(raw: Any, monkeypatch) -> None:
    made: list[int] = []
    real = psycopg.Cursor.description.fget

    def counted(cursor: Any) -> Any:
        made.append(1)
        return real(cursor)

    monkeypatch.setattr(psycopg.Cursor, "description", property(counted))
    cursor = raw.cursor()
    cursor.execute("SELECT 1 AS one, 2 AS two")
    description = cursor.description
    assert description is not None and len(description) == 2 and not made
    assert [c.name for c in description] == ["one", "two"] and len(made) == 1
    assert description[1].name == "two" and len(made) == 1


def test_the_orm_reads_through_them(db_engine: Engine, raw: Any) -> None:
    """Statements run before (SQLAlchemy's cached result columns) and new text statements (columns by name)
    both read."""
    from sqlalchemy.orm import Session

    with Session(db_engine) as session:
        for _ in range(2):
            assert session.scalars(select(ProcessInstance).limit(1)).all() == []
            assert session.execute(select(User.username).limit(1)).all() == []
        row = session.execute(text("SELECT 7 AS seven, 'x' AS letter")).one()
        assert (row.seven, row.letter) == (7, "x")
        assert session.connection().connection.driver_connection.cursor_factory is LazyDescriptionCursor

"""``Services.reading()``: read-only units of work (login and permission look-ups) never wait for a writer."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import bindparam, func, select, text
from sqlalchemy.exc import DBAPIError

import runner
from runner.models import Window
from tests.support.flow import library_windows


def test_reading_does_not_wait_for_an_open_write_transaction(services: runner.Services) -> None:
    with services.transaction() as s:
        runner.upsert_windows(s, library_windows())
    with services.transaction() as writer:
        writer.add(Window(code="extra", name="临时窗口"))
        writer.flush()  # the writer holds the database's write lock (SQLite: BEGIN IMMEDIATE) ...
        began = time.monotonic()
        with services.reading() as reader:  # ... and a reader still answers at once, from the last commit
            count = reader.scalar(select(func.count()).select_from(Window))
        assert time.monotonic() - began < 1.0
        assert count == len(library_windows())


def test_reading_never_writes(services: runner.Services) -> None:
    try:
        with services.reading() as s:
            s.add(Window(code="ghost", name="不会保存"))
            s.flush()  # PostgreSQL refuses it (a READ ONLY transaction); SQLite's transaction is rolled back
    except DBAPIError as exc:
        assert services.engine.dialect.name == "postgresql"
        assert "read-only transaction" in str(exc)
    else:
        assert services.engine.dialect.name == "sqlite"
    with services.reading() as s:
        assert s.get(Window, "ghost") is None


def test_reading_keeps_the_connections_prepared_statements(services: runner.Services) -> None:
    """psycopg drops a connection's prepared statements on every ROLLBACK: a reading that rolled back
    made PostgreSQL plan each request's statements anew."""
    if services.engine.dialect.name != "postgresql":
        pytest.skip("prepared statements are psycopg's (PostgreSQL)")
    query = select(Window.code).where(Window.code == bindparam("code"))
    for _ in range(8):  # psycopg prepares a statement on its 5th execution on a connection
        with services.reading() as s:
            s.execute(query, {"code": "none"})
    with services.reading() as s:
        prepared = s.scalars(text("SELECT statement FROM pg_prepared_statements")).all()
    assert any("FROM windows" in statement for statement in prepared), prepared

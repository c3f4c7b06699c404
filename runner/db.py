"""Database engine set-up: SQLite (default, one file) or PostgreSQL (``postgresql+psycopg://``)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError

from runner import json_text
from runner.pg_cursor import LazyDescriptionCursor


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine with the settings this platform relies on.

    SQLite: WAL journal, a busy timeout, and ``BEGIN IMMEDIATE`` so writers queue up instead of
    failing half-way (SQLite cannot upgrade a read transaction to a write one under load); connections
    with the execution option ``read_only`` (``Services.reading``) begin a plain read transaction.
    PostgreSQL: ``postgresql://`` is read as psycopg 3; the pool hands out the most recently used connection
    (psycopg prepares a statement on its 5th execution on a connection). JSON columns are read by
    ``runner.json_text`` (as the standard library reads them, faster).
    """
    kwargs.setdefault("json_deserializer", json_text.loads)
    u = make_url(url)
    if u.drivername == "postgresql":
        u = u.set(drivername="postgresql+psycopg")
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(u, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # a read-only unit of work (Services.reading) takes no write lock
            conn.exec_driver_sql(
                "BEGIN" if conn.get_execution_options().get("read_only") else "BEGIN IMMEDIATE"
            )

        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_use_lifo", True)  # the same few connections serve, their prepared statements warm
    engine = create_engine(u, **kwargs)
    _ping_after_idle(engine)
    _describe_when_asked(engine)
    return engine


def _describe_when_asked(engine: Engine) -> None:
    """Every connection's cursors make their ``description`` when it is read (``runner.pg_cursor``)."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.cursor_factory = LazyDescriptionCursor


PING_AFTER_IDLE_SECONDS = 5.0


def _ping_after_idle(engine: Engine) -> None:
    """Check a pooled connection before handing it out when it has been idle for a while (a restarted or
    failed-over server, a firewall dropping idle connections): SQLAlchemy's ``pool_pre_ping`` does this on
    every checkout, a round trip each request pays twice. A connection used moments ago that has died
    since fails its statement instead; SQLAlchemy then drops the whole pool and an API request answers
    ``503 database_unavailable`` (``api/errors.py``), so the client's retry gets a fresh connection."""

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            if not engine.dialect.do_ping(dbapi_conn):
                raise DisconnectionError("the pooled connection did not answer")
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError(str(exc)) from exc  # the pool replaces it and checks out again

"""Alembic environment of the banjian platform.

Where the database URL comes from, first match wins:

1. ``config.attributes["connection"]``: an open SQLAlchemy connection (reuse, e.g. from a test);
2. ``config.attributes["database_url"]``: set by ``runner.migrate.upgrade(url)``;
3. ``runner.config.Settings.from_env().database_url`` (``BANJIAN_DATABASE_URL`` / ``DATABASE_URL``).

The ``sqlalchemy.url`` of alembic.ini is deliberately not used.

SQLite: batch mode (``render_as_batch``) so ALTERs become copy-and-move, foreign keys stay OFF
during migrations (a batch copy drops the old table, and with ``PRAGMA foreign_keys=ON`` that would
cascade-delete child rows), and the whole upgrade runs in one ``BEGIN`` ... ``COMMIT``.
"""

from __future__ import annotations

import logging
from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy import Connection, Engine, TypeDecorator, create_engine, event, pool
from sqlalchemy.engine import make_url

from runner.config import Settings
from runner.models import Base

config = context.config

if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

log = logging.getLogger("alembic.env")

target_metadata = Base.metadata


def database_url() -> str:
    url = config.attributes.get("database_url")
    if url:
        return str(url)
    return Settings.from_env().database_url


def _is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Write the project's column types (``TypeDecorator``s of runner.models) as their plain SQLAlchemy
    type, so migration scripts never import runner.models (which keeps changing)."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        impl = obj.impl_instance if hasattr(obj, "impl_instance") else obj.impl
        if type(impl).__module__.startswith("sqlalchemy."):
            return f"sa.{impl!r}"
    return False


def process_revision_directives(context: Any, revision: Any, directives: list[Any]) -> None:
    """``alembic revision --autogenerate`` with nothing changed writes no empty migration."""
    if (
        getattr(config.cmd_opts, "autogenerate", False)
        and directives
        and directives[0].upgrade_ops.is_empty()
    ):
        directives[:] = []
        log.info("runner/models.py matches the migrations: no new revision written")


def _configure_args(dialect_name: str) -> dict[str, Any]:
    sqlite = dialect_name == "sqlite"
    return {
        "target_metadata": target_metadata,
        "render_item": render_item,
        "process_revision_directives": process_revision_directives,
        "compare_type": True,
        "compare_server_default": False,
        "render_as_batch": sqlite,
        # with the BEGIN handling below, SQLite DDL is transactional too: all or nothing
        "transactional_ddl": True if sqlite else None,
    }


def _migration_engine(url: str) -> Engine:
    u = make_url(url)
    if u.drivername == "postgresql":
        u = u.set(drivername="postgresql+psycopg")
    if u.get_backend_name() != "sqlite":
        return create_engine(u, poolclass=pool.NullPool)

    if u.database and u.database != ":memory:":
        from pathlib import Path

        Path(u.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(u, poolclass=pool.NullPool, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # pysqlite must not manage transactions itself
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=OFF")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def run_migrations_offline() -> None:
    """``alembic upgrade --sql``: print the SQL instead of running it."""
    url = database_url()
    context.configure(
        url=url,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        **{k: v for k, v in _configure_args(make_url(url).get_backend_name()).items() if v is not None},
    )
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    args = {k: v for k, v in _configure_args(connection.dialect.name).items() if v is not None}
    context.configure(connection=connection, **args)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    given: Connection | None = config.attributes.get("connection")
    if given is not None:
        _run(given)
        return
    engine = _migration_engine(database_url())
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

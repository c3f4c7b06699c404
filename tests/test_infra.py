"""The test infrastructure itself: migrations = models, Redis answers, the database is the one asked for."""

from __future__ import annotations

import os

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from redis import Redis
from sqlalchemy import Engine, inspect, text

from runner.migrate import head
from runner.models import Base


def test_migrations_match_models(db_engine: Engine) -> None:
    with db_engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "target_metadata": Base.metadata}
        )
        assert context.get_current_revision() == head()
        differences = compare_metadata(context, Base.metadata)
    assert differences == [], "run `make migration MSG=...`: the models changed without a migration"


def test_every_model_table_exists(db_engine: Engine) -> None:
    existing = set(inspect(db_engine).get_table_names())
    assert set(Base.metadata.tables) <= existing
    assert "alembic_version" in existing


def test_tables_start_empty(db_engine: Engine) -> None:
    with db_engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            assert conn.execute(table.select().limit(1)).first() is None, table.name


def test_redis_answers_ping(redis_url: str) -> None:
    client = Redis.from_url(redis_url)
    try:
        assert client.ping() is True
        assert client.dbsize() == 0
    finally:
        client.close()


def test_database_is_the_requested_kind(db_engine: Engine) -> None:
    if os.environ.get("BANJIAN_TEST_DATABASE_URL"):
        expected = db_engine.dialect.name
    else:
        expected = {"postgres": "postgresql", "pg": "postgresql"}.get(
            os.environ.get("BANJIAN_TEST_DB", "sqlite"), os.environ.get("BANJIAN_TEST_DB", "sqlite")
        )
    assert db_engine.dialect.name == expected
    with db_engine.connect() as conn:
        if expected == "postgresql":
            version = conn.execute(text("SELECT version()")).scalar_one()
            assert version.startswith("PostgreSQL")
        else:
            assert conn.execute(text("SELECT sqlite_version()")).scalar_one()

"""Fixtures shared by every test of the project.

Database: ``BANJIAN_TEST_DB=sqlite`` (default, a file per session) or ``postgresql`` (a throwaway
cluster started for the session); ``BANJIAN_TEST_DATABASE_URL`` points at an existing database
instead (its tables are emptied before tests!). The schema is made by the real Alembic migration.
Redis: a private ``redis-server`` per session, flushed for every test that asks for it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

# The repository root goes first on sys.path so that `runner` is the real package even though
# pytest puts tests/ (which has a tests/runner/ folder) in front of it, and `tests.support` imports.
ROOT = Path(__file__).resolve().parent.parent
# rate-limit counters of the apps tests build stay in their process (never in a Redis on the default port);
# tests of the shared counters give their app the test Redis
os.environ.setdefault("BANJIAN_RATE_LIMIT_STORAGE", "memory://")
if str(ROOT) not in sys.path[:1]:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, text  # noqa: E402

from runner.clock import FileClock, ManualClock  # noqa: E402
from runner.config import Settings  # noqa: E402
from runner.core.scheduling import NullScheduler, RQScheduler  # noqa: E402
from runner.db import make_engine  # noqa: E402
from runner.models import Base  # noqa: E402
from tests.support.services import (  # noqa: E402
    remove_tree,
    start_postgres,
    start_redis,
    stop_process,
)

TEST_QUEUE = "banjian-test"
SHANGHAI = ZoneInfo("Asia/Shanghai")
START_TIME = datetime(2026, 9, 28, 9, 0, tzinfo=SHANGHAI).astimezone(UTC)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[pytest.TestReport]:
    """Keep each phase's report on the item (``item.rep_call``) so fixtures can see a failure."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


# --- database ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of the session's test database (SQLite file or throwaway PostgreSQL)."""
    given = os.environ.get("BANJIAN_TEST_DATABASE_URL")
    if given:
        yield given
        return
    kind = os.environ.get("BANJIAN_TEST_DB", "sqlite").strip().lower()
    if kind in ("sqlite", ""):
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'banjian.sqlite3'}"
    elif kind in ("postgresql", "postgres", "pg"):
        cluster = start_postgres()
        try:
            cluster.create_database("banjian_test")
            yield cluster.url("banjian_test")
        finally:
            cluster.stop()
            remove_tree(cluster.base)
    else:
        raise pytest.UsageError(f"BANJIAN_TEST_DB must be sqlite or postgresql, not {kind!r}")


@pytest.fixture(scope="session")
def db_engine(database_url: str) -> Iterator[Engine]:
    """The engine of the test database, its schema made by the Alembic migrations (once a session)."""
    from runner.migrate import upgrade

    upgrade(database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def empty_all_tables(engine: Engine) -> None:
    """Delete every row of the models' tables and restart their id sequences."""
    tables = list(reversed(Base.metadata.sorted_tables))
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            quote = conn.dialect.identifier_preparer.quote
            names = ", ".join(quote(t.name) for t in tables)
            # a connection some earlier test leaked inside a transaction must fail the test, not hang it
            conn.execute(text("SET LOCAL lock_timeout = '15s'"))
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())
            has_sequence = conn.execute(
                text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'")
            ).first()
            if has_sequence:
                conn.execute(text("DELETE FROM sqlite_sequence"))


@pytest.fixture(autouse=True)
def clean_db(request: pytest.FixtureRequest) -> None:
    """Start every database-using test from empty tables (tests without ``db_engine`` skip this)."""
    if "db_engine" in request.fixturenames:
        empty_all_tables(request.getfixturevalue("db_engine"))


@pytest.fixture(autouse=True)
def task_lookup_as_the_walk() -> Iterator[None]:
    """Every test's workflows answer each task question both ways (``runner.core.spiff.workflow``: from the
    task dicts and by SpiffWorkflow's walk of the tree), go on with the walk's answer, and fail the test when
    the two ever differ."""
    from runner.core.spiff import workflow

    workflow.VERIFY = True
    workflow.MISMATCHES.clear()
    yield
    assert not workflow.MISMATCHES, workflow.MISMATCHES[:5]


# --- clock and services ------------------------------------------------------------------------


@pytest.fixture
def clock() -> ManualClock:
    """A hand-moved clock at Monday 2026-09-28 09:00 Asia/Shanghai (aware UTC)."""
    return ManualClock(START_TIME)


@pytest.fixture
def services(database_url: str, db_engine: Engine, clock: ManualClock):  # -> runner.core.services.Services
    """In-process services: the test database, the manual clock, jobs only recorded (NullScheduler)."""
    from runner.core.services import Services

    return Services(
        Settings(database_url=database_url), clock=clock, scheduler=NullScheduler(), engine=db_engine
    )


@pytest.fixture(autouse=True, scope="session")
def hash_each_password_once() -> Iterator[None]:
    """Hash each distinct password once per test process: real scrypt (``runner.people.directory``'s method and
    cost), its salt then shared by every test user given that password. A hash costs ≈ 0.15 s by design and
    the suite's fixtures create thousands of users; logging in still runs the full check."""
    from functools import lru_cache

    from runner.people import directory

    real = directory.hash_password
    directory.hash_password = lru_cache(maxsize=64)(real)
    yield
    directory.hash_password = real


# --- redis and workers ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a private redis-server for the session (no persistence)."""
    server = start_redis(tmp_path_factory.mktemp("redis"))
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """The session's Redis, emptied for this test."""
    from redis import Redis

    client = Redis.from_url(redis_server)
    try:
        client.flushall()
    finally:
        client.close()
    return redis_server


@pytest.fixture
def file_clock(tmp_path: Path) -> FileClock:
    """A clock shared with worker processes through a file (``BANJIAN_CLOCK_FILE``); starts at real time."""
    fc = FileClock(tmp_path / "clock-offset")
    fc.set_offset(0)
    return fc


@pytest.fixture
def rq_services(database_url: str, db_engine: Engine, redis_url: str, file_clock: FileClock):
    """Services that really send jobs to RQ (queue ``banjian-test``) with the file clock."""
    from runner.core.services import Services

    settings = Settings(database_url=database_url, redis_url=redis_url, queue_name=TEST_QUEUE)
    services = Services(
        settings, clock=file_clock, scheduler=RQScheduler(redis_url, TEST_QUEUE), engine=db_engine
    )
    yield services
    services.scheduler.connection.close()  # type: ignore[attr-defined]


@pytest.fixture
def run_worker(
    request: pytest.FixtureRequest,
    database_url: str,
    db_engine: Engine,
    redis_url: str,
    file_clock: FileClock,
    tmp_path: Path,
) -> Iterator[Callable[..., subprocess.Popen]]:
    """Factory: ``run_worker(**extra_env)`` starts a real ``python -m worker`` process.

    It shares the test database, Redis (queue ``banjian-test``) and the file clock. Its output goes to
    ``proc.log_path`` (printed when the test fails). All started workers are stopped at teardown.
    """
    started: list[subprocess.Popen] = []

    def start(**extra_env: str) -> subprocess.Popen:
        env = {
            **os.environ,
            "BANJIAN_DATABASE_URL": database_url,
            "BANJIAN_REDIS_URL": redis_url,
            "BANJIAN_QUEUE_NAME": TEST_QUEUE,
            "BANJIAN_CLOCK_FILE": str(file_clock.path),
            "PYTHONUNBUFFERED": "1",
            **extra_env,
        }
        log_path = tmp_path / f"worker-{len(started) + 1}.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "worker"],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        proc.log_path = log_path  # type: ignore[attr-defined]
        started.append(proc)
        return proc

    yield start

    for proc in started:
        stop_process(proc, timeout=5)
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        for proc in started:
            tail = proc.log_path.read_text(errors="replace")[-4000:]  # type: ignore[attr-defined]
            sys.stderr.write(f"\n--- {proc.log_path} (exit {proc.returncode}) ---\n{tail}\n")

"""What one statement costs in the platform's process: SQLAlchemy against the bare driver, same statement.

Usage: ``.venv/bin/python bench/statement_cost.py [--n 2000]``.
Starts a throwaway PostgreSQL (tests/support/services.py), makes a table shaped like ``open_tasks``' hot columns
and, in one transaction each, runs ``--n`` times in turn (medians of 5 rounds, thread CPU of this process — the
server's CPU is not in it):
- a primary-key ``SELECT`` and an ``UPDATE … WHERE id AND version`` through the bare ``psycopg`` cursor;
- the same two as SQLAlchemy Core statements built once (``connection.execute``, compiled cache on);
- the same two through an ORM session (``session.execute(select(Model))`` and a flushed attribute change).
Issue #24 asks what the platform's remaining per-completion cost is made of: this says how much of a statement's
CPU is SQLAlchemy's rather than the driver's, on this machine, today.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy import Engine, Integer, String, bindparam, create_engine, select, update  # noqa: E402
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column  # noqa: E402

from tests.support.services import start_postgres  # noqa: E402


class Base(DeclarativeBase):
    pass


class Row(Base):
    __tablename__ = "rows"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    window: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    __mapper_args__ = {"version_id_col": version}


ROWS = 100


def cpu_per_call(run: Callable[[int], None], n: int) -> float:
    """Median thread CPU (µs) per call of ``run(i)`` over 5 rounds of ``n`` calls."""
    rounds = []
    for _ in range(5):
        start = time.thread_time()
        for i in range(n):
            run(i)
        rounds.append((time.thread_time() - start) / n * 1e6)
    return statistics.median(rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="banjian-stmt-") as tmp:
        cluster = start_postgres(Path(tmp))
        try:
            cluster.create_database("bench")
            engine = create_engine(cluster.url("bench"))
            Base.metadata.create_all(engine)
            with engine.begin() as conn:
                conn.execute(Row.__table__.insert(), [
                    {"id": i, "name": f"任务{i}", "window": "shebao", "version": 1} for i in range(ROWS)
                ])  # fmt: skip
            dsn = cluster.url("bench", driver="postgresql")
            figures = measure(engine, dsn, args.n)
        finally:
            cluster.stop()
    print(
        f"# statement cost — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {args.n} calls × 5 rounds"
    )
    for name, (read, write) in figures.items():
        print(f"{name:<28} SELECT by id {read:6.1f} µs   UPDATE with version check {write:6.1f} µs")
    bare = figures["bare psycopg"]
    for name in ("SQLAlchemy Core", "SQLAlchemy ORM"):
        read, write = figures[name]
        print(f"{name} ÷ bare: SELECT {read / bare[0]:.1f} ×, UPDATE {write / bare[1]:.1f} ×")


def measure(engine: Engine, dsn: str, n: int) -> dict[str, tuple[float, float]]:
    """The CPU per call of each way, in turn (bare driver, Core, ORM), each in a transaction rolled back after."""
    figures: dict[str, tuple[float, float]] = {}
    with psycopg.connect(dsn) as db, db.cursor() as cursor:
        versions = [1] * ROWS

        def bare_read(i: int) -> None:
            cursor.execute(
                'SELECT id, name, "window", version FROM rows WHERE id = %s', (i % ROWS,)
            ).fetchone()

        def bare_write(i: int) -> None:
            row = i % ROWS
            cursor.execute(
                "UPDATE rows SET name = %s, version = %s WHERE id = %s AND version = %s",
                (f"任务{i}", versions[row] + 1, row, versions[row]),
            )
            assert cursor.rowcount == 1
            versions[row] += 1

        figures["bare psycopg"] = (cpu_per_call(bare_read, n), cpu_per_call(bare_write, n))
        db.rollback()
    read_stmt = select(Row.__table__).where(Row.__table__.c.id == bindparam("row"))
    write_stmt = (
        update(Row.__table__)
        .where(Row.__table__.c.id == bindparam("row"), Row.__table__.c.version == bindparam("old"))
        .values(name=bindparam("name"), version=bindparam("new"))
    )
    with engine.connect() as conn:
        versions = [1] * ROWS

        def core_read(i: int) -> None:
            conn.execute(read_stmt, {"row": i % ROWS}).one()

        def core_write(i: int) -> None:
            row = i % ROWS
            done = conn.execute(
                write_stmt, {"row": row, "old": versions[row], "new": versions[row] + 1, "name": f"任务{i}"}
            )
            assert done.rowcount == 1
            versions[row] += 1

        figures["SQLAlchemy Core"] = (cpu_per_call(core_read, n), cpu_per_call(core_write, n))
        conn.rollback()
    with Session(engine) as session:
        rows = {r.id: r for r in session.scalars(select(Row))}
        orm_read_stmt = select(Row).where(Row.id == bindparam("row"))

        def orm_read(i: int) -> None:
            session.execute(orm_read_stmt, {"row": i % ROWS}).scalar_one()

        def orm_write(i: int) -> None:
            rows[i % ROWS].name = f"任务{i}"
            session.flush()

        figures["SQLAlchemy ORM"] = (cpu_per_call(orm_read, n), cpu_per_call(orm_write, n))
        session.rollback()
    return figures


if __name__ == "__main__":
    main()

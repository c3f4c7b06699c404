"""``Services.reading()``: read-only units of work (login and permission look-ups) never wait for a writer."""

from __future__ import annotations

import time

from sqlalchemy import func, select

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


def test_reading_never_commits(services: runner.Services) -> None:
    with services.reading() as s:
        s.add(Window(code="ghost", name="不会保存"))
        s.flush()
    with services.reading() as s:
        assert s.get(Window, "ghost") is None

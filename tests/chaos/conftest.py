"""Fault and deployment tests: the platform in real separate processes (tests/support/platform.py).

They always use their own PostgreSQL cluster, so they run once, in the PostgreSQL pass of ``make test``
(skipped, with the reason shown, in the SQLite pass).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.platform import Platform, start_platform


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    ours = [item for item in items if here in Path(str(item.fspath)).parents]
    for item in ours:  # one after another in one xdist worker: each runs a whole platform
        item.add_marker(pytest.mark.xdist_group("chaos"))
    if os.environ.get("BANJIAN_TEST_DB", "sqlite").strip().lower() in ("postgresql", "postgres", "pg"):
        return
    skip = pytest.mark.skip(reason="fault tests run once, in the PostgreSQL pass (their own cluster)")
    for item in ours:
        item.add_marker(skip)


@pytest.fixture
def platform(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Platform]:
    """A fresh platform: PostgreSQL, Redis, migrated, bpmn/ deployed, demo users seeded (no web, no worker)."""
    running = start_platform(tmp_path / "platform")
    try:
        yield running
    finally:
        failed = getattr(request.node, "rep_call", None)
        if failed is not None and failed.failed:
            sys.stderr.write("\n" + running.logs() + "\n")
        running.stop()

"""Long-running processes settle their heap once started (``runner.heap``): web workers through gunicorn's
settings (``webapp.gunicorn_conf``), RQ workers in ``worker.__main__``, ``make up`` and the deploy guide's nodes
with those settings."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner import heap
from scripts.run_platform import web_command
from webapp import gunicorn_conf

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def collector() -> Iterator[None]:
    """The interpreter's collector as it was, afterwards (this test process must not keep a settled heap)."""
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_settling_freezes_what_start_up_made_and_collects_young_objects_less_often(collector) -> None:
    made_at_start = object.__new__(type("MadeAtStart", (), {}))
    gc.collect()
    heap.settle_after_start()
    assert gc.get_freeze_count() > 0 and gc.get_threshold() == heap.THRESHOLDS
    assert not any(o is made_at_start for o in gc.get_objects())  # out of the collector's view
    assert heap.THRESHOLDS[0] > 700  # the interpreter's default


def test_each_gunicorn_worker_settles_its_heap_once_started(collector, monkeypatch) -> None:
    settled: list[bool] = []
    monkeypatch.setattr(gunicorn_conf, "settle_after_start", lambda: settled.append(True))
    gunicorn_conf.post_worker_init(worker=None)
    assert settled == [True]


def test_the_web_nodes_are_started_with_those_settings() -> None:
    command = web_command("127.0.0.1", 5000, 2)
    assert command[command.index("--config") + 1] == "python:webapp.gunicorn_conf"
    assert "--config python:webapp.gunicorn_conf" in (ROOT / "docs" / "deploy.md").read_text()
    assert "settle_after_start()" in (ROOT / "worker" / "__main__.py").read_text()

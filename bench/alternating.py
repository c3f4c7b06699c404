"""What one change of the hot path saves a completion, measured in one process: items alternate with it and without.

Usage: ``.venv/bin/python bench/alternating.py CHANGE [--items 80]``, CHANGE one of ``CHANGES``:
- ``task-lookup``: the engine's task look-up (``runner.core.spiff.workflow``) against SpiffWorkflow's walk of the
  tree for every question (``TaskLookup._looked_up`` answering nothing);
- ``item-writes``: the step's item UPDATE and open-task rows as plain statements (``runner.core.item_writes``)
  against the ORM's flush of them;
- ``merged-writes``: on PostgreSQL, the step's audit entries, open-task rows and new timers riding along the
  item's UPDATE (``item_writes.MERGED``) against a statement each;
- ``lazy-description``: the cursors' description made when read (``runner.pg_cursor``) against psycopg's, made
  for every statement;
- ``staffing-along``: whether the windows of the tasks a step opens are staffed, from the completion's first
  statement (``proxies.read_along_staffing``) against a statement of its own (the first read still brings it);
- ``start-along``: a start's definition and the active warning rules, read along with its caller
  (``runner.items.start_reads``), against a statement each (the caller's statement brings the staffing still);
- ``lean-states``: a task's state change without building its log line when ``spiff.task`` drops it
  (``runner.core.spiff.workflow.CentreTask``) against SpiffWorkflow's, which builds it every time;
- ``helpers-in-place``: a plain expression's calls of the helpers that only read (``limitDays``
  ``workdays_between(today(), limit_at)``), answered in this process (``runner.core.sandbox.plain``), against
  an evaluator process for every expression that calls one;
- ``start-insert``: a start's item INSERT as a plain statement (``item_writes.insert_item``) against the ORM's
  flush of it;
- ``closes-along``: the timers a step closes, by id, and the warning-rule timers of an item that ends, in the
  merged statement (``item_writes.close_timers``, ``end_timers``) against a statement each.

Starts its own platform (tests/support/platform.py: durable PostgreSQL, Redis) and drives the platform's Flask app
with its test client, as ``bench/completion_split.py`` does: 联办件, each a start and its 6 completions, after 8
items of warm-up. Items alternate between the two ways, so both are measured in the same process, at the same
moment: between two processes this machine's speed moves more than the difference. Prints the thread CPU per
completion (the start's share included) of each, median and mean over the items, and their ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from psycopg import Cursor
from SpiffWorkflow.task import Task

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api import access  # noqa: E402
from bench.completion_split import Split, drive  # noqa: E402
from runner.core import item_writes  # noqa: E402
from runner.core.sandbox import plain  # noqa: E402
from runner.core.spiff.workflow import CentreTask, TaskLookup  # noqa: E402
from runner.core.transaction import services_of  # noqa: E402
from runner.heap import settle_after_start  # noqa: E402
from runner.people import directory, proxies  # noqa: E402
from runner.pg_cursor import LazyDescriptionCursor  # noqa: E402
from tests.support.platform import start_platform  # noqa: E402


@dataclass(frozen=True)
class Change:
    """A change of the hot path: the names of its two ways, and how to switch it (True: as shipped)."""

    shipped: str
    without: str
    switch: Callable[[bool], None]


_LOOKED_UP = TaskLookup._looked_up
_LEAN_STATE = CentreTask._change_state
_IN_PLACE = plain.IN_PLACE
_INSERT_ITEM = item_writes.insert_item


def _flushed(session: Any, instance: Any) -> None:
    session.add(instance)
    session.flush()


_DESCRIPTION = LazyDescriptionCursor.description
_READ_ALONG_STAFFING = proxies.read_along_staffing
_CLOSES_TIMERS = item_writes.closes_timers
_START_ALONG = access.READ_WITH_CALLER["api.start"]
_CALLER_AND_STAFFING = directory.IDENTIFY.add_columns(proxies.staffed_windows_column())


def _caller_and_staffing(session: Any, actor: str, _args: Any) -> Any:
    """A start's first statement before ``start-along``: its caller and the staffing of the windows."""
    rows = session.execute(_CALLER_AND_STAFFING, {"username": actor, "now": services_of(session).now()}).all()
    if rows:
        proxies.read_along_staffing(session, rows[0].staffed_windows)
    return directory.identified(actor, rows)


CHANGES = {
    "task-lookup": Change(
        "look-up", "walk", lambda on: setattr(TaskLookup, "_looked_up", _LOOKED_UP if on else lambda *_: None)
    ),
    "lean-states": Change(
        "lean",
        "SpiffWorkflow's",
        lambda on: setattr(CentreTask, "_change_state", _LEAN_STATE if on else Task._set_state),
    ),
    "helpers-in-place": Change(  # off: no helper carries the mark the plain expressions look for
        "in place",
        "evaluator",
        lambda on: setattr(plain, "IN_PLACE", _IN_PLACE if on else f"{_IN_PLACE} (off)"),
    ),
    "start-insert": Change(
        "plain", "ORM flush", lambda on: setattr(item_writes, "insert_item", _INSERT_ITEM if on else _flushed)
    ),
    "item-writes": Change("plain", "ORM flush", lambda on: setattr(item_writes, "ENABLED", on)),
    "merged-writes": Change("merged", "apart", lambda on: setattr(item_writes, "MERGED", on)),
    "lazy-description": Change(
        "lazy",
        "psycopg's",
        lambda on: setattr(LazyDescriptionCursor, "description", _DESCRIPTION if on else Cursor.description),
    ),
    "staffing-along": Change(
        "along",
        "asked",
        lambda on: setattr(proxies, "read_along_staffing", _READ_ALONG_STAFFING if on else lambda *_: None),
    ),
    "closes-along": Change(
        "along",
        "apart",
        lambda on: setattr(item_writes, "closes_timers", _CLOSES_TIMERS if on else lambda _session: False),
    ),
    "start-along": Change(
        "along",
        "apart",
        lambda on: access.READ_WITH_CALLER.update(
            {"api.start": _START_ALONG if on else _caller_and_staffing}
        ),
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("change", choices=sorted(CHANGES))
    parser.add_argument("--items", type=int, default=80, help="items measured each way")
    args = parser.parse_args()
    change = CHANGES[args.change]
    platform = start_platform(Path(tempfile.mkdtemp()) / "platform", file_clock=False)
    try:
        os.environ.update(platform.env())
        from webapp import create_app

        client, split = create_app().test_client(), Split()
        for _ in range(8):
            drive(client, split, measure=False)
        # as a web worker settles after start-up (webapp.gunicorn_conf): else the collector's full passes over this
        # process's growing heap (0.1–0.2 s each) fall at the same point of every pair of items, on one side only
        settle_after_start()
        spent: dict[str, list[float]] = {change.shipped: [], change.without: []}
        for _ in range(args.items):
            for on, way in ((True, change.shipped), (False, change.without)):
                change.switch(on)
                completions, cpu, start_cpu = drive(client, split, measure=True)
                spent[way].append(1000 * (cpu + start_cpu) / completions)
        change.switch(True)
        for way, values in spent.items():
            print(
                f"{way:10} per completion (the start's share included): median {statistics.median(values):.2f} ms,"
                f" mean {statistics.mean(values):.2f} ms ({len(values)} items)"
            )
        ratio = statistics.median(spent[change.shipped]) / statistics.median(spent[change.without])
        print(f"{change.shipped} ÷ {change.without}: {ratio:.3f} (medians)")
    finally:
        platform.stop()


if __name__ == "__main__":
    main()

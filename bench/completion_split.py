"""Where one completion's time and statements go, in process: the 联办件 through the API on durable PostgreSQL.

Usage: ``.venv/bin/python bench/completion_split.py [--items 20] [--trace]``.
Starts its own platform (tests/support/platform.py: durable PostgreSQL, Redis), then drives the platform's Flask
app with its test client (no gunicorn, no HTTP): ``--items`` 联办件, each a start and its 6 completions, after 8
items of warm-up. Prints
- the thread CPU of a completion, without and with the starts;
- that CPU split at named functions (``PARTS``: each timed by a wrapper, so nested parts count in both);
- the SQL statements per completion and per start, by their first words;
- with ``--trace``: every statement and flush of one more item, request by request;
- with ``--profile FILE``: a cProfile (thread CPU) of the measured items (the split's wrappers included), for pstats;
- the database access through SQLAlchemy (``DATABASE``: the time inside the outermost of those calls, driver and
  round trips included), and what the completion costs besides it: what no rewrite of the statements can save;
- with ``--floor``: the floor app (``bench/floor_app.py``, on its own database of the same cluster) driven the same
  way in the same process, its items alternating with the platform's; its thread CPU per completion, and the
  platform's ÷ it — all of the platform's, and the platform's without its database access (a bound on what any
  rewrite of the statements could reach: ``bench/statement_cost.py`` says what the bare driver costs).
The split is what to compare between two checkouts: run each in turn in one sitting (``WT``-free: run this file
of the checkout measured), the totals move ±15 % with the machine's load.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import functools
import importlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from runner.heap import settle_after_start  # noqa: E402
from tests.support.platform import JOINT, STEP_DATA, start_platform  # noqa: E402

PARTS = (  # (module, function): the names the split prints
    ("api.access", "authorize"),
    ("runner.items.tasks", "open_task_and_item"),
    ("runner.core.engine", "load"),
    ("runner.core.engine", "advance"),
    ("runner.core.engine", "save"),
    ("runner.core.engine", "apply_effects"),
    ("runner.core.engine", "_sync_open_tasks"),
    ("runner.core.engine", "_close_timers"),
    ("runner.core.state", "dump_workflow"),
    ("runner.core.audit", "record"),
    ("runner.supervision.warning_rules", "sync_rule_timers"),
    ("api.routes", "_outcome"),
    ("sqlalchemy.orm", "Session.commit"),  # the flush of the step's writes and COMMIT
    # a start's own parts (POST /api/instances)
    ("runner.items.instances", "start"),
    ("runner.core.timers_first", "take_turn"),
    ("runner.core.definitions", "get_definition"),
    ("runner.items.instances", "_refuse_closed_windows"),
    ("runner.timekeeping.deadlines", "calendar"),
    ("runner.items.receipts", "next_business_key"),
    ("runner.core.item_writes", "insert_item"),
    ("runner.timekeeping.deadlines", "refresh_deadline"),
    ("runner.core.engine", "new_workflow"),
    ("runner.items.tasks", "instance_tasks"),
)
# every way the platform reaches the database through SQLAlchemy: ORM statements and the flush (the plain
# statements of ``runner.core.item_writes`` and ``runner.core.audit`` run inside it), Core statements, COMMIT
DATABASE = (
    ("sqlalchemy.orm", "Session._execute_internal"),
    ("sqlalchemy.orm", "Session.flush"),
    ("sqlalchemy.engine.base", "Connection.execute"),
    ("sqlalchemy.engine.base", "Connection._commit_impl"),
)
HEADERS = {"Authorization": "Bearer t-bench"}
START = {"key": JOINT, "data": {"lead_window": "shichang", "applicant": "张三"}}


class Split:
    """Thread CPU spent in the named functions, and the statements of the requests, while ``on``."""

    def __init__(self) -> None:
        self.spent: collections.Counter[str] = collections.Counter()
        self.by_kind: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
        self.statements: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
        self.kind = ""  # "start" or "complete": the request being counted
        self.on = False
        self.trace = False
        self.database = 0.0  # thread CPU inside the outermost DATABASE call
        self._depth = 0

    def wrap(self, module_name: str, name: str) -> None:
        """Time ``module_name.name`` (and the same function imported by name elsewhere)."""
        module = importlib.import_module(module_name)
        owner_name, _, name = name.rpartition(".")  # "Class.method", or a function of the module
        owner = getattr(module, owner_name) if owner_name else module
        real = getattr(owner, name)
        label = f"{owner_name or module_name.rsplit('.', 1)[-1]}.{name}"

        @functools.wraps(real)
        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.thread_time()
            try:
                return real(*args, **kwargs)
            finally:
                if self.on:
                    spent = time.thread_time() - began
                    self.spent[label] += spent
                    self.by_kind[self.kind][label] += spent

        if owner_name:
            setattr(owner, name, timed)
            return
        for other in list(sys.modules.values()):
            if getattr(other, name, None) is real and getattr(other, "__name__", "").split(".")[0] in (
                "api",
                "runner",
                "forms",
                "web",
            ):
                setattr(other, name, timed)
        hooks = importlib.import_module("runner.core.hooks")
        for registered in (hooks.AFTER_SAVE, hooks.READ_AHEAD, hooks.NEW_ITEM):
            registered[:] = [timed if hook is real else hook for hook in registered]

    def wrap_database(self, module_name: str, name: str) -> None:
        """Count the time inside ``module_name.Class.name`` towards ``database``, unless inside another such call."""
        owner_name, _, name = name.rpartition(".")
        owner = getattr(importlib.import_module(module_name), owner_name)
        real = getattr(owner, name)

        @functools.wraps(real)
        def timed(*args: Any, **kwargs: Any) -> Any:
            self._depth += 1
            began = time.thread_time()
            try:
                return real(*args, **kwargs)
            finally:
                self._depth -= 1
                if self.on and not self._depth:
                    self.database += time.thread_time() - began

        setattr(owner, name, timed)

    def statement(self, _conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        words = " ".join(sql.split()[:4])
        if self.on:
            self.statements[self.kind][words] += 1
        if self.trace:
            print("   SQL", " ".join(sql.split())[:120])


def drive(client: Any, split: Split, measure: bool) -> tuple[int, float, float]:
    """One 联办件 through the API: (completions, their thread CPU, the start's thread CPU)."""
    split.on, split.kind = measure, "start"
    began = time.thread_time()
    view = client.post("/api/instances", json=START, headers=HEADERS).get_json()
    start_cpu = time.thread_time() - began
    completions, cpu = 0, 0.0
    while view["tasks"]:
        task = view["tasks"][0]
        if split.trace:
            print("== complete", task["spec_name"])
        split.kind = "complete"
        began = time.thread_time()
        answer = client.post(
            f"/api/tasks/{task['id']}/complete",
            json={"data": STEP_DATA[task["spec_name"].split(" [")[0]]},
            headers=HEADERS,
        )
        cpu += time.thread_time() - began
        if answer.status_code != 200:
            raise RuntimeError(answer.get_data(as_text=True))
        view, completions = answer.get_json(), completions + 1
    split.on = False
    return completions, cpu, start_cpu


def report(split: Split, items: int, completions: int, cpu: float, start_cpu: float) -> None:
    per: Callable[[float], str] = lambda seconds: f"{1000 * seconds / completions:6.2f} ms"  # noqa: E731
    print(f"per completion: {per(cpu)} (completions only); with the starts: {per(cpu + start_cpu)}")
    print(f"per start: {1000 * start_cpu / items:.2f} ms")
    for label, seconds in split.spent.most_common():
        print(f"  {per(seconds)}  {label}")
    print(f"the start's parts (per start; request: {1000 * start_cpu / items:.2f} ms):")
    for label, seconds in split.by_kind["start"].most_common():
        print(f"  {1000 * seconds / items:6.2f} ms  {label}")
    statements = sum(sum(split.statements[kind].values()) for kind in ("complete", "start"))
    print(
        f"database access through SQLAlchemy: {per(split.database)} ({statements / completions:.2f} statements);"
        f" the rest: {per(cpu + start_cpu - split.database)}  (per completion, the start's share included)"
    )
    for kind, count in (("complete", completions), ("start", items)):
        total = sum(split.statements[kind].values())
        print(f"SQL statements per {kind}: {total / count:.2f}")
        for words, n in split.statements[kind].most_common():
            print(f"  {n / count:5.2f}  {words}")


def floor_client(platform: Any) -> Any:
    """A test client of the floor app, on a database of its own in the platform's cluster."""
    from bench.floor_app import create_app, floor_database

    os.environ["BANJIAN_FLOOR_DSN"] = floor_database(platform)
    return create_app().test_client()


def at_the_floor(split: Split, completions: int, cpu: float, floor: float) -> None:
    """The floor app's CPU per completion beside the platform's, with and without the platform's database access."""
    platform, rest = cpu / completions, (cpu - split.database) / completions
    print(
        f"floor app per completion (the start's share included): {1000 * floor:6.2f} ms; floor ÷ platform"
        f" {floor / platform:.2f}, ÷ the platform without its database access {floor / rest:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--trace", action="store_true", help="print the statements of one more item")
    parser.add_argument("--profile", metavar="FILE", help="cProfile the measured items into FILE (pstats)")
    parser.add_argument("--floor", action="store_true", help="also drive the floor app, items alternating")
    args = parser.parse_args()
    platform = start_platform(Path(tempfile.mkdtemp()) / "platform", file_clock=False)
    try:
        os.environ.update(platform.env())
        floor = floor_client(platform) if args.floor else None
        from sqlalchemy import event

        from webapp import create_app

        app = create_app()
        split = Split()
        for module_name, name in PARTS:
            split.wrap(module_name, name)
        for module_name, name in DATABASE:
            split.wrap_database(module_name, name)
        event.listen(app.extensions["banjian"].engine, "before_cursor_execute", split.statement)
        client = app.test_client()
        for _ in range(8):
            drive(client, split, measure=False)
        completions, cpu, start_cpu = 0, 0.0, 0.0
        # the floor's thread CPU per completion of each item, the start's share included
        floor_spent: list[float] = []
        if floor is not None:
            for _ in range(8):
                drive(floor, Split(), measure=False)
        # as a web worker settles after start-up (webapp.gunicorn_conf): else the collector's full passes over this
        # process's growing heap (0.1–0.2 s each) fall on whichever request comes at their point of the cycle
        settle_after_start()
        profile = cProfile.Profile(time.thread_time) if args.profile else None  # CPU, as the split
        for _ in range(args.items):
            if profile is not None:
                profile.enable()
            n, c, s = drive(client, split, measure=True)
            if profile is not None:
                profile.disable()
            completions, cpu, start_cpu = completions + n, cpu + c, start_cpu + s
            if floor is not None:
                n, c, s = drive(floor, Split(), measure=True)
                floor_spent.append((c + s) / n)
        if profile is not None:
            profile.dump_stats(args.profile)
        report(split, args.items, completions, cpu, start_cpu)
        if floor_spent:
            at_the_floor(split, completions, cpu + start_cpu, statistics.mean(floor_spent))
        if args.trace:
            split.trace = True
            drive(client, split, measure=False)
    finally:
        platform.stop()


if __name__ == "__main__":
    main()

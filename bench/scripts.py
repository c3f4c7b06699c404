"""Script benchmark: what running diagram scripts in evaluator processes costs, next to running them in-process.

Usage: ``.venv/bin/python bench/scripts.py [--evaluations N] [--items N]``. Prints, in one run:

(a) per evaluation, in microseconds (median and p99 of N), in-process (``runner.core.sandbox.run``: the sandbox alone,
    as every evaluation ran before evaluator processes) and through the platform (``RestrictedEnvironment``), for a
    plain gateway condition on small data and on a 联办件's task data (answered in process by
    ``runner.core.sandbox.plain``), a condition calling ``len()`` and a script calling a calendar helper (one call
    back into this process): those two through the evaluator pool;
(b) the evaluations one 联办件 sends to an evaluator (``bpmn/lianban_chaogao.bpmn``, start + 6 completions through the runner on
    SQLite) and the time of one such item with in-process evaluation and with the evaluator pool;
(c) the start-up of one evaluator process (until it answers).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import runner  # noqa: E402
from bench.engine import ENGINE_DATA, KEY, _one_item  # noqa: E402
from runner.core.sandbox import run as in_process  # noqa: E402
from runner.core.sandbox.pool import Evaluator, EvaluatorPool  # noqa: E402
from runner.core.scripts import RestrictedEnvironment  # noqa: E402
from runner.db import make_engine  # noqa: E402
from runner.migrate import upgrade  # noqa: E402
from tests.support.flow import deploy_library  # noqa: E402
from tests.support.joint import FILES, START_DATA  # noqa: E402

CONDITION = (
    "related_windows and review_days <= 5 and materials_complete == True"  # plain: answered in process
)
CALLING = "len(related_windows) >= 2 and review_days <= 5"  # calls len(): an evaluator answers
SCRIPT = "due = workdays(review_days)\nreviewers = len(related_windows)"
SMALL = {"related_windows": ["guotu", "huanbao"], "review_days": 3, "materials_complete": True}


def item_data() -> dict[str, Any]:
    """A 联办件's task data after acceptance (what its gateways and scripts read)."""
    return {
        **START_DATA,
        **ENGINE_DATA["accept"],
        **{f"opinion_{w}": ENGINE_DATA["review"] for w in ("a", "b", "c")},
    }


def workdays(n: int) -> str:
    """A stand-in of the calendar helper (the cost of the call, not of the calendar)."""
    return f"2026-12-{10 + int(n):02d}T15:59:59+00:00"


def timed(call: Callable[[], Any], n: int) -> tuple[float, float]:
    """(median, p99) of ``n`` calls, microseconds."""
    for _ in range(min(50, n)):
        call()
    samples = []
    for _ in range(n):
        began = time.perf_counter()
        call()
        samples.append((time.perf_counter() - began) * 1e6)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def per_evaluation(n: int) -> None:
    env = RestrictedEnvironment({"workdays": workdays}, time_limit=1.0, evaluators=EvaluatorPool(256))
    data = item_data()
    cases = {
        "condition, small data": (
            lambda: in_process.evaluate(CONDITION, SMALL, {}, {}, 1.0),
            lambda: env.evaluate(CONDITION, SMALL),
        ),
        f"condition, 联办件 data ({len(repr(data))} chars)": (
            lambda: in_process.evaluate(CONDITION, {**data, **SMALL}, {}, {}, 1.0),
            lambda: env.evaluate(CONDITION, {**data, **SMALL}),
        ),
        "condition calling len()": (
            lambda: in_process.evaluate(CALLING, SMALL, {}, {}, 1.0),
            lambda: env.evaluate(CALLING, SMALL),
        ),
        "script calling workdays()": (
            lambda: in_process.execute(SCRIPT, dict(SMALL), {"workdays": workdays}, {}, 1.0),
            lambda: env.execute(SCRIPT, dict(SMALL)),
        ),
    }
    for name, (local, pooled) in cases.items():
        a50, a99 = timed(local, n)
        b50, b99 = timed(pooled, n)
        print(
            f"(a) {name:<34} in-process {a50:7.1f} µs (p99 {a99:7.1f})   platform {b50:7.1f} µs "
            f"(p99 {b99:7.1f})   added {b50 - a50:7.1f} µs"
        )
    env.evaluators.close()


class InProcess:
    """The evaluator pool's interface, evaluating in this process (the comparison only)."""

    def run(
        self, mode: str, source: str, data: dict[str, Any], helpers: Any, values: Any, limit: float
    ) -> Any:
        if mode == "eval":
            return in_process.evaluate(source, data, helpers, values, limit)
        return in_process.execute(source, dict(data), helpers, values, limit)


class Counting:
    """Counts the evaluations going through ``pool``."""

    def __init__(self, pool: Any) -> None:
        self.pool, self.count = pool, 0

    def run(self, *args: Any) -> Any:
        self.count += 1
        return self.pool.run(*args)


def per_item(items: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.sqlite3"
        upgrade(url)
        services = runner.Services.without_redis(runner.Settings(database_url=url), engine=make_engine(url))
        deploy_library(services, *FILES)
        pooled = services.evaluators
        timings = {}
        for name, evaluators in (("in-process", InProcess()), ("evaluator pool", pooled)):
            services.evaluators = counting = Counting(evaluators)
            _one_item(services)  # warm caches
            counting.count = 0
            began = time.perf_counter()
            for _ in range(items):
                _one_item(services)
            timings[name] = (time.perf_counter() - began) / items * 1000
            evaluations = counting.count / items
        print(
            f"(b) one {KEY} item (start + 6 completions, SQLite): {evaluations:.0f} evaluations not plain; "
            f"in-process {timings['in-process']:.1f} ms, evaluator pool {timings['evaluator pool']:.1f} ms "
            f"(+{timings['evaluator pool'] - timings['in-process']:.1f} ms, "
            f"{(timings['evaluator pool'] / timings['in-process'] - 1) * 100:+.1f} %)"
        )


def start_up(n: int = 5) -> None:
    samples = []
    for _ in range(n):
        began = time.perf_counter()
        evaluator = Evaluator(256)
        evaluator.wait_ready()
        samples.append((time.perf_counter() - began) * 1000)
        evaluator.kill()
    print(f"(c) an evaluator process starts in {statistics.median(samples):.0f} ms (median of {n})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--evaluations", type=int, default=5000)
    parser.add_argument("--items", type=int, default=30)
    args = parser.parse_args()
    print(
        f"# script benchmark — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {platform.node()} "
        f"({platform.machine()}, Python {platform.python_version()})"
    )
    per_evaluation(args.evaluations)
    per_item(args.items)
    start_up()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

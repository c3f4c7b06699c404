"""Does a completion cost more as an item ages? An item that loops through one user task, through HTTP.

Usage: ``.venv/bin/python bench/aging.py [--items 5] [--rounds 120] [--web-workers 2]``.
Starts its own platform (durable PostgreSQL, Redis, a gunicorn node, one RQ worker; tests/support/platform.py),
deploys ``bench/data/aging_loop.bpmn`` (a 审查 step with a form, a window and a time limit, a script counting
the rounds, a gateway looping back ``--rounds`` times) and drives ``--items`` items one after the other with
one keep-alive client, each answer carrying the item's open tasks. Prints, for the completions after 0, 10,
50 and 100 earlier steps of the same item (the 10 from that age on):
- the latency (the median over the items of each item's median) and the CPU they cost in the web node and
  PostgreSQL (``/proc``, all items together: steadier than latency on a shared machine), each also as a
  ratio to age 0's — the issue's target is ≤ 1.15 at 100 steps;
- the bytes stored: the engine state, and everything of the item (instance row, audit trail, open tasks and
  timers) — the issue's target is ≤ 8 KB per running item.
"""

from __future__ import annotations

import argparse
import platform as machine
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.http_throughput import Client, cpu_seconds  # noqa: E402
from tests.support.platform import start_platform  # noqa: E402

DIAGRAM = ROOT / "bench" / "data" / "aging_loop.bpmn"
AGES = (0, 10, 50, 100)
WINDOW = 10  # completions measured from each age on (CPU times from /proc count in 10 ms ticks)
STEP = {"approved": True, "opinion": "再审"}
ITEM_SIZE_SQL = """
    SELECT octet_length(p.state), pg_column_size(p.*)
           + (SELECT coalesce(sum(pg_column_size(a.*)), 0) FROM audit_entries a WHERE a.instance_id = p.id)
           + (SELECT coalesce(sum(pg_column_size(o.*)), 0) FROM open_tasks o WHERE o.instance_id = p.id)
           + (SELECT coalesce(sum(pg_column_size(t.*)), 0) FROM timers t WHERE t.instance_id = p.id),
           (SELECT coalesce(sum(pg_column_size(a.*)), 0) FROM audit_entries a WHERE a.instance_id = p.id)
    FROM process_instances p WHERE p.id = :id
"""


def one_item(
    client: Client, platform: Any, rounds: int, processes: dict[str, list[int]]
) -> tuple[list[float], dict[int, dict[str, float]], dict[int, tuple[int, int, int]]]:
    """Drive one item through ``rounds`` completions: each completion's latency; the CPU of each process
    (web node, PostgreSQL, from ``/proc``) in the completions around each age of ``AGES``; and the bytes stored
    (engine state, whole item, audit trail) after each age."""
    view = client.call("POST", "/instances", {"key": "aging_loop", "data": {"rounds": rounds}})
    latencies: list[float] = []
    cpu: dict[int, dict[str, float]] = {}  # age → process → CPU seconds of the WINDOW completions then
    stored: dict[int, tuple[int, int, int]] = {}
    before: dict[str, float] = {}
    while view["tasks"]:
        step = len(latencies)
        if step in AGES:
            state, item, audit = platform.sql(ITEM_SIZE_SQL, id=view["id"])[0]
            stored[step] = (int(state), int(item), int(audit))
            before = cpu_seconds(processes)
        task = view["tasks"][0]
        began = time.perf_counter()
        view = client.call("POST", f"/tasks/{task['id']}/complete", {"data": STEP})
        latencies.append(time.perf_counter() - began)
        if step + 1 - WINDOW in AGES:
            after = cpu_seconds(processes)
            cpu[step + 1 - WINDOW] = {k: after[k] - before[k] for k in processes}
    if len(latencies) != rounds:
        raise RuntimeError(f"item {view['id']} ended after {len(latencies)} of {rounds} completions")
    return latencies, cpu, stored


def _around(age: int) -> range:
    """The completions that stand for ``age``: the ``WINDOW`` from it on."""
    return range(age, age + WINDOW)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=120)
    parser.add_argument("--web-workers", type=int, default=2)
    args = parser.parse_args()
    if args.rounds < max(AGES) + WINDOW:
        parser.error(f"--rounds must be at least {max(AGES) + WINDOW}")
    print(
        f"# aging — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {machine.node()} "
        f"({machine.machine()}, Python {machine.python_version()}); {ROOT.name}"
    )
    runs: list[tuple[list[float], dict[int, dict[str, float]], dict[int, tuple[int, int, int]]]] = []
    with tempfile.TemporaryDirectory(prefix="banjian-bench-") as tmp:
        platform = start_platform(Path(tmp) / "platform", file_clock=False)
        try:
            platform.cli("deploy", str(DIAGRAM))
            web = platform.start_web(workers=args.web_workers, threads=1, connections=2)
            platform.start_worker("bench")
            processes = {
                "web node": [web.proc.pid],
                "PostgreSQL": [int((platform.postgres.datadir / "postmaster.pid").read_text().split()[0])],
            }
            client = Client(web.port)
            one_item(
                client, platform, max(AGES) + 3, processes
            )  # warm the node up: imports, specs, statements
            for _ in range(args.items):
                runs.append(one_item(client, platform, args.rounds, processes))
        finally:
            platform.stop()

    def at(age: int) -> float:
        return statistics.median(statistics.median(lat[i] for i in _around(age)) for lat, _, _ in runs) * 1000

    def cpu_at(age: int, process: str | None = None) -> float:  # all items' windows together (coarse ticks)
        spent = sum(v for _, cpu, _ in runs for k, v in cpu[age].items() if process in (None, k))
        return spent / (WINDOW * len(runs)) * 1000

    first, first_cpu = at(0), cpu_at(0)
    for age in AGES:
        state, item, audit = (statistics.median(s[age][k] for _, _, s in runs) for k in range(3))
        print(
            f"after {age:3d} earlier steps: completion {at(age):6.2f} ms (×{at(age) / first:.2f}), CPU in web node + "
            f"PostgreSQL {cpu_at(age):5.1f} ms (×{cpu_at(age) / first_cpu:.2f}; web node {cpu_at(age, 'web node'):4.1f}, "
            f"PostgreSQL {cpu_at(age, 'PostgreSQL'):4.1f}); stored: engine state {state:6,.0f} "
            f"bytes, whole item {item:7,.0f} (of it the audit trail {audit:6,.0f})"
        )
    ratio, cpu_ratio = at(100) / first, cpu_at(100) / first_cpu
    print(
        f"flat in age (100 vs 0): latency ×{ratio:.2f}, CPU ×{cpu_ratio:.2f} "
        f"(target ≤ 1.15: {'met' if max(ratio, cpu_ratio) <= 1.15 else 'NOT met'})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

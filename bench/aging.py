"""Does a completion cost more as an item ages? An item that loops through one user task, through HTTP.

Usage: ``.venv/bin/python bench/aging.py [--items 8] [--rounds 120] [--web-workers 2]``.
Starts its own platform (durable PostgreSQL, Redis, a gunicorn node, one RQ worker; tests/support/platform.py),
deploys ``bench/data/aging_loop.bpmn`` (a 审查 step with a form, a window and a time limit, a script counting
the rounds, a gateway looping back ``--rounds`` times) and, with one keep-alive client, brings ``--items`` items
to each of 0, 10, 50 and 100 earlier steps, each answer carrying the item's open tasks. Then it completes 10 steps
of each of those items from there, the ages in turn (their order turned every run: the machine's speed drifts
over minutes, and an age always measured last would pay for it), and prints per age:
- the latency (the median over the items of each item's median of its 10) and the CPU they cost in the web node
  and PostgreSQL (``/proc``: each thread's run time, all items together, steadier than latency on a shared
  machine), each also as a ratio to age 0's — the issue's target is ≤ 1.15 at 100 steps;
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


def started(client: Client, rounds: int) -> dict[str, Any]:
    """A new item of the loop (``rounds`` completions long): the API's answer, with its open task."""
    return client.call("POST", "/instances", {"key": "aging_loop", "data": {"rounds": rounds}})


def stepped(client: Client, view: dict[str, Any]) -> dict[str, Any]:
    """The item of ``view`` after one more completion of its open task."""
    return client.call("POST", f"/tasks/{view['tasks'][0]['id']}/complete", {"data": STEP})


def aged(client: Client, rounds: int, age: int) -> dict[str, Any]:
    """A new item brought to ``age`` earlier completions (not measured)."""
    view = started(client, rounds)
    for _ in range(age):
        view = stepped(client, view)
    return view


Window = tuple[list[float], dict[str, float], tuple[int, int, int]]  # latencies, CPU by process, bytes stored


def window(client: Client, platform: Any, view: dict[str, Any], processes: dict[str, list[int]]) -> Window:
    """``WINDOW`` completions of one item from where ``view`` stands: their latencies, the CPU each process (web
    node, PostgreSQL, from ``/proc``) spent meanwhile, and the bytes the item stored before them (engine state,
    whole item, audit trail)."""
    state, item, audit = platform.sql(ITEM_SIZE_SQL, id=view["id"])[0]
    latencies: list[float] = []
    before = cpu_seconds(processes)
    for _ in range(WINDOW):
        began = time.perf_counter()
        view = stepped(client, view)
        latencies.append(time.perf_counter() - began)
    after = cpu_seconds(processes)
    return latencies, {k: after[k] - before[k] for k in processes}, (int(state), int(item), int(audit))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=120)
    parser.add_argument("--web-workers", type=int, default=2)
    args = parser.parse_args()
    if args.rounds < max(AGES) + WINDOW:
        parser.error(f"--rounds must be at least {max(AGES) + WINDOW}")
    print(
        f"# aging — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {machine.node()} "
        f"({machine.machine()}, Python {machine.python_version()}); {ROOT.name}"
    )
    windows: dict[int, list[Window]] = {}  # age → one a run
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
            # warm up: imports, specs, statements
            window(client, platform, aged(client, args.rounds, 3), processes)
            # one item per age and run, brought there first; then their windows in turn, the ages' order turned
            # every run: the machine's speed drifts over minutes, and an age measured later would pay for it
            items = [{age: aged(client, args.rounds, age) for age in AGES} for _ in range(args.items)]
            for run, at_age in enumerate(items):
                turn = AGES[run % len(AGES) :] + AGES[: run % len(AGES)]
                for age in turn:
                    windows.setdefault(age, []).append(window(client, platform, at_age[age], processes))
        finally:
            platform.stop()

    def at(age: int) -> float:
        return statistics.median(statistics.median(lat) for lat, _, _ in windows[age]) * 1000

    def cpu_at(age: int, process: str | None = None) -> float:  # all runs' windows together
        spent = sum(v for _, cpu, _ in windows[age] for k, v in cpu.items() if process in (None, k))
        return spent / (WINDOW * len(windows[age])) * 1000

    first, first_cpu = at(0), cpu_at(0)
    for age in AGES:
        state, item, audit = (statistics.median(s[k] for _, _, s in windows[age]) for k in range(3))
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

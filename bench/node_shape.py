"""Which web node shape serves a machine best: the platform's node as several gunicorn shapes, measured in turn.

Usage: ``.venv/bin/python bench/node_shape.py [--shapes 8x1 2x4 3x3] [--rounds 5] [--items 60] [--clients 8]``.
Starts its own platform (tests/support/platform.py: durable PostgreSQL, Redis, one RQ worker) and one gunicorn
node per shape (``W×T``: W worker processes of T threads each, all of them up at once, each on its own port), and
optionally the floor app (``--floor``, ``bench/floor_app.py``) in the same shapes. Each round drives every node in
turn with the same clients as ``bench/http_throughput.py`` (start and complete 联办件); the machine's speed drifts
by tens of percent over minutes, so only figures of one round compare. Prints per shape the medians over the
rounds of completions/s, latency p95 and the CPU a completion costs in the node and in PostgreSQL, and each
shape's completions/s ÷ the first shape's in the same round.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.floor_app import floor_database  # noqa: E402
from bench.http_throughput import through_http, worker_connections  # noqa: E402
from tests.support.platform import start_platform  # noqa: E402

FLOOR_APP = "bench.floor_app:create_app()"


def shape(text: str) -> tuple[int, int]:
    """``"2x4"`` (or ``2×4``): 2 worker processes of 4 threads."""
    workers, _, threads = text.replace("×", "x").partition("x")
    return int(workers), int(threads or 1)


def _in_turn(mine: list[dict[str, float]], other: list[dict[str, float]]) -> str:
    """The median and range over the rounds of completions/s of ``mine`` ÷ ``other`` in the same round."""
    ratios = [a["tasks_per_s"] / b["tasks_per_s"] for a, b in zip(mine, other, strict=True)]
    return f"{statistics.median(ratios):.2f} ({min(ratios):.2f}–{max(ratios):.2f})"


def report(results: dict[str, list[dict[str, float]]]) -> None:
    """Per node its medians; each shape against the first shape of its kind, the platform against the floor."""
    names = list(results)
    for name in names:
        rounds = results[name]
        median = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
        line = (
            f"{name:>11}: {median['tasks_per_s']:6.1f} completions/s, p95 {median['p95_ms']:4.0f} ms, CPU per "
            f"completion node {median['cpu node']:4.1f} ms + PostgreSQL {median['cpu PostgreSQL']:.1f} ms"
        )
        base = next(n for n in names if n.startswith("floor") == name.startswith("floor"))
        if base != name:
            line += f"; ÷ {base} {_in_turn(rounds, results[base])}"
        if f"floor {name}" in results:
            line += f"; ÷ the floor in this shape {_in_turn(rounds, results[f'floor {name}'])}"
        print(line)


def start_nodes(
    platform: Any, shapes: list[tuple[int, int]], clients: int, floor: bool
) -> list[tuple[str, Any]]:
    """A node of the platform per shape, and with ``floor`` one of the floor app after each (on its own database,
    as ``bench/http_throughput.py`` serves it): (name, node) in the order they are driven."""
    floor_env = {"BANJIAN_FLOOR_DSN": floor_database(platform)} if floor else None
    nodes: list[tuple[str, Any]] = []
    for workers, threads in shapes:
        room = worker_connections(workers, threads, clients)
        name = f"{workers}×{threads}"
        nodes.append((name, platform.start_web(workers=workers, threads=threads, connections=room)))
        if floor_env is not None:
            node = platform.start_web(
                workers=workers, threads=threads, connections=room, app=FLOOR_APP, env=floor_env
            )
            nodes.append((f"floor {name}", node))
    return nodes


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shapes", nargs="+", default=["8x1", "2x4", "3x3"])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--items", type=int, default=60)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--floor", action="store_true", help="also the floor app, in the same shapes")
    args = parser.parse_args()
    shapes = [shape(s) for s in args.shapes]
    print(
        f"# web node shapes — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {args.clients} clients, {args.items} items"
    )
    with tempfile.TemporaryDirectory(prefix="banjian-bench-") as tmp:
        platform = start_platform(Path(tmp) / "platform", file_clock=False)
        try:
            postgres = [int((platform.postgres.datadir / "postmaster.pid").read_text().split()[0])]
            platform.start_worker("bench")
            nodes = start_nodes(platform, shapes, args.clients, args.floor)
            results: dict[str, list[dict[str, float]]] = {name: [] for name, _ in nodes}
            for i in range(args.rounds):
                for name, web in nodes:
                    results[name].append(
                        through_http(
                            web.port,
                            args.items,
                            args.clients,
                            {"node": [web.proc.pid], "PostgreSQL": postgres},
                        )
                    )
                print(f"  round {i + 1}: " + ", ".join(
                    f"{name} {r[-1]['tasks_per_s']:5.1f}/s ({r[-1]['cpu node']:.1f} ms)" for name, r in results.items()
                ))  # fmt: skip
            report(results)
        finally:
            platform.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

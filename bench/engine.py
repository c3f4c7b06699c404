"""Engine benchmark: raw SpiffWorkflow in memory vs. the runner on SQLite and PostgreSQL.

Usage: ``.venv/bin/python bench/engine.py [--instances N]``. Prints, for the shipped 联办件 (抄告制)
``bpmn/lianban_chaogao.bpmn`` with its 补正 and 退回 blocks (accept → 3 related windows review in parallel →
consolidate → notify; 6 user tasks, the diagram ``bench/http_throughput.py`` drives over HTTP):
(a) raw SpiffWorkflow stepping in memory, (b) the same through ``runner`` (one transaction per
start and per completion, state persisted every step) on SQLite and PostgreSQL, (c) their ratio,
(d) bytes stored per running instance. Starts its own throwaway PostgreSQL cluster.

Every task gets the task data the API's form check makes of ``tests.support.platform.STEP_DATA`` (worked out
once, outside the timings), the data a real item carries. Earlier runs stepped ``tests/data/joint.bpmn`` (5
tasks), which no valid form data can drive (its review step collects an ``opinion`` no form sets); their
figures in ``bench/RESULTS.md`` are not comparable with this diagram's.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

import runner  # noqa: E402
from bench.http_throughput import raw_spiff as raw_completions  # noqa: E402
from runner.db import make_engine  # noqa: E402
from runner.migrate import upgrade  # noqa: E402
from runner.models import ProcessInstance  # noqa: E402
from tests.support.flow import deploy_library  # noqa: E402
from tests.support.joint import FILES, START_DATA, TASKS_PER_ITEM  # noqa: E402
from tests.support.platform import JOINT as KEY  # noqa: E402
from tests.support.platform import STEP_DATA, step_task_data  # noqa: E402

TASKS_PER_INSTANCE = TASKS_PER_ITEM
ENGINE_DATA = {step: step_task_data(step) for step in STEP_DATA}


def raw_spiff(n: int) -> float:
    """Instances per second, SpiffWorkflow alone, same script engine and calendar, nothing stored."""
    return raw_completions(n) / TASKS_PER_INSTANCE


def _complete(session: Any, task_id: str, data: dict[str, Any]) -> list[dict[str, Any]]:
    """What ``POST /api/tasks/<id>/complete`` does once its form check passed: complete, answer with the
    item's open tasks."""
    instance = runner.complete(session, task_id, data, actor="bench")
    tasks, _ = runner.list_tasks(session, instance_id=instance.id, count=False)
    return tasks


def _one_item(services: runner.Services) -> int:
    """Start one item and complete its six tasks as an API client would; returns the completions."""
    completions = 0
    with services.transaction() as s:
        iid = runner.start(s, KEY, actor="bench", data=START_DATA).id
        tasks, _ = runner.list_tasks(s, instance_id=iid, count=False)
    while tasks:
        task = tasks[0]
        tasks = services.run(_complete, task["id"], ENGINE_DATA[task["spec_name"].split(" [")[0]])
        completions += 1
    return completions


def through_runner(url: str, n: int, clients: int = 1) -> tuple[float, float, float]:
    """(instances/s, task completions/s, bytes per running instance) through the runner.

    ``clients`` threads work on their own items at the same time (one transaction per start and per
    completion, as the HTTP API does)."""
    engine = make_engine(url)
    upgrade(url)
    services = runner.Services.without_redis(runner.Settings(database_url=url), engine=engine)
    deploy_library(services, *FILES)
    _one_item(services)  # warm the spec cache and the connection pool
    per_client = max(1, n // clients)
    began = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        done = list(pool.map(lambda _: sum(_one_item(services) for _ in range(per_client)), range(clients)))
    elapsed = time.perf_counter() - began
    # size: a batch of instances left running at the review step
    sizes = []
    for _ in range(20):
        with services.transaction() as s:
            iid = runner.start(s, KEY, actor="bench", data=START_DATA).id
            tasks, _ = runner.list_tasks(s, instance_id=iid)
            runner.complete(s, tasks[0]["id"], ENGINE_DATA["accept"], actor="bench")
        with services.transaction() as s:
            sizes.append(
                s.scalar(select(func.length(ProcessInstance.state)).where(ProcessInstance.id == iid))
            )
    engine.dispose()
    return per_client * clients / elapsed, sum(done) / elapsed, statistics.mean(sizes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--instances", type=int, default=200)
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients for the PostgreSQL run")
    args = parser.parse_args()
    n = args.instances
    print(
        f"# engine benchmark — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {platform.node()} "
        f"({platform.machine()}, Python {platform.python_version()})"
    )
    raw = raw_spiff(n)
    print(
        f"(a) raw SpiffWorkflow in memory : {raw:8.1f} instances/s  {raw * TASKS_PER_INSTANCE:8.1f} tasks/s"
    )
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["SQLite"] = through_runner(f"sqlite:///{tmp}/bench.sqlite3", n)
    from tests.support.services import remove_tree, start_postgres

    cluster = start_postgres(durable=True)
    try:
        cluster.create_database("banjian_bench")
        results["PostgreSQL"] = through_runner(cluster.url("banjian_bench"), n)
        cluster.create_database("banjian_bench_concurrent")
        results[f"PostgreSQL, {args.clients} clients"] = through_runner(
            cluster.url("banjian_bench_concurrent"), n, clients=args.clients
        )
    finally:
        cluster.stop()
        remove_tree(cluster.base)
    for name, (ips, tps, size) in results.items():
        print(
            f"(b) runner on {name:<11}: {ips:8.1f} instances/s  {tps:8.1f} tasks/s"
            f"   (c) ratio to raw {ips / raw:5.2f}   (d) {size:,.0f} bytes per running instance"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

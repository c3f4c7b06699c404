"""Engine benchmark: raw SpiffWorkflow in memory vs. the runner on SQLite and PostgreSQL.

Usage: ``.venv/bin/python bench/engine.py [--instances N]``. Prints, for a 联办件-like diagram
(accept → 3 related windows review in parallel → consolidate; 5 user tasks):
(a) raw SpiffWorkflow stepping in memory, (b) the same through ``runner`` (one transaction per
start and per completion, state persisted every step) on SQLite and PostgreSQL, (c) their ratio,
(d) bytes stored per running instance. Starts its own throwaway PostgreSQL cluster.
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

from SpiffWorkflow.bpmn import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.util.task import TaskState  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

import runner  # noqa: E402
from runner.clock import ManualClock  # noqa: E402
from runner.db import make_engine  # noqa: E402
from runner.migrate import upgrade  # noqa: E402
from runner.models import ProcessInstance  # noqa: E402
from runner.scripts import CentreScriptEngine  # noqa: E402
from runner.spiff.parser import CentreParser, parse_specs  # noqa: E402

DIAGRAM = ROOT / "tests" / "data" / "joint.bpmn"
KEY = "joint_test"
RELATED = ["guotu", "huanbao", "guihua"]
TASKS_PER_INSTANCE = 5


def raw_spiff(n: int) -> float:
    """Instances per second, SpiffWorkflow alone, same script engine, nothing stored."""
    parser = CentreParser()
    parser.add_bpmn_file(str(DIAGRAM))
    spec, subs = parse_specs(parser, KEY)
    engine = CentreScriptEngine(ManualClock(), None)
    began = time.perf_counter()
    for _ in range(n):
        wf = BpmnWorkflow(spec, subs, script_engine=engine)
        wf.do_engine_steps()
        while not wf.completed:
            for task in wf.get_tasks(state=TaskState.READY, manual=True):
                if task.task_spec.bpmn_id == "accept":
                    task.data["related_windows"] = RELATED
                else:
                    task.data["opinion"] = {"result": "agree"}
                task.run()
                wf.do_engine_steps()
    return n / (time.perf_counter() - began)


def _complete(session: Any, task_id: str, data: dict[str, Any]) -> list[dict[str, Any]]:
    """What ``POST /api/tasks/<id>/complete`` does: complete, answer with the item's open tasks."""
    instance = runner.complete(session, task_id, data, actor="bench")
    tasks, _ = runner.list_tasks(session, instance_id=instance.id, count=False)
    return tasks


def _one_item(services: runner.Services) -> int:
    """Start one item and complete its five tasks as an API client would; returns the completions."""
    completions = 0
    with services.transaction() as s:
        iid = runner.start(s, KEY, actor="bench", data={"lead_window": "shebao"}).id
        tasks, _ = runner.list_tasks(s, instance_id=iid, count=False)
    while tasks:
        task = tasks[0]
        data = (
            {"related_windows": RELATED}
            if task["spec_name"] == "accept"
            else {"opinion": {"result": "agree"}}
        )
        tasks = services.run(_complete, task["id"], data)
        completions += 1
    return completions


def through_runner(url: str, n: int, clients: int = 1) -> tuple[float, float, float]:
    """(instances/s, task completions/s, bytes per running instance) through the runner.

    ``clients`` threads work on their own items at the same time (one transaction per start and per
    completion, as the HTTP API does)."""
    engine = make_engine(url)
    upgrade(url)
    services = runner.Services.without_redis(runner.Settings(database_url=url), engine=engine)
    with services.transaction() as s:
        runner.upsert_windows(s, [(w, w) for w in [*RELATED, "shebao"]])
        runner.deploy(s, DIAGRAM.read_bytes(), DIAGRAM.name, actor="bench")
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
            iid = runner.start(s, KEY, actor="bench", data={"lead_window": "shebao"}).id
            tasks, _ = runner.list_tasks(s, instance_id=iid)
            runner.complete(s, tasks[0]["id"], {"related_windows": RELATED}, actor="bench")
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

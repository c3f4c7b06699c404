"""Throughput through the HTTP API: N concurrent clients start and complete 联办件 (抄告制, 3 related windows).

Usage: ``.venv/bin/python bench/http_throughput.py [--items 60] [--clients 8] [--web-workers 8] [--threads 1]``.
The web node runs gthread workers holding at most ``threads + ceil(clients / workers)`` connections each, so
the keep-alive clients spread evenly over the worker processes (one process per core's worth of work: the
step is CPU-bound Python, threads only queue on the GIL) and each item's steps stay in the process that holds
its restored workflow (``runner.core.workflow_cache``), as a load balancer with sticky keep-alive would arrange.
(gthread keeps a connection alive only while it holds fewer than ``worker_connections - threads`` idle ones:
with the cap at ``ceil(clients / workers)`` alone, every answer closed its connection.)
Starts its own platform (durable PostgreSQL, Redis, a gunicorn node, one RQ worker; tests/support/platform.py),
then prints, measured in the same run (``--rounds`` times in turn, medians counted):
(a) raw SpiffWorkflow stepping the same diagram in memory (same script engine and calendar, nothing stored);
(b) task completions/s and items/s through ``POST /api/instances`` and ``POST /api/tasks/<id>/complete``
    (each answer carries the item's open tasks, as a client needs), latency p50/p95 per completion;
(c) the ratio of (b) to (a) — the issue's target is ≥ 0.5;
(d) bytes stored per completed and per running instance (row with engine state, audit trail, open tasks and
    timers; target ≤ 8 KB running);
(e) the CPU a completion costs in the web node, PostgreSQL, the worker and Redis, and this client (Linux
    ``/proc``), and the most completions/s this machine's cores allow at that cost;
(f) for scale, the CPU of two requests that complete nothing: an unknown route (gunicorn and Flask alone: 404)
    and an authorised read of the definitions list (the caller look-up, a count of items per version, the
    definitions' rows);
(g) the floor: the same clients against ``bench/floor_app.py``, a bare Flask app on the same gunicorn shape that
    does only what any durable completion must (find the caller, step the workflow, store its whole state and
    an audit row through the bare psycopg driver): how close to raw any service on this stack gets here;
(h) the platform at the floor, issue #24's target (≥ 0.8): its completions/s ÷ the floor app's in the same round,
    and the floor's serving CPU per completion ÷ the platform's.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform as machine
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from SpiffWorkflow.util.task import TaskState  # noqa: E402

from bench.floor_app import floor_database  # noqa: E402
from tests.support.joint import START_DATA, TASKS_PER_ITEM, load_joint  # noqa: E402
from tests.support.platform import JOINT, STEP_DATA, TOKENS, start_platform  # noqa: E402


def raw_spiff(n: int) -> float:
    """Task completions/s of SpiffWorkflow alone on the shipped 联办件 diagram (in memory), each task given the
    task data the API's form check makes of ``STEP_DATA`` (worked out once, before the clock starts)."""
    joint = load_joint()
    completions = 0
    began = time.perf_counter()
    for _ in range(n):
        wf = joint.started()  # as the runner starts an item
        while not wf.completed:
            ready = wf.get_tasks(state=TaskState.READY, manual=True)
            if not ready:
                raise RuntimeError(f"raw run stuck: {[t.task_spec.bpmn_id for t in wf.get_tasks()]}")
            task = ready[0]
            task.data.update(joint.step_data[task.task_spec.bpmn_id])
            task.run()
            completions += 1
            wf.do_engine_steps()
    return completions / (time.perf_counter() - began)


class Client:
    """One API client on a keep-alive connection."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.token = next(t for t, name in TOKENS.items() if name == "bench")

    def send(self, method: str, path: str, payload: Any = None) -> tuple[int, bytes]:
        """One request to ``/api<path>`` (a JSON body when ``payload`` is given): status and body."""
        headers = {"Authorization": f"Bearer {self.token}"}
        body = None
        if payload is not None:
            body, headers["Content-Type"] = json.dumps(payload), "application/json"
        self.conn.request(method, "/api" + path, body=body, headers=headers)
        response = self.conn.getresponse()
        return response.status, response.read()

    def call(self, method: str, path: str, payload: Any) -> Any:
        status, data = self.send(method, path, payload)
        if status >= 300:
            raise RuntimeError(f"{method} {path}: {status} {data[:300]!r}")
        return json.loads(data)

    def one_item(self, latencies: list[float]) -> int:
        view = self.call("POST", "/instances", {"key": JOINT, "data": START_DATA})
        done = 0
        while view["tasks"]:
            task = view["tasks"][0]
            began = time.perf_counter()
            view = self.call(
                "POST", f"/tasks/{task['id']}/complete", {"data": STEP_DATA[task["spec_name"].split(" [")[0]]}
            )
            latencies.append(time.perf_counter() - began)
            done += 1
        if done != TASKS_PER_ITEM:  # both servers must do the same work for their figures to compare
            raise RuntimeError(f"item {view.get('id')} ended after {done} of {TASKS_PER_ITEM} tasks")
        return done


def worker_connections(workers: int, threads: int, clients: int) -> int:
    """The open connections a gunicorn worker may hold so that it keeps its share of ``clients`` keep-alive
    connections alive (gthread keeps one alive only while it holds fewer than ``worker_connections - threads``)."""
    return threads + -(-clients // workers)


def _run_time(pid: int) -> float | None:
    """The seconds all live threads of process ``pid`` have run on a CPU, to the nanosecond (the first field of
    each thread's ``/proc/<pid>/task/<tid>/schedstat``); None where the kernel does not keep it."""
    total = 0
    try:
        for thread in Path(f"/proc/{pid}/task").iterdir():
            total += int((thread / "schedstat").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return total / 1e9


def cpu_seconds(roots: dict[str, list[int]]) -> dict[str, float]:
    """CPU seconds used so far by each group of processes and all their descendants, from Linux's ``/proc`` (the
    benchmark runs on Linux only): each thread's run time to the nanosecond where the kernel keeps it, else the
    process's user + system time in clock ticks (10 ms: coarse for a window of a few completions)."""
    tick = os.sysconf("SC_CLK_TCK")
    parent: dict[int, int] = {}
    used: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        fields = stat[stat.rindex(")") + 2 :].split()
        pid = int(entry.name)
        parent[pid], used[pid] = int(fields[1]), (int(fields[11]) + int(fields[12])) / tick
    children: dict[int, list[int]] = {}
    for pid, ppid in parent.items():
        children.setdefault(ppid, []).append(pid)
    groups: dict[str, set[int]] = {}
    for name, pids in roots.items():
        group = groups[name] = set()
        todo = list(pids)
        while todo:
            pid = todo.pop()
            if pid not in group:
                group.add(pid)
                todo.extend(children.get(pid, ()))
    for pid in set().union(*groups.values()):
        precise = _run_time(pid)
        if precise is not None:
            used[pid] = precise
    return {name: sum(used.get(pid, 0.0) for pid in group) for name, group in groups.items()}


def through_http(
    port: int, items: int, clients: int, processes: dict[str, list[int]] | None = None
) -> dict[str, float]:
    """Start and complete ``items`` 联办件 with ``clients`` concurrent clients. With ``processes`` (groups of
    the platform's process ids), also the CPU milliseconds each group, and this client, spent per completion."""
    latencies: list[float] = []
    counts = [0] * clients
    per_client = max(1, items // clients)

    failures: list[BaseException] = []

    def work(i: int) -> None:
        client = Client(port)
        try:
            for _ in range(per_client):
                counts[i] += client.one_item(latencies)
        except Exception as error:  # noqa: BLE001 - reported after the round, which must not count it
            failures.append(error)

    Client(port).one_item([])  # warm-up: spec cache and connection pools of the node
    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    cpu_before, client_before = cpu_seconds(processes or {}), time.process_time()
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    if failures:
        raise RuntimeError(f"{len(failures)} of {clients} clients failed") from failures[0]
    client_cpu = time.process_time() - client_before
    cpu_after = cpu_seconds(processes or {})
    latencies.sort()
    completions = sum(counts)
    result = {
        "items_per_s": per_client * clients / elapsed,
        "tasks_per_s": completions / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[int(len(latencies) * 0.95)] * 1000,
    }
    if processes:
        for name in processes:
            result[f"cpu {name}"] = (cpu_after[name] - cpu_before[name]) * 1000 / completions
        result["cpu this client"] = client_cpu * 1000 / completions
    return result


def request_cost(
    port: int, path: str, clients: int, processes: dict[str, list[int]], n: int = 200
) -> dict[str, float]:
    """CPU milliseconds per ``GET path`` in each process group, ``clients`` keep-alive clients sending ``n``
    requests each (any answer below 500 counts): what the web stack costs before any work of a completion."""

    def work() -> None:
        client = Client(port)
        for _ in range(n):
            status, _ = client.send("GET", path)
            if status >= 500:
                raise RuntimeError(f"GET /api{path}: {status}")

    work()  # warm-up
    threads = [threading.Thread(target=work) for _ in range(clients)]
    before = cpu_seconds(processes)
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    after = cpu_seconds(processes)
    return {name: (after[name] - before[name]) * 1000 / (clients * n) for name in processes}


SIZE_SQL = """
    SELECT p.status, count(*), avg(pg_column_size(p.*)),
           avg((SELECT coalesce(sum(pg_column_size(a.*)), 0) FROM audit_entries a WHERE a.instance_id = p.id)),
           avg((SELECT coalesce(sum(pg_column_size(o.*)), 0) FROM open_tasks o WHERE o.instance_id = p.id)
             + (SELECT coalesce(sum(pg_column_size(t.*)), 0) FROM timers t WHERE t.instance_id = p.id))
    FROM process_instances p GROUP BY p.status ORDER BY p.status
"""


def sizes(platform: Any, web: Any, running: int = 20) -> list[str]:
    """Bytes per instance (row, audit trail, open tasks + timers) for completed items and for items left
    running in their joint review."""
    for i in range(running):
        item = platform.start_joint_item(web, applicant=f"在办{i}")
        platform.complete_step(web, item["tasks"][0])
    lines = []
    for status, n, row, audit, work in platform.sql(SIZE_SQL):
        total = float(row) + float(audit) + float(work)
        lines.append(
            f"(d) {status:<9} {n:4d} items: {total:7,.0f} bytes each (instance row {float(row):,.0f} incl. "
            f"engine state, audit trail {float(audit):,.0f}, open tasks + timers {float(work):,.0f})"
        )
    return lines


def start_floor(platform: Any, workers: int, threads: int, connections: int) -> Any:
    """The floor app (``bench/floor_app.py``) on its own database of the platform's cluster, served by a
    gunicorn node of the same shape as the platform's."""
    return platform.start_web(
        workers=workers,
        threads=threads,
        connections=connections,
        app="bench.floor_app:create_app()",
        env={"BANJIAN_FLOOR_DSN": floor_database(platform)},
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=60)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--web-workers", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="raw and HTTP measured in turn this many times; the median counts",
    )
    args = parser.parse_args()
    print(
        f"# HTTP throughput — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {machine.node()} "
        f"({machine.machine()}, Python {machine.python_version()})"
    )
    rounds: list[tuple[float, dict[str, float]]] = []
    floor_rounds: list[tuple[float, dict[str, float]]] = []
    with tempfile.TemporaryDirectory(prefix="banjian-bench-") as tmp:
        platform = start_platform(Path(tmp) / "platform", file_clock=False)  # real time, as in production
        try:
            connections = worker_connections(args.web_workers, args.threads, args.clients)
            web = platform.start_web(workers=args.web_workers, threads=args.threads, connections=connections)
            worker = platform.start_worker("bench")
            processes = {
                "web node": [web.proc.pid],
                "PostgreSQL": [int((platform.postgres.datadir / "postmaster.pid").read_text().split()[0])],
                "worker + Redis": [worker.pid, platform.redis.proc.pid],
            }
            floor = start_floor(platform, args.web_workers, args.threads, connections)
            floor_processes = {"floor node": [floor.proc.pid], "PostgreSQL": processes["PostgreSQL"]}
            # in turn: this machine's speed drifts by tens of percent over minutes
            for i in range(args.rounds):
                raw = raw_spiff(max(50, args.items))
                result = through_http(web.port, args.items, args.clients, processes)
                floor_result = through_http(floor.port, args.items, args.clients, floor_processes)
                rounds.append((raw, result))
                floor_rounds.append((raw, floor_result))
                print(
                    f"  round {i + 1}: raw {raw:6.1f}/s, HTTP {result['tasks_per_s']:5.1f}/s "
                    f"(p50 {result['p50_ms']:.0f} ms, p95 {result['p95_ms']:.0f} ms), "
                    f"ratio {result['tasks_per_s'] / raw:.3f}; floor app {floor_result['tasks_per_s']:5.1f}/s, "
                    f"ratio {floor_result['tasks_per_s'] / raw:.3f}; platform ÷ floor "
                    f"{result['tasks_per_s'] / floor_result['tasks_per_s']:.2f}",
                    flush=True,
                )
            floors = {
                path: request_cost(web.port, path, args.clients, processes)
                for path in ("/no-such-route", "/definitions")
            }
            size_lines = sizes(platform, web)
        finally:
            platform.stop()
    ratios = sorted(result["tasks_per_s"] / raw for raw, result in rounds)
    raw = statistics.median(r for r, _ in rounds)
    print(f"(a) raw SpiffWorkflow, same diagram, in memory: {raw:8.1f} task completions/s (median of rounds)")
    result = {k: statistics.median(r[k] for _, r in rounds) for k in rounds[0][1]}
    print(
        f"(b) HTTP API, gunicorn {args.web_workers}×{args.threads}, PostgreSQL (durable), {args.clients} clients: "
        f"{result['tasks_per_s']:8.1f} task completions/s, {result['items_per_s']:.1f} items/s, "
        f"completion latency p50 {result['p50_ms']:.0f} ms, p95 {result['p95_ms']:.0f} ms (medians)"
    )
    ratio = statistics.median(ratios)
    print(
        f"(c) ratio to raw: {ratio:.3f} (median; rounds {ratios[0]:.3f}–{ratios[-1]:.3f})  "
        f"(target ≥ 0.5: {'met' if ratio >= 0.5 else 'NOT met'})"
    )
    for line in size_lines:
        print(line)
    cpu = {k[4:]: v for k, v in result.items() if k.startswith("cpu ")}
    if cpu:
        total = sum(cpu.values())
        cores = os.cpu_count() or 1
        parts = ", ".join(f"{name} {ms:.1f} ms" for name, ms in cpu.items())
        print(
            f"(e) CPU per completion (medians): {parts}; {total:.1f} ms in all, against {1000 / raw:.1f} ms for "
            f"raw. On {cores} cores that cost allows at most {cores * 1000 / total:.0f} completions/s; the "
            f"target ({0.5 * raw:.0f}/s) needs ≤ {cores * 1000 / (0.5 * raw):.1f} ms."
        )
    for path, cost in floors.items():
        parts = ", ".join(f"{name} {ms:.1f} ms" for name, ms in cost.items() if ms >= 0.05)
        print(f"(f) for scale, CPU per GET /api{path}: {parts}")
    floor_ratios = sorted(result["tasks_per_s"] / raw for raw, result in floor_rounds)
    floor = {k: statistics.median(r[k] for _, r in floor_rounds) for k in floor_rounds[0][1]}
    parts = ", ".join(f"{k[4:]} {v:.1f} ms" for k, v in floor.items() if k.startswith("cpu "))
    print(
        f"(g) floor: a bare Flask app (bench/floor_app.py: caller look-up, step, whole state + one audit row "
        f"through psycopg, nothing else), same node shape and clients: {floor['tasks_per_s']:.1f} task "
        f"completions/s, ratio to raw {statistics.median(floor_ratios):.3f} (median; rounds "
        f"{floor_ratios[0]:.3f}–{floor_ratios[-1]:.3f}); CPU per completion {parts}"
    )
    print(at_the_floor(rounds, floor_rounds))
    return 0


def _served_cpu(result: dict[str, float]) -> float:
    """CPU per completion on the serving side (every process measured but this client)."""
    return sum(v for k, v in result.items() if k.startswith("cpu ") and k != "cpu this client")


def at_the_floor(
    rounds: list[tuple[float, dict[str, float]]], floor_rounds: list[tuple[float, dict[str, float]]]
) -> str:
    """Line (h), the issue's target: the platform's completions/s as a share of the floor app's in the same
    round (median and range), and the same share by CPU per completion (the floor's CPU ÷ the platform's, the
    serving processes: steadier than throughput on a shared machine)."""
    shares = sorted(
        r["tasks_per_s"] / f["tasks_per_s"] for (_, r), (_, f) in zip(rounds, floor_rounds, strict=True)
    )
    by_cpu = sorted(
        _served_cpu(f) / _served_cpu(r) for (_, r), (_, f) in zip(rounds, floor_rounds, strict=True)
    )
    share = statistics.median(shares)
    return (
        f"(h) at the floor: platform ÷ floor app {share:.2f} (median; rounds {shares[0]:.2f}–{shares[-1]:.2f}), "
        f"by CPU per completion {statistics.median(by_cpu):.2f} (rounds {by_cpu[0]:.2f}–{by_cpu[-1]:.2f})  "
        f"(target ≥ 0.8: {'met' if share >= 0.8 else 'NOT met'})"
    )


if __name__ == "__main__":
    raise SystemExit(main())

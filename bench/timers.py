"""Timer lateness benchmark: how late do timers fire through real RQ workers?

Usage: ``.venv/bin/python bench/timers.py [--timers N] [--spread S] [--workers W]``. Starts a private
Redis, a throwaway PostgreSQL cluster (durable settings) and W ``python -m worker`` processes; starts one
real item through the runner (a task with a boundary timer) and clones it with SQL into N items whose timers
fall due spread over S seconds (default: 10,000 over 60 s); sends their wake-ups as the sweep does (one RQ job
per second the timers fall due in, as the commits that make timers send them: ``runner.core.scheduling``); waits
until all have fired; prints p50 / p99 / max lag between each timer's due time and its effect — the time
stamped on the audit entry ``timer_fired`` and the commit of that entry (PostgreSQL's commit timestamp) — and
checks that none fired twice.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402

import runner  # noqa: E402
from runner.core.scheduling import RQScheduler  # noqa: E402
from runner.db import make_engine  # noqa: E402
from runner.migrate import upgrade  # noqa: E402
from runner.models import AuditEntry, Timer  # noqa: E402
from tests.support.services import remove_tree, start_postgres, start_redis, stop_process  # noqa: E402

DIAGRAM = ROOT / "tests" / "data" / "review.bpmn"


def clone_items(services: runner.Services, template: int, n: int, spread: float) -> None:
    """``n`` copies of item ``template`` (instance row and pending engine timer, not its warning-rule timers),
    timers ``spread`` s apart in all."""
    from sqlalchemy import text

    with services.engine.begin() as c:
        c.execute(text("""
            INSERT INTO process_instances (business_key, definition_id, definition_key, title, item_kind, lead_window,
                applicant, status, started_at, started_by, updated_at, promised_days, deadline, statutory_days,
                statutory_deadline, extension_days, accepted_on_receipt, serializer_version, state, lock_version,
                audit_head)
            SELECT 'T-' || g, definition_id, definition_key, title, item_kind, lead_window, applicant, status,
                started_at, started_by, updated_at, promised_days, deadline, statutory_days, statutory_deadline,
                extension_days, accepted_on_receipt, serializer_version, state, 1, audit_head
            FROM process_instances, generate_series(1, :n) AS g WHERE id = :template
        """), {"n": n, "template": template})  # fmt: skip
        c.execute(text("""
            INSERT INTO timers (instance_id, task_id, spec_name, name, due_at, status, created_at, follows_deadline,
                kind)
            SELECT i.id, t.task_id, t.spec_name, t.name,
                t.due_at + (CAST(substr(i.business_key, 3) AS integer) * :step) * interval '1 second',
                'pending', t.created_at, false, 'bpmn'
            FROM process_instances i JOIN timers t ON t.instance_id = :template AND t.status = 'pending' AND t.kind <> 'rule'
            WHERE i.business_key LIKE 'T-%'
        """), {"template": template, "step": spread / max(1, n)})  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--timers", type=int, default=10_000)
    parser.add_argument("--spread", type=float, default=60.0, help="seconds over which the timers fall due")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(f"# timer benchmark — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {platform.node()} "
          f"({platform.machine()}, {os.cpu_count()} cores); {args.timers} timers over {args.spread:.0f} s, "
          f"{args.workers} workers, PostgreSQL")  # fmt: skip
    tmp = Path(tempfile.mkdtemp(prefix="banjian-bench-"))
    redis = start_redis(tmp / "redis")
    cluster = start_postgres(durable=True, settings={"track_commit_timestamp": "on"})
    workers: list[subprocess.Popen[bytes]] = []
    try:
        cluster.create_database("timers")
        url = cluster.url("timers")
        upgrade(url)
        queue = "bench-timers"
        services = runner.Services(
            runner.Settings(
                database_url=url,
                redis_url=redis.url,
                queue_name=queue,
                sweep_horizon_seconds=int(args.spread + 120),
            ),  # fmt: skip
            scheduler=RQScheduler(redis.url, queue),
            engine=make_engine(url),
        )
        env = {
            **os.environ,
            "BANJIAN_SWEEP_HORIZON_SECONDS": str(int(args.spread + 120)),
            "BANJIAN_DATABASE_URL": url,
            "BANJIAN_REDIS_URL": redis.url,
            "BANJIAN_QUEUE_NAME": queue,
        }
        for i in range(args.workers):
            log = open(tmp / f"worker-{i}.log", "wb")  # noqa: SIM115 - closed with the process
            workers.append(
                subprocess.Popen([sys.executable, "-m", "worker"], cwd=ROOT, env=env, stdout=log, stderr=log)
            )
        lead = 20.0  # seconds to lay out the items before the first timer falls due
        began = time.time()
        with services.transaction() as s:
            runner.upsert_windows(s, [("shebao", "社保窗口")])
            # one real item whose boundary timer falls due at ``first_due`` ...
            xml = DIAGRAM.read_bytes().replace(b'"PT30M"', f'"PT{int(lead)}S"'.encode())
            runner.deploy(s, xml, "bench.bpmn", actor="bench")
        with services.transaction() as s:
            template = runner.start(s, "review", actor="bench").id
            tasks, _ = runner.list_tasks(s, instance_id=template, count=False)
        services.run(runner.complete, tasks[0]["id"], {"complete": True}, actor="bench")
        # ... cloned with SQL into N-1 more items (same engine state, their own rows), their timers spread
        # evenly over ``spread`` seconds from ``first_due`` (each clone's engine timer is due by then)
        clone_items(services, template, args.timers - 1, args.spread)
        with services.transaction() as s:
            sent = runner.sweep(s)  # what the workers' sweep does every minute: send the wake-ups due soon
        from rq.registry import ScheduledJobRegistry

        wakeups = ScheduledJobRegistry(queue=services.scheduler.queue).count + services.scheduler.queue.count
        print(
            f"laid out {args.timers} items in {time.time() - began:.1f} s; sweep: {sent}; RQ jobs: {wakeups}"
        )
        # wait for every timer (a slow machine fires a storm late, but must fire all of it)
        deadline = time.time() + lead + args.spread + max(120, args.timers / 10)
        while time.time() < deadline:
            with services.transaction() as s:
                pending = s.scalar(select(func.count()).select_from(Timer).where(Timer.status == "pending"))
            if pending == 0:
                break
            time.sleep(0.5)
        with services.transaction() as s:
            due = {t.id: t.due_at for t in s.scalars(select(Timer))}
            fired = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "timer_fired")))
            committed = dict(
                s.execute(
                    text(
                        "SELECT id, pg_xact_commit_timestamp(xmin) FROM audit_entries WHERE action = 'timer_fired'"
                    )
                ).all()
            )
        twice = len(fired) - len({e.detail["timer_id"] for e in fired})
        print(f"fired {len(fired)} of {len(due)} timers; fired twice: {twice}; still pending: {pending}")
        for what, lags in (
            (
                "effect (audit entry)",
                sorted((e.at - due[e.detail["timer_id"]]).total_seconds() for e in fired),
            ),
            (
                "its commit",
                sorted((committed[e.id] - due[e.detail["timer_id"]]).total_seconds() for e in fired),
            ),
        ):
            if lags:
                p99 = lags[min(len(lags) - 1, int(len(lags) * 0.99))]
                print(
                    f"lag due → {what}: p50 {statistics.median(lags):.2f} s, p99 {p99:.2f} s, max {lags[-1]:.2f} s"
                )
        return 0
    finally:
        for w in workers:
            stop_process(w, timeout=10)
        redis.stop()
        cluster.stop()
        remove_tree(cluster.base)
        remove_tree(tmp)


if __name__ == "__main__":
    raise SystemExit(main())

"""Timer lateness benchmark: how late do timers fire through real RQ workers?

Usage: ``.venv/bin/python bench/timers.py [--timers N] [--spread S] [--workers W]``. Starts a private
Redis, a throwaway PostgreSQL cluster (durable settings) and W ``python -m worker`` processes; starts N
items whose boundary timer (``PT<d>S``) falls due spread over S seconds; waits until all have fired;
prints p50 / p99 / max lag between each timer's due time and the commit of its effect (the audit entry
``timer_fired``), and checks that none fired twice.
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

from sqlalchemy import select  # noqa: E402

import runner  # noqa: E402
from runner.db import make_engine  # noqa: E402
from runner.migrate import upgrade  # noqa: E402
from runner.models import AuditEntry, Timer  # noqa: E402
from runner.scheduling import RQScheduler  # noqa: E402
from tests.support.services import remove_tree, start_postgres, start_redis, stop_process  # noqa: E402

DIAGRAM = ROOT / "tests" / "data" / "review.bpmn"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--timers", type=int, default=1000)
    parser.add_argument("--spread", type=float, default=20.0, help="seconds over which the timers fall due")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(f"# timer benchmark — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {platform.node()} "
          f"({platform.machine()}, {os.cpu_count()} cores); {args.timers} timers over {args.spread:.0f} s, "
          f"{args.workers} workers, PostgreSQL")  # fmt: skip
    tmp = Path(tempfile.mkdtemp(prefix="banjian-bench-"))
    redis = start_redis(tmp / "redis")
    cluster = start_postgres(durable=True)
    workers: list[subprocess.Popen[bytes]] = []
    try:
        cluster.create_database("timers")
        url = cluster.url("timers")
        upgrade(url)
        queue = "bench-timers"
        services = runner.Services(
            runner.Settings(database_url=url, redis_url=redis.url, queue_name=queue),
            scheduler=RQScheduler(redis.url, queue),
            engine=make_engine(url),
        )
        env = {
            **os.environ,
            "BANJIAN_DATABASE_URL": url,
            "BANJIAN_REDIS_URL": redis.url,
            "BANJIAN_QUEUE_NAME": queue,
        }
        for i in range(args.workers):
            log = open(tmp / f"worker-{i}.log", "wb")  # noqa: SIM115 - closed with the process
            workers.append(
                subprocess.Popen([sys.executable, "-m", "worker"], cwd=ROOT, env=env, stdout=log, stderr=log)
            )
        lead = 15.0  # seconds to create the items before the first timer falls due
        first_due = time.time() + lead
        with services.transaction() as s:
            runner.upsert_windows(s, [("shebao", "社保窗口")])
        for i in range(args.timers):
            # each item gets its own process variant only through data: the timer is PT<d>S from "now"
            seconds = max(1, int(first_due + args.spread * i / args.timers - time.time()))
            xml = DIAGRAM.read_bytes().replace(b'"PT30M"', f'"PT{seconds}S"'.encode())
            xml = xml.replace(b'id="review" name', f'id="review_{seconds}" name'.encode())
            with services.transaction() as s:
                result = runner.deploy(s, xml, "bench.bpmn", actor="bench")
                key = result.definitions[0].key
            with services.transaction() as s:
                iid = runner.start(s, key, actor="bench").id
                tasks, _ = runner.list_tasks(s, instance_id=iid, count=False)
            services.run(runner.complete, tasks[0]["id"], {"complete": True}, actor="bench")
        created = time.time()
        print(f"created {args.timers} items in {created - (first_due - lead):.1f} s")
        deadline = time.time() + lead + args.spread + 120
        while time.time() < deadline:
            with services.transaction() as s:
                pending = len(list(s.scalars(select(Timer.id).where(Timer.status == "pending"))))
            if pending == 0:
                break
            time.sleep(0.5)
        with services.transaction() as s:
            due = {t.id: t.due_at for t in s.scalars(select(Timer))}
            fired = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "timer_fired")))
        lags = sorted((e.at - due[e.detail["timer_id"]]).total_seconds() for e in fired)
        twice = len(fired) - len({e.detail["timer_id"] for e in fired})
        print(f"fired {len(fired)} of {len(due)} timers; fired twice: {twice}; still pending: {pending}")
        if lags:
            p99 = lags[min(len(lags) - 1, int(len(lags) * 0.99))]
            print(
                f"lag due → committed effect: p50 {statistics.median(lags):.2f} s, p99 {p99:.2f} s, max {lags[-1]:.2f} s"
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

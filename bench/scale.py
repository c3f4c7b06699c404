"""Scale benchmark: 100,000 instances in mixed states, then the inbox, the console's instance list and the
supervision dashboard are timed.

Usage: ``.venv/bin/python bench/scale.py [--instances 100000] [--repeat 30]``. Starts a throwaway PostgreSQL
cluster, deploys the library, drives a few dozen real items through the runner into every state (accepted,
in joint review, suspended, completed on time and late, refused, in error), then clones them with SQL
(``generate_series``) into ``--instances`` rows with spread dates, windows and clerks — open tasks, warning
events and deemed-assent records included. Prints p50 / p95 / max per measurement (targets: inbox p95 < 50 ms,
list < 300 ms, dashboard < 1 s) through the real code paths: ``runner.inbox_page`` as the workspace calls
it and the pages themselves through the Flask app (logged-in test client, templates rendered).
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

import runner  # noqa: E402
from runner.clock import ManualClock  # noqa: E402
from runner.db import make_engine  # noqa: E402
from runner.migrate import upgrade  # noqa: E402
from runner.people import directory  # noqa: E402
from tests.support.flow import LIBRARY, complete, deploy_library, start_item, task, tasks  # noqa: E402
from tests.support.services import remove_tree, start_postgres  # noqa: E402

WINDOWS = ["shichang", "guotu", "guihua", "huanbao", "shebao", "minzheng", "township", "county"]
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # Wed 10:00 Shanghai


def templates(services: runner.Services, clock: ManualClock) -> list[int]:
    """Real items in varied states, made by the runner; their rows are the clones' templates."""
    ids: list[int] = []
    for window in ("centre", "shebao"):
        iid = start_item(services, "chengnuo", {"lead_window": window, "applicant": "张三"})  # at acceptance
        ids.append(iid)
        iid = start_item(services, "chengnuo", {"lead_window": window, "applicant": "张三"})  # at review
        complete(
            services, task(services, iid, "accept")["id"], {"eligible": True, "materials_complete": True}
        )
        complete(services, task(services, iid, "acceptance_notice")["id"], {})
        ids.append(iid)
        iid = start_item(services, "lianban_chaogao", {"lead_window": window, "applicant": "李四"})
        complete(
            services,
            task(services, iid, "accept")["id"],
            {"related_windows": ["guotu", "huanbao", "guihua"], "review_days": 3, "materials_complete": True,
             "materials_list": ["申请书"]},
        )  # fmt: skip
        ids.append(iid)  # three reviews open
    for _ in range(3):  # 即办件 completed on the spot
        iid = start_item(services, "jiban", {"applicant": "王五", "title": "个体工商户名称预先核准"})
        complete(
            services, task(services, iid, "accept")["id"], {"eligible": True, "materials_complete": True}
        )
        complete(
            services, task(services, iid, "decide")["id"], {"approved": True, "decision_note": "准予核准"}
        )
        complete(services, task(services, iid, "notify")["id"], {"delivery": "当场领取"})
        ids.append(iid)
    assert not tasks(services, ids[-1])
    with services.transaction() as s:
        runner.suspend(s, ids[0], actor="admin", reason="基准测试")
    return ids


def clone(engine: Any, template_ids: list[int], total: int) -> None:
    """``total`` instances cloned from the templates with spread dates, windows and clerks (SQL only)."""
    per = max(1, total // len(template_ids))
    windows = "(ARRAY[" + ",".join(f"'{w}'" for w in WINDOWS) + "])"
    with engine.begin() as c:
        for tid in template_ids:
            c.execute(text(f"""
                INSERT INTO process_instances (business_key, definition_id, definition_key, title, item_kind,
                    lead_window, applicant, status, started_at, started_by, updated_at, ended_at, end_reason,
                    promised_days, deadline, statutory_days, statutory_deadline, extension_days,
                    accepted_on_receipt, paused_since, serializer_version, state, lock_version, audit_head)
                SELECT 'S-' || t.id || '-' || g.n, t.definition_id, t.definition_key, t.title, t.item_kind,
                    {windows}[1 + (g.n % {len(WINDOWS)})], '申请人' || g.n,
                    CASE WHEN t.status = 'running' AND g.n % 17 = 0 THEN 'error' ELSE t.status END,
                    t.started_at - g.shift, t.started_by, t.updated_at - g.shift, t.ended_at - g.shift,
                    t.end_reason, t.promised_days, t.deadline - g.shift + (g.n % 9 - 2) * interval '1 day',
                    t.statutory_days, t.statutory_deadline - g.shift, t.extension_days, t.accepted_on_receipt,
                    t.paused_since - g.shift, t.serializer_version, t.state, 1, t.audit_head
                FROM process_instances t,
                     (SELECT n, (random() * 365) * interval '1 day' AS shift
                      FROM generate_series(1, :per) AS n) AS g
                WHERE t.id = :tid
            """), {"per": per, "tid": tid})  # fmt: skip
            c.execute(text("""
                INSERT INTO open_tasks (instance_id, task_id, spec_name, name, business_key, definition_key,
                    item_kind, lane, "window", candidate_windows, form_key, assignee, claimed_at, created_at,
                    limit_days, due_at, properties, urge_count)
                SELECT i.id, md5(random()::text || i.id || ot.id)::uuid::text, ot.spec_name, ot.name,
                    i.business_key, ot.definition_key, ot.item_kind, ot.lane,
                    CASE WHEN ot."window" = (SELECT lead_window FROM process_instances WHERE id = :tid)
                         THEN i.lead_window ELSE ot."window" END,
                    ot.candidate_windows, ot.form_key,
                    CASE WHEN i.id % 3 = 0 THEN i.lead_window || '_clerk' END, NULL, i.started_at,
                    ot.limit_days, i.deadline - interval '2 day', ot.properties, i.id % 4
                FROM process_instances i JOIN open_tasks ot ON ot.instance_id = :tid
                WHERE i.business_key LIKE 'S-' || :tid || '-%' AND i.status IN ('running', 'waiting')
            """), {"tid": tid})  # fmt: skip
        c.execute(text("""
            INSERT INTO warning_events (instance_id, task_id, task_name, "window", clerk, rule, level, message,
                created_at, acknowledged_at, acknowledged_by, reply)
            SELECT i.id, NULL, '审查', i.lead_window, i.lead_window || '_clerk', 'bench',
                (ARRAY['notice','yellow','red'])[1 + i.id % 3], '基准', i.started_at + interval '5 day',
                CASE WHEN i.id % 2 = 0 THEN i.started_at + interval '6 day' END,
                CASE WHEN i.id % 2 = 0 THEN i.lead_window || '_clerk' END,
                CASE WHEN i.id % 2 = 0 THEN '已整改' END
            FROM process_instances i WHERE i.id % 10 = 0
        """))  # fmt: skip
        c.execute(text(f"""
            INSERT INTO accountability_records (instance_id, "window", kind, rule, task_name, limit_at,
                recorded_at, detail)
            SELECT i.id, {windows}[1 + (i.id % {len(WINDOWS)})], 'deemed_assent', 'silent_past_limit', '审查',
                i.started_at + interval '3 day', i.started_at + interval '4 day', '{{}}'
            FROM process_instances i WHERE i.id % 20 = 0
        """))  # fmt: skip
        c.execute(text("ANALYZE"))


def timed(what: str, func: Callable[[], Any], repeat: int, target_ms: float | None) -> None:
    func()  # warm
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        func()
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
    verdict = (
        "" if target_ms is None else f"  target {target_ms:.0f} ms: {'met' if p95 < target_ms else 'NOT met'}"
    )
    print(
        f"{what:<58} p50 {statistics.median(samples):7.1f} ms  p95 {p95:7.1f} ms  max {samples[-1]:7.1f} ms{verdict}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--instances", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    print(
        f"# scale benchmark — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {platform.node()} "
        f"({platform.machine()}, Python {platform.python_version()}); {args.instances:,} instances, PostgreSQL"
    )
    cluster = start_postgres()
    try:
        cluster.create_database("scale")
        url = cluster.url("scale")
        upgrade(url)
        engine = make_engine(url)
        clock = ManualClock(NOW - timedelta(days=2))
        services = runner.Services.without_redis(
            runner.Settings(database_url=url), engine=engine, clock=clock
        )
        deploy_library(services, *sorted(p.name for p in LIBRARY.glob("*.bpmn")))
        with services.transaction() as s:
            directory.seed_demo_users(s, [(w, w) for w in runner.known_windows(s)])
        began = time.perf_counter()
        ids = templates(services, clock)
        clone(engine, ids, args.instances)
        clock.set(NOW)
        with engine.connect() as c:
            counts = dict(c.execute(text("SELECT status, count(*) FROM process_instances GROUP BY 1")).all())
            open_tasks = c.execute(text("SELECT count(*) FROM open_tasks")).scalar()
        print(f"generated in {time.perf_counter() - began:.0f} s: {counts}, {open_tasks:,} open tasks")
        measure(services, args.repeat)
    finally:
        cluster.stop()
        remove_tree(cluster.base)
    return 0


def measure(services: runner.Services, repeat: int) -> None:
    """Time the inbox query and the three pages."""
    from webapp import create_app

    rng = random.Random(7)

    from workspace.inbox import COUNT_CAP  # the workspace's own cap on counts

    def inbox_query() -> None:
        window = rng.choice(WINDOWS)
        with services.transaction() as s:
            runner.inbox_page(s, windows=[window], limit=50, count_cap=COUNT_CAP)
            runner.inbox_page(s, assignees=[f"{window}_clerk"], limit=1, count_cap=COUNT_CAP)

    timed("inbox query (window tab + my-tasks count), 1 page of 50", inbox_query, repeat, 50)
    app = create_app(
        {"SERVICES": services, "TESTING": True, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False}
    )

    def client(username: str) -> Any:
        c = app.test_client()
        with c.session_transaction() as sess:
            sess["_user_id"] = username
            sess["_fresh"] = True
        return c

    clerk, admin, supervisor = client("shichang_clerk"), client("admin"), client("supervisor")

    def page(c: Any, url: str) -> Callable[[], None]:
        def get() -> None:
            response = c.get(url)
            if response.status_code != 200:
                raise RuntimeError(
                    f"GET {url}: {response.status_code} {response.get_data(as_text=True)[:300]}"
                )

        return get

    timed("inbox page /inbox (clerk of shichang)", page(clerk, "/inbox"), repeat, 50)
    for label, url, target in PAGES:
        timed(
            label,
            page(supervisor if "dashboard" in url or "supervision" in url else admin, url),
            repeat,
            target,
        )


# The console pages timed (label, URL, target ms). Filter arguments are Flask-Admin's ``flt<n>_<filter index>``
# (admin/monitoring/instances.py: 3 status, 4 lead window, 5 deadline state, 6 started between).
PAGES: list[tuple[str, str, float]] = [
    ("console instance list, no filter, page 1", "/admin/instances/", 300),
    (
        "console instance list, status=running & lead window",
        "/admin/instances/?flt0_3=running&flt1_4=shichang",
        300,
    ),
    ("console instance list, overdue", "/admin/instances/?flt0_5=overdue", 300),
    ("console instance list, warned, page 20", "/admin/instances/?flt0_5=warned&page=19", 300),
    ("console instance list, receipt number search", "/admin/instances/?search=S-3-1234", 300),
    ("supervision dashboard (this month, every window)", "/admin/supervision/", 1000),
    ("supervision dashboard (quarter)", "/admin/supervision/?period=quarter", 1000),
]


if __name__ == "__main__":
    raise SystemExit(main())

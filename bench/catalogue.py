"""Catalogue benchmark: the public guide and counter intake with 2,000 catalogue items and 100,000 instances.

Usage: ``.venv/bin/python bench/catalogue.py [--items 2000] [--instances 100000] [--repeat 50]``. Starts a
throwaway PostgreSQL cluster, deploys the library, makes the instances as ``bench/scale.py`` does (real items
cloned with SQL), imports ``--items`` catalogue items (the demo catalogue's items varied, through
``runner.catalogue.transfer.import_lines``), gives every tenth instance an application row (applicant, ID
number, phone) and times through the Flask app (logged-in test client, templates rendered): the guide's list
and search, an item's guide, the intake's search and registration form, a registration with its decision
(受理: the item starts and its acceptance step is completed, the notice issued), and the inbox searched by
phone, by a receipt number's last digits and by a surname (the partial search). Target: p95 < 100 ms each.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

import runner  # noqa: E402
from bench.scale import NOW, clone, templates, timed  # noqa: E402
from runner.catalogue.transfer import import_lines  # noqa: E402
from runner.clock import ManualClock  # noqa: E402
from runner.db import make_engine  # noqa: E402
from runner.migrate import upgrade  # noqa: E402
from runner.people import directory  # noqa: E402
from tests.support.flow import LIBRARY, deploy_library  # noqa: E402
from tests.support.services import remove_tree, start_postgres  # noqa: E402

TARGET_MS = 100
PERSON_ID = "11010519491231002X"


def catalogue_lines(count: int) -> list[str]:
    """``count`` items: the demo catalogue's, each repeated with its own code and name."""
    demo = [
        json.loads(x)
        for x in (LIBRARY / "catalogue.jsonl").read_text(encoding="utf-8").splitlines()
        if x[:1] == "{"
    ]
    lines = []
    for n in range(count):
        item = dict(demo[n % len(demo)])
        item["code"] = f"{item['code']}-{n:05d}"
        item["name"] = f"{item['name']}（{n:05d}）"
        lines.append(json.dumps(item, ensure_ascii=False))
    return lines


def applications(engine: Any) -> None:
    """An application row for every tenth instance (the inbox search reads them)."""
    with engine.begin() as c:
        c.execute(text("""
            INSERT INTO item_applications (instance_id, item_id, item_version_id, item_code, item_version,
                applicant_type, applicant_name, applicant_id, agent_name, agent_id, phone, materials, decision,
                registered_by, registered_at)
            SELECT i.id, ci.id, v.id, ci.code, 1, 'person', i.applicant, :pid, NULL, NULL,
                '139' || lpad((i.id % 100000000)::text, 8, '0'), '[]', 'accepted', 'bench', i.started_at
            FROM process_instances i
            JOIN catalogue_items ci ON ci.id = 1 + (i.id % (SELECT count(*) FROM catalogue_items))
            JOIN catalogue_item_versions v ON v.item_id = ci.id AND v.version = 1
            WHERE i.id % 10 = 0
        """), {"pid": PERSON_ID})  # fmt: skip
        c.execute(text("ANALYZE"))


def measure(services: runner.Services, codes: list[str], repeat: int) -> None:
    """Time the guide and the intake pages, a registration, the inbox search."""
    from webapp import create_app

    app = create_app(
        {"SERVICES": services, "TESTING": True, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False}
    )
    rng = random.Random(17)
    anonymous = app.test_client()
    clerk = app.test_client()
    with clerk.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"] = "shichang_clerk", True
    shichang = [c for c in codes if c.startswith("SC-0")]

    def get(client: Any, url: Any) -> Any:
        def run() -> None:
            target = url() if callable(url) else url
            response = client.get(target)
            if response.status_code != 200:
                raise RuntimeError(f"GET {target}: {response.status_code}")

        return run

    def post_only() -> Any:
        code = next(c for c in shichang if c.startswith("SC-003"))
        names = clerk.get(f"/intake?item={code}").get_data(as_text=True).count('value="received"')
        form = {"item": code, "applicant_type": "person", "applicant_name": "张三", "applicant_id": PERSON_ID,
                "phone": "13800001234", "decision": "accept", **{f"m{n}": "received" for n in range(names)}}  # fmt: skip

        def run() -> None:
            response = clerk.post("/intake", data=form)
            if response.status_code != 302:
                raise RuntimeError(f"POST /intake: {response.status_code}")

        return run

    timed("guide list /guide (first page)", get(anonymous, "/guide"), repeat, TARGET_MS)
    timed("guide search /guide?q=许可", get(anonymous, "/guide?q=许可"), repeat, TARGET_MS)
    timed(
        "guide search, rare word /guide?q=<code>",
        get(anonymous, lambda: f"/guide?q={rng.choice(codes)}"),
        repeat,
        TARGET_MS,
    )
    timed(
        "item guide /guide/<code>", get(anonymous, lambda: f"/guide/{rng.choice(codes)}"), repeat, TARGET_MS
    )
    timed("intake search /intake?q=食品 (clerk of shichang)", get(clerk, "/intake?q=食品"), repeat, TARGET_MS)
    timed(
        "intake form /intake?item=<code>",
        get(clerk, lambda: f"/intake?item={rng.choice(shichang)}"),
        repeat,
        TARGET_MS,
    )
    timed("intake registration POST /intake (受理 + notice)", post_only(), repeat, TARGET_MS)
    timed(
        "inbox searched by phone /inbox?tab=window&q=<phone>",
        get(clerk, lambda: f"/inbox?tab=window&q=139{rng.randrange(10**7, 10**8):08d}"),
        repeat,
        TARGET_MS,
    )
    timed(  # nothing exact: a piece of the receipt number is looked for in every item
        "inbox searched by a receipt number's last digits /inbox?tab=window&q=<5 digits>",
        get(clerk, lambda: f"/inbox?tab=window&q={rng.randrange(10**4, 10**5)}"),
        repeat,
        TARGET_MS,
    )
    timed(  # a surname: the start of the applicant's name
        "inbox searched by a surname /inbox?tab=window&q=张",
        get(clerk, "/inbox?tab=window&q=张"),
        repeat,
        TARGET_MS,
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--instances", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    print(
        f"# catalogue benchmark — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {platform.node()} "
        f"({platform.machine()}, Python {platform.python_version()}); {args.items:,} items, "
        f"{args.instances:,} instances, PostgreSQL"
    )
    cluster = start_postgres()
    try:
        cluster.create_database("catalogue")
        url = cluster.url("catalogue")
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
        lines = catalogue_lines(args.items)
        with services.transaction() as s:
            import_lines(s, lines, actor="bench")
        applications(engine)
        clock.set(NOW)
        print(f"generated in {time.perf_counter() - began:.0f} s")
        measure(services, [json.loads(x)["code"] for x in lines], args.repeat)
    finally:
        cluster.stop()
        remove_tree(cluster.base)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Faults on a running platform (real processes): a worker or a web node SIGKILLed mid-work, Redis away for a
minute and back empty, PostgreSQL restarted under load, several workers on one queue.

After each: nothing lost (every timer fired, every accepted request's effect stored), nothing twice (counted in
the audit trail), the audit hash chains intact, every instance loadable and consistent with its open tasks.
"""

from __future__ import annotations

import http.client
import os
import signal
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.support.platform import STEP_DATA, Platform, Web, wait_until

pytestmark = pytest.mark.slow

REDIS_OUTAGE_SECONDS = 60  # the figure: Redis stopped for a minute while timers fall due
PAST_REVIEW_LIMIT = 12 * 86400  # 12 days on: past every 3-working-day review limit from 2026-11-25


def accepted_items(platform: Platform, web: Web, n: int) -> list[dict[str, Any]]:
    """``n`` joint items accepted with three related windows: three review timers pending on each."""
    items = []
    for i in range(n):
        item = platform.start_joint_item(web, applicant=f"申请人{i}")
        platform.complete_step(web, item["tasks"][0])
        items.append(item)
    return items


def timer_fired_counts(platform: Platform) -> Counter[int]:
    rows = platform.sql(
        "SELECT instance_id, count(*) FROM audit_entries WHERE action = 'timer_fired' GROUP BY 1"
    )
    return Counter({int(iid): int(n) for iid, n in rows})


def pending_timers(platform: Platform) -> int:
    """Timers due on the platform clock and not fired yet."""
    rows = platform.sql(
        "SELECT count(*) FROM timers WHERE status = 'pending' AND due_at <= :now", now=platform.clock.now()
    )
    return int(rows[0][0])


def assert_consistent(platform: Platform, web: Web) -> None:
    """Audit chains intact; every instance loads through the API and its open tasks match the projection."""
    assert platform.cli("verify-audit").strip() == "audit trail intact"
    for (iid,) in platform.sql("SELECT id FROM process_instances"):
        view = platform.api(web, "GET", f"/instances/{iid}")
        projected = platform.sql("SELECT count(*) FROM open_tasks WHERE instance_id = :i", i=iid)[0][0]
        assert len(view["tasks"]) == projected, f"instance {iid}: open tasks and projection disagree"
        if view["status"] == "completed":
            assert projected == 0


def test_worker_killed_while_firing_timers(platform: Platform) -> None:
    web = platform.start_web()
    # 120 review timers: several of the worker's batches when it is behind
    items = accepted_items(platform, web, 40)
    first = platform.start_worker("first")
    time.sleep(2)
    platform.clock.set_offset(PAST_REVIEW_LIMIT)  # every timer due now, for every process
    wait_until(  # the first batch committed: kill at once, while the next ones are being fired
        lambda: sum(timer_fired_counts(platform).values()) >= 1,
        timeout=60,
        interval=0.02,
        what="firing started",
    )
    os.kill(first.pid, signal.SIGKILL)  # in the middle of the storm
    first.wait()
    assert pending_timers(platform) > 0, "the worker finished before it was killed: the test proves nothing"
    platform.start_worker("second")
    wait_until(lambda: pending_timers(platform) == 0, timeout=120, what="every timer fired after the restart")
    fired = timer_fired_counts(platform)
    assert {item["id"]: fired[item["id"]] for item in items} == {item["id"]: 3 for item in items}
    deemed = platform.sql("SELECT count(*) FROM accountability_records WHERE kind = 'deemed_assent'")[0][0]
    assert deemed == 3 * len(items)
    assert_consistent(platform, web)


def test_web_node_killed_during_completions(platform: Platform) -> None:
    web = platform.start_web(workers=2, threads=4)
    items = [platform.start_joint_item(web, applicant=f"申请人{i}") for i in range(60)]
    outcomes: dict[str, Any] = {}

    def complete(task: dict[str, Any]) -> None:
        try:
            outcomes[task["id"]] = platform.request(
                web, "POST", f"/api/tasks/{task['id']}/complete", {"data": STEP_DATA["accept"]}, timeout=20
            )[0]
        except (OSError, http.client.HTTPException) as exc:
            # the connection died with the node, before or in the middle of the answer
            outcomes[task["id"]] = repr(exc)

    tasks = [item["tasks"][0] for item in items]
    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(complete, t) for t in tasks]
        wait_until(
            lambda: sum(1 for v in outcomes.values() if v == 200) >= 5, timeout=60, what="some completed"
        )
        platform.kill_web(web)
        for f in futures:
            f.result()
    lost = [t for t in tasks if outcomes[t["id"]] != 200]
    assert lost, "every completion finished before the kill: the test proves nothing"

    web = platform.start_web()
    # the client retries what it got no answer for: done once, or refused clearly as already done
    for task in lost:
        status, body = platform.request(
            web, "POST", f"/api/tasks/{task['id']}/complete", {"data": STEP_DATA["accept"]}
        )
        assert status in (200, 404, 409), (status, body)
    done = platform.sql(
        "SELECT instance_id, count(*) FROM audit_entries WHERE action = 'complete' GROUP BY 1"
    )
    assert sorted(int(n) for _, n in done) == [1] * len(items)  # every acceptance exactly once
    for item in items:
        view = platform.api(web, "GET", f"/instances/{item['id']}")
        assert sorted(t["window"] for t in view["tasks"]) == ["guihua", "guotu", "huanbao"]
    assert_consistent(platform, web)


def test_redis_away_for_a_minute_then_back_empty(platform: Platform) -> None:
    web = platform.start_web()
    items = accepted_items(platform, web, 10)  # 30 review timers, scheduled in Redis
    others = [platform.start_joint_item(web, applicant=f"其他{i}") for i in range(10)]
    platform.start_worker("w1")
    time.sleep(2)

    platform.redis.stop()
    platform.clock.set_offset(PAST_REVIEW_LIMIT)  # the timers fall due while Redis is away
    began = time.monotonic()
    slowest = 0.0
    for item in others:  # clerks keep working meanwhile
        t0 = time.monotonic()
        view = platform.complete_step(web, item["tasks"][0])
        slowest = max(slowest, time.monotonic() - t0)
        assert sorted(t["window"] for t in view["tasks"]) == ["guihua", "guotu", "huanbao"]
    assert slowest < 5, f"a completion took {slowest:.1f} s while Redis was down"
    assert pending_timers(platform) >= 30  # nothing could fire
    time.sleep(max(0.0, REDIS_OUTAGE_SECONDS - (time.monotonic() - began)))

    platform.restart_redis()  # back, and empty: every scheduled job is gone
    wait_until(lambda: all(timer_fired_counts(platform)[i["id"]] == 3 for i in items), timeout=90,
               what="every due timer fired after Redis returned (the sweep)")  # fmt: skip
    fired = timer_fired_counts(platform)
    assert {i["id"]: fired[i["id"]] for i in items} == {i["id"]: 3 for i in items}
    # the completions made during the outage scheduled timers too: their jobs are re-sent by the sweep
    wait_until(lambda: pending_timers(platform) == 0, timeout=90, what="the outage's own timers fired")
    assert all(n == 3 for n in timer_fired_counts(platform).values())
    assert_consistent(platform, web)


def test_postgres_restarted_under_load(platform: Platform) -> None:
    web = platform.start_web(workers=2, threads=4)
    stop = threading.Event()
    statuses: Counter[int] = Counter()
    bodies: list[Any] = []
    started: list[int] = []

    def client(n: int) -> None:
        i = 0
        while not stop.is_set():
            i += 1
            try:
                status, body = platform.request(
                    web, "POST", "/api/instances",
                    {"key": "lianban_chaogao", "data": {"lead_window": "shichang", "applicant": f"{n}-{i}"}},
                    timeout=20,
                )  # fmt: skip
            except OSError:
                status, body = 0, None
            statuses[status] += 1
            if status == 201:
                started.append(int(body["id"]))
            elif status != 0:
                bodies.append(body)
            time.sleep(0.02)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    try:
        wait_until(lambda: len(started) >= 10, timeout=60, what="load running")
        platform.restart_postgres(down_for=3)
        before = len(started)
        wait_until(lambda: len(started) >= before + 10, timeout=60, what="requests succeed after the restart")
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    failures = {s: n for s, n in statuses.items() if s != 201}
    assert failures, "no request failed during the outage: the restart was not under load"
    assert set(failures) <= {503}, f"during the outage requests must fail with 503: {failures} {bodies[:3]}"
    assert all(b["code"] == "database_unavailable" for b in bodies)
    # every answered start is stored whole; no instance exists that nobody was told about half-written
    rows = platform.sql("SELECT id, status, state IS NOT NULL FROM process_instances")
    assert {r[0] for r in rows} >= set(started)
    assert all(r[2] for r in rows)
    assert_consistent(platform, web)


def test_three_workers_on_one_queue_fire_each_timer_once(platform: Platform) -> None:
    web = platform.start_web()
    items = accepted_items(platform, web, 15)  # 45 timers
    for name in ("a", "b", "c"):
        platform.start_worker(name)
    time.sleep(2)
    platform.clock.set_offset(PAST_REVIEW_LIMIT)
    wait_until(lambda: pending_timers(platform) == 0, timeout=120, what="every timer fired")
    fired = timer_fired_counts(platform)
    assert {i["id"]: fired[i["id"]] for i in items} == {i["id"]: 3 for i in items}
    per_timer = platform.sql(
        "SELECT instance_id, task_id FROM audit_entries WHERE action = 'timer_fired'"
        " GROUP BY instance_id, task_id HAVING count(*) > 1"
    )
    assert per_timer == []
    assert_consistent(platform, web)

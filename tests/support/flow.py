"""Scenario helpers: drive items through the runner with the test clock, one transaction per step."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import runner
from runner.models import Timer, TimerStatus

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "bpmn"


def library_windows() -> list[tuple[str, str]]:
    data = json.loads((LIBRARY / "windows.json").read_text(encoding="utf-8"))
    return [(w["code"], w["name"]) for w in data["windows"]]


def deploy_library(services: runner.Services, *names: str) -> dict[str, Any]:
    """Deploy diagrams from bpmn/ (building blocks ``block_*`` first); returns key → definition."""
    files = sorted(names, key=lambda n: (not n.startswith("block_"), n))
    deployed: dict[str, Any] = {}
    with services.transaction() as s:
        runner.upsert_windows(s, library_windows())
    for name in files:
        with services.transaction() as s:
            result = runner.deploy(s, (LIBRARY / name).read_bytes(), name, actor="designer")
            for d in result.definitions:
                deployed[d.key] = d
    return deployed


def start_item(
    services: runner.Services, key: str, data: dict[str, Any] | None = None, actor: str = "clerk"
) -> int:
    with services.transaction() as s:
        return runner.start(s, key, actor=actor, data=data or {}).id


def tasks(services: runner.Services, instance_id: int) -> list[dict[str, Any]]:
    with services.transaction() as s:
        found, _ = runner.list_tasks(s, instance_id=instance_id, limit=500)
        return found


def task(services: runner.Services, instance_id: int, name: str, **match: Any) -> dict[str, Any]:
    """The one open task whose bpmn id (spec name) or display name is ``name`` (and fields in ``match``)."""
    found = [
        t
        for t in tasks(services, instance_id)
        if (t["spec_name"].split(" [")[0] == name or t["name"] == name)
        and all(t.get(k) == v for k, v in match.items())
    ]
    open_now = [(t["spec_name"], t["window"]) for t in tasks(services, instance_id)]
    assert len(found) == 1, f"expected one open task {name} {match}, open: {open_now}"
    return found[0]


def complete(
    services: runner.Services, task_id: str, data: dict[str, Any] | None = None, actor: str = "clerk"
) -> None:
    with services.transaction() as s:
        runner.complete(s, task_id, data or {}, actor=actor)


def send(
    services: runner.Services, name: str, correlation: str, payload: dict[str, Any] | None = None
) -> None:
    with services.transaction() as s:
        runner.deliver_message(s, name, correlation, payload or {}, actor="upper")


def describe(services: runner.Services, instance_id: int) -> dict[str, Any]:
    with services.transaction() as s:
        return runner.describe(s, runner.get_instance(s, instance_id))


def actions(services: runner.Services, instance_id: int) -> list[str]:
    return [a["action"] for a in describe(services, instance_id)["audit"]]


def fire_due(services: runner.Services) -> int:
    """Fire every pending timer that is due on the current clock (repeat until none is left)."""
    fired = 0
    while True:
        with services.transaction() as s:
            now = services.now()
            due = [
                t.id for t in s.query(Timer).filter(Timer.status == TimerStatus.PENDING, Timer.due_at <= now)
            ]
        if not due:
            return fired
        progressed = False
        for timer_id in due:
            with services.transaction() as s:
                outcome = runner.fire_timer(s, timer_id)
            if outcome == "fired":
                fired += 1
                progressed = True
        if not progressed:
            return fired


def advance_to(services: runner.Services, clock: runner.ManualClock, when: datetime) -> int:
    """Move the clock to ``when``, firing every timer on the way at its own due time, in order.

    Timers that stay pending when due (suspended instance, paused clock) are stepped over.
    """
    fired = 0
    held: set[int] = set()
    while True:
        with services.transaction() as s:
            nxt = (
                s.query(Timer)
                .filter(
                    Timer.status == TimerStatus.PENDING, Timer.due_at <= when, Timer.id.notin_(held or {-1})
                )
                .order_by(Timer.due_at, Timer.id)
                .first()
            )
            due_at = nxt.due_at if nxt is not None else None
        if due_at is None:
            break
        if due_at > clock.now():
            clock.set(due_at)
        n = fire_due(services)
        fired += n
        if n == 0:
            with services.transaction() as s:
                now = services.now()
                held |= {
                    t.id
                    for t in s.query(Timer).filter(Timer.status == TimerStatus.PENDING, Timer.due_at <= now)
                }
    if when > clock.now():
        clock.set(when)
    return fired


def local(day: str, hm: str = "09:00") -> datetime:
    """A Shanghai wall-clock time as aware UTC: ``local("2026-10-09", "10:30")``."""
    from zoneinfo import ZoneInfo

    return (
        datetime.fromisoformat(f"{day}T{hm}:00")
        .replace(tzinfo=ZoneInfo("Asia/Shanghai"))
        .astimezone(ZoneInfo("UTC"))
    )

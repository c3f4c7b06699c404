"""Shared helpers for runner tests: deploying fixture diagrams, finding tasks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import runner

DATA = Path(__file__).resolve().parent.parent / "data"
WINDOWS = [
    ("shebao", "社保窗口"),
    ("guotu", "国土窗口"),
    ("huanbao", "环保窗口"),
    ("guihua", "规划窗口"),
    ("supervision", "督查股"),
]


def deploy_file(services: runner.Services, name: str, actor: str = "designer") -> Any:
    with services.transaction() as s:
        runner.upsert_windows(s, WINDOWS)
        result = runner.deploy(s, (DATA / name).read_bytes(), name, actor=actor)
        return result.definitions[0]


def start(services: runner.Services, key: str, **kwargs: Any) -> int:
    with services.transaction() as s:
        return runner.start(s, key, actor=kwargs.pop("actor", "clerk_a"), **kwargs).id


def open_tasks(services: runner.Services, instance_id: int) -> list[dict[str, Any]]:
    with services.transaction() as s:
        tasks, _ = runner.list_tasks(s, instance_id=instance_id)
        return tasks


def the_task(services: runner.Services, instance_id: int, name: str) -> dict[str, Any]:
    matches = [t for t in open_tasks(services, instance_id) if t["spec_name"] == name or t["name"] == name]
    assert len(matches) == 1, f"expected one open task {name}, got {open_tasks(services, instance_id)}"
    return matches[0]


def complete(
    services: runner.Services, task_id: str, data: dict[str, Any] | None = None, actor: str = "clerk_a"
) -> None:
    with services.transaction() as s:
        runner.complete(s, task_id, data or {}, actor=actor)


def describe(services: runner.Services, instance_id: int) -> dict[str, Any]:
    with services.transaction() as s:
        return runner.describe(s, runner.get_instance(s, instance_id))


def actions(services: runner.Services, instance_id: int) -> list[str]:
    return [a["action"] for a in describe(services, instance_id)["audit"]]

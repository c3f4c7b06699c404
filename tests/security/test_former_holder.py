"""After 转办 to another window the clerk who held the task may neither read nor act on it: every route naming
the task (workspace pages and JSON API) refuses them (403, or 404 as if it did not exist), and the task stays as
the transfer left it. (Within the window the old holder is refused too, naming the new holder: a claimed task's
转办, 委派 and 退回 are its holder's, their AB岗 backup's and the window head's; see tests/api/test_operations_api.py
and tests/workspace/test_operations.py.)"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from runner.items.tasks import reassign
from runner.models import OpenTask

from .authz_world import build
from .test_authorization_matrix import fill, outcome, refused, route_table

# routes naming the accepted step (withdraw) or open to the lead window (urge) are not the holder's
NOT_THE_HOLDERS = {"workspace.op_withdraw", "api.withdraw", "workspace.op_urge", "api.urge"}


def task_routes(app: Flask) -> list[tuple[str, str]]:
    """Every (endpoint, method) whose URL names a task."""
    rules = {r.endpoint: r for r in app.url_map.iter_rules()}
    routes = [
        (e, m) for e, m in route_table(app) if "task_id" in rules[e].arguments and e not in NOT_THE_HOLDERS
    ]
    return sorted(routes, key=lambda r: ("send_back" in r[0], r))  # a leaked send-back would end the task


def test_there_are_task_routes(app: Flask) -> None:
    assert len(task_routes(app)) > 10


def test_the_former_holder_is_refused_everywhere(app: Flask, services: Any) -> None:
    world = build(services)
    task_id = world.ids["task_id"]
    with services.transaction() as s:
        reassign(s, task_id, actor="guanli", assignee="bystander", window="minzheng", note="职能调整")
    rules = {r.endpoint: r for r in app.url_map.iter_rules()}
    wrong = []
    for endpoint, method in task_routes(app):
        status, location = outcome(app, "reviewer", method, fill(rules[endpoint], world), world, endpoint)
        if not (refused(status, location) or status == 404):
            wrong.append(f"{method} {endpoint}: {status} {location}")
    assert not wrong, "the clerk who transferred the task away got through:\n" + "\n".join(wrong)
    with services.transaction() as s:
        assignee = s.scalar(select(OpenTask.assignee).where(OpenTask.task_id == task_id))
    assert assignee == "bystander"

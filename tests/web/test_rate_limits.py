"""Rate limits of the public pages are shared by every web node (Redis), and still hold when Redis is down."""

from __future__ import annotations

import time
from typing import Any

from tests.support.flow import deploy_library
from tests.support.services import free_port
from tests.support.web_fixtures import _app

COMPLAINT = {
    "channel": "on_site",
    "complainant": "赵六",
    "contact": "139 1234 5678",
    "content": "审查意见迟迟不出",
}


def look_up(client: Any) -> int:
    return client.post("/progress", data={"receipt": "2026-999999", "phone_suffix": "1234"}).status_code


def test_failed_lookups_are_counted_across_web_nodes(services: Any, redis_url: str) -> None:
    nodes = [_app(services, RATE_LIMIT_STORAGE=redis_url) for _ in range(2)]  # one Redis, two web nodes
    clients = [node.test_client() for node in nodes]
    answers = [look_up(clients[i % 2]) for i in range(10)]  # 5 failures on each node
    assert answers == [404] * 10
    assert look_up(clients[0]) == 429 and look_up(clients[1]) == 429
    # a third node started now sees the same count
    assert look_up(_app(services, RATE_LIMIT_STORAGE=redis_url).test_client()) == 429


def test_complaints_are_counted_across_web_nodes(services: Any, redis_url: str, windows: Any) -> None:
    deploy_library(services, "complaint.bpmn")
    nodes = [_app(services, RATE_LIMIT_STORAGE=redis_url).test_client() for _ in range(2)]
    answers = [nodes[i % 2].post("/complaints/new", data=COMPLAINT).status_code for i in range(6)]
    assert answers == [200] * 5 + [429]


def test_without_redis_each_process_still_limits(services: Any) -> None:
    down = f"redis://127.0.0.1:{free_port()}/0"  # nobody listens there
    client = _app(services, RATE_LIMIT_STORAGE=down).test_client()
    began = time.monotonic()
    answers = [look_up(client) for _ in range(11)]
    assert answers == [404] * 10 + [429]
    assert time.monotonic() - began < 5  # Redis is not asked again on every request

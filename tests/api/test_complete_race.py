"""Two members of one window complete the same open task at the same instant, over HTTP: one 200, the other the
documented 409 — never a 500 (on PostgreSQL the loser used to hit ``uq_open_task`` first)."""

from __future__ import annotations

import functools
import json

import runner
from runner.people import directory
from tests.support.live import Browser, at_once, serve
from webapp import create_app

from ..runner.helpers import DATA, WINDOWS

ROUNDS = 8


def test_the_loser_of_a_completion_race_gets_409(services) -> None:
    with services.transaction() as s:
        runner.upsert_windows(s, WINDOWS)
    with services.transaction() as s:
        for name in ("clerk_a", "clerk_b"):
            directory.create_user(s, name, name, "banjian2026", [("shebao", "clerk")])
        runner.deploy(s, (DATA / "review.bpmn").read_bytes(), "review.bpmn", actor="clerk_a")
    app = create_app({"TESTING": True, "SERVICES": services, "API_TOKENS": "t-a=clerk_a,t-b=clerk_b"})
    outcomes: list[list[tuple[int, str]]] = []
    with serve(app) as base:
        browsers = {token: Browser(base) for token in ("t-a", "t-b")}
        for _ in range(ROUNDS):
            status, text, _ = browsers["t-a"].request(
                "POST", "/api/instances", body={"key": "review", "data": {"applicant": "张三", "complete": True}},
                headers={"Authorization": "Bearer t-a"},
            )  # fmt: skip
            assert status == 201, text
            task_id = json.loads(text)["tasks"][0]["id"]

            def attempt(token: str, task_id: str = task_id) -> tuple[int, str]:
                status, text, _ = browsers[token].request(
                    "POST", f"/api/tasks/{task_id}/complete", body={"data": {"applicant": "张三", "eligible": True}},
                    headers={"Authorization": f"Bearer {token}"},
                )  # fmt: skip
                return status, json.loads(text).get("code", "")

            answers = at_once(*(functools.partial(attempt, token) for token in browsers))
            outcomes.append(sorted(answers))
    assert all([s for s, _ in pair] == [200, 409] for pair in outcomes), outcomes
    assert {code for pair in outcomes for s, code in pair if s == 409} <= {"task_not_ready", "conflict"}
    with services.transaction() as s:
        assert runner.verify_audit(s) == []

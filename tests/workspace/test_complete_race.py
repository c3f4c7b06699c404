"""Two members of one window send the same task's form at the same instant, over HTTP: one completes it (302 to
the inbox), the other gets 409 saying the task was completed — never a 500 (PostgreSQL: ``uq_open_task``)."""

from __future__ import annotations

import functools
import re

import runner
from tests.support.live import Browser, at_once, serve
from tests.support.web_fixtures import DEMO_PASSWORD

from ..runner.helpers import DATA

ROUNDS = 6


def test_the_loser_of_a_form_race_gets_409(app, services, make_user) -> None:
    for name in ("clerk_a", "clerk_b"):
        make_user(name, ("shebao", "clerk"))
    with services.transaction() as s:
        runner.deploy(s, (DATA / "review.bpmn").read_bytes(), "review.bpmn", actor="clerk_a")
    outcomes = []
    with serve(app) as base:
        people = {name: Browser(base) for name in ("clerk_a", "clerk_b")}
        for name, person in people.items():
            status, _, headers = person.request(
                "POST", "/login", form={"username": name, "password": DEMO_PASSWORD}
            )
            assert status == 302 and headers["Location"].endswith("/inbox")
        for _ in range(ROUNDS):
            with services.transaction() as s:
                instance = runner.start(
                    s, "review", actor="clerk_a", data={"applicant": "张三", "complete": True}
                )
                task_id = runner.instance_tasks(s, instance)[0]["id"]
            tokens = {}
            for name, person in people.items():
                status, page, _ = person.request("GET", f"/tasks/{task_id}")
                assert status == 200
                tokens[name] = re.search(r'name="submit_token"[^>]*value="([^"]+)"', page).group(1)

            def send(name: str, task_id: str = task_id, token: str = "") -> tuple[int, str]:
                form = {"submit_token": token, "applicant": "张三", "eligible": "true"}
                status, page, headers = people[name].request("POST", f"/tasks/{task_id}", form=form)
                return status, headers.get("Location", "") if status == 302 else page

            answers = at_once(*(functools.partial(send, name, token=tokens[name]) for name in people))
            outcomes.append(sorted(answers))
    statuses = [[status for status, _ in pair] for pair in outcomes]
    assert all(pair == [302, 409] for pair in statuses), [(s, a[:200]) for p in outcomes for s, a in p]
    for (_, location), (_, page) in outcomes:
        assert location.endswith("/inbox")
        shown = re.findall(r"(?s)class=\"[^\"]*(?:error|alert)[^\"]*\"[^>]*>(.*?)<", page)
        assert "此任务已办理" in page and "办理完成" in page, shown
    with services.transaction() as s:
        assert runner.verify_audit(s) == []


def test_a_submission_that_saw_the_task_claimed_on_its_way_to_completion_is_told_who_completed_it(
    app, services, make_user, signed_in, monkeypatch
) -> None:
    """The loser of a race may see the task claimed by the winner (its claim committed, the completion not
    yet): by the time it answers the task is done, and the answer is that, not "claimed by clerk_a"."""
    import workspace.task_views as task_views

    for name in ("clerk_a", "clerk_b"):
        make_user(name, ("shebao", "clerk"))
    with services.transaction() as s:
        runner.deploy(s, (DATA / "review.bpmn").read_bytes(), "review.bpmn", actor="clerk_a")
        instance = runner.start(s, "review", actor="clerk_a", data={"applicant": "张三", "complete": True})
        task_id = runner.instance_tasks(s, instance)[0]["id"]
    clerk_b = signed_in("clerk_b")
    page = clerk_b.get(f"/tasks/{task_id}").get_data(as_text=True)
    token = re.search(r'name="submit_token"[^>]*value="([^"]+)"', page).group(1)
    with services.transaction() as s:
        runner.claim(s, task_id, actor="clerk_a")
    real_submit = task_views._submit

    def submit_then_the_winner_completes(*args):
        page = real_submit(*args)  # sees clerk_a's claim: 409
        with services.transaction() as s:
            runner.complete(s, task_id, {"applicant": "张三", "eligible": True}, actor="clerk_a")
        return page

    monkeypatch.setattr(task_views, "_submit", submit_then_the_winner_completes)
    response = clerk_b.post(
        f"/tasks/{task_id}", data={"submit_token": token, "applicant": "张三", "eligible": "true"}
    )
    answer = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "此任务已办理" in answer and "clerk_a 办理完成" in answer and "认领" not in answer

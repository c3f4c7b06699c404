"""Step followers (``runner.items.step_followers``): an after-save hook of the engine (``runner.core.hooks``)
hands every saved step of a followed process, with the workflow as stored, to its followers — and nothing of
the processes nobody follows."""

from __future__ import annotations

from typing import Any

import pytest

from runner.core import hooks
from runner.items import step_followers
from runner.items.instances import current_data
from tests.support.flow import complete, deploy_library, start_item, task


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, Any]]:
    """What a follower of 即办件 was handed: (process, its status, the ``approved`` its data holds)."""
    monkeypatch.setattr(step_followers, "_FOLLOWERS", {})
    noted: list[tuple[str, str, Any]] = []

    @step_followers.follows("jiban")
    def note(session: Any, instance: Any, workflow: Any) -> None:
        noted.append((instance.definition_key, str(instance.status), current_data(workflow).get("approved")))

    return noted


def test_the_followers_are_called_through_the_engines_hook() -> None:
    assert step_followers.after_save in hooks.AFTER_SAVE
    assert step_followers.followed("rectification")  # the 差评 rectification's row follows its process


def test_a_follower_sees_each_saved_step_of_its_process_only(services, clock, seen) -> None:
    deploy_library(services, "block_correction.bpmn", "block_refusal.bpmn", "jiban.bpmn", "complaint.bpmn")
    iid = start_item(services, "jiban", {"applicant": "王五", "title": "个体工商户名称预先核准"})
    assert seen == [("jiban", "running", None)]
    complete(services, task(services, iid, "accept")["id"], {"eligible": True, "materials_complete": True})
    complete(services, task(services, iid, "decide")["id"], {"approved": True, "decision_note": "准予核准"})
    assert seen[-1] == ("jiban", "running", True)  # the data of the step just stored
    complete(services, task(services, iid, "notify")["id"], {"delivery": "当场领取"})
    assert seen[-1] == ("jiban", "completed", True)
    assert len(seen) == 4

    start_item(services, "complaint", {"content": "未一次性告知"})
    assert len(seen) == 4  # a process nobody follows is not handed over

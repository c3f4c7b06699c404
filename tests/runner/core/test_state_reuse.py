"""The stored engine state reuses the dicts of finished tasks and of tasks not reached yet
(``runner.core.spiff.serializer.ReusingTaskConverter``): what it writes must always equal what SpiffWorkflow's
own converter makes of the same workflow object, also for the long-lived objects of the workflow cache and after
operations that edit finished tasks in place."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

import runner
from runner.core.spiff.serializer import build_serializer, serializer
from runner.core.state import unpack
from runner.models import ProcessInstance
from tests.bpmn.test_lianban_chaogao import accept, review, start


def stored_and_cached(services: Any, iid: int) -> tuple[dict[str, Any], Any]:
    """The row's stored state and the workflow object the process keeps for the row's version."""
    with services.reading() as s:
        row = s.scalars(select(ProcessInstance).where(ProcessInstance.id == iid)).one()
        stored, version = unpack(row.state), row.lock_version
    workflow = services.workflows.take(iid, version)
    assert workflow is not None, "the step's workflow is kept for the row's version"
    services.workflows.keep(iid, version, workflow)
    return stored, workflow


def assert_state_exact(services: Any, iid: int) -> None:
    stored, workflow = stored_and_cached(services, iid)
    assert stored == build_serializer(reuse_finished_tasks=False).to_dict(workflow)


def test_a_finished_task_is_serialized_once_until_it_changes(services, clock):
    iid = start(services)
    accept(services, iid)
    _, workflow = stored_and_cached(services, iid)
    convert = serializer().registry.convert
    finished = next(
        t for t in workflow.get_tasks() if t.has_state(TaskState.COMPLETED) and t.parent is not None
    )
    first = convert(finished)
    assert convert(finished) is first  # reused
    finished.internal_data["note"] = "edited in place"
    edited = convert(finished)
    assert edited is not first and edited["internal_data"]["note"] == "edited in place"
    finished._children.append(finished._children[0])
    assert convert(finished)["children"] == [str(c) for c in finished._children]
    ready = next(t for t in workflow.get_tasks() if t.has_state(TaskState.READY))
    assert convert(ready) is not convert(ready)  # a task at work is serialized anew every time


def test_a_task_not_reached_is_serialized_once_until_its_parent_gains_a_key(services, clock):
    """A predicted task has no data of its own: its delta lists its parent's keys as deleted. Its dict is reused
    while those keys stay, and made anew (as SpiffWorkflow makes it) when the parent's data gains one."""
    iid = start(services)
    _, workflow = stored_and_cached(services, iid)
    convert = serializer().registry.convert
    own = build_serializer(reuse_finished_tasks=False).registry.convert
    predicted = next(
        t for t in workflow.get_tasks(state=TaskState.PREDICTED_MASK) if not t.data and t.parent is not None
    )
    first = convert(predicted)
    assert convert(predicted) is first and first == own(predicted)
    predicted.parent.data["新字段"] = "值"
    again = convert(predicted)
    assert again is not first and again == own(predicted)
    assert "新字段" in again["delta"]["deletions"]
    predicted.data["自己的"] = 1  # a task given data of its own is serialized anew every time
    assert convert(predicted) is not convert(predicted)


def test_every_step_stores_what_spiffworkflow_would(services, clock):
    iid = start(services)
    assert_state_exact(services, iid)
    accept(services, iid)
    assert_state_exact(services, iid)
    for window in ("guotu", "huanbao"):
        review(services, iid, window, result="agree")
        assert_state_exact(services, iid)


def test_renumbering_finished_reviews_by_remove_reviewer_is_stored(services, clock):
    """减签 of the first window shifts the positions the answered (finished) reviews remember: their dicts
    must not be reused as they were."""
    iid = start(services)
    accept(services, iid)
    review(services, iid, "huanbao", result="agree")
    review(services, iid, "guihua", result="agree")
    assert_state_exact(services, iid)  # the finished reviews' dicts are now kept on their tasks
    with services.transaction() as s:
        runner.remove_reviewer(s, iid, "guotu", actor="lead_clerk", reason="项目不涉及该窗口职责")
    assert_state_exact(services, iid)
    stored, _ = stored_and_cached(services, iid)
    positions = sorted(
        t["internal_data"]["key_or_index"]
        for sub in stored["subprocesses"].values()
        for t in sub["tasks"].values()
        if "key_or_index" in t["internal_data"]
    ) or sorted(
        t["internal_data"]["key_or_index"]
        for t in stored["tasks"].values()
        if "key_or_index" in t["internal_data"]
    )
    assert positions == [0, 1]

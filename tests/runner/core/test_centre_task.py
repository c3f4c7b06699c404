"""The tasks of the platform's workflows are ``CentreTask`` (``runner.core.spiff.workflow``): new, grown by steps,
in subprocesses and restored from a row; they change state as SpiffWorkflow's do, keep their workflow's READY and
WAITING tasks (``in_state``) as those are, and log each change when ``spiff.task`` writes it."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from runner.core.spiff.workflow import LOOKED_UP, CentreTask, CentreWorkflow
from runner.core.state import dump_workflow, load_workflow
from tests.support.joint import load_joint


@pytest.fixture
def joint() -> Any:
    return load_joint()


def classes(workflow: Any) -> set[type]:
    return {
        type(task) for each in [workflow, *workflow.subprocesses.values()] for task in each.tasks.values()
    }


def assert_in_state_as_the_tasks_are(workflow: Any) -> None:
    for each in [workflow, *workflow.subprocesses.values()]:
        for state in LOOKED_UP:
            assert each.in_state[state] == {i: t for i, t in each.tasks.items() if t._state == state}, state


def step(joint: Any, workflow: Any) -> None:
    task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
    task.data.update(joint.step_data[task.task_spec.bpmn_id])
    task.run()
    workflow.do_engine_steps()


def restored(joint: Any, workflow: Any) -> Any:
    restored = load_workflow(*dump_workflow(workflow), joint.spec, joint.subprocess_specs)
    restored.script_engine = joint.engine
    return restored


def test_every_task_of_an_item_is_a_centre_task_new_stepped_and_restored(joint: Any) -> None:
    workflow = joint.started(CentreWorkflow)
    assert classes(workflow) == {CentreTask}
    assert_in_state_as_the_tasks_are(workflow)
    while not workflow.is_completed():
        step(joint, workflow)
        assert workflow.subprocesses, "the 联办件 runs its blocks as subprocesses"
        assert classes(workflow) == {CentreTask}
        assert_in_state_as_the_tasks_are(workflow)
        workflow = restored(joint, workflow)
        assert classes(workflow) == {CentreTask}
        assert_in_state_as_the_tasks_are(workflow)


def test_in_state_follows_a_reset_that_removes_tasks_and_subprocesses(joint: Any) -> None:
    workflow = joint.started(CentreWorkflow)
    first = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
    for _ in range(3):
        step(joint, workflow)
    assert workflow.subprocesses
    removed = workflow.reset_from_task_id(first.id)
    assert removed and not workflow.subprocesses
    assert_in_state_as_the_tasks_are(workflow)
    assert workflow.get_tasks(state=TaskState.READY, manual=True) == [first]
    while not workflow.is_completed():
        step(joint, workflow)
        assert_in_state_as_the_tasks_are(workflow)


def test_the_state_stored_is_the_same_as_of_spiffworkflows_tasks(joint: Any) -> None:
    """Stored under SpiffWorkflow's name: a state written before restores, and reads back, the same."""
    plain, centre = joint.started(BpmnWorkflow), joint.started(CentreWorkflow)
    assert classes(plain) == {Task}
    spiff_state = restored(joint, plain)  # restored as the platform's
    assert classes(spiff_state) == {CentreTask}
    assert [(t.task_spec.name, t.state) for t in spiff_state.get_tasks()] == [
        (t.task_spec.name, t.state) for t in plain.get_tasks()
    ]
    assert len(dump_workflow(centre)[0]) == pytest.approx(len(dump_workflow(plain)[0]), rel=0.05)


def test_a_state_change_is_logged_when_the_logger_writes_it(
    joint: Any, caplog: pytest.LogCaptureFixture
) -> None:
    workflow = joint.started(CentreWorkflow)
    task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
    task.data.update(joint.step_data[task.task_spec.bpmn_id])
    before = task.last_state_change
    with caplog.at_level(logging.WARNING, logger="spiff.task"):
        task.run()
    assert task.state == TaskState.COMPLETED and task.last_state_change >= before
    assert not [r for r in caplog.records if r.name == "spiff.task"]
    following = workflow.get_tasks(state=TaskState.READY)[0]
    with caplog.at_level(logging.INFO, logger="spiff.task"):
        following.run()
    changes = [
        r for r in caplog.records if r.name == "spiff.task" and r.getMessage().startswith("State changed")
    ]
    assert changes and {r.task_spec for r in changes} >= {following.task_spec.name}
    assert logging.getLogger("spiff.task").level == logging.WARNING  # as the platform leaves it


def test_a_state_that_goes_back_is_refused_as_by_spiffworkflow(joint: Any) -> None:
    task = joint.started(CentreWorkflow).get_tasks(state=TaskState.READY, manual=True)[0]
    with pytest.raises(Exception, match="state went from READY to FUTURE"):
        task.state = TaskState.FUTURE


def test_a_ready_task_removed_leaves_in_state(joint: Any) -> None:
    """As SpiffWorkflow drops the unfinished children of a task it resets or re-predicts."""
    workflow = joint.started(CentreWorkflow)
    ready = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
    assert ready.workflow is workflow and ready.id in workflow.in_state[TaskState.READY]
    workflow._remove_task(ready.id)
    assert ready.id not in workflow.tasks
    assert_in_state_as_the_tasks_are(workflow)

"""Tasks of one state found from the task dicts (``runner.core.spiff.workflow``): the walk's answer, in the walk's
order, for items with parallel tasks and subprocesses, restored from their rows as the platform's classes; and
the walk where the dicts are not as the tree would be."""

from __future__ import annotations

from typing import Any

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from SpiffWorkflow.workflow import Workflow

from runner.core.spiff import workflow as lookup
from runner.core.spiff.serializer import serializer
from runner.core.spiff.workflow import CentreSubWorkflow, CentreWorkflow, holds
from runner.core.state import dump_workflow, load_workflow
from tests.support.joint import load_joint

QUESTIONS = (
    {"state": TaskState.READY},
    {"state": TaskState.READY, "manual": True},
    {"state": TaskState.READY, "manual": False},
    {"state": TaskState.WAITING},
)


@pytest.fixture
def joint() -> Any:
    return load_joint()


def walked(workflow: Any, **question: Any) -> list[Task]:
    return Workflow.get_tasks(workflow, **question)  # SpiffWorkflow's own walk of the tree


def looked_up(workflow: Any, **question: Any) -> list[Task]:
    found = workflow._looked_up(None, question)
    assert found is not None, f"{question} is answered from the dicts"
    return found


def assert_same_answers(workflow: Any) -> None:
    for asked in [workflow, *workflow.subprocesses.values()]:
        for question in QUESTIONS:
            assert [t.id for t in looked_up(asked, **question)] == [t.id for t in walked(asked, **question)]


def centre(joint: Any) -> CentreWorkflow:
    workflow: CentreWorkflow = joint.started(CentreWorkflow)
    return workflow


def step(joint: Any, workflow: Any, task: Task) -> None:
    task.data.update(joint.step_data[task.task_spec.bpmn_id])
    task.run()
    workflow.do_engine_steps()


def test_every_step_of_a_joint_item_gets_the_walks_answer_in_its_order(joint):
    workflow = centre(joint)
    seen_parallel = False
    while not workflow.completed:
        assert_same_answers(workflow)
        ready = workflow.get_tasks(state=TaskState.READY, manual=True)
        seen_parallel = seen_parallel or len(ready) > 1
        step(joint, workflow, ready[-1])  # the last of several: the others stay ready in their order
    assert seen_parallel, "the joint review has several windows' tasks ready at once"
    assert workflow.subprocesses, "and runs in subprocesses"
    assert all(isinstance(sp, CentreSubWorkflow) for sp in workflow.subprocesses.values())


def test_a_restored_item_is_the_platforms_workflow_and_is_stored_as_spiffworkflows(joint):
    workflow = centre(joint)
    step(joint, workflow, workflow.get_tasks(state=TaskState.READY, manual=True)[0])
    plain = serializer().to_dict(workflow)
    assert plain["typename"] == BpmnWorkflow.__name__
    assert {sp["typename"] for sp in plain["subprocesses"].values()} == {"BpmnSubWorkflow"}
    restored = load_workflow(*dump_workflow(workflow), joint.spec, joint.subprocess_specs)
    assert type(restored) is CentreWorkflow
    assert {type(sp) for sp in restored.subprocesses.values()} == {CentreSubWorkflow}
    restored.script_engine = joint.engine
    assert_same_answers(restored)
    while not restored.completed:
        step(joint, restored, restored.get_tasks(state=TaskState.READY, manual=True)[0])
        assert_same_answers(restored)


def test_dicts_unlike_the_tree_are_answered_by_the_walk(joint):
    workflow = centre(joint)
    ready = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
    parent = ready.parent
    del workflow.tasks[parent.id]  # the ready task's parent is missing from the dict
    assert workflow._looked_up(None, {"state": TaskState.READY}) is None
    workflow.tasks[parent.id] = parent
    parent._children.remove(ready.id)  # the parent no longer names it: the walk does not reach it
    assert workflow._looked_up(None, {"state": TaskState.READY}) is None
    assert ready not in workflow.get_tasks(state=TaskState.READY)


def test_a_task_below_a_parent_the_walk_does_not_descend_from_is_not_found(joint):
    workflow = centre(joint)
    ready = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
    ready.parent._state = TaskState.MAYBE
    assert looked_up(workflow, state=TaskState.READY, manual=True) == []
    assert walked(workflow, state=TaskState.READY, manual=True) == []


@pytest.mark.parametrize(
    "question",
    [{"state": TaskState.COMPLETED}, {"state": TaskState.READY, "spec_name": "accept"}, {}],
    ids=["another state", "another filter", "every task"],
)
def test_other_questions_are_walked(joint, question):
    assert centre(joint)._looked_up(None, question) is None


def test_the_suites_check_notices_a_different_answer(joint, monkeypatch):
    workflow = centre(joint)
    step(joint, workflow, workflow.get_tasks(state=TaskState.READY, manual=True)[0])
    right = workflow._looked_up

    monkeypatch.setattr(workflow, "_looked_up", lambda *args: list(reversed(right(*args) or [])))
    answer = workflow.get_tasks(state=TaskState.READY, manual=True)
    assert [t.id for t in answer] == [t.id for t in walked(workflow, state=TaskState.READY, manual=True)]
    assert lookup.MISMATCHES, "the reversed order of the parallel reviews is noticed"
    lookup.MISMATCHES.clear()


def test_a_task_in_error_is_found_in_a_subprocess_too(joint):
    workflow = centre(joint)
    step(joint, workflow, workflow.get_tasks(state=TaskState.READY, manual=True)[0])
    assert not holds(workflow, TaskState.ERROR)
    review = next(t for sp in workflow.subprocesses.values() for t in sp.tasks.values() if t.task_spec.manual)
    review._state = TaskState.ERROR
    assert holds(workflow, TaskState.ERROR)
    assert any(t.state == TaskState.ERROR for t in walked(workflow))


def shape(workflow: Any) -> list[tuple[str, str]]:
    return [(t.task_spec.name, TaskState.get_name(t.state)) for t in walked(workflow)]


def test_an_item_steps_as_spiffworkflows_own_workflow_does(joint):
    plain, ours = joint.started(), centre(joint)
    while not plain.completed:
        assert shape(ours) == shape(plain)
        chosen = walked(plain, state=TaskState.READY, manual=True)[-1].task_spec.name
        for workflow, ready in (
            (plain, walked(plain, state=TaskState.READY, manual=True)),
            (ours, ours.get_tasks(state=TaskState.READY, manual=True)),
        ):
            step(joint, workflow, next(t for t in ready if t.task_spec.name == chosen))
    assert ours.completed and shape(ours) == shape(plain)


def test_the_waiting_tasks_are_updated_only_when_there_are_some(joint, monkeypatch):
    updated: list[bool] = []
    real = Workflow.update_waiting_tasks

    def update(self: Any) -> None:
        updated.append(any(t.state == TaskState.WAITING for t in self.tasks.values()))
        real(self)

    monkeypatch.setattr(Workflow, "update_waiting_tasks", update)
    workflow = centre(joint)
    while not workflow.completed:
        step(joint, workflow, workflow.get_tasks(state=TaskState.READY, manual=True)[0])
    assert updated and all(updated), "SpiffWorkflow's walk runs only for a workflow with a waiting task"

"""The platform's workflow classes: SpiffWorkflow's own, which find the tasks of one state without walking the tree.

``do_engine_steps`` asks each active subprocess and then the whole workflow for its READY tasks, again after
every round of engine tasks it runs; SpiffWorkflow answers each question by walking the whole task tree (and
every subprocess's) with its task iterator. A step of a 联办件 asks ≈ 14 times: about a third of the step.

Every workflow also holds its tasks in a flat dict (``workflow.tasks``, one per subprocess), and the platform's
workflows keep, beside it, their READY and their WAITING tasks (``in_state``: each ``CentreTask`` moves itself
between them as its state changes; a task removed leaves them). ``TaskLookup`` answers
``get_tasks(state=READY or WAITING[, manual=…])`` from those instead, with the walk's exact answer:

- a task counts only if the walk would reach it: each ancestor's state lets the iterator descend (as
  ``BpmnTaskIterator._next`` decides), through subprocesses up to the workflow asked;
- the tasks come in the walk's order (depth first; a subprocess's tree before its task's children), sorted by
  their paths of child positions from the root.

After each task that completes, SpiffWorkflow also walks the task's workflow to update its WAITING tasks; most
of the time it has none, and ``TaskLookup`` skips the walk then.

Any other question, or anything unexpected on the way up (a parent missing from its dict, a tree deeper than
the iterator's limit), is answered by the walk. ``VERIFY`` (set by the test suite) answers every question both
ways and keeps the differences in ``MISMATCHES``.

The tasks of these workflows are ``CentreTask``: SpiffWorkflow's, which keep ``in_state`` and build the log line
of a state change only when their logger writes it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from SpiffWorkflow.workflow import Workflow

from runner.core.spiff.branches import carry_branch_writes, interrupt_enclosing
from runner.core.spiff.scoped_throws import arm_running_event_subprocesses

# the states answered from the dicts; the walk descends below a task of at least FUTURE for either
LOOKED_UP = (TaskState.READY, TaskState.WAITING)
DESCENDS_FROM = TaskState.FUTURE
DEEPEST = 900  # paths longer than this go to the walk (its iterator stops descending at depth 1000)
SUBPROCESS = -1  # a subprocess's root, visited before its task's children

VERIFY = False
MISMATCHES: list[str] = []

# While their own level is below INFO, SpiffWorkflow's loggers add every task id of a workflow (a walk of its
# tree) and each task's data to the extras of every log line, built whether the line is logged or not. The
# platform logs SpiffWorkflow's warnings and errors (the worker sets the same for ``spiff``).
for _name in ("spiff.workflow", "spiff.task"):
    logging.getLogger(_name).setLevel(logging.WARNING)
_TASK_LOG = logging.getLogger("spiff.task")  # the logger of SpiffWorkflow's tasks


class CentreTask(Task):
    """SpiffWorkflow's task, which keeps its workflow's ``in_state`` as its state changes, and builds the log line
    of a change only when ``spiff.task`` writes it. SpiffWorkflow builds the line and its extras (the names of the
    spec, the state and the parent) for every change, about 24 a step of the 联办件, logged or not; the platform
    logs SpiffWorkflow's warnings only."""

    def __init__(self, workflow: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(workflow, *args, **kwargs)
        if self._state in LOOKED_UP:
            workflow.in_state[self._state][self.id] = self

    def _set_state(self, value: int) -> None:
        before = self._state
        self._change_state(value)
        if value != before:
            in_state = self.workflow.in_state
            if before in LOOKED_UP:
                in_state[before].pop(self.id, None)
            if value in LOOKED_UP:
                in_state[value][self.id] = self

    def _change_state(self, value: int) -> None:
        """SpiffWorkflow's ``_set_state``, its log line built only when it is written."""
        changes = value != self._state
        if _TASK_LOG.isEnabledFor(logging.INFO if changes else logging.DEBUG):
            super()._set_state(value)
        elif changes:
            self.last_state_change = time.time()
            self._state = value

    def complete(self) -> None:
        """SpiffWorkflow's; what a task on a non-interrupting boundary branch wrote also reaches the main path
        (``branches``); an event subprocess's interrupting start cancels the rest of its enclosing process."""
        carry_branch_writes(self)
        interrupt_enclosing(self)
        super().complete()

    def _add_child(self, task_spec: Any, state: int = TaskState.MAYBE) -> Task:
        """SpiffWorkflow's: a new child task (as a ``CentreTask``) of ``task_spec`` in ``state``."""
        if self.has_state(TaskState.PREDICTED_MASK) and state & TaskState.PREDICTED_MASK == 0:
            raise WorkflowException(
                "Attempt to add non-predicted child to predicted task", task_spec=self.task_spec
            )
        task = CentreTask(self.workflow, task_spec, self, state=state)
        task.thread_id = self.thread_id
        if state == TaskState.READY:
            task._ready()
        return task


class _Unexpected(Exception):
    """The dicts do not look as the walk's tree would: answer by walking."""


def _path(task: Task, asked: Any, top: BpmnWorkflow) -> tuple[int, ...] | None:
    """``task``'s child positions from the root of ``asked``, or None when the walk would not reach it."""
    steps: list[int] = []
    node, workflow = task, task.workflow
    while True:
        if node._parent is None:  # the root of its workflow
            if workflow is asked:
                return tuple(reversed(steps))
            if workflow.parent_task_id is None:
                return None  # above the workflow asked: the walk never gets here
            parent = top.get_task_from_id(workflow.parent_task_id)
            if parent is None:
                raise _Unexpected
            if parent._state >= TaskState.FINISHED_MASK:  # the iterator's test, as written there
                return None
            steps.append(SUBPROCESS)
        else:
            parent = workflow.tasks.get(node._parent)
            if parent is None:
                raise _Unexpected
            try:
                position = parent._children.index(node.id)
            except ValueError:
                raise _Unexpected from None
            if parent._state < DESCENDS_FROM and parent.id not in top.subprocesses:
                return None
            steps.append(position)
        if len(steps) > DEEPEST:
            raise _Unexpected
        node, workflow = parent, parent.workflow


def _workflows(top: BpmnWorkflow) -> Iterator[Any]:
    yield top
    yield from top.subprocesses.values()


def _within(asked: Any, top: BpmnWorkflow) -> list[Any]:
    """``asked`` and the subprocesses below it: the workflows whose tasks the walk from ``asked`` can reach."""
    if asked is top:
        return list(_workflows(top))
    within = [asked]
    grown = True
    while grown:
        grown = False
        for sub in top.subprocesses.values():
            if sub not in within and any(sub.parent_task_id in each.tasks for each in within):
                within.append(sub)
                grown = True
    return within


def holds(workflow: BpmnWorkflow, state: TaskState) -> bool:
    """Whether any task of ``workflow`` (a top workflow) or of its subprocesses is in ``state``: the tasks of
    the dicts (those SpiffWorkflow's walk of every task visits), or their ``in_state`` for a state looked up."""
    if state in LOOKED_UP:
        found = any(each.in_state[state] for each in _workflows(workflow))
    else:
        found = any(task._state == state for each in _workflows(workflow) for task in each.tasks.values())
    if VERIFY and found != any(task._state == state for task in Workflow.get_tasks(workflow)):
        MISMATCHES.append(f"holds({state}): {found} from the dicts")
    return found


class TaskLookup:
    """``get_tasks`` answered from the workflows' task dicts where it can be (see the module)."""

    tasks: dict[Any, Task]
    top_workflow: BpmnWorkflow
    spec: Any
    task_tree: Task

    def __init__(self, *args: Any, deserializing: bool = False, **kwargs: Any) -> None:
        """SpiffWorkflow's, with a ``CentreTask`` at the root of a new workflow (its tasks grow from there)."""
        # this workflow's tasks in each state looked up, by id (kept by ``CentreTask`` and ``_remove_task``)
        self.in_state: dict[int, dict[Any, Task]] = {state: {} for state in LOOKED_UP}
        super().__init__(*args, deserializing=True, **kwargs)  # type: ignore[call-arg]
        if not deserializing:  # as ``Workflow.__init__`` makes the root
            self.task_tree = CentreTask(self, self.spec.start, state=TaskState.FUTURE)
            self.task_tree.task_spec._predict(self.task_tree, mask=TaskState.NOT_FINISHED_MASK)
            self.task_tree._ready()

    def get_tasks(self, first_task: Task | None = None, **kwargs: Any) -> list[Task]:
        walked = super().get_tasks  # type: ignore[misc]
        found = self._looked_up(first_task, kwargs)
        if found is None:
            return walked(first_task, **kwargs)  # type: ignore[no-any-return]
        if VERIFY:
            expected: list[Task] = walked(first_task, **kwargs)
            if [t.id for t in found] != [t.id for t in expected]:
                MISMATCHES.append(f"{kwargs}: {[str(t) for t in found]} != {[str(t) for t in expected]}")
            return expected
        return found

    def update_waiting_tasks(self) -> None:
        """SpiffWorkflow's, which walks this workflow's tree for its WAITING tasks after every task that completes
        in it: skipped when it has none (the walk would update nothing, and changes nothing on the way)."""
        waiting = bool(self.in_state[TaskState.WAITING])
        if VERIFY and waiting != any(task._state == TaskState.WAITING for task in self.tasks.values()):
            MISMATCHES.append(f"update_waiting_tasks: {waiting} from in_state")
        if waiting:
            super().update_waiting_tasks()  # type: ignore[misc]

    def _remove_task(self, task_id: Any) -> None:
        """SpiffWorkflow's (the task and its descendants leave the workflow), and out of ``in_state``; the
        subprocess a removed task ran is cancelled and goes too (SpiffWorkflow left it behind, its tasks open:
        the running instances of a multi-instance subprocess a boundary event cancelled)."""
        _drop_subprocess(self.top_workflow, task_id)
        super()._remove_task(task_id)  # type: ignore[misc]
        for tasks in self.in_state.values():
            tasks.pop(task_id, None)

    def _looked_up(self, first_task: Task | None, kwargs: dict[str, Any]) -> list[Task] | None:
        state = kwargs.get("state")
        if first_task is not None or state not in LOOKED_UP or not kwargs.keys() <= {"state", "manual"}:
            return None
        manual = kwargs.get("manual")
        top = self.top_workflow
        found: list[tuple[tuple[int, ...], Task]] = []
        try:
            for workflow in _within(self, top):
                for task in workflow.in_state[state].values():
                    if manual is None or task.task_spec.manual == manual:
                        path = _path(task, self, top)
                        if path is not None:
                            found.append((path, task))
        except _Unexpected:
            return None
        if len(found) > 1:
            found.sort(key=lambda pair: pair[0])
        return [task for _, task in found]


def _drop_subprocess(top: Any, task_id: Any) -> None:
    """Cancel the subprocess the task ``task_id`` runs, if any, and remove it with those nested in it."""
    subprocess = top.subprocesses.get(task_id)
    if subprocess is None:
        return
    if not subprocess.completed:
        subprocess.cancel()
    for nested in [w for w in top.subprocesses.values() if w.parent_workflow is subprocess]:
        _drop_subprocess(top, nested.parent_task_id)
    top.subprocesses.pop(task_id, None)


class CentreSubWorkflow(TaskLookup, BpmnSubWorkflow):  # type: ignore[misc]
    """A subprocess of a ``CentreWorkflow``."""


class CentreWorkflow(TaskLookup, BpmnWorkflow):  # type: ignore[misc]
    """The workflow of an item: SpiffWorkflow's, with ``TaskLookup`` in it and its subprocesses."""

    def create_subprocess(self, my_task: Task, spec_name: str) -> CentreSubWorkflow:
        subprocess = CentreSubWorkflow(
            self.subprocess_specs[spec_name], parent_task_id=my_task.id, top_workflow=self
        )
        self.subprocesses[my_task.id] = subprocess
        return subprocess

    def catch(self, event: Any) -> None:
        """SpiffWorkflow's catch; a message or signal also starts the event subprocesses of the running
        subprocesses that it triggers (``scoped_throws.arm_running_event_subprocesses``)."""
        if event.target is None:
            arm_running_event_subprocesses(self, event)
        super().catch(event)

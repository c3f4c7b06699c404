"""What a non-interrupting boundary branch or an event subprocess writes reaches the main path: the platform's rule.

SpiffWorkflow's boundary join goes on with the attached activity's data only, so whatever the branch of a
non-interrupting boundary event (message, timer, signal, …) or an event subprocess set vanished when it ended:
a message's payload, a 催办 clerk's opinion, a script task's result. In Camunda every variable is
process-scoped, so the platform carries them over: when a task on such a branch completes (the boundary event
itself included, with a message's payload; an event subprocess as a whole, when it ends), each name it set or
changed (against the data it started from) is copied into the open tasks of the main path (the activity, its
subprocesses, or what follows it, up to a waiting end), so the activity's form, a gateway after it and the
finished item's data all have it. A name both paths write: the later write wins (the branch's value when its
task completes; the activity's own value when it completes after). Names are never removed. An instance of a
multi-instance (or loop) on the branch carries nothing itself (its input item is its own): the activity carries
what it merged from them when it completes. Ordinary parallel gateways and their joins are untouched: only
tasks below a non-interrupting boundary event, and event subprocesses, carry anything.
"""

from __future__ import annotations

import copy
from typing import Any

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit, BpmnStartTask
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.util.task import TaskState

LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
_HAS_BRANCHES = "_centre_has_noninterrupting"  # cached on a workflow spec
INTERRUPTING = "centre_interrupting_start"  # in the extensions of an event subprocess's interrupting start


def interrupt_enclosing(task: Any) -> None:
    """If ``task`` (completing) is the interrupting start of an event subprocess, cancel the rest of the
    enclosing (sub)process: its main path and its other event subprocesses, with their open tasks, timers and
    subscriptions. The event subprocess runs on alone and its end ends the enclosing process (BPMN)."""
    if not (getattr(task.task_spec, "extensions", None) or {}).get(INTERRUPTING):
        return
    parent_id = task.workflow.parent_task_id
    if parent_id is None:
        return
    holder = task.workflow.top_workflow.get_task_from_id(parent_id)
    if (
        holder is None
        or holder.parent is None
        or not _event_subprocess(holder.task_spec, holder.parent.task_spec)
    ):
        return
    for other in list(holder.parent.children):
        if other is not holder:
            other.cancel()
    if not holder.children:  # one a message or signal started: SpiffWorkflow adds it without what follows it
        holder.task_spec._predict(holder, mask=TaskState.PREDICTED_MASK | TaskState.FUTURE | holder.state)


def carry_branch_writes(task: Any) -> None:
    """If ``task`` (completing) is on a non-interrupting boundary branch, copy what it wrote to the main path."""
    if not _has_branches(task.workflow.spec):
        return
    parent = task.parent
    if _an_instance(task):
        return  # an instance of a loop or multi-instance: its activity carries what it merged, when it completes
    mains = main_paths_of(task)
    if not mains:
        return
    before = parent.data if parent is not None else {}
    written = {k: v for k, v in task.data.items() if k not in before or before[k] != v}
    for main in mains if written else []:
        update_live(task.workflow.top_workflow, main, written)


def _an_instance(task: Any) -> bool:
    """Whether ``task`` is an instance of a loop or multi-instance activity (a child of the activity's task of
    its instance spec; what follows the activity hangs from that task too, and is no instance)."""
    parent = task.parent
    return (
        parent is not None
        and isinstance(parent.task_spec, LoopTask)
        and getattr(parent.task_spec, "task_spec", None) == task.task_spec.name
    )


def _has_branches(spec: Any) -> bool:
    """Whether ``spec`` has a non-interrupting boundary event or an event subprocess (cached: most diagrams
    have neither)."""
    found = getattr(spec, _HAS_BRANCHES, None)
    if found is None:
        start = spec.start
        found = (
            bool(getattr(start, "trigger_specs", None))
            or any(isinstance(each, SubWorkflowTask) for each in start.outputs)
            or any(
                isinstance(each, BoundaryEvent) and not each.cancel_activity
                for each in spec.task_specs.values()
            )
        )
        setattr(spec, _HAS_BRANCHES, found)
    return bool(found)


def main_paths_of(task: Any) -> list[Any]:
    """The main path(s) beside the nearest non-interrupting boundary branch or event subprocess ``task`` is on
    (or is): the boundary events' activity, or the other paths of the workflow beside an event subprocess."""
    node = task
    while node is not None:
        spec, parent = node.task_spec, node.parent
        if parent is None:
            return []
        if isinstance(spec, BoundaryEvent) and isinstance(parent.task_spec, BoundaryEventSplit):
            if spec.cancel_activity:
                return []
            return [t for t in parent.children if not isinstance(t.task_spec, BoundaryEvent)]
        if _event_subprocess(spec, parent.task_spec):
            return [t for t in parent.children if t is not node]
        node = parent
    return []


def _event_subprocess(spec: Any, before: Any) -> bool:
    """Whether ``spec`` (following ``before``) is an event subprocess: a subprocess hung from the workflow's
    start (SpiffWorkflow connects it there, beside the start events, whether a timer or a message starts it)."""
    return isinstance(spec, SubWorkflowTask) and isinstance(before, BpmnStartTask)


def update_live(workflow: Any, root: Any, written: dict[str, Any]) -> None:
    """Put ``written`` into the data of the open tasks from ``root`` down, also inside their subprocesses."""
    for task in root:
        if not task.has_state(LIVE):
            continue
        task.data.update(copy.deepcopy(written))
        subprocess = workflow.subprocesses.get(task.id)
        if subprocess is not None:
            update_live(workflow, subprocess.task_tree, written)

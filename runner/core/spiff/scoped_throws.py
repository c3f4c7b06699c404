"""Errors and escalations reach the nearest catch, scope by scope, as BPMN says: the platform's rule.

SpiffWorkflow's own error and escalation throws go to every catch in the item at once (the event has no
target): an error thrown in a call activity's called process started the caller's event subprocess beside the
boundary event on the call activity (the interrupting one cancelling the boundary's path), and a boundary event
on another activity caught it too. Here a throw looks for its catch from the scope it is thrown in outwards:
the event subprocesses of that (sub)process first, then the boundary events on the activity holding it (an
embedded subprocess or a call activity), then the scope around that activity, up to the process. The first
scope with a catch takes the event; nothing further out hears it. An event subprocess does not catch what is
thrown inside itself (that goes on to the scope around its (sub)process).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit, BpmnStartTask
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.spiff.specs.event_definitions import ErrorEventDefinition, EscalationEventDefinition
from SpiffWorkflow.util.task import TaskState


class _ScopedThrow:
    """Throws to the nearest catch (``throw_scoped``) instead of to every catch of the item."""

    expression: str | None

    def throw(self, my_task: Any) -> None:
        payload = None
        if self.expression is not None:
            payload = my_task.workflow.script_engine.evaluate(my_task, self.expression)
        throw_scoped(my_task, BpmnEvent(self, payload=payload))


class ScopedErrorEventDefinition(_ScopedThrow, ErrorEventDefinition):
    """An error event definition whose throw reaches the nearest catch."""


class ScopedEscalationEventDefinition(_ScopedThrow, EscalationEventDefinition):
    """An escalation event definition whose throw reaches the nearest catch."""


SCOPED_THROWS: dict[type, type] = {
    ErrorEventDefinition: ScopedErrorEventDefinition,
    EscalationEventDefinition: ScopedEscalationEventDefinition,
}


def use_scoped_throws(spec: Any) -> None:
    """Give the error and escalation definitions of ``spec`` the platform's classes, in place."""
    for task_spec in spec.task_specs.values():
        definition = getattr(task_spec, "event_definition", None)
        replacement = SCOPED_THROWS.get(type(definition))
        if replacement is not None:
            definition.__class__ = replacement


def throw_scoped(my_task: Any, event: BpmnEvent) -> None:
    """Hand ``event``, thrown by ``my_task``, to the catches of the nearest scope that has one; an event no
    scope catches is kept among the item's unheard events, as SpiffWorkflow keeps it."""
    top = my_task.workflow.top_workflow
    workflow, own_handlers = my_task.workflow, True
    while True:
        if own_handlers and _start_event_subprocess(workflow, event):
            return
        holder = _holder(workflow)
        if holder is None:
            break
        catches = _boundary_catches(holder, event)
        if catches:
            for task in catches:
                task.task_spec.catch(task, event)
                task.task_spec._update(task)
            return
        own_handlers = not _is_event_subprocess(holder)
        workflow = holder.workflow
    if isinstance(event.event_definition, ErrorEventDefinition):
        top.__dict__.setdefault(_UNCAUGHT, []).append(_uncaught(my_task, event.event_definition))
    top.bpmn_events.append(event)


_UNCAUGHT = "_centre_uncaught_errors"  # on the top workflow until the engine saves it (never serialized)


def _uncaught(my_task: Any, definition: Any) -> dict[str, Any]:
    """What the audit says of an error ``my_task`` threw that no scope caught."""
    return {
        "code": definition.code,
        "error": definition.name,
        "step": my_task.task_spec.bpmn_id,
        "step_name": my_task.task_spec.bpmn_name,
    }


def take_uncaught_errors(top: Any) -> list[dict[str, Any]]:
    """The errors thrown in ``top`` since the last call that no scope caught (BPMN leaves their handling
    unspecified: the path that threw ends, the platform says so in the item's audit)."""
    return top.__dict__.pop(_UNCAUGHT, [])  # type: ignore[no-any-return]


def _holder(workflow: Any) -> Any:
    """The task of the activity (subprocess, call activity, event subprocess) running ``workflow``; None at
    the top."""
    parent_id = workflow.parent_task_id
    return None if parent_id is None else workflow.top_workflow.get_task_from_id(parent_id)


def _is_event_subprocess(task: Any) -> bool:
    """Whether ``task`` runs an event subprocess (SpiffWorkflow hangs one from its workflow's start)."""
    return task.parent is not None and isinstance(task.parent.task_spec, BpmnStartTask)


def _boundary_catches(holder: Any, event: BpmnEvent) -> list[Any]:
    """The waiting boundary events on the activity ``holder`` runs (on the multi-instance activity for one of
    its instances) that catch ``event``."""
    node = holder
    parent = node.parent
    if parent is not None and isinstance(parent.task_spec, LoopTask):
        node, parent = parent, parent.parent
    if parent is None or not isinstance(parent.task_spec, BoundaryEventSplit):
        return []
    return [
        t
        for t in parent.children
        if isinstance(t.task_spec, BoundaryEvent)
        and t.state == TaskState.WAITING
        and t.task_spec.catches(t, event)
    ]


def _start_event_subprocess(workflow: Any, event: BpmnEvent) -> bool:
    """Start the first event subprocess of ``workflow`` whose start catches ``event`` (as SpiffWorkflow does
    for the top process's message and signal starts) and hand it the event; whether one did."""
    start = workflow.spec.start
    top = workflow.top_workflow
    for name in getattr(start, "trigger_specs", None) or []:
        sub_spec = top.subprocess_specs.get(name)
        if sub_spec is None:
            continue
        if not any(ts.event_definition == event.event_definition for ts in sub_spec.bpmn_start_events):
            continue
        child_id = start.trigger_wf(workflow.task_tree, name)
        subprocess = top.subprocesses.get(child_id)
        if subprocess is None:
            continue
        for task in list(top.event_manager.tasks.values()):
            if task.workflow is subprocess and task.task_spec.catches(task, event):
                task.task_spec.catch(task, event)
                task.task_spec._update(task)
        return True
    return False


def arm_running_event_subprocesses(top: Any, event: BpmnEvent) -> None:
    """Start, for a message or signal heard by the item (``event`` has no target), the event subprocesses of
    the running subprocesses whose start catches it; SpiffWorkflow starts those of the process only. The
    workflow's catch then hands the event to their waiting starts with every other catch."""
    for workflow in _running(top):
        start = workflow.spec.start
        for name in getattr(start, "trigger_specs", None) or []:
            sub_spec = top.subprocess_specs.get(name)
            if sub_spec is not None and any(
                ts.event_definition == event.event_definition for ts in sub_spec.bpmn_start_events
            ):
                start.trigger_wf(workflow.task_tree, name)


def running_triggers(top: Any) -> list[str]:
    """The names of the event subprocess specs a message or signal may start now: the process's, then those of
    its running subprocesses."""
    names = list(getattr(top.spec.start, "trigger_specs", None) or [])
    for workflow in _running(top):
        names.extend(getattr(workflow.spec.start, "trigger_specs", None) or [])
    return names


def armable_starts(top: Any) -> Iterator[Any]:
    """The start events of the event subprocesses a message or signal may start now (``running_triggers``)."""
    for spec_name in running_triggers(top):
        sub_spec = top.subprocess_specs.get(spec_name)
        yield from getattr(sub_spec, "bpmn_start_events", None) or []


def _running(top: Any) -> list[Any]:
    """The subprocess workflows of ``top`` whose activity is running (started, not finished)."""
    running = []
    for workflow in list(top.subprocesses.values()):
        holder = _holder(workflow)
        if holder is not None and holder.state == TaskState.STARTED:
            running.append(workflow)
    return running

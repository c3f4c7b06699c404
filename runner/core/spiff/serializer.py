"""The serializer for stored engine state, with the platform's own classes registered.

Instances store only their task tree and data: the spec lives once per definition version
(``process_definitions.spec_state``), so a save never re-serializes the diagram and an
instance row stays small.
"""

from __future__ import annotations

from copy import deepcopy
from functools import cache
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.event_definition import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnSubWorkflowConverter,
    BpmnWorkflowConverter,
    TaskConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from runner.core.spiff.multi_instance import LOCAL_ITEM_CLASSES
from runner.core.spiff.scoped_throws import SCOPED_THROWS
from runner.core.spiff.timers import CLOCK_TIMERS
from runner.core.spiff.workflow import CentreSubWorkflow, CentreTask, CentreWorkflow

# Bump when the stored shape changes; runner.core.state keeps migrations from older versions.
STATE_VERSION = "banjian-1"


class SpecFreeWorkflowConverter(BpmnWorkflowConverter):
    """Serializes a workflow without its specs; they are handed back in on restore."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        if (
            workflow.correlations
        ):  # the values the item's first correlated message set (runner.items.messages)
            dct["correlations"] = workflow.correlations
        return dct

    def from_dict(  # type: ignore[override]
        self, dct: dict[str, Any], spec: Any = None, subprocess_specs: dict[str, Any] | None = None
    ) -> BpmnWorkflow:
        if spec is None:
            raise ValueError("restoring an instance needs its definition's spec")
        # registry.restore returns non-dict values unchanged, so ready-made specs pass straight through
        dct = dict(dct, spec=spec, subprocess_specs=dict(subprocess_specs or {}))
        return super().from_dict(dct)  # type: ignore[no-any-return]


_FINISHED = TaskState.COMPLETED | TaskState.CANCELLED
_SAVED = "_banjian_saved"  # attribute of a task: (inputs, dict it was serialized to)


def _inputs(task: Task) -> tuple[Any, ...] | None:
    """What a task's stored dict is made of, or None when it may change unseen. Its state and tree links always;
    then
    - a finished task: the identity of its data and of its (finished) parent's data, which finished tasks never
      change in place (its delta is taken against its parent's data);
    - a task with no data of its own (not reached yet, as the predicted branches of a gateway): its parent's
      keys, which its delta lists as deleted;
    - any other (a task at work): None, its data may change in place."""
    parent = task.workflow.tasks.get(task._parent) if task._parent is not None else None
    links = (task.state, task.last_state_change, task._parent, tuple(task._children), task.triggered)
    if not task.state & _FINISHED:
        if task.data:
            return None
        return (*links, None if parent is None else tuple(parent.data))
    if parent is not None and not parent.state & _FINISHED:
        return None  # e.g. a multi-instance or subprocess task still collecting its children's data
    return (*links, id(task.data), None if parent is None else (parent.last_state_change, id(parent.data)))


class ReusingTaskConverter(TaskConverter):  # type: ignore[misc]
    """SpiffWorkflow's task converter, which serializes a task once while its inputs (``_inputs``) and its
    internal data are unchanged: the dict of its last serialization is used again. A step changes a few tasks of
    an item's tree; the others are finished, or not reached yet, and stay as they were."""

    def to_dict(self, task: Task) -> dict[str, Any]:
        inputs = _inputs(task)
        saved = task.__dict__.get(_SAVED)
        if inputs is not None and saved is not None and saved[0] == inputs:
            dct: dict[str, Any] = saved[1]
            if task.internal_data == dct["internal_data"]:  # changed in place (e.g. 减签 renumbering)?
                return dct
        dct = super().to_dict(task)
        if inputs is not None:
            task.__dict__[_SAVED] = (inputs, dct)
        return dct


def _stored_as(converter: type, spiff_class: type) -> type:
    """``converter`` for a platform class, storing its objects under the name of ``spiff_class``, SpiffWorkflow's
    class it extends: a state written before the platform had its own class reads the same, and what is stored
    restores as the platform's (registered after SpiffWorkflow's, under the same name)."""

    class StoredAs(converter):  # type: ignore[misc, valid-type]
        def __init__(self, target_class: type, registry: Any) -> None:
            super().__init__(target_class, registry, typename=spiff_class.__name__)

    return StoredAs


def build_serializer(*, reuse_finished_tasks: bool = True) -> BpmnWorkflowSerializer:
    """A serializer with the platform's classes registered (``reuse_finished_tasks=False``: SpiffWorkflow's
    own task converter, as tests compare against)."""
    config = deepcopy(SPIFF_CONFIG)
    for clock_class in CLOCK_TIMERS.values():
        config[clock_class] = TimerConditionalEventDefinitionConverter
    for spiff_class, local_class in LOCAL_ITEM_CLASSES.items():
        config[local_class] = _stored_as(config[spiff_class], spiff_class)
    for spiff_class, scoped_class in SCOPED_THROWS.items():
        config[scoped_class] = _stored_as(config[spiff_class], spiff_class)
    config[BpmnWorkflow] = SpecFreeWorkflowConverter
    task_converter = ReusingTaskConverter if reuse_finished_tasks else TaskConverter
    config[Task] = task_converter
    config[CentreWorkflow] = _stored_as(SpecFreeWorkflowConverter, BpmnWorkflow)
    config[CentreSubWorkflow] = _stored_as(BpmnSubWorkflowConverter, BpmnSubWorkflow)
    config[CentreTask] = _stored_as(task_converter, Task)
    registry = BpmnWorkflowSerializer.configure(config)
    return BpmnWorkflowSerializer(registry)


@cache
def serializer() -> BpmnWorkflowSerializer:
    """The one serializer instance (its registry is immutable once built)."""
    return build_serializer()

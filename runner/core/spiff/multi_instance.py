"""Multi-instance activities whose item stays with its instance.

SpiffWorkflow merges a finished instance's whole data into the activity when no output item is named, its
input item (``camunda:elementVariable``, ``inputDataItem``) with it; the next instance of a sequential
activity then finds that item already there and the item stops with an engine error. The platform's classes
leave the input item out of the merge; ``use_local_items`` gives them to a parsed spec, in place.

They also start from a predicted state: on a non-interrupting boundary branch SpiffWorkflow leaves the tasks
after the boundary event predicted (MAYBE) when it fires, and starts them from there; a multi-instance adds its
instances before it leaves that state, which SpiffWorkflow refuses ("Attempt to add non-predicted child to
predicted task", the item stopped on an incident).
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.spiff.specs.defaults import ParallelMultiInstanceTask, SequentialMultiInstanceTask
from SpiffWorkflow.util.task import TaskState


class _LocalItem:
    """Merge a finished instance without its input item (the item belongs to that instance only)."""

    input_item: Any
    output_item: Any

    def _update_hook(self, my_task: Any) -> Any:
        """SpiffWorkflow's, started from a definite state: it is only called once the activity is reached, and
        it adds the instances as children (a predicted task may have predicted children only)."""
        if my_task.has_state(TaskState.PREDICTED_MASK):
            my_task._set_state(TaskState.FUTURE)
        return super()._update_hook(my_task)  # type: ignore[misc]

    def merge_child(self, workflow: Any, child: Any) -> None:
        name = getattr(self.input_item, "bpmn_id", None)
        if (
            name is None
            or name not in child.data
            or (self.output_item is not None and self.output_item.bpmn_id == name)
        ):
            super().merge_child(workflow, child)  # type: ignore[misc]
            return
        kept = child.data
        child.data = {k: v for k, v in kept.items() if k != name}
        try:
            super().merge_child(workflow, child)  # type: ignore[misc]
        finally:
            child.data = kept


class LocalParallelMultiInstanceTask(_LocalItem, ParallelMultiInstanceTask):  # type: ignore[misc]
    """A parallel multi-instance whose input item is not merged back."""


class LocalSequentialMultiInstanceTask(_LocalItem, SequentialMultiInstanceTask):  # type: ignore[misc]
    """A sequential multi-instance whose input item is not merged back."""


# SpiffWorkflow's class → the platform's (stored under SpiffWorkflow's name, runner.core.spiff.serializer)
LOCAL_ITEM_CLASSES: dict[type, type] = {
    ParallelMultiInstanceTask: LocalParallelMultiInstanceTask,
    SequentialMultiInstanceTask: LocalSequentialMultiInstanceTask,
}


def use_local_items(spec: Any) -> None:
    """Give each multi-instance activity of ``spec`` the platform's class, in place."""
    for task_spec in spec.task_specs.values():
        replacement = LOCAL_ITEM_CLASSES.get(type(task_spec))
        if replacement is not None:
            task_spec.__class__ = replacement

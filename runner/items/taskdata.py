"""What a task form needs to draw itself: the open task, its item and the task's own data.

The web layer never loads workflows itself; it asks here. The data returned is a JSON-safe copy.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from runner.core import engine
from runner.core.spiff import pruning
from runner.items.instances import get as get_instance
from runner.items.tasks import open_task_and_item
from runner.items.views import instance_summary, json_safe, task_view, users_data
from runner.models import OpenTask


def task_context(session: Session, task_id: str) -> dict[str, Any]:
    """``{"task": task_view, "instance": instance_summary, "data": the task's data, "documentation": the
    task's BPMN documentation or None}`` of an open task.

    Raises ``NoSuchTask`` (unknown) or ``TaskNotReady`` (already completed) like ``runner.complete``.
    """
    row, instance = open_task_and_item(session, task_id)
    data: dict[str, Any] = {}
    documentation = None
    try:
        with engine.read(session, instance) as workflow:
            task = workflow.get_task_from_id(UUID(row.task_id))
            data = json_safe(users_data(task.data))
            documentation = (getattr(task.task_spec, "documentation", None) or "").strip() or None
    except Exception:  # noqa: BLE001 - the form still shows, only without context
        data = {}
    return {
        "task": task_view(row),
        "instance": instance_summary(instance),
        "data": data,
        "documentation": documentation,
    }


def instance_windows(session: Session, instance_id: int) -> set[str]:
    """The windows taking part in an item: its lead window, the windows of its open and finished user
    tasks, and the related windows it notified (``related_windows``)."""
    instance = get_instance(session, instance_id)
    windows: set[str] = set()
    if instance.lead_window:
        windows.add(instance.lead_window)
    windows |= {
        w for w in session.scalars(select(OpenTask.window).where(OpenTask.instance_id == instance_id)) if w
    }
    try:
        with engine.read(session, instance) as workflow:
            return windows | _task_windows(session, instance, workflow)
    except Exception:  # noqa: BLE001 - the rows above still answer
        return windows


def _task_windows(session: Session, instance: Any, workflow: Any) -> set[str]:
    """The windows of the user tasks done or ready in ``workflow`` and the related windows they named."""
    past = pruning.pruned(workflow)  # the steps pruned from a long item's tree
    windows: set[str] = {*past.get("windows", []), *past.get("related", [])}
    for task in workflow.get_tasks(state=TaskState.COMPLETED | TaskState.READY):
        if task.task_spec.manual:  # a person's task (user, manual or plain task)
            code, related = engine.step_windows(session, instance, task)
            windows |= related | ({code} if code else set())
    return windows

"""Pruning the finished past of a long item's task tree, so that a step costs the same however old the item is.

SpiffWorkflow keeps every task an item ever ran: an item that loops through a step grows its tree by a few
tasks per round, and every walk of the tree (stepping, refreshing waits, saving) grows with it. Once more than
``keep`` finished person's steps lie on the path above everything still open, the part above the oldest kept
step is cut out: the tree's root (the process's start) stays, and the kept part hangs from it directly.

What stays: every open, waiting or predicted task and all that lies between them; the last ``keep`` finished
person's steps on their path (what 退回 can go back to, and 撤回 takes back) with the data each was completed
with; the root. What goes is summarized on the root (``PRUNED``: how many tasks, the diagram nodes they passed,
the windows their steps had) for the readers that look at the whole past: the item's completed path and the
windows taking part in it. The audit trail, in the database, keeps every step anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

PRUNED = "banjian_pruned"  # key of the root's internal data: the summary of what was cut out
# what is never cut: unfinished tasks, and a task in error (finished to SpiffWorkflow, but an open incident
# waiting for its retry)
LIVE = TaskState.NOT_FINISHED_MASK | TaskState.ERROR


def live_front(workflow: BpmnWorkflow) -> Task | None:
    """The deepest task of the top workflow that lies above (or is) every live task (``LIVE``); None when none
    is live."""
    live = [t for t in workflow.tasks.values() if t.state & LIVE]
    if not live:
        return None
    path: list[Task] = []
    node: Task | None = live[0]
    while node is not None:
        path.append(node)
        node = node.parent
    path.reverse()  # root … live[0]
    index = {t.id: i for i, t in enumerate(path)}
    deepest = len(path) - 1
    for task in live[1:]:
        node = task
        while node is not None and node.id not in index:
            node = node.parent
        if node is None:
            return None  # not under the root: leave such a tree alone
        deepest = min(deepest, index[node.id])
        if deepest == 0:
            break
    return path[deepest]


def prune(
    workflow: BpmnWorkflow, keep: int, summarize: Callable[[Iterable[Task]], dict[str, list[str]]]
) -> int:
    """Cut the finished tasks above the ``keep``-th finished person's step (counted upwards from the live front)
    out of ``workflow``'s top tree; ``summarize(removed tasks)`` gives the lists merged into the root's
    ``PRUNED`` summary (the tasks of finished subprocesses they ran among them). Returns how many tasks of the
    top tree were removed (0: nothing to cut)."""
    if keep <= 0 or workflow.completed:
        return 0
    done = sum(1 for t in workflow.tasks.values() if t.task_spec.manual and t.state == TaskState.COMPLETED)
    if done <= keep:
        return 0
    front = live_front(workflow)
    root = workflow.task_tree
    if front is None:
        return 0
    oldest, seen, node = None, 0, front
    while node is not None and seen < keep:
        if node.task_spec.manual and node.state == TaskState.COMPLETED:
            oldest, seen = node, seen + 1
        node = node.parent
    if oldest is None or seen < keep:
        return 0
    top = oldest.parent  # the kept part's top: the step's parent, so 退回 to the oldest kept step still works
    if top is None or top is root or top.parent is root:
        return 0
    kept: set[Any] = set()
    stack = [top]
    while stack:
        task = stack.pop()
        kept.add(task.id)
        stack.extend(task.children)
    removed = [t for t in workflow.tasks.values() if t.id not in kept and t is not root]
    if any(t.state & LIVE for t in removed):
        return 0  # something unfinished outside the kept part: never cut there
    gone = list(removed)  # with the tasks of the finished subprocesses (call activities) they ran
    for task in removed:
        if task.id in workflow.subprocesses:
            gone.extend(workflow.delete_subprocess(task))
    summary = dict(root.internal_data.get(PRUNED) or {})
    for key, values in summarize(gone).items():
        summary[key] = sorted(set(summary.get(key, [])) | set(values))
    summary["tasks"] = int(summary.get("tasks", 0)) + len(gone)
    for task in removed:
        workflow.tasks.pop(task.id)
        if workflow.last_task is task:
            workflow.last_task = top
    root._children = [top.id]
    top._parent = root.id
    root.internal_data[PRUNED] = summary
    return len(removed)


def pruned(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The summary of what was cut out of ``workflow``'s past (empty when nothing was)."""
    return dict(workflow.task_tree.internal_data.get(PRUNED) or {})

"""加签 / 减签: grow or shrink a running joint review (a multi-instance block) while it runs.

A joint review (会签) is a BPMN multi-instance activity driven by a collection in the item's data — in
``lianban_chaogao`` the list ``related_windows``, one review per window. 加签 appends a member to that
collection and starts its instance at once (parallel) or queues it (sequential); 减签 removes a member
that has not answered yet: its running instance, with everything below it (tasks, timers, an open
extension request), leaves the tree, and the members that answered keep their answers. When the
members left have all answered (or the block's completion mode is met), the block completes.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import (
    MultiInstanceTask,
    ParallelMultiInstanceTask,
    SequentialMultiInstanceTask,
)
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy.orm import Session

from runner.core import audit, engine
from runner.exceptions import InvalidInput, TaskNotReady
from runner.items.instances import get as get_instance
from runner.items.instances import require_active
from runner.items.operations import notify
from runner.models import ProcessInstance


def _blocks(workflow: BpmnWorkflow) -> list[Task]:
    """The running multi-instance blocks driven by a collection (the ones a member can join or leave)."""
    return [
        t
        for t in workflow.get_tasks(state=TaskState.STARTED)
        if isinstance(t.task_spec, MultiInstanceTask) and t.task_spec.data_input is not None
    ]


def _block(workflow: BpmnWorkflow, block: str | None) -> Task:
    found = [t for t in _blocks(workflow) if block in (None, t.task_spec.bpmn_id)]
    if not found:
        raise TaskNotReady(
            "本办件没有正在进行的会签环节 (no joint review is running on this item)", block=block
        )
    if len(found) > 1:
        names = ", ".join(str(t.task_spec.bpmn_id) for t in found)
        raise InvalidInput(f"请指定会签环节：{names} (several joint reviews are running; name one)")
    return found[0]


def _title(mi: Task) -> str:
    """The block's name as drawn (the parser keeps it on the instance spec, ``<id> [child]``)."""
    child = mi.workflow.spec.task_specs.get(mi.task_spec.task_spec)
    return str(getattr(child, "bpmn_name", None) or engine.task_title(mi))


def _instances(mi: Task) -> list[Task]:
    return [c for c in mi.children if c.task_spec.name == mi.task_spec.task_spec]


def _collection(mi: Task) -> list[Any]:
    spec = mi.task_spec
    value = spec.data_input.get(mi)
    if not isinstance(value, list):
        raise InvalidInput("会签名单不是列表，不能加签或减签 (the joint review's collection is not a list)")
    if spec.data_output is not None and spec.data_output.get(mi) is value:
        raise InvalidInput("会签结果写回名单本身，不能加签或减签 (the review writes its results in place)")
    return value  # type: ignore[no-any-return]


def _item_of(mi: Task, child: Task) -> Any:
    spec = mi.task_spec
    if spec.input_item is not None and spec.input_item.exists(child):
        return spec.input_item.get(child)
    index = child.internal_data.get("key_or_index")
    return _collection(mi)[index] if index is not None else child.internal_data.get("item")


def members(mi: Task) -> list[dict[str, Any]]:
    """Each member of a running block: its item (window), and answered / open / queued."""
    spec = mi.task_spec
    rows = [
        {
            "item": _item_of(mi, child),
            "state": "answered" if child.state == TaskState.COMPLETED else "open",
            "task_id": str(child.id),
        }
        for child in _instances(mi)
    ]
    if isinstance(spec, SequentialMultiInstanceTask):
        collection = _collection(mi)
        rows += [
            {"item": collection[i], "state": "queued", "task_id": None}
            for i in mi.internal_data.get("remaining", [])
        ]
    return rows


def review_blocks(session: Session, instance_id: int) -> list[dict[str, Any]]:
    """The item's running joint reviews with their members (for the 加签/减签 page)."""
    instance = get_instance(session, instance_id)
    workflow = engine.load(session, instance)
    return [
        {
            "block": mi.task_spec.bpmn_id,
            "name": _title(mi),
            "sequential": isinstance(mi.task_spec, SequentialMultiInstanceTask),
            "members": members(mi),
        }
        for mi in _blocks(workflow)
    ]


def _open_block(
    session: Session, instance_id: int, block: str | None
) -> tuple[ProcessInstance, Any, Any, list[Any]]:
    """The running item, its workflow, the joint-review block being changed and that block's member list."""
    instance = get_instance(session, instance_id)
    require_active(instance)
    workflow = engine.load(session, instance)
    mi = _block(workflow, block)
    return instance, workflow, mi, _collection(mi)


def add_reviewer(
    session: Session,
    instance_id: int,
    item: str,
    *,
    actor: str,
    reason: str,
    block: str | None = None,
    on_behalf_of: str | None = None,
) -> ProcessInstance:
    """加签: add ``item`` (a window) to the running joint review; its review starts with its own limit."""
    reason = _reason(reason, "加签")
    instance, workflow, mi, collection = _open_block(session, instance_id, block)
    if any(m["item"] == item for m in members(mi)):
        raise InvalidInput(f"{item} 已在会签名单中 ({item} already takes part in this review)", field="item")
    collection.append(item)
    index = len(collection) - 1
    if isinstance(mi.task_spec, SequentialMultiInstanceTask):
        mi.internal_data.setdefault("remaining", []).append(index)
    elif isinstance(mi.task_spec, ParallelMultiInstanceTask):
        mi.task_spec.create_child(mi, item, index)
    audit.record(
        session, "add_reviewer", actor=actor, on_behalf_of=on_behalf_of, instance=instance,
        task_id=str(mi.id), task_name=_title(mi), item=item, reason=reason,
        members=[m["item"] for m in members(mi)],
    )  # fmt: skip
    _notify(
        session,
        instance,
        item,
        f"办件 {instance.business_key} 加签：请参加「{_title(mi)}」：{reason}",
        f"Item {instance.business_key}: your window was added to “{_title(mi)}”: {reason}",
    )
    engine.advance(session, instance, workflow, actor=actor)
    engine.save(session, instance, workflow)
    return instance


def remove_reviewer(
    session: Session,
    instance_id: int,
    item: str,
    *,
    actor: str,
    reason: str,
    block: str | None = None,
    on_behalf_of: str | None = None,
) -> ProcessInstance:
    """减签: take ``item`` out of the running joint review, if it has not answered yet."""
    reason = _reason(reason, "减签")
    instance, workflow, mi, collection = _open_block(session, instance_id, block)
    current = members(mi)
    member = next((m for m in current if m["item"] == item), None)
    if member is None:
        raise InvalidInput(f"{item} 不在会签名单中 ({item} does not take part in this review)", field="item")
    if member["state"] == "answered":
        raise TaskNotReady(f"{item} 已答复，不能减签 ({item} has already answered)")
    if len(current) == 1:
        raise InvalidInput("会签至少保留一个成员 (a joint review keeps at least one member)", field="item")
    index = collection.index(item)
    if member["task_id"] is not None:
        _drop_instance(workflow, mi, workflow.get_task_from_id(UUID(member["task_id"])))
    else:
        mi.internal_data["remaining"] = [i for i in mi.internal_data.get("remaining", []) if i != index]
    _forget_index(mi, collection, index)
    audit.record(
        session, "remove_reviewer", actor=actor, on_behalf_of=on_behalf_of, instance=instance,
        task_id=str(mi.id), task_name=_title(mi), item=item, reason=reason,
        members=[m["item"] for m in members(mi)],
    )  # fmt: skip
    _notify(
        session,
        instance,
        item,
        f"办件 {instance.business_key} 减签：「{_title(mi)}」无需您再审查：{reason}",
        f"Item {instance.business_key}: your window was removed from “{_title(mi)}”: {reason}",
    )
    _complete_if_done(mi)
    engine.advance(session, instance, workflow, actor=actor)
    engine.save(session, instance, workflow)
    return instance


def _reason(reason: str | None, what: str) -> str:
    if not reason or not reason.strip():
        raise InvalidInput(f"{what}须写明理由 (a reason is required)", field="reason")
    return reason.strip()


def _drop_instance(workflow: BpmnWorkflow, mi: Task, child: Task) -> None:
    """Remove one running instance and everything below it (its subprocess, waiting timers)."""
    top = workflow.top_workflow
    removed = list(child)
    for task in list(child):
        if task.id in top.subprocesses:
            removed += top.delete_subprocess(task)
    child.workflow._remove_task(child.id)
    for task in removed:
        top.event_manager.remove_task(task)


def _forget_index(mi: Task, collection: list[Any], index: int) -> None:
    """Delete the member from the collection and shift the positions the other instances remember."""
    del collection[index]
    for child in _instances(mi):
        at = child.internal_data.get("key_or_index")
        if isinstance(at, int) and at > index:
            child.internal_data["key_or_index"] = at - 1
    if "remaining" in mi.internal_data:
        mi.internal_data["remaining"] = [i - 1 if i > index else i for i in mi.internal_data["remaining"]]


def _complete_if_done(mi: Task) -> None:
    """After 减签: the block completes if every member left answered, or its completion mode is met."""
    spec = mi.task_spec
    instances = _instances(mi)
    running = [c for c in instances if c.state != TaskState.COMPLETED]
    queued = mi.internal_data.get("remaining", []) if isinstance(spec, SequentialMultiInstanceTask) else []
    if not running and not queued:
        mi._set_state(TaskState.READY)
        return
    if spec.check_completion_condition(mi):
        for child in running:
            child.cancel()
        mi._set_state(TaskState.READY)
    elif isinstance(spec, SequentialMultiInstanceTask) and not running:
        spec.add_next_child(mi)


def _notify(session: Session, instance: ProcessInstance, item: Any, message: str, english: str) -> None:
    notify(session, "cosign", message, english=english, to_window=str(item), instance=instance)

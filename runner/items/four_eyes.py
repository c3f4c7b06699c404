"""四眼原则 (four eyes): an approval is given by someone other than the person who asked for it.

Two user-task properties of a diagram carry it:

- ``recordActor`` names a task data field that keeps who completed the task (the person signed in, set by
  the platform after the form data, so a form cannot write it);
- ``otherThan`` names such fields (comma separated): nobody kept in one of them may complete or claim the
  task, nor may anyone acting for them (AB岗), nor may anyone hand the task to them (转办, 转交, 改派).

``bpmn/rectification.bpmn`` uses them: 核实 records ``verified_by`` and the approval of an invalid rating is
``otherThan`` it; likewise the proposal of 无法整改 and the request for an extension.
"""

from __future__ import annotations

from typing import Any

from runner.exceptions import PermissionDenied

RECORD_ACTOR = "recordActor"
OTHER_THAN = "otherThan"


class SamePerson(PermissionDenied):
    """The person would approve what they asked for themselves."""

    code = "four_eyes"


def _fields(properties: dict[str, Any], name: str) -> list[str]:
    return [f.strip() for f in str(properties.get(name) or "").split(",") if f.strip()]


def excluded_fields(properties: dict[str, Any]) -> list[str]:
    """The ``otherThan`` fields of a task (none for most tasks)."""
    return _fields(properties, OTHER_THAN)


def excluded(properties: dict[str, Any], data: dict[str, Any]) -> set[str]:
    """The people who may not do a task with ``properties`` on ``data`` (its ``otherThan`` fields)."""
    return {str(data[f]) for f in _fields(properties, OTHER_THAN) if data.get(f)}


def require_other(
    properties: dict[str, Any], data: dict[str, Any], task_name: str, *, actor: str, on_behalf_of: str | None
) -> None:
    """Refuse ``actor`` (or the person they act for) when they are kept in one of the ``otherThan`` fields."""
    barred = excluded(properties, data)
    for person in (actor, on_behalf_of):
        if person and person in barred:
            raise SamePerson(
                f"「{task_name}」须由另一人办理：{person} 已办理本件的前一环节，不能自己审批（四眼原则）"
                f" (four eyes: {person} did the earlier step of this case, so someone else must do"
                f" “{task_name}”)",
                person=person,
            )


def require_other_assignee(
    properties: dict[str, Any], data: dict[str, Any], task_name: str, *, assignee: str
) -> None:
    """Refuse handing the task to ``assignee`` when one of its ``otherThan`` fields keeps them."""
    if assignee in excluded(properties, data):
        raise SamePerson(
            f"不能把「{task_name}」交给 {assignee}：{assignee} 已办理本件的前一环节，须由另一人审批（四眼原则）"
            f" (four eyes: {assignee} did the earlier step of this case, so “{task_name}” cannot be handed"
            f" to them)",
            person=assignee,
        )


def remember(properties: dict[str, Any], data: dict[str, Any], *, actor: str) -> None:
    """Keep who completed the task in its ``recordActor`` fields."""
    for field in _fields(properties, RECORD_ACTOR):
        data[field] = actor

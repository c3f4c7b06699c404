"""Whose task is it: the workspace's window rule (a task of one's windows, or an absent colleague's one covered
through AB岗) and completing a task as the current user."""

from __future__ import annotations

from typing import Any

import runner
from runner.items.permissions import Who
from web.auth import current_user


def can_work_on(task: dict[str, Any]) -> bool:
    """May the current user see and act on ``task`` (a ``runner.items.views.task_view`` dict)?

    Yes when the task's window is one of the user's windows, or the task is assigned to someone the
    user covers today through AB岗 (代班).
    """
    if not current_user.is_authenticated:
        return False
    if task.get("window") and task["window"] in current_user.windows:
        return True
    assignee = task.get("assignee")
    return bool(assignee) and assignee in current_user.covered_users


def acting_for(task: dict[str, Any]) -> str | None:
    """The absent colleague the current user acts for on ``task`` (None when it is their own window's)."""
    if task.get("window") in current_user.windows:
        assignee = task.get("assignee")
        # a task of my window claimed by someone I cover: I still act for them
        if assignee and assignee != current_user.username and assignee in current_user.covered_users:
            return str(assignee)
        return None
    assignee = task.get("assignee")
    return str(assignee) if assignee and assignee in current_user.covered_users else None


def workable_task(session: Any, task_id: str) -> dict[str, Any]:
    """The open task ``task_id`` (``runner.task_details``) if the current user may work on it.

    Raises ``runner.NotFound`` (unknown), ``runner.TaskNotReady`` (already finished) or
    ``runner.PermissionDenied`` (another window's task, not covered through AB岗).
    """
    task = runner.task_details(session, task_id)
    if not can_work_on(task):
        raise runner.PermissionDenied("无权办理其他窗口的任务 (this task belongs to another window)")
    return task


def complete_task(session: Any, task_id: str, data: dict[str, Any]) -> Any:
    """Complete ``task_id`` as the current user, checking the window rule again inside the transaction;
    a backup completing an absent colleague's task acts ``on_behalf_of`` them (named in the audit)."""
    task = workable_task(session, task_id)
    return runner.complete(session, task_id, data, actor=current_user.username, on_behalf_of=acting_for(task))


def who_now() -> Who:
    """The current web user as the permission table sees them."""
    return Who.of_person(current_user.person, current_user.covered_users)

"""Records that follow a process step by step: kept in line with an item in the same transaction as each step.

A module that keeps a record of its own beside a process (the ``rectifications`` row of a 差评整改, say)
registers a follower for the process id when it is imported (``follows``); ``engine.save`` calls
``after_save`` once the step is stored, so a completion, a timer falling due or an extension changes the
record in the step's own transaction — no reader has to refresh it. This module imports nothing of the
engine, so a follower may import the engine freely.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from runner.models import ProcessInstance

Follower = Callable[[Session, ProcessInstance, Any], None]  # (session, instance, the saved BpmnWorkflow)
_FOLLOWERS: dict[str, list[Follower]] = {}


def follows(process_id: str) -> Callable[[Follower], Follower]:
    """Register the decorated ``follower(session, instance, workflow)`` for every saved step of ``process_id``."""

    def register(follower: Follower) -> Follower:
        chain = _FOLLOWERS.setdefault(process_id, [])
        if follower not in chain:
            chain.append(follower)
        return follower

    return register


def followed(process_id: str) -> bool:
    """Whether any follower keeps a record of ``process_id``."""
    return bool(_FOLLOWERS.get(process_id))


def after_save(session: Session, instance: ProcessInstance, workflow: Any) -> None:
    """Call the followers of the instance's process with the workflow just saved."""
    for follower in _FOLLOWERS.get(instance.definition_key, ()):
        follower(session, instance, workflow)

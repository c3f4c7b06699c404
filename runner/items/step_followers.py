"""Records that follow a process step by step: kept in line with an item in the same transaction as each step.

A module that keeps a record of its own beside a process (the ``rectifications`` row of a 差评整改, say)
registers a follower for the process id when it is imported (``follows``). ``after_save`` is an after-save
hook of the engine (``runner.core.hooks``): once a step of a followed process is stored, it restores the
workflow just saved and hands it to the followers, so a completion, a timer falling due or an extension
changes the record in the step's own transaction — no reader has to refresh it. Items of processes nobody
follows cost nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from runner.core import hooks
from runner.core.state import load_workflow
from runner.core.transaction import services_of
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


def saved_workflow(session: Session, instance: ProcessInstance) -> Any:
    """The workflow as the step just stored it (restored from the row's state: the engine keeps its own object)."""
    spec, subprocess_specs = services_of(session).specs.get(instance.definition)
    return load_workflow(instance.state, instance.serializer_version, spec, subprocess_specs)


@hooks.after_save
def after_save(session: Session, instance: ProcessInstance) -> None:
    """Call the followers of the instance's process with the workflow just saved."""
    chain = _FOLLOWERS.get(instance.definition_key, ())
    if not chain:
        return
    workflow = saved_workflow(session, instance)
    for follower in chain:
        follower(session, instance, workflow)

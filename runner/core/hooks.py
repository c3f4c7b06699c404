"""The engine's hooks: work the centre's domain adds to the engine's own steps without the engine importing it.

- ``AFTER_SAVE``: called by ``runner.core.engine.save`` after an item's state, open tasks, timers and message
  subscriptions are written, in the same transaction (supervision keeps its warning-rule timers in step there);
- ``TIMER_KINDS``: how a timer row of a kind other than the diagram's own fires (kind → function).

A domain module registers at import (``runner/__init__.py`` imports every one of them), so the engine core
imports nothing of the domain and no import cycle holds the two together.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from runner.models import ProcessInstance, Timer

AfterSave = Callable[[Session, ProcessInstance], None]
TimerFiring = Callable[[Session, Timer, ProcessInstance], str]

AFTER_SAVE: list[AfterSave] = []
TIMER_KINDS: dict[str, TimerFiring] = {}


def after_save(hook: AfterSave) -> AfterSave:
    """Call ``hook(session, instance)`` after every save of an item (once, however often registered)."""
    if hook not in AFTER_SAVE:
        AFTER_SAVE.append(hook)
    return hook


def timer_kind(kind: str, firing: TimerFiring) -> None:
    """Fire timer rows of ``kind`` with ``firing(session, row, instance)`` (returns what happened, for the log)."""
    TIMER_KINDS[kind] = firing


def run_after_save(session: Session, instance: ProcessInstance) -> None:
    """Run the after-save hooks for ``instance``."""
    for hook in AFTER_SAVE:
        hook(session, instance)

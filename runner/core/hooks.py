"""The engine's hooks: work the centre's domain adds to the engine's own steps without the engine importing it.

- ``AFTER_SAVE``: called by ``runner.core.engine.save`` after an item's state, open tasks, timers and message
  subscriptions are written, in the same transaction (supervision keeps its warning-rule timers in step there);
- ``NEW_ITEM``: called by ``runner.core.engine.new_workflow`` for an item inserted in this transaction, which has no
  rows of its own yet: a hook whose after-save reads the item's rows notes there are none to read
  (``runner.core.transaction.read_ahead`` with an empty list);
- ``READ_AHEAD``: called with the items of a batch of timers before any of them fires, to read at once the rows
  an after-save hook would otherwise read one item at a time (``runner.core.transaction.read_ahead``);
- ``TIMER_KINDS``: how a timer row of a kind other than the diagram's own fires (kind → function);
- ``EFFECTS``: what else happens when a diagram's script asks for an effect (``record_deemed_assent``,
  ``record_warning``, ``inform``, ``issue_document`` …): called by ``runner.core.engine.apply_effects`` after the
  engine's own work for that kind, if any, in the step's transaction (the parties are told, a notice issued).

A domain module registers at import (``runner/__init__.py`` imports every one of them), so the engine core
imports nothing of the domain and no import cycle holds the two together.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from runner.models import ProcessInstance, Timer

AfterSave = Callable[[Session, ProcessInstance], None]
ReadAhead = Callable[[Session, list[int]], None]
TimerFiring = Callable[[Session, Timer, ProcessInstance], str]
EffectHook = Callable[[Session, ProcessInstance, Any, dict[str, Any]], None]

AFTER_SAVE: list[AfterSave] = []
READ_AHEAD: list[ReadAhead] = []
NEW_ITEM: list[AfterSave] = []
TIMER_KINDS: dict[str, TimerFiring] = {}
EFFECTS: dict[str, list[EffectHook]] = {}


def after_save(hook: AfterSave) -> AfterSave:
    """Call ``hook(session, instance)`` after every save of an item (once, however often registered)."""
    if hook not in AFTER_SAVE:
        AFTER_SAVE.append(hook)
    return hook


def read_ahead(hook: ReadAhead) -> ReadAhead:
    """Call ``hook(session, instance_ids)`` before a batch of timers of these items fires (once, however often
    registered)."""
    if hook not in READ_AHEAD:
        READ_AHEAD.append(hook)
    return hook


def new_item(hook: AfterSave) -> AfterSave:
    """Call ``hook(session, instance)`` when ``instance`` was just inserted (once, however often registered)."""
    if hook not in NEW_ITEM:
        NEW_ITEM.append(hook)
    return hook


def run_new_item(session: Session, instance: ProcessInstance) -> None:
    """Run the new-item hooks for ``instance`` (inserted in this transaction: it has no rows of its own yet)."""
    for hook in NEW_ITEM:
        hook(session, instance)


def run_read_ahead(session: Session, instance_ids: list[int]) -> None:
    """Run the read-ahead hooks for the items ``instance_ids``."""
    for hook in READ_AHEAD:
        hook(session, instance_ids)


def timer_kind(kind: str, firing: TimerFiring) -> None:
    """Fire timer rows of ``kind`` with ``firing(session, row, instance)`` (returns what happened, for the log)."""
    TIMER_KINDS[kind] = firing


def run_after_save(session: Session, instance: ProcessInstance) -> None:
    """Run the after-save hooks for ``instance``."""
    for hook in AFTER_SAVE:
        hook(session, instance)


def on_effect(kind: str, hook: EffectHook) -> EffectHook:
    """Call ``hook(session, instance, workflow, args)`` whenever a script asks for the effect ``kind`` (once,
    however often registered)."""
    hooks = EFFECTS.setdefault(kind, [])
    if hook not in hooks:
        hooks.append(hook)
    return hook


def run_effect(
    session: Session, instance: ProcessInstance, workflow: Any, kind: str, args: dict[str, Any]
) -> None:
    """Run the hooks of the effect ``kind`` a script asked for on ``instance``."""
    for hook in EFFECTS.get(kind, ()):
        hook(session, instance, workflow, args)

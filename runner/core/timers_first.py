"""Timers first: while the workers are behind with due timers, the steps of clerks take turns.

A legal deadline (a deemed assent, a time limit's warning) must take effect when it falls due; a clerk waiting a
few milliseconds more for a completion loses little. A worker that claims timers which fell due more than
``timers_behind_seconds`` ago says so through the job scheduler (``say_if_behind``: a Redis key that lapses after
``scheduling.BEHIND_FOR`` seconds unless said again, so a worker that caught up, or died, holds nobody back).
While it holds, every completion and start of an item first takes one of ``steps_while_timers_behind`` turns
(``take_turn``: a PostgreSQL advisory lock held until its transaction ends): at most that many run at once on the
whole platform, and the CPU and the database go to the timers first. Redis away: nobody is held back. SQLite:
its transactions take turns already.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import datetime
from weakref import WeakKeyDictionary

from sqlalchemy import text
from sqlalchemy.orm import Session

from runner.core.services import Services
from runner.core.transaction import services_of

log = logging.getLogger(__name__)

TURNS = 240_024  # the advisory locks' first key (the second is the turn)
LOOK_EVERY = 0.25  # seconds a process trusts its last look at whether the workers are behind
SAY_EVERY = (
    0.5  # a worker says it is behind at most this often (the word holds scheduling.BEHIND_FOR seconds)
)

# per process (per Services): when it last looked or said (time.monotonic()), and whether the workers were behind
_looked: WeakKeyDictionary[Services, tuple[float, bool]] = WeakKeyDictionary()
_said: WeakKeyDictionary[Services, float] = WeakKeyDictionary()


def say_if_behind(services: Services, oldest_due: datetime, claimed_at: datetime) -> bool:
    """A worker claimed timers the oldest of which fell due at ``oldest_due``: if that is more than
    ``timers_behind_seconds`` before ``claimed_at``, say the workers are behind. Returns whether they are."""
    if (claimed_at - oldest_due).total_seconds() <= services.settings.timers_behind_seconds:
        return False
    now = time.monotonic()
    if now - _said.get(services, -SAY_EVERY) >= SAY_EVERY:
        try:
            services.scheduler.say_behind()
            _said[services] = now
        except Exception:  # noqa: BLE001 - Redis away: the timers fire all the same, only nobody yields
            log.warning("timers first: cannot tell the web nodes the workers are behind", exc_info=True)
    return True


def timers_behind(services: Services) -> bool:
    """Are the workers behind with due timers (as a worker last said; looked up at most every ``LOOK_EVERY`` s)?"""
    now = time.monotonic()
    looked_at, behind = _looked.get(services, (-LOOK_EVERY, False))
    if now - looked_at < LOOK_EVERY:
        return behind
    try:
        behind = services.scheduler.behind()
    except Exception:  # noqa: BLE001 - Redis away: nobody is held back
        behind = False
    _looked[services] = (now, behind)
    return behind


def take_turn(session: Session) -> bool:
    """Before a clerk's step (a completion, a start): while the workers are behind with due timers, wait for one
    of ``steps_while_timers_behind`` turns, held until this transaction ends (PostgreSQL; else nothing). Whether
    it took a turn (then what the step read before may have moved on meanwhile)."""
    services = services_of(session)
    turns = services.settings.steps_while_timers_behind
    if turns <= 0 or session.get_bind().dialect.name != "postgresql" or not timers_behind(services):
        return False
    turn = hash((os.getpid(), threading.get_ident())) % turns
    session.execute(text("SELECT pg_advisory_xact_lock(:turns, :turn)"), {"turns": TURNS, "turn": turn})
    return True

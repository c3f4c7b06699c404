"""How the platform's long-running processes (web workers, RQ workers) keep Python's cycle collector out of the way.

Stepping an item makes many short-lived objects and reference cycles (SpiffWorkflow's task trees, the ORM's
objects). With the interpreter's default thresholds the collector passes over the whole heap every ≈ 70,000 net
allocations — the process's modules, SQLAlchemy's mappers and compiled statements, the restored workflows it
keeps — and those full passes cost ≈ 8 % of a completion in a web worker that has served a while
(``bench/RESULTS.md``, "2026-12-06 21:31–22:06").
"""

from __future__ import annotations

import gc

# collect the youngest generation after this many net allocations (the interpreter's default: 700); each older
# generation after 20 collections of the one below it (default: 10)
THRESHOLDS = (5000, 20, 20)


def settle_after_start() -> None:
    """Call once start-up is done: what it made stays for the process's life, so it leaves the collector's view
    (``gc.freeze``), and young objects are collected less often (``THRESHOLDS``)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)

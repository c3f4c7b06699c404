"""Per-process cache of restored workflows, so that the next step of an item skips deserializing its state.

An entry is the workflow object a committed ``engine.save`` stored, keyed by instance id and the row's
``lock_version`` after that commit. Every change of an instance row moves ``lock_version`` (optimistic
locking), so an entry whose version is not the row's is never used: another process changed the item, and
the state is read from the row as always. ``take`` hands the object over (it leaves the cache), so two
threads never share one; a transaction that rolls back never puts its object back.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from SpiffWorkflow.bpmn import BpmnWorkflow


class WorkflowCache:
    """Least-recently-used ``instance id → (lock_version, workflow)``; ``size`` 0 turns it off."""

    def __init__(self, size: int = 128) -> None:
        self.size = size
        self._items: OrderedDict[int, tuple[int, BpmnWorkflow]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def take(self, instance_id: int, version: int) -> BpmnWorkflow | None:
        """The workflow stored for exactly this version of the row, removed from the cache; else None."""
        with self._lock:
            found = self._items.pop(instance_id, None)
            if found is not None and found[0] == version:
                self.hits += 1
                return found[1]
            self.misses += 1
            return None

    def keep(self, instance_id: int, version: int, workflow: BpmnWorkflow) -> None:
        """Remember ``workflow`` as the state of version ``version`` of the row (call after the commit)."""
        if self.size <= 0:
            return
        with self._lock:
            self._items[instance_id] = (version, workflow)
            self._items.move_to_end(instance_id)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

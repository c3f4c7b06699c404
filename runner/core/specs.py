"""In-process cache of ready-to-run specs, one entry per definition version (versions never change)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from runner.core.state import load_specs
from runner.models import ProcessDefinition

SpecPair = tuple[Any, dict[str, Any]]


class SpecCache:
    """Least-recently-used cache of deserialized specs keyed by definition id."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._items: OrderedDict[int, SpecPair] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, definition: ProcessDefinition) -> SpecPair:
        with self._lock:
            found = self._items.get(definition.id)
            if found is not None:
                self._items.move_to_end(definition.id)
                return found
        pair = load_specs(definition.spec_state)
        with self._lock:
            self._items[definition.id] = pair
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return pair

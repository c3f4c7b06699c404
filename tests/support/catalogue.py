"""The demo catalogue of service items (``bpmn/catalogue.jsonl``) as tests read it."""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

from tests.support.flow import LIBRARY

DEMO = LIBRARY / "catalogue.jsonl"


@cache
def _items() -> tuple[dict[str, Any], ...]:
    return tuple(json.loads(x) for x in DEMO.read_text(encoding="utf-8").splitlines() if x.startswith("{"))


def demo_items() -> list[dict[str, Any]]:
    """Every item of the demo catalogue (fresh copies)."""
    return copy.deepcopy(list(_items()))


def demo(code: str) -> dict[str, Any]:
    """The demo catalogue's item ``code`` (a fresh copy)."""
    for item in _items():
        if item["code"] == code:
            return copy.deepcopy(item)
    raise KeyError(code)

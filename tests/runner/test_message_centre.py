"""Every message the platform writes to a message centre has its English (issue 21, point 12): each call of
``notify`` in the product names ``english=``; a message of each kind the clerk operations write reads in English
on an English page (tests/workspace/test_clerk_day.py) and both languages go to the senders
(tests/runner/test_senders.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import runner
from runner.items.message_centre import notify

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("runner", "workspace", "admin", "api", "worker")


def calls_without_english() -> list[str]:
    found = []
    for package in PRODUCT:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name == "notify" and "english" not in {k.arg for k in node.keywords}:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_every_message_the_product_writes_has_its_english() -> None:
    assert calls_without_english() == []


def test_a_message_without_its_english_cannot_be_written(services: runner.Services) -> None:
    with pytest.raises(TypeError), services.transaction() as s:
        notify(s, "urge", "请尽快办理", to_user="clerk_a")  # type: ignore[call-arg]

"""The engine's hooks on a script's effects (runner/core/hooks.py): the domain adds what else an effect does
without the engine importing it."""

from __future__ import annotations

from typing import Any

import pytest

from runner.core import hooks


@pytest.fixture
def effects() -> Any:
    saved = {k: list(v) for k, v in hooks.EFFECTS.items()}
    yield hooks.EFFECTS
    hooks.EFFECTS.clear()
    hooks.EFFECTS.update(saved)


def test_effect_hooks_run_in_order_once_each_with_the_script_s_arguments(effects: Any) -> None:
    seen: list[tuple[str, Any]] = []

    def first(session: Any, instance: Any, workflow: Any, args: dict[str, Any]) -> None:
        seen.append(("first", args))

    def second(session: Any, instance: Any, workflow: Any, args: dict[str, Any]) -> None:
        seen.append(("second", (instance, workflow)))

    hooks.on_effect("test_effect", first)
    hooks.on_effect("test_effect", second)
    hooks.on_effect("test_effect", first)  # registered again: still once
    hooks.run_effect(None, "item", "workflow", "test_effect", {"kind": "joint"})  # type: ignore[arg-type]
    hooks.run_effect(None, "item", "workflow", "other_effect", {})  # type: ignore[arg-type]
    assert seen == [("first", {"kind": "joint"}), ("second", ("item", "workflow"))]


def test_the_domain_registers_what_the_parties_are_told_and_the_notices_issued() -> None:
    import runner  # noqa: F401 - importing the runner registers every domain hook

    assert {"deemed_assent", "warning", "inform", "issue_document"} <= set(hooks.EFFECTS)

"""The shape of the product: no import cycles, doors that do not talk to each other, layers that point one way.

The import graph is read from the source (``tests/support/imports.py``), counting imports inside functions too.
"""

from __future__ import annotations

import pytest

from tests.support.imports import cycles, import_graph

DOORS = ("workspace", "admin", "api", "worker")
# what each package may import of the product (besides itself)
MAY_IMPORT = {
    "runner": set(),
    "forms": {"runner"},
    "web": {"runner", "forms"},
    "workspace": {"runner", "forms", "web"},
    "admin": {"runner", "forms", "web"},
    "api": {"runner", "forms", "web"},
    "worker": {"runner"},
    "webapp": {"runner", "forms", "web", *DOORS},
}


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph()


def test_there_is_no_import_cycle_in_the_product(graph: dict[str, set[str]]) -> None:
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize("package", sorted(MAY_IMPORT))
def test_each_package_imports_only_the_layers_below_it(graph: dict[str, set[str]], package: str) -> None:
    """Doors never import another door's modules; the shared web layer and the form engine import no door;
    the runner imports nothing of the web."""
    wrong = sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        if module.split(".")[0] == package
        for target in targets
        if target.split(".")[0] not in {package, *MAY_IMPORT[package]}
    )
    assert wrong == []


def test_the_permission_table_lives_in_the_runner(graph: dict[str, set[str]]) -> None:
    """The workspace and the API ask the one table of ``runner.items.permissions``."""
    from runner.items import permissions

    assert "transfer" in permissions.ALLOWED
    assert "runner.items.permissions" in graph["api.access"]
    assert any("runner.items.permissions" in graph[m] for m in graph if m.startswith("workspace."))

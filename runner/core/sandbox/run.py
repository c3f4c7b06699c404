"""One evaluation in this process: SpiffWorkflow's task-data semantics over the restricted compiler, builtins
and time limit. The evaluator processes run these (``child``); measured in-process as the baseline in
``bench/scripts.py``.

- ``evaluate``: the value of an expression over helpers, external values and task data (data wins); the data
  is not changed.
- ``execute``: a script with the task data as its variables, changed in place; afterwards the helpers and
  external values it was given, functions it defined and new ``_`` names are removed again. Task data wins over
  a helper of the same name (a form field called ``deadline`` hides the ``deadline()`` helper in that script)
  instead of failing every script of the item.
"""

from __future__ import annotations

from typing import Any

from runner.core.sandbox.guards import make_builtins
from runner.core.sandbox.limits import run_limited
from runner.core.sandbox.policy import compiled

BUILTINS = make_builtins()


def evaluate(
    expression: str, data: dict[str, Any], helpers: dict[str, Any], values: dict[str, Any], time_limit: float
) -> Any:
    """The value of ``expression`` (``ScriptError`` when refused or stopped, else what it raised)."""
    code = compiled("eval", expression)
    namespace = {**helpers, **values, **data, "__builtins__": BUILTINS}
    return run_limited(code, namespace, time_limit, expression)


def execute(
    script: str, data: dict[str, Any], helpers: dict[str, Any], values: dict[str, Any], time_limit: float
) -> dict[str, Any]:
    """Run ``script`` over ``data`` (changed in place, also when it fails) and return ``data``."""
    code = compiled("exec", script)
    before = set(data)
    injected = {k: v for k, v in {**helpers, **values}.items() if k not in data}
    data.update(injected)
    data["__builtins__"] = BUILTINS
    try:
        run_limited(code, data, time_limit, script)
    finally:
        for key in list(data):
            value = data[key]
            if (
                key == "__builtins__"
                or (key in injected and value is injected[key])
                or callable(value)
                or (key.startswith("_") and key not in before)
            ):
                data.pop(key)
    return data

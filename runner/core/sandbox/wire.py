"""What passes between the platform and an evaluator process: pickled messages on two pipes.

The platform trusts what it sends. What comes back is read with ``untrusted_loads``, which rebuilds only plain
data (containers, numbers, text, dates and times, decimals, UUIDs) and never calls anything else: a script
that escaped the sandbox in its process still cannot make the platform run code by what it sends back.
"""

from __future__ import annotations

import io
import pickle
from typing import Any

PROTOCOL = 5
MAX_MESSAGE_BYTES = 8 * 1024 * 1024  # a script's result (task data) or a helper call; larger is refused

# the only globals a message from an evaluator may name
ALLOWED_GLOBALS = frozenset({
    ("builtins", "set"), ("builtins", "frozenset"), ("builtins", "range"), ("builtins", "slice"),
    ("builtins", "complex"), ("builtins", "bytearray"),
    ("datetime", "datetime"), ("datetime", "date"), ("datetime", "time"), ("datetime", "timedelta"),
    ("datetime", "timezone"), ("decimal", "Decimal"), ("uuid", "UUID"), ("zoneinfo", "ZoneInfo._unpickle"),
})  # fmt: skip


class RefusedValue(pickle.UnpicklingError):
    """A message named something besides plain data."""


class _PlainDataUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in ALLOWED_GLOBALS:
            raise RefusedValue(f"{module}.{name} is not plain data")
        return super().find_class(module, name)


def dumps(message: Any) -> bytes:
    """``message`` as bytes (``pickle.PicklingError``/``TypeError`` when it holds something unpicklable)."""
    return pickle.dumps(message, protocol=PROTOCOL)


def trusted_loads(data: bytes) -> Any:
    """A message from the platform (read by the evaluator)."""
    return pickle.loads(data)  # noqa: S301 - written by the platform process that started this one


def untrusted_loads(data: bytes) -> Any:
    """A message from an evaluator: plain data only (``RefusedValue`` otherwise)."""
    return _PlainDataUnpickler(io.BytesIO(data)).load()

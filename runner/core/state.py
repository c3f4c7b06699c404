"""Stored forms of specs and instance state: compact JSON, zlib-compressed, versioned.

The JSON is written and read by ``orjson`` (a step's state is ≈ 35 KB of JSON before compression: the standard
library's encoder took ≈ 0.27 ms of a completion's CPU for it, orjson ≈ 0.02 ms). What orjson does not write as
the standard library does (integers beyond 64 bits, keys that are not strings) is written by the standard
library, and so is what the standard library refuses (a datetime, a dataclass: refused again). Two kinds of value
the standard library refused orjson writes: a UUID, as its text (the engine's serializer converts UUIDs before
this), and an enumeration member that is neither a str nor an int, as its value (the step is stored instead of
failing). orjson writes a float that is no number (NaN, ±Infinity: no JSON value) as null, as a browser does. It
is read as the standard library reads it (``runner.json_text``).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from typing import Any

import orjson
from SpiffWorkflow.bpmn import BpmnWorkflow

from runner import json_text
from runner.core.spiff.serializer import STATE_VERSION, serializer

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
# what orjson would write and the standard library refuses (a datetime, a dataclass) goes to the standard library,
# which refuses it as before: a value the engine's serializer did not convert is an error, not silently text
_AS_THE_STANDARD_LIBRARY = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS

# version found in a row -> function upgrading its dict to the next version (none yet)
MIGRATIONS: dict[str, Callable[[dict[str, Any]], str]] = {}


def pack(obj: Any) -> bytes:
    """``obj`` as compact UTF-8 JSON, compressed."""
    try:
        text = orjson.dumps(obj, option=_AS_THE_STANDARD_LIBRARY)
    except orjson.JSONEncodeError:
        text = _dumps(obj).encode("utf-8")
    return zlib.compress(text, 3)


def unpack(blob: bytes) -> Any:
    """What ``pack`` packed (or the standard library's JSON of an older row: it wrote NaN as a bare word), read as
    the standard library reads it (``runner.json_text``: an integer beyond 64 bits stays that integer)."""
    return json_text.loads(zlib.decompress(blob))


def dump_specs(spec: Any, subprocess_specs: dict[str, Any]) -> bytes:
    """Serialize a definition's specs once, at deploy time."""
    convert = serializer().to_dict
    return pack(
        {"spec": convert(spec), "subprocess_specs": {k: convert(v) for k, v in subprocess_specs.items()}}
    )


def load_specs(blob: bytes) -> tuple[Any, dict[str, Any]]:
    restore = serializer().from_dict
    data = unpack(blob)
    return restore(data["spec"]), {k: restore(v) for k, v in data["subprocess_specs"].items()}


def dump_workflow(workflow: BpmnWorkflow) -> tuple[bytes, str]:
    """The instance state without its spec, and the state version it was written with."""
    return pack(serializer().to_dict(workflow)), STATE_VERSION


def load_workflow(blob: bytes, version: str, spec: Any, subprocess_specs: dict[str, Any]) -> BpmnWorkflow:
    """Restore an instance, upgrading an older stored shape first."""
    data = unpack(blob)
    while version != STATE_VERSION:
        try:
            version = MIGRATIONS[version](data)
        except KeyError:
            raise ValueError(f"unknown engine state version {version!r}") from None
    workflow: BpmnWorkflow = serializer().from_dict(data, spec=spec, subprocess_specs=subprocess_specs)
    return workflow

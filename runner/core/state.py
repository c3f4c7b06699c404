"""Stored forms of specs and instance state: compact JSON, zlib-compressed, versioned."""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow

from runner.core.spiff.serializer import STATE_VERSION, serializer

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode

# version found in a row -> function upgrading its dict to the next version (none yet)
MIGRATIONS: dict[str, Callable[[dict[str, Any]], str]] = {}


def pack(obj: Any) -> bytes:
    return zlib.compress(_dumps(obj).encode("utf-8"), 3)


def unpack(blob: bytes) -> Any:
    return json.loads(zlib.decompress(blob))


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

"""The stored engine state's JSON (``runner.core.state``): written by orjson, by the standard library where orjson
would not write the same, and rows written by the standard library before still read."""

from __future__ import annotations

import json
import zlib
from datetime import UTC, datetime

import pytest

from runner.core.state import pack, unpack

STATE = {"tasks": {"1f0c": {"state": 64, "last_state_change": 1765065600.123456, "data": {"申请人": "张三"}}}}


def test_a_state_reads_back_as_it_was_written() -> None:
    assert unpack(pack(STATE)) == STATE
    assert (
        zlib.decompress(pack(STATE)) == json.dumps(STATE, separators=(",", ":"), ensure_ascii=False).encode()
    )


def test_what_orjson_does_not_write_is_written_as_before() -> None:
    """A number beyond 64 bits, and keys that are numbers (the standard library writes them as strings)."""
    data = {"big": 2**70, "by_number": {1: "a", 2.5: "b"}}
    assert unpack(pack(data)) == {"big": 2**70, "by_number": {"1": "a", "2.5": "b"}}


def test_an_integer_beyond_64_bits_reads_back_as_that_integer() -> None:
    """orjson would read it as a float: its last digits lost."""
    data = {"above": 2**70 + 1, "below": -(2**63) - 1, "card": [12345678901234567890123]}
    back = unpack(pack(data))
    assert back == data and all(type(v) is int for v in (back["above"], back["below"], back["card"][0]))


def test_a_row_the_standard_library_wrote_with_nan_still_reads() -> None:
    old = zlib.compress(json.dumps({"fee": float("inf")}).encode(), 3)
    assert unpack(old) == {"fee": float("inf")}


def test_a_value_the_standard_library_refuses_is_still_refused() -> None:
    """orjson would write a datetime as text: a value the engine's serializer left unconverted stays an error."""
    with pytest.raises(TypeError):
        pack({"at": datetime(2026, 12, 7, tzinfo=UTC)})

"""JSON text read by ``runner.json_text``: what the standard library reads, value for value and type for type."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

import pytest

from runner import json_text
from runner.models import SlotPlan

TEXTS = [
    '{"申请人": "张三", "n": 12345, "f": 0.1, "ok": true, "none": null, "list": [1, -2, 3.5e-7]}',
    str(2**70 + 1),  # beyond 64 bits: orjson would read a float
    str(-(2**63) - 1),
    str(2**64 - 1),  # the largest integer orjson reads itself
    '{"card": 12345678901234567890123, "id": "123456789012345678901234"}',  # digits in a string as well
    "[9223372036854775807, -9223372036854775808, 1e400, -1e400]",
    '{"fee": NaN, "cap": Infinity, "floor": -Infinity}',  # the standard library's bare words
    '"\\ud800 lone"',  # a lone surrogate escaped
    '{"a": 1, "a": 2}',
    "-0.0",
    " [] ",
]


def _same(a: Any, b: Any) -> bool:
    """Equal, NaN for NaN, and of the same types all the way down."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b) and (not isinstance(a, float) or math.copysign(1, a) == math.copysign(1, b))


@pytest.mark.parametrize("text", TEXTS)
def test_a_text_reads_as_the_standard_library_reads_it(text: str) -> None:
    expected = json.loads(text)
    for given in (text, text.encode(), bytearray(text.encode()), memoryview(text.encode())):
        assert _same(json_text.loads(given), expected), (given, expected)


def test_other_encodings_and_unpaired_surrogates_read_as_the_standard_library_reads_them() -> None:
    for raw in ('{"窗口": 1}'.encode("utf-16"), '\ufeff{"a": 2}'.encode(), '["\ud800"]'):
        assert _same(json_text.loads(raw), json.loads(raw))
    with pytest.raises(ValueError):
        json_text.loads(b"{broken")


def test_a_json_column_keeps_an_integer_beyond_64_bits(db_engine) -> None:
    """The database engine reads JSON columns through ``json_text`` (PostgreSQL's driver and SQLite alike)."""
    from sqlalchemy.orm import Session

    assert db_engine.dialect._json_deserializer is json_text.loads  # what the dialect hands its driver
    periods = [["09:00", "12:00"], [2**70 + 1, -(2**63) - 1, 0.1, "1234567890123456789012"]]
    with Session(db_engine) as session:
        session.add(SlotPlan(window="w", periods=periods, updated_by="t", updated_at=datetime.now(UTC)))
        session.commit()
    with Session(db_engine) as session:
        assert _same(session.get(SlotPlan, "w").periods, periods)

"""The catalogue as JSON Lines (runner/catalogue/transfer.py)."""

from __future__ import annotations

import json

import pytest

from runner.catalogue import items, transfer
from tests.support.catalogue import demo


def test_jsonl_round_trip_and_a_wrong_file_is_refused_whole_with_line_numbers(services, library):
    lines = [json.dumps(demo(c), ensure_ascii=False) for c in ("SC-001", "GT-001")]
    with services.transaction() as s:
        result = transfer.import_lines(s, ["# comment", *lines], actor="admin")
        assert sorted(result.created) == ["GT-001", "SC-001"]
        exported = list(transfer.export_lines(s))
    assert [json.loads(line)["code"] for line in exported] == ["GT-001", "SC-001"]
    first = json.loads(exported[1])
    assert {"code", "name", "window", "kind", "process", "promised_days", "statutory_days"} <= set(first)
    assert {"name", "required", "tolerable"} <= set(first["materials"][0])
    changed = json.dumps(demo("SC-001") | {"promised_days": 7}, ensure_ascii=False)
    wrong = [changed, "{not json", json.dumps(demo("GT-001") | {"statutory_days": 1})]
    with services.transaction() as s, pytest.raises(transfer.CatalogueInvalid) as err:
        transfer.import_lines(s, wrong, actor="admin")
    assert sorted(err.value.problems) == [2, 3]
    with services.transaction() as s:
        assert items.get_item(s, "SC-001").version == 1  # nothing of the refused file was stored

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


def test_the_english_texts_and_material_names_go_out_and_come_back(services, library):
    """Export then import into an empty catalogue keeps every English twin (the body is what travels)."""
    body = demo("SC-001") | {
        "department_en": "County Market Regulation Bureau",
        "conditions_en": "Premises fit.",
    }
    body["materials"][0] |= {"name_en": "Application form", "note_en": "Signed"}
    with services.transaction() as s:
        items.save_item(s, body, actor="admin")
        exported = list(transfer.export_lines(s))
    line = json.loads(exported[0])
    assert (
        line["department_en"] == "County Market Regulation Bureau"
        and line["conditions_en"] == "Premises fit."
    )
    assert (
        line["materials"][0]["name_en"] == "Application form" and line["materials"][0]["note_en"] == "Signed"
    )
    line["code"] = "SC-901"
    with services.transaction() as s:
        transfer.import_lines(s, [json.dumps(line, ensure_ascii=False)], actor="admin")
        again = items.current_version(s, items.get_item(s, "SC-901")).body
    assert again["department_en"] == line["department_en"] and again["conditions_en"] == line["conditions_en"]
    assert again["materials"] == line["materials"]

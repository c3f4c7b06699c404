"""Checking an item's content (runner/catalogue/body.py): the demo catalogue, wrong items refused by field."""

from __future__ import annotations

import pytest

from runner.catalogue.body import ItemInvalid, normalise
from tests.support.catalogue import demo, demo_items


def test_demo_catalogue_has_twenty_items_of_four_kinds_across_windows():
    found = demo_items()
    assert len(found) >= 20
    assert {i["kind"] for i in found} >= {"即办件", "承诺件", "联办件", "上报件"}
    assert len({i["window"] for i in found}) >= 6
    for item in found:
        normalise(item)  # every demo line is a valid item


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"promised_days": 0}, "promised_days"),
        ({"promised_days": 30, "statutory_days": 20}, "statutory_days"),
        ({"kind": "随便件"}, "kind"),
        ({"code": ""}, "code"),
        ({"materials": [{"name": "甲"}, {"name": "甲"}]}, "materials"),
        ({"tolerance": False, "materials": [{"name": "甲", "tolerable": True}]}, "materials"),
        ({"colour": "red"}, "colour"),
        ({"kind": "联办件", "related_windows": []}, "related_windows"),
    ],
)
def test_wrong_items_are_refused_naming_the_field(change, field):
    raw = demo("SC-001") | change
    with pytest.raises(ItemInvalid) as err:
        normalise(raw)
    assert any(p.startswith(f"{field}") for p in err.value.problems), err.value.problems


@pytest.mark.parametrize(
    ("change", "field", "limit"),
    [
        ({"conditions_en": "x" * 4001}, "conditions_en", 4000),
        ({"department_en": "x" * 4001}, "department_en", 4000),
        ({"materials": [{"name": "甲", "name_en": "x" * 201}]}, "materials[0].name_en", 200),
        ({"materials": [{"name": "甲", "note_en": "x" * 401}]}, "materials[0].note_en", 400),
    ],
)
def test_a_too_long_english_text_is_refused_in_both_languages(change, field, limit):
    with pytest.raises(ItemInvalid) as err:
        normalise(demo("SC-001") | change)
    assert f"{field}: 不能超过 {limit} 字 (at most {limit} characters)" in err.value.problems


def test_english_texts_are_optional_trimmed_and_kept_only_when_filled():
    raw = demo("SC-001") | {"conditions_en": "  Premises fit for the food sold. ", "legal_basis_en": " "}
    raw["materials"] = [{"name": "甲", "name_en": " Form A ", "note_en": ""}, {"name": "乙"}]
    body = normalise(raw)
    assert body["conditions_en"] == "Premises fit for the food sold." and "legal_basis_en" not in body
    assert body["materials"][0]["name_en"] == "Form A" and "note_en" not in body["materials"][0]
    assert "name_en" not in body["materials"][1]
    with pytest.raises(ItemInvalid) as err:
        normalise(demo("SC-001") | {"supervision_phone_en": "x"})  # a phone number has no English
    assert err.value.problems == ["supervision_phone_en: 不是事项的字段 (is not a field of an item)"]

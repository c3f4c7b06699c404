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

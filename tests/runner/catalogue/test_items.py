"""The catalogue's items and versions (runner/catalogue/items.py): references checked, a change a new version."""

from __future__ import annotations

import pytest

from runner.catalogue import items
from runner.catalogue.body import ItemInvalid
from runner.models import AuditEntry
from tests.support.catalogue import demo


def test_references_are_checked_against_deployed_processes_and_windows(services, library):
    raw = demo("SC-001") | {"process": "nope", "window": "mars", "related_windows": ["venus"]}
    with services.transaction() as s, pytest.raises(ItemInvalid) as err:
        items.save_item(s, raw, actor="admin")
    fields = sorted(p.split(":")[0] for p in err.value.problems)
    assert fields == ["process", "related_windows", "window"]


def test_a_change_is_a_new_version_audited_and_equal_content_is_no_change(services, library):
    with services.transaction() as s:
        first = items.save_item(s, demo("SC-001"), actor="admin")
        assert (first.version, first.created) == (1, True)
        again = items.save_item(s, demo("SC-001"), actor="admin")
        assert (again.version, again.changed) == (1, False)
        changed = items.save_item(s, demo("SC-001") | {"promised_days": 8}, actor="designer")
        assert (changed.version, changed.created, changed.changed) == (2, False, True)
        item = items.get_item(s, "SC-001")
        assert [v.version for v in items.versions(s, item)] == [2, 1]
        entries = [
            e for e in s.query(AuditEntry).filter_by(action="catalogue_item_saved").order_by(AuditEntry.id)
        ]
        assert [(e.actor, e.detail["version"]) for e in entries] == [("admin", 1), ("designer", 2)]
        assert entries[1].detail["changed"] == ["promised_days"]

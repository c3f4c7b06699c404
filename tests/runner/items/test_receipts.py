"""Receipt numbers (办件编号): the platform issues them; the counter never gets stuck behind a taken number."""

from __future__ import annotations

import pytest
from sqlalchemy import update

import runner
from runner.items.receipts import MIGRATED_KEY_EXAMPLE, check_migrated_key
from runner.models import ReceiptCounter
from tests.runner.helpers import deploy_file, describe, start


def test_a_number_already_taken_is_skipped_and_the_counter_moves_on(services) -> None:
    deploy_file(services, "review.bpmn")
    keys = [describe(services, start(services, "review"))["business_key"] for _ in range(2)]
    assert keys == ["2026-000001", "2026-000002"]
    # the counter falls behind the numbers in use (a restored backup, rows copied in by hand, ...)
    with services.transaction() as s:
        s.execute(update(ReceiptCounter).values(last=0))
    assert describe(services, start(services, "review"))["business_key"] == "2026-000003"
    assert describe(services, start(services, "review"))["business_key"] == "2026-000004"


def test_a_migrated_item_keeps_its_number_in_the_documented_format(services) -> None:
    deploy_file(services, "review.bpmn")
    with services.transaction() as s:
        instance = runner.start(s, "review", actor="hall", business_key="HALL-2025-000123")
        assert instance.business_key == "HALL-2025-000123"
    # the platform's own numbers are untouched by it
    assert describe(services, start(services, "review"))["business_key"] == "2026-000001"
    with pytest.raises(runner.DuplicateBusinessKey), services.transaction() as s:
        runner.start(s, "review", actor="hall", business_key="HALL-2025-000123")


@pytest.mark.parametrize(
    "key",
    [
        "2026-000004",  # the counter's own range
        "2026-1",
        "../../etc/passwd",
        "<script>alert(1)</script>",
        "HALL-" + "1" * 5000,
        "HALL-1\r\nX-Injected: 1",
        "HALL-1\x00",
        "hall-1",  # the prefix is upper case
        "HALL-",
        "HALL 1",
        "=HYPERLINK(1)",
        "",
    ],
)
def test_keys_outside_the_migration_format_are_refused(services, key: str) -> None:
    with pytest.raises(runner.InvalidInput) as info:
        check_migrated_key(key)
    assert "办件编号" in info.value.message and MIGRATED_KEY_EXAMPLE in info.value.message

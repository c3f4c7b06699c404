"""The cost of a start: an item inserted in this transaction has no timer rows yet, so its first save reads none
(the engine's pending or unarmed timers, the warning rules' timers) — and still writes all of them."""

from __future__ import annotations

import pytest
from sqlalchemy import update

import runner
from runner.models import ReceiptCounter
from runner.people.directory import create_user
from runner.timekeeping.deadlines import refresh_deadline
from tests.runner.helpers import deploy_file, start
from tests.support.flow import deploy_library, describe, local
from tests.support.statements import statements
from tests.support.year_end import needs_2027

PEOPLE = {"applicant": "王五", "old_office": "某市社保局"}


def reads_of_timers(seen: list[str]) -> list[str]:
    return [s for s in seen if s.upper().startswith("SELECT") and " FROM timers" in s]


@pytest.fixture
def transfer(services) -> None:
    deploy_library(services, "block_correction.bpmn", "block_refusal.bpmn", "shebao_transfer.bpmn")
    with services.transaction() as s:
        runner.seed_warning_rules(s)


def _start(services, db_engine) -> tuple[int, list[str]]:
    with statements(db_engine) as seen, services.transaction() as s:
        iid = runner.start(s, "shebao_transfer", actor="clerk", data=dict(PEOPLE)).id
    return iid, seen


def test_a_start_reads_no_timer_rows_and_writes_them_all(services, db_engine, transfer):
    iid, seen = _start(services, db_engine)
    assert reads_of_timers(seen) == [], seen
    timers = describe(services, iid)["timers"]
    kinds = sorted({(t["kind"], t["status"]) for t in timers})
    assert kinds == [("bpmn", "pending"), ("rule", "pending")], timers  # the review limit and the 3 warnings
    assert len([t for t in timers if t["kind"] == "rule"]) == 3
    with services.transaction() as s:
        assert runner.verify_audit(s) == []


def test_a_step_of_the_same_item_in_the_start_transaction_reads_its_rows(services, db_engine, transfer):
    """What is known to be none holds once: a later save in the same transaction (after the rows were written)
    reads them, and keeps one row per timer."""
    with services.transaction() as s:
        instance = runner.start(s, "shebao_transfer", actor="clerk", data=dict(PEOPLE))
        instance.promised_days = (instance.promised_days or 20) + 5
        refresh_deadline(s, instance)
        with statements(db_engine) as seen:
            runner.sync_rule_timers(s, instance)
        iid = instance.id
    assert len(reads_of_timers(seen)) == 1
    rule_timers = [t for t in describe(services, iid)["timers"] if t["kind"] == "rule"]
    assert sorted(t["status"] for t in rule_timers) == ["cancelled"] * 3 + ["pending"] * 3


@pytest.mark.skipif(not needs_2027(), reason="a newer chinesecalendar knows 2027")
def test_a_start_with_timers_pending_on_next_years_calendar_reads_no_timer_rows(
    services, db_engine, clock, transfer
):
    clock.set(local("2026-12-21", "10:00"))
    iid, seen = _start(services, db_engine)
    assert reads_of_timers(seen) == [], seen
    unarmed = [
        (t["kind"], t["pending_year"]) for t in describe(services, iid)["timers"] if t["status"] == "unarmed"
    ]
    assert ("bpmn", 2027) in unarmed and ("rule", 2027) in unarmed


def test_a_start_takes_its_number_in_one_statement(services, db_engine):
    """The statement that advances the counter says whether the number is in use: no look-up of the number."""
    deploy_file(services, "joint.bpmn")
    with services.transaction() as s:
        runner.seed_warning_rules(s)
        create_user(s, "clerk_a", "甲", "Banjian-test-2026!", [("shebao", "clerk")])  # a staffed window
    start(services, "joint_test", data={"lead_window": "shebao"})  # the year's counter row exists now
    with statements(db_engine) as seen, services.transaction() as s:
        iid = runner.start(s, "joint_test", actor="clerk", data={"lead_window": "shebao"}).id
    assert [x for x in seen if x.startswith("SELECT process_instances")] == [], seen
    assert len([x for x in seen if x.startswith("UPDATE receipt_counters")]) == 1
    reads = [x for x in seen if x.startswith("SELECT")]
    assert len(reads) == 3, reads  # the definition, the windows' staffing, the warning rules
    assert describe(services, iid)["business_key"] == "2026-000002"


@pytest.mark.parametrize("last", [999_997, 999_999])
def test_a_number_in_use_is_skipped_with_six_digits_or_more(services, transfer, last: int):
    """The counter's statement formats the number as the platform does (``2026-000123``, ``2026-1000000``)."""
    with services.transaction() as s:
        s.add(ReceiptCounter(year=2026, last=last))
    first = describe(services, start_transfer(services))["business_key"]
    assert first == f"2026-{last + 1:06d}"
    with services.transaction() as s:
        s.execute(update(ReceiptCounter).values(last=last))  # fallen behind (a restored backup)
    assert describe(services, start_transfer(services))["business_key"] == f"2026-{last + 2:06d}"


def start_transfer(services) -> int:
    with services.transaction() as s:
        return runner.start(s, "shebao_transfer", actor="clerk", data=dict(PEOPLE)).id


def test_a_start_on_a_version_routing_to_staffed_windows_reads_no_window_row(services, db_engine):
    """Whether a version still routes to a closed window is answered by the staffing the start asks about
    anyway (a closed window has nobody present): no read of the windows table for staffed windows."""
    deploy_file(services, "review.bpmn")  # its lanes send steps to shebao
    with services.transaction() as s:
        create_user(s, "clerk_a", "甲", "Banjian-test-2026!", [("shebao", "clerk")])
    with statements(db_engine) as seen, services.transaction() as s:
        runner.start(s, "review", actor="clerk")
    assert [x for x in seen if x.startswith("SELECT windows")] == [], seen

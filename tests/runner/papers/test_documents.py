"""Issuing a document within a step (runner/papers/documents.py): the copies of a 联办通知 are numbered in one
INSERT … ON CONFLICT DO NOTHING, a number taken meanwhile moves every copy on to the next numbers, and the step
writes its other changes once, at the commit.

Clock: Mon 2026-09-28 09:00 Asia/Shanghai.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

import runner
from runner.models import AuditEntry, Document
from runner.papers import documents
from runner.people.windows import save_window
from tests.support.flow import deploy_library, start_item, task
from tests.support.joint import FILES as CHAOGAO
from tests.support.statements import statements as statements_of

ACCEPT = {
    "related_windows": ["guotu", "huanbao", "guihua"],
    "review_days": 3,
    "materials_complete": True,
    "materials_list": ["申请书"],
}
# the acceptance step of a 联办件 here (no caller look-up, no form check), BEGIN included
STEP_STATEMENTS = {"sqlite": 23, "postgresql": 18}


def accepted_item(services: Any, actor: str = "clerk_sc") -> int:
    """A 联办件 (抄告制) whose acceptance step issued its 联办通知 to three windows."""
    iid = start_item(services, "lianban_chaogao", {"lead_window": "shichang", "applicant": "张三"})
    with services.transaction() as s:
        runner.complete(s, task(services, iid, "accept")["id"], ACCEPT, actor=actor)
    return iid


def stored_numbers(services: Any) -> list[tuple[int, int, str | None, str]]:
    """(serial, item, addressee, number) of every 联办通知 copy, by serial."""
    with services.transaction() as s:
        rows = s.scalars(select(Document).where(Document.kind == "joint").order_by(Document.serial))
        return [(r.serial, r.instance_id, r.addressee, r.number) for r in rows]


@pytest.fixture
def library(services: Any) -> None:
    deploy_library(services, *CHAOGAO)


def test_the_acceptance_numbers_its_copies_in_one_insert_and_writes_the_rest_at_the_commit(
    services: Any, db_engine: Any, library: None
) -> None:
    iid = start_item(services, "lianban_chaogao", {"lead_window": "shichang", "applicant": "张三"})
    accept = task(services, iid, "accept")["id"]
    with statements_of(db_engine) as sent, services.transaction() as s:
        runner.complete(s, accept, ACCEPT, actor="clerk_sc")
    assert not [q for q in sent if q.startswith(("SAVEPOINT", "RELEASE"))], sent  # no savepoint per copy
    inserted = next(i for i, q in enumerate(sent) if q.startswith("INSERT INTO documents"))
    assert "ON CONFLICT (kind, year, serial) DO NOTHING RETURNING" in sent[inserted]
    # the step up to its documents: the task read, then the copies issued already (none), the names of all the
    # windows in one read, the numbering lock (PostgreSQL), the last number and one insert — nothing written
    # before it (the step's writes, the item row and its audit entries among them, go out once at the commit)
    lock = ["WITH item AS MATERIALIZED"] if db_engine.dialect.name == "postgresql" else []
    expected = [
        "SELECT open_tasks",
        "SELECT documents",
        "SELECT windows",
        *lock,
        "SELECT max(documents.serial)",
    ]
    before = [q for q in sent[:inserted] if not q.startswith("BEGIN")]
    assert [q for q, start in zip(before, expected, strict=True) if not q.startswith(start)] == [], before
    assert len(sent) <= STEP_STATEMENTS[db_engine.dialect.name], "\n".join(q[:100] for q in sent)
    assert [c[2] for c in stored_numbers(services)] == ["guotu", "huanbao", "guihua"]


def test_a_number_taken_meanwhile_moves_every_copy_to_the_next_numbers(
    services: Any, library: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = accepted_item(services)  # 联字 1–3
    real = documents._next_serial
    stale = iter([3])  # the first read of the second issue is stale: a concurrent issue took 3 since

    def next_serial(session: Any, kind: str, year: int) -> int:
        return next(stale, None) or real(session, kind, year)

    monkeypatch.setattr(documents, "_next_serial", next_serial)
    second = accepted_item(services)  # tries 3–5: 3 is taken, 4 and 5 stored, taken back, then 4–6
    numbers = stored_numbers(services)
    assert [n[0] for n in numbers] == [1, 2, 3, 4, 5, 6]  # unique and without a gap
    assert [(n[1], n[2]) for n in numbers[3:]] == [(second, "guotu"), (second, "huanbao"), (second, "guihua")]
    assert {n[1] for n in numbers[:3]} == {first}
    assert [n[3] for n in numbers[3:]] == [f"联字〔2026〕第00000{i}号" for i in (4, 5, 6)]
    with services.transaction() as s:
        copies = documents.copies(s, second, "joint")
        assert [c.content["number"] for c in copies] == [c.number for c in copies]
        issued = s.scalars(
            select(AuditEntry).where(AuditEntry.instance_id == second, AuditEntry.action == "document_issued")
        ).all()
        # each audit entry names a copy that is there, under its number
        assert [(e.detail["document"], e.detail["number"]) for e in issued] == [
            (c.id, c.number) for c in copies
        ]
        assert runner.verify_audit(s) == []


def test_a_number_taken_after_the_first_copy_moves_every_copy_too(
    services: Any, library: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    accepted_item(services)  # 联字 1–3
    real = documents._next_serial
    stale = iter([2])  # tries 2–4: 2 and 3 taken, 4 stored and taken back; then 4–6

    def next_serial(session: Any, kind: str, year: int) -> int:
        return next(stale, None) or real(session, kind, year)

    monkeypatch.setattr(documents, "_next_serial", next_serial)
    second = accepted_item(services)
    numbers = stored_numbers(services)
    assert [n[0] for n in numbers] == [1, 2, 3, 4, 5, 6]
    assert [n[1] for n in numbers[3:]] == [second] * 3


def test_the_copies_name_a_window_renamed_earlier_in_the_same_transaction(
    services: Any, library: None
) -> None:
    iid = start_item(services, "lianban_chaogao", {"lead_window": "shichang", "applicant": "张三"})
    accept = task(services, iid, "accept")["id"]
    with services.transaction() as s:
        assert "国土资源窗口" in {w.name for w in runner.list_windows(s)}  # listed, kept for the transaction
        save_window(s, "guotu", "自然资源窗口", actor="admin")
        runner.complete(s, accept, ACCEPT, actor="clerk_sc")
    with services.transaction() as s:
        copies = documents.copies(s, iid, "joint")
        names = [c.content["addressee"]["name"] for c in copies]
    assert names[0] == "自然资源窗口"


def _item_row_locked(db_engine: Any, iid: int) -> bool:
    with db_engine.connect() as probe:
        try:
            probe.execute(
                text("SELECT id FROM process_instances WHERE id = :i FOR UPDATE NOWAIT"), {"i": iid}
            )
        except OperationalError:
            return True
        probe.rollback()
        return False


def test_a_step_locks_its_item_before_it_waits_for_numbering(
    services: Any, db_engine: Any, library: None
) -> None:
    """The order every writer takes them in (the timer sweep claims its items first): the item's row, then
    numbering — a step waiting for numbering holds its item, never the other way round."""
    if db_engine.dialect.name != "postgresql":
        pytest.skip("the numbering lock is a PostgreSQL advisory lock; SQLite writes one at a time")
    iid = start_item(services, "lianban_chaogao", {"lead_window": "shichang", "applicant": "张三"})
    accept = task(services, iid, "accept")["id"]
    failed: list[BaseException] = []

    def step() -> None:
        try:
            with services.transaction() as s:
                runner.complete(s, accept, ACCEPT, actor="clerk_sc")
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            failed.append(exc)

    with db_engine.connect() as numbering:  # another issue holds numbering
        numbering.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": documents._NUMBERING_LOCK})
        worker = threading.Thread(target=step)
        worker.start()
        deadline, locked = time.monotonic() + 10, False
        while not locked and time.monotonic() < deadline:
            locked = _item_row_locked(db_engine, iid)
            time.sleep(0.02)
        assert worker.is_alive()  # still waiting for numbering, its item's row held
        numbering.rollback()
    worker.join(10)
    assert locked and not failed and not worker.is_alive()
    assert [c[2] for c in stored_numbers(services)] == ["guotu", "huanbao", "guihua"]


@pytest.mark.parametrize(
    ("data", "received", "tolerated", "missing"),
    [
        ({"missing_materials": ["b"], "tolerated_materials": ["c"]}, ["a"], ["c"], ["b"]),
        ({"missing_materials": ["b"], "correction_result": "complete"}, ["a", "b", "c"], [], []),
        ({"tolerated_materials": ["c"], "tolerance_outcome": "supplied"}, ["a", "b", "c"], [], []),
    ],
)
def test_an_item_without_an_intake_record_counts_what_its_blocks_say_arrived(
    services, library, data, received, tolerated, missing
):
    """Without a counter's record the item's data says what is missing or owed, until its 补正 block found the
    corrected materials complete or its 容缺 block had them supplied."""
    iid = start_item(services, "lianban_chaogao", {"lead_window": "shichang", "applicant": "张三"})
    with services.transaction() as s:
        listed = documents.materials_as_received(
            s, runner.get_instance(s, iid), {"materials_list": ["a", "b", "c"], **data}
        )
    assert listed["materials"] == received
    assert [t["name"] for t in listed["tolerated"]] == tolerated and listed["not_received"] == missing

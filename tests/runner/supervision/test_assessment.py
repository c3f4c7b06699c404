"""申诉 decisions (runner.supervision.assessment): the supervision office upholds or rejects what a window
head filed against one line of a scheme's result (runner.supervision.assessment_schemes.appeals); audited;
listed for the console.

The month of tests/support/supervision.py (worked out by hand there and in assessment_schemes/test_scoring.py): under
窗口单位考核实施细则 centre loses −5 × 5 late working days in October (A: 10-19, 10-20; D: 10-22, 10-23, 10-26).
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

import runner
from runner.models import AuditEntry
from runner.supervision import assessment
from runner.supervision.assessment_schemes import appeals, periods, scoring, store
from tests.support.supervision import october

OCT = periods.month_of(date(2026, 10, 1))


@pytest.fixture
def people(services, clock):
    from tests.support.flow import library_windows

    with services.transaction() as s:
        runner.upsert_windows(s, library_windows())
        for user, membership in (("centre_head", ("centre", "window_head")), ("centre_clerk", ("centre", "clerk")),
                                 ("guihua_head", ("guihua", "window_head")),
                                 ("supervisor", ("supervision", "supervisor"))):  # fmt: skip
            runner.people.directory.create_user(s, user, user, "banjian2026", [membership])
        store.seed_schemes(s)


def centre(services) -> scoring.Score:
    with services.transaction() as s:
        return scoring.score_period(s, store.scheme_for(s, "window_rules_001", OCT.first), OCT).scores[
            "centre"
        ]


def file(services, iid: int, actor: str = "centre_head", **more):
    with services.transaction() as s:
        return appeals.file_appeal(
            s, **{"scheme_code": "window_rules_001", "rule_code": "late_day", "subject": "centre",
                  "event_subject": f"instance:{iid}", "span": OCT, "reason": "申请人要求暂缓办理", "actor": actor,
                  **more},
        ).id  # fmt: skip


def test_upheld_removes_exactly_that_line_rejected_keeps_it(services, clock, people) -> None:
    month = october(services, clock)
    upheld, rejected = file(services, month.d), file(services, month.a)
    assert centre(services).score == 75  # open appeals change nothing yet
    with services.transaction() as s:
        runner.decide_appeal(
            s, upheld, upheld=True, decision="有申请人书面材料，理由成立", actor="supervisor"
        )
        runner.decide_appeal(s, rejected, upheld=False, decision="未提供材料", actor="supervisor")
    score = centre(services)
    assert score.score == 75 + 15  # D's three late days no longer count; A's two still do
    assert {(ln.subject, ln.appeal_status, ln.counted) for ln in score.lines} == {
        (f"instance:{month.a}", "rejected", True), (f"instance:{month.d}", "upheld", False),
    }  # fmt: skip
    with services.transaction() as s, pytest.raises(runner.Conflict):
        runner.decide_appeal(s, upheld, upheld=False, decision="再议", actor="supervisor")
    with services.transaction() as s:
        rows = s.scalars(select(AuditEntry).where(AuditEntry.action.like("appeal_%")).order_by(AuditEntry.id))
        trail = [(r.action, r.actor, r.detail.get("status")) for r in rows]
    assert trail[-2:] == [
        ("appeal_decided", "supervisor", "upheld"),
        ("appeal_decided", "supervisor", "rejected"),
    ]


def test_only_the_supervision_office_decides_and_the_console_lists(services, clock, people) -> None:
    month = october(services, clock)
    appeal_id = file(services, month.a)
    for actor in ("centre_head", "centre_clerk", "guihua_head"):
        with services.transaction() as s, pytest.raises(runner.PermissionDenied):
            runner.decide_appeal(s, appeal_id, upheld=True, decision="同意", actor=actor)
    with services.transaction() as s, pytest.raises(runner.InvalidInput):
        runner.decide_appeal(s, appeal_id, upheld=True, decision=" ", actor="supervisor")
    with services.transaction() as s, pytest.raises(runner.NotFound):
        runner.decide_appeal(s, appeal_id + 99, upheld=True, decision="同意", actor="supervisor")
    with services.transaction() as s:
        assert assessment.open_appeal_count(s) == 1
        assert [a.id for a in assessment.list_appeals(s, windows={"guihua"})] == []
        assert [a.id for a in assessment.list_appeals(s, windows={"centre"}, status="open")] == [appeal_id]
        assert [a.id for a in assessment.list_appeals(s, window="centre")] == [appeal_id]

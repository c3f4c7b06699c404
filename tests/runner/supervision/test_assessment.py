"""考核 points (runner.supervision.assessment): the rule table, deductions with their subjects, appeals and decisions.

The month of tests/support/supervision.py (worked out by hand there): in October 2026 centre loses −2 for A
completed late, −5 × 2 for A's late working days 10-19 and 10-20, −5 × 3 for D's 10-22, 10-23 and 10-26;
guihua is deemed to assent on 10-08 (that rule is off by default).
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

import runner
from runner.models import AssessmentRule, AuditEntry
from runner.supervision import assessment
from tests.support.flow import describe
from tests.support.supervision import october

OCT = (date(2026, 10, 1), date(2026, 10, 31))


@pytest.fixture
def people(services, clock):
    from tests.support.flow import library_windows

    with services.transaction() as s:
        runner.upsert_windows(s, library_windows())
        runner.people.directory.create_user(
            s, "centre_head", "中心窗口负责人", "banjian2026", [("centre", "window_head")]
        )
        runner.people.directory.create_user(
            s, "guihua_head", "规划负责人", "banjian2026", [("guihua", "window_head")]
        )
        runner.people.directory.create_user(
            s, "centre_clerk", "中心窗口", "banjian2026", [("centre", "clerk")]
        )
        runner.people.directory.create_user(
            s, "supervisor", "督查股", "banjian2026", [("supervision", "supervisor")]
        )
        runner.seed_assessment_rules(s)


def compute(services, start: date = OCT[0], end: date = OCT[1], window: str | None = None):
    with services.transaction() as s:
        return runner.compute_assessment(s, start, end, window=window)


def summary(result: assessment.Assessment) -> list[tuple[str, str, str, int, int]]:
    return sorted((d.window, d.rule_code, d.subject, d.units, d.points) for d in result.deductions)


def audit_actions(services, prefix: str) -> list[tuple[str, str, dict]]:
    with services.transaction() as s:
        rows = s.scalars(
            select(AuditEntry).where(AuditEntry.action.like(f"{prefix}%")).order_by(AuditEntry.id)
        )
        return [(r.action, r.actor, r.detail) for r in rows]


def test_default_rules_are_seeded_once_and_audited(services, people) -> None:
    with services.transaction() as s:
        assert runner.seed_assessment_rules(s) == []  # already there
        rules = {r.code: (r.event, r.unit, r.points, r.active) for r in assessment.list_rules(s)}
    assert rules == {
        "late_completion": ("late_completion", "item", -2, True),
        "late_working_day": ("late_working_day", "working_day", -5, True),
        "verified_complaint": ("verified_complaint", "event", -5, True),
        "deemed_assent": ("deemed_assent", "event", -2, False),
        "red_card": ("warning:red", "event", -1, False),
    }
    assert [a for a, _, _ in audit_actions(services, "assessment_rule")] == ["assessment_rule_created"] * 5


def test_deductions_name_their_subject_and_are_rerunnable(services, clock, people) -> None:
    month = october(services, clock)
    first = compute(services)
    assert summary(first) == [
        ("centre", "late_completion", f"instance:{month.a}", 1, -2),
        ("centre", "late_working_day", f"instance:{month.a}", 2, -10),
        ("centre", "late_working_day", f"instance:{month.d}", 3, -15),
    ]
    assert first.totals == {"centre": -27}
    # newest first; the working-day deduction is dated by its last counted day
    assert [(d.subject, d.rule_code, d.occurred_on) for d in first.deductions] == [
        (f"instance:{month.d}", "late_working_day", date(2026, 10, 26)),
        (f"instance:{month.a}", "late_working_day", date(2026, 10, 20)),
        (f"instance:{month.a}", "late_completion", date(2026, 10, 20)),
    ]
    # a pure function of the stored rows: the same answer again, and again a week later for October
    assert summary(compute(services)) == summary(first)
    # by Mon 11-02, D is late on 10-27..10-30 too (4 more working days in October)
    from tests.support.flow import local

    clock.set(local("2026-11-02", "10:00"))
    assert compute(services).totals == {"centre": -27 - 20}
    assert compute(services, date(2026, 11, 1), date(2026, 11, 30)).totals == {"centre": -5}  # Mon 11-02
    assert compute(services, window="shichang").deductions == []
    with pytest.raises(runner.InvalidInput):
        compute(services, OCT[1], OCT[0])


def test_rule_table_changes_the_points(services, clock, people) -> None:
    month = october(services, clock)
    with services.transaction() as s:
        ids = {r.code: r.id for r in assessment.list_rules(s)}
        assessment.save_rule(
            s, actor="supervisor", rule_id=ids["deemed_assent"], code="deemed_assent", event="deemed_assent",
            points=-3, active=True, note="协办窗口未按时答复",
        )  # fmt: skip
        assessment.save_rule(
            s, actor="supervisor", rule_id=ids["late_working_day"], code="late_working_day",
            event="late_working_day", points=-5, item_kind="联办件", active=True,
        )  # fmt: skip
        assessment.save_rule(
            s, actor="admin", code="notice_warning", event="warning:notice", points=-1, active=True, note="试行"
        )  # fmt: skip
    result = compute(services)
    # late working days now only for joint items (none late); the deemed assent costs guihua 3;
    # centre's two 提示 warnings (A on 10-15, D on 10-20) cost 1 each
    assert result.totals == {"centre": -2 - 2, "guihua": -3}
    [deemed] = result.for_window("guihua")
    assert (deemed.rule_code, deemed.occurred_on, deemed.units, deemed.points) == (
        "deemed_assent",
        date(2026, 10, 8),
        1,
        -3,
    )
    assert deemed.detail.startswith("默认议定（timeout）")
    assert deemed.business_key == describe(services, month.c)["business_key"]
    assert deemed.subject.startswith("accountability:")
    notices = [d for d in result.for_window("centre") if d.rule_code == "notice_warning"]
    assert sorted(d.occurred_on for d in notices) == [date(2026, 10, 15), date(2026, 10, 20)]
    assert all(d.subject.startswith("warning:") and d.points == -1 for d in notices)
    assert f"instance:{month.a}" in {d.subject for d in result.deductions}
    changes = audit_actions(services, "assessment_rule_")
    assert [(a, who) for a, who, _ in changes[-3:]] == [
        ("assessment_rule_changed", "supervisor"),
        ("assessment_rule_changed", "supervisor"),
        ("assessment_rule_created", "admin"),
    ]
    assert changes[-3][2]["before"]["points"] == -2 and changes[-3][2]["points"] == -3
    assert changes[-2][2]["item_kind"] == "joint"  # 联办件 stored as its code


def test_bad_rules_are_refused_with_the_field(services, people) -> None:
    cases = [
        ({"event": "coffee_break"}, "event"),
        ({"points": "many"}, "points"),
        ({"points": -500}, "points"),
        ({"code": ""}, "code"),
        ({"code": "late_completion"}, "code"),  # the code of another rule
    ]
    for overrides, field in cases:
        fields = {"code": "x1", "event": "late_completion", "points": -1, **overrides}
        with pytest.raises(runner.RunnerError) as err, services.transaction() as s:
            assessment.save_rule(s, actor="admin", **fields)
        assert err.value.context.get("field") == field, overrides


def test_appeal_upheld_removes_exactly_that_deduction(services, clock, people) -> None:
    month = october(services, clock)
    subject = f"instance:{month.d}"
    with services.transaction() as s:
        appeal = runner.file_appeal(
            s, window="centre", rule_code="late_working_day", subject=subject,
            reason="申请人要求暂缓办理，有书面申请", actor="centre_head", start=OCT[0], end=OCT[1],
        )  # fmt: skip
        appeal_id = appeal.id
        assert (appeal.points, appeal.status) == (-15, "open")
    pending = compute(services)
    assert pending.totals == {"centre": -27}  # an open appeal changes nothing yet
    assert {d.subject: d.appeal_status for d in pending.deductions if d.rule_code == "late_working_day"} == {
        f"instance:{month.a}": None,
        subject: "open",
    }
    with services.transaction() as s:
        runner.decide_appeal(
            s, appeal_id, upheld=True, decision="有申请人书面材料，理由成立", actor="supervisor"
        )
    decided = compute(services)
    assert decided.totals == {"centre": -12}
    [excused] = [d for d in decided.deductions if d.subject == subject]
    assert (excused.appeal_status, excused.counted, excused.points) == ("upheld", False, -15)
    # the late completion of A and its late days are untouched; so is D in another period
    assert compute(services, date(2026, 10, 26), date(2026, 10, 26)).totals == {}
    with services.transaction() as s, pytest.raises(runner.Conflict):
        runner.decide_appeal(s, appeal_id, upheld=False, decision="再议", actor="supervisor")
    with services.transaction() as s, pytest.raises(runner.Conflict):
        runner.file_appeal(
            s, window="centre", rule_code="late_working_day", subject=subject, reason="再次申诉",
            actor="centre_head", start=OCT[0], end=OCT[1],
        )  # fmt: skip
    trail = audit_actions(services, "appeal_")
    assert [(a, who) for a, who, _ in trail] == [
        ("appeal_filed", "centre_head"),
        ("appeal_decided", "supervisor"),
    ]
    assert trail[1][2]["status"] == "upheld" and trail[0][2]["subject"] == subject


def test_rejected_appeal_keeps_the_deduction(services, clock, people) -> None:
    month = october(services, clock)
    with services.transaction() as s:
        appeal_id = runner.file_appeal(
            s, window="centre", rule_code="late_completion", subject=f"instance:{month.a}",
            reason="系统故障", actor="centre_head", start=OCT[0], end=OCT[1],
        ).id  # fmt: skip
        runner.decide_appeal(s, appeal_id, upheld=False, decision="未提供故障记录", actor="supervisor")
    result = compute(services)
    assert result.totals == {"centre": -27}
    assert [d.appeal_status for d in result.deductions if d.rule_code == "late_completion"] == ["rejected"]


def test_only_the_window_head_appeals_and_only_the_supervisor_decides(services, clock, people) -> None:
    month = october(services, clock)
    base = {"rule_code": "late_completion", "subject": f"instance:{month.a}", "reason": "理由", "start": OCT[0],
            "end": OCT[1]}  # fmt: skip
    for actor, window in [("guihua_head", "centre"), ("centre_clerk", "centre"), ("supervisor", "centre")]:
        with services.transaction() as s, pytest.raises(runner.PermissionDenied):
            runner.file_appeal(s, window=window, actor=actor, **base)
    with services.transaction() as s, pytest.raises(runner.NotFound):  # not a deduction of guihua's
        runner.file_appeal(s, window="guihua", actor="guihua_head", **base)
    with services.transaction() as s, pytest.raises(runner.NotFound):  # not in September
        runner.file_appeal(s, window="centre", actor="centre_head", **{**base, "start": date(2026, 9, 1),
                                                                         "end": date(2026, 9, 30)})  # fmt: skip
    with services.transaction() as s, pytest.raises(runner.InvalidInput):
        runner.file_appeal(s, window="centre", actor="centre_head", **{**base, "reason": "  "})
    with services.transaction() as s:
        appeal_id = runner.file_appeal(s, window="centre", actor="centre_head", **base).id
    for actor in ("centre_head", "centre_clerk"):
        with services.transaction() as s, pytest.raises(runner.PermissionDenied):
            runner.decide_appeal(s, appeal_id, upheld=True, decision="同意", actor=actor)
    with services.transaction() as s, pytest.raises(runner.InvalidInput):
        runner.decide_appeal(s, appeal_id, upheld=True, decision=" ", actor="supervisor")
    with services.transaction() as s:
        assert assessment.open_appeal_count(s) == 1
        assert [a.id for a in assessment.list_appeals(s, windows={"guihua"})] == []
        assert [a.id for a in assessment.list_appeals(s, windows={"centre"}, status="open")] == [appeal_id]
    assert compute(services).totals == {"centre": -27}


def test_rule_rows_survive_a_second_seed(services, people) -> None:
    with services.transaction() as s:
        row = s.scalars(select(AssessmentRule).where(AssessmentRule.code == "late_completion")).one()
        assessment.save_rule(s, actor="admin", rule_id=row.id, code=row.code, event=row.event, points=-4)
        s.delete(s.scalars(select(AssessmentRule).where(AssessmentRule.code == "red_card")).one())
    with services.transaction() as s:
        made = runner.seed_assessment_rules(s)
        assert [r.code for r in made] == ["red_card"]
        assert (
            s.scalars(select(AssessmentRule.points).where(AssessmentRule.code == "late_completion")).one()
            == -4
        )


def test_cli_seed_creates_the_default_assessment_rules(services, database_url, tmp_path, monkeypatch, capsys):
    import json

    from runner.cli import main

    path = tmp_path / "windows.json"
    path.write_text(json.dumps({"windows": [{"code": "centre", "name": "中心窗口"}]}), encoding="utf-8")
    monkeypatch.setenv("BANJIAN_DATABASE_URL", database_url)
    assert main(["seed", "--windows", str(path), "--no-demo-users"]) == 0
    assert "考核 rules: 5 new" in capsys.readouterr().out
    assert main(["seed", "--windows", str(path), "--no-demo-users"]) == 0
    assert "考核 rules: already there" in capsys.readouterr().out
    with services.transaction() as s:
        assert [(r.code, r.points, r.active) for r in assessment.list_rules(s)][:3] == [
            ("late_completion", -2, True),
            ("late_working_day", -5, True),
            ("verified_complaint", -5, True),
        ]

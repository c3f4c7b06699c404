"""考核 schemes (runner.supervision.assessment_schemes) against hand-computed months.

The month is tests/support/supervision.py (clock ends Mon 2026-10-26 10:00), worked out by hand there:
- A (承诺件, centre, deadline end of Fri 10-16): decision and notice on Tue 10-20 → late 10-19, 10-20;
  every step of A was done by ``clerk``; the supervision office closes its 督办 task the same day.
- B (承诺件, centre, promised 10, deadline end of Wed 10-21): decided Fri 10-09 → 9 of 10 working days
  left (10-10 is a make-up Saturday): 90 % early.
- C (联办件, lead shichang, promised 15, deadline end of Fri 10-23): decided Mon 10-12 → 9 of 15 left: 60 %
  early; guotu and huanbao answered, guihua stayed silent → deemed assent against guihua on 10-08.
- D (承诺件, centre, deadline end of Wed 10-21): still open on 10-26 and nobody claimed its step → late 10-22,
  10-23, 10-26 (window only: no clerk held it).
"""

from __future__ import annotations

from datetime import date

import pytest

import runner
from runner.supervision.assessment_schemes import periods, scoring, store
from tests.support.supervision import october

OCT = periods.month_of(date(2026, 10, 1))


@pytest.fixture
def staffed(services, clock):
    from tests.support.flow import library_windows

    with services.transaction() as s:
        runner.upsert_windows(s, library_windows())
        for user, window in (("clerk", "centre"), ("shichang_clerk", "shichang"), ("guotu_clerk", "guotu"),
                             ("huanbao_clerk", "huanbao"), ("guihua_clerk", "guihua")):  # fmt: skip
            runner.people.directory.create_user(s, user, user, "banjian2026", [(window, "clerk")])
        runner.people.directory.create_user(
            s, "centre_head", "中心窗口负责人", "banjian2026", [("centre", "window_head")]
        )
        runner.people.directory.create_user(
            s, "supervisor", "督查股", "banjian2026", [("supervision", "supervisor")]
        )
        store.seed_schemes(s)


def result(services, code: str, span: periods.Span = OCT) -> scoring.SchemeResult:
    with services.transaction() as s:
        return scoring.score_period(s, store.scheme_for(s, code, span.first), span)


def points(res: scoring.SchemeResult) -> dict[str, float]:
    return {k: v.score for k, v in res.scores.items()}


def test_window_rules_october_by_hand(services, clock, staffed) -> None:
    october(services, clock)
    res = result(services, "window_rules_001")
    # centre: −5 × 5 late working days (A: 10-19, 10-20; D: 10-22, 10-23, 10-26); guihua: deemed assent −2;
    # guotu and huanbao: C decided 60 % early → +2 each as its related windows; shichang (lead): nothing
    assert points(res) == {"centre": 75, "shichang": 100, "guotu": 102, "huanbao": 102, "guihua": 98}
    centre = res.scores["centre"]
    assert [(ln.rule_code, ln.day.isoformat()) for ln in centre.lines] == [
        ("late_day", "2026-10-19"), ("late_day", "2026-10-20"), ("late_day", "2026-10-22"),
        ("late_day", "2026-10-23"), ("late_day", "2026-10-26"),
    ]  # fmt: skip
    assert {g: res.scores[g].grade for g in ("centre", "shichang", "guihua")} == {
        "centre": "合格", "shichang": "优秀", "guihua": "优秀",
    }  # fmt: skip


def test_best_window_october_by_hand(services, clock, staffed) -> None:
    october(services, clock)
    res = result(services, "best_window_001")
    # centre: −3 × 5 late days, +8 for B (90 % early) → 93; shichang: +8 for C (60 % early) → 108
    assert points(res) == {"centre": 93, "shichang": 108, "guotu": 100, "huanbao": 100, "guihua": 100}
    # 5 windows assessed, 20 % → 1 best window: shichang
    assert [s.subject for s in res.scores.values() if s.awarded] == ["shichang"]


def test_staff_october_by_hand(services, clock, staffed) -> None:
    october(services, clock)
    res = result(services, "staff_001")
    # clerk held A on its late days 10-19 and 10-20: 绩 −3 × 2; nobody held D's open step
    assert res.scores["clerk"].score == 94
    assert res.scores["clerk"].grade == "优秀"
    assert res.scores["shichang_clerk"].score == 100
    assert [(ln.section, ln.rule_code, ln.points) for ln in res.scores["clerk"].lines] == [
        ("ji", "late_day", -3),
        ("ji", "late_day", -3),
    ]


def _late_across_month_end(services, clock) -> int:
    """A 承诺件 accepted Thu 10-15 (deadline end of Thu 10-29); ``li`` reviews on Mon 11-02, ``clerk`` decides
    and notifies on Wed 11-04; the supervision office leaves its 督办 task open until after 11-20."""
    from tests.support.flow import advance_to, complete, deploy_library, local, start_item, task
    from tests.support.supervision import LIBRARY, accept_chengnuo

    deploy_library(services, *LIBRARY)
    clock.set(local("2026-10-15", "09:00"))
    iid = start_item(services, "chengnuo", {"applicant": "戊"})
    accept_chengnuo(services, iid)
    advance_to(services, clock, local("2026-11-02", "10:00"))
    complete(
        services, task(services, iid, "review")["id"], {"needs_survey": False, "review_opinion": "可"}, "li"
    )
    advance_to(services, clock, local("2026-11-04", "15:00"))
    complete(services, task(services, iid, "decide")["id"], {"approved": True, "decision_no": "许1"})
    complete(services, task(services, iid, "notify")["id"], {"delivery": "窗口领取"})
    advance_to(services, clock, local("2026-11-20", "10:00"))
    assert task(services, iid, "supervision_review")  # still open: the item is still running
    return iid


def test_lateness_ends_at_the_decision_and_is_charged_day_by_day(services, clock, staffed) -> None:
    with services.transaction() as s:
        runner.people.directory.create_user(s, "li", "李", "banjian2026", [("centre", "clerk")])
    iid = _late_across_month_end(services, clock)
    nov = periods.month_of(date(2026, 11, 1))
    # late 10-30 (October), 11-02, 11-03, 11-04 (November); nothing after the decision on 11-04
    oct_res, nov_res = result(services, "window_rules_001"), result(services, "window_rules_001", nov)
    assert [ln.day.isoformat() for ln in oct_res.scores["centre"].lines] == ["2026-10-30"]
    assert [ln.day.isoformat() for ln in nov_res.scores["centre"].lines] == [
        "2026-11-02",
        "2026-11-03",
        "2026-11-04",
    ]
    assert (oct_res.scores["centre"].score, nov_res.scores["centre"].score) == (95, 85)
    assert (
        result(services, "window_rules_001", periods.month_of(date(2026, 12, 1))).scores["centre"].lines == []
    )
    # staff: li held it on 10-30 and 11-02 (reviewed 11-02), clerk on 11-03 and 11-04 (decided 11-04)
    staff_oct, staff_nov = result(services, "staff_001"), result(services, "staff_001", nov)
    assert (staff_oct.scores["li"].score, staff_nov.scores["li"].score, staff_nov.scores["clerk"].score) == (
        97,
        97,
        94,
    )
    # the per-item rule (county: 超时限办结 takes away the quarter's award) is dated by the decision
    q4 = result(services, "county_004", periods.quarter_of(date(2026, 10, 1)))
    late = [ln for ln in q4.scores["centre"].lines if ln.rule_code == "late_item"]
    assert [(ln.subject, ln.day.isoformat()) for ln in late] == [(f"instance:{iid}", "2026-11-04")]
    assert q4.scores["centre"].disqualified and not q4.scores["centre"].awarded


def _enter(
    services, code: str, rule: str, subject: str, day: str, n: int = 1, points=None, actor="supervisor"
):
    from runner.supervision.assessment_schemes import entries

    with services.transaction() as s:
        return [
            entries.enter(s, actor=actor, scheme_code=code, rule_code=rule, subject=subject,
                          occurred_on=date.fromisoformat(day), points=points, note=f"{rule} {i}").id
            for i in range(n)
        ]  # fmt: skip


def test_entered_rules_caps_and_the_floor(services, clock, staffed) -> None:
    from tests.support.flow import local

    clock.set(local("2026-10-30", "10:00"))
    # staff: 勤 (20, 扣完为止): 旷工 −5 × 5 = −25 stops at −20; 德: a thank-you letter +2 → 82
    _enter(services, "staff_001", "truancy", "guotu_clerk", "2026-10-12", 5)
    _enter(services, "staff_001", "thank_letter", "guotu_clerk", "2026-10-13")
    res = result(services, "staff_001")
    guotu = res.scores["guotu_clerk"]
    qin = next(s for s in guotu.sections if s.code == "qin")
    assert (qin.raw_deducted, qin.deducted, qin.capped) == (-25, -20, True)
    assert (guotu.score, guotu.grade) == (82, "称职")
    # window: every capped section emptied (−60, −20, −20) and a city-level criticism (−6, not capped) → −6,
    # shown as the floor 0
    _enter(services, "window_rules_001", "no_legal_basis", "huanbao", "2026-10-14", 13)
    _enter(services, "window_rules_001", "graft", "huanbao", "2026-10-14", 2)
    _enter(services, "window_rules_001", "unattended", "huanbao", "2026-10-15", 4)
    _enter(services, "window_rules_001", "media_criticism", "huanbao", "2026-10-16", points=-6)
    huanbao = result(services, "window_rules_001").scores["huanbao"]
    assert (huanbao.total, huanbao.score, huanbao.floored, huanbao.grade) == (-6, 0, True, "不合格")
    assert [s.deducted for s in huanbao.sections] == [-60, -20, -20, -6]


def test_entering_is_checked(services, clock, staffed) -> None:
    from tests.support.flow import local

    clock.set(local("2026-10-30", "10:00"))
    with pytest.raises(runner.PermissionDenied):
        _enter(services, "staff_001", "truancy", "clerk", "2026-10-12", actor="clerk")
    with pytest.raises(runner.InvalidInput):  # computed from events, not entered
        _enter(services, "staff_001", "late_day", "clerk", "2026-10-12")
    with pytest.raises(runner.InvalidInput):  # 区级 3 … 国家级 12
        _enter(services, "staff_001", "media_praise", "clerk", "2026-10-12", points=15)
    with pytest.raises(runner.InvalidInput):  # not in the future
        _enter(services, "staff_001", "truancy", "clerk", "2026-11-02")
    with pytest.raises(runner.NotFound):
        _enter(services, "staff_001", "truancy", "nobody", "2026-10-12")
    from runner.supervision.assessment_schemes import entries

    with services.transaction() as s, pytest.raises(runner.InvalidInput):  # a path, not a stored file's name
        entries.enter(s, actor="supervisor", scheme_code="staff_001", rule_code="thank_letter", subject="clerk",
                      occurred_on=date(2026, 10, 12), attachment={"name": "x.pdf", "sha256": "0" * 64,
                                                                  "storage": "../../etc/passwd"})  # fmt: skip


def test_county_bonus_cap_per_quarter(services, clock, staffed) -> None:
    from tests.support.flow import local

    with services.transaction() as s:
        runner.people.directory.create_user(s, "xiang", "乡镇", "banjian2026", [("township", "clerk")])
    clock.set(local("2026-12-20", "10:00"))
    # Q4: 上门服务 +3 × 5 (October) and 代办 +2 × 4 (November) = 23, capped at 20; a late-to-work −1
    _enter(services, "county_004", "home_visit", "township", "2026-10-20", 5)
    _enter(services, "county_004", "proxy", "township", "2026-11-10", 4)
    _enter(services, "county_004", "late_to_work", "township", "2026-12-01")
    q4 = result(services, "county_004", periods.quarter_of(date(2026, 10, 1)))
    town = q4.scores["township"]
    assert (town.bonus_raw, town.bonus_counted, town.score) == (23, 20, 119)
    # the 5 best (红旗窗口) of the windows assessed: township leads
    assert town.awarded


def test_appeal_and_correction_change_a_closed_month_and_the_report_says_so(services, clock, staffed) -> None:
    from runner.supervision.assessment import decide_appeal
    from runner.supervision.assessment_schemes import appeals, entries, report
    from tests.support.flow import advance_to, local

    month = october(services, clock)
    [entry] = _enter(services, "window_rules_001", "unattended", "centre", "2026-10-21")
    before = result(services, "window_rules_001").scores["centre"].score
    assert before == 75 - 5
    advance_to(services, clock, local("2026-11-03", "10:00"))
    # D stayed open: 10-27 … 10-30 are late too (−5 × 4); the month is now closed
    closed = result(services, "window_rules_001").scores["centre"].score
    assert closed == before - 20
    advance_to(services, clock, local("2026-11-10", "10:00"))
    assert result(services, "window_rules_001").scores["centre"].score == closed  # re-run: same numbers
    with services.transaction() as s:
        with pytest.raises(runner.PermissionDenied):
            appeals.file_appeal(s, scheme_code="window_rules_001", rule_code="late_day", subject="centre",
                                event_subject=f"instance:{month.d}", span=OCT, reason="材料待补", actor="clerk")  # fmt: skip
        appeal = appeals.file_appeal(
            s, scheme_code="window_rules_001", rule_code="late_day", subject="centre",
            event_subject=f"instance:{month.d}", span=OCT, reason="申请人材料未到", actor="centre_head",
        )  # fmt: skip
        decide_appeal(s, appeal.id, upheld=True, decision="属实", actor="supervisor")
        entries.void(s, entry, actor="supervisor", reason="录错窗口")
    after = result(services, "window_rules_001").scores["centre"]
    assert after.score == closed + 35 + 5  # D's seven late October days and the wrong entry no longer count
    assert [ln.counted for ln in after.lines if ln.subject == f"instance:{month.d}"] == [False] * 7
    with services.transaction() as s:
        rep = report.target_report(s, "window", OCT)
    assert [c.what.split("（")[0] for c in rep.changes] == [
        f"申诉 {appeal.id}",
        f"记分 {entry} 已更正作废：录错窗口",
    ]


def test_scheme_change_applies_from_the_next_period_and_is_audited(services, clock, staffed) -> None:
    from sqlalchemy import select

    from runner.models import AuditEntry
    from runner.supervision.assessment_schemes import report
    from tests.support.flow import local

    clock.set(local("2026-10-20", "10:00"))
    with services.transaction() as s:
        assert store.in_force(s, "window", date(2026, 10, 1)).code == "window_rules_001"
        store.activate(s, "best_window_001", actor="supervisor")
        assert store.in_force(s, "window", date(2026, 10, 31)).code == "window_rules_001"
        assert store.in_force(s, "window", date(2026, 11, 1)).code == "best_window_001"
        staff = dict(store.get_scheme(s, "staff_001").definition)
        staff["sections"] = [dict(sec) for sec in staff["sections"]]
        staff["sections"][2]["max"] = 10  # 勤 10 points from November
        store.save_scheme(s, staff, actor="supervisor")
        assert store.in_force(s, "person", date(2026, 10, 31)).version == 1
        assert store.in_force(s, "person", date(2026, 11, 1)).version == 2
        actions = [
            a
            for (a,) in s.execute(
                select(AuditEntry.action).where(AuditEntry.action.like("assessment_scheme%"))
            )
        ]
        assert actions.count("assessment_scheme_activated") == 4  # 2 seeded + 2 changes
        with pytest.raises(runner.InvalidInput):
            store.save_scheme(s, {**staff, "sections": [{"code": "x", "rules": [{"code": "r", "event": "nope"}]}]},
                              actor="supervisor")  # fmt: skip
    _enter(services, "staff_001", "truancy", "clerk", "2026-10-19", 3)
    clock.set(local("2026-11-20", "10:00"))
    _enter(services, "staff_001", "truancy", "clerk", "2026-11-19", 3)
    # October under version 1 (勤 20: −15), November under version 2 (勤 10: −15 stops at −10)
    assert result(services, "staff_001").scores["clerk"].score == 85
    with services.transaction() as s:
        nov = report.target_report(s, "person", periods.month_of(date(2026, 11, 1)))
        q4 = report.target_report(s, "person", Span_q4 := periods.Span(date(2026, 10, 1), date(2026, 12, 31)))
    assert (nov.result.scheme_version, nov.result.scores["clerk"].score) == (2, 90)
    summed = next(x for x in q4.sums if x.subject == "clerk")
    assert summed.months == {"2026-10": 85, "2026-11": 90, "2026-12": 100} and summed.points == -25
    assert Span_q4.label == "2026年第4季度"


def test_entered_scheme_reads_complaints_ratings_warnings_and_late_items(services, clock, staffed) -> None:
    from runner.models import Complaint, Rating, Rectification
    from tests.support.flow import local

    month = october(services, clock)
    pilot = {
        "code": "pilot", "name": "试行方案", "target": "window", "period": "month", "full_score": 100, "floor": 0,
        "sections": [{"code": "all", "name": "全部", "max": 100, "cap": True, "rules": [
            {"code": "warn", "event": "unanswered_warning", "points": -1},
            {"code": "complaint", "event": "verified_complaint", "points": -5},
            {"code": "unsatisfied", "event": "unsatisfied_rating", "points": -3},
            {"code": "late", "event": "late_item", "points": -2},
            {"code": "silent", "event": "deemed_assent", "points": -2},
        ]}],
    }  # fmt: skip
    with services.transaction() as s:
        store.save_scheme(s, pilot, actor="supervisor")
        s.add(Complaint(channel="phone", complainant="王", contact="138", content="态度差", window="shichang",
                        state="answered", verified=True, created_at=local("2026-10-21", "11:00")))  # fmt: skip
        s.add(Complaint(channel="phone", complainant="赵", contact="139", content="不实", window="shichang",
                        state="answered", verified=False, created_at=local("2026-10-21", "12:00")))  # fmt: skip
        founded = Rating(
            instance_id=month.b, level="not_satisfied", comment="慢", created_at=local("2026-10-22")
        )
        unfounded = Rating(
            instance_id=month.c, level="very_dissatisfied", comment="乱评", created_at=local("2026-10-22")
        )
        open_case = Rating(
            instance_id=month.c,
            level="not_satisfied",
            comment="待核",
            occasion="acceptance",
            created_at=local("2026-10-23"),
        )
        s.add_all([founded, unfounded, open_case])
        s.add(Rating(instance_id=month.a, level="satisfied", comment="", created_at=local("2026-10-22")))
        s.flush()
        # the 好差评 rectification decides: only a 差评 found 属实 counts, against the window found at fault
        for rating, verdict in ((founded, "founded"), (unfounded, "malicious"), (open_case, None)):
            s.add(Rectification(rating_id=rating.id, window="centre", verdict=verdict, state="closed" if verdict else "verifying",
                                created_at=local("2026-10-23")))  # fmt: skip
    res = result(services, "pilot")
    # centre: A's and D's yellow cards (raised at the midnight after their deadlines, Sat 10-17 and Thu 10-22)
    # unanswered by the end of the next working day (10-19, 10-23) −1 each,
    # A decided late −2, B's 差评 found 属实 −3 (C's malicious and unverified ones count nothing);
    # shichang: one verified complaint; guihua: its deemed assent
    assert points(res) == {"centre": 93, "shichang": 95, "guotu": 100, "huanbao": 100, "guihua": 98}
    assert sorted((ln.rule_code, ln.day.isoformat()) for ln in res.scores["centre"].lines) == [
        ("late", "2026-10-20"), ("unsatisfied", "2026-10-22"), ("warn", "2026-10-19"), ("warn", "2026-10-23"),
    ]  # fmt: skip


def test_cli_seed_ships_the_schemes_with_one_window_scheme_and_the_staff_scheme_in_force(
    services, database_url, tmp_path, monkeypatch, capsys
) -> None:
    import json

    from runner.cli import main

    path = tmp_path / "windows.json"
    path.write_text(json.dumps({"windows": [{"code": "centre", "name": "中心窗口"}]}), encoding="utf-8")
    monkeypatch.setenv("BANJIAN_DATABASE_URL", database_url)
    assert main(["seed", "--windows", str(path), "--no-demo-users"]) == 0
    assert "考核 schemes: 4 new" in capsys.readouterr().out
    assert main(["seed", "--windows", str(path), "--no-demo-users"]) == 0
    assert "考核 schemes: already there" in capsys.readouterr().out
    with services.transaction() as s:
        shipped = {r.code: (r.target, r.period, bool(r.source)) for r in store.list_schemes(s)}
        assert shipped == {
            "best_window_001": ("window", "month", True), "window_rules_001": ("window", "month", True),
            "staff_001": ("person", "month", True), "county_004": ("window", "quarter", True),
        }  # fmt: skip
        assert store.in_force(s, "window", date(2026, 12, 1)).code == "window_rules_001"
        assert store.in_force(s, "person", date(2026, 12, 1)).code == "staff_001"
        staff = store.get_scheme(s, "staff_001").definition
        assert [(x["name"], x["max"], x["cap"]) for x in staff["sections"]] == [
            ("德", 20, True), ("能", 20, True), ("勤", 20, True), ("绩", 25, True), ("廉", 15, True)
        ]  # fmt: skip


def test_decimal_points_add_up_without_float_drift(services, clock, staffed) -> None:
    from tests.support.flow import local

    clock.set(local("2026-10-30", "10:00"))
    # 绩: 差错 −3.3 × 3 = −9.9 and 窗口月考核 +0.1 × 3 = +0.3, shown as entered (not −9.899999999999999)
    _enter(services, "staff_001", "error", "guotu_clerk", "2026-10-12", 3, points=-3.3)
    _enter(services, "staff_001", "window_grade", "guotu_clerk", "2026-10-13", 3, points=0.1)
    guotu = result(services, "staff_001").scores["guotu_clerk"]
    ji = next(s for s in guotu.sections if s.code == "ji")
    assert (ji.raw_deducted, ji.deducted, ji.added, ji.capped) == (-9.9, -9.9, 0.3, False)
    # 窗口月考核 is not a ``bonus: true`` rule: its +0.3 counts in full, outside the bonus (and its cap)
    assert (guotu.bonus_raw, guotu.bonus_counted, guotu.total, guotu.score) == (0, 0, 90.4, 90.4)


def test_an_appeal_keeps_the_decimal_points_of_its_line(services, clock, staffed) -> None:
    from runner.supervision.assessment_schemes import appeals
    from tests.support.flow import local

    clock.set(local("2026-10-30", "10:00"))
    [entry] = _enter(services, "window_rules_001", "media_criticism", "centre", "2026-10-21", points=-3.5)
    with services.transaction() as s:
        appeal = appeals.file_appeal(s, scheme_code="window_rules_001", rule_code="media_criticism",
                                     subject="centre", event_subject=f"entry:{entry}", span=OCT,
                                     reason="批评已撤回", actor="centre_head")  # fmt: skip
        appeal_id = appeal.id
    with services.transaction() as s:
        assert s.get(runner.models.Appeal, appeal_id).points == -3.5  # not −4 (rounded to a whole point)

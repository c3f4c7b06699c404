"""考核 schemes (runner.assessment_schemes) against hand-computed months.

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
from runner.assessment_schemes import periods, scoring, store
from tests.support.supervision import october

OCT = periods.month_of(date(2026, 10, 1))


@pytest.fixture
def staffed(services, clock):
    from tests.support.flow import library_windows

    with services.transaction() as s:
        runner.upsert_windows(s, library_windows())
        for user, window in (("clerk", "centre"), ("shichang_clerk", "shichang"), ("guotu_clerk", "guotu"),
                             ("huanbao_clerk", "huanbao"), ("guihua_clerk", "guihua")):  # fmt: skip
            runner.directory.create_user(s, user, user, "banjian2026", [(window, "clerk")])
        runner.directory.create_user(
            s, "centre_head", "中心窗口负责人", "banjian2026", [("centre", "window_head")]
        )
        runner.directory.create_user(
            s, "supervisor", "督查股", "banjian2026", [("supervision", "supervisor")]
        )
        store.seed_schemes(s)


def result(services, code: str, span: periods.Span = OCT) -> scoring.SchemeResult:
    with services.transaction() as s:
        return scoring.score_period(s, store.get_scheme(s, code), span)


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

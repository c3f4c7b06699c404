"""Which windows a scheme assesses (runner.supervision.assessment_schemes.scope): seed 001 第三条 "考核对象为服务窗口单位、
窗口工作人员" — the demo's 督查股 ``supervision`` and 中心领导 ``leader`` serve no applicant, so they never
score 100 / 优秀 in the window ranking nor take a place among the 最佳服务窗口; nor do their staff.

The month is tests/support/supervision.py, worked out by hand in tests/runner/supervision/assessment_schemes/test_scoring.py.
"""

from __future__ import annotations

from datetime import date

import pytest

import runner
from runner.supervision.assessment_schemes import periods, scoring, store
from tests.support.supervision import october

OCT = periods.month_of(date(2026, 10, 1))


@pytest.fixture
def centre(services, clock):
    """The service windows of the October month plus shebao (6 service windows), and a clerk and a head at
    the 督查股 and the 中心领导 windows, as the demo seeds them."""
    from tests.support.flow import library_windows

    with services.transaction() as s:
        runner.upsert_windows(s, library_windows())
        for user, window in (("clerk", "centre"), ("shichang_clerk", "shichang"), ("guotu_clerk", "guotu"),
                             ("huanbao_clerk", "huanbao"), ("guihua_clerk", "guihua"),
                             ("shebao_clerk", "shebao"), ("supervision_clerk", "supervision"),
                             ("leader_clerk", "leader")):  # fmt: skip
            runner.people.directory.create_user(s, user, user, "banjian2026", [(window, "clerk")])
        for user, window in (("centre_head", "centre"), ("supervision_head", "supervision"),
                             ("leader_head", "leader")):  # fmt: skip
            runner.people.directory.create_user(s, user, user, "banjian2026", [(window, "window_head")])
        runner.people.directory.create_user(
            s, "supervisor", "督查股", "banjian2026", [("supervision", "supervisor")]
        )
        store.seed_schemes(s)


def result(services, code: str, span: periods.Span = OCT) -> scoring.SchemeResult:
    with services.transaction() as s:
        return scoring.score_period(s, store.scheme_for(s, code, span.first), span)


def ranking(res: scoring.SchemeResult) -> list[tuple[str, float]]:
    return [(sc.subject, sc.score) for sc in res.ranked()]


def test_best_window_ranks_the_service_windows_only(services, clock, centre) -> None:
    october(services, clock)
    res = result(services, "best_window_001")
    # by hand: shichang 100 + 8 (C 60 % early) = 108; centre 100 − 3 × 5 late days + 8 (B 90 % early) = 93;
    # guihua, guotu, huanbao, shebao nothing = 100. Six service windows: 20 % of 6 → 1 最佳服务窗口.
    assert ranking(res) == [
        ("shichang", 108), ("guihua", 100), ("guotu", 100), ("huanbao", 100), ("shebao", 100), ("centre", 93),
    ]  # fmt: skip
    # (with 督查股 and 中心领导 counted, 8 windows → 2 places, and the 100s would all tie for the second)
    assert [sc.subject for sc in res.ranked() if sc.awarded] == ["shichang"]


def test_window_rules_and_staff_skip_the_non_service_windows(services, clock, centre) -> None:
    october(services, clock)
    windows = result(services, "window_rules_001")
    assert ranking(windows) == [
        ("guotu", 102), ("huanbao", 102), ("shebao", 100), ("shichang", 100), ("guihua", 98), ("centre", 75),
    ]  # fmt: skip
    staff = result(services, "staff_001")
    assert not {"supervision_clerk", "supervision_head", "leader_clerk", "leader_head"} & set(staff.scores)
    assert staff.scores["clerk"].score == 94 and staff.scores["shebao_clerk"].score == 100


def test_a_new_scope_applies_from_the_next_period_and_the_console_form_validates(
    services, clock, centre
) -> None:
    from tests.support.flow import local

    october(services, clock)
    clock.set(local("2026-10-28", "10:00"))
    with services.transaction() as s:
        d = dict(store.get_scheme(s, "window_rules_001").definition)
        with pytest.raises(runner.InvalidInput):
            store.save_scheme(s, {**d, "exclude_windows": "leader"}, actor="supervisor")
        with pytest.raises(runner.InvalidInput):  # a window both assessed only and excluded
            store.save_scheme(
                s, {**d, "only_windows": ["centre"], "exclude_windows": ["centre"]}, actor="supervisor"
            )
        store.save_scheme(s, {**d, "exclude_windows": [*d["exclude_windows"], "shebao"]}, actor="supervisor")
    assert "shebao" in result(services, "window_rules_001").scores  # October keeps its version
    nov = periods.month_of(date(2026, 11, 1))
    assert "shebao" not in result(services, "window_rules_001", nov).scores
    clock.set(local("2026-11-20", "10:00"))
    with services.transaction() as s:
        d = dict(store.get_scheme(s, "window_rules_001").definition)
        store.save_scheme(
            s, {**d, "only_windows": ["centre", "guihua"], "exclude_windows": []}, actor="supervisor"
        )
    dec = periods.month_of(date(2026, 12, 1))
    assert sorted(result(services, "window_rules_001", dec).scores) == ["centre", "guihua"]

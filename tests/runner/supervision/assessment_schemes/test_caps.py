"""考核 caps: the quarter's bonus cap across a scheme change, and 0 as a real limit (not "no limit")."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

import runner
from runner.supervision.assessment_schemes import periods, report, store
from tests.runner.supervision.assessment_schemes.test_scoring import _enter, result
from tests.runner.supervision.assessment_schemes.test_scoring import staffed as staffed  # noqa: PLC0414

NOV = periods.month_of(date(2026, 11, 1))


def _pilot(bonus: str, *, cap: Any = None, bonus_cap: Any = None, award: Any = None) -> dict[str, Any]:
    """A monthly window scheme with one entered deduction and one entered bonus rule."""
    d: dict[str, Any] = {
        "code": "pilot", "name": "试行方案", "target": "window", "period": "month", "full_score": 100, "floor": 0,
        "sections": [
            {"code": "minus", "name": "扣分", "max": cap, "cap": cap is not None, "rules": [
                {"code": "late_to_work", "event": "entered", "points": -3},
            ]},
            {"code": "plus", "name": "加分", "rules": [{"code": bonus, "event": "entered", "points": 2, "bonus": True}]},
        ],
    }  # fmt: skip
    if bonus_cap is not None:
        d["bonus_cap"] = bonus_cap
    if award is not None:
        d["award"] = award
    return d


def test_quarter_bonus_cap_counts_each_month_under_its_own_scheme(services, clock, staffed) -> None:
    from tests.support.flow import local

    cap = {"points": 10, "per": "quarter"}
    clock.set(local("2026-09-20", "10:00"))
    with services.transaction() as s:
        store.save_scheme(s, _pilot("praise", bonus_cap=cap), actor="supervisor")
        store.activate(s, "pilot", actor="supervisor")  # in force from October
    clock.set(local("2026-10-20", "10:00"))
    _enter(services, "pilot", "praise", "centre", "2026-10-12", 4)  # October: +8 under version 1
    with services.transaction() as s:  # version 2 (from November) has another bonus rule, not 表扬
        store.save_scheme(s, _pilot("thanks", bonus_cap=cap), actor="supervisor")
    clock.set(local("2026-11-20", "10:00"))
    _enter(services, "pilot", "thanks", "centre", "2026-11-12", 3)  # November: +6 under version 2
    with services.transaction() as s:
        assert store.in_force(s, "window", NOV.first).version == 2
        nov = report.target_report(s, "window", NOV).result
        q4 = report.target_report(s, "window", periods.quarter_of(NOV.first))
    centre = nov.scores["centre"]
    # October counted 8 of the quarter's 10 under the scheme it was assessed under: November adds 2, not 6
    assert (nov.scheme_version, centre.bonus_raw, centre.bonus_counted, centre.score) == (2, 6, 2, 102)
    assert next(x for x in q4.sums if x.subject == "centre").months == {
        "2026-10": 108, "2026-11": 102, "2026-12": 100,
    }  # fmt: skip
    assert result(services, "pilot", NOV).scores["centre"].bonus_counted == 2


def test_zero_is_a_limit_and_a_missing_max_is_none(services, clock, staffed) -> None:
    from tests.support.flow import local

    clock.set(local("2026-10-20", "10:00"))
    with services.transaction() as s:  # 扣完为止 with max 0: nothing can be taken; a bonus cap of 0: no bonus
        store.save_scheme(
            s, _pilot("praise", cap=0, bonus_cap={"points": 0, "per": "period"}), actor="supervisor"
        )
    _enter(services, "pilot", "late_to_work", "centre", "2026-10-12", 2)
    _enter(services, "pilot", "praise", "centre", "2026-10-13")
    centre = result(services, "pilot").scores["centre"]
    minus = centre.sections[0]
    assert (minus.raw_deducted, minus.deducted, minus.capped) == (-6, 0, True)
    assert (centre.bonus_raw, centre.bonus_counted, centre.score) == (2, 0, 100)
    with services.transaction() as s:  # no max: no cap
        store.save_scheme(s, _pilot("praise"), actor="supervisor")
    assert result(services, "pilot").scores["centre"].sections[0].deducted == -6


def test_an_award_of_zero_places_awards_nobody(services, clock, staffed) -> None:
    from tests.support.flow import local

    clock.set(local("2026-10-20", "10:00"))
    for award in ({"name": "红旗窗口", "top": 0}, {"name": "最佳", "top_share": 0}):
        with services.transaction() as s:
            store.save_scheme(s, _pilot("praise", award=award), actor="supervisor")
        assert not [sc for sc in result(services, "pilot").scores.values() if sc.awarded]


@pytest.mark.parametrize(
    "change",
    [
        {"sections": [{"code": "x", "max": -5, "cap": True, "rules": [{"code": "r", "event": "entered"}]}]},
        {"bonus_cap": {"points": -1}},
        {"bonus_cap": {"per": "quarter"}},
        {"bonus_cap": 20},
        {"sections": {"code": "x"}},
        {"sections": ["x"]},
        {"sections": [{"code": "x", "rules": "r"}]},
        {"award": {"name": "红旗", "top": -1}},
        {"award": {"name": "最佳", "top_share": 2}},
        {"award": {"name": "最佳", "min": "90"}},
        {"grades": [{"name": "优秀", "min": "90"}]},
        {"grades": [{"min": 90}]},
        {"grades": "优秀"},
        {
            "sections": [
                {"code": "x", "rules": [{"code": "r", "event": "early_finish", "tiers": [{"points": 8}]}]}
            ]
        },
        {"sections": [{"code": "x", "rules": [{"code": "r", "event": "entered", "points_range": 5}]}]},
        {"sections": [{"code": "x", "rules": [{"code": "r", "event": "entered", "bonus": "yes"}]}]},
        {"sections": [{"code": "x", "rules": [{"code": "r", "event": "entered", "bonus": 1}]}]},
    ],
)
def test_odd_definitions_are_refused_not_a_500(services, clock, staffed, change) -> None:
    with services.transaction() as s, pytest.raises(runner.InvalidInput):
        store.save_scheme(s, {**_pilot("praise"), **change}, actor="supervisor")


@pytest.mark.parametrize("code", [7, 1.5, ["praise"], None, {"c": 1}, True])
def test_a_rule_code_that_is_not_text_is_refused_naming_the_rule(services, clock, staffed, code) -> None:
    d = _pilot("praise")
    d["sections"][1]["rules"][0]["code"] = code
    with services.transaction() as s, pytest.raises(runner.InvalidInput) as err:
        store.save_scheme(s, d, actor="supervisor")
    assert "规则代码" in err.value.message and "rule code" in err.value.message
    assert repr(code) in err.value.message


def test_only_bonus_rules_meet_the_bonus_cap(services, clock, staffed) -> None:
    """``bonus: true`` counts under the scheme's bonus cap; a positive rule without it counts in full."""
    from tests.support.flow import local

    clock.set(local("2026-10-20", "10:00"))
    d = _pilot("praise", bonus_cap={"points": 3, "per": "period"})
    d["sections"][1]["rules"].append({"code": "early", "event": "entered", "points": 5})
    with services.transaction() as s:
        store.save_scheme(s, d, actor="supervisor")
    _enter(services, "pilot", "praise", "centre", "2026-10-12", 2)  # +4, capped at 3
    _enter(services, "pilot", "early", "centre", "2026-10-13", 2)  # +10, not a bonus: counted in full
    centre = result(services, "pilot").scores["centre"]
    assert (centre.bonus_raw, centre.bonus_counted, centre.score) == (4, 3, 113)
    assert centre.sections[1].added == 14

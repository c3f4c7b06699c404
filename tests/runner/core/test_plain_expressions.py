"""Plain expressions are answered in this process, exactly as an evaluator would answer them, calls of the helpers
marked ``in_place`` included; every other expression, and every plain one that fails, still goes to an evaluator
(runner.core.sandbox.plain)."""

from __future__ import annotations

from typing import Any

import pytest

from runner.clock import ManualClock
from runner.core.sandbox import plain
from runner.core.sandbox.plain import in_place
from runner.core.sandbox.pool import EvaluatorPool, shared_pool
from runner.core.scripts import CentreScriptEngine, RestrictedEnvironment

DATA: dict[str, Any] = {
    "decision": "approve",
    "result": "disagree",
    "reason": "",
    "major": False,
    "lead_window": "W01",
    "eligible": None,
    "materials_complete": True,
    "days": 20,
    "ratio": 0.5,
    "opinions": [{"window": "W02", "result": "agree"}],
    "tags": ["a", "b"],
    "applicant": {"name": "张三", "kind": "person"},
}

# expressions a diagram writes, with the values an evaluator gives for them over DATA
PLAIN = [
    'decision == "approve"',
    "eligible == False",
    "materials_complete == True and eligible != False",
    "'leader' if major else lead_window",
    'result in ("agree", "disagree") or (result == "x" and bool(str(reason or "").strip()))',  # call not reached
    'result == "agree" and bool(str(reason or "").strip())',
    'result == "refuse_participation"',
    "not major",
    "-days < 0 < days <= 20",
    "1 < days < 10",
    "ratio >= 0.5",
    'applicant["kind"] == "person"',
    'applicant["name"]',
    "opinions[0]['result'] == 'agree'",
    'tags == ["a", "b"]',
    'tags == ("a", "b")',
    '"a" in tags and "c" not in tags',
    "eligible is None",
    "major is not True",
    "lead_window",
    "days",
    "  \n decision == 'approve'\n ",
    "major or eligible",
    "materials_complete and days",
    "True",
]


@pytest.fixture(scope="module")
def evaluators() -> EvaluatorPool:
    return shared_pool(256)


@pytest.mark.parametrize("expression", PLAIN)
def test_plain_expressions_answer_as_an_evaluator_does(expression: str, evaluators: EvaluatorPool) -> None:
    expected = evaluators.run("eval", expression, dict(DATA), {}, {}, 1.0)
    answered, value = plain.evaluate(expression, DATA, {})
    assert answered, expression
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(
    "expression",
    [
        "missing == 1",  # NameError: the evaluator says so
        "workdays(3)",  # a call of a helper not given, or of a builtin
        "len(tags) > 1",
        "days * 2 > 10",  # arithmetic may grow
        "applicant.get('name')",  # attributes go through the evaluator's guard
        "tags",  # a container: the evaluator's copy
        "applicant",
        "tags[0:1] == ['a']",  # a slice
        "applicant[decision]",  # a subscript by a name
        "days < 'x'",  # a comparison of unlike types raises
        "decision is result",  # identity of two data values
        "_secret == 1",  # refused by the policy
        "open == 1",
        "[x for x in tags]",
        "f'{decision}'",
        "-major",  # -False is -1 in the evaluator: not answered here
        "decision ==",  # a syntax error
        "result == 'disagree' and not str(reason or '').strip()",  # the branch taken reaches a call
    ],
)
def test_everything_else_is_left_to_an_evaluator(expression: str) -> None:
    assert plain.evaluate(expression, DATA, {}) == (False, None)


def test_names_come_from_data_then_given_values() -> None:
    assert plain.evaluate("window == 'W01'", {"window": "W01"}, {"window": "W09"}) == (True, True)
    assert plain.evaluate("window == 'W09'", {}, {"window": "W09"}) == (True, True)


class CountingPool(EvaluatorPool):
    """An evaluator pool that counts the evaluations sent to its processes."""

    def __init__(self) -> None:
        super().__init__(256, 1)
        self.sent: list[str] = []

    def run(self, mode: str, source: str, *args: Any) -> Any:
        self.sent.append(source)
        return super().run(mode, source, *args)


def test_the_environment_sends_only_what_is_not_plain() -> None:
    pool = CountingPool()
    try:
        env = RestrictedEnvironment({}, time_limit=1.0, evaluators=pool)
        assert env.evaluate('decision == "approve"', dict(DATA)) is True
        assert env.evaluate("len(tags)", dict(DATA)) == 2
        with pytest.raises(NameError):
            env.evaluate("missing == 1", dict(DATA))
        assert pool.sent == ["len(tags)", "missing == 1"]
    finally:
        pool.close()


CALLED: list[str] = []  # the helpers' calls, by name


@in_place
def double(n: Any) -> Any:
    CALLED.append("double")
    return n * 2


@in_place
def label(prefix: Any, n: Any = 0) -> str:
    CALLED.append("label")
    return f"{prefix}-{n}"


@in_place
def refuse(_value: Any = None) -> None:
    CALLED.append("refuse")
    raise ValueError("refused")


def record(value: Any) -> str:  # not marked: a helper with an effect
    CALLED.append("record")
    return str(value)


HELPERS = {"double": double, "label": label, "refuse": refuse, "record": record}


@pytest.mark.parametrize(
    "expression",
    [
        "double(days) == 40",
        "double(double(days))",
        "label('W', n=days)",
        "label(lead_window)",
        "double(ratio) if major else label(decision, double(1))",
        'decision == "approve" or record(days)',  # the call is not reached
    ],
)
def test_calls_of_helpers_in_place_answer_as_an_evaluator_does(
    expression: str, evaluators: EvaluatorPool
) -> None:
    expected = evaluators.run("eval", expression, dict(DATA), HELPERS, {}, 1.0)
    CALLED.clear()
    answered, value = plain.evaluate(expression, DATA, {}, HELPERS)
    assert answered, expression
    assert value == expected and type(value) is type(expected)
    assert "record" not in CALLED


@pytest.mark.parametrize(
    "expression",
    [
        "record(days)",  # not marked
        "label(record(days))",
        "double(tags)",  # a container goes as the evaluator's copy
        "double(applicant) == 1",
        "double(*tags)",
        "label(**applicant)",
        "refuse()",  # it raises: the evaluator raises it as before
        "double(missing)",
        "len(tags)",  # a builtin
        "decision(1)",  # a value, not a helper
    ],
)
def test_other_calls_are_left_to_an_evaluator(expression: str) -> None:
    CALLED.clear()
    assert plain.evaluate(expression, DATA, {}, HELPERS) == (False, None)
    assert "record" not in CALLED


def test_a_value_of_the_helpers_name_hides_it_as_in_the_evaluator() -> None:
    assert plain.evaluate("double(2)", DATA, {}, HELPERS) == (True, 4)
    assert plain.evaluate("double(2)", {**DATA, "double": 3}, {}, HELPERS) == (False, None)
    assert plain.evaluate("double(2)", DATA, {"double": 3}, HELPERS) == (False, None)


def test_the_environment_calls_helpers_in_place_here_and_sends_the_rest() -> None:
    pool = CountingPool()
    try:
        env = RestrictedEnvironment(dict(HELPERS), time_limit=1.0, evaluators=pool)
        assert env.evaluate("double(days) == 40", dict(DATA)) is True
        assert env.evaluate("record(days)", dict(DATA)) == "20"
        with pytest.raises(ValueError, match="refused"):
            env.evaluate("refuse()", dict(DATA))
        assert pool.sent == ["record(days)", "refuse()"]
    finally:
        pool.close()


def test_the_platform_calls_in_place_only_the_helpers_that_read() -> None:
    """The helpers with effects (the item's clock, warnings, documents ...) always run through an evaluator:
    an evaluation given up half-way must not have done them."""
    engine = CentreScriptEngine(ManualClock(), None)
    marked = {
        name for name, helper in engine.environment.globals.items() if getattr(helper, plain.IN_PLACE, False)
    }
    assert marked == {
        "now", "today", "seconds_from_now",
        "workdays", "deadline", "add_workdays", "workdays_between", "end_of_day", "item_deadline",
    }  # fmt: skip
    assert {"pause_clock", "resume_clock", "record_warning", "issue_document", "extend_deadline"} <= (
        engine.environment.globals.keys() - marked
    )

"""Plain expressions are answered in this process, exactly as an evaluator would answer them; every other
expression, and every plain one that fails, still goes to an evaluator (runner.core.sandbox.plain)."""

from __future__ import annotations

from typing import Any

import pytest

from runner.core.sandbox import plain
from runner.core.sandbox.pool import EvaluatorPool, shared_pool
from runner.core.scripts import RestrictedEnvironment

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
        "workdays(3)",  # a call (a helper or a builtin)
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

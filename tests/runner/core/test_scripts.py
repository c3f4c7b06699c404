"""The script sandbox: data semantics, refusals, time limit, helpers, and SpiffWorkflow end to end."""

from __future__ import annotations

import re
import sys
import time
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from runner.bilingual import parts
from runner.clock import ManualClock
from runner.core.scripts import CentreScriptEngine, RestrictedEnvironment, check_source
from runner.exceptions import ScriptError

CST = timezone(timedelta(hours=8))
# Friday 2024-05-10, 09:00 in UTC+8.
FRIDAY_9AM = datetime(2024, 5, 10, 1, 0, tzinfo=UTC)


class FakeCalendar:
    """Monday to Friday are working days; local time is UTC+8; a deadline is 23:59:59 local."""

    def local_date(self, dt: datetime) -> date:
        return dt.astimezone(CST).date()

    def add_workdays(self, d: date, n: int) -> date:
        while n > 0:
            d += timedelta(days=1)
            if d.weekday() < 5:
                n -= 1
        return d

    def workdays_between(self, a: date, b: date) -> int:
        return sum(1 for i in range(1, (b - a).days + 1) if (a + timedelta(days=i)).weekday() < 5)

    def deadline(self, start: datetime, n: int) -> datetime:
        return self.end_of_day(self.add_workdays(self.local_date(start), n))

    def end_of_day(self, d: date) -> datetime:
        return datetime(d.year, d.month, d.day, 23, 59, 59, tzinfo=CST).astimezone(UTC)

    def start_of_day(self, d: date) -> datetime:
        return datetime(d.year, d.month, d.day, tzinfo=CST).astimezone(UTC)


@pytest.fixture
def env() -> RestrictedEnvironment:
    return RestrictedEnvironment({}, time_limit=0.2)


@pytest.fixture
def engine() -> CentreScriptEngine:
    return CentreScriptEngine(ManualClock(FRIDAY_9AM), FakeCalendar(), time_limit=0.2)


def run(env: RestrictedEnvironment, script: str, **data: Any) -> dict[str, Any]:
    env.execute(script, data)
    return data


def refusal(env: RestrictedEnvironment, script: str, mode: str = "exec") -> str:
    with pytest.raises(ScriptError) as info:
        if mode == "exec":
            env.execute(script, {"x": {"a": 1}})
        else:
            env.evaluate(script, {"x": {"a": 1}})
    return info.value.message


# --------------------------------------------------------------------------- plain scripts


def test_arithmetic_and_comparisons(env: RestrictedEnvironment) -> None:
    assert env.evaluate("a * 2 + b ** 2 - 7 // 2 % 3", {"a": 4, "b": 3}) == 17
    assert env.evaluate("1 < a <= 4 and b != 3", {"a": 4, "b": 3}) is False
    assert env.evaluate("amount > 1000 or kind in ('urgent', 'vip')", {"amount": 10, "kind": "vip"}) is True
    assert env.evaluate("round(x / 3, 2)", {"x": 10}) == 3.33


def test_script_reads_and_writes_task_data(env: RestrictedEnvironment) -> None:
    data = run(
        env,
        "total = price * qty\nitems.append('c')\ninfo['status'] = 'ok'\ninfo['count'] += 1\nn = 0\nn += 5",
        price=2.5,
        qty=4,
        items=["a", "b"],
        info={"count": 1},
    )
    assert data == {
        "price": 2.5,
        "qty": 4,
        "items": ["a", "b", "c"],
        "info": {"count": 2, "status": "ok"},
        "total": 10.0,
        "n": 5,
    }


def test_nested_writes_unpacking_and_deletes(env: RestrictedEnvironment) -> None:
    data = run(
        env,
        "form['a']['b'] = [1, 2]\nform['a']['b'][0] = 9\nx, (y, z) = 1, (2, 3)\ndel form['old']",
        form={"a": {}, "old": 1},
    )
    assert data["form"] == {"a": {"b": [9, 2]}}
    assert (data["x"], data["y"], data["z"]) == (1, 2, 3)


def test_fstrings_and_comprehensions(env: RestrictedEnvironment) -> None:
    data = run(
        env,
        "label = f'{name}: {n:>3} {ratio:.1%}'\n"
        "squares = [i * i for i in range(5) if i % 2 == 0]\n"
        "index = {k: v for k, v in zip(keys, range(3))}\n"
        "total = sum(p['qty'] for p in parts)\n"
        "names = sorted({p['name'] for p in parts})",
        name="张三",
        n=7,
        ratio=0.25,
        keys=["a", "b", "c"],
        parts=[{"name": "y", "qty": 2}, {"name": "x", "qty": 3}],
    )
    assert data["label"] == "张三:   7 25.0%"
    assert data["squares"] == [0, 4, 16]
    assert data["index"] == {"a": 0, "b": 1, "c": 2}
    assert data["total"] == 5
    assert data["names"] == ["x", "y"]


def test_functions_and_globals_are_removed_from_data(env: RestrictedEnvironment) -> None:
    env.globals = {"helper": lambda: 41}
    data = run(env, "def twice(v):\n    return v * 2\nanswer = twice(helper()) - 40\nprint('debug', answer)")
    assert data == {"answer": 42}


def test_evaluate_does_not_change_task_data(env: RestrictedEnvironment) -> None:
    data = {"a": 1}
    assert env.evaluate("(b := a + 1) * 10", data) == 20
    assert data == {"a": 1}


def test_task_data_may_shadow_a_helper(engine: CentreScriptEngine) -> None:
    data = {"deadline": "2026-10-09", "n": 1}
    engine.environment.execute("x = deadline + '!'\ny = workdays_between('2026-09-28', '2026-09-30')", data)
    assert data == {"deadline": "2026-10-09", "n": 1, "x": "2026-10-09!", "y": 2}


def test_try_except_works(env: RestrictedEnvironment) -> None:
    data = run(env, "try:\n    v = int(raw)\nexcept ValueError:\n    v = -1", raw="abc")
    assert data["v"] == -1


def test_underscore_keys_already_in_data_are_kept(env: RestrictedEnvironment) -> None:
    assert run(env, "a = 1", _meta={"k": 1}) == {"_meta": {"k": 1}, "a": 1}


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("import os", "不允许 import (import is not allowed)"),
        ("from os import path", "不允许 import (import is not allowed)"),
        ("__import__('os')", '"__import__" is an invalid variable name'),
        ("open('/etc/passwd')", "不允许调用 open() (open() is not allowed)"),
        ("().__class__.__subclasses__()", "is an invalid attribute name because it starts with"),
        ("getattr(x, '__class__')", "不允许调用 getattr() (getattr() is not allowed)"),
        ("eval('1')", "不允许 eval"),
        ("exec('y = 1')", "不允许 exec"),
        ("type(x)", "不允许调用 type()"),
        ("globals()", "不允许调用 globals()"),
        ("class A:\n    pass", "不允许定义类 (class definitions are not allowed)"),
        ("def g(): yield 1", "不允许 yield (generator functions are not allowed)"),
    ],
)
def test_refused_constructs_say_what_and_where(
    env: RestrictedEnvironment, script: str, expected: str
) -> None:
    message = refusal(env, "ok = 1\n" + script)
    zh, en = parts(message)
    expected_zh, expected_en = parts(expected)
    if expected_zh == expected_en:  # one language only: its half
        assert expected in (zh if re.search(r"[\u4e00-\u9fff]", expected) else en)
    else:
        assert expected_zh in zh and expected_en in en
    assert zh.startswith(f"第 2 行 `{script.splitlines()[0]}`：") and en.startswith("line 2 `")


def test_refusals_in_expressions(env: RestrictedEnvironment) -> None:
    assert "不允许调用 open()" in refusal(env, "open('/etc/passwd').read()", mode="eval")
    assert "invalid attribute name" in refusal(env, "x.__class__", mode="eval")


def test_runtime_refusals(env: RestrictedEnvironment) -> None:
    assert "open is not available" in refusal(env, "f = open")
    assert "attribute 'mro' is not allowed" in refusal(env, "bases = Exception.mro()")
    assert "only dict and list values can be changed" in refusal(env, "t = (1, 2)\nt[0] = 5")
    with pytest.raises(NotImplementedError):
        env.execute("f = 'x{}'.format", {})


def test_memory_bombs_are_refused(env: RestrictedEnvironment) -> None:
    assert "range length" in refusal(env, "r = range(10 ** 8)")
    assert "sequence length" in refusal(env, "s = 'a' * 10 ** 8")
    assert "sequence length" in refusal(env, "s = 'a' * 1000\nfor i in range(20):\n    s += s")
    assert "integer bits" in refusal(env, "n = 2 ** 10 ** 7")
    assert "integer bits" in refusal(env, "n = 1 << 10 ** 7")
    assert "第 3 行" in refusal(env, "a = 1\nb = 2\nc = [0] * 10 ** 8")


def test_compiled_code_is_cached() -> None:
    """Each evaluator process keeps its compiled code (``runner.core.sandbox.run`` is what it runs)."""
    from runner.core.sandbox import run
    from runner.core.sandbox.policy import _compile

    before = _compile.cache_info()
    for _ in range(3):
        run.evaluate("cached_name_xyz > 1", {"cached_name_xyz": 2}, {}, {}, 0.2)
    after = _compile.cache_info()
    assert after.misses - before.misses <= 1
    assert after.hits - before.hits >= 2


# --------------------------------------------------------------------------- time limit


@pytest.mark.parametrize(
    "script",
    [
        "while True: pass",
        "n = 0\nwhile True:\n    n += 1",
        "while True:\n    try:\n        while True:\n            pass\n    except:\n        pass",
        "try:\n    while True: pass\nexcept:\n    pass\nafter = 1",
        "def f(n):\n    return f(n - 1) + f(n - 1) if n else 1\nf(100)",
        "big = [1 for a in range(10 ** 7) for b in range(10 ** 7)]",
    ],
)
def test_endless_scripts_are_stopped(env: RestrictedEnvironment, script: str) -> None:
    began = time.monotonic()
    with pytest.raises(ScriptError, match=r"脚本运行超时 script exceeded 0.2 s"):
        env.execute(script, {})
    assert time.monotonic() - began < 1.0


def test_endless_expression_is_stopped(env: RestrictedEnvironment) -> None:
    with pytest.raises(ScriptError, match="script exceeded 0.2 s"):
        env.evaluate("[1 for a in range(10 ** 7) for b in range(10 ** 7)]", {})


def test_timeout_cannot_be_caught_by_except_exception(env: RestrictedEnvironment) -> None:
    with pytest.raises(ScriptError, match="script exceeded"):
        env.execute("try:\n    while True:\n        pass\nexcept Exception:\n    caught = 1", {})


def test_previous_trace_function_is_restored(env: RestrictedEnvironment) -> None:
    original = sys.gettrace()
    seen: list[str] = []

    def tracer(frame: Any, event: str, arg: Any) -> None:
        seen.append(event)

    sys.settrace(tracer)
    try:
        with pytest.raises(ScriptError, match="exceeded"):
            env.execute("while True: pass", {})
        assert sys.gettrace() is tracer
        with pytest.raises(ScriptError, match="import"):
            env.execute("import os", {})
        assert sys.gettrace() is tracer
        env.execute("x = 1", {})
        assert sys.gettrace() is tracer
    finally:
        sys.settrace(original)


def test_normal_scripts_are_not_slowed_down_by_the_limit(env: RestrictedEnvironment) -> None:
    data = run(env, "total = 0\nfor i in range(10000):\n    total += i")
    assert data["total"] == sum(range(10000))


# --------------------------------------------------------------------------- helpers


def test_time_helpers(engine: CentreScriptEngine) -> None:
    env = engine.environment
    assert env.evaluate("now()", {}) == "2024-05-10T01:00:00+00:00"
    assert env.evaluate("today()", {}) == "2024-05-10"
    assert env.evaluate("seconds_from_now(30)", {}) == "2024-05-10T01:00:30+00:00"
    engine.clock.set(datetime(2024, 5, 10, 20, 0, tzinfo=UTC))  # type: ignore[attr-defined]
    assert env.evaluate("today()", {}) == "2024-05-11"  # already Saturday in UTC+8


def test_calendar_helpers(engine: CentreScriptEngine) -> None:
    env = engine.environment
    # Friday + 3 working days = Wednesday 15th, 23:59:59 local = 15:59:59 UTC.
    assert env.evaluate("workdays(3)", {}) == "2024-05-15T15:59:59+00:00"
    assert env.evaluate("deadline('2024-05-10T09:00:00+08:00', 1)", {}) == "2024-05-13T15:59:59+00:00"
    assert env.evaluate("add_workdays('2024-05-10', 2)", {}) == "2024-05-14"
    assert env.evaluate("add_workdays(day, '2')", {"day": "2024-05-10T20:00:00+00:00"}) == "2024-05-14"
    assert env.evaluate("workdays_between('2024-05-10', '2024-05-17')", {}) == 5
    data = {"received": "2024-05-10T09:00:00+08:00"}
    engine.environment.execute(
        "due = deadline(received, 2)\nleft = workdays_between(today(), due[:10])", data
    )
    assert data == {"received": "2024-05-10T09:00:00+08:00", "due": "2024-05-14T15:59:59+00:00", "left": 2}


def test_helper_arguments_are_checked(engine: CentreScriptEngine) -> None:
    env = engine.environment
    with pytest.raises(ScriptError, match="has no time zone"):
        env.evaluate("deadline('2024-05-10T09:00:00', 1)", {})
    with pytest.raises(ScriptError, match="must be a whole number"):
        env.evaluate("workdays('three')", {})
    with pytest.raises(ScriptError, match="not an ISO datetime"):
        env.evaluate("deadline('tomorrow', 1)", {})


def test_calendar_helpers_without_a_calendar() -> None:
    engine = CentreScriptEngine(ManualClock(FRIDAY_9AM), None)
    assert engine.calendar is None
    assert engine.environment.evaluate("today()", {}) == "2024-05-10"
    assert engine.environment.evaluate("now()", {}) == "2024-05-10T01:00:00+00:00"
    with pytest.raises(ScriptError, match=r"workdays\(\) needs a business calendar"):
        engine.environment.evaluate("workdays(3)", {})
    with pytest.raises(ScriptError, match="needs a business calendar"):
        engine.environment.execute("x = workdays_between('2024-05-10', '2024-05-17')", {})


# --------------------------------------------------------------------------- check_source


def test_check_source() -> None:
    assert check_source("x = 1\ny = [i for i in range(3)]", "exec") is None
    assert check_source("\n  amount > 1000\n", "eval") is None
    syntax = check_source("x = 1\ny = (\n", "exec")
    assert syntax is not None and "line 2" in syntax and "syntax error" in syntax
    imported = check_source("x = 1\n\nimport os", "exec")
    assert imported is not None and "line 3" in imported and "import is not allowed" in imported
    assert "line 1" in (check_source("x.__class__", "eval") or "")
    assert "syntax error" in (check_source("x = 1", "eval") or "")
    with pytest.raises(ValueError):
        check_source("x", "single")


# --------------------------------------------------------------------------- end to end

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                  id="defs" targetNamespace="http://example.org/bpmn">
  <bpmn:process id="proc" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="compute"/>
    <bpmn:scriptTask id="compute" name="Compute fee">
      <bpmn:script>SCRIPT</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="compute" targetRef="gw"/>
    <bpmn:exclusiveGateway id="gw" name="Big fee?" default="to_small"/>
    <bpmn:sequenceFlow id="to_big" sourceRef="gw" targetRef="end_big">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">CONDITION</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="to_small" sourceRef="gw" targetRef="end_small"/>
    <bpmn:endEvent id="end_big"/>
    <bpmn:endEvent id="end_small"/>
  </bpmn:process>
</bpmn:definitions>
"""

GOOD_SCRIPT = "fee = price * qty\nitems = [i * 2 for i in range(qty)]\ndue = workdays(3)"


def workflow(script: str, condition: str = "fee &gt; 100", **data: Any) -> BpmnWorkflow:
    xml = BPMN.replace("SCRIPT", script).replace("CONDITION", condition)
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(xml.encode())
    engine = CentreScriptEngine(ManualClock(FRIDAY_9AM), FakeCalendar(), time_limit=0.2)
    wf = BpmnWorkflow(parser.get_spec("proc"), script_engine=engine)
    for task in wf.get_tasks(state=TaskState.READY):
        task.data.update(data)
    return wf


def completed(wf: BpmnWorkflow) -> set[str]:
    return {t.task_spec.bpmn_id for t in wf.get_tasks(state=TaskState.COMPLETED) if t.task_spec.bpmn_id}


@pytest.mark.parametrize(("qty", "end", "other"), [(30, "end_big", "end_small"), (3, "end_small", "end_big")])
def test_diagram_runs_script_and_gateway(qty: int, end: str, other: str) -> None:
    wf = workflow(GOOD_SCRIPT, price=5, qty=qty)
    wf.do_engine_steps()
    assert wf.completed
    done = completed(wf)
    assert {"compute", "gw", end} <= done and other not in done
    last = [t for t in wf.get_tasks(state=TaskState.COMPLETED) if t.task_spec.bpmn_id == end][0]
    assert last.data["fee"] == 5 * qty
    assert last.data["items"] == [i * 2 for i in range(qty)]
    assert last.data["due"] == "2024-05-15T15:59:59+00:00"
    assert "workdays" not in last.data and "__builtins__" not in last.data


def test_diagram_script_with_import_names_the_task() -> None:
    wf = workflow("fee = 1\nimport os", price=5, qty=3)
    with pytest.raises(WorkflowTaskException) as info:
        wf.do_engine_steps()
    exc = info.value
    assert exc.task.task_spec.bpmn_id == "compute"
    assert exc.task.task_spec.bpmn_name == "Compute fee"
    assert "import is not allowed" in str(exc)
    assert exc.line_number == 2


def test_diagram_runtime_error_reports_line() -> None:
    wf = workflow("fee = 1\nbad = price / 0", price=5, qty=3)
    with pytest.raises(WorkflowTaskException) as info:
        wf.do_engine_steps()
    assert info.value.task.task_spec.bpmn_id == "compute"
    assert info.value.line_number == 2
    assert "ZeroDivisionError" in str(info.value)


def test_diagram_endless_condition_names_the_gateway() -> None:
    wf = workflow(
        GOOD_SCRIPT, condition="[1 for a in range(10 ** 7) for b in range(10 ** 7)]", price=5, qty=3
    )
    with pytest.raises(WorkflowTaskException) as info:
        wf.do_engine_steps()
    assert info.value.task.task_spec.bpmn_id == "gw"
    assert "script exceeded 0.2 s" in str(info.value)

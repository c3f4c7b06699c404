"""Real limits on diagram scripts: memory and CPU of one evaluation are bounded in an evaluator process, and a
script past them is an incident on its item while this process stays healthy (issue examples)."""

from __future__ import annotations

import os
import pickle
import resource
import time

import pytest

import runner
from runner.core.sandbox import wire
from runner.core.sandbox.pool import EvaluatorPool
from runner.core.scripts import RestrictedEnvironment
from runner.exceptions import ScriptError
from tests.runner.helpers import DATA, actions, complete, describe, start, the_task

CHAINED_SUMS = "x = " + " + ".join(["sum(map(len, map(str, range(9999999))))"] * 6)


def resident_mb() -> float:
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.fixture(scope="module")
def pool() -> EvaluatorPool:
    pool = EvaluatorPool(memory_mb=128)
    yield pool
    pool.close()


@pytest.fixture
def env(pool: EvaluatorPool) -> RestrictedEnvironment:
    return RestrictedEnvironment({}, time_limit=0.3, evaluators=pool)


@pytest.mark.parametrize(
    "script",
    [
        'x = len("a".ljust(1500000000))',
        'x = len("%0*d" % (500000000, 0))',
        "lst = [0] * 1000\nfor i in range(40):\n    lst.extend(lst)",
        "parts = ['x' * 1000000] * 200\ns = ''.join(parts)",
    ],
)
def test_memory_is_bounded_per_evaluation(pool: EvaluatorPool, script: str) -> None:
    # time enough to reach the memory limit on a loaded machine (at 0.3 s a busy CI node stopped the doubling
    # list by its time limit first): it is the memory limit that must stop each of these
    env = RestrictedEnvironment({}, time_limit=3.0, evaluators=pool)
    before = resident_mb()
    began = time.monotonic()
    with pytest.raises(ScriptError, match=r"脚本内存超限|sequence length"):
        env.execute(script, {})
    assert time.monotonic() - began < 5
    assert resident_mb() - before < 50  # the memory was the evaluator's, not this process's
    assert env.evaluate("1 + 1", {}) == 2  # a fresh evaluator took over


def test_one_long_c_call_cannot_outrun_the_time_limit(env: RestrictedEnvironment) -> None:
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    began = time.monotonic()
    with pytest.raises(ScriptError, match="script exceeded 0.3 s"):
        env.execute(CHAINED_SUMS, {})
    assert time.monotonic() - began < 0.3 + 0.5 + 1.0
    after = resource.getrusage(resource.RUSAGE_SELF)
    assert (after.ru_utime - cpu.ru_utime) < 0.5  # the work was not done in this process
    assert env.evaluate("2 * 3", {}) == 6


def test_a_result_too_large_to_keep_is_refused(env: RestrictedEnvironment) -> None:
    with pytest.raises(ScriptError, match="too large|脚本内存超限"):
        env.execute('big = "%0*d" % (50000000, 0)', {})  # 50 MB: within memory, too much for task data
    roomy = RestrictedEnvironment({}, time_limit=2.0)  # the default 256 MB: room to build it, not to keep it
    with pytest.raises(ScriptError, match="too large"):
        roomy.execute('big = "%0*d" % (50000000, 0)', {})
    data = {"keep": 1}
    with pytest.raises(ScriptError):
        env.execute('keep = 2\nbig = "%0*d" % (50000000, 0)', data)
    assert data == {"keep": 1}  # a failed script changes no task data


def test_an_answer_naming_code_is_refused() -> None:
    class Exploit:
        def __reduce__(self):  # what a process that escaped the sandbox could send back
            return (os.system, ("true",))

    with pytest.raises(wire.RefusedValue):
        wire.untrusted_loads(pickle.dumps(("ok", Exploit())))
    assert wire.untrusted_loads(wire.dumps(("ok", {"a": [1, 2.5, None], "b": {1, 2}}))) == (
        "ok",
        {"a": [1, 2.5, None], "b": {1, 2}},
    )


@pytest.mark.parametrize(
    ("script", "message"),
    [('x = len("a".ljust(1500000000))', "脚本内存超限"), (CHAINED_SUMS, "脚本运行超时")],
)
def test_a_script_past_its_limits_is_an_incident_on_its_item(services, script: str, message: str) -> None:
    xml = (DATA / "upper_reply.bpmn").read_bytes().replace(b"per_copy = total / copies", script.encode())
    with services.transaction() as s:
        runner.upsert_windows(s, [("shebao", "社保")])
        runner.deploy(s, xml, "limits.bpmn", actor="designer")
    iid = start(services, "upper_reply", data={"lead_window": "shebao", "total": 10, "copies": 2})
    before = resident_mb()
    complete(services, the_task(services, iid, "report")["id"], {})
    view = describe(services, iid)
    assert view["status"] == "error"
    [incident] = view["incidents"]
    assert message in incident["message"]
    assert actions(services, iid) == ["start", "complete", "incident"]
    assert resident_mb() - before < 50
    # the next item is stepped as usual
    other = start(services, "upper_reply", data={"lead_window": "shebao", "total": 10, "copies": 2})
    assert the_task(services, other, "report")

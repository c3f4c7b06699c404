"""Edge cases of the scoped throws: an event subprocess whose handler throws the error again (it goes to the
scope around, never back to itself), an error in one instance of a multi-instance subprocess (all instances end,
the boundary path follows)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.test_call_activity_throws import callee, caller
from tests.api.test_error_event_subprocesses import AGREE, REFUSE, THROWS, names
from tests.api.test_foreign_diagrams import api, auth, item, start, upload, work  # noqa: F401

ERROR = THROWS["error"][1]
HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="x">
  <bpmn:error id="E1" name="审核不通过" errorCode="REFUSED"/>"""


def rethrow(catch: str) -> bytes:
    """受理审查 holds 审核, a refusal ends in the error; 受理审查's event subprocess on it runs 处理异常 then
    throws the error again. ``catch``: "boundary" (an error boundary event on 受理审查 → 上级处理) or "parent"
    (the process's event subprocess on it → 上级处理)."""
    boundary = ""
    parent_esp = ""
    if catch == "boundary":
        boundary = f"""<bpmn:boundaryEvent id="be" attachedToRef="outer">{ERROR}</bpmn:boundaryEvent>
    <bpmn:userTask id="up" name="上级处理" camunda:candidateGroups="centre"/><bpmn:endEvent id="e_up"/>
    <bpmn:sequenceFlow id="u1" sourceRef="be" targetRef="up"/>
    <bpmn:sequenceFlow id="u2" sourceRef="up" targetRef="e_up"/>"""
    else:
        parent_esp = f"""<bpmn:subProcess id="pesp" triggeredByEvent="true">
      <bpmn:startEvent id="pb">{ERROR}</bpmn:startEvent>
      <bpmn:userTask id="up" name="上级处理" camunda:candidateGroups="centre"/><bpmn:endEvent id="e_up"/>
      <bpmn:sequenceFlow id="u1" sourceRef="pb" targetRef="up"/>
      <bpmn:sequenceFlow id="u2" sourceRef="up" targetRef="e_up"/>
    </bpmn:subProcess>"""
    return f"""{HEAD}
  <bpmn:process id="rethrow" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:subProcess id="outer" name="受理审查">
      <bpmn:startEvent id="os"/>
      <bpmn:userTask id="review" name="审核" camunda:candidateGroups="shebao"/>
      <bpmn:exclusiveGateway id="g" default="no"/>
      <bpmn:endEvent id="e_ok"/>
      <bpmn:endEvent id="thrown">{ERROR}</bpmn:endEvent>
      <bpmn:subProcess id="esp" triggeredByEvent="true">
        <bpmn:startEvent id="eb">{ERROR}</bpmn:startEvent>
        <bpmn:userTask id="handle" name="处理异常" camunda:candidateGroups="centre"/>
        <bpmn:endEvent id="again">{ERROR}</bpmn:endEvent>
        <bpmn:sequenceFlow id="h1" sourceRef="eb" targetRef="handle"/>
        <bpmn:sequenceFlow id="h2" sourceRef="handle" targetRef="again"/>
      </bpmn:subProcess>
      <bpmn:sequenceFlow id="o1" sourceRef="os" targetRef="review"/>
      <bpmn:sequenceFlow id="o2" sourceRef="review" targetRef="g"/>
      <bpmn:sequenceFlow id="yes" sourceRef="g" targetRef="e_ok">
        <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">approved</bpmn:conditionExpression>
      </bpmn:sequenceFlow>
      <bpmn:sequenceFlow id="no" sourceRef="g" targetRef="thrown"/>
    </bpmn:subProcess>
    {boundary}
    {parent_esp}
    <bpmn:userTask id="issue" name="发证" camunda:candidateGroups="centre"/><bpmn:endEvent id="e_done"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="outer"/>
    <bpmn:sequenceFlow id="f2" sourceRef="outer" targetRef="issue"/>
    <bpmn:sequenceFlow id="f3" sourceRef="issue" targetRef="e_done"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


@pytest.mark.parametrize("catch", ["boundary", "parent"])
def test_an_error_thrown_by_an_event_subprocess_goes_to_the_scope_around(api: Any, catch: str) -> None:  # noqa: F811
    """处理异常's error end event is caught by 受理审查's boundary event (the parent's event subprocess), not by
    the event subprocess that threw it: 上级处理 comes once, 发证 never."""
    response = upload(api, rethrow(catch), "rethrow.bpmn")
    assert response.status_code == 201, response.get_json()
    started = start(api, "rethrow", {"applicant": "张三"})
    view = item(api, started["id"])
    work(api, view["tasks"][0], REFUSE)
    view = item(api, started["id"])
    assert names(view) == ["处理异常"] and not view["incidents"], view
    work(api, view["tasks"][0], AGREE)
    view = item(api, started["id"])
    assert names(view) == ["上级处理"] and not view["incidents"], view
    work(api, view["tasks"][0], AGREE)
    view = item(api, started["id"])
    assert view["status"] == "completed" and not view["tasks"], view
    assert "issue" not in view["completed_path"], view


def multi(sequential: bool) -> bytes:
    """审查 runs once for each of three materials (parallel or sequential), each holding 审核 whose refusal ends
    in the error; an error boundary event on 审查 → 补正; 审查's normal end → 发证."""
    flag = "true" if sequential else "false"
    return f"""{HEAD}
  <bpmn:process id="mi_error" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:subProcess id="check" name="审查">
      <bpmn:multiInstanceLoopCharacteristics isSequential="{flag}">
        <bpmn:loopCardinality xsi:type="bpmn:tFormalExpression">3</bpmn:loopCardinality>
      </bpmn:multiInstanceLoopCharacteristics>
      <bpmn:startEvent id="cs"/>
      <bpmn:userTask id="review" name="审核" camunda:candidateGroups="shebao"/>
      <bpmn:exclusiveGateway id="g" default="no"/>
      <bpmn:endEvent id="e_ok"/>
      <bpmn:endEvent id="thrown">{ERROR}</bpmn:endEvent>
      <bpmn:sequenceFlow id="c1" sourceRef="cs" targetRef="review"/>
      <bpmn:sequenceFlow id="c2" sourceRef="review" targetRef="g"/>
      <bpmn:sequenceFlow id="yes" sourceRef="g" targetRef="e_ok">
        <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">approved</bpmn:conditionExpression>
      </bpmn:sequenceFlow>
      <bpmn:sequenceFlow id="no" sourceRef="g" targetRef="thrown"/>
    </bpmn:subProcess>
    <bpmn:boundaryEvent id="be" attachedToRef="check">{ERROR}</bpmn:boundaryEvent>
    <bpmn:userTask id="fix" name="补正" camunda:candidateGroups="centre"/><bpmn:endEvent id="e_fix"/>
    <bpmn:userTask id="issue" name="发证" camunda:candidateGroups="centre"/><bpmn:endEvent id="e_done"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="check"/>
    <bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="issue"/>
    <bpmn:sequenceFlow id="f3" sourceRef="issue" targetRef="e_done"/>
    <bpmn:sequenceFlow id="b1" sourceRef="be" targetRef="fix"/>
    <bpmn:sequenceFlow id="b2" sourceRef="fix" targetRef="e_fix"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


def second_refused(api: Any, instance_id: int, sequential: bool) -> dict[str, Any]:  # noqa: F811
    """Three 审核 instances (one at a time when ``sequential``): the first agreed, the second refused; the item
    after."""
    view = item(api, instance_id)
    assert names(view) == ["审核"] * (1 if sequential else 3), view
    work(api, view["tasks"][0], AGREE)
    view = item(api, instance_id)
    assert names(view) == ["审核"] * (1 if sequential else 2), view
    work(api, view["tasks"][0], REFUSE)
    return item(api, instance_id)


@pytest.mark.parametrize("sequential", [False, True])
def test_an_error_in_one_instance_ends_every_instance_and_takes_the_boundary(
    api: Any,  # noqa: F811
    sequential: bool,
) -> None:
    """The second 审核 refused: the other 审核 (parallel) go, no further instance starts (sequential), 补正 comes
    and 发证 never."""
    response = upload(api, multi(sequential), "mi_error.bpmn")
    assert response.status_code == 201, response.get_json()
    started = start(api, "mi_error", {"applicant": "张三"})
    view = second_refused(api, started["id"], sequential)
    assert names(view) == ["补正"] and not view["incidents"], view
    work(api, view["tasks"][0], AGREE)
    view = item(api, started["id"])
    assert view["status"] == "completed" and not view["tasks"], view
    assert "issue" not in view["completed_path"], view


def test_a_signal_starts_the_called_process_event_subprocess_while_it_runs(api: Any) -> None:  # noqa: F811
    """POST /api/signals reaches a signal event subprocess of a called process while the call activity runs:
    the interrupting 撤回处理 replaces 审核; the called process ends with it and 发证 follows."""
    text = callee("error").decode()
    esp = """<bpmn:subProcess id="esp" triggeredByEvent="true">
      <bpmn:startEvent id="b"><bpmn:signalEventDefinition signalRef="sg"/></bpmn:startEvent>
      <bpmn:userTask id="withdraw" name="撤回处理" camunda:candidateGroups="centre"/><bpmn:endEvent id="e_w"/>
      <bpmn:sequenceFlow id="b1" sourceRef="b" targetRef="withdraw"/>
      <bpmn:sequenceFlow id="b2" sourceRef="withdraw" targetRef="e_w"/></bpmn:subProcess>"""
    text = text.replace(
        '<bpmn:process id="thrower"', '<bpmn:signal id="sg" name="撤回"/>\n  <bpmn:process id="thrower"'
    )
    text = text.replace('<bpmn:endEvent id="e_ok"/>', '<bpmn:endEvent id="e_ok"/>' + esp)
    assert upload(api, text.encode(), "thrower.bpmn").status_code == 201
    assert upload(api, caller("error", False, False), "calling.bpmn").status_code == 201
    started = start(api, "calling")
    answer = api.post("/api/signals", json={"name": "撤回"}, headers=auth("t-admin"))
    assert answer.status_code == 200 and answer.get_json()["count"] == 1, answer.get_json()
    view = item(api, started["id"])
    assert names(view) == ["撤回处理"] and not view["incidents"], view
    work(api, view["tasks"][0], AGREE)
    assert names(item(api, started["id"])) == ["发证"]


UNCAUGHT = f"""{HEAD}
  <bpmn:process id="uncaught" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="review" name="审核" camunda:candidateGroups="shebao"/>
    <bpmn:endEvent id="thrown">{ERROR}</bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="review"/>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="thrown"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


def test_an_uncaught_error_is_in_the_audit(api: Any) -> None:  # noqa: F811
    """No catch for the error: the item ends on the error end event (BPMN leaves it unspecified) but its audit
    says an error went uncaught, with its code."""
    assert upload(api, UNCAUGHT, "uncaught.bpmn").status_code == 201
    started = start(api, "uncaught")
    work(api, item(api, started["id"])["tasks"][0], REFUSE)
    view = item(api, started["id"])
    assert view["status"] == "completed" and not view["incidents"], view
    entries = [e for e in view["audit"] if e["action"] == "uncaught_error"]
    assert len(entries) == 1, view["audit"]
    assert entries[0]["detail"] == {
        "code": "REFUSED",
        "error": "审核不通过",
        "step": "thrown",
        "step_name": None,
    }


@pytest.mark.parametrize("sequential", [False, True])
def test_an_error_in_one_called_instance_ends_every_instance_and_takes_the_boundary(
    api: Any,  # noqa: F811
    sequential: bool,
) -> None:
    """A multi-instance call activity (three instances) with an error boundary event: the second called
    审核 refused ends every instance, 边界处理 comes and 发证 never."""
    flag = "true" if sequential else "false"
    loop = f"""<bpmn:callActivity id="call" name="调用审核" calledElement="thrower">
      <bpmn:multiInstanceLoopCharacteristics isSequential="{flag}">
        <bpmn:loopCardinality xsi:type="bpmn:tFormalExpression">3</bpmn:loopCardinality>
      </bpmn:multiInstanceLoopCharacteristics></bpmn:callActivity>"""
    text = caller("error", True, False).decode()
    text = text.replace('<bpmn:callActivity id="call" name="调用审核" calledElement="thrower"/>', loop)
    assert upload(api, callee("error"), "thrower.bpmn").status_code == 201
    assert upload(api, text.encode(), "calling.bpmn").status_code == 201
    started = start(api, "calling")
    view = second_refused(api, started["id"], sequential)
    assert names(view) == ["边界处理"] and not view["incidents"], view
    work(api, view["tasks"][0], AGREE)
    view = item(api, started["id"])
    assert view["status"] == "completed" and "issue" not in view["completed_path"], view

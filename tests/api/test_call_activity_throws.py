"""An error or escalation thrown in a call activity's called process, as Camunda Modeler draws it: the called
process's 审核 (shebao) refuses and ends on an error (escalation) end event. The caller catches it by an
interrupting boundary event on the call activity (its 边界处理, centre), or by an event subprocess of its own
(处理异常, centre); with both drawn, the boundary event (nearer the throw) wins and the event subprocess never
starts."""

from __future__ import annotations

from typing import Any

import pytest

import runner
from tests.api.test_error_event_subprocesses import AGREE, REFUSE, THROWS, names, pending_timers
from tests.api.test_foreign_diagrams import api, auth, item, start, upload, work  # noqa: F401

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="x">"""


def callee(kind: str) -> bytes:
    """审核 → approved: e_ok; else an end event throwing ``kind`` (code REFUSED)."""
    declaration, definition = THROWS[kind]
    return f"""{HEAD}
  {declaration}
  <bpmn:process id="thrower" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="review" name="审核" camunda:candidateGroups="shebao"/>
    <bpmn:exclusiveGateway id="g" default="no"/>
    <bpmn:endEvent id="e_ok"/>
    <bpmn:endEvent id="thrown">{definition}</bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="review"/>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="g"/>
    <bpmn:sequenceFlow id="yes" sourceRef="g" targetRef="e_ok">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">approved</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="no" sourceRef="g" targetRef="thrown"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


def caller(kind: str, boundary: bool, event_subprocess: bool) -> bytes:
    """start → the call activity of ``thrower`` → 发证 (centre) → e_done; an interrupting boundary event on
    ``kind`` on the call activity → 边界处理 (centre) → e_boundary, and/or an interrupting event subprocess on
    ``kind`` whose 处理异常 (centre) → e_handled."""
    declaration, definition = THROWS[kind]
    catch = ""
    if boundary:
        catch += f"""<bpmn:boundaryEvent id="caught" attachedToRef="call">{definition}</bpmn:boundaryEvent>
    <bpmn:userTask id="on_boundary" name="边界处理" camunda:candidateGroups="centre"/>
    <bpmn:endEvent id="e_boundary"/>
    <bpmn:sequenceFlow id="c1" sourceRef="caught" targetRef="on_boundary"/>
    <bpmn:sequenceFlow id="c2" sourceRef="on_boundary" targetRef="e_boundary"/>"""
    if event_subprocess:
        catch += f"""<bpmn:subProcess id="esp" triggeredByEvent="true">
      <bpmn:startEvent id="b">{definition}</bpmn:startEvent>
      <bpmn:userTask id="handle" name="处理异常" camunda:candidateGroups="centre"/>
      <bpmn:endEvent id="e_handled"/>
      <bpmn:sequenceFlow id="b1" sourceRef="b" targetRef="handle"/>
      <bpmn:sequenceFlow id="b2" sourceRef="handle" targetRef="e_handled"/>
    </bpmn:subProcess>"""
    return f"""{HEAD}
  {declaration}
  <bpmn:process id="calling" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:callActivity id="call" name="调用审核" calledElement="thrower"/>
    <bpmn:userTask id="issue" name="发证" camunda:candidateGroups="centre"/>
    <bpmn:endEvent id="e_done"/>
    {catch}
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="call"/>
    <bpmn:sequenceFlow id="f2" sourceRef="call" targetRef="issue"/>
    <bpmn:sequenceFlow id="f3" sourceRef="issue" targetRef="e_done"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


def deploy_both(api: Any, kind: str, boundary: bool, event_subprocess: bool) -> None:  # noqa: F811
    for data, name in (
        (callee(kind), "thrower.bpmn"),
        (caller(kind, boundary, event_subprocess), "calling.bpmn"),
    ):
        response = upload(api, data, name)
        assert response.status_code == 201, response.get_json()


@pytest.mark.parametrize("kind", sorted(THROWS))
@pytest.mark.parametrize(
    ("boundary", "event_subprocess", "handler", "end"),
    [
        (True, False, "边界处理", "e_boundary"),
        (False, True, "处理异常", "e_handled"),
        (True, True, "边界处理", "e_boundary"),
    ],
    ids=["boundary", "event_subprocess", "boundary_wins"],
)
def test_a_throw_in_a_called_process_is_caught_by_the_caller(
    api: Any,  # noqa: F811
    services: runner.Services,
    kind: str,
    boundary: bool,
    event_subprocess: bool,
    handler: str,
    end: str,
) -> None:
    """The called process's refusal throws; the caller's nearest catch runs alone (发证 never comes) and its end
    ends the item."""
    deploy_both(api, kind, boundary, event_subprocess)
    started = start(api, "calling", {"applicant": "张三"})
    view = item(api, started["id"])
    assert names(view) == ["审核"], view
    work(api, view["tasks"][0], REFUSE)
    view = item(api, started["id"])
    assert names(view) == [handler] and not view["incidents"], view
    assert view["tasks"][0]["window"] == "centre", view
    work(api, view["tasks"][0], AGREE)
    view = item(api, started["id"])
    assert view["status"] == "completed" and not view["tasks"] and not view["incidents"], view
    path = view["completed_path"]
    assert end in path and "issue" not in path and "e_done" not in path, view
    if handler == "边界处理":
        assert "handle" not in path and "e_handled" not in path, view
    assert pending_timers(services, started["id"]) == 0


@pytest.mark.parametrize("kind", sorted(THROWS))
def test_an_approval_in_the_called_process_goes_on_to_issue(api: Any, kind: str) -> None:  # noqa: F811
    """No throw: the call activity ends and 发证 comes; neither catch runs."""
    deploy_both(api, kind, True, True)
    started = start(api, "calling")
    work(api, item(api, started["id"])["tasks"][0], AGREE)
    view = item(api, started["id"])
    assert names(view) == ["发证"], view
    work(api, view["tasks"][0], AGREE)
    view = item(api, started["id"])
    assert view["status"] == "completed" and not {"on_boundary", "handle"} & set(view["completed_path"]), view


def test_a_message_starts_the_called_process_event_subprocess_while_it_runs(api: Any) -> None:  # noqa: F811
    """A called process's message event subprocess (at its top level, so it deployed) was never started: the
    message found no armed start (404) while the call activity ran. Now its 催办 runs beside 审核."""
    text = callee("error").decode()
    esp = """<bpmn:subProcess id="esp" triggeredByEvent="true">
      <bpmn:startEvent id="b" isInterrupting="false"><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>
      <bpmn:userTask id="urge" name="催办" camunda:candidateGroups="centre"/><bpmn:endEvent id="e_urge"/>
      <bpmn:sequenceFlow id="b1" sourceRef="b" targetRef="urge"/>
      <bpmn:sequenceFlow id="b2" sourceRef="urge" targetRef="e_urge"/></bpmn:subProcess>"""
    text = text.replace(
        '<bpmn:process id="thrower"', '<bpmn:message id="m" name="urge"/>\n  <bpmn:process id="thrower"'
    )
    text = text.replace('<bpmn:endEvent id="e_ok"/>', '<bpmn:endEvent id="e_ok"/>' + esp)
    assert upload(api, text.encode(), "thrower.bpmn").status_code == 201
    assert upload(api, caller("error", False, False), "calling.bpmn").status_code == 201
    started = start(api, "calling")
    body = {"name": "urge", "correlation": started["business_key"], "payload": {"urgency": "high"}}
    answer = api.post("/api/messages", json=body, headers=auth("t-admin"))
    assert answer.status_code == 200, answer.get_json()
    view = item(api, started["id"])
    assert names(view) == ["催办", "审核"] and not view["incidents"], view
    for task in view["tasks"]:
        work(api, task, AGREE)
    view = item(api, started["id"])
    assert names(view) == ["发证"], view

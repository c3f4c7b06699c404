"""Error and escalation event subprocesses, as Camunda Modeler draws them: 审核 (shebao) beside a timer path
(归档 after ten days); an error end event (or an escalation thrown on the way) after a refusal starts the event
subprocess, whose 处理异常 task (centre) a clerk handles. SpiffWorkflow reads no error or escalation start: such a
start ran at once as a plain start, so the diagrams were refused at deploy; now they run as drawn."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

import runner
from runner.models import Timer, TimerStatus
from tests.api.test_foreign_diagrams import api, auth, item, start, upload, work  # noqa: F401
from tests.support.flow import advance_to

REFUSE = {"opinion": "不同意", "approved": False}
AGREE = {"opinion": "同意", "approved": True}
THROWS = {
    "error": (
        '<bpmn:error id="E1" name="审核不通过" errorCode="REFUSED"/>',
        '<bpmn:errorEventDefinition errorRef="E1"/>',
    ),
    "escalation": (
        '<bpmn:escalation id="E1" name="上报" escalationCode="REFUSED"/>',
        '<bpmn:escalationEventDefinition escalationRef="E1"/>',
    ),
}


# a signal end event threw nothing (SpiffWorkflow reads no signal on an end event): it deploys and throws now
SIGNAL = ('<bpmn:signal id="E1" name="撤回"/>', '<bpmn:signalEventDefinition signalRef="E1"/>')


def review_beside_archive(start: str, thrower: str) -> str:
    """From ``start``: 审核 (shebao) → a gateway: approved → e_ok, else ``thrower`` (the element with id
    ``thrown``); beside 审核 a ten-day timer → 归档 (centre) → e_archive."""
    return f"""<bpmn:parallelGateway id="fork"/>
    <bpmn:userTask id="review" name="审核" camunda:candidateGroups="shebao"/>
    <bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition>
      <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">P10D</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:userTask id="archive" name="归档" camunda:candidateGroups="centre"/><bpmn:endEvent id="e_archive"/>
    <bpmn:exclusiveGateway id="g" default="no"/>
    <bpmn:endEvent id="e_ok"/>
    {thrower}
    <bpmn:sequenceFlow id="f0" sourceRef="{start}" targetRef="fork"/>
    <bpmn:sequenceFlow id="f1" sourceRef="fork" targetRef="review"/>
    <bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="wait"/>
    <bpmn:sequenceFlow id="f3" sourceRef="wait" targetRef="archive"/>
    <bpmn:sequenceFlow id="f4" sourceRef="archive" targetRef="e_archive"/>
    <bpmn:sequenceFlow id="f5" sourceRef="review" targetRef="g"/>
    <bpmn:sequenceFlow id="yes" sourceRef="g" targetRef="e_ok">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">approved</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="no" sourceRef="g" targetRef="thrown"/>"""


def diagram(kind: str, interrupting: bool = True, thrown_by: str = "endEvent") -> bytes:
    """审核 → a gateway: approved → e_ok; else a ``kind`` thrown by ``thrown_by`` (an end event, or an
    intermediate throw event followed by 复核); beside 审核 a ten-day timer → 归档; an event subprocess on
    ``kind`` whose 处理异常 (centre) → e_handled."""
    declaration, definition = SIGNAL if kind == "signal" else THROWS[kind]
    if thrown_by == "endEvent":
        thrower = f'<bpmn:endEvent id="thrown">{definition}</bpmn:endEvent>'
    else:
        thrower = f"""<bpmn:intermediateThrowEvent id="thrown">{definition}</bpmn:intermediateThrowEvent>
    <bpmn:userTask id="recheck" name="复核" camunda:candidateGroups="shebao"/><bpmn:endEvent id="e_recheck"/>
    <bpmn:sequenceFlow id="t1" sourceRef="thrown" targetRef="recheck"/>
    <bpmn:sequenceFlow id="t2" sourceRef="recheck" targetRef="e_recheck"/>"""
    flag = "true" if interrupting else "false"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="x">
  {declaration}
  <bpmn:process id="esp_error" isExecutable="true">
    <bpmn:startEvent id="s"/>
    {review_beside_archive("s", thrower)}
    <bpmn:subProcess id="esp" triggeredByEvent="true">
      <bpmn:startEvent id="b" isInterrupting="{flag}">{definition}</bpmn:startEvent>
      <bpmn:userTask id="handle" name="处理异常" camunda:candidateGroups="centre"/>
      <bpmn:endEvent id="e_handled"/>
      <bpmn:sequenceFlow id="b1" sourceRef="b" targetRef="handle"/>
      <bpmn:sequenceFlow id="b2" sourceRef="handle" targetRef="e_handled"/>
    </bpmn:subProcess>
  </bpmn:process>
</bpmn:definitions>""".encode()


def pending_timers(services: runner.Services, instance_id: int) -> int:
    with services.transaction() as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(Timer)
                .where(Timer.instance_id == instance_id, Timer.status == TimerStatus.PENDING)
            )
            or 0
        )


def names(view: dict[str, Any]) -> list[str]:
    return sorted(t["name"] for t in view["tasks"])


@pytest.mark.parametrize("kind", [*sorted(THROWS), "signal"])
def test_a_thrown_end_event_starts_the_interrupting_event_subprocess(
    api: Any,  # noqa: F811
    services: runner.Services,
    clock: runner.ManualClock,
    kind: str,
) -> None:
    """The refusal's error (escalation, signal) end event starts 处理异常, which cancels the timer path (its timer is
    removed, 归档 never comes) and whose end ends the item."""
    response = upload(api, diagram(kind), "esp_error.bpmn")
    assert response.status_code == 201, response.get_json()
    started = start(api, "esp_error", {"applicant": "张三"})
    view = item(api, started["id"])
    assert names(view) == ["审核"] and pending_timers(services, started["id"]) == 1, view
    work(api, view["tasks"][0], REFUSE)
    view = item(api, started["id"])
    assert names(view) == ["处理异常"] and not view["incidents"], view
    assert view["tasks"][0]["window"] == "centre", view
    assert pending_timers(services, started["id"]) == 0
    work(api, view["tasks"][0], AGREE)
    view = item(api, started["id"])
    assert view["status"] == "completed" and not view["tasks"] and not view["incidents"], view
    assert "e_handled" in view["completed_path"] and "archive" not in view["completed_path"], view
    advance_to(services, clock, clock.now() + timedelta(days=11))
    assert item(api, started["id"])["status"] == "completed"


@pytest.mark.parametrize("kind", sorted(THROWS))
def test_an_item_approved_never_starts_the_event_subprocess(
    api: Any,  # noqa: F811
    services: runner.Services,
    clock: runner.ManualClock,
    kind: str,
) -> None:
    """No error, no 处理异常: the item waits for its timer path and ends after 归档."""
    assert upload(api, diagram(kind), "esp_error.bpmn").status_code == 201
    started = start(api, "esp_error")
    work(api, item(api, started["id"])["tasks"][0], AGREE)
    advance_to(services, clock, clock.now() + timedelta(days=10, seconds=1))
    view = item(api, started["id"])
    assert names(view) == ["归档"], view
    work(api, view["tasks"][0], AGREE)
    view = item(api, started["id"])
    assert view["status"] == "completed" and "esp" not in view["completed_path"], view


@pytest.mark.parametrize("kind", ["escalation", "signal"])
def test_a_throw_on_the_way_starts_the_interrupting_event_subprocess(
    api: Any,  # noqa: F811
    services: runner.Services,
    kind: str,
) -> None:
    """An intermediate escalation (or signal) throw starts the interrupting event subprocess: 复核 after the
    throw and the timer path are cancelled, 处理异常 runs alone and its end ends the item."""
    response = upload(api, diagram(kind, True, "intermediateThrowEvent"), "esp_throw.bpmn")
    assert response.status_code == 201, response.get_json()
    started = start(api, "esp_error")
    work(api, item(api, started["id"])["tasks"][0], REFUSE)
    view = item(api, started["id"])
    assert names(view) == ["处理异常"] and not view["incidents"], view
    assert pending_timers(services, started["id"]) == 0
    work(api, view["tasks"][0], AGREE)
    view = item(api, started["id"])
    assert view["status"] == "completed" and not view["tasks"] and not view["incidents"], view
    assert "recheck" not in view["completed_path"] and "e_handled" in view["completed_path"], view


@pytest.mark.parametrize("kind", ["escalation", "signal"])
def test_a_non_interrupting_throw_runs_the_event_subprocess_beside_the_path_that_threw_it(
    api: Any,  # noqa: F811
    services: runner.Services,
    clock: runner.ManualClock,
    kind: str,
) -> None:
    """An intermediate escalation (or signal) throw starts the non-interrupting event subprocess: 处理异常 and
    复核 are both open, the timer path stays; the item ends when all are done."""
    upload_ = upload(api, diagram(kind, False, "intermediateThrowEvent"), "esp_escalation.bpmn")
    assert upload_.status_code == 201, upload_.get_json()
    started = start(api, "esp_error")
    work(api, item(api, started["id"])["tasks"][0], REFUSE)
    view = item(api, started["id"])
    assert names(view) == ["处理异常", "复核"] and not view["incidents"], view
    assert pending_timers(services, started["id"]) == 1
    for task in view["tasks"]:
        work(api, task, AGREE)
    view = item(api, started["id"])
    view = item(api, started["id"])
    assert names(view) == [] and view["status"] != "completed", view  # the timer path still waits
    advance_to(services, clock, clock.now() + timedelta(days=10, seconds=1))
    view = item(api, started["id"])
    assert names(view) == ["归档"], view
    work(api, view["tasks"][0], AGREE)
    view = item(api, started["id"])
    assert view["status"] == "completed" and not view["incidents"], view
    assert {"e_handled", "e_recheck", "e_archive"} <= set(view["completed_path"]), view


@pytest.mark.parametrize("case", ["catch_all", "thrown_in_a_subprocess"])
def test_an_error_from_anywhere_in_the_process_starts_the_event_subprocess(
    api: Any,  # noqa: F811
    services: runner.Services,
    case: str,
) -> None:
    """Camunda Modeler's error start without an errorRef catches every error; an error end event inside an
    embedded subprocess (no boundary event on it) reaches the process's error event subprocess."""
    text = diagram("error").decode()
    if case == "catch_all":
        i = text.index('<bpmn:startEvent id="b"')
        text = text[:i] + text[i:].replace(
            '<bpmn:errorEventDefinition errorRef="E1"/>', "<bpmn:errorEventDefinition/>", 1
        )
    else:
        i = text.index('<bpmn:endEvent id="thrown">')
        j = text.index("</bpmn:endEvent>", i) + len("</bpmn:endEvent>")
        thrower = text[i:j].replace('id="thrown"', 'id="inner_thrown"')
        text = (
            text[:i]
            + f"""<bpmn:subProcess id="thrown"><bpmn:startEvent id="is"/>{thrower}
      <bpmn:sequenceFlow id="i1" sourceRef="is" targetRef="inner_thrown"/></bpmn:subProcess>"""
            + text[j:]
        )
    response = upload(api, text.encode(), "esp_error.bpmn")
    assert response.status_code == 201, response.get_json()
    started = start(api, "esp_error")
    work(api, item(api, started["id"])["tasks"][0], REFUSE)
    view = item(api, started["id"])
    assert names(view) == ["处理异常"] and not view["incidents"], view
    assert pending_timers(services, started["id"]) == 0
    work(api, view["tasks"][0], AGREE)
    view = item(api, started["id"])
    assert view["status"] == "completed" and not view["tasks"] and not view["incidents"], view

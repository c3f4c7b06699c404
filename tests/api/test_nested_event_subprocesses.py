"""Event subprocesses inside an embedded subprocess, as Camunda Modeler draws them: 受理审查 (outer) holds 审核
(shebao) beside a ten-day timer path (归档, centre); a refusal throws an error (end event), an escalation or a
signal (on the way, then 复核); an event subprocess of 受理审查 on that error, escalation, signal or a two-day
timer runs 处理异常 (centre). An interrupting one cancels the rest of 受理审查 (its tasks, its timer) and 受理审查
ends when 处理异常 ends, after which 发证 follows; a non-interrupting one runs beside. They were refused at
deploy."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

import runner
from runner.core.specs import SpecCache
from tests.api.test_error_event_subprocesses import (
    AGREE,
    REFUSE,
    SIGNAL,
    THROWS,
    names,
    pending_timers,
    review_beside_archive,
)
from tests.api.test_foreign_diagrams import api, auth, item, start, upload, work  # noqa: F401
from tests.support.flow import advance_to

KINDS = {**THROWS, "signal": SIGNAL}  # what a refusal throws
MESSAGE = ('<bpmn:message id="E1" name="urge"/>', '<bpmn:messageEventDefinition messageRef="E1"/>')
TIMER = (
    '<bpmn:timerEventDefinition><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">P2D</bpmn:timeDuration>'
    "</bpmn:timerEventDefinition>"
)


def thrower(kind: str) -> str:
    """What follows a refusal: an error end event, or an escalation (signal) throw then 复核 (else a plain
    end)."""
    if kind == "error":
        return f'<bpmn:endEvent id="thrown">{THROWS["error"][1]}</bpmn:endEvent>'
    if kind in ("escalation", "signal"):
        return f"""<bpmn:intermediateThrowEvent id="thrown">{KINDS[kind][1]}</bpmn:intermediateThrowEvent>
      <bpmn:userTask id="recheck" name="复核" camunda:candidateGroups="shebao"/><bpmn:endEvent id="e_recheck"/>
      <bpmn:sequenceFlow id="t1" sourceRef="thrown" targetRef="recheck"/>
      <bpmn:sequenceFlow id="t2" sourceRef="recheck" targetRef="e_recheck"/>"""
    return '<bpmn:endEvent id="thrown"/>'


def esp(kind: str, interrupting: bool, sid: str = "esp", task: str = "处理异常") -> str:
    definition = TIMER if kind == "timer" else {**KINDS, "message": MESSAGE}[kind][1]
    flag = "true" if interrupting else "false"
    return f"""<bpmn:subProcess id="{sid}" triggeredByEvent="true">
      <bpmn:startEvent id="{sid}_b" isInterrupting="{flag}">{definition}</bpmn:startEvent>
      <bpmn:userTask id="{sid}_handle" name="{task}" camunda:candidateGroups="centre"/>
      <bpmn:endEvent id="{sid}_handled"/>
      <bpmn:sequenceFlow id="{sid}_1" sourceRef="{sid}_b" targetRef="{sid}_handle"/>
      <bpmn:sequenceFlow id="{sid}_2" sourceRef="{sid}_handle" targetRef="{sid}_handled"/>
    </bpmn:subProcess>"""


def diagram(kind: str, interrupting: bool = True, top_esp: bool = False) -> bytes:
    """start → 受理审查 (with its event subprocess on ``kind``) → 发证 → e_done; ``top_esp``: the process has
    an event subprocess on the same ``kind`` too (its 上级处理)."""
    declaration = {**KINDS, "message": MESSAGE}["error" if kind == "timer" else kind][0]
    throw_kind = "error" if kind in ("timer", "message") else kind
    outer_esp = esp(kind, interrupting)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="x">
  {declaration}
  <bpmn:process id="esp_nested" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:subProcess id="outer" name="受理审查">
      <bpmn:startEvent id="os"/>
      {review_beside_archive("os", thrower(throw_kind if kind not in ("timer", "message") else "none"))}
      {outer_esp}
    </bpmn:subProcess>
    <bpmn:userTask id="issue" name="发证" camunda:candidateGroups="centre"/>
    <bpmn:endEvent id="e_done"/>
    {esp(kind, True, "top_esp", "上级处理") if top_esp else ""}
    <bpmn:sequenceFlow id="p1" sourceRef="s" targetRef="outer"/>
    <bpmn:sequenceFlow id="p2" sourceRef="outer" targetRef="issue"/>
    <bpmn:sequenceFlow id="p3" sourceRef="issue" targetRef="e_done"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


def audited(view: dict[str, Any], action: str) -> int:
    return sum(1 for entry in view["audit"] if entry["action"] == action)


def issue_and_end(api: Any, instance_id: int) -> dict[str, Any]:  # noqa: F811
    """受理审查 has ended: 发证 is the only task; done, the item ends."""
    view = item(api, instance_id)
    assert names(view) == ["发证"] and not view["incidents"], view
    work(api, view["tasks"][0], AGREE)
    view = item(api, instance_id)
    assert view["status"] == "completed" and not view["tasks"] and not view["incidents"], view
    return view


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_throw_in_a_subprocess_starts_its_interrupting_event_subprocess(
    api: Any,  # noqa: F811
    services: runner.Services,
    clock: runner.ManualClock,
    kind: str,
) -> None:
    """The refusal's error (escalation) starts 受理审查's 处理异常: 复核 and the timer path are cancelled (the
    timer removed, audited), and 发证 follows 处理异常's end."""
    response = upload(api, diagram(kind), "esp_nested.bpmn")
    assert response.status_code == 201, response.get_json()
    started = start(api, "esp_nested", {"applicant": "张三"})
    view = item(api, started["id"])
    assert names(view) == ["审核"] and pending_timers(services, started["id"]) == 1, view
    work(api, view["tasks"][0], REFUSE)
    view = item(api, started["id"])
    assert names(view) == ["处理异常"] and not view["incidents"], view
    assert pending_timers(services, started["id"]) == 0
    assert audited(view, "timer_cancelled") == 1, view["audit"]
    services.specs = SpecCache()  # as after a restart: the specs read again from their stored state
    work(api, view["tasks"][0], AGREE)
    view = issue_and_end(api, started["id"])
    path = view["completed_path"]
    assert {"esp_handled", "issue", "e_done"} <= set(path), path
    assert not {"archive", "recheck"} & set(path), path
    advance_to(services, clock, clock.now() + timedelta(days=11))
    assert item(api, started["id"])["status"] == "completed"


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_throw_in_a_subprocess_runs_its_non_interrupting_event_subprocess_beside(
    api: Any,  # noqa: F811
    services: runner.Services,
    clock: runner.ManualClock,
    kind: str,
) -> None:
    """处理异常 runs beside the rest of 受理审查 (复核 after an escalation, the timer path); 受理审查 ends when all
    have, then 发证."""
    response = upload(api, diagram(kind, False), "esp_nested.bpmn")
    assert response.status_code == 201, response.get_json()
    started = start(api, "esp_nested")
    work(api, item(api, started["id"])["tasks"][0], REFUSE)
    view = item(api, started["id"])
    expected = ["处理异常"] if kind == "error" else ["处理异常", "复核"]
    assert names(view) == expected and not view["incidents"], view
    assert pending_timers(services, started["id"]) == 1
    services.specs = SpecCache()  # as after a restart: the specs read again from their stored state
    for task in view["tasks"]:
        work(api, task, AGREE)
    view = item(api, started["id"])
    assert names(view) == [] and view["status"] != "completed", view
    advance_to(services, clock, clock.now() + timedelta(days=10, seconds=1))
    view = item(api, started["id"])
    assert names(view) == ["归档"], view
    work(api, view["tasks"][0], AGREE)
    view = issue_and_end(api, started["id"])
    assert {"esp_handled", "e_archive", "issue"} <= set(view["completed_path"]), view


@pytest.mark.parametrize("interrupting", [True, False], ids=["interrupting", "non_interrupting"])
def test_a_timer_in_a_subprocess_starts_its_event_subprocess(
    api: Any,  # noqa: F811
    services: runner.Services,
    clock: runner.ManualClock,
    interrupting: bool,
) -> None:
    """Two days into 受理审查 its timer starts 处理异常: an interrupting one cancels 审核 and the ten-day timer;
    a non-interrupting one leaves them."""
    response = upload(api, diagram("timer", interrupting), "esp_nested.bpmn")
    assert response.status_code == 201, response.get_json()
    started = start(api, "esp_nested")
    assert pending_timers(services, started["id"]) == 2
    advance_to(services, clock, clock.now() + timedelta(days=2, seconds=1))
    view = item(api, started["id"])
    if interrupting:
        assert names(view) == ["处理异常"] and pending_timers(services, started["id"]) == 0, view
        work(api, view["tasks"][0], AGREE)
    else:
        assert names(view) == ["处理异常", "审核"] and pending_timers(services, started["id"]) == 1, view
        for task in view["tasks"]:
            work(api, task, AGREE)
        advance_to(services, clock, clock.now() + timedelta(days=10, seconds=1))
        work(api, item(api, started["id"])["tasks"][0], AGREE)  # 归档
    issue_and_end(api, started["id"])


@pytest.mark.parametrize("kind", sorted(THROWS))
def test_the_innermost_event_subprocess_catches(api: Any, kind: str) -> None:  # noqa: F811
    """受理审查's own event subprocess catches its error (escalation); the process's (上级处理) never starts."""
    response = upload(api, diagram(kind, True, top_esp=True), "esp_nested.bpmn")
    assert response.status_code == 201, response.get_json()
    started = start(api, "esp_nested")
    work(api, item(api, started["id"])["tasks"][0], REFUSE)
    view = item(api, started["id"])
    assert names(view) == ["处理异常"] and not view["incidents"], view
    work(api, view["tasks"][0], AGREE)
    view = issue_and_end(api, started["id"])
    assert "top_esp_handle" not in view["completed_path"], view


def test_a_message_starts_the_subprocess_event_subprocess_while_the_subprocess_runs_only(
    api: Any,  # noqa: F811
    services: runner.Services,
    clock: runner.ManualClock,
) -> None:
    """While 受理审查 runs the message starts its non-interrupting 处理异常 beside 审核; once 受理审查 has ended
    (发证 waits) no one waits for the message: 404, as for any message no item waits for."""
    response = upload(api, diagram("message", False), "esp_nested.bpmn")
    assert response.status_code == 201, response.get_json()
    started = start(api, "esp_nested")
    body = {"name": "urge", "correlation": started["business_key"], "payload": {"urgency": "high"}}
    answer = api.post("/api/messages", json=body, headers=auth("t-admin"))
    assert answer.status_code == 200, answer.get_json()
    view = item(api, started["id"])
    assert names(view) == ["处理异常", "审核"] and not view["incidents"], view
    assert sum(1 for e in view["audit"] if e["action"] == "message") == 1, view["audit"]
    for task in view["tasks"]:
        work(api, task, AGREE)
    advance_to(services, clock, clock.now() + timedelta(days=10, seconds=1))
    work(api, item(api, started["id"])["tasks"][0], AGREE)  # 归档: 受理审查 ends
    assert names(item(api, started["id"])) == ["发证"]
    assert api.post("/api/messages", json=body, headers=auth("t-admin")).status_code == 404
    issue_and_end(api, started["id"])


SIBLING = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="x">
  {THROWS["error"][0]}
  <bpmn:process id="sibling" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:parallelGateway id="fork"/>
    <bpmn:subProcess id="sub"><bpmn:startEvent id="ss"/>
      <bpmn:userTask id="check" name="核对" camunda:candidateGroups="centre"/>
      <bpmn:endEvent id="thrown">{THROWS["error"][1]}</bpmn:endEvent>
      <bpmn:sequenceFlow id="s1" sourceRef="ss" targetRef="check"/>
      <bpmn:sequenceFlow id="s2" sourceRef="check" targetRef="thrown"/></bpmn:subProcess>
    <bpmn:endEvent id="e_sub"/>
    <bpmn:userTask id="review" name="审核" camunda:candidateGroups="shebao"/><bpmn:endEvent id="e_review"/>
    <bpmn:boundaryEvent id="caught" attachedToRef="review">{THROWS["error"][1]}</bpmn:boundaryEvent>
    <bpmn:userTask id="on_boundary" name="边界处理" camunda:candidateGroups="centre"/>
    <bpmn:endEvent id="e_boundary"/>
    <bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="fork"/>
    <bpmn:sequenceFlow id="f1" sourceRef="fork" targetRef="sub"/>
    <bpmn:sequenceFlow id="f2" sourceRef="sub" targetRef="e_sub"/>
    <bpmn:sequenceFlow id="f3" sourceRef="fork" targetRef="review"/>
    <bpmn:sequenceFlow id="f4" sourceRef="review" targetRef="e_review"/>
    <bpmn:sequenceFlow id="c1" sourceRef="caught" targetRef="on_boundary"/>
    <bpmn:sequenceFlow id="c2" sourceRef="on_boundary" targetRef="e_boundary"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


def test_an_error_is_not_caught_by_a_boundary_event_on_another_branchs_activity(api: Any) -> None:  # noqa: F811
    """The error thrown in one branch's subprocess (after its 核对) was caught by the boundary event on 审核, an
    activity of the other branch (SpiffWorkflow's throw reached every catch): 审核 was cancelled for 边界处理. No catch encloses
    the throw, so 审核 stays and the item ends after it."""
    response = upload(api, SIBLING, "sibling.bpmn")
    assert response.status_code == 201, response.get_json()
    started = start(api, "sibling")
    view = item(api, started["id"])
    assert names(view) == ["审核", "核对"], view
    work(api, next(t for t in view["tasks"] if t["name"] == "核对"), AGREE)
    view = item(api, started["id"])
    assert names(view) == ["审核"] and not view["incidents"], view
    work(api, view["tasks"][0], AGREE)
    view = item(api, started["id"])
    assert view["status"] == "completed" and "on_boundary" not in view["completed_path"], view


def test_a_signal_from_outside_starts_the_subprocess_event_subprocess(
    api: Any,  # noqa: F811
    services: runner.Services,
) -> None:
    """POST /api/signals reaches a signal event subprocess inside a running embedded subprocess: the interrupting
    处理异常 replaces 审核 and 受理审查's timer; 受理审查 ends with it and 发证 follows."""
    response = upload(api, diagram("signal", True), "esp_nested.bpmn")
    assert response.status_code == 201, response.get_json()
    started = start(api, "esp_nested")
    answer = api.post(
        "/api/signals", json={"name": "撤回", "payload": {"why": "政策调整"}}, headers=auth("t-admin")
    )
    assert answer.status_code == 200 and answer.get_json()["count"] == 1, answer.get_json()
    view = item(api, started["id"])
    assert names(view) == ["处理异常"] and not view["incidents"], view
    assert not pending_timers(services, started["id"])
    work(api, view["tasks"][0], AGREE)
    assert names(item(api, started["id"])) == ["发证"]
    again = api.post("/api/signals", json={"name": "撤回"}, headers=auth("t-admin")).get_json()
    assert again["count"] == 0, again  # 受理审查 has ended: nothing waits for it now
    issue_and_end(api, started["id"])

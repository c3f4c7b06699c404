"""Implicit ends (BPMN: a node without outgoing flow ends its path): SpiffWorkflow 3.2 alone would leave such an
item waiting for ever; the runner leads them to their process's end (runner.core.spiff.parser)."""

from __future__ import annotations

from datetime import timedelta

import runner
from tests.runner.core.test_failures import HEAD, complete, deploy, start
from tests.runner.helpers import describe, open_tasks
from tests.support.flow import advance_to


def process(body: str) -> bytes:
    return f"""{HEAD}
  <bpmn:process id="p" name="隐式结束" isExecutable="true">
    <bpmn:startEvent id="start"/>
    {body}
  </bpmn:process>
</bpmn:definitions>""".encode()


def test_a_lone_start_event_completes_the_item(services: runner.Services) -> None:
    warnings = deploy(services, process(""))
    assert [w["element"] for w in warnings] == ["start"]
    assert describe(services, start(services))["status"] == "completed"


def test_a_subprocess_without_end_event_completes_and_its_parent_goes_on(services: runner.Services) -> None:
    body = """<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="sub"/>
    <bpmn:subProcess id="sub" name="核验">
      <bpmn:startEvent id="sub_start"/>
      <bpmn:sequenceFlow id="s1" sourceRef="sub_start" targetRef="check"/>
      <bpmn:userTask id="check" name="核验原件"/>
    </bpmn:subProcess>
    <bpmn:sequenceFlow id="f2" sourceRef="sub" targetRef="done"/>
    <bpmn:userTask id="done" name="办结"/>"""
    deploy(services, process(body))
    iid = start(services)
    [task] = open_tasks(services, iid)
    assert task["name"] == "核验原件"
    complete(services, task["id"])
    [task] = open_tasks(services, iid)
    assert task["name"] == "办结"
    complete(services, task["id"])
    assert describe(services, iid)["status"] == "completed"


def test_an_interrupting_boundary_timer_without_outgoing_flow_ends_the_item(
    services: runner.Services, clock: runner.ManualClock
) -> None:
    body = """<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait"/>
    <bpmn:userTask id="wait" name="等待申请人"/>
    <bpmn:boundaryEvent id="expired" attachedToRef="wait">
      <bpmn:timerEventDefinition><bpmn:timeDuration>P1D</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="end"/>
    <bpmn:endEvent id="end"/>"""
    deploy(services, process(body))
    iid = start(services)
    advance_to(services, clock, clock.now() + timedelta(days=1, seconds=1))
    view = describe(services, iid)
    assert view["status"] == "completed" and view["tasks"] == [] and "end" not in view["completed_path"]

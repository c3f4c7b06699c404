"""A diagram's own content failing inside a request: an incident on the item naming the element and the
variable (retry fixes it), or a 4xx refusal — never an error of the request (runner.core.failures)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

import runner
from runner.core import failures
from tests.runner.helpers import WINDOWS, describe, open_tasks
from tests.support.flow import advance_to

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="x">"""


def diagram(body: str, *, top: str = "", key: str = "p") -> bytes:
    """A process ``key``: start → ``body`` (its first node has id ``first``, its last ``last``) → end."""
    return (
        f"""{HEAD}{top}
  <bpmn:process id="{key}" name="测试" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f_start" sourceRef="start" targetRef="first"/>
    {body}
    <bpmn:sequenceFlow id="f_end" sourceRef="last" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>"""
    ).encode()


def deploy(services: runner.Services, content: bytes) -> list[dict[str, Any]]:
    with services.transaction() as s:
        runner.upsert_windows(s, [*WINDOWS, ("centre", "中心")])
        return runner.deploy(s, content, "t.bpmn", actor="designer").warnings


def start(services: runner.Services, data: dict[str, Any] | None = None) -> int:
    with services.transaction() as s:
        return runner.start(s, "p", actor="clerk", data=data or {}).id


def complete(services: runner.Services, task_id: str, data: dict[str, Any] | None = None) -> None:
    with services.transaction() as s:
        runner.complete(s, task_id, data or {}, actor="clerk")


def retry(services: runner.Services, instance_id: int, data: dict[str, Any]) -> dict[str, Any]:
    with services.transaction() as s:
        runner.retry(s, instance_id, actor="admin", data=data)
    return describe(services, instance_id)


def incident(view: dict[str, Any]) -> dict[str, Any]:
    assert view["status"] == "error", view
    [found] = [i for i in view["incidents"] if i["resolved_at"] is None]
    return found


def names(view: dict[str, Any]) -> list[str]:
    return sorted(t["name"] for t in view["tasks"])


MULTI = """<bpmn:userTask id="first" name="专家评审">
      <bpmn:multiInstanceLoopCharacteristics>
        <bpmn:loopDataInputRef>experts</bpmn:loopDataInputRef>
        <bpmn:inputDataItem id="expert" name="expert"/>
      </bpmn:multiInstanceLoopCharacteristics>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f1" sourceRef="first" targetRef="last"/>
    <bpmn:userTask id="last" name="汇总"/>"""


def test_a_multi_instance_over_an_unset_collection_is_an_incident_naming_it(
    services: runner.Services,
) -> None:
    deploy(services, diagram(MULTI))
    iid = start(services)  # nothing sets experts
    found = incident(describe(services, iid))
    assert found["task_name"] == "专家评审"
    assert "“专家评审” (first)" in found["message"] and "'experts'" in found["message"]
    assert "does not have" in found["message"]
    view = retry(services, iid, {"experts": ["张工", "李工"]})
    assert view["status"] == "running" and names(view) == ["专家评审", "专家评审"]
    for task in open_tasks(services, iid):
        complete(services, task["id"])
    complete(services, open_tasks(services, iid)[0]["id"])
    assert describe(services, iid)["status"] == "completed"


def test_a_multi_instance_over_something_else_than_a_list_names_it(services: runner.Services) -> None:
    deploy(services, diagram(MULTI))
    found = incident(describe(services, start(services, {"experts": 5})))
    assert (
        "'experts'" in found["message"] and "int 5" in found["message"] and "not a list" in found["message"]
    )


def test_a_gateway_condition_on_missing_data_is_an_incident(services: runner.Services) -> None:
    body = """<bpmn:userTask id="first" name="审核"/>
    <bpmn:sequenceFlow id="f1" sourceRef="first" targetRef="gw"/>
    <bpmn:exclusiveGateway id="gw" default="f_no"/>
    <bpmn:sequenceFlow id="f_yes" sourceRef="gw" targetRef="last">
      <bpmn:conditionExpression>amount &gt; 1000</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_no" sourceRef="gw" targetRef="last"/>
    <bpmn:userTask id="last" name="审批"/>"""
    deploy(services, diagram(body))
    iid = start(services)
    complete(services, open_tasks(services, iid)[0]["id"])  # the completion itself succeeds
    found = incident(describe(services, iid))
    assert "amount" in found["message"] and "the item's data has no 'amount'" in found["message"]
    assert names(retry(services, iid, {"amount": 2000})) == ["审批"]


def test_a_gateway_where_no_condition_holds_is_an_incident_in_the_users_language(
    services: runner.Services,
) -> None:
    body = """<bpmn:userTask id="first" name="审核"/>
    <bpmn:sequenceFlow id="f1" sourceRef="first" targetRef="gw"/>
    <bpmn:exclusiveGateway id="gw"/>
    <bpmn:sequenceFlow id="f_yes" sourceRef="gw" targetRef="last">
      <bpmn:conditionExpression>amount &gt; 1000</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_no" sourceRef="gw" targetRef="last">
      <bpmn:conditionExpression>amount &lt; 10</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:userTask id="last" name="审批"/>"""
    deploy(services, diagram(body))
    iid = start(services)
    complete(services, open_tasks(services, iid)[0]["id"], {"amount": 500})
    message = incident(describe(services, iid))["message"]
    assert message.startswith("网关的各分支条件都不成立，且没有默认分支")
    assert "no outgoing flow's condition holds" in message and "No conditions satisfied" in message
    assert names(retry(services, iid, {"amount": 2000})) == ["审批"]


@pytest.mark.parametrize(
    ("error", "lead"),
    [
        ("Multiinstance input item it already exists.", "多实例活动的项 it 与办件数据中已有的变量同名"),
        ("Missing data input", "任务所需的数据在办件数据中不存在"),
        ("Error evaluating expression 'a > 1'", "表达式 'a > 1' 求值出错"),
        ("Invalid recurring interval", "定时器的时间值无效"),
        ("unsupported operand type(s) for +: 'int' and 'str'", "流程引擎执行出错"),
        ("多实例活动 “审核” 要遍历的集合 x 不存在", None),
    ],
)
def test_an_engine_error_is_led_by_its_meaning_in_both_languages(error: str, lead: str | None) -> None:
    found = failures.lead_for(error)
    if lead is None:
        assert found is None
    else:
        assert found is not None and found.startswith(lead) and " (" in found  # Chinese, then English


@pytest.mark.parametrize(
    ("prop", "value", "words"),
    [
        ("windowExpr", "windows[0]", "windows"),
        ("dueExpr", "'next week'", "not an ISO 8601 date/time or duration"),
        ("limitDays", "'three'", "not a whole number"),
    ],
)
def test_a_task_whose_window_or_due_time_cannot_be_computed_is_an_incident(
    services: runner.Services, prop: str, value: str, words: str
) -> None:
    body = f"""<bpmn:userTask id="first" name="审核">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="{prop}" value="{value}"/>
      </spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f1" sourceRef="first" targetRef="last"/>
    <bpmn:userTask id="last" name="审批"/>"""
    deploy(services, diagram(body))
    iid = start(services)
    view = describe(services, iid)
    found = incident(view)
    assert found["task_name"] == "审核" and words in found["message"]
    assert view["tasks"] == []  # not offered to anyone until it is fixed
    fix = {"windowExpr": {"windows": ["shebao"]}, "dueExpr": {}, "limitDays": {}}[prop]
    if prop != "windowExpr":  # the expression itself is wrong: the retry meets it again
        assert retry(services, iid, fix)["status"] == "error"
        return
    assert [t["window"] for t in retry(services, iid, fix)["tasks"]] == ["shebao"]


def test_a_timer_expression_that_fails_is_an_incident_and_a_retry_arms_it(
    services: runner.Services, clock: runner.ManualClock
) -> None:
    body = """<bpmn:userTask id="first" name="受理"/>
    <bpmn:sequenceFlow id="f1" sourceRef="first" targetRef="wait"/>
    <bpmn:intermediateCatchEvent id="wait" name="等待">
      <bpmn:timerEventDefinition><bpmn:timeDuration>seconds_from_now(delay)</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="last"/>
    <bpmn:userTask id="last" name="办结"/>"""
    deploy(services, diagram(body))
    iid = start(services)
    complete(services, open_tasks(services, iid)[0]["id"])
    found = incident(describe(services, iid))
    assert found["task_name"] == "等待" and "delay" in found["message"]
    view = retry(services, iid, {"delay": 60})
    assert view["status"] == "waiting" and [t["status"] for t in view["timers"]] == ["pending"]
    advance_to(services, clock, clock.now() + timedelta(seconds=61))
    assert names(describe(services, iid)) == ["办结"]


def test_a_script_that_fails_at_the_start_leaves_the_item_with_its_incident(
    services: runner.Services,
) -> None:
    body = """<bpmn:scriptTask id="first" name="计算"><bpmn:script>share = total / count</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f1" sourceRef="first" targetRef="last"/>
    <bpmn:userTask id="last" name="审核"/>"""
    deploy(services, diagram(body))
    iid = start(services, {"total": 10})
    assert "count" in incident(describe(services, iid))["message"]
    assert names(retry(services, iid, {"count": 2})) == ["审核"]


CORRELATED = """
  <bpmn:collaboration id="c"><bpmn:correlationKey id="ck" name="order">
    <bpmn:correlationPropertyRef>cp_order</bpmn:correlationPropertyRef></bpmn:correlationKey></bpmn:collaboration>
  <bpmn:message id="m_request" name="payment_request"/>
  <bpmn:message id="m_paid" name="payment_confirmed"/>
  <bpmn:correlationProperty id="cp_order" name="order">
    <bpmn:correlationPropertyRetrievalExpression messageRef="m_request">
      <bpmn:messagePath>order_no</bpmn:messagePath></bpmn:correlationPropertyRetrievalExpression>
    <bpmn:correlationPropertyRetrievalExpression messageRef="m_paid">
      <bpmn:messagePath>order_no</bpmn:messagePath></bpmn:correlationPropertyRetrievalExpression>
  </bpmn:correlationProperty>"""
PAYMENT = """<bpmn:intermediateCatchEvent id="first" name="缴费单已开">
      <bpmn:messageEventDefinition messageRef="m_request"/>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="first" targetRef="paid"/>
    <bpmn:intermediateCatchEvent id="paid" name="缴费确认">
      <bpmn:messageEventDefinition messageRef="m_paid"/>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="paid" targetRef="last"/>
    <bpmn:userTask id="last" name="发证"/>"""


def deliver(services: runner.Services, instance_id: int, name: str, payload: dict[str, Any]) -> None:
    with services.transaction() as s:
        key = runner.get_instance(s, instance_id).business_key
        runner.deliver_message(s, name, key, payload, actor="bank")


def test_a_message_payload_must_give_its_correlation(services: runner.Services) -> None:
    deploy(services, diagram(PAYMENT, top=CORRELATED))
    iid = start(services)
    assert describe(services, iid)["status"] == "waiting"
    with pytest.raises(runner.InvalidInput) as missing:
        deliver(services, iid, "payment_request", {"amount": 50})
    assert missing.value.context["missing"] == ["order_no"] and "order_no" in missing.value.message
    assert describe(services, iid)["status"] == "waiting"  # nothing consumed
    deliver(services, iid, "payment_request", {"order_no": "JF-001", "amount": 50})  # the item's key now
    with pytest.raises(runner.Conflict, match="JF-999"):
        deliver(services, iid, "payment_confirmed", {"order_no": "JF-999"})
    deliver(services, iid, "payment_confirmed", {"order_no": "JF-001", "paid": True})
    view = describe(services, iid)
    assert names(view) == ["发证"] and view["data"]["paid"] is True and view["data"]["amount"] == 50


def test_a_call_activity_to_an_unknown_process_is_refused_with_its_line(services: runner.Services) -> None:
    body = """<bpmn:callActivity id="first" name="核验" calledElement="nowhere"/>
    <bpmn:sequenceFlow id="f1" sourceRef="first" targetRef="last"/>
    <bpmn:userTask id="last" name="办结"/>"""
    with pytest.raises(runner.DiagramInvalid) as refused:
        deploy(services, diagram(body))
    [problem] = [p for p in refused.value.problems if p["severity"] == "error"]
    line = (
        diagram(body)
        .decode()
        .splitlines()
        .index('    <bpmn:callActivity id="first" name="核验" calledElement="nowhere"/>')
    )
    assert problem["element"] == "first" and problem["line"] == line + 1 and "'nowhere'" in problem["message"]

"""Diagrams drawn elsewhere (tests/data/foreign: bpmn.io, Camunda Modeler, ISO-8859-1 and GB18030 files, implicit
ends, boundary timers, message correlation, a call activity, an event-based gateway, a multi-instance activity)
deploy through the API and are driven to their end with the generic task form, each task by a clerk of the
window it went to."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

import runner
from runner.models import AuditEntry, Timer, TimerStatus
from runner.people import directory
from tests.support.flow import advance_to, local
from webapp import create_app

FOREIGN = Path(__file__).resolve().parent.parent / "data" / "foreign"
TOKENS = {
    "t-designer": "designer",
    "t-centre": "centre_clerk",
    "t-shebao": "sb_clerk",
    "t-supervision": "dc_clerk",
    "t-admin": "admin",
}
WINDOW_TOKENS = {"centre": "t-centre", "shebao": "t-shebao", "supervision": "t-supervision"}
GENERIC = {"opinion": "材料齐全，同意。", "approved": True}


@pytest.fixture
def api(services: runner.Services) -> Any:
    with services.transaction() as s:
        runner.upsert_windows(
            s, [("centre", "政务服务中心"), ("shebao", "社保窗口"), ("supervision", "督查股")]
        )
    with services.transaction() as s:
        directory.create_user(s, "designer", "设计员", "banjian2026", [("centre", "designer")])
        directory.create_user(s, "centre_clerk", "中心甲", "banjian2026", [("centre", "clerk")])
        directory.create_user(s, "sb_clerk", "社保甲", "banjian2026", [("shebao", "clerk")])
        directory.create_user(s, "dc_clerk", "督查甲", "banjian2026", [("supervision", "clerk")])
        directory.create_user(s, "admin", "管理员", "banjian2026", [("centre", "admin")])
    tokens = ",".join(f"{t}={u}" for t, u in TOKENS.items())
    return create_app({"TESTING": True, "SERVICES": services, "API_TOKENS": tokens}).test_client()


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def upload(api: Any, data: bytes, filename: str, **query: str) -> Any:
    """The designer posts a diagram file's bytes to the API; the response as it comes."""
    return api.post(
        "/api/definitions",
        data=data,
        query_string={"filename": filename, **query},
        headers={**auth("t-designer"), "Content-Type": "application/xml"},
    )


def deploy(api: Any, name: str, **query: str) -> dict[str, Any]:
    response = upload(api, (FOREIGN / name).read_bytes(), name, **query)
    assert response.status_code == 201, response.get_json()
    return response.get_json()  # type: ignore[no-any-return]


def start(api: Any, key: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    response = api.post("/api/instances", json={"key": key, "data": data or {}}, headers=auth("t-centre"))
    assert response.status_code == 201, response.get_json()
    return response.get_json()  # type: ignore[no-any-return]


def item(api: Any, instance_id: int) -> dict[str, Any]:
    return api.get(f"/api/instances/{instance_id}", headers=auth("t-admin")).get_json()  # type: ignore[no-any-return]


def work(api: Any, task: dict[str, Any], data: dict[str, Any] | None = None) -> dict[str, Any]:
    """Read the task with its form as its window's clerk and complete it with the generic form."""
    token = WINDOW_TOKENS[task["window"]]
    shown = api.get(f"/api/tasks/{task['id']}", headers=auth(token))
    assert shown.status_code == 200, shown.get_json()
    form = shown.get_json()["form"]
    assert form["key"] == "generic_task" and [f["name"] for f in form["fields"]] == ["opinion", "approved"]
    done = api.post(f"/api/tasks/{task['id']}/complete", json={"data": data or GENERIC}, headers=auth(token))
    assert done.status_code == 200, done.get_json()
    return done.get_json()  # type: ignore[no-any-return]


def finish(api: Any, instance_id: int, answers: dict[str, dict[str, Any]] | None = None) -> list[str]:
    """Complete every open task (by name, ``answers`` else the generic yes) until none is left; their names."""
    done = []
    while tasks := item(api, instance_id)["tasks"]:
        task = tasks[0]
        work(api, task, (answers or {}).get(task["name"]))
        done.append(task["name"])
    return done


def warnings_of(deployed: dict[str, Any]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for w in deployed["warnings"]:
        assert w["severity"] == "warning" and w["line"], w
        found.setdefault(w["element"], []).append(w["message"])
    return found


def ended_at(api: Any, instance_id: int) -> list[str]:
    view = item(api, instance_id)
    assert view["status"] == "completed", view
    return view["completed_path"]


def test_bpmnio_defaults_with_plain_lanes_and_an_implicit_end(api: Any) -> None:
    deployed = deploy(api, "bpmnio_lanes.bpmn")
    found = warnings_of(deployed)
    assert "deployed as executable" in " ".join(found["Process_0w3x8rk"])
    assert "implicit end" in " ".join(found["Activity_05a4s3d"])
    assert "Lane_0k2j3h4" not in found  # a plain lane, no window, no complaint
    approved = start(api, "Process_0w3x8rk", {"applicant": "王五"})
    [first] = approved["tasks"]
    assert (first["name"], first["window"], first["form_key"]) == ("登记", "centre", "generic_task")
    shown = api.get(f"/api/tasks/{first['id']}", headers=auth("t-centre")).get_json()
    assert (
        shown["documentation"] == "核对申请人身份证件，登记困难情况。"
        and shown["data"]["applicant"] == "王五"
    )
    assert finish(api, approved["id"]) == ["登记", "审核", "发放救助金"]
    assert "Event_0r5t6y7" in ended_at(api, approved["id"])
    refused = start(api, "Process_0w3x8rk")
    assert finish(api, refused["id"], {"审核": {"opinion": "不符合条件", "approved": False}}) == [
        "登记",
        "审核",
        "告知不予救助",
    ]
    assert "Event_0r5t6y7" not in ended_at(api, refused["id"])  # the implicit end closed the item


def test_camunda_modeler_attributes_and_properties(
    api: Any, services: runner.Services, clock: runner.ManualClock
) -> None:
    found = warnings_of(deploy(api, "camunda_modeler.bpmn"))
    assert found["social_security_card"] == [
        "平台不使用 camunda:historyTimeToLive='180' (camunda:historyTimeToLive='180' is not used by the platform)",
        "camunda:property 'owner' 不是平台的属性，未使用 (camunda:property 'owner' is not a property of the platform; "
        "not used)",
    ]
    assert (
        "平台不使用 camunda:taskListener (camunda:taskListener is not used by the platform)"
        in found["Task_accept"]
    )
    assert "service task without a platform implementation" in " ".join(found["Task_make_card"])
    started = start(api, "social_security_card")
    assert started["item_kind"] == "promised" and started["promised_days"] == 5  # camunda:properties
    [accept] = started["tasks"]
    assert accept["window"] == "shebao"  # camunda:candidateGroups
    assert accept["due_at"] == "2026-12-31T09:00:00+00:00"  # camunda:dueDate
    after = work(api, accept)
    [issue] = after["tasks"]  # the service task passed
    assert issue["name"] == "发卡" and issue["assignee"] == "sb_clerk"  # camunda:assignee
    advance_to(services, clock, clock.now() + timedelta(hours=4, seconds=1))  # the reminder (PT4H) fires
    view = item(api, started["id"])
    assert "Event_reminded" in view["completed_path"] and [t["name"] for t in view["tasks"]] == ["发卡"]
    done = api.post(f"/api/tasks/{issue['id']}/complete", json={"data": GENERIC}, headers=auth("t-shebao"))
    assert done.status_code == 200 and done.get_json()["status"] == "completed"
    assert "EndEvent_issued" in ended_at(api, started["id"])


@pytest.mark.parametrize(
    ("name", "key", "process_name", "documented"),
    [
        ("iso_8859_1.bpmn", "gewerbeanmeldung", "Gewerbeanmeldung (Prüfung)", "Gebühr: 26,00 Mark½"),
        ("gb18030.bpmn", "juzhuzheng", "居住证办理（跨省通办）", "核验申请人刘䶮等人的身份证明和居住证明。"),
    ],
)
def test_files_in_other_encodings_read_and_store_their_names(
    api: Any, name: str, key: str, process_name: str, documented: str
) -> None:
    deploy(api, name)
    listed = api.get("/api/definitions", headers=auth("t-centre")).get_json()["definitions"]
    assert [d["name"] for d in listed if d["key"] == key] == [process_name]
    stored = api.get(f"/api/definitions/{key}/xml", headers=auth("t-centre"))
    assert stored.get_data().startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert process_name in stored.get_data().decode("utf-8")
    started = start(api, key)
    shown = api.get(f"/api/tasks/{started['tasks'][0]['id']}", headers=auth("t-centre")).get_json()
    assert documented in shown["documentation"]
    finish(api, started["id"])
    ended_at(api, started["id"])


def test_implicit_ends_without_any_end_event(api: Any) -> None:
    found = warnings_of(deploy(api, "implicit_end.bpmn"))
    assert all("implicit end" in " ".join(found[e]) for e in ("Activity_reply", "Activity_file"))
    started = start(api, "Process_archive")
    assert sorted(finish(api, started["id"])) == ["查询档案", "登记查询台账", "答复申请人"]
    ended_at(api, started["id"])


def test_boundary_timers_remind_then_escalate(
    api: Any, services: runner.Services, clock: runner.ManualClock
) -> None:
    deploy(api, "boundary_timer.bpmn")
    late = start(api, "Process_complaint_reply")
    assert [(t["name"], t["window"]) for t in late["tasks"]] == [("调查答复", "shebao")]
    began = clock.now()
    advance_to(services, clock, began + timedelta(hours=1, seconds=1))
    view = item(api, late["id"])
    assert "Event_reminded" in view["completed_path"] and [t["name"] for t in view["tasks"]] == ["调查答复"]
    advance_to(services, clock, began + timedelta(hours=2, seconds=1))
    assert [(t["name"], t["window"]) for t in item(api, late["id"])["tasks"]] == [("督查督办", "supervision")]
    assert finish(api, late["id"]) == ["督查督办"]
    assert "Event_supervised" in ended_at(api, late["id"])
    on_time = start(api, "Process_complaint_reply")
    assert finish(api, on_time["id"]) == ["调查答复"]
    view = item(api, on_time["id"])
    assert view["status"] == "completed" and {t["status"] for t in view["timers"]} == {"cancelled"}


def test_message_correlation(api: Any) -> None:
    deploy(api, "message_correlation.bpmn")
    started = start(api, "Process_fee")
    finish(api, started["id"])  # the notice; the send task passes; it waits for the bank
    key = started["business_key"]

    def send(name: str, payload: dict[str, Any]) -> Any:
        body = {"name": name, "correlation": key, "payload": payload}
        return api.post("/api/messages", json=body, headers=auth("t-admin"))

    missing = send("payment_confirmed", {"paid": True})
    assert missing.status_code == 400 and missing.get_json()["missing"] == ["order_no"]
    assert (
        "缺少变量 order_no" in missing.get_json()["message"]
        and "cp_order_no" in missing.get_json()["message"]
    )
    assert send("payment_confirmed", {"order_no": "JF-2026-7", "paid": True}).status_code == 200
    assert finish(api, started["id"]) == ["发证"]
    wrong = send("certificate_received", {"order_no": "JF-2026-8"})
    assert wrong.status_code == 409 and "JF-2026-8" in wrong.get_json()["message"]
    assert send("certificate_received", {"order_no": "JF-2026-7"}).status_code == 200
    assert "Event_done" in ended_at(api, started["id"])


def test_a_call_activity(api: Any) -> None:
    refused = upload(api, (FOREIGN / "call_activity.bpmn").read_bytes(), "call_activity.bpmn")
    assert refused.status_code == 400
    [problem] = [p for p in refused.get_json()["problems"] if p["severity"] == "error"]
    assert (
        problem["element"] == "Activity_call_verify"
        and problem["line"]
        and "Process_verify" in problem["message"]
    )
    deploy(api, "call_callee.bpmn")
    found = warnings_of(deploy(api, "call_activity.bpmn"))
    assert "平台不使用 camunda:in (camunda:in is not used by the platform)" in found["Activity_call_verify"]
    started = start(api, "Process_license", {"applicant": "赵六"})
    assert finish(api, started["id"]) == ["核验材料原件", "换发证照"]
    ended_at(api, started["id"])


def test_an_event_based_gateway(api: Any, services: runner.Services, clock: runner.ManualClock) -> None:
    deploy(api, "event_gateway.bpmn")
    supplied, silent = start(api, "Process_correction"), start(api, "Process_correction")
    finish(api, supplied["id"])
    finish(api, silent["id"])
    body = {"name": "materials_received", "correlation": supplied["business_key"], "payload": {"pages": 3}}
    assert api.post("/api/messages", json=body, headers=auth("t-admin")).status_code == 200
    assert finish(api, supplied["id"]) == ["继续审查"]
    assert "Event_done" in ended_at(api, supplied["id"])
    advance_to(services, clock, local("2026-10-09", "10:00"))  # P10D later
    assert finish(api, silent["id"]) == ["退回申请"]
    ended_at(api, silent["id"])


def test_a_multi_instance_over_a_collection(api: Any) -> None:
    deploy(api, "multi_instance.bpmn")
    started = start(api, "Process_expert_review", {"experts": ["张工", "李工", "王工"]})
    shown = [
        api.get(f"/api/tasks/{t['id']}", headers=auth("t-centre")).get_json()["data"]["expert"]
        for t in started["tasks"]
    ]
    assert sorted(shown) == ["张工", "李工", "王工"]
    assert finish(api, started["id"]) == ["专家评审意见"] * 3 + ["汇总评审结论"]
    ended_at(api, started["id"])
    unset = start(api, "Process_expert_review")  # nothing sets experts: an incident, not an error
    assert unset["status"] == "error" and unset["tasks"] == []
    [incident] = unset["incidents"]
    assert incident["task_name"] == "专家评审意见" and "'experts'" in incident["message"]
    fixed = api.post(
        f"/api/instances/{unset['id']}/retry", json={"data": {"experts": ["张工"]}}, headers=auth("t-admin")
    )
    assert fixed.status_code == 200 and fixed.get_json()["status"] == "running"
    assert finish(api, unset["id"]) == ["专家评审意见", "汇总评审结论"]
    ended_at(api, unset["id"])


def test_a_sequential_multi_instance_keeps_each_item_to_its_instance(api: Any) -> None:
    """The item of a finished instance is not merged into the item's data, so the next instance can take its own."""
    deploy(api, "sequential_multi_instance.bpmn")
    started = start(api, "expert_review_in_turn", {"experts": ["张工", "李工", "王工"]})
    shown = []
    while (view := item(api, started["id"]))["tasks"] and view["tasks"][0]["name"] == "专家评审":
        [task] = view["tasks"]
        shown.append(
            api.get(f"/api/tasks/{task['id']}", headers=auth("t-centre")).get_json()["data"]["expert"]
        )
        work(api, task)
    assert view["status"] == "running" and not view["incidents"], view
    assert shown == ["张工", "李工", "王工"]
    assert finish(api, started["id"]) == ["签发"]
    ended_at(api, started["id"])


def test_the_deployer_names_the_default_window(api: Any) -> None:
    deploy(api, "implicit_end.bpmn", default_window="shebao")
    started = start(api, "Process_archive")
    assert [t["window"] for t in started["tasks"]] == ["shebao"]
    unknown = upload(
        api, (FOREIGN / "iso_8859_1.bpmn").read_bytes(), "iso_8859_1.bpmn", default_window="nowhere"
    )
    assert unknown.status_code == 400 and "unknown window 'nowhere'" in unknown.get_json()["message"]


def test_the_generic_form_is_checked_and_a_refusal_says_whose_task_it_is(api: Any) -> None:
    deploy(api, "iso_8859_1.bpmn")
    [task] = start(api, "gewerbeanmeldung")["tasks"]
    url = f"/api/tasks/{task['id']}/complete"
    blank = api.post(url, json={"data": {"opinion": "ok"}}, headers=auth("t-centre"))
    assert blank.status_code == 400 and blank.get_json()["code"] == "form_invalid"
    assert set(blank.get_json()["errors"]) == {"approved"}
    extra = api.post(url, json={"data": {**GENERIC, "amount": 5}}, headers=auth("t-centre"))
    assert extra.status_code == 400 and set(extra.get_json()["errors"]) == {"amount"}
    other = api.post(url, json={"data": GENERIC}, headers=auth("t-shebao"))
    assert other.status_code == 403
    assert "window 'centre'" in other.get_json()["message"] and other.get_json()["window"] == "centre"
    assert api.get(f"/api/tasks/{task['id']}", headers=auth("t-shebao")).status_code == 403
    assert api.post(url, json={"data": {"approved": "false"}}, headers=auth("t-centre")).status_code == 200


def test_a_collaboration_with_a_black_box_pool_and_no_drawing_runs(api: Any) -> None:
    """bpmn.io's pools under a ``bpmn2:`` prefix: the applicant's black-box pool, message flows to and from it,
    an annotation, a group and data objects, no diagram interchange; the lane named after a window routes."""
    deploy(api, "collaboration_black_box.bpmn")
    started = start(api, "Process_notice")
    assert [(t["name"], t["window"]) for t in started["tasks"]] == [("登记", "shebao")]
    assert finish(api, started["id"]) == ["登记"]
    assert "Event_end" in ended_at(api, started["id"])


@pytest.mark.parametrize(
    ("event", "attr"),
    [
        (
            '<bpmn2:startEvent id="Event_start"><bpmn2:messageEventDefinition id="M1"/></bpmn2:startEvent>',
            "messageRef",
        ),
        (
            '<bpmn2:startEvent id="Event_start"><bpmn2:signalEventDefinition id="S1"/></bpmn2:startEvent>',
            "signalRef",
        ),
    ],
)
def test_a_message_or_signal_start_waiting_for_nothing_is_refused_at_deploy(
    api: Any, event: str, attr: str
) -> None:
    """bpmn.io draws a message start event with no message: it was deployed and every start then failed
    with an internal error (a subscription to no message)."""
    text = (FOREIGN / "collaboration_black_box.bpmn").read_text(encoding="utf-8")
    text = text.replace('<bpmn2:startEvent id="Event_start" />', event)
    response = upload(api, text.encode(), "nameless.bpmn")
    assert response.status_code == 400, response.get_json()
    [problem] = [p for p in response.get_json()["problems"] if p["severity"] == "error"]
    assert problem["element"] == "Event_start"
    assert f"没有 {attr}" in problem["message"] and f"has no {attr}" in problem["message"]


def test_a_camunda_8_task_gets_the_form_its_form_definition_names(api: Any) -> None:
    """``zeebe:formDefinition formId``: the started task carries that form, not the generic one."""
    text = (FOREIGN / "collaboration_black_box.bpmn").read_text(encoding="utf-8")
    text = text.replace(
        '<bpmn2:definitions xmlns:bpmn2="http://www.omg.org/spec/BPMN/20100524/MODEL"',
        '<bpmn2:definitions xmlns:bpmn2="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"',
    ).replace(
        '<bpmn2:userTask id="Activity_register" name="登记" />',
        '<bpmn2:userTask id="Activity_register" name="登记"><bpmn2:extensionElements>'
        '<zeebe:formDefinition formId="acceptance"/></bpmn2:extensionElements></bpmn2:userTask>',
    )
    response = upload(api, text.encode(), "zeebe_form.bpmn")
    assert response.status_code == 201, response.get_json()
    assert "not used" not in str(response.get_json()["warnings"])
    [task] = start(api, "Process_notice")["tasks"]
    assert (task["name"], task["window"], task["form_key"]) == ("登记", "shebao", "acceptance")


def test_a_cron_timer_cycle_is_refused_at_deploy_naming_its_event(api: Any) -> None:
    text = (FOREIGN / "boundary_timer.bpmn").read_text(encoding="utf-8")
    cycle = re.sub(
        r"<bpmn:timeDuration[^>]*>[^<]*</bpmn:timeDuration>",
        "<bpmn:timeCycle>0 0 9 * * ?</bpmn:timeCycle>",
        text,
        count=1,
    )
    assert cycle != text
    response = upload(api, cycle.encode(), "cron.bpmn")
    assert response.status_code == 400, response.get_json()
    [problem] = [p for p in response.get_json()["problems"] if p["severity"] == "error"]
    assert "cron" in problem["message"] and problem["line"]


def test_a_condition_out_of_a_parallel_gateway_is_refused_at_deploy(api: Any) -> None:
    """It was deployed, and the conditioned branch ran with the condition false."""
    text = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="s"/><bpmn:parallelGateway id="g"/><bpmn:endEvent id="e"/>
    <bpmn:userTask id="t" name="复核"/>
    <bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="g"/>
    <bpmn:sequenceFlow id="f1" sourceRef="g" targetRef="e"/>
    <bpmn:sequenceFlow id="f2" sourceRef="g" targetRef="t">
      <bpmn:conditionExpression>approved</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f3" sourceRef="t" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>"""
    response = upload(api, text.encode(), "parallel.bpmn")
    assert response.status_code == 400, response.get_json()
    [problem] = [p for p in response.get_json()["problems"] if p["severity"] == "error"]
    assert problem["element"] == "f2" and "bpmn:parallelGateway" in problem["message"]


def mapped(engine: str, mapping: str) -> bytes:
    """start → 审核 (shebao, ``mapping``) → a gateway on ``passed`` → 发证 (centre) or the refusal's end."""
    namespace = {
        "camunda": "http://camunda.org/schema/1.0/bpmn",
        "zeebe": "http://camunda.org/schema/zeebe/1.0",
    }[engine]
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:{engine}="{namespace}"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="x">
  <bpmn:process id="io_{engine}" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="review" name="审核" camunda:candidateGroups="shebao"
        xmlns:camunda="http://camunda.org/schema/1.0/bpmn">
      <bpmn:extensionElements>{mapping}</bpmn:extensionElements></bpmn:userTask>
    <bpmn:exclusiveGateway id="g" default="no"/>
    <bpmn:userTask id="issue" name="发证" camunda:candidateGroups="centre"
        xmlns:camunda="http://camunda.org/schema/1.0/bpmn"/>
    <bpmn:endEvent id="e_issued"/><bpmn:endEvent id="e_refused"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="review"/>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="g"/>
    <bpmn:sequenceFlow id="yes" sourceRef="g" targetRef="issue">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">passed and kind_seen == "社保"</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="no" sourceRef="g" targetRef="e_refused"/>
    <bpmn:sequenceFlow id="f3" sourceRef="issue" targetRef="e_issued"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


IO_MAPPINGS = {
    "camunda": """<camunda:inputOutput><camunda:inputParameter name="kind">社保</camunda:inputParameter>
      <camunda:inputParameter name="applicant">受理</camunda:inputParameter>
      <camunda:outputParameter name="passed">${approved}</camunda:outputParameter>
      <camunda:outputParameter name="kind_seen">${kind}</camunda:outputParameter></camunda:inputOutput>""",
    "zeebe": """<zeebe:ioMapping><zeebe:input source="=&quot;社保&quot;" target="kind"/>
      <zeebe:input source="=&quot;受理&quot;" target="applicant"/>
      <zeebe:output source="=approved" target="passed"/><zeebe:output source="=kind" target="kind_seen"/>
      </zeebe:ioMapping>""",
}


@pytest.mark.parametrize("engine", ["camunda", "zeebe"])
@pytest.mark.parametrize(("approved", "end"), [(True, "e_issued"), (False, "e_refused")])
def test_a_gateway_reads_what_an_output_mapping_set(api: Any, engine: str, approved: bool, end: str) -> None:
    """The mapping was dropped ("not used") and the gateway's condition failed at run time as an incident.
    Inputs stay the task's: ``kind`` is gone afterwards, ``applicant`` keeps the item's own value."""
    response = upload(api, mapped(engine, IO_MAPPINGS[engine]), f"io_{engine}.bpmn")
    assert response.status_code == 201, response.get_json()
    assert "not used" not in str(response.get_json()["warnings"])
    started = start(api, f"io_{engine}", {"applicant": "张三"})
    [review] = started["tasks"]
    done = work(api, review, {"opinion": "审核", "approved": approved})
    if approved:
        [issue] = done["tasks"]
        assert issue["name"] == "发证"
        work(api, issue)
    view = item(api, started["id"])
    assert view["status"] == "completed" and end in view["completed_path"], view
    data = view["data"]
    assert data["passed"] is approved and data["kind_seen"] == "社保" and data["applicant"] == "张三"
    assert "kind" not in data and not [k for k in data if k.startswith("io_")]


def test_a_mapping_the_platform_cannot_run_is_refused_at_deploy_naming_task_and_parameter(api: Any) -> None:
    response = upload(
        api,
        mapped(
            "camunda",
            '<camunda:inputOutput><camunda:outputParameter name="passed">${approved and ok}'
            "</camunda:outputParameter></camunda:inputOutput>",
        ),
        "io_bad.bpmn",
    )
    assert response.status_code == 400, response.get_json()
    [problem] = [p for p in response.get_json()["problems"] if p["severity"] == "error"]
    assert "任务 review 的 camunda:outputParameter 'passed'" in problem["message"] and problem["line"]


def interrupted(engine: str, mapping: str) -> bytes:
    """start → 审核 (shebao, ``mapping``, an interrupting 2-hour timer on it) → end; the timer → 督查督办 → end."""
    text = mapped(engine, mapping).decode()
    boundary = """<bpmn:boundaryEvent id="late" attachedToRef="review">
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT2H</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:userTask id="supervise" name="督查督办" camunda:candidateGroups="supervision"
        xmlns:camunda="http://camunda.org/schema/1.0/bpmn"/>
    <bpmn:endEvent id="e_supervised"/>
    <bpmn:sequenceFlow id="b1" sourceRef="late" targetRef="supervise"/>
    <bpmn:sequenceFlow id="b2" sourceRef="supervise" targetRef="e_supervised"/>
  </bpmn:process>"""
    return text.replace("</bpmn:process>", boundary).encode()


@pytest.mark.parametrize("engine", ["camunda", "zeebe"])
def test_an_interrupting_boundary_event_takes_the_inputs_back(
    api: Any, services: runner.Services, clock: runner.ManualClock, engine: str
) -> None:
    """The post-script that takes the inputs back never ran on a cancelled task: ``io_saved_*`` and the
    input-only ``kind`` stayed in the item's data and ``applicant`` kept the input's value."""
    response = upload(api, interrupted(engine, IO_MAPPINGS[engine]), f"io_late_{engine}.bpmn")
    assert response.status_code == 201, response.get_json()
    started = start(api, f"io_{engine}", {"applicant": "张三"})
    advance_to(services, clock, clock.now() + timedelta(hours=2, seconds=1))
    [task] = item(api, started["id"])["tasks"]
    assert task["name"] == "督查督办"
    work(api, task)
    view = item(api, started["id"])
    assert view["status"] == "completed" and "e_supervised" in view["completed_path"], view
    data = view["data"]
    assert data["applicant"] == "张三" and "kind" not in data and "passed" not in data, data
    assert not [k for k in data if k.startswith("io_")], data


def mapped_multi_instance(engine: str, sequential: str) -> bytes:
    """start → 会审 (shebao), one instance per reviewer, mapping the instance's reviewer to ``who`` → end."""
    if engine == "camunda":
        io = """<camunda:inputOutput><camunda:inputParameter name="who">${reviewer}</camunda:inputParameter>
          <camunda:inputParameter name="applicant">会审</camunda:inputParameter>
          <camunda:outputParameter name="last_who">${who}</camunda:outputParameter></camunda:inputOutput>"""
        loop = f"""<bpmn:multiInstanceLoopCharacteristics isSequential="{sequential}"
          camunda:collection="${{reviewers}}" camunda:elementVariable="reviewer"/>"""
    else:
        io = """<zeebe:ioMapping><zeebe:input source="=reviewer" target="who"/>
          <zeebe:input source="=&quot;会审&quot;" target="applicant"/>
          <zeebe:output source="=who" target="last_who"/></zeebe:ioMapping>"""
        loop = f"""<bpmn:multiInstanceLoopCharacteristics isSequential="{sequential}"><bpmn:extensionElements>
          <zeebe:loopCharacteristics inputCollection="=reviewers" inputElement="reviewer"/>
          </bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics>"""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
    id="d" targetNamespace="x">
  <bpmn:process id="io_multi" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="review" name="会审" camunda:candidateGroups="shebao">
      <bpmn:extensionElements>{io}</bpmn:extensionElements>{loop}
    </bpmn:userTask>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="review"/>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


@pytest.mark.parametrize("engine", ["camunda", "zeebe"])
@pytest.mark.parametrize("sequential", ["true", "false"])
def test_a_multi_instance_maps_each_instance(api: Any, engine: str, sequential: str) -> None:
    """The mapping ran once on the whole activity, before any instance had its reviewer: deployed, then every
    start stopped with an incident (``reviewer`` is not defined). It runs per instance, as in Camunda."""
    response = upload(api, mapped_multi_instance(engine, sequential), f"io_multi_{engine}.bpmn")
    assert response.status_code == 201, response.get_json()
    started = start(api, "io_multi", {"applicant": "张三", "reviewers": ["甲", "乙"]})
    seen = []
    while tasks := item(api, started["id"])["tasks"]:
        shown = api.get(f"/api/tasks/{tasks[0]['id']}", headers=auth("t-shebao")).get_json()
        seen.append((shown["data"]["who"], shown["data"]["applicant"]))
        work(api, tasks[0])
    assert sorted(seen) == [("乙", "会审"), ("甲", "会审")]
    view = item(api, started["id"])
    assert view["status"] == "completed" and not view["incidents"], view
    data = view["data"]
    assert data["applicant"] == "张三" and data["last_who"] in ("甲", "乙"), data
    assert not {"who", "reviewer"} & set(data) and not [k for k in data if k.startswith("io_")], data


def test_a_multi_instance_mapping_beside_the_tasks_own_scripts_is_refused_by_task(api: Any) -> None:
    text = mapped_multi_instance("camunda", "true").decode()
    text = text.replace(
        "<camunda:inputOutput>",
        '<spiffworkflow:preScript xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core">'
        "n = 1</spiffworkflow:preScript><camunda:inputOutput>",
    )
    response = upload(api, text.encode(), "io_multi_own.bpmn")
    assert response.status_code == 400, response.get_json()
    [problem] = [p for p in response.get_json()["problems"] if p["severity"] == "error"]
    assert "任务 review 是多实例任务" in problem["message"] and "scriptsOnInstances" in problem["message"]
    assert "task review is a multi-instance" in problem["message"]


def test_a_connector_task_with_its_own_mapping_deploys_with_a_warning_and_passes(api: Any) -> None:
    """Camunda 7's HTTP connector: the step passes through, the connector's mapping sets nothing."""
    connector = """</bpmn:userTask><bpmn:serviceTask id="push" name="推送结果"><bpmn:extensionElements>
      <camunda:connector xmlns:camunda="http://camunda.org/schema/1.0/bpmn"><camunda:inputOutput>
      <camunda:inputParameter name="url">http://example.org/notify</camunda:inputParameter>
      <camunda:outputParameter name="http_status">${statusCode}</camunda:outputParameter></camunda:inputOutput>
      <camunda:connectorId>http-connector</camunda:connectorId></camunda:connector>
      </bpmn:extensionElements></bpmn:serviceTask>"""
    text = mapped("camunda", IO_MAPPINGS["camunda"]).decode().replace("</bpmn:userTask>", connector, 1)
    text = text.replace('sourceRef="review" targetRef="g"', 'sourceRef="review" targetRef="push"')
    text = text.replace(
        "</bpmn:process>", '<bpmn:sequenceFlow id="fp" sourceRef="push" targetRef="g"/></bpmn:process>'
    )
    response = upload(api, text.encode(), "io_connector.bpmn")
    assert response.status_code == 201, response.get_json()
    found = warnings_of(response.get_json())
    assert any("camunda:connector 'http-connector'" in m for m in found["push"]), found
    started = start(api, "io_camunda", {"applicant": "张三"})
    assert finish(api, started["id"]) == ["审核", "发证"]
    data = item(api, started["id"])["data"]
    assert "http_status" not in data and "url" not in data and data["kind_seen"] == "社保", data


CALLEE = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
  <bpmn:process id="doubler" isExecutable="true"><bpmn:startEvent id="s"/>
    <bpmn:scriptTask id="t" name="double"><bpmn:script>result = amount * 2</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/><bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>"""


def calling(variables: str) -> bytes:
    """start → a call activity of ``doubler`` with ``variables`` → a gateway on ``doubled`` → big or small."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    id="d" targetNamespace="x">
  <bpmn:process id="caller" isExecutable="true"><bpmn:startEvent id="s"/>
    <bpmn:callActivity id="call" name="调用" calledElement="doubler">
      <bpmn:extensionElements>{variables}</bpmn:extensionElements></bpmn:callActivity>
    <bpmn:exclusiveGateway id="g" default="no"/><bpmn:endEvent id="big"/><bpmn:endEvent id="small"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="call"/>
    <bpmn:sequenceFlow id="f2" sourceRef="call" targetRef="g"/>
    <bpmn:sequenceFlow id="yes" sourceRef="g" targetRef="big">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">doubled &gt; 10</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="no" sourceRef="g" targetRef="small"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


@pytest.mark.parametrize(
    "variables",
    [
        '<camunda:in source="fee" target="amount"/><camunda:out source="result" target="doubled"/>',
        '<camunda:in sourceExpression="${fee}" target="amount"/><camunda:in variables="all"/>'
        '<camunda:out source="result" target="doubled"/>',
    ],
)
def test_a_call_activitys_camunda_in_and_out_pass_their_variables(api: Any, variables: str) -> None:
    """``camunda:out source="result" target="doubled"`` was dropped ("not used"): deployed, and the gateway
    reading ``doubled`` failed at run time. ``amount`` is the called process's only, as in Camunda."""
    assert upload(api, CALLEE, "doubler.bpmn").status_code == 201
    response = upload(api, calling(variables), "caller.bpmn")
    assert response.status_code == 201, response.get_json()
    assert "camunda:out" not in str(response.get_json()["warnings"])
    started = start(api, "caller", {"fee": 7})
    view = item(api, started["id"])
    assert view["status"] == "completed" and "big" in view["completed_path"], view
    data = view["data"]
    assert data["doubled"] == 14 and "amount" not in data and not [k for k in data if k.startswith("io_")]


def test_a_call_activitys_computed_camunda_in_is_refused_by_task(api: Any) -> None:
    variables = '<camunda:in sourceExpression="${fee * 2}" target="amount"/>'
    response = upload(api, calling(variables), "caller.bpmn")
    assert response.status_code == 400, response.get_json()
    [problem] = [p for p in response.get_json()["problems"] if p["severity"] == "error"]
    assert "任务 call 的 camunda:in 'amount' 值 '${fee * 2}' 平台不执行" in problem["message"]


GATHERED = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    id="d" targetNamespace="x">
  <bpmn:process id="gathered" isExecutable="true"><bpmn:startEvent id="s"/>
    <bpmn:userTask id="t" name="会审"><bpmn:extensionElements>
      <zeebe:assignmentDefinition candidateGroups="shebao"/></bpmn:extensionElements>
      <bpmn:multiInstanceLoopCharacteristics isSequential="{sequential}"><bpmn:extensionElements>
      <zeebe:loopCharacteristics inputCollection="=reviewers" inputElement="reviewer"
          outputCollection="opinions" outputElement="=approved"/>
      </bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>
    <bpmn:exclusiveGateway id="g" default="no"/><bpmn:endEvent id="all"/><bpmn:endEvent id="not_all"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/><bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="g"/>
    <bpmn:sequenceFlow id="yes" sourceRef="g" targetRef="all">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">len(opinions) == 2 and all(opinions)</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="no" sourceRef="g" targetRef="not_all"/>
  </bpmn:process>
</bpmn:definitions>"""


@pytest.mark.parametrize("sequential", ["true", "false"])
def test_a_camunda_8_multi_instance_gathers_its_output_collection(api: Any, sequential: str) -> None:
    """``outputCollection``/``outputElement`` were dropped ("not used"): a later condition on the list failed."""
    response = upload(api, GATHERED.replace("{sequential}", sequential).encode(), "gathered.bpmn")
    assert response.status_code == 201, response.get_json()
    assert "outputCollection" not in str(response.get_json()["warnings"])
    started = start(api, "gathered", {"reviewers": ["甲", "乙"]})
    assert finish(api, started["id"]) == ["会审", "会审"]
    view = item(api, started["id"])
    assert "all" in ended_at(api, started["id"]) and view["data"]["opinions"] == [True, True], view


@pytest.mark.parametrize("engine", ["camunda", "zeebe"])
def test_an_open_mapped_task_shows_users_no_helper_names(api: Any, engine: str) -> None:
    """While the task was open its form's data (``GET /api/tasks/<id>``, the workspace's task page) and the
    item's data (``GET /api/instances/<id>``, the console's instance view) listed ``io_saved_kind`` and
    ``io_saved_applicant``, the mapping's helper names. Users see the item's own names and the inputs only."""
    response = upload(api, mapped(engine, IO_MAPPINGS[engine]), f"io_{engine}.bpmn")
    assert response.status_code == 201, response.get_json()
    started = start(api, f"io_{engine}", {"applicant": "张三"})
    [review] = started["tasks"]
    form = api.get(f"/api/tasks/{review['id']}", headers=auth("t-shebao")).get_json()
    view = item(api, started["id"])
    for data in (form["data"], view["data"]):
        assert data["kind"] == "社保" and data["applicant"] == "受理", data
        assert not [k for k in data if k.startswith("io_")], data
    work(api, review, {"opinion": "审核", "approved": False})
    data = item(api, started["id"])["data"]
    assert data["applicant"] == "张三" and "kind" not in data, data  # the helpers still took the inputs back


def test_a_script_task_kept_in_an_external_resource_is_refused_saying_to_inline_it(api: Any) -> None:
    """The designer was told only "script task has no script" for a Modeler's ``camunda:resource``."""
    text = mapped("camunda", "").replace(
        b'<bpmn:exclusiveGateway id="g"',
        b'<bpmn:scriptTask id="calc" scriptFormat="python" camunda:resource="deployment://fee.py"'
        b' xmlns:camunda="http://camunda.org/schema/1.0/bpmn"/><bpmn:exclusiveGateway id="g"',
    )
    response = upload(api, text, "resource.bpmn")
    assert response.status_code == 400, response.get_json()
    errors = [p for p in response.get_json()["problems"] if p["severity"] == "error"]
    said = [p["message"] for p in errors if p["element"] == "calc"]
    assert not [m for m in said if "has no script" in m], said
    [resource] = [m for m in said if "external script resource" in m]
    assert "camunda:resource 'deployment://fee.py'" in resource and "外部脚本资源" in resource, resource


def urged(activity: str) -> bytes:
    """start → ``activity`` (id ``review``, a shebao task) with a non-interrupting message boundary event ``urge``
    whose branch is 答复催办 (centre) → a gateway on the message's ``urgency`` after the activity."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="x">
  <bpmn:message id="m" name="urge"/>
  <bpmn:process id="urged" isExecutable="true">
    <bpmn:startEvent id="s"/>
    {activity}
    <bpmn:boundaryEvent id="b" cancelActivity="false" attachedToRef="review">
      <bpmn:messageEventDefinition messageRef="m"/></bpmn:boundaryEvent>
    <bpmn:userTask id="reply" name="答复催办" camunda:candidateGroups="centre"/>
    <bpmn:endEvent id="e_reply"/>
    <bpmn:exclusiveGateway id="g" default="plain"/>
    <bpmn:endEvent id="e_urged"/><bpmn:endEvent id="e_plain"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="review"/>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="g"/>
    <bpmn:sequenceFlow id="u" sourceRef="g" targetRef="e_urged">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">urgency == "high"</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="plain" sourceRef="g" targetRef="e_plain"/>
    <bpmn:sequenceFlow id="b1" sourceRef="b" targetRef="reply"/>
    <bpmn:sequenceFlow id="b2" sourceRef="reply" targetRef="e_reply"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


URGED_ACTIVITIES = {
    "task": '<bpmn:userTask id="review" name="审核" camunda:candidateGroups="shebao"/>',
    "subprocess": """<bpmn:subProcess id="review"><bpmn:startEvent id="ss"/>
      <bpmn:userTask id="inner" name="审核" camunda:candidateGroups="shebao"/><bpmn:endEvent id="se"/>
      <bpmn:sequenceFlow id="sf1" sourceRef="ss" targetRef="inner"/>
      <bpmn:sequenceFlow id="sf2" sourceRef="inner" targetRef="se"/></bpmn:subProcess>""",
}


@pytest.mark.parametrize("activity", sorted(URGED_ACTIVITIES))
def test_a_non_interrupting_messages_payload_reaches_the_activity_and_what_follows(
    api: Any, activity: str
) -> None:
    """SpiffWorkflow's boundary join goes on with the activity's data only: the payload never showed in the
    activity's form, and once the activity ended the gateway after it failed on ``urgency`` (an incident)."""
    response = upload(api, urged(URGED_ACTIVITIES[activity]), "urged.bpmn")
    assert response.status_code == 201, response.get_json()
    started = start(api, "urged", {"applicant": "张三"})
    body = {"name": "urge", "correlation": started["business_key"], "payload": {"urgency": "high"}}
    assert api.post("/api/messages", json=body, headers=auth("t-admin")).status_code == 200
    tasks = {t["name"]: t for t in item(api, started["id"])["tasks"]}
    review = tasks["审核"]
    form = api.get(f"/api/tasks/{review['id']}", headers=auth("t-shebao")).get_json()
    assert form["data"]["urgency"] == "high", form["data"]
    work(api, tasks["答复催办"])
    assert item(api, started["id"])["data"]["urgency"] == "high"
    work(api, review)
    view = item(api, started["id"])
    assert view["status"] == "completed" and "e_urged" in view["completed_path"], view
    assert view["data"]["urgency"] == "high" and view["data"]["applicant"] == "张三", view["data"]


BRANCH_EVENTS = {
    "message": '<bpmn:messageEventDefinition messageRef="m"/>',
    "timer": """<bpmn:timerEventDefinition>
        <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>""",
    "event_subprocess": """<bpmn:timerEventDefinition>
        <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>""",
    "event_subprocess_message": '<bpmn:messageEventDefinition messageRef="m"/>',
}
BRANCH = """<bpmn:userTask id="urge_task" name="催办" camunda:candidateGroups="supervision"/>
    <bpmn:scriptTask id="seen" scriptFormat="python"><bpmn:script>b_note = opinion
b_seen = b_note + "!"</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="e_branch"/>
    <bpmn:sequenceFlow id="b2" sourceRef="urge_task" targetRef="seen"/>
    <bpmn:sequenceFlow id="b3" sourceRef="seen" targetRef="e_branch"/>"""


def branch_writes(event: str) -> bytes:
    """审核 (shebao) with a non-interrupting ``event`` (a boundary event on 审核, or the message start of an
    event subprocess, a timer) whose branch is 催办 (supervision, its clerk writes ``opinion``) → a script task
    (``b_note = opinion``, ``b_seen = b_note + "!"``) → its end; after 审核 a gateway on ``b_note`` and
    ``b_seen`` (default ``e_plain``)."""
    if event.startswith("event_subprocess"):
        branch = f"""<bpmn:subProcess id="esp" triggeredByEvent="true">
      <bpmn:startEvent id="b" isInterrupting="false">{BRANCH_EVENTS[event]}</bpmn:startEvent>
      {BRANCH}
      <bpmn:sequenceFlow id="b1" sourceRef="b" targetRef="urge_task"/></bpmn:subProcess>"""
    else:
        branch = f"""<bpmn:boundaryEvent id="b" cancelActivity="false" attachedToRef="review">{BRANCH_EVENTS[event]}
    </bpmn:boundaryEvent>
    {BRANCH}
    <bpmn:sequenceFlow id="b1" sourceRef="b" targetRef="urge_task"/>"""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="x">
  <bpmn:message id="m" name="urge"/>
  <bpmn:process id="branch_writes" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="review" name="审核" camunda:candidateGroups="shebao"/>
    {branch}
    <bpmn:exclusiveGateway id="g" default="plain"/>
    <bpmn:endEvent id="e_noted"/><bpmn:endEvent id="e_plain"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="review"/>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="g"/>
    <bpmn:sequenceFlow id="noted" sourceRef="g" targetRef="e_noted">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">b_note == "加急" and b_seen == "加急!"
      </bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="plain" sourceRef="g" targetRef="e_plain"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


@pytest.mark.parametrize("event", sorted(BRANCH_EVENTS))
def test_what_a_non_interrupting_branch_writes_reaches_the_main_path(
    api: Any, services: runner.Services, clock: runner.ManualClock, event: str
) -> None:
    """SpiffWorkflow's boundary join goes on with the activity's data only: what the branch's task and script
    wrote vanished when the branch ended (the gateway after 审核 took its default, the item's data lacked it)."""
    response = upload(api, branch_writes(event), "branch_writes.bpmn")
    assert response.status_code == 201, response.get_json()
    started = start(api, "branch_writes", {"applicant": "张三"})
    if event.endswith("message"):
        body = {"name": "urge", "correlation": started["business_key"], "payload": {"urgency": "high"}}
        assert api.post("/api/messages", json=body, headers=auth("t-admin")).status_code == 200
    else:
        advance_to(services, clock, clock.now() + timedelta(hours=1, seconds=1))
    tasks = {t["name"]: t for t in item(api, started["id"])["tasks"]}
    assert sorted(tasks) == ["催办", "审核"], tasks
    work(api, tasks["催办"], {"opinion": "加急", "approved": True})
    view = item(api, started["id"])
    assert [t["name"] for t in view["tasks"]] == ["审核"]
    assert view["data"]["b_note"] == "加急" and view["data"]["b_seen"] == "加急!", view["data"]
    form = api.get(f"/api/tasks/{tasks['审核']['id']}", headers=auth("t-shebao")).get_json()
    assert form["data"]["b_note"] == "加急" and form["data"]["opinion"] == "加急", form[
        "data"
    ]  # the later write
    work(api, tasks["审核"], {"opinion": "同意", "approved": True})
    view = item(api, started["id"])
    assert view["status"] == "completed" and "e_noted" in view["completed_path"], view
    assert view["data"]["b_note"] == "加急" and view["data"]["opinion"] == "同意", view["data"]
    assert view["data"]["applicant"] == "张三", view["data"]
    if event.endswith("message"):
        assert view["data"]["urgency"] == "high", view["data"]


@pytest.mark.parametrize("event", ["timer", "event_subprocess_message", "sequential", "standard_loop"])
def test_a_multi_instance_on_a_branch_carries_its_merge_not_each_instances_item(
    api: Any, services: runner.Services, clock: runner.ManualClock, event: str
) -> None:
    """Each instance's item (``expert``) is its own: only what the activity merged (``opinion``) reaches 审核.
    SpiffWorkflow starts the tasks after a firing boundary event from their predicted state: the activity's
    instances were refused ('Attempt to add non-predicted child to predicted task', an incident); and the script
    after the activity, a child of the activity's task like its instances, was taken for one (its writes never
    reached 审核)."""
    multi = """<bpmn:userTask id="urge_task" name="催办" camunda:candidateGroups="supervision">
      <bpmn:multiInstanceLoopCharacteristics camunda:collection="experts" camunda:elementVariable="expert"/>
    </bpmn:userTask>"""
    if event == "sequential":
        multi = multi.replace(
            "<bpmn:multiInstanceLoopCharacteristics ",
            '<bpmn:multiInstanceLoopCharacteristics isSequential="true" ',
        )
    if event == "standard_loop":
        multi = """<bpmn:userTask id="urge_task" name="催办" camunda:candidateGroups="supervision">
      <bpmn:standardLoopCharacteristics loopMaximum="2"/></bpmn:userTask>"""
    diagram = branch_writes("timer" if event in ("sequential", "standard_loop") else event).decode()
    diagram = diagram.replace(
        '<bpmn:userTask id="urge_task" name="催办" camunda:candidateGroups="supervision"/>', multi
    )
    response = upload(api, diagram.encode(), "branch_mi.bpmn")
    assert response.status_code == 201, response.get_json()
    started = start(api, "branch_writes", {"experts": ["张工", "李工"]})
    if event.endswith("message"):
        body = {"name": "urge", "correlation": started["business_key"], "payload": {"urgency": "high"}}
        assert api.post("/api/messages", json=body, headers=auth("t-admin")).status_code == 200
    else:
        advance_to(services, clock, clock.now() + timedelta(hours=1, seconds=1))
    view = item(api, started["id"])
    urges = 2 if event in ("timer", "event_subprocess_message") else 1
    assert (
        sorted(t["name"] for t in view["tasks"]) == ["催办"] * urges + ["审核"] and not view["incidents"]
    ), view
    for _ in range(2):
        for task in [t for t in item(api, started["id"])["tasks"] if t["name"] == "催办"]:
            work(api, task, {"opinion": "加急", "approved": True})
    view = item(api, started["id"])
    assert [t["name"] for t in view["tasks"]] == ["审核"] and not view["incidents"], view
    form = api.get(f"/api/tasks/{view['tasks'][0]['id']}", headers=auth("t-shebao")).get_json()
    assert form["data"]["b_seen"] == "加急!" and "expert" not in form["data"], form["data"]
    work(api, view["tasks"][0])
    view = item(api, started["id"])
    assert view["status"] == "completed" and "e_noted" in view["completed_path"], view
    assert "expert" not in view["data"] and view["data"]["b_note"] == "加急", view["data"]


ESP_REFUSED = {
    "conditional_start": (
        '<bpmn:messageEventDefinition messageRef="m"/>',
        """<bpmn:conditionalEventDefinition><bpmn:condition xsi:type="bpmn:tFormalExpression">urgent
        </bpmn:condition></bpmn:conditionalEventDefinition>""",
        "message, timer, signal, error or escalation",
    ),
}

# an interrupting event subprocess: the start's isInterrupting as drawn (a timer left at the BPMN default)
ESP_INTERRUPTING = {
    "message": ("event_subprocess_message", 'isInterrupting="true"'),
    "default_timer": ("event_subprocess", ""),
}


@pytest.mark.parametrize("case", sorted(ESP_INTERRUPTING))
def test_an_interrupting_event_subprocess_cancels_the_main_path_and_ends_the_item(
    api: Any, services: runner.Services, clock: runner.ManualClock, case: str
) -> None:
    """SpiffWorkflow ignores ``isInterrupting`` on an event subprocess's start: an interrupting one (撤回申请 by
    message, a process-wide deadline by timer) ran beside the main path, which went on; the diagram was refused
    at deploy since. Now 审核 is cancelled when the start fires (its open task, and the timer of the event
    subprocess beside it), 催办 runs alone and its end ends the item."""
    event, interrupting = ESP_INTERRUPTING[case]
    diagram = branch_writes(event).decode().replace('isInterrupting="false"', interrupting)
    response = upload(api, diagram.encode(), "esp_interrupting.bpmn")
    assert response.status_code == 201, response.get_json()
    started = start(api, "branch_writes", {"applicant": "张三"})
    assert [t["name"] for t in item(api, started["id"])["tasks"]] == ["审核"]
    if event.endswith("message"):
        body = {"name": "urge", "correlation": started["business_key"], "payload": {"reason": "撤回申请"}}
        assert api.post("/api/messages", json=body, headers=auth("t-admin")).status_code == 200
    else:
        advance_to(services, clock, clock.now() + timedelta(hours=1, seconds=1))
    view = item(api, started["id"])
    assert [t["name"] for t in view["tasks"]] == ["催办"] and not view["incidents"], view
    work(api, view["tasks"][0], {"opinion": "撤回", "approved": True})
    view = item(api, started["id"])
    assert view["status"] == "completed" and not view["tasks"] and not view["incidents"], view
    assert "e_branch" in view["completed_path"], view
    assert not {"e_noted", "e_plain", "review"} & set(view["completed_path"]), view
    assert view["data"]["b_seen"] == "撤回!" and view["data"]["applicant"] == "张三", view["data"]
    with services.transaction() as s:
        actions = [
            (a.action, a.task_name)
            for a in s.scalars(
                select(AuditEntry).where(AuditEntry.instance_id == started["id"]).order_by(AuditEntry.id)
            )
        ]
        pending = s.scalar(
            select(func.count())
            .select_from(Timer)
            .where(Timer.instance_id == started["id"], Timer.status == TimerStatus.PENDING)
        )
    assert pending == 0, actions
    completed = [name for action, name in actions if action == "complete"]
    assert "审核" not in completed and "催办" in completed, actions


@pytest.mark.parametrize("case", sorted(ESP_INTERRUPTING))
def test_an_interrupting_event_subprocess_inside_a_subprocess_ends_that_subprocess(
    api: Any, services: runner.Services, clock: runner.ManualClock, case: str
) -> None:
    """Inside a subprocess an interrupting event subprocess was refused at deploy. Now its start (a message, a
    timer) cancels the subprocess's 审核 (task and timers), 催办 runs alone, and its end ends the subprocess:
    the gateway after it goes on with what 催办 wrote."""
    event, interrupting = ESP_INTERRUPTING[case]
    diagram = branch_writes(event).decode().replace('isInterrupting="false"', interrupting)
    diagram = diagram.replace(
        '<bpmn:userTask id="review" name="审核" camunda:candidateGroups="shebao"/>',
        """<bpmn:subProcess id="review"><bpmn:startEvent id="rs"/>
      <bpmn:userTask id="inner" name="审核" camunda:candidateGroups="shebao"/><bpmn:endEvent id="re"/>
      <bpmn:sequenceFlow id="r1" sourceRef="rs" targetRef="inner"/>
      <bpmn:sequenceFlow id="r2" sourceRef="inner" targetRef="re"/>""",
    )
    esp_start = diagram.index('<bpmn:subProcess id="esp"')
    esp_end = diagram.index("</bpmn:subProcess>", esp_start) + len("</bpmn:subProcess>")
    esp = diagram[esp_start:esp_end]
    diagram = diagram[:esp_start] + diagram[esp_end:]
    diagram = diagram.replace(
        '<bpmn:sequenceFlow id="r2" sourceRef="inner" targetRef="re"/>',
        '<bpmn:sequenceFlow id="r2" sourceRef="inner" targetRef="re"/>' + esp + "</bpmn:subProcess>",
    )
    response = upload(api, diagram.encode(), "esp_nested.bpmn")
    assert response.status_code == 201, response.get_json()
    started = start(api, "branch_writes", {"applicant": "张三"})
    if event.endswith("message"):
        body = {"name": "urge", "correlation": started["business_key"], "payload": {"reason": "撤回申请"}}
        answer = api.post("/api/messages", json=body, headers=auth("t-admin"))
        assert answer.status_code == 200, answer.get_json()
    else:
        advance_to(services, clock, clock.now() + timedelta(hours=1, seconds=1))
    view = item(api, started["id"])
    assert [t["name"] for t in view["tasks"]] == ["催办"] and not view["incidents"], view
    work(api, view["tasks"][0], {"opinion": "加急", "approved": True})
    view = item(api, started["id"])
    assert view["status"] == "completed" and not view["tasks"] and not view["incidents"], view
    assert {"e_branch", "review", "e_noted"} <= set(view["completed_path"]), view
    assert "inner" not in view["completed_path"], view
    with services.transaction() as s:
        pending = s.scalar(
            select(func.count())
            .select_from(Timer)
            .where(Timer.instance_id == started["id"], Timer.status == TimerStatus.PENDING)
        )
    assert pending == 0


@pytest.mark.parametrize("case", sorted(ESP_REFUSED))
def test_an_event_subprocess_that_would_not_run_as_drawn_is_refused_at_deploy(api: Any, case: str) -> None:
    """SpiffWorkflow ignores ``isInterrupting`` on an event subprocess's start (an interrupting one ran beside
    the main path, which went on) and reads no conditional start (the subprocess ran at once, as on a plain
    start; error and escalation starts run: tests/api/test_error_event_subprocesses.py): such diagrams
    deployed and then ran otherwise than drawn."""
    old, new, hint = ESP_REFUSED[case]
    event = "event_subprocess" if case.endswith("timer") else "event_subprocess_message"
    diagram = branch_writes(event).decode()
    assert old in diagram
    refused = upload(api, diagram.replace(old, new).encode(), "branch_writes.bpmn")
    assert refused.status_code == 400, refused.get_json()
    [problem] = [p for p in refused.get_json()["problems"] if p["severity"] == "error"]
    assert problem["element"] == "b" and "事件子流程" in problem["message"], problem
    assert hint in problem["message"], problem


def test_a_multi_instance_after_a_script_in_a_parallel_branch_runs(api: Any) -> None:
    """No boundary event: the multi-instance after a script task in one branch of a parallel split starts from a
    definite state as before, and what it merged and the script wrote reach the join."""
    diagram = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="x">
  <bpmn:process id="split_mi" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:parallelGateway id="fork"/>
    <bpmn:scriptTask id="pick" scriptFormat="python"><bpmn:script>experts = ["张工", "李工"]</bpmn:script></bpmn:scriptTask>
    <bpmn:userTask id="ask" name="专家意见" camunda:candidateGroups="supervision">
      <bpmn:multiInstanceLoopCharacteristics camunda:collection="experts" camunda:elementVariable="expert"/>
    </bpmn:userTask>
    <bpmn:userTask id="review" name="审核" camunda:candidateGroups="shebao"/>
    <bpmn:parallelGateway id="join"/>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="fork"/>
    <bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="pick"/>
    <bpmn:sequenceFlow id="f3" sourceRef="pick" targetRef="ask"/>
    <bpmn:sequenceFlow id="f4" sourceRef="ask" targetRef="join"/>
    <bpmn:sequenceFlow id="f5" sourceRef="fork" targetRef="review"/>
    <bpmn:sequenceFlow id="f6" sourceRef="review" targetRef="join"/>
    <bpmn:sequenceFlow id="f7" sourceRef="join" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>""".encode()
    response = upload(api, diagram, "split_mi.bpmn")
    assert response.status_code == 201, response.get_json()
    started = start(api, "split_mi", {"applicant": "张三"})
    view = item(api, started["id"])
    assert sorted(t["name"] for t in view["tasks"]) == ["专家意见", "专家意见", "审核"], view
    for task in view["tasks"]:
        work(api, task, {"opinion": "同意", "approved": True})
    view = item(api, started["id"])
    assert view["status"] == "completed" and not view["incidents"], view
    assert view["data"]["experts"] == ["张工", "李工"] and "expert" not in view["data"], view["data"]


def test_a_message_event_subprocess_inside_a_subprocess_runs_and_what_it_writes_goes_on(api: Any) -> None:
    """SpiffWorkflow arms a message (or signal) event subprocess only at the top level of a process: inside an
    embedded subprocess it was refused at deploy (it had deployed, and the message was refused (404) while the
    subprocess ran). Now the message starts 催办 while the subprocess runs, and what 催办 wrote reaches 审核 and,
    after the subprocess, the gateway."""
    diagram = branch_writes("event_subprocess_message").decode()
    i = diagram.index('<bpmn:subProcess id="esp"')
    j = diagram.index("</bpmn:subProcess>", i) + len("</bpmn:subProcess>")
    esp, diagram = diagram[i:j], diagram[:i] + diagram[j:]
    review = '<bpmn:userTask id="review" name="审核" camunda:candidateGroups="shebao"/>'
    outer = f"""<bpmn:subProcess id="outer"><bpmn:startEvent id="os"/>{review}<bpmn:endEvent id="oe"/>
      <bpmn:sequenceFlow id="o1" sourceRef="os" targetRef="review"/>
      <bpmn:sequenceFlow id="o2" sourceRef="review" targetRef="oe"/>{esp}</bpmn:subProcess>"""
    diagram = (
        diagram.replace(review, outer)
        .replace('sourceRef="s" targetRef="review"', 'sourceRef="s" targetRef="outer"')
        .replace('sourceRef="review" targetRef="g"', 'sourceRef="outer" targetRef="g"')
    )
    response = upload(api, diagram.encode(), "nested_esp.bpmn")
    assert response.status_code == 201, response.get_json()
    started = start(api, "branch_writes", {"applicant": "张三"})
    body = {"name": "urge", "correlation": started["business_key"], "payload": {"urgency": "high"}}
    answer = api.post("/api/messages", json=body, headers=auth("t-admin"))
    assert answer.status_code == 200, answer.get_json()
    tasks = {t["name"]: t for t in item(api, started["id"])["tasks"]}
    assert sorted(tasks) == ["催办", "审核"], tasks
    work(api, tasks["催办"], {"opinion": "加急", "approved": True})
    work(api, tasks["审核"], {"opinion": "同意", "approved": True})
    view = item(api, started["id"])
    assert view["status"] == "completed" and "e_noted" in view["completed_path"], view
    assert view["data"]["b_note"] == "加急" and view["data"]["b_seen"] == "加急!", view["data"]


@pytest.mark.parametrize("ending", ["completed", "terminated", "suspended"])
@pytest.mark.parametrize("event", ["event_subprocess_message", "message"])
def test_a_message_to_an_item_no_longer_active_says_so(api: Any, event: str, ending: str) -> None:
    """A message for an item that has ended (or is suspended) answered a generic 404 (no item waits for it),
    whether its diagram had a message event subprocess or a message boundary event: it answers as every
    other act on such an item does, 409 naming the item and its state, in both languages."""
    response = upload(api, branch_writes(event), "branch_writes.bpmn")
    assert response.status_code == 201, response.get_json()
    started = start(api, "branch_writes", {"b_note": "", "b_seen": ""})
    if ending == "completed":
        work(api, item(api, started["id"])["tasks"][0])
    elif ending == "terminated":
        done = api.post(
            f"/api/instances/{started['id']}/terminate", json={"reason": "撤件"}, headers=auth("t-admin")
        )
        assert done.status_code == 200, done.get_json()
    else:
        done = api.post(
            f"/api/instances/{started['id']}/suspend", json={"reason": "暂停"}, headers=auth("t-admin")
        )
        assert done.status_code == 200, done.get_json()
    assert item(api, started["id"])["status"] == ending
    body = {"name": "urge", "correlation": started["business_key"], "payload": {"urgency": "high"}}
    answer = api.post("/api/messages", json=body, headers=auth("t-admin"))
    assert answer.status_code == 409, answer.get_json()
    words = {"completed": "已办结", "terminated": "已终止", "suspended": "已挂起"}[ending]
    message = answer.get_json()["message"]
    assert started["business_key"] in message and words in message and ending in message, message
    unknown = {**body, "correlation": "2099-999999"}
    assert api.post("/api/messages", json=unknown, headers=auth("t-admin")).status_code == 404


def test_a_service_task_whose_result_is_read_is_refused_at_deploy(api: Any) -> None:
    """The 制卡 service task with ``camunda:resultVariable`` deployed, passed through setting nothing, and what
    read ``card_no`` later failed as an incident; now the upload is refused naming the task."""
    text = (FOREIGN / "camunda_modeler.bpmn").read_text(encoding="utf-8")
    text = text.replace(
        'camunda:class="org.example.MakeCard"',
        'camunda:class="org.example.MakeCard" camunda:resultVariable="card_no"',
    )
    response = upload(api, text.encode(), "result_variable.bpmn")
    assert response.status_code == 400, response.get_json()
    [problem] = [p for p in response.get_json()["problems"] if p["severity"] == "error"]
    assert problem["element"] == "Task_make_card"
    assert "结果变量 card_no" in problem["message"] and "result variable 'card_no'" in problem["message"]

"""POST /api/signals: a BPMN signal broadcast from outside to every active item waiting for it."""

from __future__ import annotations

from typing import Any

import pytest

import runner
from runner.models import AuditEntry, InstanceStatus

from ..runner.helpers import DATA
from ..support.flow import complete, describe, start_item, task
from .clients import api_client

USERS = {
    "t-admin": ("admin", "管理员", [("shebao", "admin")]),
    "t-clerk": ("clerk_a", "社保甲", [("shebao", "clerk")]),
}
ADMIN = {"Authorization": "Bearer t-admin"}


def signal_diagram(key: str, signal: str, *, boundary: bool = False) -> bytes:
    """upper_reply.bpmn with its message catch turned into a catch of signal ``signal`` (process ``key``)."""
    xml = (DATA / "upper_reply.bpmn").read_text(encoding="utf-8")
    xml = xml.replace(
        '<bpmn:message id="msg_upper_reply" name="upper_reply"/>',
        f'<bpmn:signal id="sig_{key}" name="{signal}"/>',
    )
    xml = xml.replace(
        '<bpmn:messageEventDefinition messageRef="msg_upper_reply"/>',
        f'<bpmn:signalEventDefinition signalRef="sig_{key}"/>',
    )
    return xml.replace('id="upper_reply"', f'id="{key}"').encode()


@pytest.fixture
def client(services: runner.Services) -> Any:
    api = api_client(services, USERS)
    with services.transaction() as s:
        runner.deploy(s, signal_diagram("policy_wait", "policy_change"), "policy_wait.bpmn", actor="designer")
        runner.deploy(s, signal_diagram("other_wait", "fee_change"), "other_wait.bpmn", actor="designer")
    return api


def waiting(services: runner.Services, key: str) -> int:
    """An item of ``key`` past its report, waiting at the signal catch."""
    iid = start_item(services, key, {"lead_window": "shebao", "total": 10, "copies": 2})
    complete(services, task(services, iid, "report")["id"], {})
    return iid


def status(services: runner.Services, iid: int) -> str:
    return str(describe(services, iid)["status"])


def test_a_signal_reaches_every_active_item_waiting_for_it_and_no_other(client, services) -> None:
    first, second = waiting(services, "policy_wait"), waiting(services, "policy_wait")
    held, ended = waiting(services, "policy_wait"), waiting(services, "policy_wait")
    other = waiting(services, "other_wait")
    with services.transaction() as s:
        runner.suspend(s, held, actor="admin", reason="听证")
        runner.terminate(s, ended, actor="admin", reason="申请人撤回")

    response = client.post(
        "/api/signals", json={"name": "policy_change", "payload": {"policy": "2027-01"}}, headers=ADMIN
    )

    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert (answer["signal"], answer["count"], answer["failed"]) == ("policy_change", 2, [])
    assert sorted(i["id"] for i in answer["instances"]) == [first, second]
    for iid in (first, second):  # each stepped past the catch, with the payload, and audited
        assert task(services, iid, "notify")
        assert describe(services, iid)["data"]["policy"] == "2027-01"
    with services.transaction() as s:
        entries = s.query(AuditEntry).filter(AuditEntry.action == "signal").all()
        assert sorted(e.instance_id for e in entries) == [first, second]
        assert {(e.actor, e.detail["signal"], tuple(e.detail["fields"])) for e in entries} == {
            ("admin", "policy_change", ("policy",))
        }
    assert status(services, held) == InstanceStatus.SUSPENDED
    assert status(services, ended) == InstanceStatus.TERMINATED
    assert status(services, other) == InstanceStatus.WAITING
    assert not [t for t in describe(services, other)["tasks"] if t.get("spec_name") == "notify"]


def test_a_signal_nobody_waits_for_is_200_with_no_items(client, services) -> None:
    waiting(services, "policy_wait")
    response = client.post("/api/signals", json={"name": "nobody_listens"}, headers=ADMIN)
    assert response.status_code == 200
    assert response.get_json() == {"signal": "nobody_listens", "count": 0, "instances": [], "failed": []}


def test_a_resumed_item_hears_the_next_signal(client, services) -> None:
    held = waiting(services, "policy_wait")
    with services.transaction() as s:
        runner.suspend(s, held, actor="admin", reason="听证")
    assert client.post("/api/signals", json={"name": "policy_change"}, headers=ADMIN).get_json()["count"] == 0
    with services.transaction() as s:
        runner.resume(s, held, actor="admin")
    assert client.post("/api/signals", json={"name": "policy_change"}, headers=ADMIN).get_json()["count"] == 1
    assert task(services, held, "notify")


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ({}, ("缺少信号名称", "missing signal name")),
        ({"name": "  "}, ("缺少信号名称", "missing signal name")),
        ({"name": 3}, ("缺少信号名称", "missing signal name")),
        ({"name": "policy_change", "payload": [1]}, ("信号内容必须是对象", "payload must be an object")),
        ({"name": "policy_change", "payload": "x"}, ("信号内容必须是对象", "payload must be an object")),
    ],
)
def test_bad_input_is_refused_in_both_languages(client, services, payload, words) -> None:
    iid = waiting(services, "policy_wait")
    response = client.post("/api/signals", json=payload, headers=ADMIN)
    assert response.status_code == 400
    message = response.get_json()["message"]
    assert all(w in message for w in words), message
    assert status(services, iid) == InstanceStatus.WAITING  # nothing was delivered


def test_a_clerk_may_not_send_a_signal(client, services) -> None:
    iid = waiting(services, "policy_wait")
    response = client.post(
        "/api/signals", json={"name": "policy_change"}, headers={"Authorization": "Bearer t-clerk"}
    )
    assert response.status_code == 403
    assert status(services, iid) == InstanceStatus.WAITING


def test_one_item_failing_keeps_the_others_steps(client, services, monkeypatch) -> None:
    """Each item is stepped in its own transaction: a failure of one (here a lost race) is reported and the
    others' steps are kept."""
    first, second = waiting(services, "policy_wait"), waiting(services, "policy_wait")
    from runner.items import signals

    real = signals._deliver_one

    def flaky(session: Any, instance_id: int, *args: Any, **kwargs: Any) -> Any:
        if instance_id == first:
            raise runner.ConcurrentUpdate("办件已被他人修改 (the item changed meanwhile)")
        return real(session, instance_id, *args, **kwargs)

    monkeypatch.setattr(signals, "_deliver_one", flaky)
    answer = client.post("/api/signals", json={"name": "policy_change"}, headers=ADMIN).get_json()
    assert [i["id"] for i in answer["instances"]] == [second]
    assert [f["id"] for f in answer["failed"]] == [first]
    assert status(services, first) == InstanceStatus.WAITING
    assert task(services, second, "notify")


def test_openapi_describes_the_signal_route(client) -> None:
    spec = client.get("/api/openapi.json").get_json()
    operation = spec["paths"]["/api/signals"]["post"]
    assert "signal" in operation["summary"]


EVENT_SUBPROCESS = """
    <bpmn:subProcess id="policy_events" triggeredByEvent="true">
      <bpmn:startEvent id="policy_start" name="政策变更" isInterrupting="false">
        <bpmn:outgoing>s1</bpmn:outgoing><bpmn:signalEventDefinition signalRef="sig_policy_both"/>
      </bpmn:startEvent>
      <bpmn:scriptTask id="note_policy" name="记下政策">
        <bpmn:incoming>s1</bpmn:incoming><bpmn:outgoing>s2</bpmn:outgoing><bpmn:script>noted = policy</bpmn:script>
      </bpmn:scriptTask>
      <bpmn:endEvent id="policy_end"><bpmn:incoming>s2</bpmn:incoming></bpmn:endEvent>
      <bpmn:sequenceFlow id="s1" sourceRef="policy_start" targetRef="note_policy"/>
      <bpmn:sequenceFlow id="s2" sourceRef="note_policy" targetRef="policy_end"/>
    </bpmn:subProcess>
    <bpmn:boundaryEvent id="policy_stop" name="政策废止" attachedToRef="report">
      <bpmn:outgoing>fb</bpmn:outgoing><bpmn:signalEventDefinition signalRef="sig_stop"/>
    </bpmn:boundaryEvent>
    <bpmn:endEvent id="stopped"><bpmn:incoming>fb</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="fb" sourceRef="policy_stop" targetRef="stopped"/>
  </bpmn:process>"""


def test_an_event_subprocess_and_a_boundary_event_hear_their_signals(client, services) -> None:
    """A signal starts an event subprocess (its payload the subprocess's data) and fires a boundary event."""
    xml = signal_diagram("policy_both", "policy_change").decode()
    xml = xml.replace(
        "</bpmn:process>", EVENT_SUBPROCESS.replace("</bpmn:process>", "") + "\n  </bpmn:process>"
    )
    xml = xml.replace(
        '<bpmn:process id="policy_both"',
        '<bpmn:signal id="sig_stop" name="policy_revoked"/>\n  <bpmn:process id="policy_both"',
    )
    with services.transaction() as s:
        runner.deploy(s, xml.encode(), "policy_both.bpmn", actor="designer")
    data = {"lead_window": "shebao", "total": 10, "copies": 2}
    iid = start_item(services, "policy_both", data)  # at report

    answer = client.post(
        "/api/signals", json={"name": "policy_change", "payload": {"policy": "2027-01"}}, headers=ADMIN
    ).get_json()
    assert [i["id"] for i in answer["instances"]] == [iid]
    assert status(services, iid) == InstanceStatus.RUNNING  # the subprocess ran its script: no incident
    assert task(services, iid, "report")

    answer = client.post("/api/signals", json={"name": "policy_revoked"}, headers=ADMIN).get_json()
    assert [i["id"] for i in answer["instances"]] == [iid]
    assert status(services, iid) == InstanceStatus.COMPLETED
    with services.transaction() as s:
        names = [e.task_name for e in s.query(AuditEntry).filter(AuditEntry.action == "signal")]
    assert names == ["政策变更", "政策废止"]

"""Clerk operations over the JSON API: the same permission table as the workspace (403 and nothing
changed), reasons (400), conflicts (409), and the OpenAPI entries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

import runner
from runner.models import AuditEntry, Notification, OpenTask
from runner.people import directory
from webapp import create_app

from ..runner.helpers import DATA, WINDOWS

TOKENS = "t-sb1=sb1,t-sb2=sb2,t-head=sbhead,t-gt1=gt1,t-duban=duban,t-robot=robot"


@pytest.fixture
def client(services: runner.Services) -> Any:
    with services.transaction() as s:
        runner.upsert_windows(s, WINDOWS)
    with services.transaction() as s:
        for name, *memberships in (
            ("sb1", ("shebao", "clerk")),
            ("sb2", ("shebao", "clerk")),
            ("sbhead", ("shebao", "window_head"), ("shebao", "clerk")),
            ("gt1", ("guotu", "clerk")),
            ("duban", ("shebao", "supervisor")),
        ):
            directory.create_user(s, name, name, "banjian2026", memberships)
        runner.deploy(s, (DATA / "review.bpmn").read_bytes(), "review.bpmn", actor="designer")
    app = create_app({"TESTING": True, "SERVICES": services, "API_TOKENS": TOKENS})
    return app.test_client()


def auth(who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer t-{who}"}


def audit_count(services: runner.Services) -> int:
    with services.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEntry)) or 0)


# the acceptance form's data; the test diagram's gateway reads ``complete``, given at the start
ACCEPTANCE = {"applicant": "张三", "eligible": True}


def start(client: Any) -> dict[str, Any]:
    response = client.post(
        "/api/instances", json={"key": "review", "data": {"complete": True}}, headers=auth("sb1")
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_transfer_delegate_and_answer(client: Any, services: runner.Services) -> None:
    item = start(client)
    task_id = item["tasks"][0]["id"]
    before = audit_count(services)
    for who, body in (
        ("gt1", {"to_user": "sb2"}),  # another window
        ("sb1", {"to_window": "guotu", "reason": "x"}),  # a clerk, not the head
        ("robot", {"to_user": "sb2"}),  # not a directory user
    ):
        response = client.post(f"/api/tasks/{task_id}/transfer", json=body, headers=auth(who))
        assert response.status_code == 403, (who, response.get_json())
        assert response.get_json()["code"] == "permission_denied"
    assert audit_count(services) == before
    response = client.post(
        f"/api/tasks/{task_id}/transfer", json={"to_window": "guotu"}, headers=auth("head")
    )
    assert response.status_code == 400 and "理由" in response.get_json()["message"]
    response = client.post(f"/api/tasks/{task_id}/transfer", json={"to_user": "gt1"}, headers=auth("sb1"))
    assert response.status_code == 400
    response = client.post(f"/api/tasks/{task_id}/transfer", json={"to_user": "sb2"}, headers=auth("sb1"))
    assert response.status_code == 200 and response.get_json()["assignee"] == "sb2"
    # 委派 by the assignee; only the delegate answers
    response = client.post(f"/api/tasks/{task_id}/delegate", json={"to_user": "gt1"}, headers=auth("sb1"))
    assert response.status_code == 403
    response = client.post(
        f"/api/tasks/{task_id}/delegate", json={"to_user": "gt1", "note": "请提意见"}, headers=auth("sb2")
    )
    assert response.status_code == 200 and response.get_json()["delegated_by"] == "sb2"
    response = client.post(f"/api/tasks/{task_id}/delegate", json={"to_user": "sb1"}, headers=auth("gt1"))
    assert response.status_code == 403
    answer = f"/api/tasks/{task_id}/delegation-answer"
    assert client.post(answer, json={"opinion": "x"}, headers=auth("sb2")).status_code == 403
    assert client.post(answer, json={}, headers=auth("gt1")).status_code == 400
    response = client.post(answer, json={"opinion": "同意"}, headers=auth("gt1"))
    assert response.status_code == 200 and response.get_json()["assignee"] == "sb2"
    head = client.post(
        f"/api/tasks/{task_id}/transfer",
        json={"to_window": "guotu", "reason": "属国土"},
        headers=auth("head"),
    )
    assert head.status_code == 200 and head.get_json()["window"] == "guotu"


def test_send_back_withdraw_urge_copy(client: Any, services: runner.Services) -> None:
    item = start(client)
    accept = item["tasks"][0]["id"]
    done = client.post(f"/api/tasks/{accept}/complete", json={"data": ACCEPTANCE}, headers=auth("sb1"))
    decide = done.get_json()["tasks"][0]["id"]
    steps = client.get(f"/api/tasks/{decide}/returnable-steps", headers=auth("sb2"))
    assert steps.status_code == 200 and [s["task_id"] for s in steps.get_json()["steps"]] == [accept]
    assert client.get(f"/api/tasks/{decide}/returnable-steps", headers=auth("gt1")).status_code == 403
    before = audit_count(services)
    send_back = f"/api/tasks/{decide}/send-back"
    assert (
        client.post(send_back, json={"to_task_id": accept, "reason": "x"}, headers=auth("gt1")).status_code
        == 403
    )
    assert client.post(send_back, json={"to_task_id": accept}, headers=auth("sb2")).status_code == 400
    assert client.post(send_back, json={"reason": "x"}, headers=auth("sb2")).status_code == 400
    assert audit_count(services) == before
    response = client.post(send_back, json={"to_task_id": accept, "reason": "材料有误"}, headers=auth("sb2"))
    assert response.status_code == 200, response.get_json()
    # 撤回: only who completed it, and only while the next task is untouched
    done = client.post(f"/api/tasks/{accept}/complete", json={"data": ACCEPTANCE}, headers=auth("sb1"))
    decide = done.get_json()["tasks"][0]["id"]
    before = audit_count(services)
    assert client.post(f"/api/tasks/{accept}/withdraw", headers=auth("sb2")).status_code == 403
    assert audit_count(services) == before
    assert client.post(f"/api/tasks/{decide}/claim", headers=auth("sb2")).status_code == 200
    refused = client.post(f"/api/tasks/{accept}/withdraw", headers=auth("sb1"))
    assert refused.status_code == 409 and "sb2" in refused.get_json()["message"]
    assert client.post(f"/api/tasks/{decide}/unclaim", headers=auth("sb2")).status_code == 200
    assert client.post(f"/api/tasks/{accept}/withdraw", headers=auth("sb1")).status_code == 200
    # 催办: the lead window or supervision
    before = audit_count(services)
    assert client.post(f"/api/tasks/{accept}/urge", json={}, headers=auth("gt1")).status_code == 403
    assert audit_count(services) == before
    urged = client.post(f"/api/tasks/{accept}/urge", json={"note": "快"}, headers=auth("duban"))
    assert urged.status_code == 200 and urged.get_json()["urge_count"] == 1
    assert urged.get_json()["last_urged_by"] == "duban"
    # 抄送: someone involved
    copy = f"/api/instances/{item['id']}/copy"
    assert client.post(copy, json={"to_window": "guotu"}, headers=auth("gt1")).status_code == 403
    assert client.post(copy, json={}, headers=auth("sb1")).status_code == 400
    assert client.post(copy, json={"to_window": "nowhere"}, headers=auth("sb1")).status_code == 400
    response = client.post(copy, json={"to_window": "guotu", "note": "供参考"}, headers=auth("sb1"))
    assert response.status_code == 201 and response.get_json()["to_window"] == "guotu"
    with services.transaction() as s:
        assert [c["note"] for c in runner.copies_for(s, user="gt1", windows={"guotu"})] == ["供参考"]
    assert (
        client.post("/api/tasks/00000000-0000-0000-0000-000000000000/urge", headers=auth("sb1")).status_code
        == 404
    )


def test_a_clerk_who_handed_the_task_over_may_no_longer_act_on_it(
    client: Any, services: runner.Services
) -> None:
    """sb1 claims the 决定 step and hands it over (转办) to sb2: sb1's 退回, 转办, 委派, release and completion are
    refused with the current holder named and nothing changes; the window head may still send it back."""
    item = start(client)
    accept = item["tasks"][0]["id"]
    done = client.post(f"/api/tasks/{accept}/complete", json={"data": ACCEPTANCE}, headers=auth("sb1"))
    decide = done.get_json()["tasks"][0]["id"]
    assert client.post(f"/api/tasks/{decide}/claim", headers=auth("sb1")).status_code == 200
    handed = client.post(f"/api/tasks/{decide}/transfer", json={"to_user": "sb2"}, headers=auth("sb1"))
    assert handed.status_code == 200 and handed.get_json()["assignee"] == "sb2"
    before = audit_count(services)
    for op, payload in (
        ("send-back", {"to_task_id": accept, "reason": "材料有误"}),
        ("transfer", {"to_user": "sbhead"}),
        ("delegate", {"to_user": "gt1", "note": "请提意见"}),
        ("unclaim", {}),
    ):
        response = client.post(f"/api/tasks/{decide}/{op}", json=payload, headers=auth("sb1"))
        assert response.status_code == 403, (op, response.get_json())
        assert "held by sb2" in response.get_json()["message"], op
    completed = client.post(f"/api/tasks/{decide}/complete", json={"data": {}}, headers=auth("sb1"))
    assert completed.status_code == 409 and "sb2" in completed.get_json()["message"]
    assert audit_count(services) == before
    steps = f"/api/tasks/{decide}/returnable-steps"
    assert client.get(steps, headers=auth("sb1")).status_code == 403
    assert client.get(steps, headers=auth("head")).status_code == 200  # the window head keeps the right
    # while sb2 is away and sb1 covers them (AB岗), sb1 acts again, for sb2
    with services.transaction() as s:
        now = services.now()
        directory.mark_absent(s, "sb2", "sb1", now, now + timedelta(days=2), "年休假", actor="sbhead")
    assert client.get(steps, headers=auth("sb1")).status_code == 200
    back = client.post(
        f"/api/tasks/{decide}/send-back",
        json={"to_task_id": accept, "reason": "材料有误"},
        headers=auth("sb1"),
    )
    assert back.status_code == 200, back.get_json()
    with services.transaction() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "send_back")).one()
        assert (entry.actor, entry.on_behalf_of) == ("sb1", "sb2")


def test_a_delegate_only_answers(client: Any, services: runner.Services) -> None:
    """While the 决定 step is out for gt1's opinion (委派), gt1 may neither send it back nor hand it over (the
    delegator sb1 still holds it and may, and is named in the refusal)."""
    accept, decide = _out_for_opinion(client)
    before = audit_count(services)
    for op, payload in (
        ("send-back", {"to_task_id": accept, "reason": "材料有误"}),
        ("transfer", {"to_user": "sb2"}),
    ):
        response = client.post(f"/api/tasks/{decide}/{op}", json=payload, headers=auth("gt1"))
        assert response.status_code == 403, (op, response.get_json())
        assert "held by sb1" in response.get_json()["message"], op
    assert audit_count(services) == before
    assert client.get(f"/api/tasks/{decide}/returnable-steps", headers=auth("sb1")).status_code == 200


def test_extension_by_the_lead_window_head_within_the_cap(client: Any, services: runner.Services) -> None:
    response = client.post(
        "/api/instances", json={"key": "review", "data": {"statutory_days": 20}}, headers=auth("sb1")
    )
    item = response.get_json()
    url = f"/api/instances/{item['id']}/extend"
    before = audit_count(services)
    refused = client.post(url, json={"days": 5, "reason": "专家评审"}, headers=auth("sb1"))
    assert refused.status_code == 403 and audit_count(services) == before
    assert client.post(url, json={"days": 5}, headers=auth("head")).status_code == 400  # reason required
    granted = client.post(
        url, json={"days": 5, "reason": "专家评审", "requested_by": "sb1"}, headers=auth("head")
    )
    assert granted.status_code == 200, granted.get_json()
    assert granted.get_json()["extension_days"] == 5
    assert granted.get_json()["deadline"] > item["deadline"]
    over = client.post(url, json={"days": 6, "reason": "再延"}, headers=auth("head"))
    assert over.status_code == 400 and over.get_json()["cap"] == 10


def test_warning_acknowledged_by_the_warned_window(client: Any, services: runner.Services) -> None:
    from runner.models import WarningEvent

    item = start(client)
    with services.transaction() as s:
        warning = WarningEvent(
            instance_id=item["id"], window="shebao", rule="test", level="yellow", message="超期",
            created_at=services.now(),
        )  # fmt: skip
        s.add(warning)
        s.flush()
        warning_id = warning.id
    url = f"/api/warnings/{warning_id}/acknowledge"
    assert client.post(url, json={"reply": "x"}, headers=auth("gt1")).status_code == 403
    assert client.post(url, json={}, headers=auth("sb1")).status_code == 400
    answered = client.post(url, json={"reply": "已整改"}, headers=auth("sb1"))
    assert answered.status_code == 200 and answered.get_json()["acknowledged_by"] == "sb1"
    assert client.post(url, json={"reply": "again"}, headers=auth("sb1")).status_code == 409
    assert (
        client.post("/api/warnings/999/acknowledge", json={"reply": "x"}, headers=auth("sb1")).status_code
        == 404
    )


def _out_for_opinion(client: Any) -> tuple[str, str]:
    """An item whose 决定 step sb1 holds and has put out for gt1's opinion (委派): (accept id, decide id)."""
    item = start(client)
    accept = item["tasks"][0]["id"]
    done = client.post(f"/api/tasks/{accept}/complete", json={"data": ACCEPTANCE}, headers=auth("sb1"))
    decide = done.get_json()["tasks"][0]["id"]
    assert client.post(f"/api/tasks/{decide}/claim", headers=auth("sb1")).status_code == 200
    asked = client.post(
        f"/api/tasks/{decide}/delegate", json={"to_user": "gt1", "note": "请提意见"}, headers=auth("sb1")
    )
    assert asked.status_code == 200 and asked.get_json()["assignee"] == "gt1"
    return accept, decide


def _withdrawn_for_gt1(services: runner.Services) -> list[Notification]:
    with services.transaction() as s:
        return list(
            s.scalars(
                select(Notification).where(
                    Notification.to_user == "gt1", Notification.kind == "delegation_withdrawn"
                )
            )
        )


@pytest.mark.parametrize(
    ("who", "op", "payload"),
    [
        ("sb1", "transfer", {"to_user": "sb2"}),
        ("head", "transfer", {"to_user": "sb2"}),
        ("sb1", "transfer", {"to_user": "sbhead"}),
        ("sb1", "unclaim", None),
    ],
)
def test_handing_over_a_task_out_for_an_opinion_withdraws_the_request(
    client: Any, services: runner.Services, who: str, op: str, payload: dict[str, Any] | None
) -> None:
    """转办 (by the holder or the head) or giving the task back to the pool while it waits for gt1's opinion:
    the request is withdrawn (audited, gt1 told), the 委派 marker goes, and gt1 can no longer answer."""
    _accept, decide = _out_for_opinion(client)
    response = client.post(f"/api/tasks/{decide}/{op}", json=payload or {}, headers=auth(who))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["assignee"] == (payload or {}).get("to_user") and body.get("delegated_by") is None
    answer = client.post(
        f"/api/tasks/{decide}/delegation-answer", json={"opinion": "同意"}, headers=auth("gt1")
    )
    assert answer.status_code == 403
    with services.transaction() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "delegation_withdrawn")).one()
        assert entry.detail["delegate"] == "gt1" and entry.detail["delegated_by"] == "sb1"
        row = s.scalars(select(OpenTask).where(OpenTask.task_id == decide)).one()
        assert row.delegated_by is None and row.delegation_note is None
    assert len(_withdrawn_for_gt1(services)) == 1
    inbox = client.get("/api/tasks?assignee=gt1", headers=auth("gt1"))
    assert inbox.status_code == 200 and decide not in {t["id"] for t in inbox.get_json()["tasks"]}


def test_sending_back_a_task_out_for_an_opinion_tells_the_delegate(
    client: Any, services: runner.Services
) -> None:
    """退回 by the holder while gt1's opinion is outstanding: the request is withdrawn and gt1 is told."""
    accept, decide = _out_for_opinion(client)
    response = client.post(
        f"/api/tasks/{decide}/send-back",
        json={"to_task_id": accept, "reason": "材料有误"},
        headers=auth("sb1"),
    )
    assert response.status_code == 200, response.get_json()
    assert len(_withdrawn_for_gt1(services)) == 1
    with services.transaction() as s:
        assert s.scalars(select(AuditEntry).where(AuditEntry.action == "delegation_withdrawn")).one()


def test_transfer_to_the_colleague_asked_for_an_opinion(client: Any, services: runner.Services) -> None:
    """sb1 asked sb2 (same window) for an opinion, then hands the task over to sb2: it becomes sb2's own task
    (not refused as "already assigned", and not left with sb1's 委派 marker); handing it to sb1, who holds it,
    is refused."""
    item = start(client)
    task_id = item["tasks"][0]["id"]
    assert client.post(f"/api/tasks/{task_id}/claim", headers=auth("sb1")).status_code == 200
    asked = client.post(
        f"/api/tasks/{task_id}/delegate", json={"to_user": "sb2", "note": "?"}, headers=auth("sb1")
    )
    assert asked.status_code == 200
    to_self = client.post(f"/api/tasks/{task_id}/transfer", json={"to_user": "sb1"}, headers=auth("head"))
    assert to_self.status_code == 400, to_self.get_json()
    response = client.post(f"/api/tasks/{task_id}/transfer", json={"to_user": "sb2"}, headers=auth("sb1"))
    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["assignee"], response.get_json()["delegated_by"]) == ("sb2", None)
    # sb1 handed it over: no longer theirs to release
    assert client.post(f"/api/tasks/{task_id}/unclaim", headers=auth("sb1")).status_code == 403


def test_terminating_an_item_out_for_an_opinion_tells_the_delegate(
    client: Any, services: runner.Services
) -> None:
    _accept, decide = _out_for_opinion(client)
    with services.transaction() as s:
        instance_id = s.scalars(select(OpenTask.instance_id).where(OpenTask.task_id == decide)).one()
        runner.terminate(s, instance_id, actor="admin", reason="申请人撤回申请")
    assert len(_withdrawn_for_gt1(services)) == 1


def test_nobody_completes_a_task_out_for_an_opinion(client: Any, services: runner.Services) -> None:
    """The delegate only answers (never decides the step in the holder's place); the holder waits for the answer."""
    _accept, decide = _out_for_opinion(client)
    before = audit_count(services)
    for who in ("gt1", "sb1"):
        response = client.post(f"/api/tasks/{decide}/complete", json={"data": {}}, headers=auth(who))
        assert response.status_code == 409, (who, response.get_json())
        assert "out for gt1's opinion" in response.get_json()["message"]
    assert audit_count(services) == before
    answered = client.post(
        f"/api/tasks/{decide}/delegation-answer", json={"opinion": "同意"}, headers=auth("gt1")
    )
    assert answered.status_code == 200 and answered.get_json()["assignee"] == "sb1"


def test_withdraw_refused_names_the_holder_of_a_next_step_out_for_an_opinion(client: Any) -> None:
    """撤回 of 受理 while the 决定 step sb1 claimed is out for gt1's opinion: refused, naming sb1 (who holds it)."""
    accept, _decide = _out_for_opinion(client)
    refused = client.post(f"/api/tasks/{accept}/withdraw", headers=auth("sb1"))
    assert refused.status_code == 409, refused.get_json()
    assert "claimed by sb1" in refused.get_json()["message"]

"""流程定义: versions with counts, diagram, XML download, deploy by upload, migration preview and move."""

from __future__ import annotations

import io
import re

import pytest

import runner
from tests.admin.monitoring_helpers import (
    DATA,
    audit_actions,
    deploy,
    flashes,
    people,
    promised_item,
    waiting_item,
)
from tests.support.flow import describe, send


@pytest.fixture
def setup(services, make_user) -> None:
    people(make_user)
    deploy(services)


def upload(client, content: bytes, name: str = "upper_reply.bpmn") -> str:
    response = client.post(
        "/admin/definitions/deploy",
        data={"bpmn": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_versions_with_counts_for_overseers(services, setup, signed_in) -> None:
    promised_item(services)
    promised_item(services)
    waiting_item(services)
    assert signed_in("clerk1").get("/admin/definitions/").status_code == 403
    page = signed_in("sup").get("/admin/definitions/").get_data(as_text=True)
    chengnuo = page[page.index('data-key="chengnuo"') :]
    assert re.search(r'class="instance-count"><a href="[^"]+">2</a>', chengnuo)
    upper = page[page.index('data-key="upper_reply"') :]
    assert re.search(r'class="instance-count"><a href="[^"]+">1</a>', upper)
    assert "designer" in chengnuo  # deployed by
    assert 'id="deploy-form"' not in page  # supervisors do not deploy
    assert 'id="deploy-form"' in signed_in("admin").get("/admin/definitions/").get_data(as_text=True)


def test_count_links_to_the_version_filter(services, setup, signed_in) -> None:
    iid = promised_item(services)
    admin = signed_in("admin")
    page = admin.get("/admin/definitions/").get_data(as_text=True)
    chengnuo = page[page.index('data-key="chengnuo"') :]
    link = re.search(r'class="instance-count"><a href="([^"]+)">1</a>', chengnuo)[1].replace("&amp;", "&")
    listed = admin.get(link).get_data(as_text=True)
    assert describe(services, iid)["business_key"] in listed


def test_diagram_and_xml(services, setup, signed_in) -> None:
    sup = signed_in("sup")
    page = sup.get("/admin/definitions/chengnuo/1/").get_data(as_text=True)
    assert 'id="diagram"' in page and "bpmn-navigated-viewer" in page
    response = sup.get("/admin/definitions/chengnuo/1/xml")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="chengnuo-v1.bpmn"'
    assert b'id="chengnuo"' in response.data
    assert sup.get("/admin/definitions/chengnuo/7/").status_code == 404
    assert sup.get("/admin/definitions/nothing/1/xml").status_code == 404


def test_deploy_a_new_version_by_upload(services, setup, signed_in) -> None:
    admin = signed_in("admin")
    original = (DATA / "upper_reply.bpmn").read_bytes()
    page = upload(admin, original)
    assert any("upper_reply v1（内容未变，沿用）" in f for f in flashes(page)), flashes(page)
    page = upload(admin, original.replace(b'value="2"', b'value="3"'))
    assert any("upper_reply v2（新版本）" in f for f in flashes(page)), flashes(page)
    with services.transaction() as s:
        assert runner.get_definition(s, "upper_reply").version == 2
    assert ("deploy", "admin") in audit_actions(services, action="deploy")
    assert signed_in("sup").post("/admin/definitions/deploy").status_code == 403


def test_invalid_upload_is_explained(services, setup, signed_in) -> None:
    admin = signed_in("admin")
    page = upload(admin, b"<not-bpmn/>", "broken.bpmn")
    assert any(f.startswith("danger: 部署失败") for f in flashes(page)), flashes(page)
    page = admin.post("/admin/definitions/deploy", data={}, follow_redirects=True).get_data(as_text=True)
    assert any("请选择 BPMN 文件" in f for f in flashes(page)), flashes(page)


def test_migration_preview_and_move(services, setup, signed_in) -> None:
    other = promised_item(services)  # another key: never listed
    waiting = waiting_item(services)  # waits for the reply; "notify" lies ahead: can move
    at_notify = waiting_item(services)
    send(services, "upper_reply", describe(services, at_notify)["business_key"], {"approved": True})
    # v2 drops the step "notify" (the reply ends the item): the item standing at it cannot move
    xml = (DATA / "upper_reply.bpmn").read_text()
    xml = re.sub(r'<bpmn:userTask id="notify".*?</bpmn:userTask>', "", xml, flags=re.S)
    xml = xml.replace("<bpmn:flowNodeRef>notify</bpmn:flowNodeRef>", "")
    xml = xml.replace('sourceRef="wait_reply" targetRef="notify"', 'sourceRef="wait_reply" targetRef="end"')
    xml = xml.replace('<bpmn:sequenceFlow id="f5" sourceRef="notify" targetRef="end"/>', "")
    xml = xml.replace("<bpmn:incoming>f5</bpmn:incoming>", "<bpmn:incoming>f4</bpmn:incoming>")
    admin = signed_in("admin")
    page = upload(admin, xml.encode())
    assert any("upper_reply v2（新版本）" in f for f in flashes(page)), flashes(page)

    preview = (
        signed_in("sup").get("/admin/definitions/upper_reply/migrate?from=1&to=2").get_data(as_text=True)
    )
    keys = {iid: describe(services, iid)["business_key"] for iid in (waiting, at_notify, other)}
    assert f'data-business-key="{keys[waiting]}" data-can-move="yes"' in preview
    assert f'data-business-key="{keys[at_notify]}" data-can-move="no"' in preview
    assert keys[other] not in preview
    assert "<td>notify</td>" in preview[preview.index(keys[at_notify]) :]
    assert "迁移选中的办件" not in preview  # a supervisor sees the preview only

    page = admin.post(
        "/admin/definitions/upper_reply/migrate",
        data={"from": "1", "to": "2", "instance_id": [str(waiting), str(at_notify)]},
        follow_redirects=True,
    ).get_data(as_text=True)
    messages = flashes(page)
    assert any(f"已迁移 1 件到 v2：{keys[waiting]}" in f for f in messages), messages
    assert any(f.startswith("danger: 未迁移") for f in messages), messages
    assert describe(services, waiting)["definition_version"] == 2
    assert describe(services, at_notify)["definition_version"] == 1
    assert ("migrate", "admin") in audit_actions(services, instance_id=waiting)
    # the moved item goes on in v2: the reply ends it
    send(services, "upper_reply", keys[waiting], {"approved": True})
    assert describe(services, waiting)["status"] == "completed"
    refused = signed_in("sup").post("/admin/definitions/upper_reply/migrate", data={"from": "1", "to": "2"})
    assert refused.status_code == 403
    assert admin.get("/admin/definitions/upper_reply/migrate?from=1&to=1").status_code == 400
    assert admin.get("/admin/definitions/upper_reply/migrate?from=1&to=5").status_code == 404

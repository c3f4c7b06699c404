"""The diagram designer's pages and JSON endpoints: roles, drafts, conflicts, validation, deployment, CSRF."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

import runner
from runner.models import AuditEntry, ProcessDefinition
from tests.admin.designer_support import CHAOGAO, deploy_chaogao, insert_user_task, property_of, set_property

BASE = "/admin/designer"


@pytest.fixture
def chaogao(services: runner.Services, windows: Any) -> None:
    deploy_chaogao(services)


@pytest.fixture
def designer(make_user: Any, signed_in: Any) -> Any:
    make_user("designer1", ("centre", "designer"))
    return signed_in("designer1")


def open_draft(client: Any, key: str = CHAOGAO) -> int:
    response = client.post(f"{BASE}/open", data={"key": key})
    assert response.status_code == 302, response.get_data(as_text=True)
    found = re.search(r"/admin/designer/drafts/(\d+)$", response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


def draft_xml(client: Any, draft_id: int) -> tuple[str, int]:
    data = client.get(f"{BASE}/drafts/{draft_id}/xml").get_json()
    assert data["ok"], data
    return data["draft"]["xml"], data["draft"]["revision"]


def save(client: Any, draft_id: int, xml: str, revision: int) -> Any:
    return client.post(f"{BASE}/drafts/{draft_id}/save", json={"xml": xml, "revision": revision})


def audit_actions(services: runner.Services) -> list[tuple[str, str, dict[str, Any]]]:
    with services.transaction() as s:
        return [(e.action, e.actor, e.detail) for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]


# --- permissions -------------------------------------------------------------------------------------


def test_stranger_goes_to_login(client: Any) -> None:
    response = client.get(f"{BASE}/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    "membership", [("shichang", "clerk"), ("supervision", "supervisor"), ("leader", "leader")]
)
def test_other_roles_are_refused_everywhere(
    chaogao: None, make_user: Any, signed_in: Any, membership: Any
) -> None:
    make_user("designer0", ("centre", "designer"))
    owner = signed_in("designer0")
    draft_id = open_draft(owner)
    xml, revision = draft_xml(owner, draft_id)
    make_user("someone", membership)
    other = signed_in("someone")
    assert other.get(f"{BASE}/").status_code == 403
    assert other.get(f"{BASE}/drafts/{draft_id}").status_code == 403
    assert other.get(f"{BASE}/drafts/{draft_id}/xml").status_code == 403
    assert other.post(f"{BASE}/open", data={"key": CHAOGAO}).status_code == 403
    assert other.post(f"{BASE}/new", data={"key": "p1", "name": "n"}).status_code == 403
    assert save(other, draft_id, xml, revision).status_code == 403
    assert other.post(f"{BASE}/drafts/{draft_id}/validate", json={}).status_code == 403
    assert other.post(f"{BASE}/drafts/{draft_id}/deploy", json={"revision": revision}).status_code == 403
    assert other.post(f"{BASE}/drafts/{draft_id}/discard", data={"revision": revision}).status_code == 403
    assert draft_xml(owner, draft_id)[1] == revision  # nothing changed


def test_admin_may_design(chaogao: None, make_user: Any, signed_in: Any) -> None:
    make_user("boss", ("centre", "admin"))
    client = signed_in("boss")
    assert client.get(f"{BASE}/").status_code == 200
    draft_id = open_draft(client)
    assert client.get(f"{BASE}/drafts/{draft_id}").status_code == 200


# --- list and modeler page ---------------------------------------------------------------------------


def test_list_shows_processes_and_opening_reuses_the_open_draft(chaogao: None, designer: Any) -> None:
    page = designer.get(f"{BASE}/").get_data(as_text=True)
    assert CHAOGAO in page and "在设计器中打开" in page
    first = open_draft(designer)
    assert open_draft(designer) == first
    page = designer.get(f"{BASE}/").get_data(as_text=True)
    assert "继续编辑草稿" in page and f'data-draft="{first}"' in page


def test_modeler_page_loads_bpmn_js_and_the_draft(chaogao: None, designer: Any) -> None:
    draft_id = open_draft(designer)
    page = designer.get(f"{BASE}/drafts/{draft_id}").get_data(as_text=True)
    assert "/vendor/bpmn-js/bpmn-modeler.production.min.js" in page
    assert "/vendor/bpmn-js/assets/bpmn-js.css" in page
    assert "designer/modeler.js" in page and "designer/properties.js" in page
    assert 'name="csrf-token"' in page
    assert "lianban_chaogao" in page and "joint_acceptance" in page  # the XML and the form keys
    assert designer.get(f"{BASE}/drafts/999999").status_code == 404


def test_new_blank_draft_and_its_checks(services: runner.Services, designer: Any) -> None:
    response = designer.post(f"{BASE}/new", data={"key": "xin_liucheng", "name": "新流程"})
    assert response.status_code == 302
    draft_id = int(response.headers["Location"].rsplit("/", 1)[1])
    xml, revision = draft_xml(designer, draft_id)
    assert 'id="xin_liucheng"' in xml and 'isExecutable="true"' in xml and "spiffworkflow" in xml
    assert revision == 1
    bad = designer.post(f"{BASE}/new", data={"key": "1 bad key", "name": "x"}, follow_redirects=True)
    assert "流程标识须以字母开头" in bad.get_data(as_text=True)
    again = designer.post(f"{BASE}/new", data={"key": "xin_liucheng", "name": "again"}, follow_redirects=True)
    assert "已有草稿正在编辑" in again.get_data(as_text=True)
    checked = designer.post(f"{BASE}/drafts/{draft_id}/validate", json={}).get_json()
    assert checked["ok"] and checked["valid"]  # a lone start event is an implicit end: it runs, and says so
    [warning] = checked["problems"]
    assert warning["element"] == "start_xin_liucheng" and "隐式结束" in warning["message"]
    assert warning["severity"] == "warning"


# --- saving, conflicts, refused XML -----------------------------------------------------------------


def test_save_moves_the_revision_and_keeps_the_xml(
    chaogao: None, services: runner.Services, designer: Any
) -> None:
    draft_id = open_draft(designer)
    xml, revision = draft_xml(designer, draft_id)
    edited = set_property(xml, "accept", "limitDays", "2")
    response = save(designer, draft_id, edited, revision)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["draft"]["revision"] == revision + 1
    stored, now = draft_xml(designer, draft_id)
    assert now == revision + 1 and property_of(stored, "accept", "limitDays") == "2"
    assert (
        "draft_saved",
        "designer1",
        {"draft": draft_id, "key": CHAOGAO, "revision": now},
    ) in audit_actions(services)


def test_two_designers_get_a_conflict_not_an_overwrite(
    chaogao: None, make_user: Any, signed_in: Any, designer: Any
) -> None:
    make_user("designer2", ("centre", "designer"))
    other = signed_in("designer2")
    draft_id = open_draft(designer)
    assert open_draft(other) == draft_id  # the same draft
    xml, revision = draft_xml(designer, draft_id)
    assert (
        save(designer, draft_id, set_property(xml, "accept", "limitDays", "2"), revision).status_code == 200
    )
    late = save(other, draft_id, set_property(xml, "accept", "limitDays", "9"), revision)
    assert late.status_code == 409
    body = late.get_json()
    assert (
        body["code"] == "conflict" and body["revision"] == revision + 1 and body["updated_by"] == "designer1"
    )
    assert "designer1" in body["message"] and "重新加载" in body["message"]
    stored, _ = draft_xml(designer, draft_id)
    assert property_of(stored, "accept", "limitDays") == "2"


@pytest.mark.parametrize(
    ("xml", "words"),
    [
        (
            "<bpmn:definitions xmlns:bpmn='http://www.omg.org/spec/BPMN/20100524/MODEL'><bpmn:process>",
            "XML 格式错误",
        ),
        (
            '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            "<bpmn:definitions xmlns:bpmn='http://www.omg.org/spec/BPMN/20100524/MODEL'>&x;</bpmn:definitions>",
            "DOCTYPE",
        ),
    ],
    ids=["malformed", "entity"],
)
def test_invalid_or_hostile_xml_is_refused(chaogao: None, designer: Any, xml: str, words: str) -> None:
    draft_id = open_draft(designer)
    before, revision = draft_xml(designer, draft_id)
    response = save(designer, draft_id, xml, revision)
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "diagram_invalid" and words in body["message"]
    assert draft_xml(designer, draft_id) == (before, revision)


def test_a_nul_character_is_refused_at_the_edge(chaogao: None, designer: Any) -> None:
    """A NUL anywhere in a request is refused before the designer sees it (``web.request_edge``)."""
    draft_id = open_draft(designer)
    before, revision = draft_xml(designer, draft_id)
    xml = "<bpmn:definitions xmlns:bpmn='http://www.omg.org/spec/BPMN/20100524/MODEL'>\0</bpmn:definitions>"
    response = save(designer, draft_id, xml, revision)
    assert response.status_code == 400
    assert "NUL" in response.get_data(as_text=True)
    assert draft_xml(designer, draft_id) == (before, revision)


def test_oversized_xml_is_refused(chaogao: None, services: runner.Services, designer: Any) -> None:
    draft_id = open_draft(designer)
    xml, revision = draft_xml(designer, draft_id)
    padding = "<!--" + "x" * services.settings.max_bpmn_bytes + "-->"
    response = save(
        designer, draft_id, xml.replace("<bpmn:process ", padding + "<bpmn:process ", 1), revision
    )
    assert response.status_code in (413, 422)
    assert draft_xml(designer, draft_id)[1] == revision


def test_bad_requests_are_answered_in_json(chaogao: None, designer: Any) -> None:
    draft_id = open_draft(designer)
    response = designer.post(f"{BASE}/drafts/{draft_id}/save", json={"xml": "<x/>"})
    assert response.status_code == 400 and response.get_json()["code"] == "invalid_input"
    response = designer.post(f"{BASE}/drafts/{draft_id}/save", data="not json", content_type="text/plain")
    assert response.status_code == 400 and response.get_json()["code"] == "invalid_input"
    response = designer.post(f"{BASE}/drafts/424242/save", json={"xml": "<x/>", "revision": 1})
    assert response.status_code == 404


# --- validation ----------------------------------------------------------------------------------------


def test_validation_names_the_task_without_a_window_or_form(chaogao: None, designer: Any) -> None:
    draft_id = open_draft(designer)
    xml, revision = draft_xml(designer, draft_id)
    fine = designer.post(f"{BASE}/drafts/{draft_id}/validate", json={}).get_json()
    assert fine["ok"] and fine["valid"] and fine["problems"] == []
    edited = insert_user_task(xml, "f_summarized", "extra_check", "lane_system")
    assert save(designer, draft_id, edited, revision).status_code == 200
    found = designer.post(f"{BASE}/drafts/{draft_id}/validate", json={}).get_json()
    # as the API's deploy answers: it runs, in the default window with the generic form, and says so
    assert found["ok"] and found["valid"] and found["revision"] == revision + 1
    warnings = [p for p in found["problems"] if p["severity"] == "warning"]
    assert {p["element"] for p in warnings} == {"extra_check"} and all(p["line"] for p in warnings)
    text = " ".join(p["message"] for p in warnings)
    assert "交给默认窗口 centre" in text and "通用办理表单" in text


@pytest.mark.parametrize(
    ("edit", "element", "words"),
    [
        (lambda x: set_property(x, "accept", "formKey", "no_such_form"), "accept", "不是已有的表单"),
        (lambda x: set_property(x, "accept", "limitDays", "3 +"), "accept", "limitDays"),
        (lambda x: set_property(x, "accept", "limitDays", "三天"), "accept", "不是工作日天数"),  # issue 21.13
        (lambda x: set_property(x, "review", "limitDays", "3天"), "review", "limitDays"),
        (lambda x: set_property(x, "review", "dueExpr", "deadline(("), "review", "dueExpr"),
        (lambda x: x.replace('id="lane_lead"', 'id="lane_nowhere"'), "lane_nowhere", "未知窗口"),
        (lambda x: x.replace('id="lianban_chaogao"', 'id="renamed"'), None, "lianban_chaogao"),
        (  # bpmn.io's message start event with no message chosen
            lambda x: x.replace(
                "<bpmn:outgoing>f_start</bpmn:outgoing>",
                '<bpmn:outgoing>f_start</bpmn:outgoing><bpmn:messageEventDefinition id="M_1"/>',
                1,
            ),
            "start",
            "没有 messageRef",
        ),
        (  # a condition that would be ignored
            lambda x: x.replace(
                '<bpmn:sequenceFlow id="f_start" sourceRef="start" targetRef="init"/>',
                '<bpmn:sequenceFlow id="f_start" sourceRef="start" targetRef="init">'
                "<bpmn:conditionExpression>approved</bpmn:conditionExpression></bpmn:sequenceFlow>",
            ),
            "f_start",
            "条件不会生效",
        ),
    ],
    ids=[
        "unknown-form",
        "bad-limit",
        "limit-in-words",
        "limit-with-unit",
        "bad-due",
        "unknown-lane",
        "renamed-process",
        "nameless-message-start",
        "ignored-condition",
    ],
)
def test_validation_applies_the_conventions(
    chaogao: None, designer: Any, edit: Any, element: Any, words: str
) -> None:
    draft_id = open_draft(designer)
    xml, revision = draft_xml(designer, draft_id)
    assert save(designer, draft_id, edit(xml), revision).status_code == 200
    found = designer.post(f"{BASE}/drafts/{draft_id}/validate", json={}).get_json()
    errors = [p for p in found["problems"] if p["severity"] == "error"]
    assert not found["valid"]
    assert any(p["element"] == element and words in p["message"] for p in errors), errors


def test_validation_runs_the_parser_too(chaogao: None, designer: Any) -> None:
    """A multi-instance without its collection passes the XML checks but not SpiffWorkflow's parser."""
    draft_id = open_draft(designer)
    xml, revision = draft_xml(designer, draft_id)
    edited = re.sub(r"<bpmn:loopDataInputRef>[^<]*</bpmn:loopDataInputRef>", "", xml)
    assert save(designer, draft_id, edited, revision).status_code == 200
    found = designer.post(f"{BASE}/drafts/{draft_id}/validate", json={}).get_json()
    assert not found["valid"]
    # SpiffWorkflow's English, in the page's language (issue 21.12): Chinese by default, English with ?lang=en
    chinese = [p["message"] for p in found["problems"]]
    assert any(m.startswith("多实例任务须指定实例数") for m in chinese), chinese
    english = designer.post(f"{BASE}/drafts/{draft_id}/validate?lang=en", json={}).get_json()
    assert any("cardinality or a loop input" in p["message"] for p in english["problems"]), english
    assert not any(re.search(r"[\u4e00-\u9fff]", p["message"]) for p in english["problems"])


# --- deployment ------------------------------------------------------------------------------------------


def test_deploy_creates_version_2_and_audits_it(
    chaogao: None, services: runner.Services, designer: Any
) -> None:
    draft_id = open_draft(designer)
    xml, revision = draft_xml(designer, draft_id)
    assert (
        save(designer, draft_id, set_property(xml, "accept", "limitDays", "2"), revision).status_code == 200
    )
    response = designer.post(f"{BASE}/drafts/{draft_id}/deploy", json={"revision": revision + 1})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["version"] == 2 and body["created"] and body["draft"]["status"] == "deployed"
    with services.transaction() as s:
        latest = runner.latest_definition(s, CHAOGAO)
        assert latest is not None and latest.version == 2 and latest.deployed_by == "designer1"
        assert property_of(latest.bpmn_xml, "accept", "limitDays") == "2"
    actions = audit_actions(services)
    assert ("deploy", "designer1", {"key": CHAOGAO, "version": 2, "file": "lianban_chaogao.bpmn"}) in actions
    deployed = [a for a in actions if a[0] == "draft_deployed"]
    assert deployed == [
        (
            "draft_deployed",
            "designer1",
            {"draft": draft_id, "key": CHAOGAO, "revision": revision + 1, "version": 2, "created": True},
        )
    ]
    # the draft is closed: saving again is a conflict, opening the process again makes a new draft of v2
    late = save(designer, draft_id, xml, revision + 1)
    assert late.status_code == 409 and "已部署为版本 2" in late.get_json()["message"]
    again = open_draft(designer)
    assert again != draft_id
    assert designer.get(f"{BASE}/drafts/{again}/xml").get_json()["draft"]["based_on_version"] == 2


def test_deployed_version_runs_with_the_new_limit(
    chaogao: None, services: runner.Services, designer: Any
) -> None:
    draft_id = open_draft(designer)
    xml, revision = draft_xml(designer, draft_id)
    save(designer, draft_id, set_property(xml, "accept", "limitDays", "4"), revision)
    assert (
        designer.post(f"{BASE}/drafts/{draft_id}/deploy", json={"revision": revision + 1}).status_code == 200
    )
    from tests.support.flow import start_item, task

    iid = start_item(services, CHAOGAO, {"lead_window": "centre", "applicant": "张三"})
    assert task(services, iid, "accept")["limit_days"] == 4


def test_invalid_draft_is_not_deployed(chaogao: None, services: runner.Services, designer: Any) -> None:
    draft_id = open_draft(designer)
    xml, revision = draft_xml(designer, draft_id)
    edited = insert_user_task(xml, "f_summarized", "extra_check", "lane_system", formKey="no_such_form")
    save(designer, draft_id, edited, revision)
    response = designer.post(f"{BASE}/drafts/{draft_id}/deploy", json={"revision": revision + 1})
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "diagram_invalid"
    assert {p["element"] for p in body["problems"] if p["severity"] == "error"} == {"extra_check"}
    with services.transaction() as s:
        assert s.scalars(select(ProcessDefinition.version).where(ProcessDefinition.key == CHAOGAO)).all() == [
            1
        ]
    assert designer.get(f"{BASE}/drafts/{draft_id}/xml").get_json()["draft"]["status"] == "open"


def test_deploy_of_an_older_revision_is_a_conflict(chaogao: None, designer: Any) -> None:
    draft_id = open_draft(designer)
    xml, revision = draft_xml(designer, draft_id)
    save(designer, draft_id, set_property(xml, "accept", "limitDays", "2"), revision)
    response = designer.post(f"{BASE}/drafts/{draft_id}/deploy", json={"revision": revision})
    assert response.status_code == 409 and response.get_json()["revision"] == revision + 1


def test_discard_closes_the_draft_and_keeps_it(
    chaogao: None, services: runner.Services, designer: Any
) -> None:
    draft_id = open_draft(designer)
    xml, revision = draft_xml(designer, draft_id)
    response = designer.post(f"{BASE}/drafts/{draft_id}/discard", data={"revision": revision})
    assert response.status_code == 302
    data = designer.get(f"{BASE}/drafts/{draft_id}/xml").get_json()["draft"]
    assert data["status"] == "discarded" and data["xml"] == xml
    assert "draft_discarded" in [a[0] for a in audit_actions(services)]
    assert open_draft(designer) != draft_id


# --- CSRF ------------------------------------------------------------------------------------------------


def test_json_endpoints_need_the_csrf_header(
    services: runner.Services, windows: Any, csrf_app: Any, make_user: Any
) -> None:
    deploy_chaogao(services)
    make_user("designer1", ("centre", "designer"))
    client = csrf_app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = "designer1"
        sess["_fresh"] = True
    page = client.get(f"{BASE}/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert client.post(f"{BASE}/open", data={"key": CHAOGAO}).status_code == 400
    response = client.post(f"{BASE}/open", data={"key": CHAOGAO, "csrf_token": token})
    draft_id = int(response.headers["Location"].rsplit("/", 1)[1])
    modeler = client.get(f"{BASE}/drafts/{draft_id}").get_data(as_text=True)
    header = re.search(r'name="csrf-token" content="([^"]+)"', modeler).group(1)  # type: ignore[union-attr]
    xml = client.get(f"{BASE}/drafts/{draft_id}/xml").get_json()["draft"]["xml"]
    assert client.post(f"{BASE}/drafts/{draft_id}/save", json={"xml": xml, "revision": 1}).status_code == 400
    assert client.post(f"{BASE}/drafts/{draft_id}/validate", json={}).status_code == 400
    assert client.post(f"{BASE}/drafts/{draft_id}/deploy", json={"revision": 1}).status_code == 400
    ok = client.post(
        f"{BASE}/drafts/{draft_id}/save", json={"xml": xml, "revision": 1}, headers={"X-CSRFToken": header}
    )
    assert ok.status_code == 200 and ok.get_json()["draft"]["revision"] == 2


def test_front_page_counts_open_drafts_for_designers(
    chaogao: None, designer: Any, make_user: Any, signed_in: Any
) -> None:
    open_draft(designer)
    page = designer.get("/admin/").get_data(as_text=True)
    assert "未部署的流程草稿" in page and "/admin/designer/" in page
    make_user("sup", ("supervision", "supervisor"))
    assert "未部署的流程草稿" not in signed_in("sup").get("/admin/").get_data(as_text=True)

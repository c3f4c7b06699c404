"""``POST /api/tasks/<id>/complete`` checks the data against the task's form as the workspace does: each kind
of wrong input is a 400 naming the field with nothing changed; valid JSON values give the engine the same task
data as the workspace page; the console's published schema is the one checked; an undefined form refuses."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, event, func, select

import runner
from admin.designer.common import check_schema
from forms.schema import SCHEMA_DIR, get_schema
from runner.models import AuditEntry
from tests.support.flow import deploy_library, describe, start_item, task, tasks
from tests.support.joint import FILES as CHAOGAO
from tests.support.platform import JOINT, STEP_DATA, STEP_FORMS, step_task_data
from tests.support.statements import statements
from tests.support.statements import writes as writes_statement
from tests.support.web_fixtures import app, make_user, signed_in, windows  # noqa: F401

from ..runner.helpers import DATA

CHENGNUO = ("block_correction.bpmn", "block_refusal.bpmn", "chengnuo.bpmn")
ACCEPTANCE = {"applicant": "张三", "eligible": True}


@pytest.fixture
def people(make_user: Any) -> None:  # noqa: F811
    make_user("zx", ("centre", "clerk"))
    make_user("sc", ("shichang", "clerk"))
    make_user("gt", ("guotu", "clerk"))
    make_user("sys", ("centre", "system"))


@pytest.fixture
def items(services: runner.Services, people: None) -> dict[str, Any]:
    """A 承诺件 at its acceptance, a 联办件 at its acceptance and one at the 国土 window's review."""
    deploy_library(services, *CHENGNUO, *CHAOGAO[-1:])
    chengnuo = start_item(services, "chengnuo", {"applicant": "张三"})
    joint = start_item(services, JOINT, {"lead_window": "shichang", "applicant": "李四"})
    reviewed = start_item(services, JOINT, {"lead_window": "shichang", "applicant": "王五"})
    with services.transaction() as s:
        runner.complete(s, task(services, reviewed, "accept")["id"], step_task_data("accept"), actor="sc")
    return {
        "acceptance": task(services, chengnuo, "accept"),
        "joint_acceptance": task(services, joint, "accept"),
        "window_review": task(services, reviewed, "review", window="guotu"),
    }


def post(app: Flask, task_id: str, data: Any, actor: str) -> Any:  # noqa: F811
    return app.test_client().post(
        f"/api/tasks/{task_id}/complete", json={"data": data}, headers={"X-Actor": actor}
    )


def snapshot(services: runner.Services, target: dict[str, Any]) -> tuple[Any, ...]:
    """What a refused completion must leave as it was: the open tasks, the audit trail, the item's data."""
    with services.transaction() as s:
        audit = s.scalar(select(func.count()).select_from(AuditEntry))
    open_now = sorted((t["id"], t["assignee"]) for t in tasks(services, target["instance_id"]))
    return audit, open_now, describe(services, target["instance_id"])["data"]


ACTORS = {"acceptance": "zx", "joint_acceptance": "sc", "window_review": "gt"}
JOINT_OK = {"related_windows": ["guotu"], "review_days": 3, "materials_list": ["申请书"]}


@pytest.mark.parametrize(
    ("form", "data", "name", "message"),
    [
        # required
        (
            "acceptance",
            {"applicant": None, "eligible": True},
            "applicant",
            "请填写此项 (This field is required)",
        ),
        ("joint_acceptance", {**JOINT_OK, "related_windows": []}, "related_windows", "(Choose at least one)"),
        # types
        (
            "acceptance",
            {**ACCEPTANCE, "eligible": "maybe"},
            "eligible",
            "请选择“是”或“否” (Choose yes or no)",
        ),
        ("acceptance", {**ACCEPTANCE, "applicant": ["张三"]}, "applicant", "应为文字 (must be a string)"),
        ("joint_acceptance", {**JOINT_OK, "review_days": "三"}, "review_days", "(Enter a whole number)"),
        (
            "joint_acceptance",
            {**JOINT_OK, "related_windows": "guotu"},
            "related_windows",
            "(must be an array",
        ),
        (
            "window_review",
            {"result": "agree", "request_extension": "maybe"},
            "request_extension",
            "true or false",
        ),
        # choices
        ("window_review", {"result": "maybe"}, "result", "选项无效，请重新选择 (Not a valid choice)"),
        ("joint_acceptance", {**JOINT_OK, "related_windows": ["mars"]}, "related_windows", "invalid choice"),
        # limits and patterns
        (
            "joint_acceptance",
            {**JOINT_OK, "review_days": 31},
            "review_days",
            "不能大于 30 (Must be at most 30)",
        ),
        (
            "acceptance",
            {**ACCEPTANCE, "applicant_phone": "call me"},
            "applicant_phone",
            "请填写有效的电话号码",
        ),
        # cross-field rules
        ("acceptance", {**ACCEPTANCE, "eligible": False}, "acceptance_note", "不符合受理条件时请写明原因"),
        ("window_review", {"result": "disagree"}, "reason", "选择“不同意”时必须说明理由 (A disagreement"),
        ("window_review", {}, "result", "请选择审查意见（或申请延期） (Choose an opinion"),
        # keys the form does not take
        (
            "acceptance",
            {**ACCEPTANCE, "complete": True},
            "complete",
            "表单中没有此字段 (not a field of this form)",
        ),
        (
            "joint_acceptance",
            {**JOINT_OK, "materials_complete": True},
            "materials_complete",
            "computed by the form",
        ),
        (
            "window_review",
            {"result": "agree", "review_files": ["a.pdf"]},
            "review_files",
            "takes no attachments",
        ),
    ],
)
def test_each_kind_of_invalid_input_is_a_400_naming_the_field_and_changes_nothing(
    app: Flask,  # noqa: F811
    services: runner.Services,
    items: dict[str, Any],
    form: str,
    data: dict[str, Any],
    name: str,
    message: str,
) -> None:
    target = items[form]
    assert target["form_key"] == form
    before = snapshot(services, target)
    response = post(app, target["id"], data, ACTORS[form])
    assert response.status_code == 400, response.get_json()
    body = response.get_json()
    assert body["code"] == "form_invalid" and body["form_key"] == form
    assert list(body["errors"]) == [name]
    assert message in body["errors"][name]
    assert name in body["message"] and "(the form data is invalid" in body["message"]
    assert snapshot(services, target) == before  # the task is still open, no audit entry, same data


def test_valid_json_values_give_the_workspace_task_data(
    app: Flask,  # noqa: F811
    services: runner.Services,
    people: None,
    signed_in: Any,  # noqa: F811
) -> None:
    deploy_library(services, *CHENGNUO, *CHAOGAO[-1:])

    def both(
        key: str, start: dict[str, Any], posted: dict[str, Any], sent: dict[str, Any], actor: str
    ) -> None:
        """Complete the first task of two items, through the page and through the API; same task data."""
        by_page, by_api = (task(services, start_item(services, key, start), "accept") for _ in range(2))
        page = signed_in(actor).post(
            f"/tasks/{by_page['id']}", data={**posted, "submit_token": uuid.uuid4().hex}
        )
        assert page.status_code == 302, page.get_data(as_text=True)[:500]
        response = post(app, by_api["id"], sent, actor)
        assert response.status_code == 200, response.get_json()
        names = get_schema(by_page["form_key"]).output_names()
        data = [describe(services, t["instance_id"])["data"] for t in (by_page, by_api)]
        assert {k: v for k, v in data[0].items() if k in names} == {
            k: v for k, v in data[1].items() if k in names
        }
        assert names <= set(data[1]) | {"review_files"}

    both(
        "chengnuo",
        {"applicant": "张三"},
        {
            "applicant": "张三",
            "applicant_phone": "138 0000 1234",
            "eligible": "true",
            "materials_received": ["申请表（申请书）", "申请人身份证明材料"],
        },
        {
            "applicant": "张三",
            "applicant_phone": "138 0000 1234",
            "eligible": True,
            "materials_received": ["申请表（申请书）", "申请人身份证明材料"],
        },
        "zx",
    )
    both(
        JOINT,
        {"lead_window": "shichang", "applicant": "李四"},
        {"related_windows": ["huanbao", "guotu"], "materials_list": "申请书\n营业执照", "review_days": "5"},
        {"related_windows": ["huanbao", "guotu"], "materials_list": ["申请书", "营业执照"], "review_days": 5},
        "sc",
    )


def test_a_completion_that_leaves_a_field_out_keeps_what_the_item_holds(
    app: Flask,  # noqa: F811
    services: runner.Services,
    people: None,
) -> None:
    """Issue 21.1: the phone given at start survives an acceptance that does not mention it; ``null`` still
    clears a field the document names."""
    deploy_library(services, *CHENGNUO)
    kept = start_item(services, "chengnuo", {"applicant": "张三", "applicant_phone": "138 0000 1234"})
    cleared = start_item(services, "chengnuo", {"applicant": "张三", "applicant_phone": "138 0000 1234"})
    response = post(app, task(services, kept, "accept")["id"], {"eligible": True}, "zx")
    assert response.status_code == 200, response.get_json()
    data = describe(services, kept)["data"]
    assert data["applicant_phone"] == "138 0000 1234" and data["applicant"] == "张三"
    response = post(
        app, task(services, cleared, "accept")["id"], {**ACCEPTANCE, "applicant_phone": None}, "zx"
    )
    assert response.status_code == 200, response.get_json()
    assert not describe(services, cleared)["data"].get("applicant_phone")


def test_a_published_console_schema_is_what_the_api_checks(
    app: Flask,  # noqa: F811
    services: runner.Services,
    items: dict[str, Any],
) -> None:
    target = items["acceptance"]
    schema = json.loads((SCHEMA_DIR / "acceptance.json").read_text(encoding="utf-8"))
    schema["fields"].append({"name": "licence_no", "type": "text", "label": "许可证号", "required": True})
    with services.transaction() as s:
        runner.save_form_draft(s, "acceptance", json.dumps(schema), expected_revision=0, actor="designer")
        runner.publish_form_draft(s, "acceptance", expected_revision=1, actor="designer", check=check_schema)
    refused = post(app, target["id"], ACCEPTANCE, "zx")  # enough for the file, not for the published form
    assert refused.status_code == 400 and list(refused.get_json()["errors"]) == ["licence_no"]
    done = post(app, target["id"], {**ACCEPTANCE, "licence_no": "JY-2026-01"}, "zx")
    assert done.status_code == 200, done.get_json()
    assert describe(services, target["instance_id"])["data"]["licence_no"] == "JY-2026-01"


def test_a_task_whose_form_is_undefined_is_refused_as_in_the_workspace(
    app: Flask,  # noqa: F811
    services: runner.Services,
    people: None,
    make_user: Any,  # noqa: F811
    signed_in: Any,  # noqa: F811
) -> None:
    make_user("sb", ("shebao", "clerk"))
    xml = (DATA / "review.bpmn").read_bytes().replace(b'value="acceptance"', b'value="site_photo"')
    refused = pytest.raises(runner.DiagramInvalid, match="'site_photo' names no form schema")
    with refused, services.transaction() as s:
        runner.deploy(s, xml, "review.bpmn", actor="designer")
    body = json.dumps({"title": "现场照片", "fields": [{"name": "note", "type": "text", "label": "说明"}]})
    with services.transaction() as s:  # published in the console: the diagram deploys ...
        runner.save_form_draft(s, "site_photo", body, expected_revision=0, actor="designer")
        runner.publish_form_draft(s, "site_photo", expected_revision=1, actor="designer", check=check_schema)
        runner.deploy(s, xml, "review.bpmn", actor="designer")
    target = task(services, start_item(services, "review"), "accept")
    with services.transaction() as s:  # ... and the form is withdrawn while a task waits for it
        runner.withdraw_form_schema(s, "site_photo", actor="designer")
    before = snapshot(services, target)
    response = post(app, target["id"], {"complete": True}, "sb")
    assert response.status_code == 409
    body = response.get_json()
    assert body["code"] == "form_undefined" and "'site_photo'" in body["message"]
    assert "contact the administrator" in body["message"]
    assert snapshot(services, target) == before
    assert signed_in("sb").get(f"/tasks/{target['id']}").status_code == 409  # the page says the same


def test_the_harness_step_data_passes_the_forms(
    app: Flask,  # noqa: F811
    services: runner.Services,
    people: None,
) -> None:
    """tests/support/platform.py drives the 联办件 over HTTP with STEP_DATA (chaos tests, the benchmark)."""
    deploy_library(services, *CHAOGAO)
    client = app.test_client()
    view = client.post(
        "/api/instances",
        json={"key": JOINT, "data": {"lead_window": "shichang", "applicant": "张三"}},
        headers={"X-Actor": "sys"},
    ).get_json()
    steps = []
    while view["tasks"]:
        current = view["tasks"][0]
        step = current["spec_name"].split(" [")[0]
        assert current["form_key"] == STEP_FORMS[step]
        response = post(app, current["id"], STEP_DATA[step], "sys")
        assert response.status_code == 200, (step, response.get_json())
        view, steps = response.get_json(), [*steps, step]
    assert view["status"] == "completed"
    assert steps == ["accept", "review", "review", "review", "consolidate", "notify_applicant"]
    data = describe(services, view["id"])["data"]
    assert data["materials_complete"] is True and data["approved"] is True
    assert {k: data[k] for k in step_task_data("notify_applicant")} == step_task_data("notify_applicant")


def test_the_openapi_document_describes_the_refusal(app: Flask) -> None:  # noqa: F811
    doc = app.test_client().get("/api/openapi.json").get_json()
    complete = doc["paths"]["/api/tasks/{task_id}/complete"]["post"]
    assert complete["responses"]["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/FormError"
    }
    assert "form_undefined" in complete["responses"]["409"]["description"]
    assert "500" not in complete["responses"]
    assert "errors" in doc["components"]["schemas"]["FormError"]["allOf"][1]["properties"]


def test_the_published_form_comes_with_the_task_and_a_new_publication_is_used(
    app: Flask,  # noqa: F811
    services: runner.Services,
    db_engine: Engine,
    items: dict[str, Any],
) -> None:
    """One round trip fewer per completion: the task read brings the form published for the task (none here: the
    file applies), the check reads no form of its own; a form published between two completions is the one the
    second completion checks."""
    first = items["acceptance"]
    second = task(services, start_item(services, "chengnuo", {"applicant": "赵六"}), "accept")
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:  # noqa: ARG001 - the listener's shape
        statements.append(statement.lstrip())

    def own_form_reads() -> list[str]:
        return [text for text in statements if text.startswith("SELECT form_schema_drafts.")]

    event.listen(db_engine, "before_cursor_execute", seen)
    try:
        assert post(app, first["id"], ACCEPTANCE, "zx").status_code == 200
        assert own_form_reads() == [] and any("form_schema_drafts" in text for text in statements)
        schema = json.loads((SCHEMA_DIR / "acceptance.json").read_text(encoding="utf-8"))
        schema["fields"].append({"name": "licence_no", "type": "text", "label": "许可证号", "required": True})
        with services.transaction() as s:
            runner.save_form_draft(s, "acceptance", json.dumps(schema), expected_revision=0, actor="designer")
            runner.publish_form_draft(
                s, "acceptance", expected_revision=1, actor="designer", check=check_schema
            )
        statements.clear()
        refused = post(app, second["id"], ACCEPTANCE, "zx")
        assert refused.status_code == 400 and list(refused.get_json()["errors"]) == ["licence_no"]
        assert own_form_reads() == []
        done = post(app, second["id"], {**ACCEPTANCE, "licence_no": "JY-2026-02"}, "zx")
        assert done.status_code == 200, done.get_json()
    finally:
        event.remove(db_engine, "before_cursor_execute", seen)
    assert describe(services, second["instance_id"])["data"]["licence_no"] == "JY-2026-02"


def test_a_clerk_completion_reads_only_what_its_permission_and_step_use(
    app: Flask,  # noqa: F811
    db_engine: Engine,
    items: dict[str, Any],
) -> None:
    """A clerk's completion: the caller and the task (for the permission: its window and assignee; for the
    step: its item and the item's other open tasks) — not the facts of the item (its audit trail, 抄送, 问责,
    notices) that the permission of a task does not ask."""
    with statements(db_engine) as sent:
        assert post(app, items["acceptance"]["id"], ACCEPTANCE, "zx").status_code == 200
    writes = [i for i, text in enumerate(sent) if writes_statement(text)]
    read = {
        table
        for text in sent[: writes[0]]
        if text.startswith("SELECT")
        for table in re.findall(r"(?:FROM|JOIN) (\w+)", text)
    }
    allowed = {"users", "memberships", "absences", "open_tasks", "process_instances", "form_schema_drafts"}
    allowed |= {"process_definitions"}  # the spec the item is restored onto, when this process has not got it
    allowed |= {"windows"}  # in the staffing read along: a closed window has nobody present
    assert read <= allowed, read - allowed

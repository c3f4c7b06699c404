"""The form-schema editor: roles, live preview through the workspace's form code, drafts, publishing, CSRF."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlalchemy import select

import runner
from forms.schema import SCHEMA_DIR
from runner.models import AuditEntry
from tests.admin.designer_support import CHAOGAO, deploy_chaogao, insert_user_task
from tests.support.flow import start_item, task

BASE = "/admin/designer/forms"
KEY = "joint_acceptance"


def file_schema(key: str = KEY) -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / f"{key}.json").read_text(encoding="utf-8"))


def retitled(title: str, key: str = KEY) -> str:
    schema = file_schema(key)
    schema["title"] = title
    return json.dumps(schema, ensure_ascii=False)


@pytest.fixture
def designer(make_user: Any, signed_in: Any) -> Any:
    make_user("designer1", ("centre", "designer"))
    return signed_in("designer1")


def audit_actions(services: runner.Services) -> list[tuple[str, dict[str, Any]]]:
    with services.transaction() as s:
        return [(e.action, e.detail) for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]


@pytest.mark.parametrize(
    "membership", [("centre", "clerk"), ("supervision", "supervisor"), ("centre", "window_head")]
)
def test_other_roles_are_refused(make_user: Any, signed_in: Any, membership: Any) -> None:
    make_user("someone", membership)
    other = signed_in("someone")
    assert other.get(f"{BASE}/").status_code == 403
    assert other.get(f"{BASE}/{KEY}").status_code == 403
    assert other.post(f"{BASE}/new", data={"form_key": "x"}).status_code == 403
    assert other.post(f"{BASE}/{KEY}/preview", json={"body": "{}"}).status_code == 403
    assert other.post(f"{BASE}/{KEY}/save", json={"body": "{}", "revision": 0}).status_code == 403
    assert other.post(f"{BASE}/{KEY}/publish", json={"revision": 1}).status_code == 403
    assert other.post(f"{BASE}/{KEY}/withdraw", json={}).status_code == 403


def test_list_and_editor_show_the_file(designer: Any) -> None:
    page = designer.get(f"{BASE}/").get_data(as_text=True)
    assert f'data-form="{KEY}"' in page and f"forms/schemas/{KEY}.json" in page
    editor = designer.get(f"{BASE}/{KEY}").get_data(as_text=True)
    assert (
        "联办件一门受理" in editor and "designer/form_editor.js" in editor and 'name="csrf-token"' in editor
    )
    assert designer.get(f"{BASE}/Not-A-Key").status_code == 404


def test_new_form_key_opens_an_empty_editor(designer: Any) -> None:
    response = designer.post(f"{BASE}/new", data={"form_key": "site_photo"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{BASE}/site_photo")
    assert "新表单" in designer.get(f"{BASE}/site_photo").get_data(as_text=True)
    bad = designer.post(f"{BASE}/new", data={"form_key": "Bad Key"}, follow_redirects=True)
    assert "表单标识须以小写字母开头" in bad.get_data(as_text=True)


def test_preview_renders_with_the_workspace_fields(designer: Any, windows: Any) -> None:
    body = retitled("预览标题")
    data = {"lead_window": "centre", "major": True}
    answer = designer.post(f"{BASE}/{KEY}/preview", json={"body": body, "data": data}).get_json()
    assert answer["ok"] and answer["fields"] == len(file_schema()["fields"])
    html = answer["html"]
    assert "预览标题" in html
    assert 'id="field-related_windows"' in html  # drawn by forms/templates/_fields.html
    assert 'value="guotu"' in html  # choices_from windows, from the database
    assert "办理依据" in html and "综合窗口" in html or "centre" in html  # the show rows with the sample data
    assert "/static/forms/app.css" in html


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("{not json", "不是合法的 JSON"),
        ('{"title": "t", "fields": [{"name": "x", "type": "colour", "label": "颜色"}]}', "字段 x: 未知类型"),
        ('{"title": "t", "oops": 1}', "不认识的属性: oops"),
    ],
)
def test_preview_reports_schema_errors(designer: Any, body: str, words: str) -> None:
    answer = designer.post(f"{BASE}/{KEY}/preview", json={"body": body}).get_json()
    assert answer["ok"] is False and answer["code"] == "schema_invalid" and words in answer["message"]


def test_save_keeps_drafts_and_detects_conflicts(make_user: Any, signed_in: Any, designer: Any) -> None:
    first = designer.post(f"{BASE}/{KEY}/save", json={"body": "{unfinished", "revision": 0}).get_json()
    assert first["ok"] and first["draft"]["revision"] == 1 and "不是合法的 JSON" in first["problem"]
    make_user("designer2", ("centre", "designer"))
    other = signed_in("designer2")
    clash = other.post(f"{BASE}/{KEY}/save", json={"body": "{}", "revision": 0})
    assert clash.status_code == 409 and clash.get_json()["revision"] == 1
    second = designer.post(f"{BASE}/{KEY}/save", json={"body": retitled("二稿"), "revision": 1}).get_json()
    assert second["draft"]["revision"] == 2 and second["problem"] is None
    stale = other.post(f"{BASE}/{KEY}/save", json={"body": "{}", "revision": 1})
    assert stale.status_code == 409 and "designer1" in stale.get_json()["message"]
    assert "二稿" in designer.get(f"{BASE}/{KEY}").get_data(as_text=True)


def test_publish_refuses_an_invalid_schema(services: runner.Services, designer: Any) -> None:
    designer.post(f"{BASE}/{KEY}/save", json={"body": '{"title": ""}', "revision": 0})
    response = designer.post(f"{BASE}/{KEY}/publish", json={"revision": 1})
    assert response.status_code == 400 and "未发布" in response.get_json()["message"]
    with services.transaction() as s:
        assert runner.published_form_schema(s, KEY) is None
    assert designer.post(f"{BASE}/{KEY}/publish", json={"revision": 7}).status_code == 409


def test_published_schema_replaces_the_file_in_the_workspace(
    services: runner.Services, make_user: Any, signed_in: Any, designer: Any
) -> None:
    deploy_chaogao(services)
    iid = start_item(services, CHAOGAO, {"lead_window": "centre", "applicant": "张三"})
    accept = task(services, iid, "accept")
    make_user("clerk1", ("centre", "clerk"))
    clerk = signed_in("clerk1")
    assert "联办件一门受理" in clerk.get(f"/tasks/{accept['id']}").get_data(as_text=True)

    designer.post(f"{BASE}/{KEY}/save", json={"body": retitled("联办件一门受理（新版）"), "revision": 0})
    published = designer.post(f"{BASE}/{KEY}/publish", json={"revision": 1}).get_json()
    assert published["ok"] and published["draft"]["published_revision"] == 1
    assert "联办件一门受理（新版）" in clerk.get(f"/tasks/{accept['id']}").get_data(as_text=True)
    # editing the draft again does not change what the workspace uses until it is published
    designer.post(f"{BASE}/{KEY}/save", json={"body": retitled("第三稿"), "revision": 1})
    page = clerk.get(f"/tasks/{accept['id']}").get_data(as_text=True)
    assert "联办件一门受理（新版）" in page and "第三稿" not in page

    assert designer.post(f"{BASE}/{KEY}/withdraw", json={}).get_json()["ok"]
    page = clerk.get(f"/tasks/{accept['id']}").get_data(as_text=True)
    assert "联办件一门受理（新版）" not in page and "联办件一门受理" in page
    assert designer.post(f"{BASE}/{KEY}/withdraw", json={}).status_code == 404
    actions = audit_actions(services)
    assert ("form_schema_published", {"form_key": KEY, "revision": 1}) in actions
    assert ("form_schema_withdrawn", {"form_key": KEY, "revision": 1}) in actions
    assert [a for a, _ in actions].count("form_schema_saved") == 2


def test_a_published_new_form_is_known_to_the_diagram_check(services: runner.Services, designer: Any) -> None:
    deploy_chaogao(services)
    body = json.dumps(
        {"title": "现场照片", "fields": [{"name": "photo_note", "type": "text", "label": "说明"}]}
    )
    designer.post(f"{BASE}/site_photo/save", json={"body": body, "revision": 0})
    draft_id = int(
        designer.post("/admin/designer/open", data={"key": CHAOGAO}).headers["Location"].rsplit("/", 1)[1]
    )
    xml = designer.get(f"/admin/designer/drafts/{draft_id}/xml").get_json()["draft"]["xml"]
    edited = insert_user_task(xml, "f_summarized", "photo", "lane_lead", formKey="site_photo")
    designer.post(f"/admin/designer/drafts/{draft_id}/save", json={"xml": edited, "revision": 1})
    before = designer.post(f"/admin/designer/drafts/{draft_id}/validate", json={}).get_json()
    assert any("不是已有的表单" in p["message"] for p in before["problems"])
    assert designer.post(f"{BASE}/site_photo/publish", json={"revision": 1}).get_json()["ok"]
    after = designer.post(f"/admin/designer/drafts/{draft_id}/validate", json={}).get_json()
    assert after["valid"], after["problems"]


def test_form_endpoints_need_the_csrf_header(csrf_app: Any, make_user: Any) -> None:
    make_user("designer1", ("centre", "designer"))
    client = csrf_app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = "designer1"
        sess["_fresh"] = True
    page = client.get(f"{BASE}/{KEY}").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    for name, payload in (
        ("preview", {"body": "{}"}),
        ("save", {"body": "{}", "revision": 0}),
        ("withdraw", {}),
    ):
        assert client.post(f"{BASE}/{KEY}/{name}", json=payload).status_code == 400
    assert client.post(f"{BASE}/new", data={"form_key": "abc"}).status_code == 400
    ok = client.post(f"{BASE}/{KEY}/save", json={"body": "{}", "revision": 0}, headers={"X-CSRFToken": token})
    assert ok.status_code == 200


def test_preview_for_a_process_shows_its_only_for_fields(designer: Any, windows: Any) -> None:
    body = json.dumps(file_schema())
    plain = designer.post(f"{BASE}/{KEY}/preview", json={"body": body}).get_json()["html"]
    chaogao = designer.post(f"{BASE}/{KEY}/preview", json={"body": body, "process": CHAOGAO}).get_json()[
        "html"
    ]
    assert 'id="field-review_days"' not in plain and 'id="field-review_days"' in chaogao
    bad = designer.post(f"{BASE}/{KEY}/preview", json={"body": body, "data": [1]})
    assert bad.status_code == 400 and bad.get_json()["code"] == "invalid_input"

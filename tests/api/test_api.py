"""The JSON API: every route, its errors as JSON, and the OpenAPI document."""

from __future__ import annotations

import pytest

from web.i18n import select_locale

from ..runner.helpers import DATA
from .clients import api_client

USERS = {
    "t-designer": ("designer", "设计员", [("shebao", "designer")]),
    "t-clerk": ("clerk_a", "社保甲", [("shebao", "clerk")]),
    "t-head": ("sb_head", "社保负责人", [("shebao", "window_head")]),
    "t-admin": ("admin", "管理员", [("shebao", "admin")]),
}


@pytest.fixture
def client(services):  # API callers are directory users (api/access.py)
    return api_client(services, USERS)


def auth(token: str = "t-clerk") -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def deploy(client, name: str = "review.bpmn"):
    return client.post(
        "/api/definitions",
        data=(DATA / name).read_bytes(),
        query_string={"filename": name},
        headers={**auth("t-designer"), "Content-Type": "application/xml"},
    )


def test_requires_token(client):
    response = client.get("/api/definitions")
    assert response.status_code == 401
    assert response.get_json()["code"] == "unauthorized"
    assert client.get("/api/definitions", headers=auth("wrong")).status_code == 401


def test_deploy_start_claim_complete(client):
    response = deploy(client)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["definitions"][0]["version"] == 1
    assert deploy(client).status_code == 200  # identical: no new version

    # the test diagram's gateway reads ``complete``: item data given at the start (no form sets it)
    response = client.post(
        "/api/instances",
        json={"key": "review", "data": {"applicant": "李四", "complete": False}},
        headers=auth(),
    )
    assert response.status_code == 201, response.get_json()
    instance = response.get_json()
    [task] = instance["tasks"]
    assert task["window"] == "shebao"

    listed = client.get(
        "/api/tasks", query_string={"window": "shebao", "unclaimed": "1"}, headers=auth()
    ).get_json()
    assert listed["total"] == 1 and listed["tasks"][0]["id"] == task["id"]

    assert client.post(f"/api/tasks/{task['id']}/claim", headers=auth()).status_code == 200
    other = client.post(f"/api/tasks/{task['id']}/claim", headers=auth("t-designer"))
    assert other.status_code == 409 and other.get_json()["code"] == "task_already_claimed"

    done = client.post(
        f"/api/tasks/{task['id']}/complete",
        json={"data": {"applicant": "李四", "eligible": True}},
        headers=auth(),
    )
    assert done.status_code == 200 and done.get_json()["status"] == "completed"
    again = client.post(f"/api/tasks/{task['id']}/complete", json={"data": {}}, headers=auth())
    assert again.status_code == 409 and "already completed" in again.get_json()["message"]

    detail = client.get(f"/api/instances/{instance['id']}", headers=auth()).get_json()
    assert [a["action"] for a in detail["audit"]] == ["start", "claim", "complete"]
    by_key = client.get(f"/api/instances/by-key/{instance['business_key']}", headers=auth()).get_json()
    assert by_key["id"] == instance["id"]


def test_errors_are_json(client):
    deploy(client)
    cases = [
        client.post(
            "/api/instances", data="{not json", headers={**auth(), "Content-Type": "application/json"}
        ),
        client.post("/api/instances", json=["a"], headers=auth()),
        client.post("/api/instances", json={}, headers=auth()),
        client.post("/api/instances", json={"key": 5}, headers=auth()),
        client.post("/api/instances", json={"key": "review", "data": "x"}, headers=auth()),
        client.get("/api/tasks", query_string={"window": "shebao", "limit": "many"}, headers=auth()),
    ]
    for response in cases:
        assert response.status_code == 400, response.get_json()
        assert set(response.get_json()) >= {"code", "message"}
    missing = [
        client.post("/api/instances", json={"key": "nope"}, headers=auth()),
        client.get("/api/instances/999", headers=auth()),
        client.post("/api/tasks/unknown/complete", json={}, headers=auth()),
        client.get("/api/no-such-route", headers=auth()),
        client.post(
            "/api/messages", json={"name": "x", "correlation": "2026-999999"}, headers=auth("t-admin")
        ),
    ]
    for response in missing:
        assert response.status_code == 404, response.get_json()
        assert "code" in response.get_json()


def test_invalid_bpmn_upload_names_the_problem(client):
    response = client.post(
        "/api/definitions",
        data=b"<bpmn:definitions",
        query_string={"filename": "bad.bpmn"},
        headers={**auth("t-designer"), "Content-Type": "application/xml"},
    )
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == "diagram_invalid"
    assert body["problems"][0]["file"] == "bad.bpmn"


def test_admin_operations(client):
    deploy(client)
    iid = client.post("/api/instances", json={"key": "review"}, headers=auth()).get_json()["id"]
    # a clerk may not steer the item: 403, nothing changed
    refused = client.post(f"/api/instances/{iid}/suspend", json={"reason": "听证"}, headers=auth())
    assert refused.status_code == 403 and refused.get_json()["code"] == "permission_denied"
    assert (
        client.post(f"/api/instances/{iid}/terminate", json={"reason": "x"}, headers=auth()).status_code
        == 403
    )
    assert client.get(f"/api/instances/{iid}", headers=auth()).get_json()["status"] == "running"
    # the head of the lead window suspends and resumes; the administrator terminates
    suspended = client.post(f"/api/instances/{iid}/suspend", json={"reason": "听证"}, headers=auth("t-head"))
    assert suspended.get_json()["status"] == "suspended"
    assert (
        client.post(f"/api/instances/{iid}/resume", headers=auth("t-head")).get_json()["status"] == "running"
    )
    assert client.post(f"/api/instances/{iid}/retry", headers=auth("t-admin")).status_code == 409
    assert client.post(f"/api/instances/{iid}/terminate", json={}, headers=auth("t-admin")).status_code == 400
    ended = client.post(
        f"/api/instances/{iid}/terminate", json={"reason": "撤回"}, headers=auth("t-admin")
    ).get_json()
    assert ended["status"] == "terminated"


def test_openapi_lists_every_route(client):
    doc = client.get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    app = client.application
    routes = {
        (rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}"), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert routes == documented


def test_errors_at_the_edge_speak_both_languages(client):
    """A missing number, a wrong method and a NUL answer with the API's bilingual messages, not Werkzeug's
    English defaults nor only the Chinese half."""
    missing = client.get("/api/instances/99999999999", headers=auth())
    assert missing.status_code == 404
    assert (
        missing.get_json()["message"].startswith("未找到") and "(not found" in missing.get_json()["message"]
    )
    wrong = client.delete("/api/definitions", headers=auth())
    assert wrong.status_code == 405 and "(method not allowed" in wrong.get_json()["message"]
    nul = client.get("/api/instances?status=a%00b", headers=auth())
    assert nul.status_code == 400
    assert nul.get_json()["message"] == "请求中含有不允许的空字符 NUL (the request contains a NUL character)"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32"])
def test_a_nul_in_a_json_body_is_refused_in_any_encoding_json_allows(client, encoding):
    """JSON writes a NUL as ``\\u0000``; the body's bytes are looked at before the document is, in every encoding
    the reader takes. The same six characters as text (an escaped backslash) are no NUL."""
    deploy(client)
    headers = {**auth(), "Content-Type": "application/json"}
    nul = '{"key": "review", "data": {"applicant": "李\\u0000四", "complete": false}}'
    response = client.post("/api/instances", data=nul.encode(encoding), headers=headers)
    assert response.status_code == 400 and response.get_json()["message"].startswith(
        "请求中含有不允许的空字符"
    )
    text = '{"key": "review", "data": {"applicant": "李\\\\u0000四", "complete": false}}'
    started = client.post("/api/instances", data=text.encode(encoding), headers=headers)
    assert started.status_code == 201, started.get_json()


@pytest.mark.parametrize("word", ["NaN", "Infinity", "-Infinity"])
def test_a_body_with_a_number_json_has_not_is_refused(client, word):
    """Python reads ``NaN`` and ``±Infinity`` as numbers; JSON has none: the body is not JSON, and no item starts."""
    deploy(client)
    body = '{"key": "review", "data": {"applicant": "李四", "complete": false, "fee": ' + word + "}}"
    response = client.post(
        "/api/instances", data=body, headers={**auth(), "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.get_json()["message"] == "请求体不是合法的 JSON (request body is not valid JSON)"
    listed = client.get("/api/tasks", query_string={"window": "shebao"}, headers=auth()).get_json()
    assert listed["total"] == 0


def test_the_api_has_no_cookie_session(client):
    """The API names its caller by the bearer token alone: it neither reads nor signs the session cookie, while
    the pages of the same app keep theirs."""
    app = client.application
    client.get("/login")  # a page: its session (the form's CSRF token) is signed into the cookie
    cookie = client.get_cookie("session")
    assert cookie is not None
    interface = app.session_interface
    headers = {"Cookie": f"session={cookie.value}"}
    with app.test_request_context("/login", headers=headers) as page:
        assert not interface.is_null_session(interface.open_session(app, page.request))
    with app.test_request_context("/api/definitions", headers=headers) as api_call:
        assert interface.is_null_session(interface.open_session(app, api_call.request))
    listed = client.get("/api/definitions", headers=auth())
    assert listed.status_code == 200 and "Set-Cookie" not in listed.headers
    assert client.get("/api/definitions").status_code == 401  # the cookie is no credential here
    with app.test_request_context("/api/definitions?lang=en"):  # the language is asked, not remembered
        assert select_locale() == "en"

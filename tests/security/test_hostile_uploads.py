"""Hostile BPMN uploads through the HTTP API: each refused with a clear JSON message, nothing stored, the
server unharmed (it goes on deploying and running a normal diagram). The runner-level details of each
refusal are in tests/runner/test_validation.py and tests/runner/test_scripts.py."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from flask.testing import FlaskClient

import runner

DATA = Path(__file__).resolve().parents[1] / "data"
SCRIPT_ITEM = (DATA / "invalid" / "script_import.bpmn").read_text(encoding="utf-8")
ORIGINAL_SCRIPT = 'import os\nresult = os.listdir("/")'


def with_script(script: str) -> bytes:
    """The one-script-task diagram with ``script`` as its script (XML-escaped)."""
    escaped = script.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return SCRIPT_ITEM.replace(ORIGINAL_SCRIPT, escaped).encode()


@pytest.fixture
def api(app, make_user) -> FlaskClient:
    make_user("designer", ("centre", "designer"))
    make_user("clerk", ("centre", "clerk"))
    return app.test_client()


def upload(api: FlaskClient, content: bytes, name: str) -> tuple[int, dict]:
    response = api.post(
        f"/api/definitions?filename={name}", data=content, headers={"X-Actor": "designer"},
        content_type="application/xml",
    )  # fmt: skip
    return response.status_code, response.get_json()


def definitions(services: runner.Services) -> list:
    with services.transaction() as s:
        return runner.list_definitions(s)


HOSTILE = [
    ("xxe.bpmn", (DATA / "invalid" / "xxe.bpmn").read_bytes(), "DOCTYPE declarations are not allowed"),
    ("billion_laughs.bpmn", (DATA / "invalid" / "billion_laughs.bpmn").read_bytes(), "DOCTYPE"),
    ("invalid_utf8.bpmn", (DATA / "invalid" / "invalid_utf8.bpmn").read_bytes(), "not valid UTF-8"),
    ("import.bpmn", with_script("import os\nresult = os.listdir('/')"), "import is not allowed"),
    ("dunder.bpmn", with_script("x = ().__class__.__base__.__subclasses__()"), "invalid attribute name"),
    ("getattr.bpmn", with_script("x = getattr(1, '__class__')"), "getattr() is not allowed"),
    ("open.bpmn", with_script("x = open('/etc/passwd').read()"), "open() is not allowed"),
]


@pytest.mark.parametrize(("name", "content", "needle"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_upload_is_refused_clearly(api, services, name, content, needle) -> None:
    status, body = upload(api, content, name)
    assert status == 400, body
    assert body["code"] == "diagram_invalid"
    assert needle in body["message"] or any(needle in p["message"] for p in body.get("problems", []))
    assert "root:x:0:0" not in str(body)  # nothing of the local file leaks
    assert definitions(services) == []


def test_fifty_megabyte_upload_is_refused_before_it_is_read(api, services) -> None:
    content = b"<?xml version='1.0'?><x>" + b"a" * (50 * 1024 * 1024) + b"</x>"
    began = time.monotonic()
    status, body = upload(api, content, "huge.bpmn")
    assert status == 413
    assert body["code"] == "too_large" and body["message"]
    assert time.monotonic() - began < 5
    assert definitions(services) == []


def test_endless_script_is_stopped_and_becomes_an_incident(api, services) -> None:
    status, body = upload(api, with_script("n = 0\nwhile True:\n    n += 1"), "loop.bpmn")
    assert status == 201, body  # a loop is legal syntax: the time limit stops it when it runs
    began = time.monotonic()
    response = api.post("/api/instances", json={"key": "item"}, headers={"X-Actor": "clerk"})
    assert time.monotonic() - began < services.settings.script_time_limit + 5
    assert response.status_code == 201
    view = api.get(f"/api/instances/{response.get_json()['id']}", headers={"X-Actor": "clerk"}).get_json()
    assert view["status"] == "error"
    assert "script exceeded" in str(view["incidents"])


def test_server_still_deploys_and_runs_after_the_hostile_uploads(api, services) -> None:
    for name, content, _ in HOSTILE:
        upload(api, content, name)
    status, body = upload(api, (DATA / "valid" / "simple.bpmn").read_bytes(), "simple.bpmn")
    assert status == 201, body
    assert [d["key"] for d in definitions(services)] == [body["definitions"][0]["key"]]
    assert api.get("/healthz").status_code == 200

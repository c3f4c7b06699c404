"""Odd values at every route: an id beyond a PostgreSQL integer and a NUL character are a 400 or 404 with the
usual clear message, never a 500 — in the path, the query, a form and a JSON body, by every kind of caller.

Meant for the PostgreSQL pass (which refuses both values in its own way); it runs on SQLite as well.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask

from .authz_world import ANONYMOUS, World, build
from .test_authorization_matrix import BODIES, fill

HUGE = 99999999999  # > 2**31 - 1
NUL = "a%00b"  # in a URL
QUERY_INTS = {"id": HUGE, "page": HUGE, "version": HUGE, "page_size": HUGE, "instance_id": HUGE}


def _client(app: Flask, world: World, persona: str) -> Any:
    client = app.test_client()
    if persona != ANONYMOUS:
        with client.session_transaction() as sess:
            sess["_user_id"] = world.username(persona)
            sess["_fresh"] = True
    return client


def _send(client: Any, method: str, url: str, endpoint: str, body: dict[str, Any], actor: str) -> Any:
    headers = {"X-Actor": actor} if actor else {}
    if endpoint.startswith("api.") and method == "POST":
        response = client.open(url, method=method, headers=headers, json=body)
    else:
        response = client.open(url, method=method, headers=headers, data=body if method == "POST" else None)
    response.close()  # a static file's answer holds the file open
    return response


def _routes(app: Flask) -> list[tuple[Any, str]]:
    return sorted(
        (
            (rule, method)
            for rule in app.url_map.iter_rules()
            for method in rule.methods - {"HEAD", "OPTIONS"}
        ),
        key=lambda pair: (pair[0].rule, pair[1]),
    )


@pytest.fixture
def world(services: Any) -> World:
    return build(services)


@pytest.mark.parametrize("persona", ["admin", "reviewer", ANONYMOUS])
def test_ids_beyond_an_integer_column_are_not_found(app: Flask, world: World, persona: str) -> None:
    """Every route naming an id, with that id out of range (path) — and every GET with such ids in its query."""
    client = _client(app, world, persona)
    actor = world.username(persona) if persona != ANONYMOUS else ""
    wrong = []
    for rule, method in _routes(app):
        int_args = [a for a in rule.arguments if a in ("instance_id", "version", "attachment_id", "note_id",
                                                       "proxy_id", "absence_id", "request_id", "warning_id",
                                                       "draft_id", "appeal_id")]  # fmt: skip
        if int_args:
            huge = World(ids={**world.ids, **dict.fromkeys(int_args, HUGE)})
            huge_url = fill(rule, huge)
            response = _send(client, method, huge_url, rule.endpoint, BODIES.get(rule.endpoint, {}), actor)
            if response.status_code >= 500 or (response.status_code not in (302, 400, 401, 403, 404, 405)):
                wrong.append(f"{method} {huge_url}: {response.status_code}")
        if method == "GET" and not rule.arguments:
            response = client.get(
                rule.rule, query_string=QUERY_INTS, headers={"X-Actor": actor} if actor else {}
            )
            response.close()
            if response.status_code >= 500:
                wrong.append(f"GET {rule.rule}?{QUERY_INTS}: {response.status_code}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("persona", ["admin", "reviewer", ANONYMOUS])
def test_nul_characters_are_a_bad_request(app: Flask, world: World, persona: str) -> None:
    """Every route with a NUL in a path variable, or else in the query and the body."""
    client = _client(app, world, persona)
    actor = world.username(persona) if persona != ANONYMOUS else ""
    wrong = []
    for rule, method in _routes(app):
        body = {
            key: f"{value}\x00" if isinstance(value, str) else value
            for key, value in BODIES.get(rule.endpoint, {}).items()
        }
        text_args = [a for a in rule.arguments if a not in ("filename", "package")]
        strings = {k: NUL for k, v in world.ids.items() if isinstance(v, str)}
        url = fill(rule, World(ids={**world.ids, **strings, **dict.fromkeys(text_args, NUL)}))
        if not rule.arguments or all(isinstance(world.ids.get(a), int) for a in text_args):
            url += "?q=a%00b"
        response = _send(client, method, url, rule.endpoint, {**body, "note": "x\x00y"}, actor)
        if response.status_code >= 500 or (rule.endpoint not in ("static", "web.static", "admin.static",
                                                                 "console_static.static", "vendor.asset")
                                           and response.status_code not in (400, 404)):  # fmt: skip
            wrong.append(f"{method} {url}: {response.status_code}")
        elif response.status_code == 400 and rule.endpoint.startswith("api."):
            payload = response.get_json()
            if not (isinstance(payload, dict) and {"code", "message"} <= set(payload)):
                wrong.append(f"{method} {url}: 400 without code and message")
    assert not wrong, "\n".join(wrong)


def test_the_issues_examples(app: Flask, world: World) -> None:
    anonymous = app.test_client()
    for url, data in [
        ("/login", {"username": "admin\x00", "password": "x"}),
        ("/progress", {"receipt": "2026-000001\x00", "phone_suffix": "1234"}),
        (
            "/complaints/new",
            {"complainant": "张\x00三", "contact": "13800000000", "content": "x", "channel": "on_site"},
        ),
    ]:
        response = anonymous.post(url, data=data)
        assert response.status_code == 400, (url, response.status_code)
        assert "NUL" in response.get_data(as_text=True)
    admin = _client(app, world, "admin")
    assert admin.get("/admin/instances/?search=%00").status_code == 400
    assert admin.get(f"/admin/instance/{HUGE}/").status_code == 404
    assert admin.get(f"/admin/definitions/{world.ids['key']}/{HUGE}/").status_code == 404
    assert admin.get(f"/admin/instances/details/?id={HUGE}").status_code in (302, 404)


@pytest.mark.parametrize("persona", ["admin", "reviewer", ANONYMOUS])
def test_lone_surrogates_in_a_json_body_are_a_bad_request(app: Flask, world: World, persona: str) -> None:
    """Every JSON API route with a lone surrogate (``"\\ud800"``, valid JSON that no UTF-8 can write) in its body:
    a 400 naming it with a code and a message, never a 500 (PostgreSQL and SQLite refuse to store it)."""
    client = _client(app, world, persona)
    headers = {"X-Actor": world.username(persona)} if persona != ANONYMOUS else {}
    wrong = []
    for rule, method in _routes(app):
        if not rule.endpoint.startswith("api.") or method not in ("POST", "PUT", "PATCH"):
            continue
        base = BODIES.get(rule.endpoint, {})
        body = {**base, **{k: "a\ud800b" for k, v in base.items() if isinstance(v, str)}, "note": "x\udfffy"}
        url = fill(rule, world)
        text = json.dumps(body)  # ASCII: the surrogate as \ud800, as a client would send it
        response = client.open(
            url, method=method, headers=headers, data=text, content_type="application/json"
        )
        payload = response.get_json(silent=True)
        if response.status_code != 400 or not (
            isinstance(payload, dict) and {"code", "message"} <= set(payload)
        ):
            wrong.append(f"{method} {url}: {response.status_code}")
        elif persona == "admin" and "surrogate" not in payload["message"]:
            wrong.append(f"{method} {url}: {payload['message']}")
    assert not wrong, "\n".join(wrong)


def test_paired_surrogates_in_a_json_body_are_ordinary_text(app: Flask, world: World) -> None:
    """An emoji written as a surrogate pair (``\\ud83d\\ude00``) is one character: not refused."""
    client = _client(app, world, "admin")
    text = json.dumps({"to": world.username("admin"), "subject": "😀", "body": "好 😀"})
    response = client.post(
        "/api/messages",
        data=text,
        content_type="application/json",
        headers={"X-Actor": world.username("admin")},
    )
    assert response.status_code != 400 or "surrogate" not in response.get_data(as_text=True)

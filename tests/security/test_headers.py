"""Browser security headers on every answer, and templates that keep working under the policy."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = [p for d in ("forms", "admin", "webapp") for p in (ROOT / d).rglob("*.html")]


def check(response) -> None:
    policy = response.headers.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    assert directives.get("default-src") == ["'self'"], policy
    assert "'self'" in directives.get("script-src", []) and "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in policy
    assert directives.get("frame-ancestors") == ["'none'"] and directives.get("object-src") == ["'none'"]
    assert response.headers.get("X-Frame-Options") == "DENY"
    assert response.headers.get("X-Content-Type-Options") == "nosniff"


@pytest.mark.parametrize(
    ("user", "url"),
    [
        (None, "/"),
        (None, "/login"),
        (None, "/progress"),
        (None, "/no-such-page"),
        (None, "/static/forms/app.css"),
        (None, "/api/openapi.json"),
        (None, "/api/definitions"),  # 401 JSON
        ("admin", "/inbox"),
        ("admin", "/admin/"),
        ("admin", "/admin/supervision/"),
        ("admin", "/admin/instances/"),
        ("admin", "/admin/designer/"),
        ("clerk", "/admin/"),  # 403
    ],
)
def test_every_answer_carries_the_headers(
    app: Flask, make_user, signed_in, user: str | None, url: str
) -> None:
    make_user("admin", ("centre", "admin"))
    make_user("clerk", ("centre", "clerk"))
    client = signed_in(user) if user else app.test_client()
    response = client.get(url)
    response.close()
    check(response)


def test_flask_admins_scripts_carry_the_requests_nonce(app: Flask, make_user, signed_in) -> None:
    make_user("admin", ("centre", "admin"))
    response = signed_in("admin").get("/admin/instances/")
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    tags = re.findall(r"<script([^>]*)>", response.get_data(as_text=True))
    assert sum(f'nonce="{nonce}"' in attrs for attrs in tags) >= 5, tags
    other = signed_in("admin").get("/admin/instances/").headers["Content-Security-Policy"]
    assert f"'nonce-{nonce}'" not in other  # a new nonce per answer


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_use_no_inline_handlers_or_bare_scripts(path: Path) -> None:
    """The policy runs no ``on…=`` attribute, no ``javascript:`` link and no inline script without a nonce."""
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", text, re.I), "inline event handler"
    assert "javascript:" not in text
    for attrs in re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", text):
        assert "application/json" in attrs or "csp_nonce()" in attrs, (
            f"inline script without a nonce: {attrs}"
        )

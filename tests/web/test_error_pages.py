"""The error pages speak the page's language only (issue 21.12): a description given with ``abort`` (a runner
message "中文 (English)") shows one half, and every status has a title and words of its own in both languages."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask, abort

from tests.support.web_fixtures import session_of

HAN = re.compile(r"[\u4e00-\u9fff]")
CODES = (400, 403, 404, 405, 409, 413, 429, 500, 503)


def _main(html: str) -> str:
    """The text of the page's error card (the chrome around it has its own words)."""
    card = re.search(r'<section class="card narrow">(.*?)</section>', html, re.S)
    assert card, html[:500]
    return re.sub(r"<[^>]+>", " ", card.group(1))


@pytest.fixture
def erring(app: Flask) -> Flask:
    """``/_error/<code>`` aborts with a runner message; ``/_plain/<code>`` with none; ``/_boom`` fails."""

    def described(code: int) -> None:
        abort(code, description=f"没有办件 X-{code} (no such item X-{code})")

    def plain(code: int) -> None:
        abort(code)

    def boom() -> None:
        raise RuntimeError("a bug")

    app.add_url_rule("/_error/<int:code>", "described", described)
    app.add_url_rule("/_plain/<int:code>", "plain", plain)
    app.add_url_rule("/_boom", "boom", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


@pytest.mark.parametrize("code", [c for c in CODES if c != 413])  # 413: the upload limit's own page
def test_a_description_shows_in_the_page_language_only(erring: Flask, code: int) -> None:
    client = erring.test_client()
    chinese = client.get(f"/_error/{code}")
    assert chinese.status_code == code
    text = _main(chinese.get_data(as_text=True))
    assert f"没有办件 X-{code}" in text and "no such item" not in text
    english = _main(client.get(f"/_error/{code}?lang=en").get_data(as_text=True))
    assert f"No such item X-{code}" in english and not HAN.search(english), english


@pytest.mark.parametrize("code", CODES)
def test_every_status_has_its_words_in_each_language(erring: Flask, code: int) -> None:
    client = erring.test_client()
    chinese = _main(client.get(f"/_plain/{code}").get_data(as_text=True))
    assert HAN.search(chinese) and not re.search(r"[A-Za-z]{3,}", chinese), chinese
    english = _main(client.get(f"/_plain/{code}?lang=en").get_data(as_text=True))
    assert not HAN.search(english) and re.search(r"[A-Za-z]{3,}", english), english


def test_an_unknown_address_a_wrong_method_and_a_failure_get_the_pages(erring: Flask) -> None:
    client = erring.test_client()
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and "页面不存在" in missing.get_data(as_text=True)
    wrong = client.post("/healthz")
    assert wrong.status_code == 405 and "不支持此操作" in wrong.get_data(as_text=True)
    failed = client.get("/_boom?lang=en")
    assert failed.status_code == 500
    assert "Server error" in failed.get_data(as_text=True) and "a bug" not in failed.get_data(as_text=True)


def test_the_api_keeps_its_json(erring: Flask) -> None:
    answer = erring.test_client().get("/api/no/such/thing")
    assert answer.status_code == 404 and answer.is_json


def test_a_failure_of_the_database_still_gets_the_page(
    erring: Flask, make_user: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The chrome's unread-message count reads the database; when the database is what failed (locked, gone),
    the error page is still drawn, without the count."""
    from sqlalchemy.exc import OperationalError

    from workspace import notifications

    def gone() -> int:
        raise OperationalError("SELECT count(*)", {}, Exception("database is locked"))

    make_user("clerk_e", ("shebao", "clerk"))
    client = erring.test_client()
    with client.session_transaction() as session:
        session.update(session_of(erring, "clerk_e"))
    assert "clerk_e" in client.get("/notifications").get_data(as_text=True)
    monkeypatch.setattr(notifications, "unread_count", gone)
    failed = client.get("/_boom")
    assert failed.status_code == 500 and "系统出错" in failed.get_data(as_text=True)
    missing = client.get("/no/such/page?lang=en")
    assert missing.status_code == 404 and "Not found" in missing.get_data(as_text=True)

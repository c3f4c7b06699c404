"""Fixtures of the workspace request tests: the Flask app on the test database, users, signed-in clients.

- ``app``: ``webapp.create_app`` on the ``services`` fixture (manual clock, NullScheduler), CSRF off
  (``csrf_app`` has it on);
- ``windows``: the library's windows (bpmn/windows.json) upserted;
- ``make_user(username, (window, role), ..., password=DEMO_PASSWORD)`` creates a user;
- ``signed_in(username)``: a new test client already logged in as ``username`` (no password round trip);
  ``session_of(app, username)`` is what its session holds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

import runner
from runner.people import directory
from tests.support.flow import library_windows

DEMO_PASSWORD = "banjian2026"


def _app(services: runner.Services, **config: Any) -> Flask:
    from webapp import create_app

    return create_app(
        {
            "SERVICES": services,
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "WTF_CSRF_ENABLED": False,
            **config,
        }
    )


@pytest.fixture
def app(services: runner.Services) -> Flask:
    return _app(services)


@pytest.fixture
def csrf_app(services: runner.Services) -> Flask:
    return _app(services, WTF_CSRF_ENABLED=True)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def windows(services: runner.Services) -> list[tuple[str, str]]:
    found = library_windows()
    with services.transaction() as s:
        runner.upsert_windows(s, found)
    return found


@pytest.fixture
def make_user(services: runner.Services, windows: list[tuple[str, str]]) -> Callable[..., directory.Person]:
    def make(
        username: str, *memberships: tuple[str, str], password: str = DEMO_PASSWORD, name: str = ""
    ) -> Any:
        with services.transaction() as s:
            return directory.create_user(s, username, name or username, password, list(memberships))

    return make


def session_of(app: Flask, username: str) -> dict[str, Any]:
    """What a session logged in as ``username`` holds now (its user and session generation)."""
    with app.extensions["banjian"].reading() as s:
        person = directory.get_person(s, username)
    return {"_user_id": username, "_fresh": True, "_gen": person.session_generation if person else 0}


@pytest.fixture
def signed_in(app: Flask) -> Callable[[str], FlaskClient]:
    def sign_in(username: str) -> FlaskClient:
        c = app.test_client()
        with c.session_transaction() as sess:
            sess.update(session_of(app, username))
        return c

    return sign_in

"""The API as its tests call it: the test windows, directory users each with a bearer token, Flask's test client."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import runner
from runner.people import directory
from webapp import create_app

from ..runner.helpers import WINDOWS

PASSWORD = "banjian2026"
User = tuple[str, str, list[tuple[str, str]]]  # username, display name, (window, role) memberships


def api_client(
    services: runner.Services,
    users: dict[str, User],
    *,
    windows: Iterable[tuple[str, str]] | None = WINDOWS,
    **config: Any,
) -> Any:
    """The API over ``services`` with ``windows`` (None: those already there) and ``users`` by their token
    (``token → user``); ``config`` adds to the app's."""
    if windows is not None:
        with services.transaction() as s:
            runner.upsert_windows(s, list(windows))
    with services.transaction() as s:
        for username, name, memberships in users.values():
            directory.create_user(s, username, name, PASSWORD, memberships)
    tokens = ",".join(f"{token}={username}" for token, (username, *_) in users.items())
    app = create_app({"TESTING": True, "SERVICES": services, "API_TOKENS": tokens, **config})
    return app.test_client()

"""``/favicon.ico`` answers with the platform's icon on every door (issue 21.15: it was a 404)."""

from __future__ import annotations

from typing import Any


def test_the_favicon_is_served_and_cached(app: Any) -> None:
    icon = app.test_client().get("/favicon.ico")
    assert icon.status_code == 200 and icon.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert icon.mimetype == "image/vnd.microsoft.icon"
    assert icon.cache_control.public and icon.cache_control.max_age == 86400

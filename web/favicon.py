"""``/favicon.ico``: the platform's icon (web/static/favicon.ico), so that no browser's request ends in a 404."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from flask import Response

from web.blueprint import bp

ICON = Path(__file__).resolve().parent / "static" / "favicon.ico"


@cache
def _icon() -> bytes:
    return ICON.read_bytes()


@bp.get("/favicon.ico")
def favicon() -> Response:
    """The icon, cached by the browser for a day."""
    response = Response(_icon(), mimetype="image/vnd.microsoft.icon")
    response.cache_control.public, response.cache_control.max_age = True, 86400
    return response

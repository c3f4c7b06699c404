"""The JSON API (``/api``) for other government systems and the online hall, described by
``/api/openapi.json``: bearer tokens, one runner call per request, errors as JSON.

It calls ``runner`` and uses the form engine (``forms``) and the shared web layer (``web``); it never imports
``workspace`` or ``admin``.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the API's routes (CSRF exempt and without a cookie session: the API authenticates with bearer
    tokens, not cookies)."""
    from api import errors, operations, ratings, routes  # noqa: F401 - their routes register on the blueprint
    from api.blueprint import bp
    from web.sessionless import without_sessions

    without_sessions(app, f"{bp.url_prefix}/")

    csrf = app.extensions.get("banjian_csrf")
    if csrf is not None:
        csrf.exempt(bp)
    app.register_blueprint(bp)

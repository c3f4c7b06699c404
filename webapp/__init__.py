"""The Flask application factory: one ``Services`` per app, the JSON API, the workspace and the console."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify, render_template, request

import runner


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the web app. ``test_config`` may carry ``SERVICES`` (a ready ``runner.Services``)."""
    app = Flask(__name__)
    app.config.from_mapping(
        SECRET_KEY="dev-only-change-me", JSON_AS_ASCII=False, MAX_CONTENT_LENGTH=8 * 1024 * 1024
    )
    app.config.from_prefixed_env("BANJIAN")
    if test_config:
        app.config.update(test_config)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    services = app.config.get("SERVICES") or runner.Services(runner.Settings.from_env())
    app.extensions["banjian"] = services

    from api import bp as api_bp

    app.register_blueprint(api_bp)

    @app.errorhandler(404)
    @app.errorhandler(405)
    def not_found(exc: Any) -> Any:
        if request.path.startswith("/api/"):
            return jsonify(code=exc.name.lower().replace(" ", "_"), message=exc.description), exc.code
        return exc

    @app.get("/")
    def index() -> Any:
        with services.transaction() as s:
            definitions = runner.list_definitions(s)
        return render_template("index.html", definitions=definitions)

    @app.get("/healthz")
    def healthz() -> Any:
        return jsonify(status="ok")

    if not app.config.get("API_TOKENS"):
        logging.getLogger(__name__).warning(
            "BANJIAN_API_TOKENS is not set: the JSON API trusts the X-Actor header (development only)"
        )
    return app


def services_for(app: Flask) -> runner.Services:
    return app.extensions["banjian"]  # type: ignore[no-any-return]

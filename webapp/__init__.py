"""The Flask application factory and nothing else: one ``Services`` per app, then the shared web layer
(``web``) and the three doors — the JSON API (``api``), the clerk workspace (``workspace``) and the console
(``admin``)."""

from __future__ import annotations

import logging
import os
from typing import Any

from flask import Flask, jsonify, redirect, render_template, request, url_for
from werkzeug.middleware.proxy_fix import ProxyFix

import api
import runner
import web
import workspace
from admin import init_admin
from api.errors import http_error as api_http_error
from web import request_edge, security_headers
from web.auth import current_user
from web.chrome import http_error_page
from webapp.json_provider import StrictJSONProvider


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the web app. ``test_config`` may carry ``SERVICES`` (a ready ``runner.Services``)."""
    app = Flask(__name__)
    request_edge.init_app(app)  # first: the bounded <int:…> converter must be in place before any route
    app.config.from_mapping(
        SECRET_KEY="dev-only-change-me",
        JSON_AS_ASCII=False,
        MAX_CONTENT_LENGTH=8 * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session (a clerk's long form)
        BABEL_DEFAULT_LOCALE="zh_CN",
        BABEL_DEFAULT_TIMEZONE="Asia/Shanghai",
    )
    app.config.from_prefixed_env("BANJIAN")
    if test_config:
        app.config.update(test_config)
    # Secure cookies unless debugging (BANJIAN_SESSION_COOKIE_SECURE=false overrides, e.g. plain HTTP on a LAN)
    if (
        "SESSION_COOKIE_SECURE" not in (test_config or {})
        and "BANJIAN_SESSION_COOKIE_SECURE" not in os.environ
    ):
        app.config["SESSION_COOKIE_SECURE"] = not (app.debug or app.testing)
    app.config.setdefault("REMEMBER_COOKIE_SECURE", app.config["SESSION_COOKIE_SECURE"])
    security_headers.init_app(app)
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:  # the client's address and scheme as the reverse proxies in front saw them
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    app.json = StrictJSONProvider(app)
    services = app.config.get("SERVICES") or runner.Services(runner.Settings.from_env())
    app.extensions["banjian"] = services
    services.evaluators.warm()  # diagram scripts' evaluator processes, started before the first request

    web.init_app(app)  # first: login, language and chrome serve every door
    api.init_app(app)
    workspace.init_app(app)
    init_admin(app)

    @app.errorhandler(404)
    @app.errorhandler(405)
    def not_found(exc: Any) -> Any:
        if request.path.startswith("/api/"):  # no API route matched: the API's own answer
            return api_http_error(exc)
        return http_error_page(exc)

    @app.get("/")
    def index() -> Any:
        if current_user.is_authenticated:
            return redirect(url_for("workspace.inbox"))
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

"""The Flask application factory: one ``Services`` per app, the JSON API, the workspace and the console."""

from __future__ import annotations

import logging
import os
from typing import Any

from flask import Flask, jsonify, redirect, render_template, request, url_for
from werkzeug.middleware.proxy_fix import ProxyFix

import runner
from web import request_edge, security_headers


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
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    services = app.config.get("SERVICES") or runner.Services(runner.Settings.from_env())
    app.extensions["banjian"] = services
    services.evaluators.warm()  # diagram scripts' evaluator processes, started before the first request

    from api import bp as api_bp

    app.register_blueprint(api_bp)
    _init_workspace(app)
    from admin import init_admin

    init_admin(app)

    @app.errorhandler(404)
    @app.errorhandler(405)
    def not_found(exc: Any) -> Any:
        if request.path.startswith("/api/"):
            return jsonify(code=exc.name.lower().replace(" ", "_"), message=exc.description), exc.code
        return exc

    @app.get("/")
    def index() -> Any:
        from web.auth import current_user

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


def _init_workspace(app: Flask) -> None:
    """The clerk workspace (``forms``): Flask-Login, CSRF on every form, Flask-Babel, the blueprint."""
    from flask_babel import Babel
    from flask_babel import gettext as _
    from flask_wtf.csrf import CSRFError, CSRFProtect
    from sqlalchemy.exc import DataError

    import web
    import workspace
    from api import bp as api_bp
    from web.auth import current_user, login_manager
    from web.i18n import TRANSLATIONS, compile_catalogs, select_locale

    compile_catalogs()
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    Babel(app, locale_selector=select_locale, timezone_selector=lambda: app.config["BABEL_DEFAULT_TIMEZONE"])
    login_manager.init_app(app)
    csrf = CSRFProtect(app)
    csrf.exempt(api_bp)  # the JSON API authenticates with bearer tokens, not cookies
    app.extensions["banjian_csrf"] = csrf
    app.register_blueprint(web.bp)
    app.register_blueprint(workspace.bp)

    @app.context_processor
    def workspace_context() -> dict[str, Any]:
        from flask_babel import get_locale

        locale = get_locale()
        lang = "en" if locale is not None and locale.language == "en" else "zh-CN"
        items = []
        for item in workspace.NAV:
            if item.anonymous_only and current_user.is_authenticated:
                continue
            if not item.public and not item.anonymous_only:
                if not current_user.is_authenticated:
                    continue
                if item.roles and not current_user.has_role(*item.roles):
                    continue
            try:
                url = url_for(item.endpoint)
            except Exception:  # noqa: BLE001 - a link whose page is not there (yet) is left out
                continue
            items.append({"label": str(item.label), "url": url, "active": request.endpoint == item.endpoint})

        def lang_switch_url(code: str) -> str:
            args = {**(request.view_args or {}), **request.args.to_dict(), "lang": code}
            if request.method != "GET" or not request.endpoint:
                return url_for("index", lang=code)
            return url_for(request.endpoint, **args)

        return {"nav_items": items, "page_lang": lang, "lang_switch_url": lang_switch_url}

    def _page(code: int, title: str, message: str) -> Any:
        if request.path.startswith("/api/"):
            return jsonify(code="forbidden" if code == 403 else "bad_request", message=message), code
        return render_template("error.html", code=code, title=title, message=message), code

    @app.errorhandler(403)
    def forbidden(exc: Any) -> Any:
        return _page(403, _("无权访问"), _("您无权查看或办理此项内容。"))

    @app.errorhandler(400)
    def bad_request(exc: Any) -> Any:
        from web.auth import user_message

        return _page(400, _("请求无效"), user_message(str(exc.description or "")))

    @app.errorhandler(DataError)
    def out_of_range(exc: DataError) -> Any:
        """A value the database refuses (too large, NUL, too long): the request's fault, nothing was stored."""
        from web.auth import user_message

        return _page(400, _("请求无效"), user_message(request_edge.OUT_OF_RANGE_MESSAGE))

    @app.errorhandler(CSRFError)
    def csrf_failed(exc: CSRFError) -> Any:
        return _page(400, _("请求已失效"), _("表单已过期或缺少安全令牌，请返回刷新页面后重试。"))


def services_for(app: Flask) -> runner.Services:
    return app.extensions["banjian"]  # type: ignore[no-any-return]

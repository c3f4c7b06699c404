"""The centre's console (中心控制台) on Flask-Admin, at ``/admin``.

Parts, each a package with ``register(admin)``:
- ``admin.monitoring`` — definitions, instances, incidents, timers, calendar, users and windows (admins);
- ``admin.supervision`` — the supervision dashboard, 考核 points and appeals, warnings (督查);
- ``admin.designer`` — the designer's diagram modeler, drafts and the form-schema editor;
- ``admin.catalogue`` — 事项目录, the service items (versions, editing, JSON Lines import and export).
Shared pieces (role gates, session, front-page tiles) live in ``admin.base``. The console calls ``runner`` and uses
the shared web layer (``web``) and the form engine (``forms``); it never imports ``workspace`` or ``api``.
"""

from __future__ import annotations

from flask import Blueprint, Flask, request
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import scoped_session

from forms.language import pick

PARTS = ("admin.monitoring", "admin.supervision", "admin.designer", "admin.catalogue")


def _csp_nonce() -> str:
    """The request's Content-Security-Policy nonce (``web.security_headers``): Flask-Admin's inline scripts
    carry it, so they run under the policy."""
    return str(getattr(request, "csp_nonce", ""))


def init_admin(app: Flask) -> Admin:
    """Mount the console on ``app`` (after the workspace: it uses its login and CSRF)."""
    import importlib

    from admin import vendor
    from admin.home import HomeView
    from admin.language import event_label, runner_text, span_label
    from admin.words import script_words
    from web.i18n import TRANSLATIONS

    services = app.extensions["banjian"]
    session = scoped_session(services.session_factory)
    app.extensions["banjian_console_session"] = session

    @app.teardown_appcontext
    def remove_console_session(exc: BaseException | None) -> None:
        session.remove()

    app.register_blueprint(
        Blueprint(
            "console_static",
            __name__,
            template_folder="templates",
            static_folder="static",
            static_url_path="/static/console",
        )
    )
    app.register_blueprint(vendor.bp)
    admin = Admin(
        app,
        name=_l("办件平台 · 中心控制台"),
        url="/admin",
        index_view=HomeView(name=_l("首页"), url="/admin", endpoint="admin"),
        theme=Bootstrap4Theme(base_template="console/master.html", swatch="default", fluid=True),
        csp_nonce_generator=_csp_nonce,
        translations_path=str(TRANSLATIONS),  # the Flask-Admin messages its own Chinese catalogue lacks
    )
    app.jinja_env.globals.setdefault("pick", pick)
    app.jinja_env.globals.update(
        span_label=span_label, event_label=event_label, console_words=script_words, runner_text=runner_text
    )
    for name in PARTS:
        importlib.import_module(name).register(admin)
    return admin

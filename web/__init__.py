"""The shared web layer: login and sessions (behind a provider seam), language, the page chrome, template
filters, rate limits and the request edge — what the workspace, the console and the API have in common.

``init_app(app)`` installs it; the doors then register their own blueprints. It imports ``runner`` and the
form engine (``forms``), never a door (``workspace``, ``admin``, ``api``).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Flask-Babel, Flask-Login with the login provider, CSRF on every form, the chrome, the ``web`` blueprint."""
    from flask_babel import Babel
    from flask_wtf.csrf import CSRFProtect

    from web import chrome, filters, login_pages, providers  # noqa: F401 - their routes and filters register
    from web.auth import login_manager
    from web.blueprint import bp
    from web.i18n import TRANSLATIONS, compile_catalogs, select_locale

    compile_catalogs()
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    Babel(app, locale_selector=select_locale, timezone_selector=lambda: app.config["BABEL_DEFAULT_TIMEZONE"])
    login_manager.init_app(app)
    providers.init_app(app)
    app.extensions["banjian_csrf"] = CSRFProtect(app)
    chrome.init_app(app)
    app.register_blueprint(bp)

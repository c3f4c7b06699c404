"""The page chrome every web page shares: the top bar's links, the language switch and the error pages.

A package adds a top-bar link with ``register_nav``; ``init_app`` puts ``nav_items``, ``page_lang`` and
``lang_switch_url`` into every template and answers 400/403 (and the database's refusals) with ``error.html``
(JSON under ``/api/``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask, jsonify, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError

from web.auth import current_user
from web.i18n import user_message
from web.request_edge import OUT_OF_RANGE_MESSAGE


@dataclass(frozen=True)
class NavItem:
    """A top-bar link: shown to logged-in users having one of ``roles`` (any user when empty);
    ``public`` links are shown to everybody, ``anonymous_only`` ones only before login."""

    label: str
    endpoint: str
    roles: tuple[str, ...] = ()
    public: bool = False
    anonymous_only: bool = False
    order: int = 100


NAV: list[NavItem] = []


def register_nav(
    label: str,
    endpoint: str,
    *,
    roles: Iterable[str] = (),
    public: bool = False,
    anonymous_only: bool = False,
    order: int = 100,
) -> None:
    """Add a top-bar link (label is a msgid: it is translated when the page is drawn)."""
    item = NavItem(label, endpoint, tuple(str(r) for r in roles), public, anonymous_only, order)
    if all(n.endpoint != endpoint for n in NAV):
        NAV.append(item)
        NAV.sort(key=lambda n: n.order)


def _shown(item: NavItem) -> bool:
    if item.anonymous_only:
        return not current_user.is_authenticated
    if item.public:
        return True
    return current_user.is_authenticated and (not item.roles or current_user.has_role(*item.roles))


def nav_items() -> list[dict[str, Any]]:
    """The top bar's links for the current user and page."""
    items = []
    for item in NAV:
        if not _shown(item):
            continue
        try:
            url = url_for(item.endpoint)
        except Exception:  # noqa: BLE001 - a link whose page is not there (yet) is left out
            continue
        items.append({"label": str(item.label), "url": url, "active": request.endpoint == item.endpoint})
    return items


def lang_switch_url(code: str) -> str:
    """This page in language ``code`` (the front page after a POST)."""
    args = {**(request.view_args or {}), **request.args.to_dict(), "lang": code}
    if request.method != "GET" or not request.endpoint:
        return url_for("index", lang=code)
    return url_for(request.endpoint, **args)


def _error_page(code: int, title: str, message: str, api_message: str | None = None) -> Any:
    """The error page, or for the API its JSON (with the message in both languages when there is one)."""
    if request.path.startswith("/api/"):
        return jsonify(
            code="forbidden" if code == 403 else "bad_request", message=api_message or message
        ), code
    return render_template("error.html", code=code, title=title, message=message), code


def init_app(app: Flask) -> None:
    """The chrome's template context and error pages on ``app``."""

    @app.context_processor
    def chrome_context() -> dict[str, Any]:
        locale = get_locale()
        lang = "en" if locale is not None and locale.language == "en" else "zh-CN"
        return {"nav_items": nav_items(), "page_lang": lang, "lang_switch_url": lang_switch_url}

    @app.errorhandler(403)
    def forbidden(exc: Any) -> Any:
        return _error_page(403, _("无权访问"), _("您无权查看或办理此项内容。"))

    @app.errorhandler(400)
    def bad_request(exc: Any) -> Any:
        described = str(exc.description or "")
        return _error_page(400, _("请求无效"), user_message(described), described)

    @app.errorhandler(DataError)
    def out_of_range(exc: DataError) -> Any:
        """A value the database refuses (too large, NUL, too long): the request's fault, nothing was stored."""
        return _error_page(400, _("请求无效"), user_message(OUT_OF_RANGE_MESSAGE), OUT_OF_RANGE_MESSAGE)

    @app.errorhandler(CSRFError)
    def csrf_failed(exc: CSRFError) -> Any:
        return _error_page(400, _("请求已失效"), _("表单已过期或缺少安全令牌，请返回刷新页面后重试。"))

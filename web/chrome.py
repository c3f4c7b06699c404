"""The page chrome every web page shares: the top bar's links, the language switch and the error pages.

A package adds a top-bar link with ``register_nav``; ``init_app`` puts ``nav_items``, ``page_lang`` and
``lang_switch_url`` into every template and answers every HTTP error (and the database's refusals) with
``error.html`` in the page's language only (JSON under ``/api/``): a description given with ``abort`` (a
runner message "中文 (English)") shows in that language, else the code's own words.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask, jsonify, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException, InternalServerError

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
        kind = {403: "forbidden", 400: "bad_request"}.get(code, "error")
        return jsonify(code=kind, message=api_message or message), code
    # an error page reads nothing from the database: the failure may be the database's (locked, gone)
    return render_template(
        "error.html", code=code, title=title, message=message, unread_notifications=_no_count
    ), code


def _no_count() -> int:
    """The unread-message badge of an error page: not counted."""
    return 0


# the title and the words of an error page by HTTP status (translated when the page is drawn)
ERROR_WORDS: dict[int, tuple[LazyString, LazyString]] = {
    400: (_l("请求无效"), _l("请求的内容有误，请返回后重试。")),
    403: (_l("无权访问"), _l("您无权查看或办理此项内容。")),
    404: (_l("页面不存在"), _l("您要找的页面或内容不存在，可能已被删除，或地址有误。")),
    405: (_l("不支持此操作"), _l("此地址不接受这种请求，请从页面上的链接或按钮进入。")),
    409: (_l("操作冲突"), _l("此内容已被他人修改或办理，请返回刷新后重试。")),
    413: (_l("内容过大"), _l("提交的内容超过了允许的大小。")),
    429: (_l("请求过于频繁"), _l("请求过于频繁，请稍后再试。")),
    500: (_l("系统出错"), _l("系统内部出错，请稍后重试；如仍不行，请联系管理员。")),
    503: (_l("服务暂不可用"), _l("服务暂时不可用，请稍后再试。")),
}
OTHER_ERROR = (_l("请求未完成"), _l("请求未能完成，请返回后重试。"))


def http_error_page(exc: HTTPException) -> Any:
    """The page of an HTTP error: its title and words in the page's language; a description given with
    ``abort(code, description=…)`` (a runner message "中文 (English)") in that language only."""
    code = exc.code or 500
    title, words = ERROR_WORDS.get(code, OTHER_ERROR)
    given = exc.description if exc.description != type(exc).description else None
    message = user_message(str(given)) if given else str(words)
    return _error_page(code, str(title), message, str(given) if given else None)


def init_app(app: Flask) -> None:
    """The chrome's template context and error pages on ``app``."""

    @app.context_processor
    def chrome_context() -> dict[str, Any]:
        locale = get_locale()
        lang = "en" if locale is not None and locale.language == "en" else "zh-CN"
        return {"nav_items": nav_items(), "page_lang": lang, "lang_switch_url": lang_switch_url}

    @app.errorhandler(403)
    @app.errorhandler(400)
    def refused(exc: HTTPException) -> Any:
        return http_error_page(exc)

    @app.errorhandler(DataError)
    def out_of_range(exc: DataError) -> Any:
        """A value the database refuses (too large, NUL, too long): the request's fault, nothing was stored."""
        return _error_page(400, _("请求无效"), user_message(OUT_OF_RANGE_MESSAGE), OUT_OF_RANGE_MESSAGE)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        """Every other HTTP error (404, 405, 409, 413, 429, 503, …): redirects pass through."""
        if exc.code is None or exc.code < 400:
            return exc
        return http_error_page(exc)

    @app.errorhandler(InternalServerError)
    def internal_error(exc: InternalServerError) -> Any:
        """An unexpected failure (logged by Flask): the page says so in the page's language, nothing more (an
        ``abort(500, description=…)`` names its cause)."""
        return http_error_page(exc)

    @app.errorhandler(CSRFError)
    def csrf_failed(exc: CSRFError) -> Any:
        return _error_page(400, _("请求已失效"), _("表单已过期或缺少安全令牌，请返回刷新页面后重试。"))

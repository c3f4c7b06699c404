"""Every API error is JSON with a code and a human message; never a stack trace."""

from __future__ import annotations

import logging
from typing import Any

from flask import jsonify
from sqlalchemy.exc import DataError, OperationalError
from werkzeug.exceptions import HTTPException

import runner
from api.blueprint import bp
from web.request_edge import OUT_OF_RANGE_MESSAGE

log = logging.getLogger(__name__)


class BadRequest(runner.InvalidInput):
    """Malformed request body or parameters."""


class FormInvalid(BadRequest):
    """A task's form refused the submitted data; ``errors`` maps each field (or unknown key) to its message."""

    code = "form_invalid"


class FormUndefined(runner.RunnerError):
    """The task's form key names no schema any more (deploy refuses unknown keys, but a form published in the
    console may be withdrawn later): nobody can complete it until the form is back (the workspace answers
    409 too)."""

    code = "form_undefined"
    http_status = 409


@bp.errorhandler(runner.RunnerError)
def runner_error(exc: runner.RunnerError) -> Any:
    return jsonify(exc.to_dict()), exc.http_status


# what an HTTP error says when nobody gave it a message of its own (Werkzeug's defaults are English only)
HTTP_MESSAGES = {
    400: "请求无效 (bad request)",
    401: "需要登录或 API 令牌 (authentication required)",
    403: "无权访问 (forbidden)",
    404: "未找到：地址或编号不存在 (not found: no such address or number)",
    405: "此地址不支持该请求方法 (method not allowed here)",
    413: "请求体过大 (request too large)",
    415: "不支持的内容类型，请发送 JSON (unsupported media type; send JSON)",
    429: "请求过于频繁，请稍后再试 (too many requests; try again later)",
}


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException) -> Any:
    """An HTTP error as JSON: its own message, or the bilingual default of its status."""
    message = exc.description
    if message == type(exc).description:
        message = HTTP_MESSAGES.get(exc.code or 0, message)
    return jsonify(code=(exc.name or "error").lower().replace(" ", "_"), message=message), exc.code


@bp.errorhandler(DataError)
def out_of_range(exc: DataError) -> Any:
    """A value the database refuses (too large, NUL, too long): the caller's fault; nothing was stored."""
    return jsonify(code="bad_request", message=OUT_OF_RANGE_MESSAGE), 400


@bp.errorhandler(OperationalError)
def database_unavailable(exc: OperationalError) -> Any:
    """The database is unreachable (restarting, network): nothing was written; the client may retry."""
    log.warning("database unavailable: %s", str(exc).splitlines()[0])
    response = jsonify(
        code="database_unavailable",
        message="数据库暂时不可用，本次操作未执行，请稍后重试 (the database is unavailable; nothing was done; retry)",
    )
    response.headers["Retry-After"] = "5"
    return response, 503


@bp.errorhandler(Exception)
def unexpected(exc: Exception) -> Any:
    log.exception("unexpected error in the API")
    return jsonify(
        code="internal_error", message="服务器内部错误，已记录 (internal error; it was logged)"
    ), 500

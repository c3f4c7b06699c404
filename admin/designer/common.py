"""What the designer's pages share: JSON answers for the page scripts, runner errors as messages, form keys."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, jsonify, request
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

import runner
from admin.base import services
from forms.schema import SchemaError, load_all, parse_schema_text
from web.i18n import user_message

JsonWork = Callable[[Session, dict[str, Any]], dict[str, Any]]


def json_body() -> dict[str, Any]:
    """The request's JSON object (``InvalidInput`` when it is missing or not an object)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise runner.InvalidInput("请求内容须为 JSON 对象 (the request body must be a JSON object)")
    return data


def field(data: dict[str, Any], name: str, kind: type) -> Any:
    """``data[name]`` of type ``kind`` (``InvalidInput`` otherwise; booleans are not integers)."""
    value = data.get(name)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise runner.InvalidInput(f"缺少或错误的字段 {name} (missing or invalid field {name!r})", field=name)
    return value


def answer(work: JsonWork) -> tuple[Response, int]:
    """Run ``work(session, body)`` in one unit of work and answer JSON: ``{"ok": true, ...}`` or the error.

    ``body`` is the POSTed JSON object. Runner errors keep their code, message and context (a ``Conflict``
    names the current revision, a ``DiagramInvalid`` lists its problems) with the error's HTTP status;
    nothing is committed then.
    """
    try:
        body = json_body() if request.method == "POST" else {}
        with services().transaction() as session:
            result = work(session, body)
    except runner.DiagramInvalid as exc:
        return jsonify(ok=False, **in_page_language(exc.to_dict())), 422
    except runner.RunnerError as exc:
        return jsonify(ok=False, **in_page_language(exc.to_dict())), exc.http_status
    return jsonify(ok=True, **in_page_language(result)), 200


def in_page_language(answer: dict[str, Any]) -> dict[str, Any]:
    """An answer's ``message`` and the messages of its ``problems`` / ``warnings`` in the page language
    (runner messages read "中文 (English)")."""
    out = dict(answer)
    if isinstance(out.get("message"), str):
        out["message"] = user_message(out["message"])
    for key in ("problems", "warnings"):
        if isinstance(out.get(key), list):
            out[key] = [
                {**p, "message": user_message(p["message"])}
                if isinstance(p, dict) and isinstance(p.get("message"), str) else p
                for p in out[key]
            ]  # fmt: skip
    return out


def flash_error(exc: runner.RunnerError) -> None:
    flash(_("操作未完成：%(message)s", message=user_message(exc)), "error")


def check_schema(form_key: str, body: str) -> str | None:
    """The workspace's own schema loader as the runner's publish check: None or what is wrong."""
    try:
        parse_schema_text(form_key, body)
    except SchemaError as exc:
        return str(exc)
    return None


def file_form_keys() -> set[str]:
    """Form keys that have a schema file in ``forms/schemas``."""
    return set(load_all())


def known_form_keys(session: Session) -> set[str]:
    """Every form key the workspace can show: the files and the schemas published in the console (the keys a
    deployment accepts, ``runner.known_form_keys``)."""
    return runner.known_form_keys(session)

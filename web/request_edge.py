"""The request edge: values no page, form or API route can use are refused before any of them runs.

- ``<int:…>`` in every route is a PostgreSQL ``integer`` (−2³¹ … 2³¹−1): a larger id matches no route (404),
  as an id that does not exist;
- a NUL character anywhere in the path, the query, the form fields or a JSON body is a 400 (no text of the
  platform holds one, and PostgreSQL refuses to store it);
- a lone surrogate in a JSON body (``"\\ud800"``: valid JSON, no UTF-8 for it, so no database, log or page can
  write it) is a 400 (paths, queries and forms are decoded with replacement, so hold none);
- a value the database still refuses as out of its range (``DataError``) is a 400, never a 500.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, request
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

INT_MAX = 2**31 - 1  # PostgreSQL integer, the type of every id column
NUL_MESSAGE = "请求中含有不允许的空字符 NUL (the request contains a NUL character)"
FORM_TYPES = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})  # werkzeug parses these
SURROGATE_MESSAGE = (
    "请求中含有无效的 Unicode 字符（不成对的代理项）"
    " (the request contains an invalid Unicode character: a lone surrogate)"
)
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
OUT_OF_RANGE_MESSAGE = "请求中的值超出允许范围 (a value in the request is out of range)"


class DatabaseInteger(IntegerConverter):
    """``<int:…>`` bounded to what an id column holds; ``max`` may still be given lower."""

    def __init__(
        self, map: Any, fixed_digits: int = 0, min: int | None = None, max: int | None = None
    ) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=INT_MAX if max is None else max)


def in_int_range(value: int) -> bool:
    """Whether ``value`` fits a database integer column."""
    return -INT_MAX - 1 <= value <= INT_MAX


def _strings(value: Any) -> Iterator[str]:
    """Every string in a JSON document, keys included."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def has_nul(value: Any) -> bool:
    """Whether ``value`` (a string or a JSON document) holds a NUL character."""
    return any("\x00" in text for text in _strings(value))


def has_lone_surrogate(value: Any) -> bool:
    """Whether ``value`` (a string or a JSON document) holds a lone surrogate (a text UTF-8 cannot write)."""
    for text in _strings(value):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return True
    return False


def refuse_nul_bytes() -> None:
    """``before_request``: a NUL in the path, query, form fields, file names or JSON body is a 400 (and a lone
    surrogate in a JSON body)."""
    if "\x00" in request.path:
        raise BadRequest(NUL_MESSAGE)
    form = request.mimetype in FORM_TYPES  # other bodies have no form fields or files: not parsed for them
    for values in (request.args, request.form) if form else (request.args,):
        for key, value in values.items(multi=True):
            if "\x00" in key or "\x00" in value:
                raise BadRequest(NUL_MESSAGE)
    for upload in request.files.values() if form else ():
        if "\x00" in (upload.filename or ""):
            raise BadRequest(NUL_MESSAGE)
    if request.is_json:
        _refuse_bad_json_text(request.get_data(cache=True))


def _refuse_bad_json_text(body: bytes) -> None:
    """A JSON body holding a NUL or a lone surrogate is a 400; the body is read only when it may hold one."""
    if _may_hold_nul(body) and has_nul(request.get_json(silent=True)):
        raise BadRequest(NUL_MESSAGE)
    if _may_hold_surrogate(body) and has_lone_surrogate(request.get_json(silent=True)):
        raise BadRequest(SURROGATE_MESSAGE)


def _may_hold_nul(body: bytes) -> bool:
    """Whether a JSON body may hold a NUL: JSON writes one only as ``\\u0000`` (a bare control character in a
    string is no JSON), unless the body is UTF-16 or UTF-32 (zero bytes), which the JSON reader takes too."""
    return b"\\u0000" in body or b"\x00" in body


def _may_hold_surrogate(body: bytes) -> bool:
    """Whether a JSON body may hold a lone surrogate: JSON writes one only as ``\\udXXX`` (d800–dfff), unless
    the body is UTF-16 or UTF-32."""
    return _SURROGATE_ESCAPE.search(body) is not None or b"\x00" in body


def init_app(app: Flask) -> None:
    """Install the bounded ``int`` converter (before any route is added) and the NUL and surrogate check."""
    app.url_map.converters["int"] = DatabaseInteger
    app.before_request(refuse_nul_bytes)


def safe_next(target: str | None) -> str | None:
    """Only same-site relative paths are followed after login (no open redirect, no backslash or blank)."""
    if not target:
        return None
    if "\\" in target or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None  # a browser reads ``\`` as ``/`` and drops tabs and newlines: ``/\evil`` leaves the site
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target

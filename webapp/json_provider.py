"""The app's JSON: answers as Flask writes them (non-ASCII as it is), and request bodies read as JSON only.

Python's reader takes the bare words ``NaN``, ``Infinity`` and ``-Infinity`` as numbers; JSON has no such values,
PostgreSQL's JSON columns refuse them and the stored engine state writes them as null (``runner.core.state``).
A body holding one is refused as not JSON (400), before anything of it reaches an item.
"""

from __future__ import annotations

from typing import Any

from flask.json.provider import DefaultJSONProvider


def _no_number(word: str) -> Any:
    raise ValueError(f"{word} is not a JSON value")


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON, with ``NaN`` and ``±Infinity`` refused in what it reads."""

    ensure_ascii = False

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        kwargs.setdefault("parse_constant", _no_number)
        return super().loads(s, **kwargs)

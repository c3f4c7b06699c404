"""CSV that spreadsheet programs open safely: a cell that would start a formula is neutralised.

A text cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a formula by
Excel, WPS and LibreOffice (``=HYPERLINK(...)``, ``@SUM(...)``, DDE payloads). Such a cell gets a leading
apostrophe, which shows the text as it is; plain numbers (``-3``, ``+1.5``) stay numbers. Every CSV the
platform writes goes through ``safe_cell`` / ``writer``.
"""

from __future__ import annotations

import csv
import re
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?")


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def safe_cell(value: Any) -> Any:
    """``value`` as a CSV cell that no spreadsheet program runs as a formula (non-text values unchanged)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value):
        return "".join(("'", value))  # a plain str even for markupsafe.Markup (whose + would escape the ')
    return value


class SafeWriter:
    """``csv.writer`` whose rows go through ``safe_cell``."""

    def __init__(self, out: _Writable, **options: Any) -> None:
        self._writer = csv.writer(out, **options)

    def writerow(self, row: list[Any] | tuple[Any, ...]) -> Any:
        return self._writer.writerow([safe_cell(v) for v in row])


def writer(out: _Writable, **options: Any) -> SafeWriter:
    """A CSV writer on ``out`` that neutralises formula cells."""
    return SafeWriter(out, **options)

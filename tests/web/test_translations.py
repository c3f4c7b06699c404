"""The English catalogue covers every translatable string of the workspace.

The strings are extracted from ``forms/``, ``web/``, ``workspace/`` and ``webapp/`` with babel's own extractor and the method
map of ``web/babel.cfg`` (the ``_l`` keyword added, as in the ``pybabel extract -k _l`` command), so
a new ``_()``/``_l()`` string without an English entry fails here instead of showing Chinese on an
English page. Fix with the commands in the header of ``messages.po``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
BABEL_CFG = ROOT / "web" / "babel.cfg"
CATALOGUE = ROOT / "web" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
SOURCES = ("forms", "web", "workspace", "webapp")
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None}

# %(name)s / %s / %d (python-format) and {name} / {} (str.format); "%%" is a literal percent sign.
PLACEHOLDER = re.compile(
    r"%\([^)]+\)[#0 +-]*\d*(?:\.\d+)?[sdifrxXeEgGc]|%[#0 +-]*\d*(?:\.\d+)?[sdifrxXeEgGc]|\{[^{}]*\}"
)


def _ids(message_id: str | tuple[str, ...]) -> tuple[str, ...]:
    return message_id if isinstance(message_id, tuple) else (message_id,)


def _strings(message: Message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text.replace("%%", "")))


def _extracted() -> dict[str, list[str]]:
    """msgid (the singular for plurals) -> where it is used, for every string in the code."""
    with BABEL_CFG.open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    found: dict[str, list[str]] = {}
    for source in SOURCES:
        for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT / source, method_map, options_map, keywords=KEYWORDS
        ):
            msgid = _ids(message)[0]
            if msgid:
                found.setdefault(msgid, []).append(f"{source}/{filename}:{lineno}")
    return found


@pytest.fixture(scope="module")
def catalogue() -> Catalog:
    with CATALOGUE.open("rb") as f:
        return read_po(f, locale="en")


def _entries(catalogue: Catalog) -> Iterator[Message]:
    return (m for m in catalogue if m.id)


def test_extraction_finds_the_workspace_strings() -> None:
    found = _extracted()
    # a Python module, a lazy form label, a Jinja template and the shared web layer (the error pages) are covered
    assert "AB岗" in found and "请选择投诉方式" in found and "办件进度查询" in found
    assert any(where.startswith("web/") for wheres in found.values() for where in wheres)


def test_every_extracted_string_has_english(catalogue: Catalog) -> None:
    missing = []
    for msgid, wheres in sorted(_extracted().items()):
        entry = catalogue.get(msgid)
        if entry is None or not all(s.strip() for s in _strings(entry)):
            missing.append(f"{msgid!r} ({', '.join(wheres)})")
    assert not missing, "no English translation for:\n" + "\n".join(missing)


def test_no_entry_is_fuzzy(catalogue: Catalog) -> None:
    fuzzy = [m.id for m in _entries(catalogue) if m.fuzzy]
    assert not fuzzy, f"fuzzy entries (not compiled into the .mo): {fuzzy}"


def test_placeholders_match(catalogue: Catalog) -> None:
    wrong = []
    for m in _entries(catalogue):
        expected = _placeholders(_ids(m.id)[-1])
        for translated in _strings(m):
            if translated and _placeholders(translated) != expected:
                wrong.append(f"{m.id!r} -> {translated!r}")
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def test_placeholder_pattern() -> None:
    assert _placeholders("第 %(page)s / %(pages)s 页，共 %(total)s 件") == [
        "%(page)s",
        "%(pages)s",
        "%(total)s",
    ]
    assert _placeholders("{name} 与 %d 件，100%% 完成") == ["%d", "{name}"]

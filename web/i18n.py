"""Languages: zh_CN by default, English on ``?lang=en`` (remembered in the session).

The English catalogue ``translations/en/LC_MESSAGES/messages.po`` is compiled to ``messages.mo``
by ``compile_catalogs`` when the app starts and the ``.mo`` is missing or older than the ``.po``
(no build step needed on a fresh clone; ``pybabel compile -d web/translations`` does the same).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path

from flask import current_app, request, session

from forms.language import pick
from runner.bilingual import parts
from runner.exceptions import RunnerError

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
DEFAULT_LOCALE = "zh_CN"
LOCALES = {"zh_CN": "zh_CN", "zh": "zh_CN", "zh-CN": "zh_CN", "en": "en"}

log = logging.getLogger(__name__)


def select_locale() -> str:
    """``?lang=`` (stored in the session, where the path has one: not the API's), else the session's choice,
    else zh_CN."""
    asked = request.args.get("lang")
    if asked in LOCALES:
        if not current_app.session_interface.is_null_session(session):
            session["lang"] = LOCALES[asked]
        return LOCALES[asked]
    chosen = session.get("lang")
    return chosen if chosen in ("zh_CN", "en") else DEFAULT_LOCALE


def compile_catalogs(directory: Path = TRANSLATIONS) -> list[Path]:
    """Compile every ``messages.po`` under ``directory`` whose ``.mo`` is missing or stale."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written: list[Path] = []
    for po in sorted(directory.glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        try:
            with po.open("rb") as f:
                catalog = read_po(f, locale=po.parent.parent.name)
            tmp = mo.with_suffix(f".mo.{os.getpid()}.tmp")  # several workers may start at once
            with tmp.open("wb") as f:
                write_mo(f, catalog, use_fuzzy=False)
            tmp.replace(mo)
            written.append(mo)
        except OSError:
            log.warning("cannot write %s; English pages fall back to Chinese", mo, exc_info=True)
    return written


def _locale_is_zh() -> bool:
    from flask_babel import get_locale

    locale = get_locale()
    return locale is None or locale.language == "zh"


def user_message(exc: RunnerError | str) -> str:
    """A runner error's message in the page language (runner messages read ``中文 (English)``, the English
    in the last parenthesised group: ``runner.bilingual``)."""
    message = exc if isinstance(exc, str) else exc.message
    zh, en = parts(message)
    return zh if _locale_is_zh() else sentence_case(en)


# a first word in lower case letters (not a name like item_code, a field "name:", bpmn:task or e-mail)
_LOWER_FIRST_WORD = re.compile(r"[a-z]+(?=[ ,;]|$)")


def sentence_case(text: str) -> str:
    """``text`` shown as a whole sentence: its first word capitalised (runner messages write their English half
    in lower case, as a parenthesis: ``退回须写明理由 (give the reason)`` → ``Give the reason``)."""
    if _LOWER_FIRST_WORD.match(text) and not text.startswith(("http", "www")):
        return text[0].upper() + text[1:]
    return text


class Label:
    """A label drawn in the page language (no catalogue entry needed)."""

    def __init__(self, zh: str, en: str) -> None:
        self.zh, self.en = zh, en

    def __str__(self) -> str:
        return pick(self.zh, self.en)


def fresh_session() -> None:
    """Empty the session (login and logout: no session fixation, nothing of the last user left) but keep the
    language the visitor chose, so the pages after it stay in that language."""
    chosen = session.get("lang")
    session.clear()
    if chosen in ("zh_CN", "en"):
        session["lang"] = chosen


_FIELD_PREFIX = re.compile(r"([A-Za-z_][\w.\[\]-]*): (.+)", re.S)


def field_message(problem: str, labels: Mapping[str, str] | None = None) -> str:
    """A problem the runner writes ``field: 中文 (English)``, in the page language with its field name kept
    (``user_message`` alone would keep only the English group, dropping the field); a form passes
    ``labels`` (field → its label on the page) so the person reads the label, not the field's key."""
    match = _FIELD_PREFIX.fullmatch(problem)
    if match is None:
        return user_message(problem)
    zh, en = parts(match.group(2))  # after its field the message goes on the line: no capital
    return f"{_field_label(match.group(1), labels or {})}: {zh if _locale_is_zh() else en}"


def _field_label(field: str, labels: Mapping[str, str]) -> str:
    """``promised_days`` → its label; ``materials[2].copies`` → the materials' label with the rest kept."""
    head, rest = re.match(r"([A-Za-z_]\w*)(.*)", field, re.S).groups()
    return f"{labels[head]}{rest}" if head in labels else field

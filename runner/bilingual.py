"""Messages in two languages, the way the runner writes them: ``中文 (English)``.

The Chinese comes first, the English is the last parenthesised group (which may hold parentheses of its own);
``web.i18n.user_message`` shows one of the two. A message built from pieces (a label, a sandbox refusal, a
library's words) is put together from each language's half, so that it stays one ``中文 (English)``.
"""

from __future__ import annotations

import re

HAN = re.compile(r"[\u4e00-\u9fff]")


def both(zh: str, en: str) -> str:
    """The one form of a message in both languages."""
    return f"{zh} ({en})"


def parts(message: str) -> tuple[str, str]:
    """(Chinese, English) of ``中文 (English)``; a message in one language only is both halves."""
    if not message.endswith(")"):
        return message, message
    depth = 0
    for i in range(len(message) - 1, -1, -1):
        if message[i] == ")":
            depth += 1
        elif message[i] == "(":
            depth -= 1
            if depth == 0:
                zh, en = message[:i], message[i + 1 : -1]
                if i == 0 or message[i - 1] != " " or not HAN.search(zh):
                    return message, message
                return zh.rstrip(), en
    return message, message


def is_bilingual(message: str) -> bool:
    """Whether ``message`` reads ``中文 (English)``: Chinese before, English (no Chinese outside quoted values)
    in the last group."""
    zh, en = parts(message)
    if zh == message:
        return False
    unquoted = re.sub(r"'[^']*'|\"[^\"]*\"|`[^`]*`", "", en)
    return bool(HAN.search(zh)) and bool(re.search(r"[A-Za-z]{2,}", en)) and not HAN.search(unquoted)


def joined(zh_lead: str, en_lead: str, message: str, *, sep: tuple[str, str] = ("：", ": ")) -> str:
    """``message`` (in both languages, or one) led by a label in each language: one ``中文 (English)``."""
    zh, en = parts(message)
    return both(f"{zh_lead}{sep[0]}{zh}", f"{en_lead}{sep[1]}{en}")

"""The page language as the form engine sees it: Chinese, or English where a page asks for it and a translation
exists (labels and messages of schemas carry both)."""

from __future__ import annotations


def pick(zh: str, en: str | None = None) -> str:
    """``zh`` or, when the page language is English and a translation exists, ``en``."""
    if not en:
        return zh
    try:
        from flask_babel import get_locale

        locale = get_locale()
    except Exception:  # noqa: BLE001 - outside a request: Chinese
        return zh
    return en if locale is not None and locale.language == "en" else zh

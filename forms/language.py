"""The page language as the form engine sees it: Chinese, or English where a page asks for it and a translation
exists (labels and messages of schemas carry both)."""

from __future__ import annotations


def pick(zh: str, en: str | None = None) -> str:
    """``zh`` or, when the page language is English and a translation exists, ``en``."""
    return en if en and english() else zh


def english() -> bool:
    """Whether the page language is English (False outside a request)."""
    try:
        from flask_babel import get_locale

        locale = get_locale()
    except Exception:  # noqa: BLE001 - outside a request: Chinese
        return False
    return locale is not None and locale.language == "en"


def shown_name(name: str, name_en: str | None = None) -> str:
    """A stored name (an item's, a window's) as the page shows it: its English name on English pages when it has
    one, else the Chinese name. The one place that chooses; pages never test the language themselves."""
    return pick(name, (name_en or "").strip() or None)

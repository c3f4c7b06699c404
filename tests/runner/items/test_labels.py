"""Every message kind and audit action the source uses has a Chinese and an English word (runner/items/labels.py), so
that no page shows a code such as ``extension_decided`` (issue 21.12)."""

from __future__ import annotations

import re
from pathlib import Path

from runner.core.conventions import ITEM_KINDS
from runner.items.labels import AUDIT_ACTIONS, ITEM_KIND_WORDS, MESSAGE_KINDS

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("runner", "forms", "web", "workspace", "admin", "api", "worker", "webapp")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _source() -> str:
    return "\n".join(
        p.read_text(encoding="utf-8") for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))
    )


def _both(words: tuple[str, str]) -> bool:
    zh, en = words
    return bool(CJK.search(zh)) and bool(en.strip()) and not CJK.search(en)


def test_every_message_kind_has_both_words() -> None:
    used = set(re.findall(r'\bnotify\(\s*\w+,\s*"([a-z_]+)"', _source()))
    assert {"extension_decided", "extension_requested", "delegation_answered"} <= used
    missing = sorted(k for k in used if k not in MESSAGE_KINDS or not _both(MESSAGE_KINDS[k]))
    assert not missing, f"message kinds without both words in runner/items/labels.py: {missing}"


def test_every_audit_action_has_both_words() -> None:
    source = _source()
    used = set(re.findall(r'\brecord\(\s*\w+,\s*"([a-z_]+)"', source))
    used |= set(re.findall(r'_audit\w*\(\s*\w+,\s*\w+,\s*"([a-z_]+)"', source))
    used |= set(re.findall(r'\baction="([a-z_]+)"', source)) - {"append", "store_true"}  # argparse's
    assert {"complete", "claim", "document_reissued", "send_back"} <= used
    missing = sorted(a for a in used if a not in AUDIT_ACTIONS or not _both(AUDIT_ACTIONS[a]))
    assert not missing, f"audit actions without both words in runner/items/labels.py: {missing}"


def test_every_item_kind_has_both_words() -> None:
    assert set(ITEM_KINDS.values()) <= set(ITEM_KIND_WORDS)
    assert all(_both(w) for w in ITEM_KIND_WORDS.values())

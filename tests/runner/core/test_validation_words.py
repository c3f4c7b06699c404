"""The modeler's validation messages come in both languages, "中文 (English)" (issue 21.12): every message the
validator writes from its own words has Chinese in it (the English is there already)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[3] / "runner" / "core" / "validation.py"
CJK = re.compile(r"[\u4e00-\u9fff]")
ASCII_WORD = re.compile(r"[A-Za-z]{3,}")


def _literal_text(node: ast.AST) -> str | None:
    """The words of a message built from literals (None when it is only passed on, e.g. ``str(exc)``)."""
    parts = [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    return " ".join(parts) if parts else None


def test_every_validation_message_is_bilingual() -> None:
    tree = ast.parse(SOURCE.read_text(encoding="utf-8"))
    english_only = []
    for call in ast.walk(tree):
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
            continue
        if call.func.attr not in ("error", "warning") or len(call.args) < 2:
            continue
        words = _literal_text(call.args[1])
        if words is None or not ASCII_WORD.search(words):
            continue
        if not CJK.search(words):
            english_only.append(f"line {call.lineno}: {words[:80]}")
    assert not english_only, "validation messages without Chinese:\n" + "\n".join(english_only)

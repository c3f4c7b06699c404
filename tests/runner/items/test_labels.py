"""Every message kind and audit action the source uses has a Chinese and an English word (runner/items/labels.py), so
that no page shows a code such as ``extension_decided`` (issue 21.12)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from runner.core.conventions import ITEM_KINDS
from runner.items.labels import AUDIT_ACTIONS, ITEM_KIND_WORDS, MESSAGE_KINDS, WARNING_RULES

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


def _recorded_actions(path: Path) -> set[str]:
    """The audit actions a module records, read from its syntax: the action argument of ``record(session,
    action, …)`` and ``_audit…(session, row, action, …)`` as a literal, either branch of a conditional, or a
    module constant (``STARTED = "continued_delay_started"``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    constants = {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
        for target in node.targets
        if isinstance(target, ast.Name)
    }

    def words(node: ast.AST) -> set[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return {node.value}
        if isinstance(node, ast.IfExp):
            return words(node.body) | words(node.orelse)
        if isinstance(node, ast.Name) and node.id in constants:
            return {constants[node.id]}
        return set()

    found: set[str] = set()
    for call in ast.walk(tree):
        if not isinstance(call, ast.Call):
            continue
        name = getattr(call.func, "attr", getattr(call.func, "id", ""))
        if name == "record" and len(call.args) >= 2:
            found |= words(call.args[1])
        elif name.startswith("_audit") and len(call.args) >= 3:
            found |= words(call.args[2])
    return {w for w in found if re.fullmatch(r"[a-z_]+", w)}


def test_every_action_recorded_in_any_form_has_both_words() -> None:
    """Actions chosen by a condition or named by a constant too (issue 21.12: the audit trail shows no code)."""
    used = {
        action
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        for action in _recorded_actions(path)
    }
    assert {"timer_fired", "timer_cancelled", "continued_delay_started", "user_disabled"} <= used
    missing = sorted(a for a in used if a not in AUDIT_ACTIONS or not _both(AUDIT_ACTIONS[a]))
    assert not missing, f"audit actions without both words in runner/items/labels.py: {missing}"


def test_every_item_kind_has_both_words() -> None:
    assert set(ITEM_KINDS.values()) <= set(ITEM_KIND_WORDS)
    assert all(_both(w) for w in ITEM_KIND_WORDS.values())


def test_every_warning_rule_has_both_words() -> None:
    """What raises a warning (``WarningEvent(rule=…)``, the rule table's levels, a named constant) is named in words."""
    source = _source()
    used = set(re.findall(r'\brule="([^"]+)"', source))
    used |= (
        {f"rule:{level}" for level in ("notice", "yellow", "red")}
        if 'rule=f"rule:{level}"' in source
        else set()
    )
    used |= set(re.findall(r'\bWARNING_RULE = "([^"]+)"', source))
    used -= {"§32"}  # an audit entry's detail, not a warning's rule
    assert {"diagram", "rule:red", "online_prereview"} <= used
    missing = sorted(k for k in used if k not in WARNING_RULES or not _both(WARNING_RULES[k]))
    assert not missing, f"warning rules without both words in runner/items/labels.py: {missing}"

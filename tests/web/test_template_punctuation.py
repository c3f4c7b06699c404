"""A bilingual label's own punctuation is inside its ``pick``: a Chinese full-width colon or semicolon written
after ``pick("中文", "English")`` shows in the English page too ("window：…", "Booked：…")."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AFTER_PICK = re.compile(r'pick\("[^"]*", "[^"]*"\) \}\}[：；]')
# full-width punctuation written beside a template expression, outside any pick: shown on English pages too
BESIDE_EXPRESSION = re.compile(r"[（：；，。]\{[{%]|[}%]\}[）：；，。]")
PAPERS = "documents"  # the printed papers are Chinese in every page language


def test_no_template_writes_chinese_punctuation_after_a_bilingual_label():
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted(ROOT.glob("*/templates/**/*.html"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if AFTER_PICK.search(line)
    ]
    shown = "\n".join(found)
    assert not found, f"Chinese punctuation after a bilingual label (put it inside the pick):\n{shown}"


def test_no_page_writes_chinese_brackets_or_colons_around_a_value():
    """``name（{{ code }}）`` or ``{{ label }}：`` read "name（SC-001）" and "by：" on English pages: such brackets
    go through the ``aside`` filter and such punctuation through ``pick`` (the papers stay Chinese)."""
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted(ROOT.glob("*/templates/**/*.html"))
        if PAPERS not in path.relative_to(ROOT).parts
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if BESIDE_EXPRESSION.search(line)
    ]
    shown = "\n".join(found)
    assert not found, f"Chinese punctuation beside a value (use | aside or pick):\n{shown}"


def test_the_online_application_page_names_the_window_in_english(services, client):
    """The page the applicant fills: its header line in English reads "window: …"."""
    from runner.catalogue import items
    from tests.support.catalogue import demo
    from tests.support.flow import deploy_library

    deploy_library(
        services, "block_correction.bpmn", "block_refusal.bpmn", "chengnuo.bpmn", "lianban_chaogao.bpmn"
    )
    with services.transaction() as s:
        items.save_item(s, {**demo("SC-001"), "online": True}, actor="admin")
    page = client.get("/apply/SC-001?lang=en").get_data(as_text=True)
    assert "window: " in page and "window：" not in page, page[:3000]

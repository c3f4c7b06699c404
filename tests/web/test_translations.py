"""The English catalogue covers every translatable string of the workspace and the console.

The strings are extracted from ``forms/``, ``web/``, ``workspace/``, ``webapp/`` and ``admin/`` with babel's own
extractor and the method
map of ``web/babel.cfg`` (the ``_l`` keyword added, as in the ``pybabel extract -k _l`` command), so
a new ``_()``/``_l()`` string without an English entry fails here instead of showing Chinese on an
English page. Fix with the commands in the header of ``messages.po``.

The console is also checked the other way (issue 21.12): no Chinese in ``admin/`` that does not go through the
catalogue — a template's text outside ``_()``, a Python string outside ``_()``/``_l()``/``pick()`` that is not a
runner message "中文 (English)", a script string outside ``T()`` — and every script word ``T("…")`` is listed
in ``admin/words.py`` (so extracted, so translated).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
BABEL_CFG = ROOT / "web" / "babel.cfg"
CATALOGUE = ROOT / "web" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
SOURCES = ("forms", "web", "workspace", "webapp", "admin")
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


HAN = re.compile(r"[\u4e00-\u9fff]")
# "中文 (English)": a runner message, shown through web.i18n.user_message in the page language
BILINGUAL = re.compile(r".*[\u4e00-\u9fff].* \([^\u4e00-\u9fff]*\)$", re.S)
TRANSLATING = {"_", "_l", "gettext", "lazy_gettext", "ngettext", "N_", "pick", "Label", "user_message"}
# Chinese that is data or a key, not words of the page
CONSOLE_DATA = {
    "admin/catalogue/views.py": {"原件"},  # the catalogue's material form (a value stored with the item)
    "admin/designer/form_editor.py": {"新表单"},  # the title of a new form's draft (its data, edited next)
    "admin/monitoring/calendar.py": {"# 2027 年节假日安排"},  # the arrangement's own syntax (休 / 班)
    "admin/monitoring/cards.py": {"时限"},  # a filter found by its Chinese name
    "admin/language.py": {"合计", "未指定主办窗口"},  # row names as the runner's statistics write them
}


def _python_leftovers(path: Path) -> list[str]:
    """Chinese string literals of ``path`` outside docstrings, translation calls and runner messages."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
        ):
            skip.add(id(body[0].value))  # a docstring
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            if name in TRANSLATING:
                skip.update(
                    id(sub)
                    for arg in [*node.args, *(k.value for k in node.keywords)]
                    for sub in ast.walk(arg)
                )
        if isinstance(node, ast.JoinedStr):
            skip.update(id(sub) for sub in ast.walk(node) if sub is not node)
    allowed = CONSOLE_DATA.get(path.relative_to(ROOT).as_posix(), set())
    found = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        else:
            continue
        if HAN.search(text) and not BILINGUAL.match(text) and not any(text.startswith(a) for a in allowed):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {text[:60]!r}")
    return found


def test_console_python_strings_go_through_the_catalogue() -> None:
    leftovers = [line for path in sorted((ROOT / "admin").rglob("*.py")) for line in _python_leftovers(path)]
    assert not leftovers, "Chinese shown without a translation:\n" + "\n".join(leftovers)


JINJA = re.compile(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", re.S)
QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
JINJA_TRANSLATED = re.compile(
    r"""\b(?:_|ngettext|pick|gettext)\(\s*(?:'[^']*'|"[^"]*")(?:\s*,\s*(?:'[^']*'|"[^"]*"))?"""
)
TEMPLATE_DATA = {"# 2027 年节假日安排", "时限", "状态", "流程版本", "原件", "班"}  # syntax examples and keys


def _template_leftovers(path: Path) -> list[str]:
    """Chinese in ``path`` outside ``_()``: in the page's text, or a string in an expression."""
    text = path.read_text(encoding="utf-8")
    found = []
    for m in JINJA.finditer(text):
        code = m.group(0)
        if code.startswith("{#"):
            continue
        rest = JINJA_TRANSLATED.sub("", code)
        for quoted in QUOTED.findall(rest):
            if HAN.search(quoted) and not any(d in quoted for d in TEMPLATE_DATA):
                found.append(
                    f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, m.start()) + 1}: {quoted[:60]}"
                )
    outside = JINJA.sub(" ", text)
    for lineno, line in enumerate(outside.splitlines(), 1):
        if HAN.search(line):
            found.append(f"{path.relative_to(ROOT)}:~{lineno}: {line.strip()[:60]}")
    return found


def test_console_templates_go_through_the_catalogue() -> None:
    leftovers = [
        line for path in sorted((ROOT / "admin").rglob("*.html")) for line in _template_leftovers(path)
    ]
    assert not leftovers, "Chinese outside _() in the console's templates:\n" + "\n".join(leftovers)


SCRIPT_WORD = re.compile(r"""(?<![\w.])T\((["'])((?:(?!\1)[^\\]|\\.)*)\1""")
SCRIPT_STRING = re.compile(r"""(["'])((?:(?!\1)[^\\\n]|\\.)*)\1""")
COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)


def test_console_scripts_take_their_words_from_the_catalogue() -> None:
    from admin.words import SCRIPT_WORDS

    unlisted, bare = [], []
    for path in sorted((ROOT / "admin" / "static").rglob("*.js")):
        code = COMMENT.sub("", path.read_text(encoding="utf-8"))
        unlisted += [f"{path.name}: {w!r}" for _q, w in SCRIPT_WORD.findall(code) if w not in SCRIPT_WORDS]
        outside = SCRIPT_WORD.sub("", code)
        bare += [f"{path.name}: {s!r}" for _q, s in SCRIPT_STRING.findall(outside) if HAN.search(s)]
    assert not unlisted, "script words missing from admin/words.py:\n" + "\n".join(unlisted)
    assert not bare, "Chinese in the console's scripts outside T():\n" + "\n".join(bare)


def test_console_extraction_covers_the_menu_the_designer_and_the_scripts() -> None:
    found = _extracted()
    assert "督查统计" in found and "工作日调整" in found and "正在校验……" in found
    assert any(where.startswith("admin/templates/") for where in found["部署为新版本"])


MODELER_FIXTURES = sorted((ROOT / "tests" / "data" / "invalid").glob("*.bpmn")) + sorted(
    (ROOT / "tests" / "data" / "foreign").glob("*.bpmn")
)


def test_the_modelers_messages_show_in_the_page_language(app: Any) -> None:
    """Every problem the designer lists (the validator's, the sandbox's, SpiffWorkflow's: issue 21.12) shows in
    Chinese by default and in English with ``?lang=en`` — never the other language's sentence."""
    from admin.designer.common import in_page_language
    from tests.runner.core.test_validation_words import _all_problems

    answers = [
        {"message": p.get("message"), "problems": [p]}
        for path in MODELER_FIXTURES
        for p in _all_problems(path.read_bytes(), path.name)
    ]
    assert len(answers) > 30
    quoted = re.compile(r"'[^']*'|\"[^\"]*\"|`[^`]*`")
    with app.test_request_context("/?lang=en"):
        english = [in_page_language(a)["problems"][0]["message"] for a in answers]
    with app.test_request_context("/?lang=zh"):
        chinese = [in_page_language(a)["problems"][0]["message"] for a in answers]
    assert not [m for m in english if HAN.search(quoted.sub("", m))], "Chinese on the English designer"
    assert not [m for m in chinese if not HAN.search(m) or re.search(r"\([a-z]+ [a-z]+ ", m)], (
        "English on the Chinese designer"
    )


def test_a_runner_message_shown_in_english_starts_with_a_capital(app: Any) -> None:
    """The English half of ``中文 (english)`` is written in lower case, as a parenthesis; shown alone it is a
    sentence (the online pre-review's return without reasons, and every other runner message)."""
    from runner.exceptions import InvalidInput
    from web.i18n import user_message

    returned = InvalidInput("退回须写明至少一项材料的退回理由 (give the reason for each material returned)")
    with app.test_request_context("/?lang=en"):
        assert user_message(returned) == "Give the reason for each material returned"
        assert user_message("缺少 (item_code missing)") == "item_code missing"  # a name keeps its case
        assert user_message("地址 (https://example.org)") == "https://example.org"
    with app.test_request_context("/?lang=zh"):
        assert user_message(returned) == "退回须写明至少一项材料的退回理由"

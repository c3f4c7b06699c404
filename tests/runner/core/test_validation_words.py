"""The modeler's validation messages come in both languages, "中文 (English)" (issue 21.12), so that the designer
shows each in the page's language: the validator's own words, the sandbox's refusals it passes on, the
refusals of the file's bytes, and SpiffWorkflow's parser (English only, given Chinese by kind here)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import SpiffWorkflow
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.exceptions import SpiffWorkflowException

from runner.bilingual import is_bilingual, parts
from runner.core.definitions import _spiff_problem
from runner.core.sandbox.policy import check_source
from runner.core.spiff.parser import CentreParser, parse_specs
from runner.core.spiff.refusals import chinese, refusal
from runner.core.validation import validate_bpmn
from runner.exceptions import DiagramInvalid

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "tests" / "data"
CJK = re.compile(r"[\u4e00-\u9fff]")
ASCII_WORD = re.compile(r"[A-Za-z]{3,}")
# the modules whose words reach the designer's problem list
SOURCES = ("runner/core/validation.py", "runner/core/foreign.py", "runner/core/definitions.py")
REPORTING = {"error", "warning", "warn", "refuse"}


def _literal_text(node: ast.AST) -> str | None:
    """The words of a message built from literals (None when it is only passed on, e.g. ``str(exc)``)."""
    parts_ = [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    return " ".join(parts_) if parts_ else None


@pytest.mark.parametrize("source", SOURCES)
def test_every_validation_message_written_in_the_code_is_bilingual(source: str) -> None:
    tree = ast.parse((ROOT / source).read_text(encoding="utf-8"))
    english_only = []
    for call in ast.walk(tree):
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
            continue
        if call.func.attr not in REPORTING or len(call.args) < 2:
            continue
        words = _literal_text(call.args[1])
        if words is None or not ASCII_WORD.search(words):
            continue
        if not CJK.search(words):
            english_only.append(f"line {call.lineno}: {words[:80]}")
    assert not english_only, "validation messages without Chinese:\n" + "\n".join(english_only)


def _all_problems(content: bytes, name: str) -> list[dict[str, object]]:
    """Every problem of ``content`` as a deployment's check finds it (the real sandbox checks expressions)."""
    try:
        _, warnings = validate_bpmn(
            content,
            name,
            max_bytes=200_000,
            known_windows={"centre", "shebao", "minzheng"},
            check_expression=check_source,
            known_forms={"generic_task"},
        )
    except DiagramInvalid as exc:
        return [{"message": exc.message, "element": None}, *exc.problems]
    return [w.to_dict() for w in warnings]


FIXTURES = sorted((DATA / "invalid").glob("*.bpmn")) + sorted((DATA / "foreign").glob("*.bpmn"))


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_problem_of_the_fixtures_reads_in_both_languages(path: Path) -> None:
    """Each invalid (and each foreign) diagram's problems, and the summary of a refusal: "中文 (English)", the
    Chinese with no English sentence, the English with no Chinese outside the values it quotes."""
    found = _all_problems(path.read_bytes(), path.name)
    wrong = [str(p["message"]) for p in found if not is_bilingual(str(p["message"]))]
    assert not wrong, "not in both languages:\n" + "\n".join(wrong)


@pytest.mark.parametrize(
    ("oversized", "words"),
    [
        (b"<x>" + b" " * 300_000 + b"</x>", "超过上限"),
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>', "不允许 DOCTYPE"),
        (b'<?xml version="1.0" encoding="klingon"?><x/>', "不受支持"),
    ],
)
def test_refusals_of_the_bytes_read_in_both_languages(oversized: bytes, words: str) -> None:
    [summary, problem] = _all_problems(oversized, "x.bpmn")
    assert is_bilingual(str(problem["message"])) and is_bilingual(str(summary["message"]))
    assert words in parts(str(problem["message"]))[0]


def _spiff_refusal(xml: bytes) -> dict[str, object]:
    root = etree.fromstring(xml)
    parser = CentreParser()
    with pytest.raises((ValidationException, SpiffWorkflowException)) as info:
        parser.add_bpmn_xml(root, "x.bpmn")
        for pid in parser.get_process_ids():
            parse_specs(parser, pid)
    return _spiff_problem(info.value, "x.bpmn")


def test_spiffworkflows_refusal_is_given_its_chinese_with_the_element() -> None:
    """A multi-instance without its collection passes the platform's checks, not SpiffWorkflow's parser."""
    xml = (DATA / "joint.bpmn").read_bytes()
    xml = re.sub(rb"<bpmn:loopDataInputRef>[^<]*</bpmn:loopDataInputRef>", b"", xml)
    problem = _spiff_refusal(xml)
    zh, en = parts(str(problem["message"]))
    assert zh.startswith("多实例任务须指定实例数") and "cardinality or a loop input" in en
    assert problem["element"] and problem["file"] == "x.bpmn"


def test_the_platforms_own_words_raised_through_the_engine_stay_as_they_are() -> None:
    exc = ValidationException("Task_1: completionMode 'x' 无效 (completionMode must be one of: all)")
    assert parts(refusal(exc, "Task_1")) == (
        "Task_1: completionMode 'x' 无效",
        "Task_1: completionMode must be one of: all",
    )


def test_a_refusal_of_a_kind_not_in_the_table_still_leads_with_chinese() -> None:
    message = refusal(ValidationException("Something new went wrong"), "Task_9")
    assert is_bilingual(message) and "Task_9" in parts(message)[0]
    assert parts(message)[1] == "Something new went wrong"


def _literal(node: ast.AST) -> str | None:
    """The words of a message SpiffWorkflow builds from literals, with "X" for what it fills in."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "X" for v in node.values)
    if isinstance(node, ast.BinOp):
        return _literal(node.left)
    return None


def test_every_refusal_spiffworkflows_parser_writes_has_its_chinese() -> None:
    """Each message the parsers raise (``ValidationException``) is matched by a kind of
    ``runner.core.spiff.refusals``: a new or reworded one in a SpiffWorkflow upgrade fails here."""
    root = Path(SpiffWorkflow.__file__).parent
    unknown = chinese("\0", None)
    missing = []
    for folder in ("bpmn/parser", "spiff/parser", "dmn/parser"):
        for path in sorted((root / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                name = getattr(node, "func", None)
                name = getattr(name, "id", getattr(name, "attr", None))
                if not (isinstance(node, ast.Call) and node.args):
                    continue
                if name not in ("ValidationException", "raise_validation_exception"):
                    continue
                words = _literal(node.args[0])
                if words and ASCII_WORD.search(words) and chinese(words, None) == unknown:
                    missing.append(f"{path.relative_to(root)}:{node.lineno}: {words}")
    assert not missing, "SpiffWorkflow refusals without Chinese:\n" + "\n".join(missing)

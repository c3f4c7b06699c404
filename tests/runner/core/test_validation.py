"""Tests for runner.core.validation: one fixture per failure in tests/data/invalid, one good diagram."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from runner.bilingual import parts
from runner.core.validation import (
    Problem,
    _hardened_parser,
    check_diagram,
    executable_process_ids,
    process_properties,
    safe_parse,
    validate_bpmn,
)
from runner.exceptions import DiagramInvalid

DATA = Path(__file__).resolve().parents[2] / "data"
KNOWN_WINDOWS = {"shebao", "gongshang", "minzheng", "centre"}
MAX_BYTES = 2 * 1024 * 1024


def check_expression(source: str, mode: str) -> str | None:
    """A stand-in for runner.core.scripts.check_source: syntax via ast, and no imports (in both languages, as
    the sandbox writes them)."""
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as exc:
        return f"语法错误 (syntax error: {exc.msg})"
    if any(isinstance(node, ast.Import | ast.ImportFrom) for node in ast.walk(tree)):
        return "不允许 import (import is not allowed)"
    return None


def english(message: str) -> str:
    """The English half of a "中文 (English)" message."""
    return parts(message)[1]


def load(name: str, folder: str = "invalid") -> bytes:
    return (DATA / folder / name).read_bytes()


def line_of(content: bytes, needle: str, occurrence: int = 1) -> int:
    """1-based line of the n-th occurrence of ``needle`` in ``content``."""
    raw = needle.encode()
    pos = -1
    for _ in range(occurrence):
        pos = content.index(raw, pos + 1)
    return content.count(b"\n", 0, pos) + 1


def validate(content: bytes, name: str = "diagram.bpmn", **kwargs: Any) -> tuple[Any, list[Problem]]:
    options: dict[str, Any] = {
        "max_bytes": MAX_BYTES,
        "known_windows": KNOWN_WINDOWS,
        "check_expression": check_expression,
    }
    options.update(kwargs)
    return validate_bpmn(content, name, **options)


def about(warnings: list[Problem], element: str) -> list[str]:
    """The messages of the warnings about one element."""
    return [w.message for w in warnings if w.element == element]


def refused(name: str, content: bytes | None = None, **kwargs: Any) -> DiagramInvalid:
    with pytest.raises(DiagramInvalid) as info:
        validate(load(name) if content is None else content, name, **kwargs)
    return info.value


def problem_with(exc: DiagramInvalid, text: str) -> dict[str, Any]:
    """The one problem whose message contains ``text``."""
    found = [p for p in exc.problems if text in p["message"]]
    assert len(found) == 1, exc.problems
    return found[0]


def errors_of(exc: DiagramInvalid) -> list[dict[str, Any]]:
    return [p for p in exc.problems if p["severity"] == "error"]


# --- refused before or while parsing ---------------------------------------------------------------


def test_not_xml() -> None:
    content = load("not_xml.bpmn")
    exc = refused("not_xml.bpmn")
    [problem] = exc.problems
    assert "not well-formed XML" in problem["message"]
    assert problem["element"] is None
    assert problem["line"] == line_of(content, "</bpmn:process>")
    assert english(exc.message).startswith(f"not_xml.bpmn:{problem['line']} not well-formed XML")
    assert exc.message.startswith(f"not_xml.bpmn:{problem['line']} XML 格式错误")


def test_xxe_external_entity_is_refused() -> None:
    exc = refused("xxe.bpmn")
    [problem] = exc.problems
    assert "DOCTYPE declarations are not allowed" in problem["message"]
    assert problem["line"] == 2
    assert "root:" not in exc.message  # nothing of /etc/passwd leaked


def test_hardened_parser_does_not_resolve_entities() -> None:
    content = b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    root = etree.fromstring(content, _hardened_parser())
    assert "root:" not in etree.tostring(root, encoding="unicode", method="text")


def test_billion_laughs_is_refused() -> None:
    exc = refused("billion_laughs.bpmn")
    [problem] = exc.problems
    assert "DOCTYPE declarations are not allowed" in problem["message"]
    assert problem["line"] == 2


def test_file_over_size_limit() -> None:
    simple = load("simple.bpmn", "valid")
    content = simple + b"<!--" + b"x" * (MAX_BYTES - len(simple)) + b"-->"
    assert len(content) > MAX_BYTES
    exc = refused("big.bpmn", content)
    [problem] = exc.problems
    assert f"over the limit of {MAX_BYTES} bytes" in problem["message"]
    assert problem["element"] is None


def test_invalid_utf8() -> None:
    content = load("invalid_utf8.bpmn")
    offset = content.index("审核".encode("gbk"))
    exc = refused("invalid_utf8.bpmn")
    [problem] = exc.problems
    assert f"not valid UTF-8: invalid byte at offset {offset}" in problem["message"]
    assert problem["line"] == line_of(content, 'name="')


def test_a_declared_encoding_is_read() -> None:
    text = load("simple.bpmn", "valid").decode("utf-8").replace('encoding="UTF-8"', 'encoding="GBK"', 1)
    tree, _ = validate(text.encode("gb18030"), "gbk.bpmn")
    assert tree.getroot().find(".//{*}userTask[@id='Task_review']").get("name") == "审核材料"


def test_bytes_that_do_not_decode_as_declared_are_refused_with_their_line() -> None:
    content = load("simple.bpmn", "valid").replace(b'encoding="UTF-8"', b'encoding="US-ASCII"', 1)
    exc = refused("ascii.bpmn", content)
    [problem] = exc.problems
    offset = content.index("社保".encode())
    assert (
        english(problem["message"]) == f"file is not valid US-ASCII: invalid byte at offset {offset} (line 9)"
    )
    assert problem["line"] == line_of(content, "社保")


def test_safe_parse_returns_a_tree() -> None:
    tree = safe_parse(load("simple.bpmn", "valid"), "simple.bpmn", MAX_BYTES)
    assert etree.QName(tree.getroot()).localname == "definitions"


# --- structure -------------------------------------------------------------------------------------


def test_not_bpmn() -> None:
    content = load("not_bpmn.bpmn")
    exc = refused("not_bpmn.bpmn")
    [problem] = exc.problems
    assert "not a BPMN 2.0 file" in problem["message"]
    assert problem["line"] == line_of(content, "<definitions")
    zh, en = parts(problem["message"])
    assert "不是 BPMN 2.0 文件" in zh and "namespace" not in zh  # the Chinese half is Chinese throughout
    assert en.startswith("not a BPMN 2.0 file")


def test_no_executable_process() -> None:
    content = load("no_executable_process.bpmn")
    exc = refused("no_executable_process.bpmn")
    [problem] = errors_of(exc)
    assert "no executable process" in problem["message"]
    assert problem["element"] == "Definitions_1"
    assert problem["line"] == line_of(content, 'id="Definitions_1"')


def test_unknown_element_type() -> None:
    content = load("unknown_element.bpmn")
    exc = refused("unknown_element.bpmn")
    [problem] = errors_of(exc)  # the flows touching it are not reported again
    assert problem["message"] == "不支持的元素 bpmn:complexGateway (unsupported element bpmn:complexGateway)"
    assert problem["element"] == "Gateway_complex"
    assert problem["line"] == line_of(content, "<bpmn:complexGateway")


def test_broken_sequence_flow() -> None:
    content = load("broken_sequence_flow.bpmn")
    exc = refused("broken_sequence_flow.bpmn")
    problem = problem_with(exc, "targetRef 'End_missing' does not exist")
    assert problem["element"] == "Flow_2"
    assert problem["line"] == line_of(content, 'id="Flow_2"')
    assert "broken_sequence_flow.bpmn" in exc.message


def test_node_without_outgoing_flow_is_an_implicit_end() -> None:
    content = load("no_outgoing_flow.bpmn")
    exc = refused("no_outgoing_flow.bpmn")  # the end event nothing leads to is the error
    assert [p["element"] for p in errors_of(exc)] == ["EndEvent_1"]
    problem = problem_with(exc, "has no outgoing sequence flow")
    assert problem["severity"] == "warning"
    assert problem["message"] == (
        "没有流出的顺序流，此路径到此结束（隐式结束） (has no outgoing sequence flow: its path ends there, an implicit end)"
    )
    assert problem["element"] == "Task_1"
    assert problem["line"] == line_of(content, 'id="Task_1"')
    _, warnings = validate(content.replace(b'<bpmn:endEvent id="EndEvent_1" />', b""))
    assert "implicit end" in " ".join(about(warnings, "Task_1"))


def test_a_gateway_must_lead_somewhere() -> None:
    content = load("no_outgoing_flow.bpmn").replace(b'<bpmn:endEvent id="EndEvent_1" />', b"")
    content = content.replace(b"<bpmn:task ", b"<bpmn:exclusiveGateway ").replace(
        b"</bpmn:task>", b"</bpmn:exclusiveGateway>"
    )
    exc = refused("g.bpmn", content)
    assert problem_with(exc, "gateway has no outgoing sequence flow")["element"] == "Task_1"


def test_duplicate_ids() -> None:
    content = load("duplicate_ids.bpmn")
    exc = refused("duplicate_ids.bpmn")
    first_line = line_of(content, 'id="Task_1"')
    problem = problem_with(exc, "duplicate id 'Task_1'")
    assert problem["element"] == "Task_1"
    assert problem["line"] == line_of(content, 'id="Task_1"', occurrence=2)
    assert f"first used by bpmn:task on line {first_line}" in problem["message"]


# --- expressions and timers ------------------------------------------------------------------------


def test_bad_condition_syntax() -> None:
    content = load("bad_condition.bpmn")
    exc = refused("bad_condition.bpmn")
    [problem] = errors_of(exc)
    assert english(problem["message"]).startswith("conditionExpression 'amount >> = 5': syntax error")
    assert problem["message"].startswith("conditionExpression 'amount >> = 5'：语法错误")
    assert problem["element"] == "Flow_bad"
    assert problem["line"] == line_of(content, "<bpmn:conditionExpression")


def test_bad_script_syntax() -> None:
    content = load("bad_script.bpmn")
    exc = refused("bad_script.bpmn")
    [problem] = errors_of(exc)
    assert english(problem["message"]).startswith("script: syntax error")
    assert problem["element"] == "Task_1"
    assert problem["line"] == line_of(content, "<bpmn:script>")


def test_script_with_import() -> None:
    content = load("script_import.bpmn")
    exc = refused("script_import.bpmn")
    [problem] = errors_of(exc)
    assert parts(problem["message"]) == ("脚本：不允许 import", "script: import is not allowed")
    assert problem["element"] == "Task_1"
    assert problem["line"] == line_of(content, "<bpmn:script>")


def test_bad_timer_iso_value() -> None:
    content = load("bad_timer.bpmn")
    exc = refused("bad_timer.bpmn")
    [problem] = errors_of(exc)
    assert "timer timeDuration 'PT30X' is not a valid ISO 8601 value" in problem["message"]
    assert '"PT30S"' in problem["message"]  # shows an example of a good value
    assert problem["element"] == "Timer_1"  # the event, not its invisible definition
    assert problem["line"] == line_of(content, "<bpmn:timeDuration")


def test_computed_timer_value_is_only_syntax_checked() -> None:
    content = load("bad_timer.bpmn").replace(b'"PT30X"', b"workdays(3)")
    _, warnings = validate(content)
    assert about(warnings, "Timer_1") == []


# --- lanes, windows and properties -----------------------------------------------------------------


def test_unknown_lane_window() -> None:
    content = load("unknown_lane_window.bpmn")
    exc = refused("unknown_lane_window.bpmn")
    [problem] = errors_of(exc)
    assert "lane 'lane_nosuch': unknown window 'nosuch'" in problem["message"]
    assert problem["element"] == "lane_nosuch"
    assert problem["line"] == line_of(content, '<bpmn:lane id="lane_nosuch"')


def test_lane_windows_not_checked_without_known_windows() -> None:
    _, warnings = validate(load("unknown_lane_window.bpmn"), known_windows=None)
    assert all("window" not in w.message for w in warnings)


@pytest.mark.parametrize("code", ["lead", "related"])
def test_dynamic_lane_codes_are_accepted(code: str) -> None:
    content = load("unknown_lane_window.bpmn").replace(b"lane_nosuch", f"lane_{code}".encode())
    _, warnings = validate(content)
    assert all("window" not in w.message for w in warnings)


@pytest.mark.parametrize("code", ["applicant", "system"])
def test_a_task_in_a_lane_that_names_no_window_goes_to_the_default_window(code: str) -> None:
    content = load("unknown_lane_window.bpmn").replace(b"lane_nosuch", f"lane_{code}".encode())
    _, warnings = validate(content)
    assert f"lane 'lane_{code}' names none): it goes to the default window 'centre'" in " ".join(
        about(warnings, "Task_1")
    )


def test_lane_code_in_the_wrong_case_gets_a_hint() -> None:
    content = load("unknown_lane_window.bpmn").replace(b"lane_nosuch", b"lane_SheBao")
    exc = refused("case.bpmn", content)
    assert "did you mean 'shebao'?" in errors_of(exc)[0]["message"]


@pytest.mark.parametrize("lane", ["Lane_0k2j3h4", "Lane_shebao", "LANE_x", "Lane0x1y2z3", "Participant_lane"])
def test_lanes_named_by_other_modelers_are_plain_lanes(lane: str) -> None:
    content = load("unknown_lane_window.bpmn").replace(b"lane_nosuch", lane.encode())
    _, warnings = validate(content)
    assert about(warnings, lane) == []
    [message] = [m for m in about(warnings, "Task_1") if "window" in m]
    assert message.startswith("任务未指定窗口，交给默认窗口 centre")
    assert (
        "task has no window (no lane_<code> lane names one): it goes to the default window 'centre'"
        in message
    )


def test_a_lane_names_its_window_by_property() -> None:
    content = load("unknown_lane_window.bpmn").replace(b"lane_nosuch", b"Lane_0k2j3h4")
    lane = '<bpmn:lane id="Lane_0k2j3h4" name="不存在的窗口">'.encode()
    content = content.replace(
        lane,
        lane
        + b'<bpmn:extensionElements><camunda:properties xmlns:camunda="http://camunda.org/schema/1.0/bpmn">'
        b'<camunda:property name="window" value="shebao"/></camunda:properties></bpmn:extensionElements>',
    )
    _, warnings = validate(content)
    assert [m for m in about(warnings, "Task_1") if "window" in m] == []
    exc = refused("lane.bpmn", content.replace(b'value="shebao"', b'value="nosuch"'))
    assert "lane 'Lane_0k2j3h4': unknown window 'nosuch'" in errors_of(exc)[0]["message"]


WINDOW_NAMES = {"shebao": "社保窗口", "gongshang": "工商窗口", "minzheng": "民政窗口", "centre": "中心"}


def named_lane(name: str) -> bytes:
    """The one-lane diagram with bpmn.io's lane id and the lane named ``name``."""
    content = load("unknown_lane_window.bpmn").replace(b"lane_nosuch", b"Lane_0k2j3h4")
    return content.replace('name="不存在的窗口"'.encode(), f'name="{name}"'.encode())


@pytest.mark.parametrize("name", ["社保窗口", " 社保窗口　", "shebao", "　shebao "])
def test_a_lane_names_its_window_by_its_name(name: str) -> None:
    _, warnings = validate(named_lane(name), window_names=WINDOW_NAMES)
    assert [m for m in about(warnings, "Task_1") if "window" in m] == []
    assert about(warnings, "Lane_0k2j3h4") == []


def test_a_lane_name_matching_no_window_leaves_a_plain_lane() -> None:
    _, warnings = validate(named_lane("财务科"), window_names=WINDOW_NAMES)
    [message] = [m for m in about(warnings, "Task_1") if "window" in m]
    assert (
        "lane 'Lane_0k2j3h4': its name '财务科' is no window's name or code): it goes to the default window 'centre'"
        in message
    )
    assert "默认窗口 centre（泳道 'Lane_0k2j3h4' 的名称 '财务科' 不是任何窗口的名称或代码）" in message
    _, warnings = validate(named_lane("社保窗口"))  # no names given: names choose nothing
    assert "it goes to the default window 'centre'" in " ".join(about(warnings, "Task_1"))


def test_a_lane_name_matching_several_windows_is_reported() -> None:
    names = {**WINDOW_NAMES, "yibao": "shebao"}  # one window's code is another's name
    _, warnings = validate(named_lane("shebao"), known_windows={*KNOWN_WINDOWS, "yibao"}, window_names=names)
    [message] = about(warnings, "Lane_0k2j3h4")
    assert "matches several windows (shebao, yibao), so it chooses none" in message
    assert "对应多个窗口" in message
    assert "it goes to the default window 'centre'" in " ".join(about(warnings, "Task_1"))


CLOSED = {"yibao": "医保窗口"}


def test_a_lane_name_matching_only_a_closed_window_is_refused_as_closed() -> None:
    exc = refused("lane.bpmn", named_lane("医保窗口"), window_names=WINDOW_NAMES, closed_windows=CLOSED)
    [error] = errors_of(exc)
    assert error["element"] == "Lane_0k2j3h4"
    assert error["message"].startswith("泳道「医保窗口」对应的窗口已关闭（yibao）")
    assert "lane 'Lane_0k2j3h4': the window its name '医保窗口' names is closed (yibao)" in error["message"]
    # the task's default-window warning does not call the name no window's
    assert "no window's name" not in " ".join(p["message"] for p in exc.problems)
    refused("lane.bpmn", named_lane("yibao"), window_names=WINDOW_NAMES, closed_windows=CLOSED)
    # an active window of the same name wins: the closed one is not meant
    _, warnings = validate(
        named_lane("医保窗口"),
        window_names={**WINDOW_NAMES, "yb2": "医保窗口"},
        known_windows={*KNOWN_WINDOWS, "yb2"},
        closed_windows=CLOSED,
    )
    assert about(warnings, "Lane_0k2j3h4") == []


@pytest.mark.parametrize("where", ["lane_yibao", "property"])
def test_a_code_naming_a_closed_window_is_refused_as_closed(where: str) -> None:
    content = load("unknown_lane_window.bpmn").replace(b"lane_nosuch", b"lane_yibao")
    if where == "property":
        content = content.replace(b"lane_yibao", b"Lane_0k2j3h4")
        lane = '<bpmn:lane id="Lane_0k2j3h4" name="不存在的窗口">'.encode()
        content = content.replace(
            lane,
            lane
            + b'<bpmn:extensionElements><camunda:properties xmlns:camunda="http://camunda.org/schema/1.0/bpmn">'
            b'<camunda:property name="window" value="yibao"/></camunda:properties></bpmn:extensionElements>',
        )
    exc = refused("lane.bpmn", content, closed_windows=CLOSED)
    [error] = errors_of(exc)
    assert "窗口 'yibao'（医保窗口）已关闭" in error["message"]
    assert "window 'yibao' (医保窗口) is closed; reopen it or choose another window" in error["message"]
    assert "unknown window" not in error["message"]


def test_a_lane_id_or_property_wins_over_its_name() -> None:
    content = load("unknown_lane_window.bpmn").replace(b"lane_nosuch", b"lane_gongshang")
    content = content.replace('name="不存在的窗口"'.encode(), 'name="社保窗口"'.encode())
    _, warnings = validate(content, window_names=WINDOW_NAMES)
    assert [m for m in about(warnings, "Task_1") if "window" in m] == []
    from runner.core.conventions import node_windows

    assert node_windows(etree.fromstring(content), WINDOW_NAMES)["item/Task_1"] == "gongshang"
    assert node_windows(etree.fromstring(named_lane("社保窗口")), WINDOW_NAMES)["item/Task_1"] == "shebao"
    assert "item/Task_1" not in node_windows(etree.fromstring(named_lane("社保窗口")))


def test_the_default_window_is_the_deployers_or_the_processs() -> None:
    content = load("unknown_lane_window.bpmn").replace(b"lane_nosuch", b"Lane_1")
    _, warnings = validate(content, default_window="minzheng")
    assert "it goes to the default window 'minzheng'" in " ".join(about(warnings, "Task_1"))
    exc = refused("d.bpmn", content, default_window="nosuch")
    assert "the deployment's default window: unknown window 'nosuch'" in errors_of(exc)[0]["message"]
    own = content.replace(
        b'isExecutable="true">',
        b'isExecutable="true"><bpmn:extensionElements><spiffworkflow:properties>'
        b'<spiffworkflow:property name="defaultWindow" value="gongshang"/></spiffworkflow:properties>'
        b"</bpmn:extensionElements>",
        1,
    )
    _, warnings = validate(own)
    assert "it goes to the default window 'gongshang'" in " ".join(about(warnings, "Task_1"))
    _, warnings = validate(own, default_window="minzheng")  # the deployer's choice wins
    assert "it goes to the default window 'minzheng'" in " ".join(about(warnings, "Task_1"))
    exc = refused("d.bpmn", content, known_windows={"shebao"})
    assert "the default window 'centre' is unknown" in errors_of(exc)[0]["message"]


def test_bad_on_timeout() -> None:
    content = load("bad_on_timeout.bpmn")
    exc = refused("bad_on_timeout.bpmn")
    [problem] = errors_of(exc)
    assert problem["message"] == (
        "onTimeout 'approve' 不是可选值之一 (onTimeout 'approve' is not one of: deemed_assent, escalate)"
    )
    assert problem["element"] == "Task_1"
    assert problem["line"] == line_of(content, 'name="onTimeout"')


@pytest.mark.parametrize(
    ("fixture", "message", "element", "needle"),
    [
        (
            "flow_not_listed.bpmn",
            "sequence flow 'Flow_2' is not listed in its bpmn:outgoing",
            "Task_1",
            'id="Task_1"',
        ),
        (
            "task_splits.bpmn",
            "has 2 outgoing sequence flows; only gateways may split",
            "Task_1",
            'id="Task_1"',
        ),
        (
            "call_activity_without_called_element.bpmn",
            "callActivity has no calledElement",
            "Task_1",
            'id="Task_1"',
        ),
        ("unknown_item_kind.bpmn", "itemKind '加急件' is not one of", "item", 'name="itemKind"'),
        (
            "bad_promised_days.bpmn",
            "promisedDays 'five' is not a whole number",
            "item",
            'name="promisedDays"',
        ),
        ("unknown_lead_window.bpmn", "leadWindow: unknown window 'nosuch'", "item", 'name="leadWindow"'),
        (
            "unknown_window_property.bpmn",
            "property window: unknown window 'nosuch'",
            "Task_1",
            'name="window"',
        ),
        (
            "bad_limit_days.bpmn",
            "limitDays '3 +' is neither a whole number nor an expression",
            "Task_1",
            "limitDays",
        ),
        ("bad_window_expr.bpmn", "windowExpr 'windows[': syntax error", "Task_1", 'name="windowExpr"'),
        ("bad_pre_script.bpmn", "preScript: syntax error", "Task_1", "<spiffworkflow:preScript>"),
        ("timer_date_is_duration.bpmn", "timeDate 'PT30S' is a duration", "Timer_1", "<bpmn:timeDate"),
        (
            "bad_timer_cycle.bpmn",
            "timeCycle 'every hour' is not a valid ISO 8601",
            "Timer_1",
            "<bpmn:timeCycle",
        ),
        (
            "gateway_flow_without_condition.bpmn",
            "sequence flow leaves a gateway with no condition and is not its default",
            "Flow_2",
            '<bpmn:sequenceFlow id="Flow_2"',
        ),
        (
            "foreign_element.bpmn",
            "element spiffworkflow:preScript is only allowed inside bpmn:extensionElements",
            "Task_1",
            "<spiffworkflow:preScript>",
        ),
    ],
)
def test_other_checks(fixture: str, message: str, element: str, needle: str) -> None:
    content = load(fixture)
    exc = refused(fixture)
    problem = problem_with(exc, message)
    assert problem["severity"] == "error"
    assert problem["element"] == element
    assert problem["line"] == line_of(content, needle)


# --- the good diagram ------------------------------------------------------------------------------


def test_valid_diagram_passes_with_its_warnings() -> None:
    content = load("simple.bpmn", "valid")
    tree, warnings = validate(content, "simple.bpmn")
    line = line_of(content, 'id="Task_notify"')
    where = f"simple.bpmn:{line} [Task_notify]"
    assert [str(w) for w in warnings] == [
        f"{where} warning: 任务未指定表单，使用通用办理表单 generic_task（任务名称与说明、办件数据、办理意见、是否同意） "
        "(task has no formKey: it gets the generic task form 'generic_task': its name and documentation, the "
        "item's data, an opinion and approved yes/no)",
        f"{where} warning: 任务未指定窗口，交给默认窗口 centre (task has no window (no lane_<code> lane names one): it "
        "goes to the default window 'centre'; put it in a lane_<code> lane or set window/windowExpr to choose "
        "another)",
    ]
    assert all(w.severity == "warning" for w in warnings)
    assert executable_process_ids(tree) == ["simple_item"]
    assert process_properties(tree) == {
        "simple_item": {
            "itemKind": "承诺件",
            "promisedDays": "5",
            "statutoryDays": "20",
            "leadWindow": "shebao",
            "upperApproval": "false",
        }
    }


def test_valid_diagram_parses_with_spiffworkflow() -> None:
    parser = SpiffBpmnParser(validator=VALIDATOR)  # also checks it against the BPMN XSD
    parser.add_bpmn_str(load("simple.bpmn", "valid"))
    spec = parser.get_spec("simple_item")
    assert "Task_review" in spec.task_specs
    assert spec.task_specs["Task_review"].lane == "社保窗口"


def test_check_diagram_lists_errors_and_warnings_together() -> None:
    content = load("simple.bpmn", "valid").replace(b'value="deemed_assent"', b'value="later"')
    tree = safe_parse(content, "simple.bpmn", MAX_BYTES)
    problems = check_diagram(
        tree, "simple.bpmn", known_windows=KNOWN_WINDOWS, check_expression=check_expression
    )
    assert [p.severity for p in problems] == ["error", "warning", "warning"]
    exc = refused("simple.bpmn", content)
    assert english(exc.message).startswith("simple.bpmn: 1 error; first: simple.bpmn:")
    assert exc.message.startswith("simple.bpmn：1 处错误，第一处：simple.bpmn:")
    assert len(exc.problems) == 3  # warnings travel with the errors
    assert exc.to_dict()["problems"] == [p.to_dict() for p in problems]


def test_problem_str_and_dict() -> None:
    problem = Problem("chengnuo.bpmn", "Task_review", 42, "message")
    assert str(problem) == "chengnuo.bpmn:42 [Task_review] message"
    assert str(Problem("chengnuo.bpmn", None, None, "bad")) == "chengnuo.bpmn bad"
    assert problem.to_dict() == {
        "file": "chengnuo.bpmn",
        "element": "Task_review",
        "line": 42,
        "message": "message",
        "severity": "error",
    }


def test_timer_date_without_offset_is_a_warning() -> None:
    content = load("timer_date_is_duration.bpmn").replace(b'"PT30S"', b'"2026-10-09T09:00:00"')
    _, warnings = validate(content)
    [warning] = about(warnings, "Timer_1")
    assert "has no UTC offset" in warning
    content = content.replace(b'"2026-10-09T09:00:00"', b'"2026-10-09T09:00:00+08:00"')
    assert about(validate(content)[1], "Timer_1") == []


def test_task_in_a_subprocess_takes_the_lane_of_the_subprocess() -> None:
    content = load("unknown_lane_window.bpmn").replace(b"lane_nosuch", b"lane_shebao")
    start = content.index(b'<bpmn:userTask id="Task_1">')
    end = content.index(b"</bpmn:userTask>") + len(b"</bpmn:userTask>")
    subprocess = """<bpmn:subProcess id="Task_1">
      <bpmn:incoming>Flow_1</bpmn:incoming>
      <bpmn:outgoing>Flow_2</bpmn:outgoing>
      <bpmn:startEvent id="Sub_start" />
      <bpmn:sequenceFlow id="Sub_f1" sourceRef="Sub_start" targetRef="Sub_task" />
      <bpmn:userTask id="Sub_task" />
      <bpmn:sequenceFlow id="Sub_f2" sourceRef="Sub_task" targetRef="Sub_end" />
      <bpmn:endEvent id="Sub_end" />
    </bpmn:subProcess>"""
    content = content[:start] + subprocess.encode() + content[end:]
    _, warnings = validate(content)
    assert [(w.element, w.message[:40]) for w in warnings] == [
        ("Sub_task", "任务未指定表单，使用通用办理表单 generic_task（任务名称与说明、办件")
    ]


@pytest.mark.parametrize("ident", ["Start", "End", "Root"])
def test_ids_the_engine_uses_for_its_own_tasks_are_refused(ident: str) -> None:
    content = load("simple.bpmn", "valid")
    first_id = re.search(rb'<bpmn:startEvent id="([^"]+)"', content).group(1)
    content = content.replace(b'"' + first_id + b'"', f'"{ident}"'.encode())
    exc = refused("reserved.bpmn", content)
    assert any(f"id {ident!r} is reserved by the engine" in p["message"] for p in exc.problems)


def test_a_doctype_in_a_wide_encoding_is_still_refused() -> None:
    content = load("xxe.bpmn").decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
    exc = refused("xxe16.bpmn", content.encode("utf-16"))
    [problem] = exc.problems
    assert "DOCTYPE declarations are not allowed" in problem["message"]
    assert problem["line"] == 2

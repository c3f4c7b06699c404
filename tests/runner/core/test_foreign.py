"""Tests for runner.core.foreign and the checks it feeds: what Camunda Modeler, Activiti/Flowable and bpmn.io write is
taken over as the platform's properties, or reported element by element; JUEL/FEEL is refused with a hint."""

from __future__ import annotations

from typing import Any

import pytest
from lxml import etree

from runner.core.foreign import adopt, quote_timer_literal
from runner.core.scripts import check_source
from runner.core.validation import Problem, validate_bpmn
from runner.exceptions import DiagramInvalid

CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
HEAD = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="{CAMUNDA}"
    xmlns:activiti="http://activiti.org/bpmn" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
    xmlns:adonis="http://www.boc-group.com" xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="x">"""
WINDOWS = {"centre", "shebao", "minzheng"}
FORMS = {"generic_task", "review"}


def diagram(
    task: str, *, flows: str = "", extra: str = "", process: str = 'id="p" isExecutable="true"'
) -> bytes:
    """start → ``task`` (id ``t``) → end."""
    body = flows or (
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/><bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>'
    )
    return f"""{HEAD}{extra}
  <bpmn:process {process}>
    <bpmn:startEvent id="s"/>
    {task}
    <bpmn:endEvent id="e"/>
    {body}
  </bpmn:process>
</bpmn:definitions>""".encode()


def validate(content: bytes) -> tuple[Any, list[Problem]]:
    return validate_bpmn(
        content,
        "f.bpmn",
        max_bytes=10**7,
        known_windows=WINDOWS,
        check_expression=check_source,
        known_forms=FORMS,
    )


def refused(content: bytes) -> list[dict[str, Any]]:
    with pytest.raises(DiagramInvalid) as caught:
        validate(content)
    return [p for p in caught.value.problems if p["severity"] == "error"]


def properties(tree: Any, element: str = "t") -> dict[str, str]:
    task = tree.getroot().find(f".//*[@id='{element}']")
    found = task.iterfind(".//{http://spiffworkflow.org/bpmn/schema/1.0/core}property")
    return {p.get("name"): p.get("value") for p in found}


def messages(warnings: list[Problem], element: str = "t") -> str:
    return " | ".join(w.message for w in warnings if w.element == element)


def test_camunda_user_task_attributes_become_platform_properties() -> None:
    task = """<bpmn:userTask id="t" name="审核" camunda:candidateGroups="shebao" camunda:assignee="zhang"
      camunda:formKey="review" camunda:dueDate="2026-12-31T17:00:00+08:00" camunda:priority="50"/>"""
    tree, warnings = validate(diagram(task))
    assert properties(tree) == {
        "window": "shebao",
        "assignee": "zhang",
        "formKey": "review",
        "dueExpr": "'2026-12-31T17:00:00+08:00'",
    }
    assert (
        messages(warnings)
        == "平台不使用 camunda:priority='50' (camunda:priority='50' is not used by the platform)"
    )


def test_activiti_and_flowable_attributes_are_read_the_same_way() -> None:
    tree, _ = validate(diagram('<bpmn:userTask id="t" activiti:candidateGroups="minzheng,shebao"/>'))
    assert properties(tree)["window"] == "minzheng"


def test_what_camunda_names_is_checked_as_the_platform_names_it() -> None:
    [problem] = refused(diagram('<bpmn:userTask id="t" camunda:candidateGroups="nosuch"/>'))
    assert problem["element"] == "t" and problem["line"] == 8
    assert problem["message"].startswith("camunda:candidateGroups：未知窗口 'nosuch'（已有窗口：")
    assert "camunda:candidateGroups: unknown window 'nosuch'" in problem["message"]
    [problem] = refused(diagram('<bpmn:userTask id="t" camunda:formKey="embedded:app:forms/x.html"/>'))
    assert (
        problem["line"] == 8
        and "camunda:formKey 'embedded:app:forms/x.html' names no form schema" in problem["message"]
    )


@pytest.mark.parametrize(
    ("attribute", "hint"),
    [
        ('camunda:candidateGroups="${dept}"', "windowExpr"),
        ('camunda:assignee="${initiator}"', "assignee"),
        ('camunda:dueDate="${dateTime().plusDays(3).toDate()}"', "workdays(3)"),
    ],
)
def test_juel_in_attributes_is_refused_with_a_hint(attribute: str, hint: str) -> None:
    [problem] = refused(diagram(f'<bpmn:userTask id="t" {attribute}/>'))
    assert problem["element"] == "t" and problem["line"] == 8
    assert (
        "is a JUEL expression, which the platform does not run" in problem["message"]
        and hint in problem["message"]
    )


@pytest.mark.parametrize(
    ("source", "kind"), [("${approved}", "JUEL"), ("#{amount > 5}", "JUEL"), ("=approved", "FEEL")]
)
def test_juel_and_feel_conditions_are_refused_with_their_line_and_the_python_hint(
    source: str, kind: str
) -> None:
    flows = f"""<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>
    <bpmn:exclusiveGateway id="t" default="f3"/>
    <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{source}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f3" sourceRef="t" targetRef="e"/>"""
    [problem] = refused(diagram("", flows=flows))
    assert problem["element"] == "f2" and problem["line"] == 13
    assert f"is a {kind} expression, which the platform does not run" in problem["message"]
    assert "Python expressions over the item's data, e.g. approved" in problem["message"]


def test_scripts_in_another_language_are_refused() -> None:
    task = '<bpmn:scriptTask id="t" scriptFormat="javascript"><bpmn:script>var x = 1;</bpmn:script></bpmn:scriptTask>'
    problems = refused(diagram(task))
    assert any("scriptFormat 'javascript' is not supported" in p["message"] for p in problems)
    tree, _ = validate(diagram(task.replace("javascript", "python").replace("var x = 1;", "x = 1")))


def test_extension_elements_ids_are_not_bpmn_ids() -> None:
    task = """<bpmn:userTask id="t" adonis:target="description"><bpmn:extensionElements>
      <camunda:properties>
        <camunda:property id="description" name="limitDays" value="2"/>
        <camunda:property id="description" name="note" value="x"/>
      </camunda:properties></bpmn:extensionElements></bpmn:userTask>
    <bpmn:textAnnotation id="description"/>"""
    tree, warnings = validate(diagram(task))
    assert properties(tree)["limitDays"] == "2"
    assert "camunda:property 'note' 不是平台的属性" in messages(warnings)
    assert not any("duplicate id" in w.message for w in warnings)
    assert refused(diagram(task.replace('<bpmn:textAnnotation id="description"/>', '<bpmn:task id="t"/>')))


def test_the_elements_own_properties_win() -> None:
    task = """<bpmn:userTask id="t" camunda:formKey="review"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="formKey" value="generic_task"/></spiffworkflow:properties>
      </bpmn:extensionElements></bpmn:userTask>"""
    tree, warnings = validate(diagram(task))
    assert properties(tree)["formKey"] == "generic_task"
    assert "camunda:formKey 未使用：以元素自身的属性 formKey 为准" in messages(warnings)


@pytest.mark.parametrize("collection", ["experts", "${experts}", "${ experts }"])
def test_a_camunda_multi_instance_reads_its_collection(collection: str) -> None:
    """The Modeler's ``${experts}`` (Camunda 7's usual spelling) was refused as JUEL."""
    task = f"""<bpmn:userTask id="t"><bpmn:multiInstanceLoopCharacteristics camunda:collection="{collection}"
      camunda:elementVariable="expert"/></bpmn:userTask>"""
    tree, _ = validate(diagram(task))
    loop = tree.getroot().find(".//{*}multiInstanceLoopCharacteristics")
    assert loop.findtext("{*}loopDataInputRef") == "experts"
    assert loop.find("{*}inputDataItem").get("name") == "expert"


def test_a_camunda_multi_instance_over_a_juel_expression_is_refused() -> None:
    task = """<bpmn:userTask id="t"><bpmn:multiInstanceLoopCharacteristics
      camunda:collection="${experts.subList(0, 2)}" camunda:elementVariable="expert"/></bpmn:userTask>"""
    [problem] = refused(diagram(task))
    assert "camunda:collection" in problem["message"] and "is a JUEL expression" in problem["message"]


def test_a_camunda_8_multi_instance_reads_its_collection() -> None:
    task = """<bpmn:userTask id="t"><bpmn:multiInstanceLoopCharacteristics><bpmn:extensionElements>
      <zeebe:loopCharacteristics inputCollection="=experts" inputElement="expert" outputCollection="=opinions"/>
      </bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>"""
    tree, warnings = validate(diagram(task))
    loop = tree.getroot().find(".//{*}multiInstanceLoopCharacteristics")
    assert loop.findtext("{*}loopDataInputRef") == "experts"
    assert loop.find("{*}inputDataItem").get("name") == "expert"
    assert not any(w.severity == "error" for w in warnings)


def test_a_camunda_8_multi_instance_over_a_feel_expression_is_refused_in_both_languages() -> None:
    task = """<bpmn:userTask id="t"><bpmn:multiInstanceLoopCharacteristics><bpmn:extensionElements>
      <zeebe:loopCharacteristics inputCollection="=append(experts, chief)" inputElement="expert"/>
      </bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>"""
    [problem] = refused(diagram(task))
    assert problem["line"] and "是 FEEL 表达式，平台不执行" in problem["message"]
    assert "is a FEEL expression, which the platform does not run" in problem["message"]


@pytest.mark.parametrize("process_id", ["callee", "=callee"])
def test_a_camunda_8_call_activity_reads_its_process(process_id: str) -> None:
    task = f"""<bpmn:callActivity id="t"><bpmn:extensionElements>
      <zeebe:calledElement processId="{process_id}" propagateAllChildVariables="false"/>
      </bpmn:extensionElements></bpmn:callActivity>"""
    tree, warnings = validate(diagram(task))
    assert tree.getroot().find(".//*[@id='t']").get("calledElement") == "callee"
    assert "zeebe:calledElement" not in messages(warnings)


def test_a_service_task_without_implementation_passes() -> None:
    tree, warnings = validate(
        diagram('<bpmn:serviceTask id="t" camunda:type="external" camunda:topic="cards"/>')
    )
    assert etree.QName(tree.getroot().find(".//*[@id='t']")).localname == "scriptTask"
    assert "the step passes through doing nothing" in messages(warnings)
    assert "camunda:topic='cards' is not used by the platform" in messages(warnings)


def zeebe_task(assignment: str) -> bytes:
    return diagram(
        f"""<bpmn:userTask id="t"><bpmn:extensionElements>
      <zeebe:assignmentDefinition {assignment}/></bpmn:extensionElements></bpmn:userTask>"""
    )


@pytest.mark.parametrize(
    ("assignment", "expected"),
    [
        ('candidateGroups="shebao"', {"window": "shebao"}),
        ('candidateGroups="=&quot;shebao&quot;"', {"window": "shebao"}),
        ('candidateGroups="=[&quot;minzheng&quot;, &quot;shebao&quot;]"', {"window": "minzheng"}),
        ('assignee="zhang" candidateGroups="shebao"', {"window": "shebao", "assignee": "zhang"}),
        ('candidateUsers="=[&quot;li&quot;]"', {"assignee": "li"}),
    ],
)
def test_a_camunda_8_assignment_names_the_window_and_the_user(
    assignment: str, expected: dict[str, str]
) -> None:
    tree, warnings = validate(zeebe_task(assignment))
    assert properties(tree) == expected
    assert "is not used" not in messages(warnings)


def test_a_camunda_8_assignment_by_feel_expression_is_refused_in_both_languages() -> None:
    [problem] = refused(zeebe_task('candidateGroups="=if x then &quot;a&quot; else &quot;b&quot;"'))
    assert problem["element"] == "t"
    assert "是 FEEL 表达式，平台不执行" in problem["message"]
    assert "is a FEEL expression, which the platform does not run" in problem["message"]
    [problem] = refused(zeebe_task('candidateGroups="nosuch"'))
    assert "zeebe:candidateGroups: unknown window 'nosuch'" in problem["message"]


def test_camunda_8_candidate_users_beside_an_assignee_are_reported() -> None:
    tree, warnings = validate(zeebe_task('assignee="zhang" candidateUsers="li,wang"'))
    assert properties(tree) == {"assignee": "zhang"}
    assert "zeebe:assignmentDefinition candidateUsers is not used: the assignee applies" in messages(warnings)


@pytest.mark.parametrize(
    ("kind", "text", "stored"),
    [
        ("timeDuration", "PT5M", "'PT5M'"),
        ("timeDuration", "P10D", "'P10D'"),
        ("timeCycle", "R3/PT1H", "'R3/PT1H'"),
        ("timeDate", "2026-10-09T09:00:00+08:00", "'2026-10-09T09:00:00+08:00'"),
        ("timeDuration", '"PT5M"', '"PT5M"'),  # already the platform's
        ("timeDuration", "workdays(3)", "workdays(3)"),
        ("timeDuration", "${delay}", "${delay}"),  # left for the check to refuse
    ],
)
def test_bare_iso_timer_values_become_python_strings(kind: str, text: str, stored: str) -> None:
    body = etree.fromstring(
        f'<bpmn:{kind} xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">{text}</bpmn:{kind}>'
    )
    quote_timer_literal(body)
    assert body.text == stored


def test_a_lone_process_not_marked_executable_is_run() -> None:
    content = diagram('<bpmn:task id="t"/>', process='id="p" isExecutable="false"')
    tree, warnings = validate(content)
    assert tree.getroot().find("{*}process").get("isExecutable") == "true"
    assert "deployed as executable" in messages(warnings, "p")
    two = content.replace(
        b"</bpmn:definitions>", b'<bpmn:process id="q" isExecutable="false"/></bpmn:definitions>'
    )
    assert any("no executable process" in p["message"] for p in refused(two))


def test_adopting_twice_changes_nothing_more() -> None:
    root = etree.fromstring(diagram('<bpmn:userTask id="t" camunda:candidateGroups="shebao"/>'))
    adopt(root)
    once = etree.tostring(root)
    adopt(root)
    assert etree.tostring(root) == once


@pytest.mark.parametrize(
    "task",
    [
        '<bpmn:intermediateCatchEvent id="t"><bpmn:messageEventDefinition id="d1"/></bpmn:intermediateCatchEvent>',
        '<bpmn:intermediateCatchEvent id="t"><bpmn:signalEventDefinition id="d1"/></bpmn:intermediateCatchEvent>',
        '<bpmn:receiveTask id="t"/>',
        '<bpmn:userTask id="t" camunda:candidateGroups="shebao"/><bpmn:boundaryEvent id="b" attachedToRef="t">'
        '<bpmn:messageEventDefinition id="d1"/></bpmn:boundaryEvent>',
    ],
)
def test_what_waits_for_a_nameless_message_or_signal_is_refused(task: str) -> None:
    """bpmn.io leaves the message (signal) of a catching event or receive task unchosen: refused by name."""
    [problem] = refused(diagram(task))
    assert problem["element"] in ("t", "b") and problem["line"]
    assert (
        "没有" in problem["message"] and "has no" in problem["message"] and "waits for" in problem["message"]
    )


def test_a_nameless_message_thrown_or_sent_passes() -> None:
    """A send task or throwing event without a message is only a marker in bpmn.io drawings: not refused."""
    validate(diagram('<bpmn:sendTask id="t"/>'))
    validate(
        diagram(
            '<bpmn:intermediateThrowEvent id="t"><bpmn:messageEventDefinition id="d1"/></bpmn:intermediateThrowEvent>'
        )
    )


def zeebe_form(form: str) -> bytes:
    return diagram(
        f"""<bpmn:userTask id="t"><bpmn:extensionElements><zeebe:formDefinition {form}/>
      <zeebe:assignmentDefinition candidateGroups="shebao"/></bpmn:extensionElements></bpmn:userTask>"""
    )


@pytest.mark.parametrize("form", ['formId="review"', 'formKey="review"', 'formKey="=&quot;review&quot;"'])
def test_a_camunda_8_form_definition_names_the_platform_form(form: str) -> None:
    """Camunda 8 names a user task's form in zeebe:formDefinition: it was dropped ("not used") and the task
    silently got the generic form instead of the one drawn."""
    tree, warnings = validate(zeebe_form(form))
    assert properties(tree) == {"window": "shebao", "formKey": "review"}
    assert "not used" not in messages(warnings) and "generic task form" not in messages(warnings)


def test_a_camunda_8_form_definition_is_checked_as_the_platform_checks_forms() -> None:
    [problem] = refused(zeebe_form('formId="nosuch"'))
    assert problem["element"] == "t" and "nosuch" in problem["message"]
    [problem] = refused(zeebe_form('formKey="=if x then &quot;a&quot; else &quot;b&quot;"'))
    assert "是 FEEL 表达式" in problem["message"] and "is a FEEL expression" in problem["message"]
    _, warnings = validate(zeebe_form('formKey="camunda-forms:bpmn:UserTaskForm_1"'))
    assert "嵌在流程图中的 Camunda 表单" in messages(warnings)
    assert "embedded in the diagram, not used by the platform" in messages(warnings)


@pytest.mark.parametrize("cron", ["0 0 9 * * ?", "0 9 * * MON-FRI", "0 0/30 8-17 ? * MON-FRI 2026"])
def test_a_cron_timer_cycle_is_refused_as_cron_with_the_iso_hint(cron: str) -> None:
    """Camunda 7 takes a cron line as a timeCycle: it was refused as a Python "syntax error"."""
    task = f"""<bpmn:intermediateCatchEvent id="t"><bpmn:timerEventDefinition>
      <bpmn:timeCycle>{cron}</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"""
    [problem] = refused(diagram(task))
    assert problem["element"] == "t"
    assert "是 cron 表达式，平台不支持" in problem["message"] and "is a cron expression" in problem["message"]
    assert "R3/PT1H" in problem["message"] and "syntax error" not in problem["message"]


@pytest.mark.parametrize(
    ("split", "source"),
    [
        ("", "s"),  # two conditional flows straight out of the start event
        ('<bpmn:parallelGateway id="g"/>', "g"),
        ('<bpmn:eventBasedGateway id="g"/>', "g"),
    ],
)
def test_a_condition_where_it_would_be_ignored_is_refused(split: str, source: str) -> None:
    """A condition only counts on a flow out of an exclusive or inclusive gateway; elsewhere the flow was
    always taken, whatever the condition said (the wrong branch ran)."""
    into = '<bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="g"/>' if split else ""
    flows = f"""{split}{into}
    <bpmn:sequenceFlow id="f1" sourceRef="{source}" targetRef="e">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">approved</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f2" sourceRef="{source}" targetRef="t"/>
    <bpmn:sequenceFlow id="f3" sourceRef="t" targetRef="e"/>"""
    problems = refused(diagram('<bpmn:userTask id="t" camunda:candidateGroups="shebao"/>', flows=flows))
    [problem] = [p for p in problems if p["element"] == "f1"]
    assert "条件不会生效" in problem["message"] and "where a condition is ignored" in problem["message"]


def test_a_camunda_8_user_task_marker_is_no_warning() -> None:
    """Camunda Modeler 8.5+ marks every user task it draws with ``<zeebe:userTask/>`` (a task the engine, not a
    job worker, runs): that is what a platform user task is, so it is no "not used" warning on every task."""
    tree, warnings = validate(
        diagram(
            """<bpmn:userTask id="t"><bpmn:extensionElements><zeebe:userTask/>
      <zeebe:assignmentDefinition candidateGroups="shebao"/></bpmn:extensionElements></bpmn:userTask>"""
        )
    )
    assert properties(tree) == {"window": "shebao"}
    assert "zeebe:userTask" not in messages(warnings)


def camunda_io(parameters: str, own: str = "") -> bytes:
    return diagram(
        f"""<bpmn:userTask id="t" camunda:candidateGroups="shebao"><bpmn:extensionElements>{own}
      <camunda:inputOutput>{parameters}</camunda:inputOutput></bpmn:extensionElements></bpmn:userTask>"""
    )


def scripts(tree: Any, element: str = "t") -> tuple[str, str]:
    task = tree.getroot().find(f".//*[@id='{element}']")
    spiff = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
    pre, post = task.find(f".//{spiff}preScript"), task.find(f".//{spiff}postScript")
    return (pre.text if pre is not None else ""), (post.text if post is not None else "")


def test_camunda_7_input_output_parameters_become_pre_and_post_scripts() -> None:
    """They were dropped ("camunda:inputOutput is not used"): a later condition on an output failed at run time."""
    tree, warnings = validate(
        camunda_io(
            '<camunda:inputParameter name="kind">社保</camunda:inputParameter>'
            '<camunda:inputParameter name="nothing"/>'
            '<camunda:outputParameter name="passed">${approved}</camunda:outputParameter>'
        )
    )
    pre, post = scripts(tree)
    assert (
        "kind = '社保'" in pre
        and "nothing = None" in pre
        and "passed = io_out_0" in post
        and "io_out_0 = approved" in post
    )
    assert "not used" not in messages(warnings)


def test_camunda_8_io_mapping_becomes_pre_and_post_scripts() -> None:
    tree, warnings = validate(
        diagram(
            """<bpmn:userTask id="t"><bpmn:extensionElements>
      <zeebe:assignmentDefinition candidateGroups="shebao"/><zeebe:ioMapping>
      <zeebe:input source="=&quot;社保&quot;" target="kind"/><zeebe:input source="=5" target="n"/>
      <zeebe:output source="=approved" target="passed"/><zeebe:output source="=true" target="seen"/>
      </zeebe:ioMapping></bpmn:extensionElements></bpmn:userTask>"""
        )
    )
    pre, post = scripts(tree)
    assert 'kind = "社保"' in pre and "n = 5" in pre
    assert "io_out_0 = approved" in post and "io_out_1 = True" in post and "seen = io_out_1" in post
    assert "not used" not in messages(warnings)


@pytest.mark.parametrize(
    ("parameter", "shown"),
    [
        ('<camunda:inputParameter name="sum">${a + b}</camunda:inputParameter>', "${a + b}"),
        ('<camunda:outputParameter name="x">${s.trim()}</camunda:outputParameter>', "${s.trim()}"),
        (
            '<camunda:inputParameter name="l"><camunda:list><camunda:value>a</camunda:value>'
            "</camunda:list></camunda:inputParameter>",
            "camunda:list",
        ),
        (
            '<camunda:inputParameter name="l"><camunda:script scriptFormat="groovy">1</camunda:script>'
            "</camunda:inputParameter>",
            "camunda:script",
        ),
    ],
)
def test_a_camunda_7_mapping_the_platform_cannot_run_is_refused_by_task_and_parameter(
    parameter: str, shown: str
) -> None:
    [problem] = refused(camunda_io(parameter))
    assert "任务 t 的" in problem["message"] and "(task t:" in problem["message"]
    assert shown in problem["message"] and "script task" in problem["message"]


def test_a_camunda_8_mapping_over_other_feel_is_refused_by_task_and_target() -> None:
    [problem] = refused(
        diagram(
            """<bpmn:userTask id="t"><bpmn:extensionElements><zeebe:ioMapping>
      <zeebe:output source="=a + b" target="total"/></zeebe:ioMapping></bpmn:extensionElements></bpmn:userTask>"""
        )
    )
    assert "'total'" in problem["message"] and "=a + b" in problem["message"]
    assert "任务 t 的" in problem["message"] and "(task t:" in problem["message"]


def test_a_mapping_runs_around_the_tasks_own_scripts() -> None:
    tree, _ = validate(
        camunda_io(
            '<camunda:inputParameter name="kind">a</camunda:inputParameter>'
            '<camunda:outputParameter name="done">${kind}</camunda:outputParameter>',
            own="<spiffworkflow:preScript>mine = 1</spiffworkflow:preScript>"
            "<spiffworkflow:postScript>theirs = 2</spiffworkflow:postScript>",
        )
    )
    pre, post = scripts(tree)
    assert pre.index("kind = 'a'") < pre.index("mine = 1")
    assert post.index("theirs = 2") < post.index("io_out_0 = kind")


def test_a_mapping_on_an_event_or_to_a_keyword_is_refused() -> None:
    """SpiffWorkflow does not run an event's pre/post scripts: the mapping would be silently dropped."""
    task = """<bpmn:intermediateCatchEvent id="t"><bpmn:extensionElements><zeebe:ioMapping>
      <zeebe:output source="=x" target="y"/></zeebe:ioMapping></bpmn:extensionElements>
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT5M</bpmn:timeDuration></bpmn:timerEventDefinition>
      </bpmn:intermediateCatchEvent>"""
    [problem] = refused(diagram(task))
    assert "not on an event" in problem["message"] and "不在事件上执行" in problem["message"]
    [problem] = refused(camunda_io('<camunda:outputParameter name="class">${x}</camunda:outputParameter>'))
    assert "'class'" in problem["message"] and "(task t:" in problem["message"]


CONNECTOR = """<bpmn:serviceTask id="t" name="推送"><bpmn:extensionElements><camunda:connector>
      <camunda:inputOutput><camunda:inputParameter name="url">http://example.org</camunda:inputParameter>
      <camunda:outputParameter name="status">${statusCode}</camunda:outputParameter></camunda:inputOutput>
      <camunda:connectorId>http-connector</camunda:connectorId></camunda:connector>{outer}
      </bpmn:extensionElements></bpmn:serviceTask>"""


def test_a_connectors_own_mapping_is_not_the_tasks() -> None:
    """The connector's inner mapping is not translated; the warning says neither it nor the connector runs."""
    tree, warnings = validate(diagram(CONNECTOR.replace("{outer}", "")))
    found = messages(warnings)
    assert "平台不执行 camunda:connector 'http-connector'，其中的输入输出映射也不执行" in found
    assert "nor the input/output mapping inside it" in found
    task = tree.getroot().find(".//*[@id='t']")
    assert task.find(".//{*}preScript") is None and task.find(".//{*}postScript") is None


def test_an_output_reading_what_the_connector_would_set_is_refused_by_task() -> None:
    """``ok = ${status}`` deployed and failed at run time: the connector that sets ``status`` never runs."""
    outer = '<camunda:inputOutput><camunda:outputParameter name="ok">${status}</camunda:outputParameter></camunda:inputOutput>'
    [problem] = refused(diagram(CONNECTOR.replace("{outer}", outer)))
    assert "任务 t 的 camunda:inputOutput 'ok' 读取 camunda:connector 的输出 status" in problem["message"]
    assert "which the platform does not run; status is never set" in problem["message"]


@pytest.mark.parametrize("engine", ["camunda", "activiti"])
def test_a_script_tasks_external_resource_is_refused_saying_to_write_it_inline(engine: str) -> None:
    """``camunda:resource`` was only "not used" and the task refused as "script task has no script", which did
    not say that the script is in a file the platform cannot load, nor what to do."""
    task = f'<bpmn:scriptTask id="t" scriptFormat="python" {engine}:resource="deployment://check.py"/>'
    [problem] = refused(diagram(task))
    assert problem["element"] == "t", problem
    message = problem["message"]
    assert f"{engine}:resource 'deployment://check.py'" in message and "外部脚本资源" in message, message
    assert "external script resource" in message and "write the script inline" in message, message
    assert "has no script" not in message


def test_a_script_tasks_resource_beside_its_own_script_is_not_used() -> None:
    task = """<bpmn:scriptTask id="t" scriptFormat="python" camunda:resource="deployment://check.py">
      <bpmn:script>checked = True</bpmn:script></bpmn:scriptTask>"""
    _, problems = validate(diagram(task))
    [warning] = [p.message for p in problems if "resource" in p.message]
    assert "the script written in the task runs" in warning, warning


def test_a_mappings_script_resource_is_refused_saying_to_write_it_inline() -> None:
    task = """<bpmn:userTask id="t" camunda:candidateGroups="shebao"><bpmn:extensionElements>
      <camunda:inputOutput><camunda:inputParameter name="fee">
        <camunda:script scriptFormat="python" resource="fee.py"/></camunda:inputParameter></camunda:inputOutput>
      </bpmn:extensionElements></bpmn:userTask>"""
    [problem] = refused(diagram(task))
    message = problem["message"]
    assert "camunda:inputParameter 'fee'" in message and "resource='fee.py'" in message, message
    assert "external script resource" in message and "write the script inline" in message, message


@pytest.mark.parametrize("engine", ["camunda", "activiti"])
def test_a_passed_through_service_tasks_result_variable_is_refused_naming_the_task(engine: str) -> None:
    """``resultVariable`` deployed with "not used": the step passed through setting nothing, and what read the
    variable later failed at run time as an incident."""
    task = f'<bpmn:serviceTask id="t" name="制卡" {engine}:class="org.example.MakeCard" {engine}:resultVariable="card_no"/>'
    [problem] = refused(diagram(task))
    assert problem["element"] == "t", problem
    message = problem["message"]
    assert "服务任务 t 没有平台的实现" in message and "不会设置结果变量 card_no" in message, message
    assert "never sets its result variable 'card_no'" in message and f"{engine}:resultVariable" in message


def test_a_spiffworkflow_service_operator_is_refused_naming_the_task() -> None:
    """It deployed silently and failed every run as an incident ("name 'script' is not defined"): the platform
    calls no external service."""
    task = """<bpmn:serviceTask id="t" name="查询"><bpmn:extensionElements>
      <spiffworkflow:serviceTaskOperator id="http/GetRequest" resultVariable="resp"/>
      </bpmn:extensionElements></bpmn:serviceTask>"""
    [problem] = refused(diagram(task))
    assert problem["element"] == "t", problem
    assert "服务任务 t 使用 spiffworkflow:serviceTaskOperator 'http/GetRequest'" in problem["message"]
    assert "which the platform does not call" in problem["message"]


def test_a_service_task_without_a_result_variable_still_passes() -> None:
    tree, _ = validate(diagram('<bpmn:serviceTask id="t" camunda:class="org.example.MakeCard"/>'))
    assert etree.QName(tree.getroot().find(".//*[@id='t']")).localname == "scriptTask"

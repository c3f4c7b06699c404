"""Diagrams drawn with other modelers: their engines' attributes read as the platform's properties.

Camunda Modeler (and Activiti / Flowable, which share the attribute names) keep an engine's settings in
attributes and extension elements of their own namespace: ``camunda:candidateGroups``, ``camunda:formKey``,
``camunda:properties`` …; Camunda 8 (Zeebe) names a call activity's process, a multi-instance's list and a user
task's window and user in extension elements (``zeebe:calledElement``, ``zeebe:loopCharacteristics``,
``zeebe:assignmentDefinition``); bpmn.io marks a new process ``isExecutable="false"``; timers hold bare ISO 8601
values (``PT5M``) where the platform reads Python expressions (``"PT5M"``). ``adopt`` rewrites a parsed diagram in
place into the platform's conventions (``runner.core.conventions``) before it is checked and parsed, and reports,
element by element, what it took over and what it does not use. The stored XML stays as it was uploaded.

JUEL expressions (``${approved}``) are not translated: the checks refuse them with a hint.

Input/output mappings (Camunda 7 ``camunda:inputOutput``, Camunda 8 ``zeebe:ioMapping``) become the task's
``spiffworkflow:preScript`` (inputs) and ``spiffworkflow:postScript`` (outputs). A value is a literal (Camunda 7
text is kept as a string; Camunda 8 ``="text"``, ``=5``, ``=true``) or one variable (``${name}``, ``=name``);
anything else (``camunda:list``/``map``/``script``, other JUEL or FEEL) is refused by task and parameter. Camunda
keeps inputs local to the activity: the pre-script remembers whether each input name was in the item's data
(in ``io_saved_<name>``, present only while the task runs), and after the outputs are read the post-script puts
the earlier value back or removes the name; outputs are then written to the item's data. A task's own pre-script
runs after the inputs, its own post-script before the outputs. On a multi-instance activity the scripts run on
each instance (``spiffworkflow:scriptsOnInstances``). A call activity's ``camunda:in``/``camunda:out``
``source``→``target`` are mappings too; a ``camunda:connector`` and the mapping inside it are not run.
"""

from __future__ import annotations

import ast
import keyword
import re
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from runner.core.conventions import ACTIVITIES, BPMN_NS, SPIFF_NS

ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
ENGINE_NAMESPACES = {
    "http://camunda.org/schema/1.0/bpmn": "camunda",
    "http://activiti.org/bpmn": "activiti",
    "http://flowable.org/bpmn": "flowable",
    ZEEBE_NS: "zeebe",
}
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}
# the properties the platform reads (bpmn/README.md); an engine property of another name is not used
PLATFORM_PROPERTIES = frozenset(
    {
        "window",
        "windowExpr",
        "formKey",
        "limitDays",
        "dueExpr",
        "onTimeout",
        "completionMode",
        "assignee",
        "itemKind",
        "promisedDays",
        "statutoryDays",
        "leadWindow",
        "upperApproval",
        "defaultWindow",
    }
)
# a Camunda 8 value naming one variable or process: ``=reviewers`` (FEEL) or ``reviewers``
FEEL_NAME = re.compile(r"^\s*=?\s*([A-Za-z_][A-Za-z0-9_]*)\s*$")
ASSIGNMENT_HINT = (
    "请写窗口代码或用户名，或用 windowExpr 属性（对办件数据的 Python 表达式）",
    "name a window code or a user, or set the windowExpr property, a Python expression over the item's data",
)
FORM_HINT = (
    "请写平台的表单（forms/schemas），或不写表单使用通用办理表单",
    "name a form of the platform (forms/schemas), or leave it out for the generic task form",
)
# Camunda 8's key of a form embedded in the diagram (zeebe:userTaskForm)
EMBEDDED_FORM = "camunda-forms:bpmn:"
# a Camunda 8 value that is FEEL text: ``="shebao"``, ``=["shebao", "guotu"]``
FEEL_STRINGS = re.compile(r'^\s*=\s*(\[\s*(?:"[^"]*"\s*,?\s*)*\]|"[^"]*")\s*$')
# a mapping's value naming one variable (``${name}``), a Camunda 8 literal, and the names a mapping may set
JUEL_NAME = re.compile(r"^\s*\$\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\s*$")
FEEL_LITERAL = re.compile(r'^\s*=\s*("[^"\\]*"|-?\d+(?:\.\d+)?|true|false|null)\s*$')
FEEL_LITERALS = {"true": "True", "false": "False", "null": "None"}
VARIABLE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
# the elements whose pre- and post-scripts SpiffWorkflow runs (an event's are not read)
MAPPED_ACTIVITIES = ACTIVITIES - {"adHocSubProcess"}
MAPPING_HINT = (
    "输入输出映射只能写文字、数字、true/false 或一个变量名（${name}、=name）；其他计算请写在脚本任务中",
    "a mapping may only be a literal text, number, true/false or one variable (${name}, =name); "
    "compute anything else in a script task",
)
JUEL = re.compile(r"^\s*[$#]\{.*\}\s*$", re.DOTALL)
TIMER_BODIES = ("timeDate", "timeDuration", "timeCycle")

# SpiffWorkflow runs a multi-instance's pre/post scripts on each instance when its loop says so
ON_INSTANCES = f"{{{SPIFF_NS}}}scriptsOnInstances"
# the attribute of a property ``adopt`` made, naming the attribute or element it was read from
ORIGIN = "origin"
WARNING = "warning"
ERROR = "error"


@dataclass(frozen=True)
class Finding:
    """What adopting a diagram found at one element."""

    element: etree._Element
    severity: str
    message: str


def is_juel(value: str | None) -> bool:
    """``${...}`` or ``#{...}``: a JUEL expression of Camunda, Activiti or Flowable."""
    return bool(value) and bool(JUEL.match(value or ""))


def _bpmn(local: str) -> str:
    return f"{{{BPMN_NS}}}{local}"


def _label(el: etree._Element, name: str | None = None) -> str:
    """``camunda:formKey`` / ``camunda:taskListener``: a foreign attribute or element as the file names it."""
    qname = etree.QName(name if name is not None else el)
    prefix = ENGINE_NAMESPACES.get(qname.namespace or "", "")
    return f"{prefix}:{qname.localname}" if prefix else qname.localname


def set_property(el: etree._Element, name: str, value: str, origin: str = "") -> bool:
    """Give ``el`` the platform property ``name`` unless its own ``spiffworkflow:property`` sets it already
    (that one wins); True when the value was added. ``origin`` (``camunda:candidateGroups``) is kept on the
    new property so that the checks name what the file says."""
    ext = el.find("bpmn:extensionElements", NS)
    if ext is None:
        ext = etree.Element(_bpmn("extensionElements"))
        el.insert(1 if el.find("bpmn:documentation", NS) is not None else 0, ext)
    props = ext.find("spiffworkflow:properties", NS)
    if props is None:
        props = etree.SubElement(ext, f"{{{SPIFF_NS}}}properties")
    if props.find(f"spiffworkflow:property[@name='{name}']", NS) is not None:
        return False
    prop = etree.SubElement(props, f"{{{SPIFF_NS}}}property", name=name, value=value)
    if origin:
        prop.set(ORIGIN, origin)
    return True


class _Adopter:
    """One pass over a diagram; ``findings`` in document order."""

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self.findings: list[Finding] = []

    def warn(self, el: etree._Element, message: str) -> None:
        self.findings.append(Finding(el, WARNING, message))

    def refuse(self, el: etree._Element, message: str) -> None:
        self.findings.append(Finding(el, ERROR, message))

    def juel(self, el: etree._Element, attr: str, value: str, hint: tuple[str, str]) -> bool:
        """Refuse a JUEL value (True when it was one); ``hint`` in Chinese and English."""
        if not is_juel(value):
            return False
        label = _label(el, attr)
        self.refuse(
            el,
            f"{label} {value!r} 是 JUEL 表达式，平台不执行；{hint[0]} "
            f"({label} {value!r} is a JUEL expression, which the platform does not run; {hint[1]})",
        )
        return True

    def property_from(self, el: etree._Element, attr: str, name: str, value: str) -> None:
        label = _label(el, attr)
        if not set_property(el, name, value, label):
            self.warn(
                el,
                f"{label} 未使用：以元素自身的属性 {name} 为准 ({label} is not used: the element's own property {name} applies)",
            )

    # --- the whole document ------------------------------------------------------------------------

    def run(self) -> list[Finding]:
        self.executable()
        for el in list(self.root.iter()):
            if not isinstance(el.tag, str):
                continue
            namespace = etree.QName(el).namespace
            if namespace == BPMN_NS:
                self.attributes(el)
                local = etree.QName(el).localname
                if local in TIMER_BODIES:
                    quote_timer_literal(el)
                elif local == "serviceTask":
                    self.service_task(el)
            elif namespace in ENGINE_NAMESPACES and _in_extensions(el):
                self.extension(el)
        return self.findings

    def executable(self) -> None:
        """bpmn.io marks a new process not executable: the only process of a file is run all the same."""
        processes = self.root.findall("bpmn:process", NS)
        if len(processes) == 1 and processes[0].get("isExecutable") != "true":
            processes[0].set("isExecutable", "true")
            self.warn(
                processes[0],
                "文件中唯一的流程未标记为可执行，按可执行流程部署 "
                '(the only process of the file is not marked isExecutable="true"; it is deployed as executable)',
            )

    # --- attributes --------------------------------------------------------------------------------

    def attributes(self, el: etree._Element) -> None:
        local = etree.QName(el).localname
        handlers = ATTRIBUTE_HANDLERS.get(local, {})
        for attr, value in list(el.attrib.items()):
            qname = etree.QName(attr)
            if qname.namespace not in ENGINE_NAMESPACES:
                continue
            handler = handlers.get(qname.localname)
            if handler is not None:
                handler(self, el, attr, value.strip())
            elif qname.localname not in HARMLESS_ATTRIBUTES:
                label = f"{_label(el, attr)}={value!r}"
                self.warn(el, f"平台不使用 {label} ({label} is not used by the platform)")

    def window(self, el: etree._Element, attr: str, value: str) -> None:
        hint = (
            "请写窗口代码，或用 windowExpr 属性（对办件数据的 Python 表达式）",
            "name a window code, or set the windowExpr property (a Python expression over the item's data)",
        )
        if self.juel(el, attr, value, hint):
            return
        groups = [g.strip() for g in value.split(",") if g.strip()]
        if not groups:
            return
        self.property_from(el, attr, "window", groups[0])
        if len(groups) > 1:
            self.warn(
                el,
                f"{_label(el, attr)} 列出 {len(groups)} 个组，任务交给第一个窗口 {groups[0]}，其余未使用 "
                f"({_label(el, attr)} names {len(groups)} groups; the task goes to the first, window "
                f"{groups[0]!r}; the others are not used)",
            )

    def assignee(self, el: etree._Element, attr: str, value: str) -> None:
        hint = (
            "请写用户名，或把用户名放在办件数据 assignee 中",
            "name a user, or put the username in the item's data as 'assignee'",
        )
        if value and not self.juel(el, attr, value, hint):
            self.property_from(el, attr, "assignee", value)

    def candidate_users(self, el: etree._Element, attr: str, value: str) -> None:
        hint = (
            "请用 assignee 指定一个用户，或交由窗口办理",
            "name one user as assignee, or leave the task to its window",
        )
        if self.juel(el, attr, value, hint):
            return
        users = [u.strip() for u in value.split(",") if u.strip()]
        if len(users) == 1 and not any(etree.QName(a).localname == "assignee" for a in el.attrib):
            self.property_from(el, attr, "assignee", users[0])
        elif users:
            label = f"{_label(el, attr)} {value!r}"
            self.warn(
                el,
                f"{label} 未使用：任务交给窗口人员 ({label} is not used: the task goes to its window's clerks)",
            )

    def form_key(self, el: etree._Element, attr: str, value: str) -> None:
        hint = (
            "请写平台的表单（forms/schemas），或不写 formKey 使用通用办理表单",
            "name a form of the platform (forms/schemas), or leave formKey out for the generic task form",
        )
        if value and not self.juel(el, attr, value, hint):
            self.property_from(el, attr, "formKey", value)

    def due_date(self, el: etree._Element, attr: str, value: str) -> None:
        hint = (
            "请用 dueExpr 属性（Python 表达式，如 workdays(3)）或 limitDays",
            "set the dueExpr property (a Python expression such as workdays(3)) or limitDays",
        )
        if not value or self.juel(el, attr, value, hint):
            return
        try:
            TimerEventDefinition.parse_time_or_duration(value)
        except Exception:  # noqa: BLE001 - any unreadable value is refused the same way
            label = f"{_label(el, attr)} {value!r}"
            self.refuse(
                el,
                f"{label} 不是 ISO 8601 时间或时长；{hint[0]} ({label} is not an ISO 8601 date/time or duration; {hint[1]})",
            )
            return
        self.property_from(el, attr, "dueExpr", repr(value))

    def decision(self, el: etree._Element, attr: str, value: str) -> None:
        hint = ("请写 DMN 文件中决策的 id", "name the decision's id in the DMN file")
        if not value or self.juel(el, attr, value, hint):
            return
        ext = el.find("bpmn:extensionElements", NS)
        if ext is not None and ext.find("spiffworkflow:calledDecisionId", NS) is not None:
            label = _label(el, attr)
            self.warn(
                el,
                f"{label} 未使用：以 spiffworkflow:calledDecisionId 为准 "
                f"({label} is not used: spiffworkflow:calledDecisionId applies)",
            )
            return
        if ext is None:
            ext = etree.SubElement(el, _bpmn("extensionElements"))
        etree.SubElement(ext, f"{{{SPIFF_NS}}}calledDecisionId").text = value

    def collection(self, el: etree._Element, attr: str, value: str) -> None:
        """``camunda:collection``: the list's variable, bare (``reviewers``) or as the Modeler writes it
        (``${reviewers}``); any other JUEL refused."""
        found = JUEL_NAME.match(value)
        if found:
            value = found.group(1)
        elif self.juel(
            el, attr, value, ("请写集合的变量名，如 reviewers", "name the list's variable, e.g. reviewers")
        ):
            return
        if el.find("bpmn:loopDataInputRef", NS) is None and el.find("bpmn:loopCardinality", NS) is None:
            etree.SubElement(el, _bpmn("loopDataInputRef")).text = value

    def element_variable(self, el: etree._Element, attr: str, value: str) -> None:
        if el.find("bpmn:inputDataItem", NS) is None and value:
            etree.SubElement(el, _bpmn("inputDataItem"), id=value, name=value)

    def called_element_binding(self, el: etree._Element, attr: str, value: str) -> None:
        if value not in ("", "latest"):
            label = f"{_label(el, attr)}={value!r}"
            self.warn(
                el,
                f"{label} 未使用：调用最新部署的版本 ({label} is not used: the latest deployed version is called)",
            )

    def script_resource(self, el: etree._Element, attr: str, value: str) -> None:
        """``camunda:resource`` on a script task: a script file the platform cannot load. Refused with what to do
        when the task has no script of its own (in place of the checks' bare "no script"); else not used."""
        label = f"{_label(el, attr)}={value!r}"
        script = el.find("bpmn:script", NS)
        if script is not None and (script.text or "").strip():
            self.warn(
                el,
                f"{label} 未使用：平台执行任务中内嵌的脚本 ({label} is not used: the script written in the task runs)",
            )
            return
        self.refuse_resource(el, f"{_label(el, attr)} {value!r}")
        if script is None:
            script = etree.SubElement(el, _bpmn("script"))
        script.text = "pass"  # the refusal above says what is missing; the checks need not say it again

    def refuse_resource(self, el: etree._Element, label: str) -> None:
        """Refuse a script kept in an external resource (``label`` names it), saying to write it inline."""
        task = el if el.tag == _bpmn("scriptTask") else _owner(el)
        where = task.get("id") or ""
        self.refuse(
            el,
            f"任务 {where} 的 {label} 引用外部脚本资源，平台无法加载；请把脚本内容直接写在流程中"
            f"（脚本任务的 bpmn:script，Python） (task {where}: {label} names an external script resource, "
            f"which the platform cannot load; write the script inline in the diagram (a script task's bpmn:script, "
            f"in Python))",
        )

    # --- elements ----------------------------------------------------------------------------------

    def service_task(self, el: etree._Element) -> None:
        """A service task passes through (its implementation is another engine's class, expression or external
        topic), unless the diagram reads its result: a ``resultVariable`` the step would never set, or a
        SpiffWorkflow operator the platform has no service to call for (it failed every run as an incident)."""
        ext = el.find("bpmn:extensionElements", NS)
        operator = ext.find("spiffworkflow:serviceTaskOperator", NS) if ext is not None else None
        if operator is not None:
            self.refuse_operator(el, operator)
            return
        el.tag = _bpmn("scriptTask")
        etree.SubElement(el, _bpmn("script")).text = "pass"
        self.warn(
            el,
            "服务任务没有平台的实现，此步直接通过 "
            "(service task without a platform implementation: the step passes through doing nothing)",
        )

    def refuse_operator(self, el: etree._Element, operator: etree._Element) -> None:
        """A SpiffWorkflow service operator: the platform calls no external service, so the step cannot run."""
        where, which = el.get("id") or "", operator.get("id") or ""
        self.refuse(
            el,
            f"服务任务 {where} 使用 spiffworkflow:serviceTaskOperator {which!r}，平台不调用外部服务，此步每次运行都会出错；"
            f"请改用脚本任务或用户任务 (service task {where}: spiffworkflow:serviceTaskOperator {which!r} calls an "
            f"external service, which the platform does not call, so the step would fail every time it runs; use a "
            f"script task or a user task)",
        )

    def result_variable(self, el: etree._Element, attr: str, name: str) -> None:
        """``camunda:resultVariable`` of a service task (passed through, or refused for its operator): the step
        sets nothing, so what reads ``name`` later failed at run time (or read a stale value)."""
        if not name:
            return
        where, label = el.get("id") or "", _label(el, attr)
        self.refuse(
            el,
            f"服务任务 {where} 没有平台的实现，此步直接通过，不会设置结果变量 {name}（{label}）；请删去 resultVariable，"
            f"或用脚本任务、用户任务设置 {name} (service task {where} has no platform implementation: the step "
            f"passes through and never sets its result variable {name!r} ({label}); remove resultVariable, or set "
            f"{name!r} with a script task or a user task)",
        )

    def extension(self, el: etree._Element) -> None:
        local = etree.QName(el).localname
        handler = EXTENSION_HANDLERS.get(_label(el))
        if handler is not None:
            handler(self, el)
        elif _label(el) in MARKERS:
            return
        elif local == "properties":
            for prop in el:
                if isinstance(prop.tag, str):
                    self.engine_property(el.getparent().getparent(), prop)
        else:
            self.warn(el, f"平台不使用 {_label(el)} ({_label(el)} is not used by the platform)")

    def feel_name(self, el: etree._Element, attr: str, value: str, hint: tuple[str, str]) -> str | None:
        """The variable or process a Camunda 8 value names (``=reviewers``); refused (None) when it is
        another FEEL expression."""
        found = FEEL_NAME.match(value)
        if found:
            return found.group(1)
        self.refuse_feel(el, attr, value, hint)
        return None

    def refuse_feel(self, el: etree._Element, attr: str, value: str, hint: tuple[str, str]) -> None:
        """Refuse a FEEL expression the platform does not run; ``hint`` in Chinese and English."""
        label = f"{_label(el)} {attr}={value!r}"
        self.refuse(
            el,
            f"{label} 是 FEEL 表达式，平台不执行；{hint[0]} "
            f"({label} is a FEEL expression, which the platform does not run; {hint[1]})",
        )

    def zeebe_called_element(self, el: etree._Element) -> None:
        """``zeebe:calledElement processId``: the process a Camunda 8 call activity calls."""
        activity = el.getparent().getparent()
        value = (el.get("processId") or "").strip()
        hint = ("请写被调用流程的 id", "name the id of the process to call")
        name = self.feel_name(el, "processId", value, hint) if value else None
        if name is None or (activity.get("calledElement") or "").strip():
            return
        activity.set("calledElement", name)

    def zeebe_loop(self, el: etree._Element) -> None:
        """``zeebe:loopCharacteristics``: a Camunda 8 multi-instance's list and the name of its item."""
        loop = el.getparent().getparent()
        hint = ("请写集合的变量名，如 =reviewers", "name the list's variable, e.g. =reviewers")
        collection = (el.get("inputCollection") or "").strip()
        name = self.feel_name(el, "inputCollection", collection, hint) if collection else None
        if name is not None and not self._has_loop_input(loop):
            etree.SubElement(loop, _bpmn("loopDataInputRef")).text = name
        item = (el.get("inputElement") or "").strip()
        if item and loop.find("bpmn:inputDataItem", NS) is None:
            etree.SubElement(loop, _bpmn("inputDataItem"), id=item, name=item)
        self.zeebe_loop_output(el, loop)

    def zeebe_loop_output(self, el: etree._Element, loop: etree._Element) -> None:
        """``outputCollection`` and ``outputElement`` (one variable of the instance, ``=opinion``): the list
        each instance's value is gathered in (``loopDataOutputRef``, ``outputDataItem``)."""
        collection = (el.get("outputCollection") or "").strip()
        element = (el.get("outputElement") or "").strip()
        if not collection and not element:
            return
        hint = ("请写实例的变量名，如 =opinion", "name the instance's variable, e.g. =opinion")
        name = self.feel_name(el, "outputElement", element, hint) if element else None
        if not collection or name is None:
            if not element or name is not None:
                label = f"{_label(el)} outputCollection/outputElement"
                self.warn(el, f"平台不使用 {label} ({label} is not used by the platform)")
            return
        if loop.find("bpmn:loopDataOutputRef", NS) is None and loop.find("bpmn:outputDataItem", NS) is None:
            etree.SubElement(loop, _bpmn("loopDataOutputRef")).text = collection
            etree.SubElement(loop, _bpmn("outputDataItem"), id=name, name=name)

    def zeebe_assignment(self, el: etree._Element) -> None:
        """``zeebe:assignmentDefinition``: a Camunda 8 user task's window (``candidateGroups``) and user
        (``assignee``, else a single ``candidateUsers``), read as Camunda 7's attributes are."""
        task = el.getparent().getparent()
        for attr, read in ZEEBE_ASSIGNMENT:
            value = (el.get(attr) or "").strip()
            if not value:
                continue
            if attr == "candidateUsers" and (el.get("assignee") or "").strip():
                label = f"{_label(el)} {attr}"
                self.warn(el, f"{label} 未使用：以 assignee 为准 ({label} is not used: the assignee applies)")
                continue
            static = self.feel_text(el, attr, value)
            if static is not None:
                read(self, task, f"{{{ZEEBE_NS}}}{attr}", static)

    def zeebe_form(self, el: etree._Element) -> None:
        """``zeebe:formDefinition``: the form a Camunda 8 user task names, by ``formId`` (a linked form) or
        ``formKey``, read as Camunda 7's ``camunda:formKey``; a form embedded in the diagram
        (``camunda-forms:bpmn:…``) is not the platform's."""
        task = el.getparent().getparent()
        attr = next((a for a in ("formId", "formKey") if (el.get(a) or "").strip()), None)
        if attr is None:
            return
        value = (el.get(attr) or "").strip()
        if value.startswith(EMBEDDED_FORM):
            label = f"{_label(el)} {attr}={value!r}"
            self.warn(
                el,
                f"{label} 是嵌在流程图中的 Camunda 表单，平台不使用，任务使用通用办理表单 "
                f"({label} is a Camunda form embedded in the diagram, not used by the platform: "
                "the task gets the generic task form)",
            )
            return
        if value.startswith("="):
            found = FEEL_STRINGS.match(value)
            if not found or found.group(1).startswith("["):
                self.refuse_feel(el, attr, value, FORM_HINT)
                return
            value = found.group(1).strip('"')
        self.property_from(task, f"{{{ZEEBE_NS}}}{attr}", "formKey", value)

    def feel_text(self, el: etree._Element, attr: str, value: str) -> str | None:
        """A Camunda 8 value as plain text: ``shebao, guotu`` as written, ``="shebao"`` and
        ``=["shebao", "guotu"]`` as their strings joined by commas; another FEEL expression is refused (None)."""
        if not value.startswith("="):
            return value
        found = FEEL_STRINGS.match(value)
        if found:
            return ",".join(re.findall(r'"([^"]*)"', found.group(1)))
        self.refuse_feel(el, attr, value, ASSIGNMENT_HINT)
        return None

    def camunda_io(self, el: etree._Element) -> None:
        """``camunda:inputOutput``: Camunda 7 input and output parameters, as pre- and post-script."""
        inputs, outputs = [], []
        for param in el:
            if not isinstance(param.tag, str):
                continue
            local = etree.QName(param).localname
            if local not in ("inputParameter", "outputParameter"):
                continue
            value = self.camunda_value(param)
            if value is not None:
                (inputs if local == "inputParameter" else outputs).append(
                    ((param.get("name") or "").strip(), value)
                )
        self.mapping(el, inputs, outputs)

    def camunda_value(self, param: etree._Element) -> str | None:
        """A Camunda 7 parameter's value as Python: a text literal (a string), ``${name}``, None when empty; else refused."""
        name = param.get("name") or ""
        child = next((c for c in param if isinstance(c.tag, str)), None)
        if child is not None and (child.get("resource") or "").strip():
            self.refuse_resource(
                child, f"{_label(param)} {name!r} {_label(child)} resource={child.get('resource')!r}"
            )
            return None
        if child is not None:
            self.refuse_mapping(param, name, f"<{_label(child)}>")
            return None
        if param.text is None:
            return "None"  # Camunda sets an empty parameter to null
        text = param.text
        if not is_juel(text):
            return repr(text)
        found = JUEL_NAME.match(text)
        if found:
            return found.group(1)
        self.refuse_mapping(param, name, text.strip())
        return None

    def zeebe_io(self, el: etree._Element) -> None:
        """``zeebe:ioMapping``: Camunda 8 inputs and outputs (``source`` → ``target``), as pre- and post-script."""
        inputs, outputs = [], []
        for param in el:
            if not isinstance(param.tag, str) or etree.QName(param).localname not in ("input", "output"):
                continue
            target = (param.get("target") or "").strip()
            value = self.feel_value(param, target, (param.get("source") or "").strip())
            if value is not None:
                (inputs if etree.QName(param).localname == "input" else outputs).append((target, value))
        self.mapping(el, inputs, outputs)

    def feel_value(self, param: etree._Element, target: str, source: str) -> str | None:
        """A Camunda 8 source as Python: one variable or a literal; other FEEL refused."""
        found = FEEL_NAME.match(source)
        if found and found.group(1) not in FEEL_LITERALS:
            return found.group(1)
        literal = FEEL_LITERAL.match(source)
        if literal:
            return FEEL_LITERALS.get(literal.group(1), literal.group(1))
        self.refuse_mapping(param, target, source)
        return None

    def refuse_mapping(self, param: etree._Element, name: str, value: str) -> None:
        """Refuse a mapping the platform cannot run, naming its task and parameter, in both languages."""
        task = next(
            a
            for a in param.iterancestors()
            if etree.QName(a).namespace == BPMN_NS and a.tag != _bpmn("extensionElements")
        )
        label = f"{_label(param)} {name!r}"
        where = task.get("id") or ""
        self.refuse(
            param,
            f"任务 {where} 的 {label} 值 {value!r} 平台不执行；{MAPPING_HINT[0]} "
            f"(task {where}: {label} value {value!r} is not run by the platform; {MAPPING_HINT[1]})",
        )

    def mapping(
        self, el: etree._Element, inputs: list[tuple[str, str]], outputs: list[tuple[str, str]]
    ) -> None:
        """Write the task's pre-script (inputs) and post-script (outputs, then the inputs taken back)."""
        owner = el.getparent().getparent()
        if etree.QName(owner).localname not in MAPPED_ACTIVITIES:
            label = _label(el)
            self.refuse(
                el,
                f"{label} 只能用于任务、调用活动或子流程，平台不在事件上执行；{MAPPING_HINT[0]} "
                f"({label} only runs on a task, call activity or subprocess, not on an event; {MAPPING_HINT[1]})",
            )
            return
        bad = [n for n, _ in inputs + outputs if not VARIABLE.match(n) or keyword.iskeyword(n)]
        for name in bad:
            self.refuse_mapping(el, name, name)
        unset = connector_outputs(el.getparent())
        for name, value in outputs:
            if value in unset:
                bad.append(name)
                self.refuse_connector_output(el, owner, name, value)
        if bad or not (inputs or outputs) or el.get(ORIGIN) == "adopted":
            return
        if not self.per_instance(el, owner):
            return
        el.set(ORIGIN, "adopted")
        pre = [
            f"try:\n    io_saved_{n} = [{n}]\nexcept NameError:\n    io_saved_{n} = []\n{n} = {v}"
            for n, v in inputs
        ]
        post = [f"io_out_{i} = {v}" for i, (_, v) in enumerate(outputs)]
        post += [
            f"if io_saved_{n}:\n    {n} = io_saved_{n}[0]\nelse:\n    del {n}\ndel io_saved_{n}"
            for n in dict(inputs)
        ]
        post += [f"{n} = io_out_{i}\ndel io_out_{i}" for i, (n, _) in enumerate(outputs)]
        ext = el.getparent()
        if pre:
            _script(ext, "preScript", "\n".join(pre), first=True)
        if post:
            _script(ext, "postScript", "\n".join(post), first=False)

    def camunda_variable(self, el: etree._Element) -> None:
        """A call activity's ``camunda:in``/``camunda:out`` ``source``→``target``: an input or output mapping
        of the activity (the whole data already passes both ways, as ``variables="all"``)."""
        target = (el.get("target") or "").strip()
        source = (el.get("source") or "").strip()
        expression = (el.get("sourceExpression") or "").strip()
        if not target or not (source or expression):
            self.warn(el, f"平台不使用 {_label(el)} ({_label(el)} is not used by the platform)")
            return
        if expression:
            found = JUEL_NAME.match(expression)
            if not found:
                self.refuse_mapping(el, target, expression)
                return
            source = found.group(1)
        if not VARIABLE.match(source) or keyword.iskeyword(source):
            self.refuse_mapping(el, target, source)
            return
        pair = [(target, source)]
        if etree.QName(el).localname == "in":
            self.mapping(el, pair, [])
        else:
            self.mapping(el, [], pair)

    def connector(self, el: etree._Element) -> None:
        """``camunda:connector``: not run, nor the mapping inside it (which is the connector's, not the task's)."""
        which = (el.findtext(f"{{{etree.QName(el).namespace}}}connectorId") or "").strip()
        label = f"{_label(el)} {which!r}" if which else _label(el)
        self.warn(
            el,
            f"平台不执行 {label}，其中的输入输出映射也不执行 "
            f"({label} is not run by the platform, nor the input/output mapping inside it)",
        )

    def refuse_connector_output(
        self, el: etree._Element, owner: etree._Element, name: str, value: str
    ) -> None:
        """An output reading what the task's connector would have set: the connector is not run, so the
        name never is (it failed at run time as an undefined variable)."""
        where, label = owner.get("id") or "", f"{_label(el)} {name!r}"
        self.refuse(
            el,
            f"任务 {where} 的 {label} 读取 camunda:connector 的输出 {value}，平台不执行连接器，{value} 不会有值 "
            f"(task {where}: {label} reads {value}, an output of its camunda:connector, which the platform does "
            f"not run; {value} is never set)",
        )

    def per_instance(self, el: etree._Element, owner: etree._Element) -> bool:
        """A multi-instance activity's mapping runs on each instance, as Camunda runs it (its element variable
        is then there): SpiffWorkflow's ``scriptsOnInstances``. A task whose own scripts run once on the whole
        activity cannot take it; refused by task (False)."""
        loop = owner.find("bpmn:multiInstanceLoopCharacteristics", NS)
        if loop is None or loop.get(ON_INSTANCES) == "true":
            return True
        ext = el.getparent()
        if any(ext.find(f"spiffworkflow:{k}", NS) is not None for k in ("preScript", "postScript")):
            label, where = _label(el), owner.get("id") or ""
            self.refuse(
                el,
                f"任务 {where} 是多实例任务，{label} 按实例执行，而任务自己的前后脚本只对整个任务执行一次；"
                f'请在 multiInstanceLoopCharacteristics 上设 spiffworkflow:scriptsOnInstances="true" '
                f"或把映射写进脚本 (task {where} is a multi-instance: {label} runs on each instance, its own "
                f'pre/post scripts once on the whole task; set spiffworkflow:scriptsOnInstances="true" on '
                "its multiInstanceLoopCharacteristics or write the mapping into the scripts)",
            )
            return False
        loop.set(ON_INSTANCES, "true")
        return True

    @staticmethod
    def _has_loop_input(loop: etree._Element) -> bool:
        return any(loop.find(f"bpmn:{n}", NS) is not None for n in ("loopDataInputRef", "loopCardinality"))

    def engine_property(self, owner: etree._Element, prop: etree._Element) -> None:
        name, value = prop.get("name") or "", prop.get("value") or ""
        if name not in PLATFORM_PROPERTIES:
            label = f"{_label(prop)} {name!r}"
            self.warn(
                prop, f"{label} 不是平台的属性，未使用 ({label} is not a property of the platform; not used)"
            )
        elif not set_property(owner, name, value, f"{_label(prop)} {name!r}"):
            label = f"{_label(prop)} {name!r}"
            self.warn(
                prop,
                f"{label} 未使用：以 spiffworkflow:property 为准 "
                f"({label} is not used: the element's spiffworkflow:property applies)",
            )


Handler = Callable[[_Adopter, etree._Element, str, str], None]
ATTRIBUTE_HANDLERS: dict[str, dict[str, Handler]] = {
    "userTask": {
        "candidateGroups": _Adopter.window,
        "assignee": _Adopter.assignee,
        "candidateUsers": _Adopter.candidate_users,
        "formKey": _Adopter.form_key,
        "dueDate": _Adopter.due_date,
    },
    "businessRuleTask": {"decisionRef": _Adopter.decision},
    "scriptTask": {"resource": _Adopter.script_resource},
    "serviceTask": {"resultVariable": _Adopter.result_variable},
    "multiInstanceLoopCharacteristics": {
        "collection": _Adopter.collection,
        "elementVariable": _Adopter.element_variable,
    },
    "callActivity": {"calledElementBinding": _Adopter.called_element_binding},
}
# a Camunda 8 user task's assignment, attribute by attribute, read as Camunda 7's attribute of that name
ZEEBE_ASSIGNMENT: tuple[tuple[str, Handler], ...] = (
    ("assignee", _Adopter.assignee),
    ("candidateGroups", _Adopter.window),
    ("candidateUsers", _Adopter.candidate_users),
)
# extension elements read as the platform's, by their label in the file
EXTENSION_HANDLERS: dict[str, Callable[[_Adopter, etree._Element], None]] = {
    "zeebe:calledElement": _Adopter.zeebe_called_element,
    "zeebe:loopCharacteristics": _Adopter.zeebe_loop,
    "zeebe:assignmentDefinition": _Adopter.zeebe_assignment,
    "zeebe:formDefinition": _Adopter.zeebe_form,
    "camunda:inputOutput": _Adopter.camunda_io,
    "camunda:connector": _Adopter.connector,
    "camunda:in": _Adopter.camunda_variable,
    "camunda:out": _Adopter.camunda_variable,
    "zeebe:ioMapping": _Adopter.zeebe_io,
}
# extension elements that only say what the element already is to the platform (Camunda 8.5+ marks a user task
# the engine itself runs, not a job worker, with ``zeebe:userTask``): nothing to read, nothing to warn about
MARKERS = frozenset({"zeebe:userTask"})
# attributes that describe the file, not how it runs
HARMLESS_ATTRIBUTES = frozenset({"versionTag", "diagramRelationId"})


def _script(ext: etree._Element, kind: str, text: str, *, first: bool) -> None:
    """Put ``text`` into the ``spiffworkflow:<kind>`` of ``ext``: before the task's own script (``first``) or
    after it; a new script element when there is none."""
    own = ext.find(f"spiffworkflow:{kind}", NS)
    if own is None:
        etree.SubElement(ext, f"{{{SPIFF_NS}}}{kind}").text = text
        return
    mine = (own.text or "").strip()
    own.text = f"{text}\n{mine}" if first else f"{mine}\n{text}"


def connector_outputs(ext: etree._Element) -> frozenset[str]:
    """The names a ``camunda:connector`` in ``ext`` (an extensionElements) would set: its own outputs."""
    return frozenset(
        (param.get("name") or "").strip()
        for connector in ext
        if isinstance(connector.tag, str) and etree.QName(connector).localname == "connector"
        for param in connector.iter(f"{{{etree.QName(connector).namespace}}}outputParameter")
    )


def _owner(el: etree._Element) -> etree._Element:
    """The BPMN element an extension element belongs to (its nearest BPMN ancestor but extensionElements)."""
    return next(
        a
        for a in el.iterancestors()
        if etree.QName(a).namespace == BPMN_NS and a.tag != _bpmn("extensionElements")
    )


def _in_extensions(el: etree._Element) -> bool:
    parent = el.getparent()
    return parent is not None and parent.tag == _bpmn("extensionElements")


def quote_timer_literal(body: etree._Element) -> bool:
    """A timer body holding a bare ISO 8601 value (``PT5M``, ``R3/PT1H``, ``2026-10-09T09:00:00+08:00``) as
    other modelers write it becomes the Python string the platform evaluates (``"PT5M"``); True when changed.
    A body that already is a Python expression (a string, ``workdays(3)``) is left alone."""
    text = (body.text or "").strip()
    if not text or is_juel(text):
        return False
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        value = None
    if isinstance(value, str):
        return False
    try:
        if etree.QName(body).localname == "timeCycle":
            TimerEventDefinition.parse_iso_recurring_interval(text)
        else:
            TimerEventDefinition.parse_time_or_duration(text)
    except Exception:  # noqa: BLE001 - not an ISO value: an expression, checked as such
        return False
    body.text = repr(text)
    return True


def adopt(root: etree._Element) -> list[Finding]:
    """Rewrite ``root`` (a ``bpmn:definitions``) into the platform's conventions, in place; what was not
    taken over, element by element (warnings), and the JUEL values that cannot be (errors)."""
    return _Adopter(root).run()

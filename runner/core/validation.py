"""Checks a BPMN diagram before it is deployed: safe parsing, structure and platform conventions.

``validate_bpmn`` is the entry point, and the one check of every door (API, console, CLI, designer):
``safe_parse`` reads the file in its declared encoding (``runner.core.encodings``) and refuses oversized,
undecodable, DOCTYPE-bearing or malformed files; ``check_diagram`` reads what other modelers write in the
platform's conventions (``runner.core.foreign``) and lists every problem with file, element id and line. Errors
stop the deployment (``DiagramInvalid``); warnings are returned to be shown to the modeller.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from runner.bilingual import both, joined, parts
from runner.core.conventions import (
    ACTIVITIES,
    BPMN_NS,
    DEFAULT_WINDOW,
    DYNAMIC_WINDOWS,
    GENERIC_FORM,
    ITEM_KINDS,
    NO_WINDOW_LANES,
    SPIFF_NS,
    completion_mode,
    lane_name_matches,
    lane_window_code,
)
from runner.core.encodings import EncodingRefused, to_utf8
from runner.core.foreign import ORIGIN, adopt, is_juel
from runner.exceptions import DiagramInvalid

BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
NSMAP = {"bpmn": BPMN_NS, "bpmndi": BPMNDI_NS, "spiffworkflow": SPIFF_NS}

ERROR = "error"
WARNING = "warning"

ExpressionChecker = Callable[[str, str], str | None]
# what a message names: the same in both languages (a property and its value), or (Chinese, English)
Words = str | tuple[str, str]

# --- what the platform supports -------------------------------------------------------------------

SUBPROCESSES = frozenset({"subProcess", "transaction", "adHocSubProcess"})
GATEWAYS = frozenset({"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway"})
EVENTS = frozenset(
    {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
)
FLOW_NODES = ACTIVITIES | GATEWAYS | EVENTS
EVENT_DEFINITIONS = frozenset(
    {
        "messageEventDefinition",
        "signalEventDefinition",
        "timerEventDefinition",
        "cancelEventDefinition",
        "errorEventDefinition",
        "escalationEventDefinition",
        "terminateEventDefinition",
        "conditionalEventDefinition",
    }
)
# the event definitions that wait for something named, and the events that wait (catch)
WAITING_DEFINITIONS = {
    "messageEventDefinition": ("messageRef", "message"),
    "signalEventDefinition": ("signalRef", "signal"),
}
CATCHING_EVENTS = frozenset({"startEvent", "intermediateCatchEvent", "boundaryEvent"})
# the nodes whose outgoing flows' conditions are evaluated
CONDITIONAL_SOURCES = frozenset({"exclusiveGateway", "inclusiveGateway"})
TIMER_KINDS = ("timeDate", "timeDuration", "timeCycle")
DATA_ELEMENTS = frozenset(
    {
        "dataObject",
        "dataObjectReference",
        "dataStoreReference",
        "dataState",
        "property",
        "ioSpecification",
        "dataInput",
        "dataOutput",
        "inputSet",
        "outputSet",
        "dataInputRefs",
        "dataOutputRefs",
        "optionalInputRefs",
        "optionalOutputRefs",
        "whileExecutingInputRefs",
        "whileExecutingOutputRefs",
        "inputSetRefs",
        "outputSetRefs",
        "dataInputAssociation",
        "dataOutputAssociation",
        "sourceRef",
        "targetRef",
    }
)
# what can start an event subprocess here (the platform's start events read no other trigger)
EVENT_SUBPROCESS_STARTS = frozenset(
    {
        "messageEventDefinition",
        "timerEventDefinition",
        "signalEventDefinition",
        "errorEventDefinition",
        "escalationEventDefinition",
    }
)
LOOP_ELEMENTS = frozenset(
    {
        "standardLoopCharacteristics",
        "multiInstanceLoopCharacteristics",
        "loopCardinality",
        "loopDataInputRef",
        "loopDataOutputRef",
        "inputDataItem",
        "outputDataItem",
        "completionCondition",
        "loopCondition",
    }
)
ARTIFACTS = frozenset({"textAnnotation", "text", "association", "group"})
LANE_ELEMENTS = frozenset({"laneSet", "lane", "childLaneSet", "flowNodeRef"})
FLOW_PARTS = frozenset(
    {"sequenceFlow", "conditionExpression", "condition", "incoming", "outgoing", "script", "documentation"}
)
SUPPORTED_IN_PROCESS = (
    FLOW_NODES
    | EVENT_DEFINITIONS
    | frozenset(TIMER_KINDS)
    | DATA_ELEMENTS
    | LOOP_ELEMENTS
    | ARTIFACTS
    | LANE_ELEMENTS
    | FLOW_PARTS
    | {"extensionElements"}
)
SUPPORTED_TOP_LEVEL = frozenset(
    {
        "process",
        "collaboration",
        "message",
        "signal",
        "error",
        "escalation",
        "correlationProperty",
        "dataStore",
        "itemDefinition",
        "category",
        "documentation",
        "extensionElements",
    }
)
# expression-bearing elements checked in "eval" mode
EXPRESSION_ELEMENTS = frozenset(
    {"conditionExpression", "condition", "completionCondition", "loopCardinality", "loopCondition"}
)
EVENT_REFS = {
    "messageRef": "message",
    "signalRef": "signal",
    "errorRef": "error",
    "escalationRef": "escalation",
}

# window codes, item kinds and the lane_<code> rule are shared with the runtime (runner.core.conventions)
ON_TIMEOUT_VALUES = ("deemed_assent", "escalate")
# the tasks a person works (SpiffWorkflow makes each of them a manual task): they need a window and a form
MANUAL_TASKS = frozenset({"userTask", "manualTask", "task"})
PYTHON_LANGUAGES = frozenset({"python", "python3", "text/x-python", "http://www.python.org/"})
PYTHON_HINT_ZH = '条件、脚本和定时器都写 Python 表达式，如 approved、amount > 1000、"PT30M"'
PYTHON_HINT = (
    "conditions, scripts and timers are Python expressions over the item's data, e.g. approved, "
    'amount > 1000 or "PT30M" (bpmn/README.md)'
)
ITEM_KIND_VALUES = frozenset(ITEM_KINDS) | frozenset(ITEM_KINDS.values())

_DTD_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_WHOLE_NUMBER = re.compile(r"[+-]?\d+")
# a Quartz / Unix cron line (Camunda 7 accepts one as a timeCycle): five to seven fields of cron characters
# (the first two, seconds/minutes or minutes/hours, numeric: no Python expression reads so)
CRON = re.compile(r"^\s*[0-9*?/,-]+\s+[0-9*?/,-]+(?:\s+[0-9*?/,LW#A-Za-z-]+){3,5}\s*$")


def _words_for_days(value: str) -> bool:
    """A number of days written in words (``三天``, ``两个工作日``): it parses as a Python name, but no item's
    data is named in Chinese characters — a mistake, not an expression."""
    try:
        tree = ast.parse(value, mode="eval")
    except (SyntaxError, ValueError):  # not Python at all (the expression check says so), a NUL byte, …
        return False
    return any(isinstance(n, ast.Name) and not n.id.isascii() for n in ast.walk(tree))


# task-spec names SpiffWorkflow gives its own tasks in every process (a BPMN element with one of these ids
# replaces the engine's and the process cannot start)
ENGINE_RESERVED_IDS = frozenset({"Start", "End", "Root"})


# --- problems --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One finding about a diagram: where it is and what is wrong."""

    file: str
    element: str | None
    line: int | None
    message: str
    severity: str = ERROR

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (the shape ``DiagramInvalid.problems`` carries)."""
        return asdict(self)

    def where(self) -> str:
        """``file`` or ``file:line``."""
        return self.file if self.line is None else f"{self.file}:{self.line}"

    def __str__(self) -> str:
        pieces = [self.where()]
        if self.element:
            pieces.append(f"[{self.element}]")
        pieces.append(self.message if self.severity == ERROR else f"{self.severity}: {self.message}")
        return " ".join(pieces)


def _refuse(filename: str, message: str, line: int | None = None) -> DiagramInvalid:
    problem = Problem(filename, None, line, message)
    where = problem.where()
    return DiagramInvalid(
        joined(where, where, message, sep=(" ", " ")), problems=[problem.to_dict()], filename=filename
    )


def _summary(filename: str, errors: list[Problem]) -> str:
    """``x.bpmn：2 处错误，第一处：…`` in both languages (the first error's own words in each)."""
    first = errors[0]
    where = first.where() + (f" [{first.element}]" if first.element else "")
    zh, en = parts(first.message)
    count = f"{len(errors)} error" + ("s" if len(errors) > 1 else "")
    return both(
        f"{filename}：{len(errors)} 处错误，第一处：{where} {zh}", f"{filename}: {count}; first: {where} {en}"
    )


# --- safe parsing ----------------------------------------------------------------------------------


def _hardened_parser() -> etree.XMLParser:
    """A parser that never resolves entities, loads DTDs or touches the network."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=False,
    )


def _too_big(size: int, max_bytes: int) -> str:
    return both(
        f"文件有 {size} 字节，超过上限 {max_bytes} 字节",
        f"file is {size} bytes, over the limit of {max_bytes} bytes",
    )


def read_diagram(content: bytes | str, filename: str, max_bytes: int) -> bytes:
    """An uploaded file as UTF-8 bytes: read in the encoding its XML declaration (or byte-order mark) names
    (``runner.core.encodings``; text, such as a draft from the designer, is taken as it is), the declaration
    rewritten to UTF-8. Oversized or undecodable files are refused naming the line."""
    if isinstance(content, bytes) and len(content) > max_bytes:  # before any work on the bytes
        raise _refuse(filename, _too_big(len(content), max_bytes))
    try:
        content = to_utf8(content)
    except EncodingRefused as exc:
        raise _refuse(filename, str(exc), exc.line) from None
    if len(content) > max_bytes:
        raise _refuse(filename, _too_big(len(content), max_bytes))
    return content


def safe_parse(content: bytes | str, filename: str, max_bytes: int) -> etree._ElementTree:
    """Parse an uploaded diagram, refusing anything oversized, undecodable, with a DOCTYPE or malformed."""
    content = read_diagram(content, filename, max_bytes)
    dtd = _DTD_DECLARATION.search(content)
    if dtd:
        line = content.count(b"\n", 0, dtd.start()) + 1
        kind = dtd.group(1).decode().upper()
        raise _refuse(
            filename,
            both(
                f"流程图中不允许 {kind} 声明（它可读取本机文件或无限展开实体）",
                f"{kind} declarations are not allowed in diagrams "
                "(they can read local files or expand entities without bound)",
            ),
            line,
        )
    try:
        root = etree.fromstring(content, _hardened_parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or (exc.position[0] if exc.position else None)
        raise _refuse(
            filename, both(f"XML 格式错误：{exc.msg}", f"not well-formed XML: {exc.msg}"), line
        ) from None
    return root.getroottree()


# --- helpers ---------------------------------------------------------------------------------------


def _q(local: str, ns: str = BPMN_NS) -> str:
    return f"{{{ns}}}{local}"


def _split(el: etree._Element) -> tuple[str | None, str]:
    qname = etree.QName(el)
    return qname.namespace, qname.localname


def _is_bpmn(el: etree._Element, *names: str) -> bool:
    ns, local = _split(el)
    return ns == BPMN_NS and (not names or local in names)


def _elements(el: etree._Element) -> Iterable[etree._Element]:
    """Child elements only (no comments or processing instructions)."""
    return (child for child in el if isinstance(child.tag, str))


def _display(el: etree._Element) -> str:
    ns, local = _split(el)
    if ns == BPMN_NS:
        return f"bpmn:{local}"
    if el.prefix:
        return f"{el.prefix}:{local}"
    return f"{{{ns}}}{local}" if ns else local


def _property_elements(el: etree._Element) -> dict[str, etree._Element]:
    """The ``spiffworkflow:property`` elements of an element's own extensionElements, by name."""
    path = "bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property"
    return {prop.get("name"): prop for prop in el.iterfind(path, NSMAP) if prop.get("name") is not None}


def _properties(el: etree._Element) -> dict[str, str]:
    """The ``spiffworkflow:property`` name/value pairs of an element's own extensionElements."""
    return {name: prop.get("value", "") for name, prop in _property_elements(el).items()}


def _origin(prop: etree._Element, default: str) -> str:
    """How a property is named in messages: as the file wrote it (``camunda:candidateGroups``, read by
    ``runner.core.foreign``), else ``default``."""
    return prop.get(ORIGIN) or default


def _foreign_expression(source: str) -> str | None:
    """ "JUEL" for ``${approved}``, "FEEL" for Camunda 8's ``=approved``, else None."""
    if is_juel(source):
        return "JUEL"
    stripped = source.strip()
    if stripped.startswith("=") and not stripped.startswith("=="):
        return "FEEL"
    return None


def _text(el: etree._Element | None) -> str:
    return (el.text or "").strip() if el is not None else ""


def process_properties(tree: etree._ElementTree | etree._Element) -> dict[str, dict[str, str]]:
    """Process id → its spiffworkflow properties (itemKind, promisedDays, …)."""
    root = tree.getroot() if isinstance(tree, etree._ElementTree) else tree
    return {p.get("id", ""): _properties(p) for p in root.iterfind("bpmn:process", NSMAP)}


def executable_process_ids(tree: etree._ElementTree | etree._Element) -> list[str]:
    """Ids of the processes marked ``isExecutable="true"``, in document order."""
    root = tree.getroot() if isinstance(tree, etree._ElementTree) else tree
    return [p.get("id", "") for p in root.iterfind("bpmn:process", NSMAP) if p.get("isExecutable") == "true"]


def _timer_value_problem(kind: str, value: str) -> tuple[str, str] | None:
    """Check an ISO 8601 timer value the way SpiffWorkflow will read it; (severity, message) or None."""
    try:
        if kind == "timeCycle":
            TimerEventDefinition.parse_iso_recurring_interval(value)
            return None
        parsed = TimerEventDefinition.parse_time_or_duration(value)
    except Exception:
        example_zh, example = {
            "timeDate": (
                '日期时间，如 "2026-10-09T09:00:00+08:00"',
                'a date/time such as "2026-10-09T09:00:00+08:00"',
            ),
            "timeDuration": ('时长，如 "PT30S" 或 "P3D"', 'a duration such as "PT30S" or "P3D"'),
            "timeCycle": ('重复周期，如 "R3/PT1H"', 'a repeating interval such as "R3/PT1H"'),
        }[kind]
        return ERROR, both(
            f"定时器的 {kind} {value!r} 不是有效的 ISO 8601 值：应为{example_zh}",
            f"timer {kind} {value!r} is not a valid ISO 8601 value: expected {example}",
        )
    if kind == "timeDate" and not isinstance(parsed, datetime):
        return ERROR, both(
            f"定时器的 timeDate {value!r} 是时长，不是日期时间（请用 timeDuration）",
            f"timer timeDate {value!r} is a duration, not a date/time (use timeDuration)",
        )
    if kind == "timeDuration" and isinstance(parsed, datetime):
        return ERROR, both(
            f"定时器的 timeDuration {value!r} 是日期时间，不是时长（请用 timeDate）",
            f"timer timeDuration {value!r} is a date/time, not a duration (use timeDate)",
        )
    if kind == "timeDate" and "W" not in value.upper():
        try:
            naive = datetime.fromisoformat(value).tzinfo is None
        except ValueError:
            naive = False
        if naive:
            return WARNING, both(
                f"定时器的 timeDate {value!r} 没有时区偏移，请加上，如 +08:00",
                f"timer timeDate {value!r} has no UTC offset; add one such as +08:00",
            )
    return None


# --- the checker -----------------------------------------------------------------------------------


class _DiagramChecker:
    """Walks one parsed diagram and collects problems."""

    def __init__(
        self,
        root: etree._Element,
        filename: str,
        known_windows: set[str] | None,
        check_expression: ExpressionChecker,
        *,
        known_forms: set[str] | None = None,
        default_window: str | None = None,
        window_names: Mapping[str, str] | None = None,
        closed_windows: Mapping[str, str] | None = None,
    ) -> None:
        self.root = root
        self.filename = filename
        self.known_windows = known_windows
        self.check_expression = check_expression
        self.known_forms = known_forms
        # the deployer's default window (else each process's defaultWindow property, else centre)
        self.default_window = default_window
        self.process_default = DEFAULT_WINDOW
        self.problems: list[Problem] = []
        self.ids: dict[str, etree._Element] = {}
        self.top_level: dict[str, set[str]] = {}
        self.lane_of: dict[str, etree._Element] = {}
        # code → display name of the centre's windows: a lane naming none by id or property may by its name
        self.window_names = window_names
        # code → display name of the windows the admin closed: naming one (by code or a lane's name) is refused
        # as naming no window is, but told as closed
        self.closed_windows = closed_windows or {}
        self.lane_codes: dict[etree._Element, str | None] = {}
        # node id → innermost named lane that chooses no window (its name is told in the default-window warning)
        self.named_lane_of: dict[str, etree._Element] = {}

    # reporting

    def _add(self, severity: str, el: etree._Element, message: str) -> None:
        """Report at the nearest BPMN element with an id, on the line of the nearest element the file has
        (``runner.core.foreign`` adds elements of its own, which have none)."""
        element, line = None, None
        node: etree._Element | None = el
        while node is not None and (element is None or line is None):
            if element is None and _is_bpmn(node) and _split(node)[1] not in EVENT_DEFINITIONS:
                element = node.get("id")
            line = line or node.sourceline
            node = node.getparent()
        self.problems.append(Problem(self.filename, element, line, message, severity))

    def error(self, el: etree._Element, message: str) -> None:
        self._add(ERROR, el, message)

    def warning(self, el: etree._Element, message: str) -> None:
        self._add(WARNING, el, message)

    def expression(self, el: etree._Element, source: str, mode: str, what: Words) -> bool:
        """Run the sandbox's syntax check; report and return False on failure (a JUEL or FEEL expression of
        another engine with the hint that expressions are Python). ``what`` names the expression: the same in
        both languages (a property's name and value) or (Chinese, English)."""
        what_zh, what_en = (what, what) if isinstance(what, str) else what
        foreign = _foreign_expression(source)
        if foreign:
            self.error(
                el,
                f"{what_zh} 是 {foreign} 表达式，平台不执行；{PYTHON_HINT_ZH} "
                f"({what_en} is a {foreign} expression, which the platform does not run: {PYTHON_HINT})",
            )
            return False
        try:
            message = self.check_expression(source, mode)
        except Exception as exc:  # a checker crash must not hide the diagram's problem
            message = both(f"无法检查（{exc}）", f"could not be checked ({exc})")
        if message:
            self.error(el, joined(what_zh, what_en, message))
            return False
        return True

    # entry point

    def run(self) -> list[Problem]:
        root = self.root
        if root.tag != _q("definitions"):
            ns, local = _split(root)
            found_zh = f"<{local}>（" + (f"命名空间 {ns}" if ns else "无命名空间") + "）"
            found_en = f"<{local}>" + (f" in namespace {ns}" if ns else " without a namespace")
            self.error(
                root,
                both(
                    f"不是 BPMN 2.0 文件：根元素是 {found_zh}，应为 bpmn:definitions",
                    f"not a BPMN 2.0 file: the root element is {found_en}, expected bpmn:definitions",
                ),
            )
            return self.problems
        for finding in adopt(root):
            self._add(finding.severity, finding.element, finding.message)
        if self.default_window:
            self._check_window(
                root,
                self.default_window,
                ("部署时指定的默认窗口", "the deployment's default window"),
                reserved_ok=False,
            )
        self._check_ids()
        self._check_top_level()
        processes = list(root.iterfind("bpmn:process", NSMAP))
        executable = [p for p in processes if p.get("isExecutable") == "true"]
        if not executable:
            self.error(
                root,
                '没有可执行的流程：请把一个 bpmn:process 标为 isExecutable="true" '
                '(no executable process: mark one bpmn:process with isExecutable="true")',
            )
        for process in executable:
            self._check_process(process)
        return sorted(self.problems, key=lambda p: p.line or 0)

    def _check_ids(self) -> None:
        """Every BPMN element's id unique, and none of the task names SpiffWorkflow gives its own tasks.

        Only elements of the BPMN model namespace are in that id space: the ids of extension elements
        (``camunda:property id="description"``) and of the drawing (bpmndi) are the tools' own business.
        """
        for el in self.root.iter(f"{{{BPMN_NS}}}*"):
            if (
                el.get("id") is None or el.sourceline is None
            ):  # runner.core.foreign's own elements: not the file's
                continue
            ident = el.get("id")
            if ident in ENGINE_RESERVED_IDS or ident.endswith(".EndJoin"):
                self.error(
                    el,
                    f"id {ident!r} 是引擎保留的名称，请改名，如 {ident + '_1'!r} "
                    f"(id {ident!r} is reserved by the engine (SpiffWorkflow names its own tasks so); "
                    f"rename it, e.g. {ident + '_1'!r})",
                )
            if ident in self.ids:
                first = self.ids[ident]
                self.error(
                    el,
                    f"id {ident!r} 重复（第 {first.sourceline} 行已用过） "
                    f"(duplicate id {ident!r} (first used by {_display(first)} on line {first.sourceline}))",
                )
            else:
                self.ids[ident] = el

    def _check_top_level(self) -> None:
        for child in _elements(self.root):
            ns, local = _split(child)
            if ns == BPMN_NS:
                if local not in SUPPORTED_TOP_LEVEL:
                    self.error(
                        child, f"不支持的元素 {_display(child)} (unsupported element {_display(child)})"
                    )
                elif child.get("id"):
                    self.top_level.setdefault(local, set()).add(child.get("id"))
            elif not (ns == BPMNDI_NS and local == "BPMNDiagram"):
                self.error(
                    child,
                    f"元素 {_display(child)} 只能放在 bpmn:extensionElements 中 "
                    f"(element {_display(child)} is only allowed inside bpmn:extensionElements)",
                )
        for prop in self.root.iterfind("bpmn:correlationProperty", NSMAP):
            self._check_correlation(prop)

    def _check_correlation(self, prop: etree._Element) -> None:
        """Each retrieval expression of a correlation property reads a message's payload: a Python expression
        over its keys, for a message of this file."""
        for found in prop.iterfind("bpmn:correlationPropertyRetrievalExpression", NSMAP):
            ref = found.get("messageRef")
            if ref not in self.top_level.get("message", set()):
                self.error(
                    found,
                    f"messageRef {ref!r} 不是本文件中的 bpmn:message "
                    f"(messageRef {ref!r} does not name a bpmn:message of this file)",
                )
            body = next(iter(_elements(found)), None)
            source = _text(body)
            if body is None or not source:
                self.error(
                    found, "关联属性的取值表达式为空 (correlation property retrieval expression is empty)"
                )
            else:
                what = (
                    f"关联属性 {prop.get('id')!r} 的取值表达式 {source!r}",
                    f"correlation property {prop.get('id')!r} expression {source!r}",
                )
                self.expression(body, source, "eval", what)

    # processes

    def _check_process(self, process: etree._Element) -> None:
        if not process.get("id"):
            self.error(process, "可执行流程没有 id (executable process has no id)")
        own = _properties(process).get("defaultWindow", "").strip()
        self.process_default = self.default_window or own or DEFAULT_WINDOW
        self._index_lanes(process)
        self._visit(process)
        self._check_flows(process)
        self._check_process_properties(process)

    def _visit(self, el: etree._Element) -> None:
        """Check the element types below ``el`` and run the per-element checks."""
        for child in _elements(el):
            ns, local = _split(child)
            if ns != BPMN_NS:
                self.error(
                    child,
                    f"元素 {_display(child)} 只能放在 bpmn:extensionElements 中 "
                    f"(element {_display(child)} is only allowed inside bpmn:extensionElements)",
                )
                continue
            if local not in SUPPORTED_IN_PROCESS:
                self.error(child, f"不支持的元素 {_display(child)} (unsupported element {_display(child)})")
                continue
            if local == "extensionElements":
                self._check_extensions(child)
                continue
            self._check_element(child, local)
            self._visit(child)

    def _check_element(self, el: etree._Element, local: str) -> None:
        if local in FLOW_NODES and not el.get("id"):
            self.error(el, f"{_display(el)} 没有 id ({_display(el)} has no id)")
        if local in FLOW_NODES and "completionMode" in _property_elements(el):
            self._check_completion_mode(el)
        if local in EXPRESSION_ELEMENTS:
            self._check_language(el, "language")
            source = _text(el)
            if not source:
                self.error(el, f"{local} 为空 ({local} is empty)")
            else:
                self.expression(el, source, "eval", f"{local} {source!r}")
        elif local == "scriptTask":
            script = el.find("bpmn:script", NSMAP)
            if script is None or not (script.text or "").strip():
                self.error(el, "脚本任务没有脚本 (script task has no script)")
            self._check_language(el, "scriptFormat")
        elif local == "script":
            parent = el.getparent()
            if parent is not None and _is_bpmn(parent, "scriptTask") and (el.text or "").strip():
                self.expression(el, el.text or "", "exec", ("脚本", "script"))
        elif local == "timerEventDefinition":
            self._check_timer(el)
        elif local in MANUAL_TASKS:
            self._check_user_task(el)
        elif local == "callActivity":
            if not (el.get("calledElement") or "").strip():
                self.error(
                    el,
                    "调用活动没有 calledElement（被调用流程的 id） "
                    "(callActivity has no calledElement (the id of the process to call))",
                )
        elif local == "subProcess" and el.get("triggeredByEvent") == "true":
            self._check_event_subprocess(el)
        elif local == "boundaryEvent" and not any(_split(c)[1] in EVENT_DEFINITIONS for c in _elements(el)):
            self.error(
                el,
                "边界事件没有事件定义（定时器、消息、错误……） "
                "(boundary event has no event definition (timer, message, error, …))",
            )
        if local in WAITING_DEFINITIONS or local == "receiveTask":
            self._check_awaited(el, local)
        if local in EVENT_DEFINITIONS or local in ("sendTask", "receiveTask"):
            for attr, kind in EVENT_REFS.items():
                ref = el.get(attr)
                if ref and ref not in self.top_level.get(kind, set()):
                    self.error(
                        el,
                        f"{attr} {ref!r} 不是本文件中的 bpmn:{kind} ({attr} {ref!r} does not name a bpmn:{kind} of this file)",
                    )

    def _check_event_subprocess(self, sub: etree._Element) -> None:
        """An event subprocess starts on a message, timer, signal, error or escalation: the platform reads no
        other start (a conditional start ran at once, as a plain start). It runs at a process's top level and
        inside a subprocess, interrupting or not (``spiff.scoped_throws``, ``branches.interrupt_enclosing``)."""
        for start in sub.iterfind("bpmn:startEvent", NSMAP):
            where = f"{_display(start)} {start.get('id')!r}"
            kinds = {_split(c)[1] for c in _elements(start)} & EVENT_DEFINITIONS
            if not kinds <= EVENT_SUBPROCESS_STARTS or not kinds:
                self.error(
                    start,
                    f"事件子流程的开始事件 {where} 只能由消息、定时器、信号、错误或升级触发"
                    f"（请改用子流程上的边界事件） (the start event {where} of an event subprocess can only be "
                    f"a message, timer, signal, error or escalation start (use a boundary event on a subprocess "
                    f"instead))",
                )

    def _check_awaited(self, el: etree._Element, local: str) -> None:
        """What a catching event or a receive task waits for is named (bpmn.io draws a message or signal
        event without one): a nameless message could never arrive and left the item unstartable."""
        attr, kind = WAITING_DEFINITIONS.get(local, ("messageRef", "message"))
        waits = local == "receiveTask"
        parent = el.getparent()
        if not waits and parent is not None:
            waits = _split(parent)[1] in CATCHING_EVENTS
        if waits and not (el.get(attr) or "").strip():
            node = parent if local != "receiveTask" and parent is not None else el
            where = f"{_display(node)} {node.get('id')!r}"
            self.error(
                node,
                f"{where} 没有 {attr}：请选定它等待的 bpmn:{kind} "
                f"({where} has no {attr}: choose the bpmn:{kind} it waits for)",
            )

    def _check_language(self, el: etree._Element, attr: str) -> None:
        """Scripts and expressions are Python: another declared language (javascript, groovy, …) is refused."""
        language = (el.get(attr) or "").strip()
        if language and language.lower() not in PYTHON_LANGUAGES:
            self.error(
                el,
                f"不支持 {attr} {language}：{PYTHON_HINT_ZH} ({attr} {language!r} is not supported: {PYTHON_HINT})",
            )

    def _check_completion_mode(self, el: etree._Element) -> None:
        """``completionMode`` (runner.core.conventions): on a multi-instance activity, well-formed, alone."""
        prop = _property_elements(el)["completionMode"]
        loop = el.find("bpmn:multiInstanceLoopCharacteristics", NSMAP)
        if loop is None:
            self.error(
                prop,
                "completionMode 只能用于多实例活动（multiInstanceLoopCharacteristics） "
                "(completionMode needs a multi-instance activity (multiInstanceLoopCharacteristics))",
            )
            return
        try:
            completion_mode(prop.get("value") or "")
        except ValueError as exc:
            self.error(prop, str(exc))
            return
        if loop.find("bpmn:completionCondition", NSMAP) is not None or loop.get("isSequential") == "true":
            self.error(
                prop,
                "completionMode 取代 completionCondition 和 isSequential：二者只能用其一 "
                "(completionMode replaces completionCondition and isSequential: use one or the other)",
            )

    def _check_extensions(self, ext: etree._Element) -> None:
        """Spiff pre/post scripts and property elements inside an extensionElements block."""
        for name in ("preScript", "postScript"):
            for script in ext.iterfind(f"spiffworkflow:{name}", NSMAP):
                if (script.text or "").strip():
                    self.expression(script, script.text or "", "exec", name)
        for prop in ext.iterfind("spiffworkflow:properties/spiffworkflow:property", NSMAP):
            if prop.get("name") is None or prop.get("value") is None:
                self.error(
                    prop,
                    "spiffworkflow:property 须同时有 name 和 value "
                    "(spiffworkflow:property needs both a name and a value attribute)",
                )

    def _check_timer(self, timer: etree._Element) -> None:
        bodies = [c for c in _elements(timer) if _is_bpmn(c, *TIMER_KINDS)]
        if not bodies:
            self.error(
                timer,
                "定时器没有 timeDate、timeDuration 或 timeCycle (timer has no timeDate, timeDuration or timeCycle)",
            )
            return
        if len(bodies) > 1:
            self.error(
                timer,
                "定时器只能有 timeDate、timeDuration、timeCycle 其中之一 "
                "(timer has more than one of timeDate, timeDuration and timeCycle)",
            )
        body = bodies[0]
        kind = _split(body)[1]
        source = _text(body)
        if not source:
            self.error(body, f"定时器的 {kind} 为空 (timer {kind} is empty)")
            return
        if kind == "timeCycle" and CRON.match(source):
            self.error(
                body,
                f"定时器的 timeCycle {source!r} 是 cron 表达式，平台不支持；请写 ISO 8601 重复区间，如 R3/PT1H "
                f"(timer timeCycle {source!r} is a cron expression, which the platform does not support; "
                "write an ISO 8601 repeating interval such as R3/PT1H)",
            )
            return
        if not self.expression(
            body, source, "eval", (f"定时器的 {kind} {source!r}", f"timer {kind} {source!r}")
        ):
            return
        try:
            value = ast.literal_eval(source)
        except Exception:
            return  # a computed value such as workdays(3): checked at run time
        if not isinstance(value, str):
            self.error(
                body,
                f"定时器的 {kind} 须为 ISO 8601 字符串，如 PT30S "
                f'(timer {kind} must give an ISO 8601 string such as "PT30S", not {source})',
            )
            return
        found = _timer_value_problem(kind, value)
        if found:
            self._add(found[0], body, found[1])

    # lanes and windows

    def _index_lanes(self, process: etree._Element) -> None:
        """Map node ids to their innermost window lane and check the lanes' window codes.

        A lane names a window by its ``window`` property or its id ``lane_<code>`` (``runner.core.conventions``),
        else by its ``name`` when that is one window's name or code (``lane_window_code``, as the run-time map
        reads it); a name matching several windows is reported; any other lane is a plain lane.
        """
        depth_of: dict[str, int] = {}
        for lane in process.iter(_q("lane")):
            depth = sum(1 for _ in lane.iterancestors(_q("lane")))
            lane_id = lane.get("id") or ""
            code = lane_window_code(lane, self.window_names)
            self.lane_codes[lane] = code
            if code is None:
                self._check_lane_name(lane)
                self._check_lane_closed(lane)
            if code == "":
                self.error(
                    lane,
                    f"泳道 {lane_id!r} 的 lane_ 前缀后没有窗口代码 (lane {lane_id!r} has no window code after the lane_ prefix)",
                )
            elif code is not None:
                self._check_window(lane, code, (f"泳道 {lane_id!r}", f"lane {lane_id!r}"))
            for ref in lane.iterfind("bpmn:flowNodeRef", NSMAP):
                node_id = _text(ref)
                if node_id not in self.ids:
                    self.error(
                        ref,
                        f"泳道 {lane_id!r} 列出的 {node_id!r} 不存在 (lane {lane_id!r} lists {node_id!r}, which does not exist)",
                    )
                    continue
                if code and depth >= depth_of.get(node_id, -1):
                    depth_of[node_id] = depth
                    self.lane_of[node_id] = lane
                elif code is None and (lane.get("name") or "").strip():
                    self.named_lane_of[node_id] = lane

    def _check_lane_name(self, lane: etree._Element) -> None:
        """A plain lane whose name is the name or code of several windows: which one is meant is unclear."""
        matches = lane_name_matches(lane, self.window_names or {})
        if len(matches) > 1:
            lane_id, name = lane.get("id") or "", (lane.get("name") or "").strip()
            listed = ", ".join(matches)
            self.warning(
                lane,
                f"泳道 {lane_id!r} 的名称 {name!r} 对应多个窗口（{listed}），未据此选择窗口；请设置 window 属性或"
                f"使用 lane_<code> 作为 id (lane {lane_id!r}: its name {name!r} matches several windows "
                f"({listed}), so it chooses none; set its window property or give it the id lane_<code>)",
            )

    def _check_lane_closed(self, lane: etree._Element) -> None:
        """A plain lane whose name is no active window's but a closed one's: it means that window, which takes no
        task — refused, as a ``window`` property naming a closed window is (its tasks would silently go to the
        default window)."""
        if not self.window_names and not self.closed_windows:
            return
        if lane_name_matches(lane, self.window_names or {}):
            return
        closed = lane_name_matches(lane, self.closed_windows)
        if not closed:
            return
        lane_id, name = lane.get("id") or "", (lane.get("name") or "").strip()
        listed = ", ".join(closed)
        self.error(
            lane,
            f"泳道「{name}」对应的窗口已关闭（{listed}）；请重新启用该窗口或改选其他窗口 "
            f"(lane {lane_id!r}: the window its name {name!r} names is closed ({listed}); reopen it or choose "
            "another window)",
        )

    def _check_window(self, el: etree._Element, code: str, what: Words, *, reserved_ok: bool = True) -> None:
        if reserved_ok and code in DYNAMIC_WINDOWS:
            return
        if self.known_windows is None or code in self.known_windows:
            return
        what_zh, what_en = (what, what) if isinstance(what, str) else what
        if code in self.closed_windows:
            name = self.closed_windows[code]
            self.error(
                el,
                f"{what_zh}：窗口 {code!r}（{name}）已关闭；请重新启用该窗口或改选其他窗口 "
                f"({what_en}: window {code!r} ({name}) is closed; reopen it or choose another window)",
            )
            return
        hint_zh = hint = ""
        similar = [w for w in self.known_windows if w.lower() == code.lower()]
        if similar:
            hint_zh, hint = f"（是否应为 {similar[0]!r}？）", f" (did you mean {similar[0]!r}?)"
        elif self.known_windows:
            names = sorted(self.known_windows)
            listed = ", ".join(names[:12]) + (", …" if len(names) > 12 else "")
            hint_zh, hint = f"（已有窗口：{listed}）", f" (known windows: {listed})"
        self.error(el, f"{what_zh}：未知窗口 {code!r}{hint_zh} ({what_en}: unknown window {code!r}{hint})")

    def _effective_lane(
        self, task: etree._Element, lanes: dict[str, etree._Element] | None = None
    ) -> etree._Element | None:
        """The innermost window lane (of ``lanes``, else ``lane_of``) holding the task or an enclosing
        (embedded) subprocess."""
        lanes = self.lane_of if lanes is None else lanes
        node: etree._Element | None = task
        while node is not None and not _is_bpmn(node, "process"):
            if node is task or _is_bpmn(node, "subProcess", "transaction"):
                lane = lanes.get(node.get("id") or "")
                if lane is not None:
                    return lane
            node = node.getparent()
        return None

    def _check_user_task(self, task: etree._Element) -> None:
        """A task a person works (user, manual or plain task): its window, form, limits and timeout."""
        at = _property_elements(task)
        props = {name: (el.get("value") or "").strip() for name, el in at.items()}
        for name in ("window", "windowExpr", "dueExpr"):
            if name in props and not props[name]:
                self.error(at[name], f"属性 {name} 为空 ({_origin(at[name], 'property ' + name)} is empty)")
        if props.get("window"):
            origin = _origin(at["window"], "")
            what = (origin, origin) if origin else ("属性 window", "property window")
            self._check_window(at["window"], props["window"], what)
        if props.get("windowExpr"):
            self.expression(
                at["windowExpr"], props["windowExpr"], "eval", f"windowExpr {props['windowExpr']!r}"
            )
        self._check_form(task, at.get("formKey"), props.get("formKey", ""))
        if "limitDays" in props:
            self._check_days(at["limitDays"], "limitDays", props["limitDays"], allow_expression=True)
        if props.get("dueExpr"):
            what = _origin(at["dueExpr"], f"dueExpr {props['dueExpr']!r}")
            self.expression(at["dueExpr"], props["dueExpr"], "eval", what)
        if "onTimeout" in props and props["onTimeout"] not in ON_TIMEOUT_VALUES:
            allowed = ", ".join(ON_TIMEOUT_VALUES)
            self.error(
                at["onTimeout"],
                f"onTimeout {props['onTimeout']!r} 不是可选值之一 (onTimeout {props['onTimeout']!r} is not one of: {allowed})",
            )
        if not props.get("window") and not props.get("windowExpr"):
            lane = self._effective_lane(task)
            code = self.lane_codes.get(lane) if lane is not None else None
            if code is None or code in NO_WINDOW_LANES:
                self._default_window_task(task, lane)

    def _check_form(self, task: etree._Element, prop: etree._Element | None, key: str) -> None:
        """No formKey: the generic task form; a formKey naming no form: refused (it could never be worked)."""
        if not key:
            self.warning(
                task,
                f"任务未指定表单，使用通用办理表单 {GENERIC_FORM}（任务名称与说明、办件数据、办理意见、是否同意） "
                f"(task has no formKey: it gets the generic task form {GENERIC_FORM!r}: its name and "
                "documentation, the item's data, an opinion and approved yes/no)",
            )
        elif self.known_forms is not None and key not in self.known_forms:
            assert prop is not None
            what = f"{_origin(prop, 'formKey')} {key!r}"
            self.error(
                prop,
                f"{what} 不是已有的表单：请写 forms/schemas 中或控制台已发布的表单，或不写 formKey 使用通用办理表单 "
                f"({what} names no form schema; name a form of forms/schemas or one published in the "
                "console, or leave formKey out)",
            )

    def _default_window_task(self, task: etree._Element, lane: etree._Element | None) -> None:
        """A task whose lane and properties name no window goes to the process's default window."""
        window = self.process_default
        where = "no lane_<code> lane names one" if lane is None else f"lane {lane.get('id')!r} names none"
        unmatched_zh, unmatched = self._unmatched_lane_name(task)
        where += unmatched
        if self.known_windows is not None and window not in self.known_windows:
            self.error(
                task,
                f"任务未指定窗口，默认窗口 {window} 不存在{unmatched_zh} (task has no window ({where}) and the default window "
                f"{window!r} is unknown; put it in a lane_<code> lane, set window/windowExpr, or name another "
                "default window)",
            )
            return
        self.warning(
            task,
            f"任务未指定窗口，交给默认窗口 {window}{unmatched_zh} (task has no window ({where}): it goes to the default window "
            f"{window!r}; put it in a lane_<code> lane or set window/windowExpr to choose another)",
        )

    def _unmatched_lane_name(self, task: etree._Element) -> tuple[str, str]:
        """(Chinese, English) words on the named lane holding a task whose name is no window's name or code
        (empty when there is none, or when the windows' names are not known)."""
        named = self._effective_lane(task, self.named_lane_of) if self.window_names else None
        if named is None or lane_name_matches(named, {**self.closed_windows, **(self.window_names or {})}):
            return "", ""
        lane_id, name = named.get("id") or "", (named.get("name") or "").strip()
        return (
            f"（泳道 {lane_id!r} 的名称 {name!r} 不是任何窗口的名称或代码）",
            f"; lane {lane_id!r}: its name {name!r} is no window's name or code",
        )

    def _check_days(self, el: etree._Element, name: str, value: str, *, allow_expression: bool) -> int | None:
        if _WHOLE_NUMBER.fullmatch(value):
            days = int(value)
            if days < 0:
                self.error(el, f"{name} {value!r} 不能为负数 ({name} {value!r} must not be negative)")
                return None
            return days
        if not allow_expression or _words_for_days(value):
            self.error(
                el,
                f"{name} {value!r} 不是工作日天数：请写整数（如 3）"
                + ("或按办件数据计算的表达式" if allow_expression else "")
                + f" ({name} {value!r} is not a whole number of working days"
                + (
                    ": write a number such as 3, or an expression over the item's data)"
                    if allow_expression
                    else ")"
                ),
            )
        elif not value:
            self.error(el, f"{name} 为空 ({name} is empty)")
        else:
            self.expression(
                el,
                value,
                "eval",
                (
                    f"{name} {value!r} 既不是整数也不是表达式",
                    f"{name} {value!r} is neither a whole number nor an expression",
                ),
            )
        return None

    def _check_process_properties(self, process: etree._Element) -> None:
        at = _property_elements(process)
        props = {name: (el.get("value") or "").strip() for name, el in at.items()}
        if "itemKind" in props and props["itemKind"] not in ITEM_KIND_VALUES:
            value = props["itemKind"]
            self.error(
                at["itemKind"],
                f"itemKind {value!r} 不是可选的办件类型：{'、'.join(ITEM_KINDS)}（或 {', '.join(ITEM_KINDS.values())}） "
                f"(itemKind {value!r} is not one of: {', '.join(ITEM_KINDS.values())}, "
                f"or their Chinese names {', '.join(repr(k) for k in ITEM_KINDS)})",
            )
        days: dict[str, int | None] = {}
        for name in ("promisedDays", "statutoryDays"):
            if name in props:
                days[name] = self._check_days(at[name], name, props[name], allow_expression=False)
        promised, statutory = days.get("promisedDays"), days.get("statutoryDays")
        if promised is not None and statutory is not None and promised > statutory:
            self.warning(
                at["promisedDays"],
                f"承诺时限 promisedDays（{promised}）长于法定时限 statutoryDays（{statutory}） "
                f"(promisedDays ({promised}) is longer than statutoryDays ({statutory}))",
            )
        for name in ("leadWindow", "defaultWindow"):
            if name not in props:
                continue
            if not props[name]:
                self.error(at[name], f"{name} 为空 ({name} is empty)")
            else:
                self._check_window(at[name], props[name], _origin(at[name], name), reserved_ok=False)
        if "upperApproval" in props and props["upperApproval"].lower() not in ("true", "false"):
            self.error(
                at["upperApproval"],
                f"upperApproval {props['upperApproval']!r} 只能是 true 或 false "
                f"(upperApproval {props['upperApproval']!r} must be true or false)",
            )

    # sequence flows

    def _check_flows(self, container: etree._Element, *, ad_hoc: bool = False) -> None:
        """Sequence flows of one process or subprocess: references, incoming/outgoing, splits."""
        nodes = {c.get("id"): c for c in _elements(container) if _is_bpmn(c, *FLOW_NODES) and c.get("id")}
        incoming: dict[str, list[str]] = {}
        outgoing: dict[str, list[str]] = {}
        flows: dict[str, etree._Element] = {}
        for flow in container.iterfind("bpmn:sequenceFlow", NSMAP):
            flow_id = flow.get("id")
            if not flow_id:
                self.error(flow, "顺序流没有 id (sequence flow has no id)")
            else:
                flows.setdefault(flow_id, flow)
            ends: dict[str, str] = {}
            for attr in ("sourceRef", "targetRef"):
                ref = flow.get(attr)
                target = self.ids.get(ref) if ref else None
                if not ref:
                    self.error(flow, f"顺序流没有 {attr} (sequence flow has no {attr})")
                elif ref in nodes:
                    ends[attr] = ref
                elif target is None:
                    self.error(flow, f"{attr} {ref!r} 不存在 ({attr} {ref!r} does not exist)")
                elif _is_bpmn(target, *FLOW_NODES):
                    self.error(
                        flow,
                        f"{attr} {ref!r} 与顺序流不在同一流程 / 子流程中 "
                        f"({attr} {ref!r} is not in the same process/subprocess as the flow)",
                    )
                elif not _is_bpmn(target) or _split(target)[1] in SUPPORTED_IN_PROCESS:
                    self.error(
                        flow,
                        f"{attr} {ref!r} 是 {_display(target)}，不是流程节点 "
                        f"({attr} {ref!r} is a {_display(target)}, not a flow node)",
                    )
                # else: an unsupported element type, reported already
            if flow_id and "sourceRef" in ends:
                outgoing.setdefault(ends["sourceRef"], []).append(flow_id)
            if flow_id and "targetRef" in ends:
                incoming.setdefault(ends["targetRef"], []).append(flow_id)

        starts = sum(1 for n in nodes.values() if _is_bpmn(n, "startEvent"))
        if _is_bpmn(container, "process"):
            if not starts:
                self.error(container, "流程没有开始事件 (process has no start event)")
        elif not ad_hoc and starts != 1:
            self.error(
                container,
                f"{_display(container)} 须恰有一个开始事件，现有 {starts} 个 "
                f"({_display(container)} needs exactly one start event, found {starts})",
            )
        conditioned = {
            f.get("id") for f in flows.values() if _text(f.find("bpmn:conditionExpression", NSMAP))
        }

        for node_id, node in nodes.items():
            local = _split(node)[1]
            self._check_listed(node, "incoming", incoming.get(node_id, []))
            self._check_listed(node, "outgoing", outgoing.get(node_id, []))
            exempt = (
                ad_hoc
                or node.get("isForCompensation") == "true"
                or (local == "subProcess" and node.get("triggeredByEvent") == "true")
            )
            if not exempt and local not in ("startEvent", "boundaryEvent") and not incoming.get(node_id):
                self.error(node, "没有流入的顺序流 (has no incoming sequence flow)")
            if not exempt and local != "endEvent" and not outgoing.get(node_id):
                self._implicit_end(node, local)
            if len(outgoing.get(node_id, [])) > 1 and local not in GATEWAYS and local != "startEvent":
                self.error(
                    node,
                    f"有 {len(outgoing[node_id])} 条流出的顺序流：只有网关可以分支 "
                    f"(has {len(outgoing[node_id])} outgoing sequence flows; only gateways may split)",
                )
            default = node.get("default")
            if default and default not in outgoing.get(node_id, []):
                self.error(
                    node,
                    f"默认流 {default!r} 不是本节点流出的顺序流 "
                    f"(default flow {default!r} is not an outgoing sequence flow of this node)",
                )
            if local in ("exclusiveGateway", "inclusiveGateway") and len(outgoing.get(node_id, [])) > 1:
                for flow_id in outgoing[node_id]:
                    if flow_id not in conditioned and flow_id != default:
                        self.error(
                            flows[flow_id],
                            "从网关流出的顺序流既无条件又不是默认流 "
                            "(sequence flow leaves a gateway with no condition and is not its default)",
                        )
            if local not in CONDITIONAL_SOURCES:
                self._ignored_conditions(node, outgoing.get(node_id, []), conditioned, flows)
            if local == "boundaryEvent":
                attached = node.get("attachedToRef")
                if not attached or not (attached in nodes and _is_bpmn(nodes[attached], *ACTIVITIES)):
                    self.error(
                        node,
                        f"边界事件附着在 {attached!r} 上，它不是本流程的活动 "
                        f"(boundary event is attached to {attached!r}, not an activity of this process)",
                    )
            if local in SUBPROCESSES:
                self._check_flows(node, ad_hoc=local == "adHocSubProcess")

    def _ignored_conditions(
        self,
        node: etree._Element,
        leaving: list[str],
        conditioned: set[str | None],
        flows: dict[str, etree._Element],
    ) -> None:
        """A condition on a flow that does not leave an exclusive or inclusive gateway would be ignored (the
        flow is always taken): refused rather than run as another process than the one drawn."""
        for flow_id in leaving:
            if flow_id in conditioned:
                self.error(
                    flows[flow_id],
                    f"顺序流带有条件，但它从 {_display(node)} 流出，条件不会生效；请在分支处放排他网关或包容网关 "
                    f"(sequence flow has a condition but leaves {_display(node)}, where a condition is ignored; "
                    "split at an exclusive or inclusive gateway)",
                )

    def _implicit_end(self, node: etree._Element, local: str) -> None:
        """A node without outgoing flow ends its path there (BPMN's implicit end; the runner connects it to
        the end of its process); a gateway must lead somewhere."""
        if local in GATEWAYS:
            self.error(node, "网关没有流出的顺序流 (gateway has no outgoing sequence flow)")
        else:
            self.warning(
                node,
                "没有流出的顺序流，此路径到此结束（隐式结束） "
                "(has no outgoing sequence flow: its path ends there, an implicit end)",
            )

    def _check_listed(self, node: etree._Element, which: str, actual: list[str]) -> None:
        """``bpmn:incoming``/``bpmn:outgoing`` lists, when present, must match the flows' refs."""
        listed_elements = node.findall(f"bpmn:{which}", NSMAP)
        if not listed_elements:
            return
        listed = {_text(e): e for e in listed_elements}
        end = "targetRef" if which == "incoming" else "sourceRef"
        for flow_id in actual:
            if flow_id not in listed:
                self.error(
                    node,
                    f"顺序流 {flow_id!r} 未列在其 bpmn:{which} 中 (sequence flow {flow_id!r} is not listed in its bpmn:{which})",
                )
        for flow_id, el in listed.items():
            if flow_id not in actual:
                self.error(
                    el,
                    f"bpmn:{which} 列出了 {flow_id!r}，但该顺序流的 {end} 不是本节点 "
                    f"(bpmn:{which} lists {flow_id!r}, but that flow's {end} is not this node)",
                )


def check_diagram(
    tree: etree._ElementTree,
    filename: str,
    *,
    known_windows: set[str] | None,
    check_expression: ExpressionChecker,
    known_forms: set[str] | None = None,
    default_window: str | None = None,
    window_names: Mapping[str, str] | None = None,
    closed_windows: Mapping[str, str] | None = None,
) -> list[Problem]:
    """All problems (errors and warnings) of a parsed diagram, ordered by line.

    The diagram is first read in the platform's conventions (``runner.core.foreign.adopt``, in place: what other
    modelers write is taken over or reported). ``known_windows`` None skips the window-code checks;
    ``check_expression(source, mode)`` returns None or an error message, mode "eval" for
    conditions/timers/limits and "exec" for scripts; ``known_forms`` (None: not checked) are the form keys
    that have a schema; ``default_window`` is the deployer's window for tasks that name none (else each
    process's ``defaultWindow`` property, else ``centre``); ``window_names`` (code → display name) lets a lane
    choose its window by its ``name``; ``closed_windows`` (code → name) are told as closed, not unknown.
    """
    root = tree.getroot() if isinstance(tree, etree._ElementTree) else tree
    checker = _DiagramChecker(
        root,
        filename,
        known_windows,
        check_expression,
        known_forms=known_forms,
        default_window=default_window,
        window_names=window_names,
        closed_windows=closed_windows,
    )
    return checker.run()


def validate_bpmn(
    content: bytes | str,
    filename: str,
    *,
    max_bytes: int,
    known_windows: set[str] | None,
    check_expression: ExpressionChecker,
    known_forms: set[str] | None = None,
    default_window: str | None = None,
    window_names: Mapping[str, str] | None = None,
    closed_windows: Mapping[str, str] | None = None,
) -> tuple[etree._ElementTree, list[Problem]]:
    """Parse and check a diagram — the one check of every door (API, console, designer, CLI); raise
    ``DiagramInvalid`` listing every problem when there is an error, else return (the tree in the platform's
    conventions, its warnings)."""
    tree = safe_parse(content, filename, max_bytes)
    problems = check_diagram(
        tree,
        filename,
        known_windows=known_windows,
        check_expression=check_expression,
        known_forms=known_forms,
        default_window=default_window,
        window_names=window_names,
        closed_windows=closed_windows,
    )
    errors = [p for p in problems if p.severity == ERROR]
    if errors:
        raise DiagramInvalid(
            _summary(filename, errors),
            problems=[p.to_dict() for p in problems],
            filename=filename,
        )
    return tree, problems

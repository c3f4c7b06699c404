"""The diagram conventions (documented in bpmn/README.md), read generically from specs.

A lane names its window by its id, ``lane_<code>``, or its ``window`` property; ``lead`` and ``related`` are
dynamic; a lane naming none by those whose ``name`` is one window's name or code (bpmn.io's ``Lane_0k2j3h4``
named 社保窗口) takes that window; other lanes are plain lanes.
User tasks carry SpiffWorkflow extension properties: ``window``, ``windowExpr``, ``formKey``,
``limitDays``, ``onTimeout``. The process carries ``itemKind``, ``promisedDays``,
``statutoryDays``, ``leadWindow``, ``upperApproval``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}
LANE_PREFIX = "lane_"
DYNAMIC_WINDOWS = {"lead", "related", "applicant", "system"}
# dynamic lanes that name no window (applicant actions, automatic steps): a person's task there goes to the
# default window, as does one whose lane and properties name none
NO_WINDOW_LANES = frozenset({"applicant", "system"})
# the window of such tasks unless the deployer names another (deploy parameter or the process's defaultWindow)
DEFAULT_WINDOW = "centre"
# the BPMN elements that run as activities (the checks' table; the mappings of other modelers attach to them)
ACTIVITIES = frozenset(
    {
        "task",
        "userTask",
        "manualTask",
        "scriptTask",
        "serviceTask",
        "sendTask",
        "receiveTask",
        "businessRuleTask",
        "callActivity",
        "subProcess",
        "transaction",
        "adHocSubProcess",
    }
)
# the names the platform keeps in an item's data for itself (runner.core.foreign's mapping scripts: an input's
# earlier value while the task runs, an output read before the inputs are taken back); never shown to users
HELPER_PREFIXES = ("io_saved_", "io_out_")
# the form of a task without formKey: its name and documentation, the item's data, an opinion and approved
GENERIC_FORM = "generic_task"

ITEM_KINDS = {
    "即办件": "immediate",
    "承诺件": "promised",
    "补正": "correction",
    "容缺受理": "tolerant",
    "退回件": "refusal",
    "联办件": "joint",
    "上报件": "escalated",
    "延期": "extension",
    "投诉": "complaint",
    "整改": "rectification",
}
# the item kinds of processes that are no 办件 (complaint handling, a 差评's rectification): not counted as items,
# not rated
NOT_ITEMS = ("complaint", "rectification")


def is_helper_name(name: str) -> bool:
    """Whether ``name`` in an item's data is one the platform keeps for itself (``HELPER_PREFIXES``)."""
    return name.startswith(HELPER_PREFIXES)


def lane_window(lane_id: str) -> str | None:
    """``lane_shebao`` → ``shebao``; ids that do not follow the convention (``Lane_0k2j3h4``, bpmn.io's default,
    or ``Lane_shebao``) name no window: they are plain lanes."""
    return lane_id[len(LANE_PREFIX) :] if lane_id.startswith(LANE_PREFIX) else None


def lane_code(lane: Any) -> str | None:
    """The window a ``bpmn:lane`` element names: its ``window`` property (``spiffworkflow:property`` or, as
    Camunda Modeler writes it, ``camunda:property``), else its id ``lane_<code>``; None for a plain lane."""
    for prop in lane.iterfind("bpmn:extensionElements/*/*[@name='window']", NS):
        if etree.QName(prop).localname == "property" and (prop.get("value") or "").strip():
            return str(prop.get("value")).strip()
    return lane_window(lane.get("id") or "")


def _name_key(text: str) -> str:
    """A lane or window name as compared: trimmed of half- and full-width spaces, inner runs made one space."""
    return " ".join(text.replace("\u3000", " ").split())


def lane_name_matches(lane: Any, windows: Mapping[str, str]) -> list[str]:
    """Codes of the windows (``windows``: code → display name) whose name or code is the lane's ``name``."""
    key = _name_key(lane.get("name") or "")
    if not key:
        return []
    return sorted(code for code, name in windows.items() if key in (_name_key(code), _name_key(name or "")))


def lane_window_code(lane: Any, windows: Mapping[str, str] | None = None) -> str | None:
    """The window a lane chooses: ``lane_code``, else — given the centre's windows (code → name) — the one
    window its ``name`` names; None for a plain lane or a name matching no window or several."""
    code = lane_code(lane)
    if code is not None or not windows:
        return code
    matches = lane_name_matches(lane, windows)
    return matches[0] if len(matches) == 1 else None


def node_windows(root: Any, windows: Mapping[str, str] | None = None) -> dict[str, str]:
    """Map ``process_id/node_id`` → window code of the lane the node lies in, for one document.

    ``windows`` (code → name, the centre's active windows) lets a lane choose its window by its ``name``
    (``lane_window_code``). The map is made once, at deployment, and stored with the definition: a window
    renamed later does not move the tasks of deployed versions (their lanes keep the code chosen then); a
    redeployment reads the names again.
    """
    result: dict[str, str] = {}
    for process in root.iter(f"{{{BPMN_NS}}}process"):
        pid = process.get("id")
        for lane in process.iter(f"{{{BPMN_NS}}}lane"):
            code = lane_window_code(lane, windows)
            if code is None:
                continue
            for ref in lane.findall("bpmn:flowNodeRef", NS):
                if ref.text:
                    result[f"{pid}/{ref.text.strip()}"] = code
    # nodes inside an embedded subprocess take the lane of the subprocess; SpiffWorkflow names the
    # spec of an embedded subprocess after its id, so they are keyed ``<subprocess id>/<node id>`` too
    sub_tags = (f"{{{BPMN_NS}}}subProcess", f"{{{BPMN_NS}}}transaction", f"{{{BPMN_NS}}}adHocSubProcess")

    def walk(pid: str, process: Any, container: Any, code: str | None) -> None:
        for node in container:
            if not isinstance(node.tag, str) or not node.get("id"):
                continue
            nid = node.get("id")
            own = result.get(f"{pid}/{nid}") or code
            if own is not None and container is not process:
                result.setdefault(f"{pid}/{nid}", own)
                result.setdefault(f"{container.get('id')}/{nid}", own)
            if node.tag in sub_tags:
                walk(pid, process, node, own)

    for process in root.iter(f"{{{BPMN_NS}}}process"):
        walk(process.get("id"), process, process, None)
    return result


def task_windows(root: Any) -> list[str]:
    """The window codes a document's tasks name by their static ``window`` property, sorted (the lanes' own
    ``window`` properties are in ``node_windows``). ``windowExpr`` is computed from the item's data at run time:
    it is not known here, and a closed window it gives is left to the run-time incident."""
    found = {
        (prop.get("value") or "").strip()
        for node in root.iter()
        if isinstance(node.tag, str) and node.tag != f"{{{BPMN_NS}}}lane"
        for prop in node.iterfind(
            "bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS
        )
        if prop.get("name") == "window"
    }
    found -= {"", *DYNAMIC_WINDOWS}
    return sorted(found)


def process_properties(root: Any, process_id: str) -> dict[str, str]:
    """The spiffworkflow properties of one process element."""
    for process in root.iter(f"{{{BPMN_NS}}}process"):
        if process.get("id") == process_id:
            ext = process.find("bpmn:extensionElements", NS)
            if ext is None:
                return {}
            return {
                p.get("name"): p.get("value", "")
                for p in ext.iterfind("spiffworkflow:properties/spiffworkflow:property", NS)
            }
    return {}


def process_name(root: Any, process_id: str) -> str:
    for process in root.iter(f"{{{BPMN_NS}}}process"):
        if process.get("id") == process_id:
            return process.get("name") or process_id
    return process_id


def item_meta(props: dict[str, str]) -> dict[str, Any]:
    """Normalised item metadata from process properties."""

    def as_int(value: str | None) -> int | None:
        return int(value) if value not in (None, "") else None

    kind = props.get("itemKind")
    return {
        "item_kind": ITEM_KINDS.get(kind, kind) if kind else None,
        "promised_days": as_int(props.get("promisedDays")),
        "statutory_days": as_int(props.get("statutoryDays")),
        "lead_window": props.get("leadWindow") or None,
        "default_window": props.get("defaultWindow") or DEFAULT_WINDOW,
        "upper_approval": (props.get("upperApproval") or "").lower() in ("true", "1", "yes"),
        # the item's own rule on extensions (e.g. seed 003's social insurance limits allow none): overrides §42
        "max_extension_days": as_int(props.get("maxExtensionDays")),
    }


def task_properties(task_spec: Any) -> dict[str, str]:
    extensions = getattr(task_spec, "extensions", None) or {}
    props = extensions.get("properties") or {}
    return dict(props)


def node_key(task_spec: Any) -> str:
    return f"{task_spec._wf_spec.name}/{getattr(task_spec, 'bpmn_id', None) or task_spec.name}"


# ---- completion modes of a joint review (会签) ---------------------------------------------------
# A multi-instance activity may carry the property ``completionMode``; at deploy it becomes the
# activity's completionCondition (and isSequential), written with the counters every completion
# condition can read: nrOfInstances, nrOfCompletedInstances, nrOfActiveInstances (as in Activiti).

COMPLETION_MODES = ("all", "any", "sequential", "ratio:<0..1>", "count:<n>")


def completion_mode(value: str) -> tuple[bool, str | None]:
    """``completionMode`` → (sequential?, completion condition or None); ValueError when malformed.

    ``all`` every member answers (the default), ``any`` the first answer closes the block,
    ``sequential`` every member in the order of the collection, ``ratio:0.6`` at least that share of
    the members answered, ``count:2`` at least that many answered. The members still open when the
    condition is met are cancelled (their tasks and timers go, no deemed assent is recorded).
    """
    mode = value.strip().lower()
    if mode == "all":
        return False, None
    if mode == "sequential":
        return True, None
    if mode == "any":
        return False, "nrOfCompletedInstances >= 1"
    kind, _, number = mode.partition(":")
    if kind == "count" and number.isdigit() and int(number) >= 1:
        return False, f"nrOfCompletedInstances >= {int(number)}"
    if kind == "ratio":
        try:
            share = float(number)
        except ValueError:
            share = -1.0
        if 0 < share <= 1:
            # integer arithmetic in the condition: 0.6 of 5 members is 3, never 2.9999
            percent = round(share * 100)
            return False, f"nrOfCompletedInstances * 100 >= {percent} * nrOfInstances"
    raise ValueError(
        f"completionMode {value!r} 无效，应为 {' / '.join(COMPLETION_MODES)}"
        f" (completionMode must be one of: {', '.join(COMPLETION_MODES)})"
    )

"""Checks over every shipped diagram (``bpmn/*.bpmn``), whatever files the library holds.

* the whole library deploys through the runner (callees first) without errors and without warnings,
  and no process id is defined by two files;
* the diagram interchange covers every flow node, sequence flow, lane and pool, with sound bounds and
  waypoints, nodes inside their lane's band and subprocess children inside their subprocess;
* every user task has a form and a window, every process a ``bpmn:documentation``;
* each file is laid out by the current ``scripts/bpmn_layout.py`` (running it again changes nothing).

With no diagram in ``bpmn/`` every test is skipped.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from functools import cache
from types import ModuleType
from typing import Any

import pytest
from lxml import etree

import runner
from runner.config import Settings
from runner.core.conventions import SPIFF_NS, lane_window
from runner.core.validation import FLOW_NODES, SUBPROCESSES, safe_parse
from tests.support import flow

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
NS = {"bpmn": BPMN_NS, "bpmndi": BPMNDI_NS, "dc": DC_NS, "di": DI_NS, "spiffworkflow": SPIFF_NS}
LAYOUT_SCRIPT = flow.ROOT / "scripts" / "bpmn_layout.py"

FILES = sorted(path.name for path in flow.LIBRARY.glob("*.bpmn"))
NO_FILES = pytest.mark.skipif(not FILES, reason="no diagrams in bpmn/ yet")
each_diagram = pytest.mark.parametrize(
    "name", FILES or [pytest.param(None, marks=pytest.mark.skip(reason="no diagrams in bpmn/ yet"))]
)


# --- helpers -----------------------------------------------------------------------------------------


@cache
def _root(name: str) -> etree._Element:
    content = (flow.LIBRARY / name).read_bytes()
    tree = safe_parse(content, name, Settings().max_bpmn_bytes)
    return tree.getroot() if hasattr(tree, "getroot") else tree


def _local(el: etree._Element) -> str | None:
    if not isinstance(el.tag, str):
        return None
    qname = etree.QName(el)
    return qname.localname if qname.namespace == BPMN_NS else None


def _processes(root: etree._Element) -> list[etree._Element]:
    return root.findall("bpmn:process", NS)


def _properties(el: etree._Element) -> dict[str, str]:
    path = "bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property"
    return {p.get("name"): (p.get("value") or "").strip() for p in el.iterfind(path, NS)}


def _lanes(process: etree._Element) -> list[etree._Element]:
    return list(process.iter(f"{{{BPMN_NS}}}lane"))


def _innermost_lane(process: etree._Element) -> dict[str, etree._Element]:
    """Node id → the innermost lane listing it (a later lane of the same depth wins, as in the runner)."""
    found: dict[str, etree._Element] = {}
    depth_of: dict[str, int] = {}
    for lane in _lanes(process):
        depth = sum(1 for _ in lane.iterancestors(f"{{{BPMN_NS}}}lane"))
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            node = (ref.text or "").strip()
            if depth >= depth_of.get(node, -1):
                depth_of[node], found[node] = depth, lane
    return found


@cache
def _layout_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bpmn_layout", LAYOUT_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bpmn_layout", module)
    spec.loader.exec_module(module)
    return module


class _DI:
    """The diagram interchange of one file: shapes and edges by the id of the element they draw."""

    def __init__(self, root: etree._Element) -> None:
        self.ids = {el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
        self.planes = root.findall("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NS)
        self.shapes: dict[str, etree._Element] = {}
        self.edges: dict[str, etree._Element] = {}
        self.duplicates: list[str] = []
        for plane in self.planes:
            for shape in plane.iterfind("bpmndi:BPMNShape", NS):
                self._add(self.shapes, shape)
            for edge in plane.iterfind("bpmndi:BPMNEdge", NS):
                self._add(self.edges, edge)

    def _add(self, table: dict[str, etree._Element], el: etree._Element) -> None:
        ref = el.get("bpmnElement") or ""
        if ref in self.shapes or ref in self.edges:
            self.duplicates.append(ref)
        table[ref] = el

    def bounds(self, ident: str) -> tuple[float, float, float, float]:
        """x, y, right, bottom of the shape drawing ``ident``."""
        b = self.shapes[ident].find("dc:Bounds", NS)
        assert b is not None, f"shape of {ident} has no dc:Bounds"
        x, y = float(b.get("x", "nan")), float(b.get("y", "nan"))
        return x, y, x + float(b.get("width", "nan")), y + float(b.get("height", "nan"))


def _inside(inner: tuple[float, ...], outer: tuple[float, ...]) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def _deploy_order(names: list[str]) -> list[str]:
    """Files ordered so that every called process is deployed before its callers (blocks first on ties)."""
    defines = {n: {p.get("id") for p in _processes(_root(n))} for n in names}
    calls = {
        n: {c.get("calledElement") for c in _root(n).iter(f"{{{BPMN_NS}}}callActivity")} - defines[n]
        for n in names
    }
    library = set().union(*defines.values()) if defines else set()
    pending = sorted(names, key=lambda n: (not n.startswith("block_"), n))
    order: list[str] = []
    done: set[str] = set()
    while pending:
        ready = next((n for n in pending if (calls[n] & library) <= done), pending[0])  # a cycle: go on
        pending.remove(ready)
        order.append(ready)
        done |= defines[ready]
    return order


# --- the library deploys -----------------------------------------------------------------------------


@NO_FILES
def test_library_deploys_without_errors_or_warnings(services: runner.Services) -> None:
    with services.transaction() as s:
        runner.upsert_windows(s, flow.library_windows())
    problems: dict[str, Any] = {}
    for name in _deploy_order(FILES):
        try:
            with services.transaction() as s:
                result = runner.deploy(s, (flow.LIBRARY / name).read_bytes(), name, actor="designer")
        except runner.DiagramInvalid as exc:
            problems[name] = exc.problems or str(exc)
            continue
        if result.warnings != []:
            problems[name] = result.warnings
    assert problems == {}


@NO_FILES
def test_no_process_id_in_two_files() -> None:
    owner: dict[str, list[str]] = {}
    for name in FILES:
        for process in _processes(_root(name)):
            owner.setdefault(process.get("id") or "", []).append(name)
    assert {pid: names for pid, names in owner.items() if len(names) > 1} == {}


# --- diagram interchange ------------------------------------------------------------------------------


def _drawn_elements(process: etree._Element) -> Iterator[tuple[str, str]]:
    """(id, "shape"/"edge") of every element of a process that must be drawn."""
    for el in process.iter():
        local, ident = _local(el), el.get("id") if isinstance(el.tag, str) else None
        if not ident:
            continue
        if local in FLOW_NODES or local == "lane":
            yield ident, "shape"
        elif local == "sequenceFlow":
            yield ident, "edge"


@each_diagram
def test_diagram_interchange_draws_every_element(name: str) -> None:
    root = _root(name)
    di = _DI(root)
    assert di.planes, (
        f"{name} has no bpmndi:BPMNDiagram; run .venv/bin/python scripts/bpmn_layout.py bpmn/{name}"
    )
    missing = [
        ident
        for process in _processes(root)
        for ident, kind in _drawn_elements(process)
        if ident not in (di.shapes if kind == "shape" else di.edges)
    ]
    assert missing == [], f"{name}: no BPMNShape/BPMNEdge for {missing}"
    assert di.duplicates == [], f"{name}: drawn more than once: {di.duplicates}"
    dangling = sorted(ref for ref in [*di.shapes, *di.edges] if ref not in di.ids)
    assert dangling == [], f"{name}: DI refers to unknown elements {dangling}"
    for plane in di.planes:
        assert plane.get("bpmnElement") in di.ids, f"{name}: plane {plane.get('id')} draws nothing known"

    collaborations = {c.get("id"): c for c in root.findall("bpmn:collaboration", NS)}
    plane_elements = {plane.get("bpmnElement") for plane in di.planes}
    for process in _processes(root):
        if not _lanes(process):
            continue
        participants = [
            p
            for c in collaborations.values()
            for p in c.findall("bpmn:participant", NS)
            if p.get("processRef") == process.get("id")
        ]
        assert participants, f"{name}: process {process.get('id')} has lanes but no participant (pool)"
        pool = participants[0]
        assert pool.getparent().get("id") in plane_elements, f"{name}: the collaboration is not drawn"
        assert pool.get("id") in di.shapes, f"{name}: no shape for participant {pool.get('id')}"
        assert di.shapes[pool.get("id")].get("isHorizontal") == "true"


@each_diagram
def test_shapes_have_bounds_and_edges_waypoints(name: str) -> None:
    di = _DI(_root(name))
    for ident, shape in di.shapes.items():
        bounds = shape.find("dc:Bounds", NS)
        assert bounds is not None, f"{name}: shape of {ident} has no dc:Bounds"
        size = (float(bounds.get("width", "0")), float(bounds.get("height", "0")))
        assert size[0] > 0 and size[1] > 0, f"{name}: shape of {ident} has size {size}"
    for ident, edge in di.edges.items():
        points = edge.findall("di:waypoint", NS)
        assert len(points) >= 2, f"{name}: edge of {ident} has {len(points)} waypoint(s)"
        assert all(p.get("x") is not None and p.get("y") is not None for p in points)


@each_diagram
def test_shapes_lie_in_their_lanes_and_subprocesses(name: str) -> None:
    root = _root(name)
    di = _DI(root)
    outside: list[str] = []
    for process in _processes(root):
        lane_of = _innermost_lane(process)
        pools = [
            p.get("id")
            for p in root.iterfind("bpmn:collaboration/bpmn:participant", NS)
            if p.get("processRef") == process.get("id") and p.get("id") in di.shapes
        ]
        for lane in _lanes(process):
            if (
                pools
                and lane.get("id") in di.shapes
                and not _inside(di.bounds(lane.get("id")), di.bounds(pools[0]))
            ):
                outside.append(f"lane {lane.get('id')} outside its pool")
        for node in process:
            ident = node.get("id") if _local(node) in FLOW_NODES else None
            lane = lane_of[ident].get("id") if ident in lane_of else None
            if ident in di.shapes and lane in di.shapes and not _inside(di.bounds(ident), di.bounds(lane)):
                outside.append(f"{ident} outside lane {lane}")
        for sub in process.iter(*(f"{{{BPMN_NS}}}{local}" for local in SUBPROCESSES)):
            if sub.get("id") not in di.shapes:
                continue
            if di.shapes[sub.get("id")].get("isExpanded") != "true":
                outside.append(f"subprocess {sub.get('id')} not drawn expanded")
            for child in sub:
                ident = child.get("id") if _local(child) in FLOW_NODES else None
                if ident in di.shapes and not _inside(di.bounds(ident), di.bounds(sub.get("id"))):
                    outside.append(f"{ident} outside subprocess {sub.get('id')}")
    assert outside == [], f"{name}: {outside}"


# --- conventions --------------------------------------------------------------------------------------


@each_diagram
def test_user_tasks_have_a_form_and_a_window(name: str) -> None:
    root = _root(name)
    problems: list[str] = []
    for process in _processes(root):
        lane_of = _innermost_lane(process)
        for task in process.iter(f"{{{BPMN_NS}}}userTask"):
            props = _properties(task)
            ident = task.get("id")
            if not props.get("formKey"):
                problems.append(f"{ident}: no formKey")
            # its lane (or the lane of an enclosing subprocess) names a window, or a property does
            lanes = [lane_of.get(ident or "")]
            lanes += [
                lane_of.get(sub.get("id") or "")
                for sub in task.iterancestors()
                if _local(sub) in SUBPROCESSES
            ]
            in_window_lane = any(lane is not None and lane_window(lane.get("id") or "") for lane in lanes)
            if not (in_window_lane or props.get("window") or props.get("windowExpr")):
                problems.append(f"{ident}: no window (lane_<code> lane, window or windowExpr)")
    assert problems == [], f"{name}: {problems}"


@each_diagram
def test_every_process_is_documented(name: str) -> None:
    undocumented = [
        process.get("id")
        for process in _processes(_root(name))
        if not any((doc.text or "").strip() for doc in process.findall("bpmn:documentation", NS))
    ]
    assert undocumented == [], f"{name}: processes without bpmn:documentation: {undocumented}"


# --- the layout is current ----------------------------------------------------------------------------


@each_diagram
def test_layout_is_current(name: str) -> None:
    content = (flow.LIBRARY / name).read_bytes()
    assert _layout_module().layout(content) == content, (
        f"{name} was not laid out by the current tool: run .venv/bin/python scripts/bpmn_layout.py bpmn/{name}"
    )

"""Deterministic auto-layout: (re)writes the BPMN diagram interchange (DI) of diagrams in place.

Usage::

    .venv/bin/python scripts/bpmn_layout.py bpmn/FILE.bpmn [FILE2.bpmn ...]

or, from Python, ``layout(xml_bytes) -> bytes``.

Every ``bpmndi:BPMNDiagram`` is dropped and a new one is written: a shape for every flow node, lane,
pool (participant), data object/store reference and text annotation, an edge for every sequence flow,
message flow, association and data association. A process with lanes is drawn as a pool: a
``bpmn:collaboration`` with a participant for it is added when missing, because bpmn-js draws lanes
only inside a participant. Nothing else in the file changes beyond what lxml's re-serialisation does
(quotes of the XML declaration, character escaping, unused namespace declarations when one is added).

The layout is layered, left to right:

* a node's column is the longest path from the start events, with back edges (found by a depth-first
  search from the start events, in document order) ignored, so loops such as 补正 → resubmit → review
  cannot hang it; a boundary event's flows count as leaving its host;
* a node's band is its lane (``bpmn:lane/bpmn:flowNodeRef``; nested lanes by their innermost lane);
  nodes of one column and band are stacked in rows, a split's first branch keeps the row of the split
  and later branches (and boundary-event paths) go below;
* embedded subprocesses are laid out recursively and drawn expanded around their children; boundary
  events sit on the bottom edge of their host; event subprocesses, data objects and annotations go in a
  free row at the bottom of their band (an artifact in the band of the node it is linked to; anything
  of a pool outside every lane in an unnamed band under the lanes);
* edges are orthogonal polylines: splits leave gateways from their top/bottom corner, joins enter them
  from below/above, back edges run above (else below) the rows they connect; of a few candidate routes
  the first that crosses no shape and runs along no other flow is taken;
* named events and gateways get a ``bpmndi:BPMNLabel`` beside them where no flow or shape is;
* several processes in one file: with a collaboration, one pool each, stacked; without one, one
  ``BPMNDiagram`` per process.

Not handled: lanes inside subprocesses (drawn without lanes), groups (no shape), a subprocess child
listed in another lane than its subprocess (drawn inside the subprocess), minimising crossings.

The output depends only on the input (document order breaks every tie): same input, same bytes, and a
laid-out file laid out again does not change.
"""

from __future__ import annotations

import heapq
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from runner.core import validation

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
DI_PREFIXES = {"bpmndi": BPMNDI_NS, "dc": DC_NS, "di": DI_NS}

ACTIVITIES, SUBPROCESSES = validation.ACTIVITIES, validation.SUBPROCESSES  # one table of what runs
GATEWAYS = frozenset(
    {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"}
)
EVENTS = frozenset(
    {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
)
FLOW_NODES = ACTIVITIES | GATEWAYS | EVENTS
# artifacts and data references drawn as shapes: local name → (width, height)
ARTIFACT_SIZES = {
    "dataObjectReference": (36, 50),
    "dataStoreReference": (50, 50),
    "textAnnotation": (100, 30),
}

# --- geometry (bpmn-js defaults for the element sizes) ------------------------------------------------

TASK_SIZE = (100, 80)
EVENT_SIZE = (36, 36)
GATEWAY_SIZE = (50, 50)
H_GAP = 60  # between columns
V_GAP = 50  # between rows of one band
HEADER = 30  # width of the vertical name strip of a pool and of a lane
ORIGIN = (160, 80)  # top-left of the first pool (or of a process drawn without a pool)
POOL_GAP = 60
MIN_POOL_WIDTH = 600
LANE_PAD = (40, 35, 40, 45)  # left, top, right, bottom inside a lane band
MIN_LANE_HEIGHT = 120
SUB_PAD = (30, 40, 30, 40)  # inside an expanded subprocess (the top leaves room for its name)
MIN_SUB_SIZE = (200, 120)
FREE_GAP = 30  # between items of a free row
BOUNDARY_STEP = 44  # between boundary events on one host
CHANNEL_SHIFTS = (0, -12, 12)  # offsets tried for a vertical/horizontal channel already in use
LABEL_WIDTH = 90  # bpmn-js wraps external labels at this width
LABEL_LINE = 14


def _q(local: str, ns: str = BPMN_NS) -> str:
    return f"{{{ns}}}{local}"


def _local(el: etree._Element) -> str | None:
    """The local name of a BPMN-namespace element (None for anything else, comments included)."""
    if not isinstance(el.tag, str):
        return None
    qname = etree.QName(el)
    return qname.localname if qname.namespace == BPMN_NS else None


def _children(el: etree._Element) -> Iterator[etree._Element]:
    return (child for child in el if _local(child) is not None)


def node_size(local: str) -> tuple[int, int]:
    if local in EVENTS:
        return EVENT_SIZE
    if local in GATEWAYS:
        return GATEWAY_SIZE
    return TASK_SIZE


def _even(value: int) -> int:
    return value + (value % 2)


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    w: int
    h: int

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h

    @property
    def cx(self) -> int:
        return self.x + self.w // 2

    @property
    def cy(self) -> int:
        return self.y + self.h // 2

    def shift(self, dx: int, dy: int) -> Box:
        return Box(self.x + dx, self.y + dy, self.w, self.h)


@dataclass(frozen=True)
class Slot:
    """Where a shape lies, with the row and column it was placed in (used to route edges)."""

    box: Box
    row: tuple[int, int]  # top, bottom of its row
    col: tuple[int, int]  # left, right of its column

    def shift(self, dx: int, dy: int) -> Slot:
        return Slot(
            self.box.shift(dx, dy), (self.row[0] + dy, self.row[1] + dy), (self.col[0] + dx, self.col[1] + dx)
        )


@dataclass(frozen=True)
class Frame:
    """How a container is laid out: its bands (lanes) and the padding around its content."""

    pad: tuple[int, int, int, int]  # left (x of the first column), top, right, bottom of each band
    min_band: int = 0
    bands: tuple[str | None, ...] = (None,)
    band_of: dict[str, str] = field(default_factory=dict)


@dataclass
class Arrangement:
    """A container laid out in its own coordinates (origin at its top-left corner)."""

    width: int
    height: int
    slots: dict[str, Slot]
    bands: list[tuple[str | None, int, int]]  # band key, top, height
    inner: dict[str, Arrangement]


@dataclass(frozen=True)
class Flow:
    index: int
    source: str  # layered node (a boundary event's flow leaves its host)
    target: str
    boundary: str | None  # the boundary event the flow really leaves, if any


# --- one container -----------------------------------------------------------------------------------


def _back_edges(order: list[str], succ: dict[str, list[tuple[str, int]]], roots: list[str]) -> set[int]:
    """Flows closing a cycle in a depth-first search from ``roots`` (then every node), in order."""
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    back: set[int] = set()
    for root in [*roots, *order]:
        if root in state:
            continue
        state[root] = 1
        stack: list[tuple[str, Iterator[tuple[str, int]]]] = [(root, iter(succ[root]))]
        while stack:
            node, it = stack[-1]
            for target, flow in it:
                seen = state.get(target)
                if seen == 1:
                    back.add(flow)
                elif seen is None:
                    state[target] = 1
                    stack.append((target, iter(succ[target])))
                    break
            else:
                state[node] = 2
                stack.pop()
    return back


def _layers(order: list[str], succ: dict[str, list[tuple[str, int]]], back: set[int]) -> dict[str, int]:
    """Longest path from the sources over the acyclic part (Kahn, ties by document order)."""
    rank = {node: i for i, node in enumerate(order)}
    indegree = dict.fromkeys(order, 0)
    for node in order:
        for target, flow in succ[node]:
            if flow not in back:
                indegree[target] += 1
    layer = dict.fromkeys(order, 0)
    heap = [(rank[n], n) for n in order if indegree[n] == 0]
    heapq.heapify(heap)
    while heap:
        _, node = heapq.heappop(heap)
        for target, flow in succ[node]:
            if flow in back:
                continue
            layer[target] = max(layer[target], layer[node] + 1)
            indegree[target] -= 1
            if indegree[target] == 0:
                heapq.heappush(heap, (rank[target], target))
    return layer


def _associated_node(
    container: etree._Element, artifact_id: str, nodes: dict[str, etree._Element]
) -> str | None:
    """The first flow node of ``container`` linked to an artifact by an association or data association."""
    for el in container.iter():
        local = _local(el)
        if local == "association":
            ends = (el.get("sourceRef"), el.get("targetRef"))
            if artifact_id in ends:
                other = ends[1] if ends[0] == artifact_id else ends[0]
                if other in nodes:
                    return other
        elif local in ("dataInputAssociation", "dataOutputAssociation"):
            refs = [(r.text or "").strip() for r in el if _local(r) in ("sourceRef", "targetRef")]
            owner = el.getparent()
            if artifact_id in refs and owner is not None and owner.get("id") in nodes:
                return owner.get("id")
    return None


def arrange(container: etree._Element, frame: Frame) -> Arrangement:
    """Lay out the direct children of a process or subprocess (subprocesses recursively)."""
    pad_left, pad_top, pad_right, pad_bottom = frame.pad
    nodes = {c.get("id"): c for c in _children(container) if _local(c) in FLOW_NODES and c.get("id")}
    host_of = {
        node_id: host
        for node_id, el in nodes.items()
        if _local(el) == "boundaryEvent"
        and (host := el.get("attachedToRef")) in nodes
        and _local(nodes[host]) != "boundaryEvent"
    }
    free = [
        n for n, el in nodes.items() if _local(el) in SUBPROCESSES and el.get("triggeredByEvent") == "true"
    ]
    order = [n for n in nodes if n not in host_of and n not in free]
    artifacts = [c.get("id") for c in _children(container) if _local(c) in ARTIFACT_SIZES and c.get("id")]
    inner = {n: _expanded(el) for n, el in nodes.items() if _local(el) in SUBPROCESSES and n not in host_of}
    artifact_kind = {
        c.get("id"): _local(c) or "" for c in _children(container) if _local(c) in ARTIFACT_SIZES
    }

    def size(node_id: str) -> tuple[int, int]:
        if node_id in inner:
            return inner[node_id].width, inner[node_id].height
        if node_id in nodes:
            return node_size(_local(nodes[node_id]) or "task")
        return ARTIFACT_SIZES[artifact_kind[node_id]]

    # the graph of the layered nodes
    flows: list[Flow] = []
    for index, el in enumerate(c for c in _children(container) if _local(c) == "sequenceFlow"):
        source, target = el.get("sourceRef"), el.get("targetRef")
        if source not in nodes or target not in nodes:
            continue
        src, tgt = host_of.get(source, source), host_of.get(target, target)
        if src in order and tgt in order:
            flows.append(Flow(index, src, tgt, source if source in host_of else None))
    succ: dict[str, list[tuple[str, int]]] = {n: [] for n in order}
    for flow in flows:
        succ[flow.source].append((flow.target, flow.index))
    has_incoming = {f.target for f in flows}
    roots = [n for n in order if _local(nodes[n]) == "startEvent"]
    roots += [n for n in order if n not in has_incoming and n not in roots]
    back = _back_edges(order, succ, roots)
    if _local(container) == "adHocSubProcess" and not flows:
        layer = {n: i for i, n in enumerate(order)}
    else:
        layer = _layers(order, succ, back)

    # bands and rows
    bands = list(frame.bands)
    band = {n: frame.band_of.get(n) for n in order}
    band_of_free = {n: frame.band_of.get(n) for n in free}
    for artifact in artifacts:  # the band of the node it annotates, else the unnamed band
        anchor = _associated_node(container, artifact, nodes)
        band_of_free[artifact] = band.get(anchor or "")
    if (None in band.values() or None in band_of_free.values()) and None not in bands:
        bands.append(None)
    band = {n: b if b in bands else None for n, b in band.items()}
    band_of_free = {n: b if b in bands else None for n, b in band_of_free.items()}

    forward = [f for f in flows if f.index not in back]
    # rank of each forward same-band target among a node's targets: own flows first, then boundary paths
    rank: dict[tuple[str, str], tuple[int, bool]] = {}
    boundary_rank = {b: i for i, b in enumerate(host_of)}
    for node in order:
        own = [f for f in forward if f.source == node and f.boundary is None]
        via = sorted(
            (f for f in forward if f.source == node and f.boundary is not None),
            key=lambda f: (boundary_rank[f.boundary or ""], f.index),
        )
        targets: list[tuple[str, bool]] = []
        for f in [*own, *via]:
            if band[f.target] == band[node] and f.target not in [t for t, _ in targets]:
                targets.append((f.target, f.boundary is not None))
        for i, (target, via_boundary) in enumerate(targets):
            rank[(node, target)] = (i, via_boundary)
    preds: dict[str, list[str]] = {n: [] for n in order}
    for f in forward:
        preds[f.target].append(f.source)

    position = {n: i for i, n in enumerate(order)}
    row: dict[str, int] = {}
    taken: set[tuple[str | None, int, int]] = set()
    for current in sorted(set(layer.values())):
        at = [n for n in order if layer[n] == current]
        prefer: dict[str, int] = {}
        for node in at:
            wanted = []
            for pred in preds[node]:
                if band[pred] != band[node] or pred not in row:
                    continue
                i, via_boundary = rank[(pred, node)]
                wanted.append(row[pred] + (max(i, 1) if via_boundary else i))
            prefer[node] = min(wanted, default=0)
        for node in sorted(at, key=lambda n: (prefer[n], position[n])):
            r = prefer[node]
            while (band[node], current, r) in taken:
                r += 1
            taken.add((band[node], current, r))
            row[node] = r
    # rows used in a band, renumbered from 0
    for key in bands:
        used = sorted({row[n] for n in order if band[n] == key})
        renumber = {r: i for i, r in enumerate(used)}
        for n in order:
            if band[n] == key:
                row[n] = renumber[row[n]]

    # columns
    n_layers = max(layer.values(), default=-1) + 1
    widths = [0] * n_layers
    for n in order:
        widths[layer[n]] = max(widths[layer[n]], size(n)[0])
    lefts: list[int] = []
    x = pad_left
    for w in widths:
        lefts.append(x)
        x += w + H_GAP
    content_right = x - H_GAP if n_layers else pad_left

    # free rows: event subprocesses of the band, artifacts (of the artifact band)
    def desired_x(item: str) -> int:
        if item in nodes:
            return pad_left
        anchor = _associated_node(container, item, nodes)
        if anchor in layer:
            center = lefts[layer[anchor]] + widths[layer[anchor]] // 2
            return max(pad_left, center - size(item)[0] // 2)
        return pad_left

    slots: dict[str, Slot] = {}
    band_boxes: list[tuple[str | None, int, int]] = []
    y = 0
    for key in bands:
        members = [n for n in order if band[n] == key]
        n_rows = max((row[n] for n in members), default=-1) + 1
        heights = [0] * n_rows
        for n in members:
            heights[row[n]] = max(heights[row[n]], size(n)[1])
        tops: list[int] = []
        cursor = y + pad_top
        for h in heights:
            tops.append(cursor)
            cursor += h + V_GAP
        items = [n for n in [*free, *artifacts] if band_of_free[n] == key]
        if items:
            free_top = cursor if n_rows else y + pad_top
            free_h = max(size(i)[1] for i in items)
            placed_right = pad_left
            for item in sorted(items, key=lambda i: (desired_x(i), items.index(i))):
                w, h = size(item)
                fx = max(desired_x(item), placed_right)
                slots[item] = Slot(Box(fx, free_top, w, h), (free_top, free_top + free_h), (fx, fx + w))
                placed_right = fx + w + FREE_GAP
            content_right = max(content_right, placed_right - FREE_GAP)
            cursor = free_top + free_h + V_GAP
        inside = cursor - V_GAP if (n_rows or items) else y + pad_top
        height = max(frame.min_band, inside + pad_bottom - y)
        for n in members:
            w, h = size(n)
            left, top = lefts[layer[n]], tops[row[n]]
            cw, rh = widths[layer[n]], heights[row[n]]
            box = Box(left + (cw - w) // 2, top + (rh - h) // 2, w, h)
            slots[n] = Slot(box, (top, top + rh), (left, left + cw))
        band_boxes.append((key, y, height))
        y += height
    return Arrangement(content_right + pad_right, y, slots, band_boxes, inner)


def _expanded(subprocess: etree._Element) -> Arrangement:
    """An embedded subprocess drawn expanded: its children inside, even sizes, a minimum size."""
    inner = arrange(subprocess, Frame(pad=SUB_PAD))
    inner.width = _even(max(inner.width, MIN_SUB_SIZE[0]))
    inner.height = _even(max(inner.height, MIN_SUB_SIZE[1]))
    return inner


def _flatten(arrangement: Arrangement, dx: int, dy: int, out: dict[str, Slot]) -> None:
    for ident, slot in arrangement.slots.items():
        out[ident] = slot.shift(dx, dy)
    for ident, sub in arrangement.inner.items():
        box = out[ident].box
        _flatten(sub, box.x, box.y, out)


# --- lanes ---------------------------------------------------------------------------------------------


@dataclass
class Lanes:
    """The lanes of one process: tree order, nesting depth, leaves and node membership."""

    order: list[etree._Element]
    depth: dict[str, int]
    leaves: list[str]
    band_of: dict[str, str]
    leaf_under: dict[str, list[str]]

    @property
    def levels(self) -> int:
        return max(self.depth.values(), default=-1) + 1


def _lanes(process: etree._Element) -> Lanes:
    order: list[etree._Element] = []
    depth: dict[str, int] = {}
    children: dict[str, list[str]] = {}

    def walk(lane_set: etree._Element, level: int, parent: str | None) -> None:
        for lane in _children(lane_set):
            if _local(lane) != "lane" or not lane.get("id"):
                continue
            ident = lane.get("id")
            order.append(lane)
            depth[ident] = level
            if parent is not None:
                children[parent].append(ident)
            children[ident] = []
            for sub in _children(lane):
                if _local(sub) == "childLaneSet":
                    walk(sub, level + 1, ident)

    for lane_set in _children(process):
        if _local(lane_set) == "laneSet":
            walk(lane_set, 0, None)
    leaves = [lane.get("id") for lane in order if not children[lane.get("id")]]

    def leaves_under(ident: str) -> list[str]:
        if not children[ident]:
            return [ident]
        return [leaf for child in children[ident] for leaf in leaves_under(child)]

    leaf_under = {lane.get("id"): leaves_under(lane.get("id")) for lane in order}
    # a node lies in its innermost lane (a later lane of the same depth wins, as in the validator)
    band_of: dict[str, str] = {}
    best: dict[str, int] = {}
    for lane in order:
        ident = lane.get("id")
        for ref in _children(lane):
            if _local(ref) != "flowNodeRef":
                continue
            node = (ref.text or "").strip()
            if node and depth[ident] >= best.get(node, -1):
                best[node] = depth[ident]
                band_of[node] = leaf_under[ident][0]
    return Lanes(order, depth, leaves, band_of, leaf_under)


# --- edges ---------------------------------------------------------------------------------------------


def _dedupe(points: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for p in points:
        if not out or out[-1] != p:
            out.append(p)
    return out if len(out) >= 2 else [points[0], points[-1]]


Point = tuple[int, int]


def _candidates(src: Slot, tgt: Slot, src_kind: str, tgt_kind: str) -> list[list[Point]]:
    """Orthogonal routes from ``src`` to ``tgt``, the preferred one first."""
    s, t = src.box, tgt.box
    before = tgt.col[0] - H_GAP // 2  # x in the gap left of the target's column
    after = src.col[1] + H_GAP // 2  # x in the gap right of the source's column
    above = min(src.row[0], tgt.row[0]) - V_GAP // 2  # y in the gap over the higher row
    below = max(src.row[1], tgt.row[1]) + V_GAP // 2  # y in the gap under the lower row
    if s == t:  # a node flowing to itself: a small loop over its top right corner
        top = s.y - 20
        return [[(s.right, s.cy), (s.right + 20, s.cy), (s.right + 20, top), (s.cx, top), (s.cx, s.y)]]
    routes: list[list[Point]] = []
    if src_kind == "boundaryEvent":  # leave downwards from the bottom of the event
        start = (s.cx, s.bottom)
        side = (t.x, t.cy) if t.x > s.cx else (t.right, t.cy)
        if t.y > s.bottom:
            if t.x <= s.cx <= t.right:
                routes.append([start, (s.cx, t.y)])
            routes.append([start, (s.cx, t.cy), side])
        under = max(src.row[1] + V_GAP // 2, s.bottom + 10)
        gap = before if t.x > s.cx else tgt.col[1] + H_GAP // 2
        for shift in CHANNEL_SHIFTS:
            routes.append(
                [start, (s.cx, under + shift), (gap + shift, under + shift), (gap + shift, t.cy), side]
            )
        routes.append([start, (s.cx, under), (t.cx, under), (t.cx, t.bottom if t.bottom <= under else t.y)])
        return routes
    if tgt.col == src.col:  # same column: straight up or down, else round the right side
        if t.y >= s.bottom:
            routes.append([(s.cx, s.bottom), (t.cx, t.y)])
        else:
            routes.append([(s.cx, s.y), (t.cx, t.bottom)])
        routes.append([(s.right, s.cy), (after, s.cy), (after, t.cy), (t.right, t.cy)])
        return routes
    if t.x >= s.right:  # forward
        if s.cy == t.cy:
            routes.append([(s.right, s.cy), (t.x, t.cy)])
        elif src_kind in GATEWAYS:  # a split leaves the gateway's top or bottom corner
            start = (s.cx, s.y) if t.cy < s.cy else (s.cx, s.bottom)
            routes.append([start, (s.cx, t.cy), (t.x, t.cy)])
        elif tgt_kind in GATEWAYS:  # a join enters the gateway's bottom or top corner
            end = (t.cx, t.bottom) if s.cy > t.cy else (t.cx, t.y)
            routes.append([(s.right, s.cy), (t.cx, s.cy), end])
        for shift in CHANNEL_SHIFTS:
            for x in (before + shift, after + shift):
                routes.append([(s.right, s.cy), (x, s.cy), (x, t.cy), (t.x, t.cy)])
        for shift in CHANNEL_SHIFTS:
            x1, x2 = after + shift, before - shift
            for y in (below + shift, above - shift):
                routes.append([(s.right, s.cy), (x1, s.cy), (x1, y), (x2, y), (x2, t.cy), (t.x, t.cy)])
        return routes
    # backward: over the higher of the two rows, else under the lower one
    for shift in CHANNEL_SHIFTS:
        routes.append([(s.cx, s.y), (s.cx, above - shift), (t.cx, above - shift), (t.cx, t.y)])
        routes.append([(s.cx, s.bottom), (s.cx, below + shift), (t.cx, below + shift), (t.cx, t.bottom)])
    return routes


def _crosses(points: list[Point], box: Box) -> bool:
    """Whether an orthogonal polyline passes through the inside of ``box``."""
    for (x1, y1), (x2, y2) in zip(points, points[1:], strict=False):
        vertical = x1 == x2 and box.x < x1 < box.right and min(y1, y2) < box.bottom and max(y1, y2) > box.y
        horizontal = y1 == y2 and box.y < y1 < box.bottom and min(x1, x2) < box.right and max(x1, x2) > box.x
        if vertical or horizontal:
            return True
    return False


Segment = tuple[Point, Point]


def _segments(points: list[Point]) -> list[Segment]:
    return list(zip(points, points[1:], strict=False))


def _on(point: Point, segment: Segment) -> bool:
    (x, y), ((x1, y1), (x2, y2)) = point, segment
    return (x == x1 == x2 and min(y1, y2) <= y <= max(y1, y2)) or (
        y == y1 == y2 and min(x1, x2) <= x <= max(x1, x2)
    )


def _overlaps(points: list[Point], taken: Iterable[Segment]) -> int:
    """How often the polyline runs along, or meets end-on, a segment of ``taken``.

    Two flows sharing a stretch of line, or a corner of one lying on the other, read as one flow
    branching; plain crossings are fine.
    """
    count = 0
    mine = _segments(points)
    for other in taken:
        (x3, y3), (x4, y4) = other
        for (x1, y1), (x2, y2) in mine:
            if x1 == x2 == x3 == x4:
                count += min(max(y1, y2), max(y3, y4)) >= max(min(y1, y2), min(y3, y4))
            elif y1 == y2 == y3 == y4:
                count += min(max(x1, x2), max(x3, x4)) >= max(min(x1, x2), min(x3, x4))
        count += sum(1 for p in points if _on(p, other))
        count += sum(1 for p in other for seg in mine if _on(p, seg))
    return count


def route_sequence(
    src: Slot,
    tgt: Slot,
    src_kind: str,
    tgt_kind: str,
    obstacles: Iterable[Box] = (),
    taken: Iterable[Segment] = (),
) -> list[Point]:
    """The candidate route crossing fewest ``obstacles``, then sharing fewest ``taken`` segments.

    The candidates' order (the preferred style first) breaks ties.
    """
    routes = [_dedupe(r) for r in _candidates(src, tgt, src_kind, tgt_kind)]
    boxes, used = list(obstacles), list(taken)
    best, lowest = routes[0], None
    for route in routes:
        cost = (sum(1 for box in boxes if _crosses(route, box)), _overlaps(route, used))
        if lowest is None or cost < lowest:
            best, lowest = route, cost
        if cost == (0, 0):
            break
    return best


def route_link(s: Box, t: Box, *, s_pool: bool = False, t_pool: bool = False) -> list[tuple[int, int]]:
    """Waypoints for message flows and associations: vertical between stacked shapes, else horizontal."""
    if t.y >= s.bottom or s.y >= t.bottom:
        down = t.y >= s.bottom
        x_s = t.cx if s_pool and not t_pool else s.cx
        x_t = s.cx if t_pool and not s_pool else t.cx
        if s_pool and t_pool:
            x_s = x_t = max(s.x, t.x) + 100
        start = (x_s, s.bottom if down else s.y)
        end = (x_t, t.y if down else t.bottom)
        if x_s == x_t:
            return [start, end]
        mid = (start[1] + end[1]) // 2
        return [start, (x_s, mid), (x_t, mid), end]
    if t.x >= s.right:
        return [(s.right, s.cy), (t.x, t.cy)]
    return [(s.x, s.cy), (t.right, t.cy)]


# --- the document ----------------------------------------------------------------------------------------


class LayoutError(ValueError):
    """The input cannot be laid out (not XML, not BPMN)."""


def _parser() -> etree.XMLParser:
    # never resolve entities, load DTDs or touch the network; keep CDATA and comments as they are
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        strip_cdata=False,
        remove_comments=False,
        remove_blank_text=False,
    )


def _indent_of(root: etree._Element) -> str:
    text = root.text or ""
    if text.startswith("\n") and text.strip() == "" and len(text) > 1:
        return text[text.rindex("\n") + 1 :]
    return "  "


def _unique(base: str, taken: set[str]) -> str:
    ident, n = base, 2
    while ident in taken:
        ident, n = f"{base}_{n}", n + 1
    taken.add(ident)
    return ident


def _insert_before(parent: etree._Element, new: etree._Element, before: etree._Element, indent: str) -> None:
    """Insert ``new`` before ``before`` on its own line at ``before``'s indentation."""
    prev = before.getprevious()
    whitespace = (prev.tail if prev is not None else parent.text) or ""
    new.tail = whitespace if whitespace.strip() == "" and whitespace else "\n" + indent
    before.addprevious(new)


def _append(parent: etree._Element, new: etree._Element, indent: str, closing: str = "\n") -> None:
    """Append ``new`` as the last child of ``parent`` on its own line, keeping the closing tag's line."""
    if len(parent):
        last = parent[-1]
        new.tail = last.tail if last.tail and last.tail.strip() == "" else closing
        last.tail = "\n" + indent
    else:
        new.tail = parent.text if parent.text and parent.text.strip() == "" else closing
        parent.text = "\n" + indent
    parent.append(new)


def _remove(el: etree._Element) -> None:
    """Remove an element; whitespace after it takes the place of whitespace before it."""
    parent = el.getparent()
    prev = el.getprevious()
    if prev is not None:
        prev.tail = el.tail
    else:
        parent.text = el.tail
    parent.remove(el)


def _ensure_collaboration(
    root: etree._Element, processes: list[etree._Element], ids: set[str], unit: str
) -> etree._Element | None:
    """The collaboration that holds the pools: existing, or added when a process has lanes."""
    collaboration = next((c for c in _children(root) if _local(c) == "collaboration"), None)
    laned = any(_lanes(p).order for p in processes)
    if collaboration is not None and not laned and _is_generated(collaboration, processes):
        _remove(collaboration)  # added by an earlier run for lanes that are gone now
        return None
    if collaboration is None and not laned:
        return None
    if collaboration is None:
        collaboration = etree.Element(_q("collaboration"))
        pid = next(
            (p.get("id") for p in processes if p.get("isExecutable") == "true"), processes[0].get("id")
        )
        collaboration.set("id", _unique(f"Collaboration_{pid}", ids))
        _insert_before(root, collaboration, processes[0], unit)
    referenced = {p.get("processRef") for p in _children(collaboration) if _local(p) == "participant"}
    for process in processes:
        pid = process.get("id")
        if pid in referenced:
            continue
        participant = etree.Element(_q("participant"))
        participant.set("id", _unique(f"Participant_{pid}", ids))
        if process.get("name"):
            participant.set("name", process.get("name"))
        participant.set("processRef", pid)
        existing = [p for p in _children(collaboration) if _local(p) == "participant"]
        if existing:
            existing[-1].addnext(participant)
            participant.tail, existing[-1].tail = existing[-1].tail, _line_indent(collaboration, unit, 1)
        elif len(collaboration):
            _insert_before(
                collaboration, participant, collaboration[0], _depth_indent(collaboration, unit) + unit
            )
        else:
            _append(
                collaboration,
                participant,
                _depth_indent(collaboration, unit) + unit,
                "\n" + _depth_indent(collaboration, unit),
            )
    return collaboration


def _depth_indent(el: etree._Element, unit: str) -> str:
    return unit * sum(1 for _ in el.iterancestors())


def _line_indent(el: etree._Element, unit: str, extra: int) -> str:
    return "\n" + _depth_indent(el, unit) + unit * extra


def _is_generated(collaboration: etree._Element, processes: list[etree._Element]) -> bool:
    """True for a collaboration this tool made: one participant per process and nothing else."""
    kids = list(collaboration)
    if len(processes) != 1 or len(kids) != 1 or _local(kids[0]) != "participant":
        return False
    pid = processes[0].get("id")
    return (
        collaboration.get("id") == f"Collaboration_{pid}"
        and kids[0].get("id") == f"Participant_{pid}"
        and kids[0].get("processRef") == pid
        and set(collaboration.attrib) == {"id"}
    )


@dataclass
class Drawing:
    """Shapes and edges of the whole document, absolute coordinates."""

    slots: dict[str, Slot] = field(default_factory=dict)
    flags: dict[str, dict[str, str]] = field(default_factory=dict)
    edges: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    labels: dict[str, Box] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _draw_process(
    process: etree._Element, drawing: Drawing, x: int, y: int, pool: str | None, width: int
) -> Box:
    """Lay out one process at (x, y) (as a pool when ``pool`` names its participant)."""
    lanes = _lanes(process)
    if pool is None:
        arrangement = arrange(process, Frame(pad=(0, 0, 0, 0)))
        _flatten(arrangement, x, y, drawing.slots)
        return Box(x, y, arrangement.width, arrangement.height)
    left = HEADER + HEADER * lanes.levels + LANE_PAD[0]
    frame = Frame(
        pad=(left, LANE_PAD[1], LANE_PAD[2], LANE_PAD[3]),
        min_band=MIN_LANE_HEIGHT,
        bands=tuple(lanes.leaves) if lanes.leaves else (None,),
        band_of=lanes.band_of,
    )
    arrangement = arrange(process, frame)
    _flatten(arrangement, x, y, drawing.slots)
    box = Box(x, y, max(width, arrangement.width, MIN_POOL_WIDTH), max(arrangement.height, MIN_LANE_HEIGHT))
    drawing.slots[pool] = Slot(box, (box.y, box.bottom), (box.x, box.right))
    drawing.flags[pool] = {"isHorizontal": "true"}
    bands = {key: (top, h) for key, top, h in arrangement.bands}
    for lane in lanes.order:
        ident = lane.get("id")
        leaves = [bands[leaf] for leaf in lanes.leaf_under[ident] if leaf in bands]
        top = y + min(t for t, _ in leaves)
        bottom = y + max(t + h for t, h in leaves)
        lane_x = x + HEADER + HEADER * lanes.depth[ident]
        lane_box = Box(lane_x, top, box.right - lane_x, bottom - top)
        drawing.slots[ident] = Slot(lane_box, (top, bottom), (lane_x, box.right))
        drawing.flags[ident] = {"isHorizontal": "true"}
    return box


def _pool_width(process: etree._Element) -> int:
    lanes = _lanes(process)
    left = HEADER + HEADER * lanes.levels + LANE_PAD[0]
    frame = Frame(
        pad=(left, LANE_PAD[1], LANE_PAD[2], LANE_PAD[3]),
        min_band=MIN_LANE_HEIGHT,
        bands=tuple(lanes.leaves) if lanes.leaves else (None,),
        band_of=lanes.band_of,
    )
    return arrange(process, frame).width


def _place_boundaries(root: etree._Element, drawing: Drawing) -> None:
    count: dict[str, int] = {}
    for el in root.iter(_q("boundaryEvent")):
        ident, host = el.get("id"), el.get("attachedToRef")
        if not ident or host not in drawing.slots or ident in drawing.slots:
            continue
        k = count.get(host, 0)
        count[host] = k + 1
        hbox = drawing.slots[host].box
        cx = max(hbox.x + EVENT_SIZE[0] // 2, hbox.right - 22 - BOUNDARY_STEP * k)
        box = Box(cx - EVENT_SIZE[0] // 2, hbox.bottom - EVENT_SIZE[1] // 2, *EVENT_SIZE)
        drawing.slots[ident] = Slot(box, drawing.slots[host].row, drawing.slots[host].col)


def _flags(root: etree._Element, drawing: Drawing) -> None:
    for el in root.iter():
        local, ident = _local(el), el.get("id") if isinstance(el.tag, str) else None
        if ident not in drawing.slots:
            continue
        if local in SUBPROCESSES:
            drawing.flags[ident] = {"isExpanded": "true"}
        elif local == "exclusiveGateway":
            drawing.flags[ident] = {"isMarkerVisible": "true"}


def _obstacles(flow: etree._Element, drawing: Drawing, ends: set[str | None]) -> list[Box]:
    """Shapes a sequence flow should not cross: the other nodes and artifacts of its container."""
    container = flow.getparent()
    return [
        drawing.slots[c.get("id")].box
        for c in _children(container)
        if (_local(c) in FLOW_NODES or _local(c) in ARTIFACT_SIZES)
        and c.get("id") in drawing.slots
        and c.get("id") not in ends
    ]


def _route_all(root: etree._Element, drawing: Drawing, pools: set[str]) -> None:
    kinds = {el.get("id"): _local(el) for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    hosts = {el.get("id"): el.get("attachedToRef") for el in root.iter(_q("boundaryEvent"))}
    slots = drawing.slots
    routed: list[tuple[str, str, Segment]] = []
    for el in root.iter():
        local = _local(el)
        ident = el.get("id") if local else None
        if not ident:
            continue
        if local == "sequenceFlow":
            source, target = el.get("sourceRef"), el.get("targetRef")
            if source in slots and target in slots:
                drawing.edges[ident] = route_sequence(
                    slots[source],
                    slots[target],
                    kinds.get(source) or "",
                    kinds.get(target) or "",
                    _obstacles(el, drawing, {source, target, hosts.get(source)}),
                    [seg for src, tgt, seg in routed if src != source and tgt != target],
                )
                routed.extend((source, target, seg) for seg in _segments(drawing.edges[ident]))
            else:
                drawing.notes.append(
                    f"sequence flow {ident}: {source!r} or {target!r} has no shape; not drawn"
                )
        elif local in ("messageFlow", "association"):
            source, target = el.get("sourceRef"), el.get("targetRef")
            if source in slots and target in slots:
                drawing.edges[ident] = route_link(
                    slots[source].box, slots[target].box, s_pool=source in pools, t_pool=target in pools
                )
        elif local in ("dataInputAssociation", "dataOutputAssociation"):
            owner = el.getparent().get("id")
            refs = {_local(r): (r.text or "").strip() for r in el if _local(r) in ("sourceRef", "targetRef")}
            if local == "dataInputAssociation":
                source, target = refs.get("sourceRef"), owner
            else:
                source, target = owner, refs.get("targetRef")
            if source in slots and target in slots:
                drawing.edges[ident] = route_link(slots[source].box, slots[target].box)


def label_size(text: str) -> tuple[int, int]:
    """Roughly the box bpmn-js needs for an external label (11px font, lines wrapped at 90px)."""
    lines = 0
    widest = 0
    for line in text.splitlines() or [""]:
        width = sum(12 if ord(ch) >= 0x2E80 else 7 for ch in line.strip())
        lines += max(1, -(-width // LABEL_WIDTH))
        widest = max(widest, min(width, LABEL_WIDTH))
    return max(widest, 14), LABEL_LINE * lines


def _place_labels(root: etree._Element, drawing: Drawing) -> None:
    """Put each named event's and gateway's label next to it where no flow, shape or label is."""
    shapes = [
        drawing.slots[el.get("id")].box
        for el in root.iter()
        if (_local(el) in FLOW_NODES or _local(el) in ARTIFACT_SIZES) and el.get("id") in drawing.slots
    ]
    segments = [seg for points in drawing.edges.values() for seg in _segments(points)]
    for el in root.iter():
        local, ident = _local(el), el.get("id") if isinstance(el.tag, str) else None
        name = (el.get("name") or "").strip() if local else ""
        if not name or ident not in drawing.slots or not (local in EVENTS or local in GATEWAYS):
            continue
        b = drawing.slots[ident].box
        w, h = label_size(name)
        spots = [
            Box(b.cx - w // 2, b.bottom + 5, w, h),  # below: bpmn-js's own choice
            Box(b.right + 2, b.bottom + 2, w, h),
            Box(b.x - 2 - w, b.bottom + 2, w, h),
            Box(b.cx - w // 2, b.y - 5 - h, w, h),
            Box(b.right + 2, b.y - 2 - h, w, h),
            Box(b.x - 2 - w, b.y - 2 - h, w, h),
        ]

        def clashes(spot: Box, me: Box = b) -> int:
            hits = sum(1 for a, c in segments if _crosses([a, c], spot))
            # a shape around the element (its expanded subprocess) is no clash
            hits += sum(1 for box in shapes if _overlap(spot, box) and not _contains(box, me))
            hits += sum(1 for box in drawing.labels.values() if _overlap(spot, box))
            return hits

        drawing.labels[ident] = min(spots, key=clashes)


def _overlap(a: Box, b: Box) -> bool:
    return a.x < b.right and b.x < a.right and a.y < b.bottom and b.y < a.bottom


def _contains(outer: Box, inner: Box) -> bool:
    return (
        outer.x <= inner.x
        and outer.y <= inner.y
        and inner.right <= outer.right
        and inner.bottom <= outer.bottom
    )


def _diagram(
    plane_element: str,
    scope: Iterable[etree._Element],
    drawing: Drawing,
    ids: set[str],
) -> etree._Element:
    diagram = etree.Element(_q("BPMNDiagram", BPMNDI_NS))
    diagram.set("id", _unique(f"BPMNDiagram_{plane_element}", ids))
    plane = etree.SubElement(diagram, _q("BPMNPlane", BPMNDI_NS))
    plane.set("id", _unique(f"BPMNPlane_{plane_element}", ids))
    plane.set("bpmnElement", plane_element)
    elements = [
        el.get("id") for top in scope for el in top.iter() if isinstance(el.tag, str) and el.get("id")
    ]
    for ident in elements:
        if ident in drawing.slots:
            shape = etree.SubElement(plane, _q("BPMNShape", BPMNDI_NS))
            shape.set("id", _unique(f"{ident}_di", ids))
            shape.set("bpmnElement", ident)
            for name, value in drawing.flags.get(ident, {}).items():
                shape.set(name, value)
            box = drawing.slots[ident].box
            bounds = etree.SubElement(shape, _q("Bounds", DC_NS))
            for name, value in (("x", box.x), ("y", box.y), ("width", box.w), ("height", box.h)):
                bounds.set(name, str(value))
            if ident in drawing.labels:
                label = etree.SubElement(shape, _q("BPMNLabel", BPMNDI_NS))
                box = drawing.labels[ident]
                bounds = etree.SubElement(label, _q("Bounds", DC_NS))
                for name, value in (("x", box.x), ("y", box.y), ("width", box.w), ("height", box.h)):
                    bounds.set(name, str(value))
    for ident in elements:
        if ident in drawing.edges:
            edge = etree.SubElement(plane, _q("BPMNEdge", BPMNDI_NS))
            edge.set("id", _unique(f"{ident}_di", ids))
            edge.set("bpmnElement", ident)
            for px, py in drawing.edges[ident]:
                point = etree.SubElement(edge, _q("waypoint", DI_NS))
                point.set("x", str(px))
                point.set("y", str(py))
    return diagram


def _serialize(root: etree._Element) -> bytes:
    parts = [b'<?xml version="1.0" encoding="UTF-8"?>\n']
    for sibling in reversed(list(root.itersiblings(preceding=True))):
        parts.append(etree.tostring(sibling, encoding="UTF-8", with_tail=False) + b"\n")
    parts.append(etree.tostring(root, encoding="UTF-8", xml_declaration=False, with_tail=False) + b"\n")
    for sibling in root.itersiblings():
        parts.append(etree.tostring(sibling, encoding="UTF-8", with_tail=False) + b"\n")
    return b"".join(parts)


def layout_with_notes(content: bytes) -> tuple[bytes, list[str]]:
    """``layout`` that also returns notes about what could not be drawn."""
    try:
        root = etree.fromstring(content, _parser())
    except etree.XMLSyntaxError as exc:
        raise LayoutError(f"not well-formed XML: {exc}") from None
    if root.getroottree().docinfo.doctype:
        raise LayoutError("DOCTYPE declarations are not allowed in diagrams")
    if root.tag != _q("definitions"):
        raise LayoutError(f"not a BPMN 2.0 file: the root element is {root.tag}")
    unit = _indent_of(root)
    for old in [c for c in root if isinstance(c.tag, str) and c.tag == _q("BPMNDiagram", BPMNDI_NS)]:
        _remove(old)
    processes = [p for p in _children(root) if _local(p) == "process" and p.get("id")]
    if not processes:
        raise LayoutError("no bpmn:process to lay out")
    ids = {el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    collaboration = _ensure_collaboration(root, processes, ids, unit)

    drawing = Drawing()
    diagrams: list[etree._Element] = []
    by_id = {p.get("id"): p for p in processes}
    if collaboration is not None:
        participants = [p for p in _children(collaboration) if _local(p) == "participant" and p.get("id")]
        width = max(
            [_pool_width(by_id[p.get("processRef")]) for p in participants if p.get("processRef") in by_id],
            default=MIN_POOL_WIDTH,
        )
        x, y = ORIGIN
        drawn: set[str] = set()
        for participant in participants:
            process = by_id.get(participant.get("processRef") or "")
            if process is not None and process.get("id") not in drawn:
                drawn.add(process.get("id"))
                box = _draw_process(process, drawing, x, y, participant.get("id"), width)
            else:  # a black-box pool (no process, or one drawn already)
                box = Box(x, y, max(width, MIN_POOL_WIDTH), MIN_LANE_HEIGHT)
                drawing.slots[participant.get("id")] = Slot(box, (box.y, box.bottom), (box.x, box.right))
                drawing.flags[participant.get("id")] = {"isHorizontal": "true"}
            y = box.bottom + POOL_GAP
        # annotations of the collaboration itself: a row under the pools
        fx = x
        for el in _children(collaboration):
            if _local(el) in ARTIFACT_SIZES and el.get("id"):
                w, h = ARTIFACT_SIZES[_local(el) or "textAnnotation"]
                drawing.slots[el.get("id")] = Slot(Box(fx, y, w, h), (y, y + h), (fx, fx + w))
                fx += w + FREE_GAP
        pools = {p.get("id") for p in participants}
        _place_boundaries(root, drawing)
        _flags(root, drawing)
        _route_all(root, drawing, pools)
        _place_labels(root, drawing)
        diagrams.append(_diagram(collaboration.get("id"), [collaboration, *processes], drawing, ids))
    else:
        for process in processes:  # each in a diagram of its own
            _draw_process(process, drawing, *ORIGIN, None, 0)
        _place_boundaries(root, drawing)
        _flags(root, drawing)
        _route_all(root, drawing, set())
        _place_labels(root, drawing)
        for process in processes:
            diagrams.append(_diagram(process.get("id"), [process], drawing, ids))

    for diagram in diagrams:
        etree.indent(diagram, space=unit, level=1)
        _append(root, diagram, unit)
    missing = {p: ns for p, ns in DI_PREFIXES.items() if ns not in root.nsmap.values()}
    if missing:
        declared = set(root.nsmap)
        top = {(p if p not in declared else f"{p}{i}"): ns for i, (p, ns) in enumerate(missing.items(), 2)}
        prefixes = {p for el in root.iter() if isinstance(el.tag, str) for p in el.nsmap if p}
        etree.cleanup_namespaces(root, top_nsmap=top, keep_ns_prefixes=sorted(prefixes))
    return _serialize(root), drawing.notes


def layout(content: bytes) -> bytes:
    """The diagram with a freshly laid-out DI (see the module docstring)."""
    return layout_with_notes(content)[0]


def _write(path: Path, data: bytes) -> None:
    """Replace the file atomically (others may be editing it), keeping its permissions."""
    mode = path.stat().st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or any(a in ("-h", "--help") for a in args):
        print(__doc__.split("\n\n")[1].strip() if __doc__ else "", file=sys.stderr)
        print("usage: bpmn_layout.py FILE.bpmn [FILE2.bpmn ...]", file=sys.stderr)
        return 0 if args else 2
    status = 0
    for name in args:
        path = Path(name)
        try:
            content = path.read_bytes()
            result, notes = layout_with_notes(content)
        except (OSError, LayoutError) as exc:
            print(f"{name}: {exc}", file=sys.stderr)
            status = 1
            continue
        for note in notes:
            print(f"{name}: {note}", file=sys.stderr)
        if result == content:
            print(f"{name}: unchanged")
        else:
            _write(path, result)
            print(f"{name}: laid out")
    return status


if __name__ == "__main__":
    sys.exit(main())

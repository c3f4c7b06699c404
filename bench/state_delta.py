"""What a delta store of the engine state would cost, in memory: a MEASUREMENT of a possible design (issue #24).

Nothing here ships: the platform stores the item's whole engine state every step (``runner.core.state``'s
``dump_workflow``). This script prototypes the design the issue allows, "storing only the tasks that changed (or
an append-only step record with periodic snapshots)", and times it against today's dump, in one process, thread
CPU (``time.thread_time``), medians.

Usage: ``.venv/bin/python bench/state_delta.py [--items 150] [--loops 6] [--rounds 120]``.

Two items are stepped in memory as the benchmarks step them, no database:
- the 联办件 (``tests/support/joint.py``: its start and six completions with the API's task data);
- the long looping item of ``bench/aging.py`` (``bench/data/aging_loop.bpmn``, ``--rounds`` completions).
Each step is saved by
(a) today's ``dump_workflow``: the whole ``to_dict`` (finished tasks' dicts reused), orjson, zlib;
(b) a delta: ``to_dict`` of only the tasks whose stored dict may have changed since the previous save (the
    serializer's own test, ``_inputs``: state, last state change, tree links, data identity; a task at work
    always counts as changed), the ids of the tasks gone, and the workflow-level fields whole (data, last task,
    correlations, BPMN events; the same for each subprocess), orjson, zlib.
Two items of the same diagram are stepped in lockstep, one saved by (a) and one by (b) (each keeps its own
reuse cache), their roles swapped every repetition. Printed per step kind: (a) and (b) and the bytes each
writes; then (c) restoring an item from a full dump vs from a snapshot + N deltas (N = 10, 50 on the loop; the
start + its 6 deltas on the 联办件), unpack, merge and ``from_dict``.
Before any timing, ``--verify`` items (default 3 of each) are stepped with both saves at every step, and the
state rebuilt from the snapshot and the deltas must equal the full ``to_dict`` (asserted; the tasks' order too),
and restore to a workflow whose ``to_dict`` equals it too.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from SpiffWorkflow.util.task import TaskState  # noqa: E402

from runner.clock import ManualClock  # noqa: E402
from runner.core.scripts import CentreScriptEngine  # noqa: E402
from runner.core.spiff.parser import CentreParser, parse_specs  # noqa: E402
from runner.core.spiff.serializer import STATE_VERSION, _inputs, serializer  # noqa: E402
from runner.core.spiff.workflow import CentreWorkflow  # noqa: E402
from runner.core.state import dump_specs, dump_workflow, load_specs, load_workflow, pack, unpack  # noqa: E402
from runner.timekeeping.calendar import BusinessCalendar  # noqa: E402
from tests.support.joint import START_DATA, load_joint  # noqa: E402

LOOP = ROOT / "bench" / "data" / "aging_loop.bpmn"
LOOP_STEP = {"approved": True, "opinion": "再审"}
_FP = "_delta_saved"  # attribute of a task: (inputs, its stored dict) at the delta store's previous save
_FIELDS = ("typename", "data", "correlations", "last_task", "success", "completed", "root")


class Diagram:
    """A diagram's specs, an engine, and how to start and step one of its items in memory."""

    def __init__(
        self, spec: Any, subprocess_specs: dict[str, Any], engine: Any, start: dict[str, Any]
    ) -> None:
        self.spec, self.subprocess_specs, self.engine, self.start = spec, subprocess_specs, engine, start
        self.step_data: Callable[[Any], dict[str, Any]] = lambda _task: {}

    def started(self) -> CentreWorkflow:
        workflow = CentreWorkflow(self.spec, self.subprocess_specs, script_engine=self.engine)
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(self.start)
        workflow.do_engine_steps()
        return workflow

    def step(self, workflow: CentreWorkflow) -> str | None:
        """Complete the first ready person's task; its spec's name, or None when the item has ended."""
        ready = workflow.get_tasks(state=TaskState.READY, manual=True)
        if not ready:
            return None
        task = ready[0]
        task.data.update(self.step_data(task))
        task.run()
        workflow.do_engine_steps()
        return str(task.task_spec.bpmn_id)


def joint() -> Diagram:
    j = load_joint()
    diagram = Diagram(j.spec, j.subprocess_specs, j.engine, START_DATA)
    diagram.step_data = lambda task: j.step_data[task.task_spec.bpmn_id]
    return diagram


def loop(rounds: int) -> Diagram:
    parser = CentreParser()
    parser.add_bpmn_file(str(LOOP))
    spec, subprocess_specs = load_specs(dump_specs(*parse_specs(parser, "aging_loop")))
    engine = CentreScriptEngine(ManualClock(datetime(2026, 11, 25, 1, tzinfo=UTC)), BusinessCalendar())
    diagram = Diagram(spec, subprocess_specs, engine, {"rounds": rounds})
    diagram.step_data = lambda _task: LOOP_STEP
    return diagram


# --- the delta store (prototype) ---------------------------------------------------------------------------


def _changed_tasks(workflow: Any, known: set[Any]) -> tuple[dict[str, Any], list[str], set[Any]]:
    """The dicts of the tasks that changed since the previous save, the ids gone, and the ids there now (UUIDs:
    their text only for what is written)."""
    convert = serializer().registry.convert
    changed: dict[str, Any] = {}
    for task in workflow.tasks.values():
        inputs = _inputs(task)
        saved = task.__dict__.get(_FP)
        if (
            inputs is not None
            and saved is not None
            and saved[0] == inputs
            and task.internal_data == saved[1]["internal_data"]
        ):
            continue
        dct = convert(task)
        task.__dict__[_FP] = (inputs, dct)
        changed[str(task.id)] = dct
    now = set(workflow.tasks)
    return changed, sorted(map(str, known - now)), now


class DeltaStore:
    """Saves one workflow as a snapshot (its first save) and then deltas; what it wrote, in order."""

    def __init__(self) -> None:
        self.known: dict[str | None, set[Any]] = {}  # workflow (None: top, else subprocess id) -> task ids
        self.blobs: list[bytes] = []

    def _part(self, workflow: Any, key: str | None) -> dict[str, Any]:
        registry = serializer().registry
        part = {
            "typename": registry.typenames[type(workflow)],
            "data": registry.convert(registry.clean(workflow.data)),
            "correlations": workflow.correlations,
            "last_task": str(workflow.last_task.id) if workflow.last_task is not None else None,
            "success": workflow.success,
            "completed": workflow.completed,
            "root": str(workflow.task_tree.id),
        }
        part["tasks"], part["gone"], self.known[key] = _changed_tasks(workflow, self.known.get(key, set()))
        if key is not None:
            part["parent_task_id"], part["spec"] = str(workflow.parent_task_id), workflow.spec.name
        return part

    def save(self, workflow: Any) -> bytes:
        delta = self._part(workflow, None)
        delta["bpmn_events"] = serializer().registry.convert(workflow.bpmn_events)
        subprocesses = {str(k): self._part(sub, str(k)) for k, sub in workflow.subprocesses.items()}
        for gone in [k for k in self.known if k is not None and k not in subprocesses]:
            del self.known[gone]
            subprocesses[gone] = None  # type: ignore[assignment]
        delta["subprocesses"] = subprocesses
        blob = pack(delta)
        self.blobs.append(blob)
        return blob


def _apply(state: dict[str, Any], part: dict[str, Any]) -> None:
    for field in _FIELDS:
        state[field] = part[field]
    tasks = state.setdefault("tasks", {})
    for gone in part["gone"]:
        del tasks[gone]
    tasks.update(part["tasks"])
    for field in ("parent_task_id", "spec"):
        if field in part:
            state[field] = part[field]


def merged(blobs: list[bytes]) -> dict[str, Any]:
    """The full state dict a snapshot and its deltas make (what ``serializer().to_dict`` gave at the last)."""
    state: dict[str, Any] = {"subprocesses": {}}
    for blob in blobs:
        delta = unpack(blob)
        _apply(state, delta)
        state["bpmn_events"] = delta["bpmn_events"]
        for key, part in delta["subprocesses"].items():
            if part is None:
                state["subprocesses"].pop(key, None)
            else:
                _apply(state["subprocesses"].setdefault(key, {}), part)
    return state


def _canonical(state: dict[str, Any]) -> dict[str, Any]:
    """The dict with its task mappings in one order (a dict's order is no part of the state)."""
    state = dict(state, tasks=dict(sorted(state["tasks"].items())))
    subs = state.get("subprocesses", {})
    state["subprocesses"] = {
        k: dict(v, tasks=dict(sorted(v["tasks"].items()))) for k, v in sorted(subs.items())
    }
    return state


def restore(diagram: Diagram, blobs: list[bytes]) -> Any:
    """A workflow restored from a snapshot and its deltas."""
    return serializer().from_dict(merged(blobs), spec=diagram.spec, subprocess_specs=diagram.subprocess_specs)


# --- verification ------------------------------------------------------------------------------------------


def verify(diagram: Diagram, items: int) -> int:
    """Step ``items`` items saving both ways; the snapshot + deltas must give the full ``to_dict`` at every step
    (and restore to a workflow giving it again). Returns the steps checked."""
    checked = 0
    for _ in range(items):
        workflow, store = diagram.started(), DeltaStore()
        while True:
            store.save(workflow)
            full, rebuilt = serializer().to_dict(workflow), merged(store.blobs)
            assert _canonical(rebuilt) == _canonical(full), "snapshot + deltas differ from the full dump"
            assert list(rebuilt["tasks"]) == list(full["tasks"]), "the tasks' order differs"
            again = serializer().to_dict(restore(diagram, store.blobs))
            assert _canonical(again) == _canonical(full), (
                "the workflow restored from snapshot + deltas differs"
            )
            assert list(again["tasks"]) == list(full["tasks"]), "the restored tasks' order differs"
            checked += 1
            if diagram.step(workflow) is None:
                break
    return checked


# --- timing ------------------------------------------------------------------------------------------------


def _scan(workflow: Any) -> bytes:
    """Only (b)'s test of every task for a change, nothing converted: what an engine hook marking the tasks it
    changes (none exists) would save of (b). Returns nothing written."""
    for sub in (workflow, *workflow.subprocesses.values()):
        for task in sub.tasks.values():
            saved = task.__dict__.get(_FP)
            inputs = _inputs(task)
            if inputs is not None and saved is not None and saved[0] == inputs:
                task.internal_data == saved[1]["internal_data"]  # noqa: B015
    return b""


def _timed(save: Callable[[], bytes]) -> tuple[float, int]:
    began = time.thread_time()
    blob = save()
    return time.thread_time() - began, len(blob)


def lockstep(
    diagram: Diagram, swap: bool
) -> Iterator[tuple[str, tuple[float, int], tuple[float, int], float]]:
    """Two items stepped alike, one saved by (a), one by (b): per step its name, (a)'s and (b)'s time and bytes."""
    full, partial, store = diagram.started(), diagram.started(), DeltaStore()
    name: str | None = "start"
    while name is not None:
        if swap:
            b = _timed(lambda: store.save(partial))
            a = _timed(lambda: dump_workflow(full)[0])
        else:
            a = _timed(lambda: dump_workflow(full)[0])
            b = _timed(lambda: store.save(partial))
        yield name, a, b, _timed(lambda: _scan(partial))[0]
        name = diagram.step(full)
        assert diagram.step(partial) == name


def restore_costs(diagram: Diagram, ns: tuple[int, ...], repeats: int) -> dict[str, tuple[float, float, int]]:
    """Per N: (median ms of restoring from the full dump, from a snapshot + N deltas, bytes of snapshot+N)."""
    longest = max(ns)
    workflow, store = diagram.started(), DeltaStore()
    store.save(workflow)
    fulls = [dump_workflow(workflow)[0]]
    for _ in range(longest):
        if diagram.step(workflow) is None:
            break
        store.save(workflow)
        fulls.append(dump_workflow(workflow)[0])
    out: dict[str, tuple[float, float, int]] = {}
    for n in ns:
        n = min(n, len(store.blobs) - 1)
        blobs, full = store.blobs[: n + 1], fulls[n]
        a, b = [], []
        for i in range(repeats):
            for which in (0, 1) if i % 2 else (1, 0):
                began = time.thread_time()
                if which == 0:
                    load_workflow(full, STATE_VERSION, diagram.spec, diagram.subprocess_specs)
                    a.append(time.thread_time() - began)
                else:
                    restore(diagram, blobs)
                    b.append(time.thread_time() - began)
        out[f"N={n}"] = (statistics.median(a) * 1e3, statistics.median(b) * 1e3, sum(map(len, blobs)))
    return out


def report(title: str, diagram: Diagram, repetitions: int, bucket: Callable[[int, str], str]) -> None:
    """Print (a), (b) and (d) per kind of step, over ``repetitions`` lockstep pairs."""
    rows: dict[str, list[tuple[float, int, float, int, float]]] = {}
    for rep in range(repetitions):
        for i, (name, (ta, sa), (tb, sb), scan) in enumerate(lockstep(diagram, swap=bool(rep % 2))):
            rows.setdefault(bucket(i, name), []).append((ta, sa, tb, sb, scan))
    print(f"\n{title} ({repetitions} lockstep pairs; thread CPU medians, ms; bytes written)")
    print(
        f"{'step':<22}{'(a) dump':>10}{'(b) delta':>11}{'of it scan':>12}{'b/a':>7}{'(d) a bytes':>13}"
        f"{'b bytes':>9}{'saves':>7}"
    )
    for key, values in rows.items():
        ta, sa, tb, sb, scan = (statistics.median(v[k] for v in values) for k in range(5))
        print(
            f"{key:<22}{ta * 1e3:10.3f}{tb * 1e3:11.3f}{scan * 1e3:12.3f}{tb / ta:7.2f}{sa:13,.0f}{sb:9,.0f}"
            f"{len(values):7d}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=150, help="lockstep pairs of 联办件")
    parser.add_argument("--loops", type=int, default=6, help="lockstep pairs of the looping item")
    parser.add_argument("--rounds", type=int, default=120)
    parser.add_argument("--verify", type=int, default=3)
    parser.add_argument("--restores", type=int, default=200)
    args = parser.parse_args()
    print(
        f"# state delta (a possible design, not what ships) — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — "
        f"{platform.node()} ({platform.machine()}, Python {platform.python_version()}); {ROOT.name}"
    )
    the_joint, the_loop = joint(), loop(args.rounds)
    checked = verify(the_joint, args.verify) + verify(loop(30), args.verify)
    print(f"verified: snapshot + deltas == full to_dict (and restore) at {checked} steps")
    for _ in range(20):  # warm-up
        list(lockstep(the_joint, swap=False))
    report("联办件", the_joint, args.items, lambda _i, name: name)
    ages = (0, 1, 10, 50, 100)

    def age(i: int, _name: str) -> str:
        below = [a for a in ages if a <= i]
        return f"age {below[-1]}..{next((a - 1 for a in ages if a > i), args.rounds)}"

    report(f"looping item ({args.rounds} rounds)", the_loop, args.loops, age)
    print(
        f"\n(c) restore (medians of {args.restores}, ms): full dump vs snapshot + N deltas; bytes of snapshot+N"
    )
    for title, diagram, ns in (("联办件", the_joint, (6,)), ("looping item", the_loop, (10, 50))):
        for key, (a, b, size) in restore_costs(diagram, ns, args.restores).items():
            print(
                f"{title:<14}{key:<6} full {a:7.3f}  snapshot+deltas {b:7.3f}  ×{b / a:5.2f}  {size:8,d} bytes"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The platform's BPMN parser: SpiffWorkflow's, with clock-aware timers swapped in after parsing."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.parser.event_parsers import (
    CANCEL_EVENT_XPATH,
    CONDITIONAL_EVENT_XPATH,
    ERROR_EVENT_XPATH,
    ESCALATION_EVENT_XPATH,
    MESSAGE_EVENT_XPATH,
    SIGNAL_EVENT_XPATH,
    TERMINATION_EVENT_XPATH,
    TIMER_EVENT_XPATH,
)
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.defaults import EndEvent, StartEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.spiff.parser.event_parsers import SpiffEndEventParser, SpiffStartEventParser
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.specs.defaults import ParallelMultiInstanceTask, SequentialMultiInstanceTask

from runner.core.conventions import BPMN_NS, completion_mode
from runner.core.spiff.branches import INTERRUPTING
from runner.core.spiff.multi_instance import use_local_items
from runner.core.spiff.scoped_throws import use_scoped_throws
from runner.core.spiff.timers import CLOCK_TIMERS, leaf_definitions

_CONTAINERS = ("process", "subProcess", "transaction")
# nodes whose missing outgoing flow does not make an end: the end itself, and what never runs on a path
_NOT_ENDS = ("endEvent",)


# what a start event can be triggered by here: SpiffWorkflow's own, and an error or escalation
_START_TRIGGERS = [
    MESSAGE_EVENT_XPATH,
    SIGNAL_EVENT_XPATH,
    TIMER_EVENT_XPATH,
    CONDITIONAL_EVENT_XPATH,
    ERROR_EVENT_XPATH,
    ESCALATION_EVENT_XPATH,
]


class CentreStartEventParser(SpiffStartEventParser):
    """A start event that also reads an error or escalation trigger (SpiffWorkflow reads message, signal, timer
    and conditional only: an error-start event subprocess ran at once, as on a plain start). Such a start
    appears only in an event subprocess; SpiffWorkflow starts the subprocess when its process catches a
    matching error or escalation that no boundary event caught first."""

    def create_task(self) -> Any:
        event_definition = self.get_event_definition(_START_TRIGGERS)
        task = self._create_task(event_definition)
        self.spec.start.connect(task)
        return task


# what an end event can throw here: SpiffWorkflow's own, and a signal
_END_THROWS = [
    MESSAGE_EVENT_XPATH,
    CANCEL_EVENT_XPATH,
    ERROR_EVENT_XPATH,
    ESCALATION_EVENT_XPATH,
    TERMINATION_EVENT_XPATH,
    SIGNAL_EVENT_XPATH,
]


class CentreEndEventParser(SpiffEndEventParser):
    """An end event that also throws a signal (SpiffWorkflow reads none on an end event: a signal end event
    deployed and ended its path throwing nothing, so what waited for the signal never heard it)."""

    def create_task(self) -> Any:
        event_definition = self.get_event_definition(_END_THROWS)
        task = self._create_task(event_definition)
        task.connect(self.spec.end)
        return task


class CentreParser(SpiffBpmnParser):
    """Parses diagrams (and DMN tables) into specs the runner can execute.

    It also notes each node that has no outgoing sequence flow: BPMN ends its path there (an implicit end),
    while SpiffWorkflow would leave the process waiting for it; ``parse_specs`` connects them to their
    process's end.
    """

    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("startEvent"): (CentreStartEventParser, StartEvent),
        full_tag("endEvent"): (CentreEndEventParser, EndEvent),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.implicit_ends: dict[str, set[str]] = {}
        self.interrupting_starts: set[str] = set()

    def add_bpmn_xml(self, bpmn: Any, filename: str | None = None) -> None:
        for local in _CONTAINERS:
            for container in bpmn.iter(f"{{{BPMN_NS}}}{local}"):
                ends = implicit_end_nodes(container)
                if ends:
                    self.implicit_ends.setdefault(container.get("id"), set()).update(ends)
                if local != "process":
                    _give_an_end_event(container)
                if container.get("triggeredByEvent") == "true":
                    self.interrupting_starts.update(interrupting_starts(container))
        super().add_bpmn_xml(bpmn, filename)


def _give_an_end_event(subprocess: Any) -> None:
    """SpiffWorkflow refuses a subprocess without an end event; one whose paths all end implicitly gets an
    unconnected end event of its own (in the tree the parser reads, not in the stored XML)."""
    if subprocess.find(f"{{{BPMN_NS}}}endEvent") is None:
        end = subprocess.makeelement(
            f"{{{BPMN_NS}}}endEvent", {"id": f"{subprocess.get('id')}__implicit_end"}
        )
        subprocess.append(end)


def interrupting_starts(subprocess: Any) -> set[str]:
    """Ids of the interrupting start events of an event subprocess (``isInterrupting`` is true by default);
    SpiffWorkflow reads no ``isInterrupting``, the platform marks them (``mark_interrupting_starts``)."""
    return {
        start.get("id")
        for start in subprocess.iterfind(f"{{{BPMN_NS}}}startEvent")
        if start.get("isInterrupting", "true") != "false" and start.get("id")
    }


def mark_interrupting_starts(spec: Any, starts: set[str]) -> None:
    """Note on each start spec of ``starts`` in ``spec`` that it interrupts (in its ``extensions``, which the
    stored spec keeps), in place: ``branches.interrupt_enclosing`` reads it when the start fires."""
    for node_id in starts:
        task_spec = spec.task_specs.get(node_id)
        if task_spec is not None:
            task_spec.extensions = {**(getattr(task_spec, "extensions", None) or {}), INTERRUPTING: True}


def end_caught_interrupters(spec: Any, subprocess_specs: dict[str, Any]) -> None:
    """Lead each event subprocess of ``spec`` that a message or signal starts, and that interrupts, to the
    spec's end, in place. SpiffWorkflow connects such a subprocess to the end only when the event arrives, in
    the live spec: the platform stores the spec once, so after a reload the subprocess ended nothing and, the
    main path cancelled, the item waited for good. Its start is noted as connected, so no second end follows."""
    start = spec.start
    for name in getattr(start, "trigger_specs", None) or []:
        esp = spec.task_specs.get(name)
        sub = subprocess_specs.get(getattr(esp, "spec", None))
        if esp is None or sub is None or start.name in esp._inputs:
            continue
        if any((getattr(t, "extensions", None) or {}).get(INTERRUPTING) for t in sub.task_specs.values()):
            esp._inputs.append(start.name)
            esp.connect(spec.end)


def implicit_end_nodes(container: Any) -> set[str]:
    """Ids of the flow nodes directly in ``container`` (a process or subprocess) that no sequence flow
    leaves: activities and events other than end events (event subprocesses and compensation handlers
    run off the paths and are left alone)."""
    sources = {flow.get("sourceRef") for flow in container.iterfind(f"{{{BPMN_NS}}}sequenceFlow")}
    found = set()
    for node in container:
        if not isinstance(node.tag, str) or not node.tag.startswith(f"{{{BPMN_NS}}}"):
            continue
        local = node.tag.split("}")[1]
        if local in ("sequenceFlow", "laneSet", "extensionElements", "documentation", *_NOT_ENDS):
            continue
        if node.get("triggeredByEvent") == "true" or node.get("isForCompensation") == "true":
            continue
        if node.get("id") and node.get("id") not in sources and _is_flow_node(local):
            found.add(node.get("id"))
    return found


def _is_flow_node(local: str) -> bool:
    return local.endswith(("Task", "Event", "Gateway", "Process", "Activity")) or local in (
        "task",
        "transaction",
    )


def connect_implicit_ends(spec: Any, ends: set[str]) -> None:
    """Lead each node of ``ends`` that has no successor in ``spec`` to the spec's end, in place (a boundary
    event's only successor is its activity's ``BoundaryEventJoin``, which ends nothing)."""
    for node_id in ends:
        task_spec = spec.task_specs.get(node_id)
        if task_spec is not None and all(o.name.endswith(".BoundaryEventJoin") for o in task_spec.outputs):
            task_spec.connect(spec.end)


def use_platform_timers(spec: Any) -> None:
    """Replace SpiffWorkflow's timer definitions by the clock-aware ones, in place (table-driven)."""
    for task_spec in spec.task_specs.values():
        for definition in leaf_definitions(getattr(task_spec, "event_definition", None)):
            replacement = CLOCK_TIMERS.get(type(definition))
            if replacement is not None:
                definition.__class__ = replacement


def apply_completion_modes(spec: Any) -> None:
    """Turn each multi-instance activity's ``completionMode`` property into its completion condition
    (and, for ``sequential``, a sequential multi-instance), in place (runner.core.conventions)."""
    for task_spec in spec.task_specs.values():
        if not isinstance(task_spec, MultiInstanceTask):
            continue
        # the element's properties stay on the instance spec ("<id> [child]") the parser wraps
        child = spec.task_specs.get(task_spec.task_spec)
        mode = ((getattr(child, "extensions", None) or {}).get("properties") or {}).get("completionMode")
        if not mode:
            continue
        try:
            sequential, condition = completion_mode(mode)
        except ValueError as exc:
            raise ValidationException(f"{task_spec.bpmn_id}: {exc}") from exc
        task_spec.condition = condition
        if sequential and isinstance(task_spec, ParallelMultiInstanceTask):
            task_spec.__class__ = SequentialMultiInstanceTask


def parse_specs(parser: CentreParser, process_id: str) -> tuple[Any, dict[str, Any]]:
    """The top spec of ``process_id`` and every spec it calls, ready to run."""
    spec = parser.get_spec(process_id)
    subprocess_specs = parser.get_subprocess_specs(process_id)
    for s in (spec, *subprocess_specs.values()):
        if s is not None:
            connect_implicit_ends(s, parser.implicit_ends.get(s.name, set()))
            mark_interrupting_starts(s, parser.interrupting_starts)
            use_platform_timers(s)
            apply_completion_modes(s)
            use_local_items(s)
            use_scoped_throws(s)
    if spec is not None:
        end_caught_interrupters(spec, subprocess_specs)
    return spec, subprocess_specs

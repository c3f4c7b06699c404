"""The platform's BPMN parser: SpiffWorkflow's, with clock-aware timers swapped in after parsing."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from .timers import CLOCK_TIMERS, leaf_definitions


class CentreParser(SpiffBpmnParser):
    """Parses diagrams (and DMN tables) into specs the runner can execute."""


def use_platform_timers(spec: Any) -> None:
    """Replace SpiffWorkflow's timer definitions by the clock-aware ones, in place (table-driven)."""
    for task_spec in spec.task_specs.values():
        for definition in leaf_definitions(getattr(task_spec, "event_definition", None)):
            replacement = CLOCK_TIMERS.get(type(definition))
            if replacement is not None:
                definition.__class__ = replacement


def parse_specs(parser: CentreParser, process_id: str) -> tuple[Any, dict[str, Any]]:
    """The top spec of ``process_id`` and every spec it calls, ready to run."""
    spec = parser.get_spec(process_id)
    subprocess_specs = parser.get_subprocess_specs(process_id)
    for s in (spec, *subprocess_specs.values()):
        if s is not None:
            use_platform_timers(s)
    return spec, subprocess_specs

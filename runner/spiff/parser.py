"""The platform's BPMN parser: SpiffWorkflow's, with clock-aware timers swapped in after parsing."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.specs.defaults import ParallelMultiInstanceTask, SequentialMultiInstanceTask

from ..conventions import completion_mode
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


def apply_completion_modes(spec: Any) -> None:
    """Turn each multi-instance activity's ``completionMode`` property into its completion condition
    (and, for ``sequential``, a sequential multi-instance), in place (runner.conventions)."""
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
            use_platform_timers(s)
            apply_completion_modes(s)
    return spec, subprocess_specs

"""The serializer for stored engine state, with the platform's own classes registered.

Instances store only their task tree and data: the spec lives once per definition version
(``process_definitions.spec_state``), so a save never re-serializes the diagram and an
instance row stays small.
"""

from __future__ import annotations

from copy import deepcopy
from functools import cache
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.event_definition import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from .timers import CLOCK_TIMERS

# Bump when the stored shape changes; runner.state keeps migrations from older versions.
STATE_VERSION = "banjian-1"


class SpecFreeWorkflowConverter(BpmnWorkflowConverter):
    """Serializes a workflow without its specs; they are handed back in on restore."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(  # type: ignore[override]
        self, dct: dict[str, Any], spec: Any = None, subprocess_specs: dict[str, Any] | None = None
    ) -> BpmnWorkflow:
        if spec is None:
            raise ValueError("restoring an instance needs its definition's spec")
        # registry.restore returns non-dict values unchanged, so ready-made specs pass straight through
        dct = dict(dct, spec=spec, subprocess_specs=dict(subprocess_specs or {}))
        return super().from_dict(dct)  # type: ignore[no-any-return]


@cache
def serializer() -> BpmnWorkflowSerializer:
    """The one serializer instance (its registry is immutable once built)."""
    config = deepcopy(SPIFF_CONFIG)
    for clock_class in CLOCK_TIMERS.values():
        config[clock_class] = TimerConditionalEventDefinitionConverter
    config[BpmnWorkflow] = SpecFreeWorkflowConverter
    registry = BpmnWorkflowSerializer.configure(config)
    return BpmnWorkflowSerializer(registry)

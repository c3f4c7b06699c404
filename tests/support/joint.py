"""The shipped 联办件 (抄告制) as the throughput benchmarks step it outside the platform: specs parsed from
``bpmn/``, the platform's script engine and calendar, and each step's task data as the API's form check
makes it. Shared by the raw figure and the floor app of ``bench/``, so both step exactly the same workflow, and
by the tests of the engine's task look-up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from runner.clock import ManualClock
from runner.core.scripts import CentreScriptEngine
from runner.core.spiff.parser import CentreParser, parse_specs
from runner.core.state import dump_specs, load_specs
from runner.timekeeping.calendar import BusinessCalendar
from tests.support.platform import JOINT, STEP_DATA, step_task_data

BPMN = Path(__file__).resolve().parents[2] / "bpmn"
FILES = ("block_correction.bpmn", "block_refusal.bpmn", "lianban_chaogao.bpmn")
START_DATA = {"lead_window": "shichang", "applicant": "张三"}
TASKS_PER_ITEM = 6  # accept, 3 reviews, consolidate, notify_applicant


@dataclass(frozen=True)
class Joint:
    """What stepping the 联办件 needs: its specs, an engine, and the task data of each user task."""

    spec: Any
    subprocess_specs: dict[str, Any]
    engine: CentreScriptEngine
    step_data: dict[str, dict[str, Any]]

    def new_workflow(self, workflow_class: type[BpmnWorkflow] = BpmnWorkflow) -> BpmnWorkflow:
        return workflow_class(self.spec, self.subprocess_specs, script_engine=self.engine)

    def started(self, workflow_class: type[BpmnWorkflow] = BpmnWorkflow) -> BpmnWorkflow:
        """A new workflow given ``START_DATA`` and stepped to its first person's task, as the runner starts one."""
        workflow = self.new_workflow(workflow_class)
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(START_DATA)
        workflow.do_engine_steps()
        return workflow


def load_joint() -> Joint:
    """Parse the diagram and work out every step's task data (once, before any clock starts). The specs are
    stored and restored first, as the platform deploys and loads them: SpiffWorkflow's spec deserializer
    connects each multi-instance task to its children's completion, which specs fresh from the parser only
    get once they run one, so a workflow restored onto parser specs that never ran the joint review would not
    see it end."""
    parser = CentreParser()
    for name in FILES:
        parser.add_bpmn_file(str(BPMN / name))
    spec, subprocess_specs = load_specs(dump_specs(*parse_specs(parser, JOINT)))
    engine = CentreScriptEngine(ManualClock(datetime(2026, 11, 25, 1, tzinfo=UTC)), BusinessCalendar())
    return Joint(spec, subprocess_specs, engine, {step: step_task_data(step) for step in STEP_DATA})

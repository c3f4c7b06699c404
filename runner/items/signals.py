"""Broadcasting a named BPMN signal from outside (e.g. another government system announcing a policy change) to
every active item that waits for it: a signal catch event, a signal boundary event, or an event subprocess a
signal starts."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from sqlalchemy import or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from runner.core import audit, engine
from runner.core.services import Services
from runner.core.spiff.scoped_throws import arm_running_event_subprocesses, armable_starts
from runner.core.spiff.timers import leaf_definitions
from runner.exceptions import InvalidInput, RunnerError
from runner.items.instances import get as get_instance
from runner.models import ACTIVE_STATUSES, ProcessDefinition, ProcessInstance

log = logging.getLogger(__name__)


@dataclass
class Broadcast:
    """What a broadcast signal reached: the items that heard it (and were stepped and saved), and those whose
    step failed outside the diagram (each rolled back alone, the others' steps kept)."""

    name: str
    heard: list[ProcessInstance] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)


def check_signal(name: Any, payload: Any) -> None:
    """A signal has a non-empty name; its payload, when given, is an object (400 otherwise, bilingual)."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("缺少信号名称 (missing signal name)", field="name")
    if payload is not None and not isinstance(payload, dict):
        raise InvalidInput("信号内容必须是对象 (payload must be an object)", field="payload")


def broadcast_signal(
    services: Services, name: str, payload: dict[str, Any] | None = None, *, actor: str
) -> Broadcast:
    """Send signal ``name`` to every running, waiting or failed (ERROR) item that waits for it; a suspended or
    ended item does not hear it. Each item is stepped, saved and audited in its own transaction, so one item's
    failure (a lost race retried in vain, a database error) is reported and loses none of the others' steps;
    what the diagram itself raises becomes that item's incident, as for a message."""
    check_signal(name, payload)
    with services.reading() as s:
        candidates = signal_candidates(s, name)
    result = Broadcast(name)
    for instance_id in candidates:
        try:
            heard = services.run(_deliver_one, instance_id, name, payload or {}, actor=actor)
        except (RunnerError, SQLAlchemyError) as exc:  # this item's alone: the others go on
            log.warning("signal %s not delivered to item %s: %s", name, instance_id, exc)
            result.failed.append({"id": instance_id, "message": str(exc)[:500]})
            continue
        if heard is not None:
            result.heard.append(heard)
    return result


def signal_candidates(session: Session, name: str) -> list[int]:
    """The active items whose deployed diagram names signal ``name``, or has a call activity while some
    deployed diagram names it (a called process may wait for it): a cheap first cut, confirmed item by item
    against the engine's waiting tasks."""
    spelled = {name, escape(name, {'"': "&quot;", "'": "&apos;"})}
    naming = or_(*(ProcessDefinition.bpmn_xml.contains(s, autoescape=True) for s in spelled))
    condition: Any = naming
    if session.scalar(select(ProcessDefinition.id).where(naming).limit(1)) is not None:
        condition = or_(naming, ProcessDefinition.bpmn_xml.contains("callActivity"))
    definitions = select(ProcessDefinition.id).where(condition)
    return list(
        session.scalars(
            select(ProcessInstance.id)
            .where(
                ProcessInstance.status.in_(ACTIVE_STATUSES),
                ProcessInstance.definition_id.in_(definitions),
            )
            .order_by(ProcessInstance.id)
        )
    )


def _deliver_one(
    session: Session, instance_id: int, name: str, payload: dict[str, Any], *, actor: str
) -> ProcessInstance | None:
    """Signal ``name`` to one item if it (still) waits for it: caught, stepped, saved, audited; else None."""
    instance = get_instance(session, instance_id)
    if instance.status not in ACTIVE_STATUSES:
        return None  # suspended or ended since the candidates were read
    workflow = engine.load(session, instance)
    found = waits_for(workflow, name)
    if found is None:
        return None
    where, definition = found
    event = BpmnEvent(definition, dict(payload))
    audit.record(
        session,
        "signal",
        actor=actor,
        instance=instance,
        task_name=where,
        signal=name,
        fields=sorted(payload),
    )
    engine.advance(session, instance, workflow, actor=actor, step=lambda: _catch(workflow, event, payload))
    engine.save(session, instance, workflow)
    return instance


def _catch(workflow: BpmnWorkflow, event: BpmnEvent, payload: dict[str, Any]) -> None:
    """Catch ``event`` everywhere it is waited for; the payload becomes the data of each step that caught it
    (and of the step after an event subprocess's start), as a message's does."""
    manager = workflow.top_workflow.event_manager
    catching = [t for t in manager.tasks.values() if t.task_spec.catches(t, event)]
    for task in catching:
        task.data.update(payload)
    before = {t.id for t in workflow.get_tasks()}
    arm_running_event_subprocesses(workflow.top_workflow, event)  # those of running subprocesses too
    manager.catch(event, internal=False)
    if payload:
        for task in workflow.get_tasks():
            if task.id not in before and task.task_spec.name in _started_by(workflow, event):
                for reached in [task, *task.children]:
                    reached.data.update(payload)


def _started_by(workflow: BpmnWorkflow, event: BpmnEvent) -> set[str]:
    """The names of the event subprocess start events ``event`` triggers."""
    return {
        start.name for start in armable_starts(workflow) if start.event_definition == event.event_definition
    }


def waits_for(workflow: BpmnWorkflow, name: str) -> tuple[str, SignalEventDefinition] | None:
    """The name of the (first) step of ``workflow`` that catches signal ``name`` and its definition (the parser's
    own class: SpiffWorkflow matches an event by class and name): a waiting catch or boundary event, or the start
    event of an event subprocess the signal triggers (of the process or of a subprocess running in it). None when
    nothing waits for it."""
    for task in workflow.top_workflow.event_manager.tasks.values():
        for definition in leaf_definitions(getattr(task.task_spec, "event_definition", None)):
            if _is_signal(definition, name):
                return engine.task_title(task), definition
    for start in armable_starts(workflow):  # the process's, and those of its running subprocesses
        if _is_signal(start.event_definition, name):  # a single definition, as SpiffWorkflow matches it
            return str(start.bpmn_name or start.name), start.event_definition
    return None


def _is_signal(definition: Any, name: str) -> bool:
    return isinstance(definition, SignalEventDefinition) and definition.name == name

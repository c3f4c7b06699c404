"""Delivering named messages (e.g. an upper authority's reply) to the instance waiting for them."""

from __future__ import annotations

import ast
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from sqlalchemy import select
from sqlalchemy.orm import Session

from runner.core import audit, engine
from runner.core.spiff.scoped_throws import armable_starts
from runner.core.spiff.timers import leaf_definitions
from runner.exceptions import Conflict, InvalidInput, UnknownCorrelation
from runner.items.instances import get as get_instance
from runner.items.instances import require_active
from runner.models import ACTIVE_STATUSES, MessageSubscription, ProcessInstance


def deliver_message(
    session: Session, name: str, correlation: str, payload: dict[str, Any] | None = None, *, actor: str
) -> ProcessInstance:
    """Deliver message ``name`` to the instance whose receipt number (correlation value) is ``correlation``."""
    if payload is not None and not isinstance(payload, dict):
        raise InvalidInput("消息内容必须是对象 (payload must be an object)")
    subscription = session.scalars(
        select(MessageSubscription)
        .where(MessageSubscription.message_name == name, MessageSubscription.correlation_key == correlation)
        .order_by(MessageSubscription.id)
        .limit(1)
    ).first()
    if subscription is None:
        _require_active_item(session, correlation)
        started = _start_event_subprocess(session, name, correlation, payload or {}, actor=actor)
        if started is not None:
            return started
        waiting_for = sorted(
            session.scalars(
                select(MessageSubscription.message_name)
                .join(ProcessInstance, ProcessInstance.id == MessageSubscription.instance_id)
                .where(ProcessInstance.business_key == correlation)
            )
        )
        hint = f"; it waits for: {', '.join(waiting_for)}" if waiting_for else ""
        raise UnknownCorrelation(
            f"没有办件 {correlation} 在等待消息 {name} (no instance {correlation!r} waits for message {name!r}{hint})",
            message_name=name,
            correlation=correlation,
        )
    instance = get_instance(session, subscription.instance_id)
    require_active(instance)
    workflow = engine.load(session, instance)
    task = workflow.get_task_from_id(UUID(subscription.task_id))
    definition = next(
        d for d in leaf_definitions(task.task_spec.event_definition) if getattr(d, "name", None) == name
    )
    event = BpmnEvent(definition, payload or {}, correlations(workflow, definition, name, payload or {}))
    if payload:
        task.data.update(payload)
    _record_delivery(session, instance, name, payload, actor, subscription.task_id, engine.task_title(task))
    engine.advance(session, instance, workflow, actor=actor, step=lambda: workflow.catch(event))
    engine.save(session, instance, workflow)
    return instance


def _require_active_item(session: Session, correlation: str) -> None:
    """An item ``correlation`` that has ended (or is suspended) is refused as every other act on it is (409,
    naming its state): its subscriptions are gone, and a generic "no item waits" (404) misled the sender."""
    instance = session.scalars(
        select(ProcessInstance).where(ProcessInstance.business_key == correlation)
    ).first()
    if instance is not None:
        require_active(instance)


def _record_delivery(
    session: Session,
    instance: ProcessInstance,
    name: str,
    payload: dict[str, Any] | None,
    actor: str,
    task_id: str | None,
    task_name: str,
) -> None:
    """The audit entry of message ``name`` delivered to ``instance`` at the task (or event start) named."""
    audit.record(
        session,
        "message",
        actor=actor,
        instance=instance,
        task_id=task_id,
        task_name=task_name,
        message=name,
        fields=sorted((payload or {}).keys()),
    )


def _armed_start(workflow: BpmnWorkflow, name: str) -> tuple[Any, MessageEventDefinition] | None:
    """The message start event (and its definition) of an event subprocess of the item's process, or of a
    subprocess running in it, that message ``name`` triggers. SpiffWorkflow starts such a subprocess only when
    the message is caught: no task waits for it, so it has no subscription row."""
    for start in armable_starts(workflow):
        for definition in leaf_definitions(start.event_definition):
            if isinstance(definition, MessageEventDefinition) and definition.name == name:
                return start, definition
    return None


def _start_event_subprocess(
    session: Session, name: str, correlation: str, payload: dict[str, Any], *, actor: str
) -> ProcessInstance | None:
    """Deliver ``name`` to the active item ``correlation`` whose process has an event subprocess with that
    non-interrupting message start; the payload becomes the subprocess's data. None when there is none."""
    instance = session.scalars(
        select(ProcessInstance).where(ProcessInstance.business_key == correlation)
    ).first()
    if instance is None or instance.status not in ACTIVE_STATUSES:
        return None
    workflow = engine.load(session, instance)
    armed = _armed_start(workflow, name)
    if armed is None:
        return None
    start, definition = armed
    event = BpmnEvent(definition, payload, correlations(workflow, definition, name, payload))

    def step() -> None:
        workflow.catch(event)
        for task in workflow.get_tasks(spec_name=start.name):
            for reached in [task, *task.children]:
                reached.data.update(payload)

    _record_delivery(session, instance, name, payload, actor, None, str(start.bpmn_name or start.name))
    engine.advance(session, instance, workflow, actor=actor, step=step)
    engine.save(session, instance, workflow)
    return instance


def correlations(
    workflow: BpmnWorkflow, definition: MessageEventDefinition, name: str, payload: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """The correlation values the message's correlation properties read from ``payload`` (BPMN
    ``correlationPropertyRetrievalExpression``), checked against those the item already has.

    A payload that lacks a variable an expression reads, or whose values differ from the item's, is refused
    (400 / 409) naming the property and the variable: the message is not consumed and may be sent again.
    """
    found: dict[str, dict[str, Any]] = {}
    for prop in definition.correlation_properties:
        try:
            value = workflow.script_engine.environment.evaluate(prop.retrieval_expression, dict(payload))
        except Exception as exc:  # noqa: BLE001 - any failure of the expression is the payload's fault
            missing = [v for v in _names(prop.retrieval_expression) if v not in payload]
            lacks = ", ".join(missing)
            zh = f"缺少变量 {lacks}" if missing else f"计算出错：{exc}"
            en = f"lacks {lacks}" if missing else f"fails it: {exc}"
            raise InvalidInput(
                f"消息 {name} 的内容{zh}，无法得出关联属性 {prop.name}（{prop.retrieval_expression}）"
                f" (the payload of message {name!r} {en}; correlation property {prop.name!r} reads "
                f"{prop.retrieval_expression!r})",
                message_name=name,
                correlation_property=prop.name,
                missing=missing,
            ) from None
        for key in prop.correlation_keys or [prop.name]:
            found.setdefault(key, {})[prop.name] = value
    for key, values in found.items():
        known = workflow.correlations.get(key)
        if known is not None and any(known.get(k, v) != v for k, v in values.items()):
            raise Conflict(
                f"消息 {name} 的关联值 {values} 与本办件的 {known} 不符 "
                f"(the message's correlation {key!r} is {values}, the item's is {known})",
                message_name=name,
                correlation_key=key,
            )
    return found


def _names(expression: str) -> list[str]:
    """The variable names an expression reads, in order (none when it does not parse)."""
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError:
        return []
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    names = [n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in called]
    return list(dict.fromkeys(names))

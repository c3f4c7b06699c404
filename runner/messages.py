"""Delivering named messages (e.g. an upper authority's reply) to the instance waiting for them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import audit, engine
from .exceptions import InvalidInput, UnknownCorrelation
from .instances import get as get_instance
from .instances import require_active
from .models import MessageSubscription, ProcessInstance
from .spiff.timers import leaf_definitions


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
    if payload:
        task.data.update(payload)
    audit.record(
        session,
        "message",
        actor=actor,
        instance=instance,
        task_id=subscription.task_id,
        task_name=engine.task_title(task),
        message=name,
        fields=sorted((payload or {}).keys()),
    )
    definition = next(
        d for d in leaf_definitions(task.task_spec.event_definition) if getattr(d, "name", None) == name
    )
    workflow.catch(BpmnEvent(definition, payload or {}))
    engine.advance(session, instance, workflow, actor=actor)
    engine.save(session, instance, workflow)
    return instance

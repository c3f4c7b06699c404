"""Plain-dict views of runner rows for the web layers and the JSON API (no ORM objects leak out)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from runner.core.conventions import is_helper_name
from runner.models import AuditEntry, Incident, OpenTask, ProcessInstance, Timer
from runner.timekeeping.calendar import pending_note


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def json_safe(value: Any) -> Any:
    """A deep copy of ``value`` with anything JSON cannot hold turned into text."""
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def users_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """An item's or task's data as users see it: without the names the platform keeps there for itself."""
    return {name: value for name, value in data.items() if not is_helper_name(name)}


def task_view(row: OpenTask) -> dict[str, Any]:
    return {
        "id": row.task_id,
        "instance_id": row.instance_id,
        "business_key": row.business_key,
        "definition_key": row.definition_key,
        "item_kind": row.item_kind,
        "name": row.name,
        "spec_name": row.spec_name,
        "lane": row.lane,
        "window": row.window,
        "candidate_windows": row.candidate_windows,
        "form_key": row.form_key,
        "assignee": row.assignee,
        # out for an opinion (委派): the holder it comes back to (``assignee`` is then the delegate)
        "delegated_by": row.delegated_by,
        "claimed_at": iso(row.claimed_at),
        "created_at": iso(row.created_at),
        "limit_days": row.limit_days,
        "due_at": iso(row.due_at),
        "due_pending_year": row.due_pending_year,  # the due time waits for that year's holiday arrangement
        "properties": row.properties,
        # came back by 退回 / 撤回 (runner/items/returns.py): who, when, why
        "returned": {
            "kind": row.return_kind,
            "by": row.returned_by,
            "at": iso(row.returned_at),
            "reason": row.return_reason or "",
        }
        if row.returned_at is not None
        else None,
    }


def timer_view(row: Timer) -> dict[str, Any]:
    return {
        "id": row.id,
        "task_id": row.task_id,
        "kind": row.kind,  # bpmn: a timer event of the diagram; rule: a warning from warning_rules
        "name": row.name,
        "spec_name": row.spec_name,  # a rule timer: its level
        "due_at": iso(row.due_at),
        "status": row.status,  # pending, fired, cancelled, or unarmed (waits for pending_year's calendar)
        "pending_year": row.pending_year,
        "enqueued_at": iso(row.enqueued_at),
        "ended_at": iso(row.ended_at),
    }


def incident_view(row: Incident) -> dict[str, Any]:
    return {
        "id": row.id,
        "task_id": row.task_id,
        "task_name": row.task_name,
        "message": row.message,
        "created_at": iso(row.created_at),
        "resolved_at": iso(row.resolved_at),
        "resolved_by": row.resolved_by,
    }


def audit_view(row: AuditEntry) -> dict[str, Any]:
    return {
        "id": row.id,
        "at": iso(row.at),
        "actor": row.actor,
        "on_behalf_of": row.on_behalf_of,
        "action": row.action,
        "business_key": row.business_key,
        "task_id": row.task_id,
        "task_name": row.task_name,
        "detail": row.detail,
    }


def instance_summary(row: ProcessInstance) -> dict[str, Any]:
    return {
        "id": row.id,
        "business_key": row.business_key,
        "definition_key": row.definition_key,
        "definition_version": row.definition.version,
        "title": row.title,
        "item_kind": row.item_kind,
        "lead_window": row.lead_window,
        "applicant": row.applicant,
        "status": row.status,
        "started_at": iso(row.started_at),
        "started_by": row.started_by,
        "updated_at": iso(row.updated_at),
        "ended_at": iso(row.ended_at),
        "end_reason": row.end_reason,
        "promised_days": row.promised_days,
        "statutory_days": row.statutory_days,
        "statutory_deadline": iso(row.statutory_deadline),
        "statutory_pending_year": row.statutory_pending_year,
        "extension_days": row.extension_days,
        "accepted_on_receipt": row.accepted_on_receipt,
        "deadline": iso(row.deadline),
        "deadline_pending_year": row.deadline_pending_year,
        "paused_since": iso(row.paused_since),
        "calendar_pending": calendar_pending(row),
    }


def calendar_pending(row: ProcessInstance) -> dict[str, Any] | None:
    """Which year's holiday arrangement the item's deadlines wait for, said plainly; None when none does."""
    years = [y for y in (row.deadline_pending_year, row.statutory_pending_year) if y is not None]
    if not years:
        return None
    year = min(years)
    return {"year": year, "message": pending_note(year), "message_en": pending_note(year, "en")}

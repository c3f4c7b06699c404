"""The OpenAPI 3.1 description of the JSON API (kept beside the routes; a test checks they match)."""

from __future__ import annotations

from typing import Any

ERROR = {"$ref": "#/components/schemas/Error"}


PATH_PARAMS = ("instance_id", "task_id", "key", "business_key", "warning_id", "request_id")


def _op(
    summary: str,
    *,
    body: dict[str, Any] | None = None,
    params: list[str] | None = None,
    ok: str = "200",
    errors: tuple[str, ...] = ("400", "404", "409"),
) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": {ok: {"description": "OK"}}}
    for code in errors:
        op["responses"][code] = {"description": "error", "content": {"application/json": {"schema": ERROR}}}
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if params:
        op["parameters"] = [
            {
                "name": p,
                "in": "path" if p in PATH_PARAMS else "query",
                "required": p in PATH_PARAMS,
                "schema": {"type": "string"},
            }
            for p in params
        ]
    return op


# only a system account migrating an item from another system gives one (the platform numbers every other item)
MIGRATED_KEY = {
    "type": "string",
    "pattern": "^[A-Z][A-Z0-9]{1,15}-[A-Za-z0-9][A-Za-z0-9-]{0,39}$",
    "description": "only for an item migrated by a system account: its number in the old system, e.g. "
    "HALL-2025-000123; every other item is numbered by the platform (2026-000123)",
}


def _obj(required: list[str], **props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": props}


S, INT, OBJ = {"type": "string"}, {"type": "integer"}, {"type": "object"}
OP_ERRORS = ("400", "403", "404", "409")

FORM_DATA = {
    "type": "object",
    "description": (
        "The fields of the task's form (the schema of its form key: the console's published revision, else "
        "forms/schemas/<key>.json), checked exactly as the workspace page checks them. Values in their JSON "
        "form or as the page posts them: text/choice/date/datetime strings (dates ISO, 2026-10-09; datetimes "
        "ISO, local time when without offset); integer/number as numbers or numeric strings; boolean true/false "
        "(or 'true'/'false'); multichoice/checklist arrays of strings; list an array of one-line strings (or "
        "one item per line); opinions {window: {result, reason, conditions}}; file fields only [] (upload in "
        "the workspace). A missing key or null is a blank field. Keys that are not fields of the form for "
        "this process, and names the form computes itself (derive, a checklist's missing/complete), are "
        "refused."
    ),
}
FORM_ERROR = {
    "allOf": [
        ERROR,
        {
            "type": "object",
            "properties": {
                "form_key": S,
                "errors": {
                    "type": "object",
                    "description": "field (or refused key) → message, 中文 (English)",
                    "additionalProperties": S,
                },
            },
        },
    ]
}
COMPLETE = _op("Complete a task with its form's data", params=["task_id"], body=_obj([], data=FORM_DATA))
COMPLETE["responses"]["400"] = {
    "description": (
        "bad body, or the form refused the data (code form_invalid, errors per field); nothing changed: "
        "the task stays open, no audit entry"
    ),
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FormError"}}},
}
COMPLETE["responses"]["409"] = {
    "description": (
        "already completed, claimed by someone else, changed meanwhile, or the task's form was withdrawn since "
        "(code form_undefined); nothing changed"
    ),
    "content": {"application/json": {"schema": ERROR}},
}
TASK = _op(
    "One open task with what its form shows: name, documentation, the item's data, the form's fields (a task "
    "without formKey has the generic task form generic_task: opinion, approved)",
    params=["task_id"],
)
DEPLOY = {
    **_op(
        "Deploy a BPMN file (multipart 'file' + optional 'dmn', or a raw XML body in any encoding its XML "
        "declaration names); the answer lists the warnings element by element",
        ok="201",
        params=["filename", "default_window"],
    ),
    "requestBody": {"content": {"multipart/form-data": {"schema": OBJ}, "application/xml": {"schema": S}}},
}

PATHS: dict[str, dict[str, Any]] = {
    "/api/openapi.json": {"get": _op("This document", errors=())},
    "/api/definitions": {
        "get": _op("List definitions with versions and instance counts", errors=()),
        "post": DEPLOY,
    },
    "/api/definitions/{key}/xml": {"get": _op("Download a definition's BPMN XML", params=["key", "version"])},
    "/api/instances": {
        "post": _op(
            "Start an instance: of a catalogue item (`item`: its code; the item's parameters win over `data`)"
            " or of a diagram without a catalogue item (`key`)",
            ok="201",
            body=_obj([], item=S, key=S, version=INT, business_key=MIGRATED_KEY, title=S, data=OBJ),
        ),
    },
    "/api/instances/{instance_id}": {
        "get": _op(
            "Instance with data, tasks, timers, incidents, audit; a deadline past the known holiday calendar is"
            " null with `deadline_pending_year` / `statutory_pending_year` and `calendar_pending` ({year, message})"
            " saying which year's arrangement it waits for; tasks carry `due_pending_year`, unarmed timers"
            " `pending_year`",
            params=["instance_id"],
        )
    },
    "/api/instances/by-key/{business_key}": {
        "get": _op("Instance by receipt number", params=["business_key"])
    },
    "/api/instances/{instance_id}/suspend": {
        "post": _op("Suspend", params=["instance_id"], body=_obj([], reason=S))
    },
    "/api/instances/{instance_id}/resume": {"post": _op("Resume", params=["instance_id"])},
    "/api/instances/{instance_id}/terminate": {
        "post": _op("Terminate with a reason", params=["instance_id"], body=_obj(["reason"], reason=S))
    },
    "/api/instances/{instance_id}/retry": {
        "post": _op("Retry the failed tasks of an instance", params=["instance_id"], body=_obj([], data=OBJ))
    },
    "/api/instances/{instance_id}/migrate": {
        "post": _op(
            "Move to another version of its definition",
            params=["instance_id"],
            body=_obj(["version"], version=INT),
        )
    },
    "/api/tasks": {
        "get": _op(
            "Open tasks (filters: window, assignee, unclaimed, business_key, item_kind; limit, offset)",
            params=["window", "assignee", "unclaimed", "business_key", "item_kind", "limit", "offset"],
            errors=("400",),
        ),
    },
    "/api/tasks/{task_id}": {"get": TASK},
    "/api/tasks/{task_id}/claim": {"post": _op("Claim a task", params=["task_id"])},
    "/api/tasks/{task_id}/unclaim": {"post": _op("Release a claimed task", params=["task_id"])},
    "/api/tasks/{task_id}/complete": {"post": COMPLETE},
    "/api/tasks/{task_id}/transfer": {
        "post": _op(
            "转办: hand a task to a colleague of its window (to_user) or, as window head with a reason, to "
            "another window (to_window)",
            params=["task_id"],
            body=_obj([], to_user=S, to_window=S, reason=S),
            errors=OP_ERRORS,
        )
    },
    "/api/tasks/{task_id}/delegate": {
        "post": _op(
            "委派: ask a named colleague for an opinion",
            params=["task_id"],
            body=_obj(["to_user"], to_user=S, note=S),
            errors=OP_ERRORS,
        )
    },
    "/api/tasks/{task_id}/delegation-answer": {
        "post": _op(
            "The delegate's opinion; the task goes back to the delegating clerk",
            params=["task_id"],
            body=_obj(["opinion"], opinion=S),
            errors=OP_ERRORS,
        )
    },
    "/api/tasks/{task_id}/returnable-steps": {
        "get": _op("Earlier steps this task can be sent back to", params=["task_id"], errors=OP_ERRORS)
    },
    "/api/tasks/{task_id}/send-back": {
        "post": _op(
            "退回 to an earlier step with a reason (the applicant's clock is not reset)",
            params=["task_id"],
            body=_obj(["to_task_id", "reason"], to_task_id=S, reason=S),
            errors=OP_ERRORS,
        )
    },
    "/api/tasks/{task_id}/withdraw": {
        "post": _op(
            "撤回 a step the caller completed (task_id is the completed task) while the next is untouched",
            params=["task_id"],
            errors=OP_ERRORS,
        )
    },
    "/api/tasks/{task_id}/urge": {
        "post": _op("催办 an open task", params=["task_id"], body=_obj([], note=S), errors=OP_ERRORS)
    },
    "/api/instances/{instance_id}/copy": {
        "post": _op(
            "抄送 an item to a person or a window",
            params=["instance_id"],
            ok="201",
            body=_obj([], to_user=S, to_window=S, note=S),
            errors=OP_ERRORS,
        )
    },
    "/api/messages": {
        "post": _op(
            "Deliver a message to the instance waiting for it",
            body=_obj(["name", "correlation"], name=S, correlation=S, payload=OBJ),
        ),
    },
    "/api/signals": {
        "post": _op(
            "Broadcast a signal to every running item waiting for it (none is 200 with count 0); "
            "suspended and ended items do not hear it",
            body=_obj(["name"], name=S, payload=OBJ),
            errors=("400",),
        ),
    },
    "/api/instances/{instance_id}/extend": {
        "post": _op(
            "延期: extend the item's limits (lead window head; capped by law)",
            params=["instance_id"],
            body=_obj(["days", "reason"], days=INT, reason=S, requested_by=S),
            errors=("400", "403", "404", "409"),
        )
    },
    "/api/instances/{instance_id}/reviewers": {
        "get": _op(
            "The item's running joint reviews (会签) and their windows",
            params=["instance_id"],
            errors=OP_ERRORS,
        ),
        "post": _op(
            "加签: the lead window adds a window to the running joint review",
            params=["instance_id"],
            body=_obj(["window", "reason"], window=S, reason=S, block=S),
            errors=OP_ERRORS,
        ),
    },
    "/api/instances/{instance_id}/reviewers/remove": {
        "post": _op(
            "减签: the lead window removes a window that has not answered yet",
            params=["instance_id"],
            body=_obj(["window", "reason"], window=S, reason=S, block=S),
            errors=OP_ERRORS,
        )
    },
    "/api/instances/{instance_id}/extension-requests": {
        "post": _op(
            "延期申请: a clerk of the lead window asks for more working days (within the statutory cap)",
            params=["instance_id"],
            ok="201",
            body=_obj(["days", "reason"], days=INT, reason=S),
            errors=OP_ERRORS,
        )
    },
    "/api/extension-requests/{request_id}/decide": {
        "post": _op(
            "Approve or refuse a 延期 request (lead window head or centre leader; a refusal needs a note)",
            params=["request_id"],
            body=_obj(["decision"], decision={"type": "string", "enum": ["approve", "refuse"]}, note=S),
            errors=OP_ERRORS,
        )
    },
    "/api/ratings/export": {
        "get": _op(
            "好差评 export (format banjian-haoping/1): ratings given from start to end (YYYY-MM-DD, both included,"
            " at most a year) and their rectifications, for the provincial platform",
            params=["start", "end"],
            errors=("400", "403"),
        )
    },
    "/api/warnings": {
        "get": _op(
            "The caller's warnings (their own or their windows'), state=open|answered",
            params=["state"],
            errors=("400", "403"),
        )
    },
    "/api/warnings/{warning_id}/acknowledge": {
        "post": _op(
            "纠错回告: answer a stored warning",
            params=["warning_id"],
            body=_obj(["reply"], reply=S),
            errors=("400", "403", "404", "409"),
        )
    },
}


def document() -> dict[str, Any]:
    """The whole OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "办件 BPMN platform API", "version": "1.0"},
        "components": {
            "schemas": {"Error": _obj(["code", "message"], code=S, message=S), "FormError": FORM_ERROR},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": PATHS,
    }

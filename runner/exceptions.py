"""One exception tree for the runner; web layers map these to HTTP codes.

Every leaf is named after the failure it reports and carries a human message
(Chinese-friendly, no stack trace) plus a machine ``code``.
"""

from __future__ import annotations

from typing import Any


class RunnerError(Exception):
    """Base of every error the runner raises on purpose."""

    code = "runner_error"
    http_status = 400

    def __init__(self, message: str, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.context = context

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form: code, message and any context given."""
        return {"code": self.code, "message": self.message, **{k: v for k, v in self.context.items()}}


class NotFound(RunnerError):
    code = "not_found"
    http_status = 404


class NoSuchDefinition(NotFound):
    code = "no_such_definition"


class NoSuchInstance(NotFound):
    code = "no_such_instance"


class NoSuchTask(NotFound):
    code = "no_such_task"


class UnknownCorrelation(NotFound):
    code = "unknown_correlation"


class Conflict(RunnerError):
    """Someone else changed the instance first; reload and try again."""

    code = "conflict"
    http_status = 409


class ConcurrentUpdate(Conflict):
    """Lost an optimistic-lock race; the whole unit of work may simply be run again."""

    code = "conflict"


class TaskNotReady(Conflict):
    code = "task_not_ready"


class TaskAlreadyClaimed(Conflict):
    code = "task_already_claimed"


class InstanceNotActive(Conflict):
    code = "instance_not_active"


class DuplicateBusinessKey(Conflict):
    code = "duplicate_business_key"


class InvalidInput(RunnerError):
    code = "invalid_input"


class DiagramInvalid(RunnerError):
    """A diagram failed validation; ``problems`` lists each with file, element and line."""

    code = "diagram_invalid"

    def __init__(self, message: str, problems: list[dict[str, Any]] | None = None, **context: Any) -> None:
        super().__init__(message, **context)
        self.problems = problems or []

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["problems"] = self.problems
        return data


class ScriptError(RunnerError):
    """A script or expression failed or was refused by the sandbox."""

    code = "script_error"


class CalendarDataMissing(RunnerError):
    """A date lies beyond the published holiday data; the calendar refuses to guess."""

    code = "calendar_data_missing"


class IncidentRaised(RunnerError):
    """Stepping the instance failed; an incident was recorded and the instance stays put."""

    code = "incident"
    http_status = 422


class PermissionDenied(RunnerError):
    code = "permission_denied"
    http_status = 403

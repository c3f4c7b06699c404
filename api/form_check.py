"""The form check of ``POST /api/tasks/<task_id>/complete``: the data must pass the task's form exactly as a
submission of the workspace page does.

The schema is the one in force for the task's form key (``forms.schema.get_schema``: the console's
published revision, else ``forms/schemas/<key>.json``); the checks and the conversion to task data are
``forms.submission`` (the same code the workspace's ``TaskForm.validate`` runs), so the engine gets the
same task data for the same values through either door. JSON values are taken in their natural form
(``true``/``false``, numbers, ISO date strings, arrays, objects) and in the string form the page posts
(``"true"``, ``"12"``, ``"2026/10/09"``, one list item per line). A missing key is a blank field; a key that
is not a field of the form, or one the form computes itself, is refused. Nothing is written before the check
passes: a refusal (400 ``form_invalid`` with ``errors`` field → message) leaves the task open and the
audit trail untouched. The check runs inside the completion's own transaction (``runner.complete(check=...)``),
on the task data the completion itself loaded: one read of the task and its item, which brings the form published
for the task's form key along (``get_schema`` then reads nothing; the parsed schema is kept per process by form key,
revision and text).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from sqlalchemy.orm import Session

import runner
from api.errors import FormInvalid, FormUndefined
from forms.schema import FieldSpec, UnknownForm, get_schema, load_task_form, show_rows, undefined_form_message
from forms.submission import FormContext, SubmissionInvalid, task_data_from_json

log = logging.getLogger(__name__)

Check = Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]


class WindowNames(Mapping[str, str]):
    """Window code → name, read from ``session`` on first use (most forms never ask)."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._names: dict[str, str] | None = None

    def _load(self) -> dict[str, str]:
        if self._names is None:
            self._names = {w.code: w.name for w in runner.list_windows(self._session)}
        return self._names

    def __getitem__(self, code: str) -> str:
        return self._load()[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


def form_check(session: Session, services: runner.Services, data: dict[str, Any]) -> Check:
    """The ``check`` for ``runner.complete(session, ..., check=...)``: the task data the task's form makes of
    ``data``; ``FormInvalid`` (400) naming every wrong field, ``FormUndefined`` (409) when the task's form key
    has no schema."""

    def check(task: dict[str, Any], task_data: dict[str, Any]) -> dict[str, Any]:
        try:
            schema = get_schema(task.get("form_key"), session)
        except UnknownForm:
            log.error("task %s: form %r is not defined", task.get("id"), task.get("form_key"))
            zh, en = undefined_form_message(task)
            raise FormUndefined(f"{zh} ({en})", form_key=task.get("form_key")) from None
        ctx = FormContext(
            data=task_data,
            windows=WindowNames(session),
            now=services.now(),
            timezone=services.settings.timezone,
            definition_key=task.get("definition_key"),
        )
        try:
            return task_data_from_json(schema, ctx, data)
        except SubmissionInvalid as exc:
            names = list(exc.errors)
            raise FormInvalid(
                f"表单数据有误：{'、'.join(names)} (the form data is invalid: {', '.join(names)})",
                form_key=schema.key,
                errors={name: problem.bilingual for name, problem in exc.errors.items()},
            ) from None

    return check


def _field_view(spec: FieldSpec) -> dict[str, Any]:
    view: dict[str, Any] = {
        "name": spec.name,
        "type": spec.type,
        "label": spec.label,
        "label_en": spec.label_en,
        "required": spec.required,
    }
    if spec.choices:
        view["choices"] = [{"value": c.value, "label": c.label, "label_en": c.label_en} for c in spec.choices]
    if spec.help:
        view["help"] = spec.help
    return view


def task_form(session: Session, services: runner.Services, task_id: str) -> dict[str, Any]:
    """``GET /api/tasks/<id>``: the open task, its item, its BPMN documentation, the item's data (read-only, as
    the workspace shows it) and the form to complete it with — the generic task form for a task without
    formKey. ``FormUndefined`` when its form was withdrawn."""
    loaded, ctx = load_task_form(session, services, task_id)
    task = loaded["task"]
    try:
        schema = get_schema(task.get("form_key"), session)
    except UnknownForm:
        zh, en = undefined_form_message(task)
        raise FormUndefined(f"{zh} ({en})", form_key=task.get("form_key")) from None
    return {
        "task": task,
        "instance": loaded["instance"],
        "documentation": loaded.get("documentation"),
        "data": loaded["data"],
        "context": show_rows(schema, ctx),
        "form": {
            "key": schema.key,
            "title": schema.title,
            "title_en": schema.title_en,
            "help": schema.help,
            "fields": [_field_view(f) for f in schema.fields_for(task.get("definition_key"))],
        },
    }

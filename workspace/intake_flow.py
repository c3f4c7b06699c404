"""The counter's steps completed through their forms: ``completer`` gives the ``complete(task_id, values)`` that
``runner.catalogue.intake`` calls for each step of a decision (收件决定, 补正材料已收到). The step's form is filled
with ``values`` (the rest from its prefill and defaults) and checked exactly as a clerk's submission
(``forms.submission``); the step is completed as the current user, under the workspace's window rule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

import runner
from forms.schema import UnknownForm, get_schema
from forms.submission import FormContext, SubmissionInvalid, task_data_from_json
from runner.catalogue.intake import Complete, DecisionRefused
from web.auth import current_user
from workspace.access import acting_for, workable_task


def _form_check(session: Session, services: runner.Services, values: dict[str, Any]) -> Callable[..., Any]:
    """A ``runner.complete`` check filling the step's form with ``values`` (the rest from prefill/defaults)."""

    def check(task: dict[str, Any], task_data: dict[str, Any]) -> dict[str, Any]:
        try:
            schema = get_schema(task.get("form_key"), session)
        except UnknownForm:
            raise DecisionRefused(f"环节“{task['name']}”没有表单 (the step has no form)") from None
        specs = schema.fields_for(task.get("definition_key"))
        document: dict[str, Any] = {}
        for spec in specs:
            if spec.name in values:
                document[spec.name] = values[spec.name]
            elif spec.prefill and task_data.get(spec.prefill) not in (None, ""):
                document[spec.name] = task_data[spec.prefill]
            elif spec.default is not None:
                document[spec.name] = spec.default
        ctx = FormContext(
            data=task_data,
            windows={w.code: w.name for w in runner.list_windows(session)},
            now=services.now(),
            timezone=services.settings.timezone,
            definition_key=task.get("definition_key"),
        )
        try:
            return task_data_from_json(schema, ctx, document)
        except SubmissionInvalid as exc:
            labels = {s.name: s.label for s in specs}
            problems = "；".join(f"{labels.get(k, k)}: {v.bilingual}" for k, v in exc.errors.items())
            raise DecisionRefused(f"“{task['name']}”未能完成 (step not completed): {problems}") from None

    return check


def completer(session: Session, services: runner.Services) -> Complete:
    """Complete one step as the current user (the workspace's window rule), its form filled with ``values``."""

    def complete(task_id: str, values: dict[str, Any]) -> Any:
        task = workable_task(session, task_id)
        check = _form_check(session, services, values)
        return runner.complete(
            session, task_id, {}, actor=current_user.username, on_behalf_of=acting_for(task), check=check
        )

    return complete

"""What the task page tells about the task's own history: it came back (退回 / 撤回: by whom, why — and the form
comes back filled in with what was submitted before), it waits for a delegate's opinion, or a delegate
answered (the opinions, in full)."""

from __future__ import annotations

from typing import Any

from forms.language import pick
from forms.schema import FormSchema, TaskForm, form_class, initial_values
from forms.submission import FormContext, input_for


def earlier_form(schema: FormSchema, ctx: FormContext, token: str) -> TaskForm:
    """The form of a task that came back, filled with what it was completed with before (each field's own
    value in the task data), else its ordinary first values."""
    values = initial_values(schema, ctx)
    for spec in schema.fields_for(ctx.definition_key):
        if spec.type == "file" or spec.name not in ctx.data:
            continue
        raw = input_for(spec, ctx.data.get(spec.name), ctx)
        if raw is not None:
            values[spec.name] = raw
    values["submit_token"] = token
    return form_class(schema)(formdata=None, data=values, ctx=ctx)


def delegation_opinions(data: dict[str, Any]) -> list[dict[str, str]]:
    """The delegates' opinions kept in the task data (``delegation_opinions``), oldest first."""
    rows = data.get("delegation_opinions")
    if not isinstance(rows, list):
        return []
    return [
        {"by": str(r.get("by") or ""), "opinion": str(r.get("opinion") or ""), "at": str(r.get("at") or "")}
        for r in rows
        if isinstance(r, dict) and r.get("opinion")
    ]


def delegation_note(task: dict[str, Any], ops: dict[str, Any], me: str) -> str | None:
    """Why a delegated task cannot be completed now, said to the delegate (answer the question) or to anyone
    else (it waits for the delegate)."""
    by = ops.get("delegated_by")
    if not by:
        return None
    question = ops.get("delegation_note") or ""
    if task.get("assignee") == me or ops.get("answer"):
        return pick(
            f"{by} 请您就此任务提出意见" + (f"：{question}" if question else "") + "。请点“提出意见”作答；"
            f"表单由 {by} 办理。",
            f"{by} asks for your opinion on this task" + (f": {question}" if question else "") + ". Use "
            f"“Give opinion”; {by} completes the form.",
        )
    return pick(
        f"此任务已由 {by} 委派给 {task.get('assignee')} 提出意见"
        + (f"：{question}" if question else "")
        + f"。待其答复后由 {by} 办理；转办、退回待认领或退回将撤销此委派。",
        f"Delegated by {by} to {task.get('assignee')} for an opinion"
        + (f": {question}" if question else "")
        + f". {by} completes it after the answer; handing it over, releasing or sending it back withdraws the "
        "request.",
    )

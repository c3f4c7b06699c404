"""The form-schema editor: JSON text with a live preview drawn by the workspace's own form code.

- ``GET /admin/designer/forms/`` — every form key (schema files and console drafts) with its state;
- ``GET /admin/designer/forms/<key>`` — the editor (``admin/static/designer/form_editor.js``);
- ``POST .../preview`` ``{"body", "data", "process"}`` → ``{"html"}`` (the form as a clerk would see it) or the error;
- ``POST .../save`` ``{"body", "revision"}``, ``.../publish`` ``{"revision"}``, ``.../withdraw`` ``{}``.

A published schema overrides ``forms/schemas/<key>.json`` in the workspace (``forms.schema.get_schema``);
withdrawing it puts the file back in force.
"""

from __future__ import annotations

import json
from typing import Any

from flask import abort, jsonify, redirect, render_template, request, url_for
from flask_admin import expose
from sqlalchemy.orm import Session

import runner
from admin.base import DESIGNERS, ConsoleView, actor, services
from admin.designer.common import answer, check_schema, field, file_form_keys, flash_error, json_body
from forms.attachments import human_size, max_bytes
from forms.language import pick
from forms.schema import SCHEMA_DIR, FormContext, SchemaError, make_form, parse_schema_text, show_rows
from runner.design.form_drafts import FORM_KEY_RE

NEW_SCHEMA = {
    "title": "新表单",
    "title_en": "",
    "help": "",
    "show": [],
    "fields": [],
    "rules": [],
    "derive": [],
}


def _key(form_key: str) -> str:
    if not FORM_KEY_RE.fullmatch(form_key):
        abort(404)
    return form_key


def _file_text(form_key: str) -> str | None:
    path = SCHEMA_DIR / f"{form_key}.json"
    return path.read_text(encoding="utf-8") if path.is_file() else None


class FormSchemaEditorView(ConsoleView):
    """表单设计: designers and admins edit task-form schemas and publish them to the workspace."""

    roles = DESIGNERS

    @expose("/")
    def index(self) -> Any:
        with services().transaction() as s:
            rows = {r.form_key: runner.describe_form_draft(r) for r in runner.list_form_drafts(s)}
        files = file_form_keys()
        forms = [
            {"key": key, "file": key in files, "draft": rows.get(key)} for key in sorted(files | set(rows))
        ]
        return self.render("designer/forms.html", forms=forms)

    @expose("/new", methods=["POST"])
    def new(self) -> Any:
        key = (request.form.get("form_key") or "").strip()
        if not FORM_KEY_RE.fullmatch(key):
            flash_error(
                runner.InvalidInput(
                    "表单标识须以小写字母开头，只含小写字母、数字和下划线 (form key: a-z, 0-9, _)"
                )
            )
            return redirect(url_for(".index"))
        return redirect(url_for(".edit", form_key=key))

    @expose("/<form_key>")
    def edit(self, form_key: str) -> Any:
        key = _key(form_key)
        with services().transaction() as s:
            row = runner.form_draft(s, key)
            draft = runner.describe_form_draft(row, with_body=True) if row is not None else None
        file_text = _file_text(key)
        body = draft["body"] if draft else file_text or json.dumps(NEW_SCHEMA, ensure_ascii=False, indent=2)
        config = {
            "formKey": key,
            "revision": draft["revision"] if draft else 0,
            "published": bool(draft and draft["published_revision"]),
            "urls": {
                name: url_for(f".{name}", form_key=key) for name in ("preview", "save", "publish", "withdraw")
            },
        }
        return self.render(
            "designer/form_editor.html",
            form_key=key,
            body=body,
            draft=draft,
            has_file=file_text is not None,
            page_config=config,
        )

    @expose("/<form_key>/preview", methods=["POST"])
    def preview(self, form_key: str) -> Any:
        key = _key(form_key)
        try:
            body = json_body()
            text = field(body, "body", str)
            data = body.get("data") or {}
            if not isinstance(data, dict):
                raise runner.InvalidInput("示例数据须为 JSON 对象 (sample data must be a JSON object)")
            process = body.get("process") or None
            if process is not None and not isinstance(process, str):
                raise runner.InvalidInput("流程标识须为文字 (process must be a string)", field="process")
        except runner.RunnerError as exc:
            return jsonify(ok=False, **exc.to_dict()), exc.http_status
        try:
            schema = parse_schema_text(key, text)
        except SchemaError as exc:
            return jsonify(ok=False, code="schema_invalid", message=str(exc)), 200
        svc = services()
        with svc.transaction() as s:
            windows = {w.code: w.name for w in runner.list_windows(s)}
        ctx = FormContext(
            data=data, windows=windows, now=svc.now(), timezone=svc.settings.timezone, definition_key=process
        )
        form = make_form(schema, ctx, submitted=False, token="preview")
        html = render_template(
            "designer/form_preview.html",
            schema=schema,
            form=form,
            context_rows=show_rows(schema, ctx),
            pick=pick,
            upload_limit=human_size(max_bytes()),
        )
        return jsonify(ok=True, html=html, fields=len(schema.fields)), 200

    @expose("/<form_key>/save", methods=["POST"])
    def save(self, form_key: str) -> Any:
        key = _key(form_key)

        def work(s: Session, body: dict[str, Any]) -> dict[str, Any]:
            text, revision = field(body, "body", str), field(body, "revision", int)
            row = runner.save_form_draft(s, key, text, expected_revision=revision, actor=actor())
            return {"draft": runner.describe_form_draft(row), "problem": check_schema(key, text)}

        return answer(work)

    @expose("/<form_key>/publish", methods=["POST"])
    def publish(self, form_key: str) -> Any:
        key = _key(form_key)

        def work(s: Session, body: dict[str, Any]) -> dict[str, Any]:
            revision = field(body, "revision", int)
            row = runner.publish_form_draft(
                s, key, expected_revision=revision, actor=actor(), check=check_schema
            )
            return {"draft": runner.describe_form_draft(row)}

        return answer(work)

    @expose("/<form_key>/withdraw", methods=["POST"])
    def withdraw(self, form_key: str) -> Any:
        key = _key(form_key)

        def work(s: Session, body: dict[str, Any]) -> dict[str, Any]:
            return {"draft": runner.describe_form_draft(runner.withdraw_form_schema(s, key, actor=actor()))}

        return answer(work)

"""The diagram designer: the list of processes and drafts, the bpmn-js modeler page and its JSON endpoints.

- ``GET /admin/designer/`` — deployed processes (open one as a draft), open and closed drafts, a new blank one;
- ``GET /admin/designer/drafts/<id>`` — the modeler (``admin/static/designer/modeler.js``);
- ``POST .../save`` ``{"xml", "revision"}``, ``.../validate`` ``{}``, ``.../deploy`` ``{"revision"}`` — JSON,
  CSRF token in the ``X-CSRFToken`` header; ``GET .../xml`` reloads the stored revision after a conflict.
"""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, request, url_for
from flask_admin import expose
from sqlalchemy.orm import Session

import runner
from admin.base import DESIGNERS, ConsoleView, actor, services
from admin.designer.common import answer, field, flash_error, known_form_keys
from runner.core.conventions import ITEM_KINDS
from runner.core.validation import ON_TIMEOUT_VALUES


class DiagramDesignerView(ConsoleView):
    """流程设计: designers and admins draw, check and deploy diagrams."""

    roles = DESIGNERS

    @expose("/")
    def index(self) -> Any:
        with services().transaction() as s:
            processes = runner.list_definitions(s)
            drafts = [runner.describe_draft(d) for d in runner.list_drafts(s, limit=100)]
        open_by_key = {d["key"]: d for d in drafts if d["status"] == "open"}
        return self.render(
            "designer/drafts.html",
            processes=processes,
            open_drafts=[d for d in drafts if d["status"] == "open"],
            closed_drafts=[d for d in drafts if d["status"] != "open"][:30],
            open_by_key=open_by_key,
        )

    @expose("/open", methods=["POST"])
    def open_process(self) -> Any:
        key = (request.form.get("key") or "").strip()
        try:
            with services().transaction() as s:
                draft_id = runner.open_draft(s, key, actor=actor()).id
        except runner.RunnerError as exc:
            flash_error(exc)
            return redirect(url_for(".index"))
        return redirect(url_for(".modeler", draft_id=draft_id))

    @expose("/new", methods=["POST"])
    def new(self) -> Any:
        try:
            with services().transaction() as s:
                draft = runner.new_draft(
                    s, request.form.get("key", ""), request.form.get("name", ""), actor=actor()
                )
                draft_id = draft.id
        except runner.RunnerError as exc:
            flash_error(exc)
            return redirect(url_for(".index"))
        return redirect(url_for(".modeler", draft_id=draft_id))

    @expose("/drafts/<int:draft_id>/discard", methods=["POST"])
    def discard(self, draft_id: int) -> Any:
        try:
            revision = int(request.form.get("revision", ""))
            with services().transaction() as s:
                runner.discard_draft(s, draft_id, expected_revision=revision, actor=actor())
        except ValueError:
            abort(400)
        except runner.RunnerError as exc:
            flash_error(exc)
        return redirect(url_for(".index"))

    @expose("/drafts/<int:draft_id>")
    def modeler(self, draft_id: int) -> Any:
        with services().transaction() as s:
            try:
                draft = runner.describe_draft(runner.get_draft(s, draft_id), with_xml=True)
            except runner.NotFound:
                abort(404)
            listed = runner.list_windows(s)
            windows = [{"code": w.code, "name": w.name} for w in listed if w.is_active]
            closed = [{"code": w.code, "name": w.name} for w in listed if not w.is_active]
            forms = sorted(known_form_keys(s))
        config = {
            "draft": draft,
            "windows": windows,
            "closedWindows": closed,  # a lane named after one is told so (deployment refuses it)
            "forms": forms,
            "itemKinds": [{"label": label, "code": code} for label, code in ITEM_KINDS.items()],
            "onTimeout": list(ON_TIMEOUT_VALUES),
            "urls": {
                "save": url_for(".save", draft_id=draft_id),
                "validate": url_for(".validate", draft_id=draft_id),
                "deploy": url_for(".deploy", draft_id=draft_id),
                "xml": url_for(".xml", draft_id=draft_id),
                "index": url_for(".index"),
            },
        }
        return self.render("designer/modeler.html", draft=draft, page_config=config)

    @expose("/drafts/<int:draft_id>/xml")
    def xml(self, draft_id: int) -> Any:
        def work(s: Session, body: dict[str, Any]) -> dict[str, Any]:
            return {"draft": runner.describe_draft(runner.get_draft(s, draft_id), with_xml=True)}

        return answer(work)

    @expose("/drafts/<int:draft_id>/save", methods=["POST"])
    def save(self, draft_id: int) -> Any:
        def work(s: Session, body: dict[str, Any]) -> dict[str, Any]:
            xml, revision = field(body, "xml", str), field(body, "revision", int)
            draft = runner.save_draft(s, draft_id, xml, expected_revision=revision, actor=actor())
            return {"draft": runner.describe_draft(draft)}

        return answer(work)

    @expose("/drafts/<int:draft_id>/validate", methods=["POST"])
    def validate(self, draft_id: int) -> Any:
        def work(s: Session, body: dict[str, Any]) -> dict[str, Any]:
            found = runner.check_draft(s, draft_id, actor=actor())
            return {"valid": found.ok, "revision": found.revision, "problems": found.problems}

        return answer(work)

    @expose("/drafts/<int:draft_id>/deploy", methods=["POST"])
    def deploy(self, draft_id: int) -> Any:
        def work(s: Session, body: dict[str, Any]) -> dict[str, Any]:
            revision = field(body, "revision", int)
            draft, created, warnings = runner.deploy_draft(
                s, draft_id, expected_revision=revision, actor=actor()
            )
            return {
                "draft": runner.describe_draft(draft),
                "version": draft.deployed_version,
                "created": created,
                "warnings": warnings,
            }

        return answer(work)

"""流程定义: every key with its versions and instance counts, the diagram, the XML, deploying a new version
(upload) and moving open instances of one version to another (with a preview of which can move)."""

from __future__ import annotations

from typing import Any

from flask import Response as FlaskResponse
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from werkzeug.wrappers import Response

import runner
from admin.base import OVERSEERS, ConsoleView, actor, services
from admin.monitoring.common import is_admin, kind_label, local, require_admin
from admin.monitoring.instances import instances_url
from forms.language import shown_name
from runner.items.monitoring import migration_candidates
from web.i18n import user_message

MIGRATION_PAGE = 200  # instances previewed (and moved) per round


class DefinitionsView(ConsoleView):
    """``/admin/definitions/``."""

    roles = OVERSEERS

    @expose("/")
    def index(self) -> Any:
        with services().transaction() as s:
            definitions = runner.list_definitions(s)
            windows = [(w.code, shown_name(w.name, w.name_en)) for w in runner.list_windows(s) if w.is_active]
        return self.render(
            "console/monitoring/definitions.html",
            definitions=definitions,
            windows=windows,
            kind_label=kind_label,
            local=local,
            instances_url=instances_url,
            can_act=is_admin(),
        )

    @expose("/<key>/<int:version>/")
    def diagram(self, key: str, version: int) -> Any:
        with services().transaction() as s:
            definition = _definition(s, key, version)
            info = {
                "key": definition.key,
                "version": definition.version,
                "name": definition.name,
                "filename": definition.filename,
                "deployed_by": definition.deployed_by,
                "deployed_at": definition.deployed_at,
                "warnings": definition.meta.get("warnings") or [],
                "dmn": [d.get("filename") for d in definition.dmn_xml],
            }
            xml = definition.bpmn_xml
        return self.render(
            "console/monitoring/definition.html",
            info=info,
            diagram={"xml": xml, "completed": [], "current": []},
            local=local,
        )

    @expose("/<key>/<int:version>/xml")
    def xml(self, key: str, version: int) -> Response:
        with services().transaction() as s:
            definition = _definition(s, key, version)
            body, name = definition.bpmn_xml, f"{definition.key}-v{definition.version}.bpmn"
        return FlaskResponse(
            body,
            mimetype="application/xml",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @expose("/deploy", methods=("POST",))
    def deploy(self) -> Response:
        require_admin()
        back = url_for(".index")
        upload = request.files.get("bpmn")
        if upload is None or not upload.filename:
            flash(user_message("请选择 BPMN 文件 (choose a BPMN file)"), "error")
            return redirect(back)
        content = upload.read()
        dmn = [(f.read(), f.filename or "table.dmn") for f in request.files.getlist("dmn") if f.filename]
        default_window = request.form.get("default_window") or None
        try:
            with services().transaction() as s:
                result = runner.deploy(
                    s, content, upload.filename, actor=actor(), dmn=dmn, default_window=default_window
                )
                done = [
                    f"{d.key} v{d.version}" + (_("（新版本）") if created else _("（内容未变，沿用）"))
                    for d, created in zip(result.definitions, result.created, strict=True)
                ]
        except runner.DiagramInvalid as exc:
            flash(_("部署失败：%(message)s", message=user_message(exc)), "error")
            _flash_problems([p for p in exc.problems if p.get("severity", "error") == "error"], "error")
            _flash_problems([p for p in exc.problems if p.get("severity") == "warning"], "warning")
            return redirect(back)
        except runner.RunnerError as exc:
            flash(_("部署失败：%(message)s", message=user_message(exc)), "error")
            return redirect(back)
        flash(_("已部署：%(list)s", list="，".join(done)), "success")
        _flash_problems(result.warnings, "warning")
        return redirect(back)

    @expose("/<key>/migrate")
    def migrate_preview(self, key: str) -> Any:
        source, target = _versions()
        with services().transaction() as s:
            _definition(s, key, source)
            _definition(s, key, target)
            if source == target:
                abort(400, description="源版本与目标版本相同 (same version)")
            candidates = migration_candidates(s, key, source, target, limit=MIGRATION_PAGE)
        return self.render(
            "console/monitoring/migrate.html",
            key=key,
            source=source,
            target=target,
            candidates=candidates,
            movable=sum(1 for c in candidates if c["can_move"]),
            page=MIGRATION_PAGE,
            can_act=is_admin(),
        )

    @expose("/<key>/migrate", methods=("POST",))
    def migrate(self, key: str) -> Response:
        require_admin()
        source, target = _versions(request.form)
        ids = [int(i) for i in request.form.getlist("instance_id") if i.isdigit()]
        moved, failed = [], []
        for instance_id in ids:
            # one transaction per instance: one that cannot move does not hold back the others
            try:
                with services().transaction() as s:
                    instance = runner.get_instance(s, instance_id)
                    if instance.definition_key != key or instance.definition.version != source:
                        raise runner.Conflict(
                            f"办件 {instance.business_key} 已不在 {key} v{source} (no longer on that version)"
                        )
                    runner.migrate_instance(s, instance_id, target, actor=actor())
                    moved.append(instance.business_key)
            except runner.RunnerError as exc:
                failed.append(user_message(exc))
        if moved:
            flash(
                _(
                    "已迁移 %(n)s 件到 v%(target)s：%(list)s",
                    n=len(moved),
                    target=target,
                    list="、".join(moved[:20]),
                ),
                "success",
            )
        for message in failed[:20]:
            flash(_("未迁移：%(message)s", message=message), "error")
        if not ids:
            flash(user_message("没有选择办件 (no instance chosen)"), "warning")
        return redirect(url_for(".migrate_preview", key=key, **{"from": source, "to": target}))


PROBLEMS_SHOWN = 50


def _flash_problems(problems: list[dict[str, Any]], category: str) -> None:
    """Each problem as a message naming its file, line and element (the first ``PROBLEMS_SHOWN``)."""
    label = _("错误") if category == "error" else _("提示")
    for p in problems[:PROBLEMS_SHOWN]:
        where = ":".join(str(x) for x in (p.get("file"), p.get("line")) if x)
        element = f"[{p['element']}] " if p.get("element") else ""
        flash(f"{label}：{where} {element}{user_message(str(p.get('message') or ''))}", category)
    if len(problems) > PROBLEMS_SHOWN:
        flash(_("……另有 %(n)s 条%(label)s未列出", n=len(problems) - PROBLEMS_SHOWN, label=label), category)


def _definition(session: Any, key: str, version: int) -> Any:
    try:
        return runner.get_definition(session, key, version)
    except runner.NotFound:
        abort(404, description=f"没有流程 {key} v{version} (no such definition)")


def _versions(source: Any = None) -> tuple[int, int]:
    args = source if source is not None else request.args
    try:
        return int(args.get("from") or ""), int(args.get("to") or "")
    except ValueError:
        abort(400, description="请选择源版本和目标版本 (choose both versions)")

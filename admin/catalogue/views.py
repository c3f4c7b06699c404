"""事项目录 in the console (``/admin/catalogue/``): the items, each with its versions and what changed in each,
editing (a save is a new version, checked and audited by ``runner.catalogue.items.save_item``), blank forms
uploaded per material, and the JSON Lines import and export.

Overseers and designers look; designers and admins change.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _

import runner
from admin.base import ConsoleView, actor, services
from admin.monitoring.common import local
from forms.language import shown_name
from runner.catalogue import items as catalogue
from runner.catalogue.body import DELIVERY, ENGLISH_FIELDS, FORMS, KINDS, TEXT_FIELDS, ItemInvalid
from runner.catalogue.transfer import CatalogueInvalid, export_lines, import_lines
from runner.models import Role
from web.auth import current_user
from web.i18n import field_message, user_message

VIEWERS = (Role.ADMIN, Role.SUPERVISOR, Role.LEADER, Role.DESIGNER)
EDITORS = (Role.ADMIN, Role.DESIGNER)
EMPTY_ROWS = 3
FLAGS = ("required", "tolerable")


def field_labels() -> dict[str, str]:
    """Each field of the editor → its label on the page, for the problems listed above the form."""
    labels = {
        "code": _("事项编码"),
        "name": _("事项名称"),
        "name_en": _("英文名称（English name）"),
        "department": _("实施部门（办理主体）"),
        "window": _("受理窗口"),
        "kind": _("办件类型"),
        "process": _("流程"),
        "promised_days": _("承诺时限（工作日）"),
        "statutory_days": _("法定时限（工作日）"),
        "related_windows": _("联办窗口（联办件）"),
        "upper_authority": _("上级审批机关（上报件）"),
        "prereview_days": _("网上预审时限"),
        "conditions": _("申请条件"),
        "legal_basis": _("设定依据"),
        "procedure": _("办理程序"),
        "fee_standard": _("收费标准（空为不收费）"),
        "fee_basis": _("收费依据"),
        "result": _("办理结果（证照/批文名称）"),
        "supervision_phone": _("监督电话"),
        "delivery": _("送达方式"),
        "materials": _("申请材料"),
        "note": _("备注"),
    }
    for name in ENGLISH_FIELDS:  # conditions_en → 申请条件（英文）
        labels[name] = _("%(label)s（英文）", label=labels[name.removesuffix("_en")])
    return labels


def may_edit() -> bool:
    """Is the current user a designer or an admin?"""
    return bool(current_user.is_authenticated and current_user.has_role(*EDITORS))


def _changes(older: dict[str, Any] | None, newer: dict[str, Any]) -> list[str]:
    if older is None:
        return []
    return sorted(k for k in set(older) | set(newer) if older.get(k) != newer.get(k))


def _materials_from_form(form: Any, files: Any) -> tuple[list[dict[str, Any]], list[tuple[int, Any]]]:
    """The material rows posted (``m-<n>-<field>``), and the blank forms uploaded with them."""
    rows: list[dict[str, Any]] = []
    uploads: list[tuple[int, Any]] = []
    count = min(form.get("material_rows", type=int) or 0, 100 + EMPTY_ROWS)
    for n in range(count):
        name = (form.get(f"m-{n}-name") or "").strip()
        if not name:
            continue
        copies = form.get(f"m-{n}-copies", "1").strip()
        rows.append(
            {
                "name": name,
                "form": form.get(f"m-{n}-form") or "原件",
                "copies": int(copies) if copies.isdigit() else copies,
                **{flag: form.get(f"m-{n}-{flag}") == "on" for flag in FLAGS},
                "blank_form": form.get(f"m-{n}-blank_form") or "",
                "note": form.get(f"m-{n}-note") or "",
                "name_en": form.get(f"m-{n}-name_en") or "",
                "note_en": form.get(f"m-{n}-note_en") or "",
            }
        )
        upload = files.get(f"m-{n}-file")
        if upload is not None and upload.filename:
            uploads.append((len(rows) - 1, upload))
    return rows, uploads


def _raw_from_form(form: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        name: form.get(name, "") for name in ("code", "name", "name_en", "window", "kind", "process")
    }
    raw.update({name: form.get(name, "") for name in (*TEXT_FIELDS, *ENGLISH_FIELDS)})
    raw.update(
        promised_days=form.get("promised_days", ""),
        statutory_days=form.get("statutory_days", ""),
        related_windows=form.getlist("related_windows"),
        delivery=form.getlist("delivery"),
        tolerance=form.get("tolerance") == "on",
        online=form.get("online") == "on",
        active=form.get("active") == "on",
    )
    if (form.get("prereview_days") or "").strip():  # 网上申报's 预审 limit (empty: the default 1 working day)
        raw["prereview_days"] = form.get("prereview_days", "").strip()
    return raw


class CatalogueView(ConsoleView):
    """``/admin/catalogue/``: list, item (versions), edit, new, import, export."""

    roles = VIEWERS

    @expose("/")
    def index(self) -> Any:
        text = (request.args.get("q") or "").strip()[:100]
        with services().reading() as s:
            found = catalogue.search(s, text, active_only=False, limit=500)
            names = {w.code: shown_name(w.name, w.name_en) for w in runner.list_windows(s)}
            rows = [
                {"code": i.code, "name": shown_name(i.name, i.name_en), "window": names.get(i.window, i.window), "kind": i.kind,
                 "process": i.process_key, "version": i.version, "online": i.online, "active": i.active,
                 "updated_by": i.updated_by, "updated_at": local(i.updated_at)}
                for i in found
            ]  # fmt: skip
            total = catalogue.count(s, active_only=False)
        return self.render("console/catalogue/list.html", rows=rows, q=text, total=total, can_edit=may_edit())

    @expose("/item/<code>")
    def item(self, code: str) -> Any:
        with services().reading() as s:
            try:
                found = catalogue.get_item(s, code)
            except runner.NotFound:
                flash(_("没有事项 %(code)s", code=code), "error")
                return redirect(url_for(".index"))
            versions = catalogue.versions(s, found)
            history = [
                {"version": v.version, "by": v.created_by, "at": local(v.created_at),
                 "changed": _changes(versions[n + 1].body if n + 1 < len(versions) else None, v.body)}
                for n, v in enumerate(versions)
            ]  # fmt: skip
            shown = request.args.get("version", type=int) or found.version
            body = next((v.body for v in versions if v.version == shown), versions[0].body)
            current = found.version
        return self.render(
            "console/catalogue/item.html",
            item=body,
            code=code,
            shown=shown,
            current=current,
            history=history,
            can_edit=may_edit(),
        )

    def _editor(self, body: dict[str, Any], *, creating: bool, problems: list[str] | None = None) -> Any:
        with services().reading() as s:
            windows = [(w.code, shown_name(w.name, w.name_en)) for w in runner.list_windows(s) if w.is_active]
            processes = sorted({d["key"] for d in runner.list_definitions(s)})
        materials = list(body.get("materials") or []) + [{} for _ in range(EMPTY_ROWS)]
        return self.render(
            "console/catalogue/edit.html",
            item=body,
            materials=materials,
            creating=creating,
            problems=problems or [],
            windows=windows,
            processes=processes,
            kinds=KINDS,
            forms=FORMS,
            deliveries=DELIVERY,
            labels=field_labels(),
        ), (400 if problems else 200)

    @expose("/new", methods=("GET", "POST"))
    def new(self) -> Any:
        if not may_edit():
            return self.inaccessible_callback("new")
        if request.method == "POST":
            return self._save(creating=True)
        return self._editor({"active": True, "delivery": [DELIVERY[0]], "materials": []}, creating=True)

    @expose("/item/<code>/edit", methods=("GET", "POST"))
    def edit(self, code: str) -> Any:
        if not may_edit():
            return self.inaccessible_callback("edit")
        if request.method == "POST":
            return self._save(creating=False, code=code)
        with services().reading() as s:
            try:
                body = catalogue.current_version(s, catalogue.get_item(s, code)).body
            except runner.NotFound:
                flash(_("没有事项 %(code)s", code=code), "error")
                return redirect(url_for(".index"))
        return self._editor(body, creating=False)

    def _save(self, *, creating: bool, code: str | None = None) -> Any:
        raw = _raw_from_form(request.form)
        if code is not None:
            raw["code"] = code  # the code names the item: a new code is a new item
        materials, uploads = _materials_from_form(request.form, request.files)
        raw["materials"] = materials
        try:
            with services().transaction() as s:
                for index, upload in uploads:
                    content = upload.read()
                    materials[index]["blank_form"] = catalogue.store_file(
                        s, upload.filename, content, upload.mimetype or "", actor=actor()
                    )
                if creating and _exists(s, raw):
                    raise ItemInvalid([f"code: 事项编码 {raw['code']} 已存在 (code already used)"])
                saved = catalogue.save_item(s, raw, actor=actor())
                changed, version = saved.changed, saved.version
        except ItemInvalid as exc:
            return self._editor(
                raw, creating=creating, problems=[field_message(p, field_labels()) for p in exc.problems]
            )
        if changed:
            flash(
                _("已保存事项 %(code)s，现行第 %(version)s 版", code=raw["code"], version=version), "success"
            )
        else:
            flash(_("内容没有变化，未产生新版本"), "info")
        return redirect(url_for(".item", code=raw["code"]))

    @expose("/export")
    def export(self) -> Any:
        with services().reading() as s:
            body = "".join(line + "\n" for line in export_lines(s))
        return Response(
            body,
            mimetype="application/x-ndjson; charset=utf-8",
            headers={"Content-Disposition": "attachment; filename=catalogue.jsonl"},
        )

    @expose("/import", methods=("POST",))
    def import_file(self) -> Any:
        if not may_edit():
            return self.inaccessible_callback("import")
        upload = request.files.get("file")
        try:
            text = upload.read().decode("utf-8-sig") if upload is not None else ""
        except UnicodeDecodeError:
            flash(user_message("文件不是 UTF-8 编码 (not UTF-8)"), "error")
            return redirect(url_for(".index"))
        try:
            with services().transaction() as s:
                result = import_lines(s, text.splitlines(), actor=actor())
        except CatalogueInvalid as exc:
            for number, problems in sorted(exc.problems.items()):
                said = "；".join(field_message(p) for p in problems)
                flash(_("第 %(line)s 行: %(problems)s", line=number, problems=said), "error")
            flash(_("事项目录有误，未导入任何事项"), "error")
        else:
            flash(
                _(
                    "已导入：新增 %(created)s，更新 %(updated)s，未变 %(unchanged)s",
                    created=len(result.created),
                    updated=len(result.updated),
                    unchanged=len(result.unchanged),
                ),
                "success",
            )
        return redirect(url_for(".index"))


def _exists(session: Any, raw: dict[str, Any]) -> bool:
    try:
        catalogue.get_item(session, str(raw.get("code") or ""))
    except runner.NotFound:
        return False
    return True


def json_pretty(value: Any) -> str:
    """A value as indented JSON (the console's raw view of a version)."""
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)

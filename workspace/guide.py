"""The public guide (办事指南, no login): the catalogue's items listed and searched, one page per item with
the nine contents a centre publishes (seed 004: 办理主体、依据、条件、程序、时限、结果、收费依据、收费标准、
监督渠道), its materials and their blank forms, printable on A4.

- ``GET /guide``                 list and search (name, code, department; kind, window)
- ``GET /guide/<code>``          one item's guide
- ``GET /guide/files/<ref>``     a blank form or sample of a material
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

from flask import abort, render_template, request, send_file

import runner
from forms.language import english, pick, shown_name
from runner.catalogue import items as catalogue
from runner.catalogue.body import KINDS, fee_text
from web.auth import services
from web.chrome import register_nav
from web.filters import word
from web.i18n import Label
from workspace.blueprint import bp

PAGE = 50


def window_names(session: Any) -> dict[str, str]:
    """Window code → name in the page language."""
    return {w.code: shown_name(w.name, w.name_en) for w in runner.list_windows(session)}


def english_departments(session: Any, found: list[Any]) -> dict[str, str]:
    """Code → English department of the listed items, read only for an English page."""
    return catalogue.english_departments(session, {i.code for i in found}) if english() else {}


def kind_label(kind: str) -> str:
    """An item kind in the page language."""
    return word(kind)


@bp.get("/guide")
def guide() -> Any:
    """The catalogue's published items, searched by name, code or department, filtered by kind and window."""
    text = (request.args.get("q") or "").strip()[:100]
    kind = request.args.get("kind") or None
    window = request.args.get("window") or None
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 1000))
    with services().reading() as s:
        found = catalogue.search(
            s,
            text,
            kind=kind if kind in KINDS else None,
            window=window,
            limit=PAGE + 1,
            offset=(page - 1) * PAGE,
        )
        names = window_names(s)
        departments = english_departments(s, found[:PAGE])
        rows = [
            {"code": i.code, "name": shown_name(i.name, i.name_en),
             "department": shown_name(i.department or "", departments.get(i.code)),
             "window": names.get(i.window, i.window), "kind": i.kind, "online": i.online}
            for i in found[:PAGE]
        ]  # fmt: skip
    return render_template(
        "catalogue/guide_list.html",
        rows=rows,
        q=text,
        kind=kind,
        window=window,
        kinds=KINDS,
        windows=sorted(names.items(), key=lambda kv: kv[1]),
        page=page,
        more=len(found) > PAGE,
        pick=pick,
        kind_label=kind_label,
    )


def guide_view(session: Any, code: str, version: int | None = None) -> dict[str, Any]:
    """One item's guide as the page shows it (the version in force, or ``version``)."""
    item = catalogue.get_item(session, code)
    row = (
        catalogue.current_version(session, item)
        if version is None
        else catalogue.item_version(session, item, version)
    )
    body = dict(row.body)
    names = window_names(session)
    files = catalogue.file_names(session, [m["blank_form"] for m in body["materials"]])
    body["materials"] = [{**m, "blank_form_name": files.get(m["blank_form"])} for m in body["materials"]]
    body["window_name"] = names.get(body["window"], body["window"])
    body["related_names"] = [names.get(w, w) for w in body["related_windows"]]
    body["fee"] = fee_text(body)
    body["version"] = row.version
    body["current_version"] = item.version
    body["version_date"] = row.created_at
    return body


@bp.get("/guide/<code>")
def guide_item(code: str) -> Any:
    """The nine public contents of one item, its materials and blank forms."""
    with services().reading() as s:
        try:
            item = guide_view(s, code, request.args.get("version", type=int))
        except runner.NotFound:
            abort(404)
    if not item["active"] and item["version"] == item["current_version"]:
        abort(404)
    return render_template("catalogue/guide_item.html", item=item, pick=pick, kind_label=kind_label)


@bp.get("/guide/files/<reference>")
def guide_file(reference: str) -> Any:
    """A material's blank form, as an attachment."""
    if len(reference) != 64 or not all(c in "0123456789abcdef" for c in reference):
        abort(404)
    with services().reading() as s:
        try:
            found = catalogue.get_file(s, reference)
        except runner.NotFound:
            abort(404)
        content, name, mimetype = found.content, found.filename, found.content_type
    return send_file(BytesIO(content), mimetype=mimetype, as_attachment=True, download_name=name)


register_nav(Label("办事指南", "Service guide"), "workspace.guide", public=True, order=790)  # type: ignore[arg-type]

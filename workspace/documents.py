"""Printed notices of an item: list, issue (numbered once), HTML print view and PDF (WeasyPrint).

Routes (all need login; only users whose windows take part in the item, or who cover a colleague's task
of it through AB岗, get in — 403 otherwise):

- ``GET  /items/<business_key>/documents``            the item's documents and what can be issued
- ``POST /items/<business_key>/documents/<kind>``     issue (allocates the numbers); once issued, a re-issue (补发)
- ``POST /items/<business_key>/documents/<kind>/reissue`` issue again under a new number (``reason``: 重新出具)
- ``GET  /items/<business_key>/documents/<kind>``     the print view (A4 print stylesheet)
- ``GET  /items/<business_key>/documents/<kind>.pdf`` the same as a PDF download
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

import runner
from runner.items.views import task_view
from runner.models import OpenTask
from runner.papers import document_issuing as issuing
from runner.papers import documents as docs
from web.auth import current_user, login_required, services
from web.filters import page_date, paper_date
from web.i18n import user_message
from workspace.access import can_work_on
from workspace.blueprint import bp

KIND_RULE = "any(" + ", ".join(docs.KINDS) + ")"
PRINT_CSS = Path(__file__).resolve().parents[1] / "web" / "static" / "print.css"


@cache
def print_css() -> str:
    return PRINT_CSS.read_text(encoding="utf-8")


# the printed papers write their dates the Chinese way whatever the page language; pages and flashes around
# them use ``page_date``
bp.add_app_template_filter(paper_date, "doc_date")


def _involvement(
    session: Session, business_key: str
) -> tuple[dict[str, Any], list[str], list[dict[str, Any]]]:
    instance = runner.get_instance(session, business_key=business_key)
    involved = docs.windows_involved(session, instance.id)
    open_tasks = [
        task_view(t) for t in session.scalars(select(OpenTask).where(OpenTask.instance_id == instance.id))
    ]
    return runner.instance_summary(instance), involved, open_tasks


def item_for_current_user(business_key: str) -> dict[str, Any]:
    """The item's summary when the current user may see its documents; 404 / 403 otherwise."""
    try:
        item, involved, open_tasks = services().run(_involvement, business_key)
    except runner.NoSuchInstance:
        abort(404)
    if current_user.windows & set(involved) or any(can_work_on(t) for t in open_tasks):
        return item
    abort(403)


def _issuer() -> str:
    return str(current_app.config.get("CENTRE_NAME") or docs.DEFAULT_ISSUER)


@bp.get("/items/<business_key>/documents")
@login_required
def documents(business_key: str) -> Any:
    item = item_for_current_user(business_key)
    rows = services().run(docs.list_documents, item["id"])
    for row in rows:
        row["reason_text"] = user_message(row["reason"]) if row["reason"] else ""
    return render_template("documents/index.html", item=item, documents=rows)


@bp.post(f"/items/<business_key>/documents/<{KIND_RULE}:kind>")
@login_required
def issue_document(business_key: str, kind: str) -> Any:
    item = item_for_current_user(business_key)
    try:
        doc, again = services().run(
            issuing.issue_by_hand, item["id"], kind, current_user.username, issuer=_issuer()
        )
    except docs.DocumentNotAvailable as exc:
        flash(user_message(exc), "warning")
        return redirect(url_for("workspace.documents", business_key=business_key))
    numbers = "、".join(c["number"] for c in doc["copies"])
    if again:
        flash(_("已补发 %(title)s %(numbers)s（原编号、原出具日期 %(date)s 不变）", title=doc["title"],
                numbers=numbers, date=page_date(doc["content"]["issued_date"])), "success")  # fmt: skip
    else:
        flash(_("已出具 %(title)s %(number)s", title=doc["title"], number=numbers), "success")
    return redirect(url_for("workspace.document", business_key=business_key, kind=kind))


@bp.post(f"/items/<business_key>/documents/<{KIND_RULE}:kind>/reissue")
@login_required
def reissue_document(business_key: str, kind: str) -> Any:
    """Re-issue a document under a new number (the reason is required; the earlier one stays on record)."""
    item = item_for_current_user(business_key)
    reason = request.form.get("reason", "")
    try:
        doc = services().run(
            docs.reissue, item["id"], kind, current_user.username, reason=reason, issuer=_issuer()
        )
    except (docs.DocumentNotAvailable, runner.InvalidInput) as exc:
        flash(user_message(exc), "warning")
        return redirect(url_for("workspace.documents", business_key=business_key))
    flash(_("已重新出具 %(title)s %(number)s", title=doc["title"], number=doc["number"]), "success")
    return redirect(url_for("workspace.document", business_key=business_key, kind=kind))


def _issued(item: dict[str, Any], kind: str) -> dict[str, Any] | None:
    return services().run(docs.get_document, item["id"], kind)


def render_document(doc: dict[str, Any], *, pdf: bool = False) -> str:
    """The standalone HTML of an issued document (from its stored snapshot)."""
    return render_template("documents/print.html", doc=doc, c=doc["content"], pdf=pdf, print_css=print_css())


@bp.get(f"/items/<business_key>/documents/<{KIND_RULE}:kind>")
@login_required
def document(business_key: str, kind: str) -> Any:
    item = item_for_current_user(business_key)
    doc = _issued(item, kind)
    if doc is None:
        return _not_issued(item, kind)
    return render_document(doc)


def _not_issued(item: dict[str, Any], kind: str) -> Any:
    rows = services().run(docs.list_documents, item["id"])
    row = next(r for r in rows if r["kind"] == kind)
    return render_template(
        "documents/not_issued.html",
        title=row["title"],
        business_key=item["business_key"],
        kind=kind,
        available=row["available"],
        reason=user_message(row["reason"]) if row["reason"] else "",
    ), 404


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> Any:
    """WeasyPrint must not fetch anything: the document is self-contained."""
    raise ValueError(f"external resource refused: {url}")


def pdf_bytes(html: str) -> bytes:
    """Render HTML to PDF with WeasyPrint (A4 and fonts from the print stylesheet)."""
    from weasyprint import HTML

    return HTML(string=html, url_fetcher=_refuse_fetch).write_pdf()  # type: ignore[no-any-return]


@bp.get(f"/items/<business_key>/documents/<{KIND_RULE}:kind>.pdf")
@login_required
def document_pdf(business_key: str, kind: str) -> Any:
    item = item_for_current_user(business_key)
    doc = _issued(item, kind)
    if doc is None:
        return _not_issued(item, kind)
    body = pdf_bytes(render_document(doc, pdf=True))
    filename = f"{doc['title']}-{item['business_key']}.pdf"
    # the plain name in letters, digits and - only (a receipt number from before numbers were checked may hold
    # anything, and a header with a line break is refused); the full name goes in filename*
    plain = re.sub(r"[^A-Za-z0-9-]", "_", f"{item['business_key']}-{kind}")
    return Response(
        body,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{plain}.pdf"; '
            f"filename*=UTF-8''{quote(filename)}",
            "Cache-Control": "private, no-store",
        },
    )

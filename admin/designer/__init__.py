"""Console part `designer` (see admin/__init__.py): the diagram modeler with its drafts, and the form editor.

Both pages are for designers and admins (``admin.base.DESIGNERS``); every change goes through a runner
function (``runner.design.drafts``, ``runner.design.form_drafts``) that writes the audit trail.
"""

from __future__ import annotations

from flask import url_for
from flask_admin import Admin
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

import runner
from admin.base import DESIGNERS, Card, home_card
from admin.designer.diagrams import DiagramDesignerView
from admin.designer.form_editor import FormSchemaEditorView

CATEGORY = _l("设计")


def register(admin: Admin) -> None:
    """Add this part's views to the console."""
    admin.add_view(
        DiagramDesignerView(
            name=_l("流程设计"), category=CATEGORY, endpoint="designer", url="/admin/designer"
        )
    )
    admin.add_view(
        FormSchemaEditorView(
            name=_l("表单设计"), category=CATEGORY, endpoint="designer_forms", url="/admin/designer/forms"
        )
    )
    home_card(order=60)(open_drafts_card)


def open_drafts_card(session: Session) -> Card | None:
    """Front-page tile for designers: how many diagram drafts are open."""
    from web.auth import current_user

    if not current_user.has_role(*DESIGNERS):
        return None
    count = len(runner.list_drafts(session, status="open"))
    return Card(_("未部署的流程草稿"), str(count), "info", url_for("designer.index"), _("设计 · 流程设计"))

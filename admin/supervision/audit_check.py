"""审计校验: re-computes every hash chain of the audit trail and names the first broken row of each."""

from __future__ import annotations

from typing import Any

from flask_admin import expose

import runner
from admin.base import OVERSEERS, ConsoleView, services
from admin.language import action_label
from runner.models import AuditEntry


class AuditVerifyView(ConsoleView):
    """``/admin/supervision/audit-verify/``: a fresh check on every visit (it reads the whole trail)."""

    roles = OVERSEERS

    @expose("/")
    def index(self) -> Any:
        with services().transaction() as session:
            broken = runner.verify_audit(session)
            total = session.query(AuditEntry).count()
            chains = session.query(AuditEntry.chain).distinct().count()
            rows = []
            for b in broken:
                entry = session.get(AuditEntry, b.entry_id) if b.entry_id is not None else None
                rows.append({"broken": b, "entry": entry})
            checked_at = services().now()
        return self.render(
            "console/supervision/audit_verify.html",
            rows=rows,
            total=total,
            chains=chains,
            checked_at=checked_at,
            action_label=action_label,
        )

"""Console part ``supervision`` (督查, see admin/__init__.py): what the supervision office watches and decides.

- 督查统计 (dashboard: figures per window and period, charts, CSV, the printable 月报);
- 考核与申诉 (scores under the schemes in force, 记分录入, appeals by window heads, decisions by supervisors);
- 考核方案 (the schemes, their versions and which windows they assess; changes apply from the next period);
- 预警 (stored warnings, open or answered) and 预警规则 (the rule table, edited by supervisors/admins);
- 审计校验 (the hash chains of the audit trail, naming the first broken row);
- front-page tiles: open warnings, open appeals, the holiday-data alarm.
Window heads reach 考核与申诉 from the workspace's top bar.
"""

from __future__ import annotations

from types import SimpleNamespace

from flask_admin import Admin
from flask_babel import lazy_gettext as _l

from runner.models import WarningEvent, WarningRule

CATEGORY = _l("督查")


def register(admin: Admin) -> None:
    """Add this part's views, tiles, template filter and the window heads' link to the console."""
    from admin.supervision import cards, entry_files
    from admin.supervision.assessment import AssessmentView
    from admin.supervision.audit_check import AuditVerifyView
    from admin.supervision.common import cell
    from admin.supervision.dashboard import DashboardView
    from admin.supervision.rules import WarningRuleView
    from admin.supervision.schemes import SchemesView
    from admin.supervision.warnings import WarningListView
    from web.chrome import register_nav
    from web.i18n import Label

    assert admin.app is not None
    admin.app.jinja_env.filters["supervision_cell"] = cell
    entry_files.install(admin.app)
    # Flask-Admin 2 takes "a db object with .session" (passing the session itself is deprecated)
    db = SimpleNamespace(session=admin.app.extensions["banjian_console_session"])
    base = "/admin/supervision"
    warnings = WarningListView(
        WarningEvent,
        db,
        name=_l("预警"),
        category=CATEGORY,
        endpoint="supervision_warnings",
        url=f"{base}/warnings",
    )
    cards.VIEWS["warnings"] = warnings
    admin.add_view(
        DashboardView(name=_l("督查统计"), category=CATEGORY, endpoint="supervision_dashboard", url=base)
    )
    admin.add_view(
        AssessmentView(
            name=_l("考核与申诉"),
            category=CATEGORY,
            endpoint="supervision_assessment",
            url=f"{base}/assessment",
        )
    )
    admin.add_view(warnings)
    admin.add_view(
        WarningRuleView(
            WarningRule, db, name=_l("预警规则"), category=CATEGORY, endpoint="supervision_warning_rules",
            url=f"{base}/warning-rules",
        )
    )  # fmt: skip
    admin.add_view(
        SchemesView(
            name=_l("考核方案"), category=CATEGORY, endpoint="supervision_schemes", url=f"{base}/schemes"
        )
    )
    admin.add_view(
        AuditVerifyView(
            name=_l("审计校验"), category=CATEGORY, endpoint="supervision_audit", url=f"{base}/audit-verify"
        )
    )
    register_nav(
        Label("考核申诉", "Appraisal appeals"),  # type: ignore[arg-type]
        "supervision_assessment.index",
        roles=("window_head",),
        order=60,
    )

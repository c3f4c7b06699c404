"""考核方案: the schemes, their versions, which one is in force per target, and which windows each assesses.

Overseers look; supervisors and admins change a scheme (a new version: from the next period when it is the
one in force), choose the windows it assesses (seed 001 第三条: service windows and their staff only) or put
another scheme in force from the next period. The runner validates and audits every change.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask import abort, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from sqlalchemy.orm import Session

import runner
from admin.base import OVERSEERS, ConsoleView, actor, perform, services
from admin.language import SCHEME_PERIODS, TARGETS
from forms.language import shown_name
from runner.models import AssessmentScheme, Role
from runner.supervision.assessment_schemes import periods, scope, store
from web.auth import current_user

EDITORS = (Role.ADMIN, Role.SUPERVISOR)
PERIODS = SCHEME_PERIODS


def scheme_row(
    session: Session, row: AssessmentScheme, windows: list[tuple[str, str]], day: date
) -> dict[str, Any]:
    """What the page shows of a scheme: its versions in force now and next, and the windows it assesses."""
    now = store.in_force(session, row.target, day)
    nxt = store.in_force(session, row.target, periods.next_period_start(row.period, day))
    return {
        "row": row,
        "target": TARGETS.get(row.target, row.target),
        "period": PERIODS.get(row.period, row.period),
        "in_force_now": now.version if now is not None and now.code == row.code else None,
        "in_force_next": nxt.version if nxt is not None and nxt.code == row.code else None,
        "assessed": [(code, name, scope.window_assessed(row.definition, code)) for code, name in windows],
        "json": json.dumps(row.definition, ensure_ascii=False, indent=2),
    }


class SchemesView(ConsoleView):
    """``/admin/supervision/schemes/``: the schemes; POST a scope, a definition or an activation (editors)."""

    roles = OVERSEERS

    @expose("/")
    def index(self) -> Any:
        with services().transaction() as session:
            day = store.today(session)
            windows = [(w.code, shown_name(w.name, w.name_en)) for w in runner.list_windows(session)]
            schemes = [scheme_row(session, r, windows, day) for r in store.list_schemes(session)]
        return self.render(
            "console/supervision/schemes.html", schemes=schemes, today=day,
            can_edit=current_user.has_role(*EDITORS),
        )  # fmt: skip

    def _editor(self) -> str:
        if not current_user.has_role(*EDITORS):
            abort(403)
        return url_for(".index")

    @expose("/<code>/windows", methods=("POST",))
    def windows(self, code: str) -> Any:
        """The windows the scheme assesses (the unticked ones are excluded), as a new version."""
        back = self._editor()
        ticked = set(request.form.getlist("assessed"))

        def act(session: Session) -> str:
            d = dict(store.get_scheme(session, code).definition)
            known = [w.code for w in runner.list_windows(session)]
            d["only_windows"] = []
            d["exclude_windows"] = sorted(c for c in known if c not in ticked)
            return _saved(store.save_scheme(session, d, actor=actor()))

        return perform(act, success=_("已保存"), back=back)

    @expose("/<code>/definition", methods=("POST",))
    def definition(self, code: str) -> Any:
        """The whole definition as JSON (sections, rules, caps, grades, windows), as a new version."""
        back = self._editor()

        def act(session: Session) -> str:
            try:
                d = json.loads(request.form.get("definition") or "")
            except ValueError as exc:
                raise runner.InvalidInput(f"方案须为 JSON：{exc} (the definition must be JSON)") from None
            if not isinstance(d, dict) or d.get("code") != code:
                raise runner.InvalidInput(
                    f"方案代码须为 {code} (the definition keeps its code)", field="code"
                )
            return _saved(store.save_scheme(session, d, actor=actor()))

        return perform(act, success=_("已保存"), back=back)

    @expose("/<code>/activate", methods=("POST",))
    def activate(self, code: str) -> Any:
        """Put the scheme in force for its target from the next period."""
        back = self._editor()

        def act(session: Session) -> str:
            act = store.activate(session, code, actor=actor())
            return _("方案 %(code)s 自 %(day)s 起施行", code=code, day=act.effective_from.isoformat())

        return perform(act, success=_("已施行"), back=back)


def _saved(row: AssessmentScheme) -> str:
    return _(
        "已保存方案 %(code)s 第 %(version)s 版（当前施行的方案自下一考核期起按新版计算）",
        code=row.code,
        version=row.version,
    )

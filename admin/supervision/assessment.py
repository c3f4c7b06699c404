"""考核与申诉: the period's deductions per window, appeals filed by window heads, decisions by the supervisors.

Overseers (admin, supervisor, leader) see every window; a window head sees only the windows they head and
may appeal those windows' deductions. Only supervisors and admins decide (the runner checks it again).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, request, url_for
from flask_admin import expose
from sqlalchemy.orm import Session

import runner
from admin.base import OVERSEERS, ConsoleView, actor, perform, services
from admin.supervision.common import Table, filter_args, local_back, period_from_request, table_csv
from runner.models import Role
from runner.supervision import assessment, statistics
from web.auth import current_user

DECIDERS = (Role.ADMIN, Role.SUPERVISOR)


def _own_windows() -> set[str] | None:
    """None for overseers (every window); else the windows the user heads."""
    if current_user.has_role(*OVERSEERS):
        return None
    return set(current_user.windows_with_role(Role.WINDOW_HEAD))


def _labels(session: Session) -> dict[str, str]:
    return {w.code: w.name for w in runner.list_windows(session)}


def totals_table(result: assessment.Assessment, names: dict[str, str], windows: list[str]) -> Table:
    rows = []
    for code in windows:
        counted = [d for d in result.for_window(code) if d.counted]
        points = result.totals.get(code, 0)
        rows.append([names.get(code, code), code, len(counted), points, assessment.FULL_MARKS + points])
    return Table("totals", "各窗口考核得分", ["窗口", "窗口代码", "扣分项", "扣分", "得分（百分制）"], rows)


def deductions_table(result: assessment.Assessment, names: dict[str, str]) -> Table:
    return Table(
        "deductions", "扣分明细",
        ["日期", "窗口", "规则代码", "规则", "对象", "办件编号", "数量", "扣分", "计入", "说明", "申诉"],
        [[d.occurred_on.isoformat(), names.get(d.window, d.window), d.rule_code,
          assessment.EVENTS.get(d.event, d.event), d.subject, d.business_key, d.units, d.points,
          "是" if d.counted else "否", d.detail, assessment.APPEAL_STATES.get(d.appeal_status or "", "")]
         for d in result.deductions],
    )  # fmt: skip


def appeals_table(appeals: list[Any], names: dict[str, str]) -> Table:
    return Table(
        "appeals", "申诉",
        ["编号", "窗口", "规则代码", "对象", "扣分", "理由", "申诉人", "申诉时间", "状态", "裁决人", "裁决时间", "裁决意见"],
        [[a.id, names.get(a.window, a.window), a.rule_code, a.subject, a.points, a.reason, a.filed_by, a.filed_at,
          assessment.APPEAL_STATES.get(a.status, a.status), a.decided_by, a.decided_at, a.decision]
         for a in appeals],
    )  # fmt: skip


class AssessmentView(ConsoleView):
    """``/admin/supervision/assessment/``: deductions, scores, appeals (file / decide), CSV of each table."""

    roles = (*OVERSEERS, Role.WINDOW_HEAD)

    def _context(self) -> dict[str, Any]:
        own = _own_windows()
        with services().transaction() as session:
            p, window = period_from_request(session)
            if own is not None and window is not None and window not in own:
                abort(403)  # a window head looks at their own windows only
            if own is not None and window is None and len(own) == 1:
                window = next(iter(own))
            statistics.refresh_complaints(session)
            names = _labels(session)
            result = assessment.compute(session, p.start, p.end, window=window)
            if own is not None:  # a head of several windows asked for all of them
                result.deductions = [d for d in result.deductions if d.window in own]
            shown = [window] if window else sorted(own) if own is not None else sorted(names)
            appeals = assessment.list_appeals(session, window=window, windows=own)
            windows = [(c, n) for c, n in sorted(names.items()) if own is None or c in own]
        return {
            "period": p, "window": window, "result": result, "names": names, "appeals": appeals,
            "tables": [totals_table(result, names, shown), deductions_table(result, names),
                       appeals_table(appeals, names)],
            "window_names": windows, "own": own,
        }  # fmt: skip

    @expose("/")
    def index(self) -> Any:
        ctx = self._context()
        return self.render(
            "console/supervision/assessment.html", args=filter_args(ctx["period"], ctx["window"]),
            period_kinds=statistics.PERIOD_KINDS, can_decide=current_user.has_role(*DECIDERS),
            may_appeal=current_user.heads,
            appeal_states=assessment.APPEAL_STATES, events=assessment.EVENTS, **ctx,
        )  # fmt: skip

    @expose("/export/<table>.csv")
    def export(self, table: str) -> Any:
        ctx = self._context()
        return table_csv(ctx["tables"], table, "考核", ctx["period"])

    @expose("/appeal", methods=("POST",))
    def appeal(self) -> Any:
        """A window head appeals one deduction (the runner checks the role and that the deduction exists)."""
        form = request.form
        window = form.get("window", "")
        if not current_user.heads(window):
            abort(403)
        back = local_back(form.get("back"), url_for(".index"))
        try:  # the period the deduction was shown in
            start, end = date.fromisoformat(form.get("start", "")), date.fromisoformat(form.get("end", ""))
        except ValueError:
            abort(400)

        def act(session: Session) -> str:
            row = runner.file_appeal(
                session, window=window, rule_code=form.get("rule_code", ""), subject=form.get("subject", ""),
                reason=form.get("reason", ""), actor=actor(), start=start, end=end,
            )  # fmt: skip
            return f"申诉已提交（编号 {row.id}），等待督查股裁决"

        return perform(act, success="申诉已提交", back=back)

    @expose("/appeals/<int:appeal_id>/decide", methods=("POST",))
    def decide(self, appeal_id: int) -> Any:
        """The supervision office upholds or rejects an appeal, with its reasons."""
        if not current_user.has_role(*DECIDERS):
            abort(403)
        verdict = request.form.get("verdict")
        if verdict not in ("upheld", "rejected"):
            abort(400)
        back = local_back(request.form.get("back"), url_for(".index"))

        def act(session: Session) -> str:
            runner.decide_appeal(
                session, appeal_id, upheld=verdict == "upheld", decision=request.form.get("decision", ""),
                actor=actor(),
            )  # fmt: skip
            return f"申诉 {appeal_id} 已裁决：{assessment.APPEAL_STATES[verdict]}"

        return perform(act, success="已裁决", back=back)

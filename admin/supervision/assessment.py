"""考核与申诉: the scores of the schemes in force, every line traceable to its event, 记分录入 by the supervision
office, appeals filed by window heads and decided by the supervisors.

Overseers (admin, supervisor, leader) see every window and person; a window head sees their windows and the
staff working there, and may appeal those lines. Only supervisors and admins enter scores and decide (the
runner checks it again).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from sqlalchemy.orm import Session

import runner
from admin.base import OVERSEERS, ConsoleView, actor, perform, services
from admin.language import APPEAL_STATES, PERIOD_KINDS, event_label, runner_text
from admin.supervision import entry_files
from admin.supervision.common import Table, filter_args, local_back, period_from_request, table_csv
from forms.attachments import UploadRejected
from forms.language import shown_name
from runner.models import Role
from runner.supervision import assessment, statistics
from runner.supervision.assessment_schemes import appeals as scheme_appeals
from runner.supervision.assessment_schemes import entries, store
from runner.supervision.assessment_schemes import report as scheme_report
from runner.supervision.assessment_schemes.events import EVENTS
from runner.supervision.assessment_schemes.periods import Span
from web.auth import current_user
from web.i18n import user_message

DECIDERS = (Role.ADMIN, Role.SUPERVISOR)


def _own_windows() -> set[str] | None:
    """None for overseers (every window); else the windows the user heads."""
    if current_user.has_role(*OVERSEERS):
        return None
    return set(current_user.windows_with_role(Role.WINDOW_HEAD))


def _labels(session: Session) -> dict[str, str]:
    return {w.code: shown_name(w.name, w.name_en) for w in runner.list_windows(session)}


def _visible(
    rep: scheme_report.TargetReport, own: set[str] | None, window: str | None
) -> list[dict[str, Any]]:
    """The report's lines a viewer may see, with what an appeal of each needs."""
    out = []
    for res, who, ln in rep.lines():
        line_window = who if res.target == "window" else ln.window
        if (own is not None and line_window not in own) or (window and line_window != window):
            continue
        out.append({"res": res, "who": who, "line": ln, "window": line_window or ""})
    return out


def totals_table(rep: scheme_report.TargetReport, names: dict[str, str], shown: list[str]) -> Table:
    res = rep.result
    rows = []
    for code in shown:
        sc = res.scores.get(code) if res is not None else None
        if sc is None:
            continue
        counted = [ln for ln in sc.lines if ln.counted]
        award = res.award_name if sc.awarded else (_("取消资格") if sc.disqualified else "")
        rows.append([names.get(code, code), code, len(counted), scheme_report.plain(sc.score - res.full_score),
                     scheme_report.plain(sc.score), sc.grade, award])  # fmt: skip
    title = (
        _("各窗口考核得分（%(scheme)s）", scheme=res.scheme_name)
        if res is not None
        else _("各窗口考核得分（未设考核方案）")
    )
    return Table(
        "totals",
        title,
        [_("窗口"), _("窗口代码"), _("记分项"), _("记分"), _("得分"), _("等次"), _("评选")],
        rows,
    )


def staff_table(rep: scheme_report.TargetReport, lines: list[dict[str, Any]], own: set[str] | None) -> Table:
    res = rep.result
    rows = []
    if res is not None:
        mine = {x["who"] for x in lines}
        for sc in res.ranked():
            if own is not None and sc.subject not in mine:
                continue
            sections = [
                f"{s.deducted + s.added:+g}" + (_("（扣完）") if s.capped else "") for s in sc.sections
            ]
            rows.append([sc.subject, *sections, scheme_report.plain(sc.score), sc.grade])
    heads = (
        [f"{s.name}（{s.max}）" for s in next(iter(res.scores.values())).sections]
        if res and res.scores
        else []
    )
    title = (
        _("工作人员考核得分（%(scheme)s）", scheme=res.scheme_name)
        if res is not None
        else _("工作人员考核得分（未设考核方案）")
    )
    return Table("staff", title, [_("工作人员"), *heads, _("得分"), _("等次")], rows)


def lines_table(lines: list[dict[str, Any]], names: dict[str, str]) -> Table:
    return Table(
        "deductions", _("记分明细"),
        [_("日期"), _("窗口"), _("规则代码"), _("对象"), _("事件"), _("事件编号"), _("办件编号"), _("分值"), _("计入"), _("说明"), _("申诉")],  # noqa: E501
        [[x["line"].day.isoformat(), names.get(x["window"], x["window"]), x["line"].rule_code, x["who"],
          event_label(x["line"].event), x["line"].subject, x["line"].business_key, scheme_report.plain(x["line"].points),
          _("是") if x["line"].counted else _("否"), runner_text(x["line"].detail),
          APPEAL_STATES.get(x["line"].appeal_status or "", "")]
         for x in lines],
    )  # fmt: skip


def appeals_table(appeals: list[Any], names: dict[str, str]) -> Table:
    return Table(
        "appeals", _("申诉"),
        [_("编号"), _("窗口"), _("规则代码"), _("对象"), _("扣分"), _("理由"), _("申诉人"), _("申诉时间"), _("状态"), _("裁决人"), _("裁决时间"), _("裁决意见")],  # noqa: E501
        [[a.id, names.get(a.window, a.window), a.rule_code, a.subject, scheme_report.plain(a.points), a.reason, a.filed_by,
          a.filed_at, APPEAL_STATES.get(a.status, a.status), a.decided_by, a.decided_at, a.decision]
         for a in appeals],
    )  # fmt: skip


def _entered_rules(session: Session, day: date) -> list[dict[str, Any]]:
    """The 记分录入 rules of the schemes in force on ``day``, for the entry form."""
    out = []
    for target in store.TARGETS:
        scheme = store.in_force(session, target, day)
        if scheme is None:
            continue
        for section in scheme.definition.get("sections") or []:
            for rule in section.get("rules") or []:
                if rule["event"] == "entered":
                    out.append({"scheme": scheme.code, "scheme_name": scheme.name, "target": target,
                                "section": section.get("name"), **rule})  # fmt: skip
    return out


class AssessmentView(ConsoleView):
    """``/admin/supervision/assessment/``: scores, lines, 记分录入, appeals (file / decide), CSV of each table."""

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
            span = Span(p.start, p.end)
            windows_rep = scheme_report.target_report(session, "window", span)
            staff_rep = scheme_report.target_report(session, "person", span)
            window_lines = _visible(windows_rep, own, window)
            staff_lines = _visible(staff_rep, own, window)
            shown = [window] if window else sorted(own) if own is not None else sorted(names)
            appeals = assessment.list_appeals(session, window=window, windows=own)
            windows = [(c, n) for c, n in sorted(names.items()) if own is None or c in own]
            can_enter = current_user.has_role(*DECIDERS)
            entered = entries.list_entries(session, p.start, p.end, windows=own) if can_enter or own else []
            rules = _entered_rules(session, p.start) if can_enter else []
            files = entry_files.files_of(
                session,
                [x["line"].subject for x in window_lines + staff_lines] + [f"entry:{e.id}" for e in entered],
            )
        return {
            "period": p, "window": window, "names": names, "appeals": appeals, "window_lines": window_lines,
            "staff_lines": staff_lines, "windows_rep": windows_rep, "staff_rep": staff_rep, "entries": entered,
            "entered_rules": rules, "can_enter": can_enter,
            "tables": [totals_table(windows_rep, names, shown), staff_table(staff_rep, staff_lines, own),
                       lines_table(window_lines + staff_lines, names), appeals_table(appeals, names)],
            "window_names": windows, "own": own, "files": files,
        }  # fmt: skip

    @expose("/")
    def index(self) -> Any:
        ctx = self._context()
        return self.render(
            "console/supervision/assessment.html", args=filter_args(ctx["period"], ctx["window"]),
            period_kinds=PERIOD_KINDS, can_decide=current_user.has_role(*DECIDERS),
            may_appeal=current_user.heads, appeal_states=APPEAL_STATES, events=EVENTS, **ctx,
        )  # fmt: skip

    @expose("/export/<table>.csv")
    def export(self, table: str) -> Any:
        ctx = self._context()
        return table_csv(ctx["tables"], table, _("考核"), ctx["period"])

    @expose("/appeal", methods=("POST",))
    def appeal(self) -> Any:
        """A window head appeals one line (the runner checks the role and that the line exists)."""
        form = request.form
        window = form.get("window", "")
        if not current_user.heads(window):
            abort(403)
        back = local_back(form.get("back"), url_for(".index"))
        try:  # the period the line was shown in
            span = Span(date.fromisoformat(form.get("start", "")), date.fromisoformat(form.get("end", "")))
        except ValueError:
            abort(400)
        if not _shown_span(span):
            abort(400)

        def act(session: Session) -> str:
            scheme = form.get("scheme") or ""
            if not scheme:  # the window scheme in force then
                found = store.in_force(session, "window", span.first)
                scheme = found.code if found is not None else ""
            row = scheme_appeals.file_appeal(
                session, scheme_code=scheme, rule_code=form.get("rule_code", ""),
                subject=form.get("scored") or window, event_subject=form.get("subject", ""), span=span,
                reason=form.get("reason", ""), actor=actor(),
            )  # fmt: skip
            return _("申诉已提交（编号 %(id)s），等待督查股裁决", id=row.id)

        return perform(act, success=_("申诉已提交"), back=back)

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
            return _("申诉 %(id)s 已裁决：%(state)s", id=appeal_id, state=APPEAL_STATES[verdict])

        return perform(act, success=_("已裁决"), back=back)

    @expose("/entries", methods=("POST",))
    def enter(self) -> Any:
        """记分录入: the supervision office enters points under a rule of a scheme in force, with a note or a
        file (the scan of a letter, a clipping) checked and stored like every attachment."""
        if not current_user.has_role(*DECIDERS):
            abort(403)
        form = request.form
        back = local_back(form.get("back"), url_for(".index"))
        scheme, _dot, rule = (form.get("rule") or "").partition(".")
        try:
            stored = entry_files.receive()
        except UploadRejected as exc:
            flash(_("操作未完成：%(message)s", message=user_message(exc.text)), "error")
            return redirect(back)

        def act(session: Session) -> str:
            try:
                day = date.fromisoformat(form.get("occurred_on", ""))
            except ValueError:
                raise runner.InvalidInput("请填写日期 (a date is required)", field="occurred_on") from None
            points = (form.get("points") or "").strip() or None
            row = entries.enter(
                session, actor=actor(), scheme_code=scheme, rule_code=rule, subject=form.get("subject", ""),
                occurred_on=day, points=points, note=form.get("note", ""), attachment=entry_files.reference(stored),
            )  # fmt: skip
            attached = _("，附件 %(name)s", name=row.attachment_name) if row.attachment_name else ""
            points = f"{row.points:+g}"
            return _(
                "已录入记分（编号 %(id)s，%(points)s 分%(attached)s）",
                id=row.id,
                points=points,
                attached=attached,
            )

        return entry_files.enter_with(stored, act, back)

    @expose("/entries/<int:entry_id>/attachment")
    def attachment(self, entry_id: int) -> Any:
        """The entry's file: overseers and the heads of the entry's window (who may appeal it)."""
        return entry_files.send(entry_id)

    @expose("/entries/<int:entry_id>/void", methods=("POST",))
    def void(self, entry_id: int) -> Any:
        """A wrong entry is voided with its reason (the report of its period says so)."""
        if not current_user.has_role(*DECIDERS):
            abort(403)
        back = local_back(request.form.get("back"), url_for(".index"))

        def act(session: Session) -> str:
            entries.void(session, entry_id, actor=actor(), reason=request.form.get("reason", ""))
            return _("记分 %(id)s 已作废", id=entry_id)

        return perform(act, success=_("已作废"), back=back)


def _shown_span(span: Span) -> bool:
    """Whether ``span`` could have been shown on the page: in order, within the years a period may have."""
    years = statistics.YEARS
    return span.first <= span.last and span.first.year in years and span.last.year in years

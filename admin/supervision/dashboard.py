"""督查统计: the dashboard per window and period, its CSV exports and the printable monthly report (月报)."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from sqlalchemy.orm import Session

import runner
from admin.base import OVERSEERS, ConsoleView, services
from admin.language import APPEAL_STATES, PERIOD_KINDS, event_label, runner_text, span_label
from admin.supervision import entry_files
from admin.supervision.common import (
    COMPLAINT_LABELS,
    DEEMED_RULES,
    LEVEL_LABELS,
    RATING_LABELS,
    Link,
    Table,
    filter_args,
    known_window,
    parse_date,
    period_from_request,
    rate,
    table_csv,
    today,
)
from forms.language import pick, shown_name
from runner.applicants import rectification
from runner.supervision import statistics
from runner.supervision.assessment_schemes import report as scheme_report
from runner.supervision.assessment_schemes.periods import Span
from runner.supervision.rating_figures import DEFINITIONS, RatingFigures, definition, rating_figures
from runner.supervision.statistics import Dashboard, MonthFigures, WindowFigures
from web.i18n import user_message

TREND_MONTHS = 12
RECTIFICATION_FIGURES = ("bad_rate", "rectification_rate", "on_time_rate", "revisit_rate")


def window_table(board: Dashboard) -> Table:
    headers = [_("窗口"), _("窗口代码"), _("受理"), _("办结"), _("按时办结"), _("按时办结率"), _("当前超期"), _("超期办结"), _("平均工作日"),  # noqa: E501
               _("默认议定"), _("延期申请"), _("延期工作日"), _("投诉"), _("投诉属实"), _("预警"), _("预警未回告"), _("考核扣分")]  # fmt: skip  # noqa: E501

    def line(r: WindowFigures) -> list[Any]:
        avg = r.average_working_days
        return [r.name, r.window, r.accepted, r.completed, r.on_time, rate(r.on_time_rate), r.overdue_now,
                r.overdue_completed, None if avg is None else round(avg, 1), r.deemed_assents, r.extensions,
                r.extension_days, r.complaints_total, r.complaints_verified, sum(r.warnings.values()),
                r.warnings_open, points_cell(r)]  # fmt: skip

    return Table("windows", _("窗口统计"), headers, [line(r) for r in board.rows] + [line(board.total)])


def points_cell(r: WindowFigures) -> Any:
    """A window's 考核 points, 不参加 when the scheme in force does not assess it, — when none is in force."""
    if r.assessed is None:
        return "—"
    return r.points if r.assessed else _("不参加")


def complaint_table(board: Dashboard) -> Table:
    states = list(COMPLAINT_LABELS)
    rows = [
        [r.name, *[r.complaints.get(s, 0) for s in states], r.complaints_total, r.complaints_verified]
        for r in [*board.rows, board.total]
        if r.complaints_total or r is board.total
    ]
    return Table(
        "complaints", _("投诉及办理状态"), [_("窗口"), *COMPLAINT_LABELS.values(), _("合计"), _("属实")], rows
    )


def rating_table(rows: list[RatingFigures], total: RatingFigures) -> Table:
    """满意度分布: the five levels per window and the 满意率, its definition in the header."""
    levels = list(RATING_LABELS)
    lines = [[r.name, *[r.levels.get(level, 0) for level in levels], r.total, rate(r.satisfaction_rate)]
             for r in [*rows, total]]  # fmt: skip
    sat = DEFINITIONS["satisfaction_rate"]
    satisfaction = _("满意率（%(definition)s）", definition=pick(sat[1], sat[3]))
    headers = [_("窗口"), *RATING_LABELS.values(), _("评价数"), satisfaction]
    return Table("ratings", _("满意度分布（好差评）"), headers, lines)


def rectification_table(rows: list[RatingFigures], total: RatingFigures) -> Table:
    """差评整改: 差评率, 整改率, 整改按期率, 回访率 per window, each with its definition in the header."""
    headers = [_("窗口"), _("评价数"), _("差评"), _("属实"), _("无效差评"), _("无法整改"), _("整改完成"), _("按期完成"), _("整改超期"), _("实名差评"),  # noqa: E501
               _("已回访"), *[_figure(k) for k in RECTIFICATION_FIGURES]]  # fmt: skip
    lines = [
        [r.name, r.total, r.bad, r.founded, r.invalid, r.unable, r.rectified, r.rectified_on_time, r.overdue,
         r.bad_named, r.revisited, *[rate(getattr(r, k)) for k in RECTIFICATION_FIGURES]]
        for r in [*rows, total]
    ]  # fmt: skip
    return Table("rectifications", _("差评整改"), headers, lines)


def _figure(key: str) -> str:
    zh, zh_def, en, en_def = DEFINITIONS[key]
    return pick(f"{zh}（{zh_def}）", f"{en} ({en_def})")


def warning_table(board: Dashboard) -> Table:
    levels = list(LEVEL_LABELS)
    rows = [
        [r.name, *[r.warnings.get(level, 0) for level in levels], r.warnings_open]
        for r in [*board.rows, board.total]
        if r.warnings or r is board.total
    ]
    return Table("warnings", _("预警（电子监察）"), [_("窗口"), *LEVEL_LABELS.values(), _("未回告")], rows)


def trend_table(trend: list[MonthFigures]) -> Table:
    rows = [[m.month, m.accepted, m.completed, m.overdue_completed, rate(m.on_time_rate), m.deemed_assents]
            for m in trend]  # fmt: skip
    return Table(
        "trend",
        _("月度趋势"),
        [_("月份"), _("受理"), _("办结"), _("超期办结"), _("按时办结率"), _("默认议定")],
        rows,
    )


def deemed_table(rows: list[dict[str, Any]], names: dict[str, str]) -> Table:
    return Table(
        "deemed",
        _("默认议定记录"),
        [_("记录时间"), _("窗口"), _("办件编号"), _("办件"), _("环节"), _("规则"), _("说明")],
        [[r["recorded_at"], names.get(r["window"], r["window"]), r["business_key"], r["title"], r["task_name"] or "—",
          DEEMED_RULES.get(r["rule"], r["rule"]), r["note"]] for r in rows],
    )  # fmt: skip


def points_table(
    rep: scheme_report.TargetReport,
    names: dict[str, str],
    window: str | None,
    files: dict[str, dict[str, str]],
) -> Table:
    """Every line of the window scheme in force: each deduction and bonus with the event it comes from."""
    return Table(
        "points",
        _("考核记分明细（%(scheme)s）", scheme=rep.result.scheme_name if rep.result else _("未设考核方案")),
        [_("日期"), _("窗口"), _("规则代码"), _("规则"), _("事件"), _("对象"), _("办件编号"), _("分值"), _("说明"), _("材料"), _("申诉")],  # noqa: E501
        [[ln.day.isoformat(), names.get(who, who), ln.rule_code, ln.label, event_label(ln.event),
          ln.subject, ln.business_key, _points_text(ln), runner_text(ln.detail), _file(files, ln.subject),
          APPEAL_STATES.get(ln.appeal_status or "", "")]
         for _target, who, ln in rep.lines() if window is None or who == window],
    )  # fmt: skip


def _file(files: dict[str, dict[str, str]], subject: str) -> Link | None:
    found = files.get(subject)
    return Link(found["name"], found["url"]) if found else None


def _points_text(line: Any) -> str:
    text = _("取消评优资格") if line.disqualifies else f"{line.points:+g}"
    return text if line.counted else _("%(points)s（申诉成立，不计）", points=text)


def scores_table(
    rep: scheme_report.TargetReport, names: dict[str, str], window: str | None, table: str
) -> Table:
    """Each window's or person's score by section, with the grade (the scheme's last period in the span)."""
    res = rep.result
    if res is None:
        return Table(table, _("考核得分（未设考核方案）"), [_("对象")], [])
    heads = [f"{s.get('name')}（{'—' if s.get('max') is None else s['max']}）" for s in _sections(res)]
    rows = []
    for sc in res.ranked():
        if window is not None and res.target == "window" and sc.subject != window:
            continue
        sections = [f"{s.deducted + s.added:+g}" + (_("（扣完）") if s.capped else "") for s in sc.sections]
        award = res.award_name if sc.awarded else (_("取消资格") if sc.disqualified else "")
        rows.append([names.get(sc.subject, sc.subject), sc.subject, *sections, f"{sc.bonus_counted:+g}",
                     f"{sc.score:g}" + (_("（保底）") if sc.floored else ""), sc.grade, award])  # fmt: skip
    if res.target == "window":  # the windows this scheme leaves out, said so rather than left out silently
        blank = [""] * (len(heads) + 1)
        rows += [[name, code, *blank, _("不参加考核"), "", ""] for code, name in names.items()
                 if code and code not in res.scores and (window is None or code == window)]  # fmt: skip
    who = _("窗口") if res.target == "window" else _("工作人员")
    title = _(
        "%(who)s考核得分：%(scheme)s（%(span)s，满分 %(full)s）",
        who=who, scheme=res.scheme_name, span=span_label(res.span.first, res.span.last), full=f"{res.full_score:g}",
    )  # fmt: skip
    return Table(
        table, title, [_("对象"), _("代码"), *heads, _("加分计入"), _("得分"), _("等次"), _("评选")], rows
    )


def _sections(res: Any) -> list[dict[str, Any]]:
    first = next(iter(res.scores.values()), None)
    return [{"name": s.name, "max": s.max} for s in first.sections] if first else []


def build(session: Session, p: statistics.Period, window: str | None) -> dict[str, Any]:
    """Everything the dashboard and the report show, computed once per request."""
    statistics.refresh_complaints(session)
    rectification.start_waiting(session)
    board = statistics.window_figures(session, p, window=window)
    rating_rows, rating_total = rating_figures(session, p, window)
    trend = statistics.monthly_trend(session, p.end, TREND_MONTHS, window=window)
    names = {r.window: r.name for r in board.rows}
    deemed = statistics.deemed_assents(session, p, window)
    span = Span(p.start, p.end)
    windows_rep = scheme_report.target_report(session, "window", span)
    staff_rep = scheme_report.target_report(session, "person", span)
    files = entry_files.files_of(session, [ln.subject for _target, _who, ln in windows_rep.lines()])
    tables = [
        window_table(board), complaint_table(board), rating_table(rating_rows, rating_total),
        rectification_table(rating_rows, rating_total), warning_table(board),
        trend_table(trend), deemed_table(deemed, names), scores_table(windows_rep, names, window, "scores"),
        scores_table(staff_rep, {}, window, "staff"), points_table(windows_rep, names, window, files),
    ]  # fmt: skip
    chart = {
        "windows": [r.name for r in board.rows],
        "accepted": [r.accepted for r in board.rows],
        "completed": [r.completed for r in board.rows],
        "overdue": [r.overdue_completed + r.overdue_now for r in board.rows],
        "deemed": [r.deemed_assents for r in board.rows],
        "months": [m.month for m in trend],
        "trend_accepted": [m.accepted for m in trend],
        "trend_completed": [m.completed for m in trend],
        "trend_rate": [None if m.on_time_rate is None else round(m.on_time_rate * 100, 1) for m in trend],
        "legend": {"accepted": _("受理"), "completed": _("办结"), "overdue": _("超期"), "deemed": _("默认议定"),
                   "rate": _("按时办结率 %")},
    }  # fmt: skip
    return {
        "board": board, "trend": trend, "tables": tables, "chart": chart,
        "period": p, "window": window, "points": windows_rep, "staff": staff_rep,
        "full_marks": scheme_report.plain(windows_rep.result.full_score) if windows_rep.result else 100,
        "changes": windows_rep.changes + staff_rep.changes,
        "window_names": _all_windows(session), "ratings": rating_total,
        "rating_definitions": {k: definition(k, pick("zh", "en")) for k in DEFINITIONS},

    }  # fmt: skip


def _all_windows(session: Session) -> list[tuple[str, str]]:
    return [(w.code, shown_name(w.name, w.name_en)) for w in runner.list_windows(session) if w.is_active]


class DashboardView(ConsoleView):
    """``/admin/supervision/``: filters, summary, charts, tables; CSV per table; the printable 月报."""

    roles = OVERSEERS

    def _context(self) -> dict[str, Any]:
        with services().transaction() as session:
            p, window = period_from_request(session)
            return build(session, p, window)

    @expose("/")
    def index(self) -> Any:
        ctx = self._context()
        args = filter_args(ctx["period"], ctx["window"])
        return self.render(
            "console/supervision/dashboard.html", args=args, period_kinds=PERIOD_KINDS,
            report_url=url_for(".report", month=ctx["period"].end.strftime("%Y-%m"), window=ctx["window"] or None),
            **ctx,
        )  # fmt: skip

    @expose("/export/<table>.csv")
    def export(self, table: str) -> Any:
        ctx = self._context()
        return table_csv(ctx["tables"], table, _("督查统计"), ctx["period"])

    @expose("/report")
    def report(self) -> Any:
        """月报: the month's figures on one print-styled page (``?month=YYYY-MM``)."""
        with services().transaction() as session:
            month = request.args.get("month") or ""
            try:
                p = statistics.period("month", parse_date(month, "month") if month else today(session))
            except runner.InvalidInput as exc:
                flash(_("%(message)s；已显示本月", message=user_message(exc)), "error")
                p = statistics.period("month", today(session))
            ctx = build(session, p, known_window(session, request.args.get("window")))
        centre = str(current_app.config.get("CENTRE_NAME") or _("政务服务中心"))
        return self.render("console/supervision/report.html", centre=centre, **ctx)

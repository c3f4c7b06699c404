"""工作日调整: the local overrides of the national calendar (an extra holiday, a make-up working day).

Adding one is two steps: the preview lists every open item whose stored deadline would move, then saving
recomputes those deadlines (``runner.set_calendar_override``, audited).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import flash, redirect, request, url_for
from flask_admin import expose
from werkzeug.wrappers import Response

import runner
from runner.models import CalendarOverride

from ..base import OVERSEERS, ConsoleModelView, actor, services
from .common import local, require_admin

KINDS = (("holiday", "放假（非工作日）"), ("workday", "调休上班（工作日）"))


class CalendarView(ConsoleModelView):
    """``/admin/calendar/``: the override table, and ``add`` with the preview of its effects."""

    roles = OVERSEERS
    can_view_details = False
    list_template = "console/monitoring/calendar_list.html"
    column_list = ("day", "is_workday", "note", "created_by", "created_at")
    column_labels = {
        "day": "日期",
        "is_workday": "类别",
        "note": "说明",
        "created_by": "设置人",
        "created_at": "设置时间",
    }
    column_default_sort = ("day", True)
    column_formatters = {
        "is_workday": lambda v, c, m, n: "调休上班" if m.is_workday else "放假",
        "created_at": lambda v, c, m, n: local(m.created_at),
    }

    @expose("/add", methods=("GET", "POST"))
    def add(self) -> Any:
        """GET: the form. POST ``step=preview``: the effects. POST ``step=save``: store and recompute."""
        form = request.form if request.method == "POST" else request.args
        values = {
            "day": (form.get("day") or "").strip(),
            "kind": form.get("kind") or "holiday",
            "note": (form.get("note") or "").strip(),
        }
        effects: list[dict[str, Any]] | None = None
        existing: CalendarOverride | None = None
        if request.method == "POST":
            require_admin()
            try:
                day = _day(values["day"])
                is_workday = values["kind"] == "workday"
                if request.form.get("step") == "save":
                    return self._save(day, is_workday, values["note"])
                with services().transaction() as s:
                    effects = runner.calendar_override_effects(s, day, is_workday)
                    existing = s.get(CalendarOverride, day)
                    existing = _plain(existing)
            except runner.RunnerError as exc:
                flash(f"操作未完成：{exc.message}", "error")
        return self.render(
            "console/monitoring/calendar_add.html",
            values=values,
            kinds=KINDS,
            effects=effects,
            existing=existing,
            local=local,
        )

    def _save(self, day: date, is_workday: bool, note: str) -> Response:
        try:
            with services().transaction() as s:
                moved = runner.set_calendar_override(s, day, is_workday, actor=actor(), note=note)
        except runner.RunnerError as exc:
            flash(f"操作未完成：{exc.message}", "error")
            return redirect(url_for(".add", day=day.isoformat(), kind="workday" if is_workday else "holiday"))
        kind = "调休上班" if is_workday else "放假"
        flash(f"已将 {day.isoformat()} 设为{kind}，{len(moved)} 件办件的承诺期限已重新计算", "success")
        return redirect(url_for(".index_view"))


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise runner.InvalidInput(
            f"日期格式应为 YYYY-MM-DD (date expected, got {text!r})", field="day"
        ) from None


def _plain(row: CalendarOverride | None) -> Any:
    if row is None:
        return None
    return {"is_workday": row.is_workday, "note": row.note, "created_by": row.created_by}

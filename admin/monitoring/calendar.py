"""工作日调整: the years' holiday arrangements and the local overrides (an extra holiday, a make-up working day).

Both changes are two steps: the preview runs the change in a savepoint and rolls it back, listing every open
item whose deadlines, due times or timers would move; saving does it (``runner.import_arrangement``,
``runner.set_calendar_override``, audited) and recalculates those items in the same transaction.
"""

from __future__ import annotations

from datetime import date
from typing import Any, NoReturn

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

import runner
from admin.base import OVERSEERS, ConsoleModelView, actor, services
from admin.monitoring.common import STATUS_LABELS, is_admin, local, require_admin, when
from runner.models import CalendarOverride
from web.i18n import user_message

KINDS = (
    ("holiday", _l("放假（非工作日）")),
    ("workday", _l("调休上班（工作日）")),
    ("remove", _l("撤销本地调整（按年度安排）")),
)
MAX_UPLOAD = 64 * 1024  # an arrangement is a few hundred bytes; a bigger file is not one
EXAMPLE = """# 2027 年节假日安排
2027-01-01..2027-01-03 休 元旦
2027-02-06..2027-02-14 休 春节
2027-02-20 班 春节调休
"""


class CalendarView(ConsoleModelView):
    """``/admin/calendar/``: the imported years and the override table; ``import`` and ``add`` with the preview
    of their effects."""

    roles = OVERSEERS
    can_view_details = False
    list_template = "console/monitoring/calendar_list.html"
    column_list = ("day", "is_workday", "note", "created_by", "created_at")
    column_labels = {
        "day": _l("日期"),
        "is_workday": _l("类别"),
        "note": _l("说明"),
        "created_by": _l("设置人"),
        "created_at": _l("设置时间"),
    }
    column_default_sort = ("day", True)
    column_formatters = {
        "is_workday": lambda v, c, m, n: _("调休上班") if m.is_workday else _("放假"),
        "created_at": lambda v, c, m, n: local(m.created_at),
    }

    def render(self, template: str, **kwargs: Any) -> Any:
        """Every page of the area shows the imported years and the alarm above its own content."""
        if template == self.list_template:
            with services().reading() as s:  # the list's own session holds SQLite's write lock
                kwargs.update(arrangements=runner.list_arrangements(s), alarm=runner.calendar_alarm(s))
            kwargs.update(local=local)
        return super().render(template, **kwargs)

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
        existing: dict[str, Any] | None = None
        if request.method == "POST":
            require_admin()
            try:
                day = _day(values["day"])
                is_workday = values["kind"] == "workday"
                if request.form.get("step") == "save":
                    if values["kind"] == "remove":
                        return self._remove(day)
                    return self._save(day, is_workday, values["note"])
                with services().transaction() as s:
                    existing = _plain(s.get(CalendarOverride, day))
                    if values["kind"] == "remove":
                        effects = runner.calendar_override_removal_effects(s, day)
                    else:
                        effects = runner.calendar_override_effects(s, day, is_workday)
            except runner.RunnerError as exc:
                flash(_("操作未完成：%(message)s", message=user_message(exc)), "error")
        return self.render(
            "console/monitoring/calendar_add.html",
            values=values,
            kinds=KINDS,
            effects=effects,
            existing=existing,
            **_helpers(),
        )

    def _save(self, day: date, is_workday: bool, note: str) -> Response:
        try:
            with services().transaction() as s:
                moved = runner.set_calendar_override(s, day, is_workday, actor=actor(), note=note)
        except runner.RunnerError as exc:
            flash(_("操作未完成：%(message)s", message=user_message(exc)), "error")
            return redirect(url_for(".add", day=day.isoformat(), kind="workday" if is_workday else "holiday"))
        kind = _("调休上班") if is_workday else _("放假")
        flash(
            _(
                "已将 %(day)s 设为%(kind)s，%(n)s 件办件的期限已重新计算",
                day=day.isoformat(),
                kind=kind,
                n=len(moved),
            ),
            "success",
        )
        return redirect(url_for(".index_view"))

    def _remove(self, day: date) -> Response:
        """Remove the day's local override: it follows the year's arrangement (or the national data) again."""
        try:
            with services().transaction() as s:
                had = s.get(CalendarOverride, day) is not None
                moved = runner.remove_calendar_override(s, day, actor=actor())
        except runner.RunnerError as exc:
            flash(_("操作未完成：%(message)s", message=user_message(exc)), "error")
            return redirect(url_for(".add", day=day.isoformat(), kind="remove"))
        if not had:
            flash(_("%(day)s 没有本地调整，无需撤销", day=day.isoformat()), "warning")
        else:
            flash(
                _(
                    "已撤销 %(day)s 的本地调整，%(n)s 件办件的期限已重新计算",
                    day=day.isoformat(),
                    n=len(moved),
                ),
                "success",
            )
        return redirect(url_for(".index_view"))

    @expose("/import", methods=("GET", "POST"))
    def import_year(self) -> Any:
        """导入年度安排: paste or upload the year's notice; POST ``step=preview`` shows the arrangement and every
        open item it moves, ``step=save`` stores it and recalculates those items."""
        text = EXAMPLE if request.method == "GET" else ""
        preview: dict[str, Any] | None = None
        problems: list[dict[str, Any]] = []
        if request.method == "POST":
            require_admin()
            try:
                text = _submitted_text()
                if request.form.get("step") == "save":
                    return self._import(text)
                with services().transaction() as s:
                    preview = runner.preview_arrangement(s, text)
            except runner.ArrangementInvalid as exc:
                problems = [{**p, "message": user_message(p["message"])} for p in exc.problems]
                flash(_("节假日安排有误，未保存任何内容，请按行号修改后重新预览。"), "error")
            except runner.RunnerError as exc:
                flash(_("操作未完成：%(message)s", message=user_message(exc)), "error")
        with services().reading() as s:
            known = {a["year"] for a in runner.list_arrangements(s)}
            alarm = runner.calendar_alarm(s)
        return self.render(
            "console/monitoring/calendar_import.html",
            text=text,
            preview=preview,
            problems=problems,
            replacing=preview is not None and preview["year"] in known,
            alarm=alarm,
            can_save=is_admin(),
            **_helpers(),
        )

    def _import(self, text: str) -> Any:
        with services().transaction() as s:
            result = runner.import_arrangement(s, text, actor=actor())
        message = (
            _(
                "已替换 %(year)s 年节假日安排（休息 %(off)s 天，调休上班 %(makeup)s 天），%(n)s 件办件的期限已重新计算"
            )
            if result["replaced"]
            else _(
                "已导入 %(year)s 年节假日安排（休息 %(off)s 天，调休上班 %(makeup)s 天），%(n)s 件办件的期限已重新计算"
            )
        )
        flash(
            message % {"year": result["year"], "off": result["days_off"], "makeup": result["makeup_days"],
                       "n": len(result["items"])},
            "success",
        )  # fmt: skip
        return redirect(url_for(".index_view"))


def _submitted_text() -> str:
    """The arrangement from the uploaded file when one was chosen, else from the text box."""
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        raw = upload.read(MAX_UPLOAD + 1)
        if len(raw) > MAX_UPLOAD:
            raise_invalid("文件过大，节假日安排应为几行文字 (the file is too large for an arrangement)")
        text = runner.decode_arrangement(raw)
        if text is None:
            raise_invalid("无法识别文件编码，请保存为 UTF-8 文本 (save the file as UTF-8 text)")
        return text
    return request.form.get("text") or ""


def raise_invalid(message: str) -> NoReturn:
    """Refuse the arrangement with ``message`` (a form error at line 0)."""
    raise runner.ArrangementInvalid([{"line": 0, "message": message}])


def _helpers() -> dict[str, Any]:
    return {"local": local, "when": when, "status_labels": STATUS_LABELS}


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise runner.InvalidInput(
            f"日期格式应为 YYYY-MM-DD (date expected, got {text!r})", field="day"
        ) from None


def _plain(row: CalendarOverride | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"is_workday": row.is_workday, "note": row.note, "created_by": row.created_by}

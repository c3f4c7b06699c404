"""AB岗: a clerk (or their window head) records an absence with a backup from the same window.

While the absence runs, the absent clerk's tasks show in the backup's 代班 tab and the backup may
complete them; the audit names who acted for whom (``on_behalf_of``).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

import runner
from runner.models import Role
from runner.people import directory
from web.auth import current_user, login_required, services
from web.chrome import register_nav
from web.i18n import user_message
from workspace.blueprint import bp

MAX_DAYS = 366

register_nav(cast(str, _l("AB岗")), "workspace.absence", order=20)


class AbsenceForm(FlaskForm):
    user = SelectField(_l("请假人员"), validators=[DataRequired(message=_l("请选择请假人员"))])
    backup = SelectField(_l("代班人员（B岗）"), validators=[DataRequired(message=_l("请选择代班人员"))])
    starts = DateField(
        _l("开始日期"), validators=[DataRequired(message=_l("请填写开始日期（格式 2026-10-08）"))]
    )
    ends = DateField(
        _l("结束日期"),
        validators=[DataRequired(message=_l("请填写结束日期（格式 2026-10-08）"))],
        description=_l("含当天；结束日次日零时起恢复本人办理。"),
    )
    reason = StringField(
        _l("事由"), validators=[Optional(), Length(max=200, message=_l("事由不超过 200 字"))]
    )


def _tz() -> ZoneInfo:
    return ZoneInfo(services().settings.timezone)


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=_tz()).astimezone(ZoneInfo("UTC"))


def _managed_windows() -> set[str]:
    """Windows whose clerks the current user may mark absent (as window head)."""
    return current_user.windows_with_role(Role.WINDOW_HEAD)


def _people(session: Session) -> tuple[list[directory.Person], list[directory.Person]]:
    """(who may be marked absent by me, who may be chosen as a backup)."""
    colleagues: dict[str, directory.Person] = {}
    for window in sorted(current_user.windows):
        for person in directory.window_members(session, window):
            colleagues.setdefault(person.username, person)
    managed = _managed_windows()
    absentees = [p for p in colleagues.values() if p.username == current_user.username or p.windows & managed]
    return sorted(absentees, key=lambda p: p.username), sorted(colleagues.values(), key=lambda p: p.username)


@bp.route("/absence", methods=["GET", "POST"])
@login_required
def absence() -> Any:
    """The AB岗 page: current and coming absences of my windows, and a form to record one."""
    form = AbsenceForm()
    with services().transaction() as s:
        absentees, backups = _people(s)
        now = services().now()
        listed = directory.list_absences(s, windows=sorted(current_user.windows), now=now)
    form.user.choices = [(p.username, p.display_name) for p in absentees]
    form.backup.choices = [("", _("— 请选择 —"))] + [(p.username, p.display_name) for p in backups]
    if request.method == "GET":
        form.user.data = current_user.username
        form.starts.data = now.astimezone(_tz()).date()
    status = 200
    if form.validate_on_submit():
        starts, ends = form.starts.data, form.ends.data
        assert starts is not None and ends is not None
        ok = True
        today = now.astimezone(_tz()).date()
        if ends < starts:
            form.ends.errors = [*form.ends.errors, _("结束日期不能早于开始日期")]
            ok = False
        elif (ends - starts).days >= MAX_DAYS:
            form.ends.errors = [*form.ends.errors, _("请假期间不能超过一年")]
            ok = False
        if ends < today:
            form.ends.errors = [*form.ends.errors, _("结束日期已过")]
            ok = False
        if form.backup.data == form.user.data:
            form.backup.errors = [*form.backup.errors, _("代班人员不能是请假人本人")]
            ok = False
        if ok:
            starts_at = max(_local_midnight(starts), now) if starts == today else _local_midnight(starts)
            ends_at = _local_midnight(ends + timedelta(days=1))
            try:
                services().run(
                    directory.mark_absent,
                    form.user.data,
                    form.backup.data,
                    starts_at,
                    ends_at,
                    (form.reason.data or "").strip(),
                    actor=current_user.username,
                )
            except runner.PermissionDenied:
                abort(403)
            except (runner.InvalidInput, runner.Conflict, runner.NotFound) as exc:
                target = form.backup if getattr(exc, "context", {}).get("field") == "backup" else form.starts
                target.errors = [*target.errors, user_message(exc)]
            else:
                flash(_("已登记请假，期间由代班人员办理其待办。"), "success")
                return redirect(url_for("workspace.absence"))
        status = 400
    elif request.method == "POST":
        status = 400
    return (
        render_template(
            "absence.html",
            form=form,
            absences=listed,
            now=now,
            covered=sorted(current_user.covered_users),
            can_end={a.id: _may_end(a) for a in listed},
        ),
        status,
    )


def _may_end(entry: directory.AbsenceView) -> bool:
    if entry.username == current_user.username:
        return True
    with services().transaction() as s:
        person = directory.get_person(s, entry.username)
    return bool(person and person.windows & _managed_windows())


@bp.post("/absence/<int:absence_id>/end")
@login_required
def end_absence(absence_id: int) -> Any:
    """End (or cancel) an absence: the clerk themselves or a head of their window."""
    try:
        services().run(directory.end_absence, absence_id, actor=current_user.username)
    except runner.PermissionDenied:
        abort(403)
    except runner.NotFound:
        abort(404)
    except runner.RunnerError as exc:
        flash(user_message(exc), "error")
    else:
        flash(_("请假已结束。"), "success")
    return redirect(url_for("workspace.absence"))

"""用户与窗口: create users, enable/disable them, assign windows and roles, AB岗 backups; add or rename windows.

Every change is one ``runner.people.directory`` / ``runner.people.windows`` call (audited on the system chain).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

import runner
from admin.base import OVERSEERS, ConsoleView, actor, kept_forms, perform, services
from admin.monitoring.common import is_admin, local, require_admin, safe_next
from forms.language import shown_name
from runner.models import Role
from runner.people import directory
from runner.people.windows import save_window

ROLE_LABELS = {
    Role.CLERK.value: _l("窗口人员"),
    Role.WINDOW_HEAD.value: _l("窗口负责人"),
    Role.LEADER.value: _l("中心领导"),
    Role.SUPERVISOR.value: _l("督查人员"),
    Role.DESIGNER.value: _l("流程设计员"),
    Role.ADMIN.value: _l("管理员"),
}


class UsersView(ConsoleView):
    """``/admin/users/``: people and windows."""

    roles = OVERSEERS

    @expose("/")
    def index(self) -> Any:
        with services().transaction() as s:
            users = directory.list_users(s)
            windows = [(w.code, shown_name(w.name, w.name_en), w.is_active) for w in runner.list_windows(s)]
            absences = directory.list_absences(s)
            stranded = directory.stranded_counts(s)
            now = services().now()
        return self.render(
            "console/monitoring/users.html",
            users=users,
            stranded=stranded,
            windows=windows,
            window_names={code: name for code, name, _active in windows},
            absences=absences,
            now=now,
            role_labels=ROLE_LABELS,
            local=local,
            can_act=is_admin(),
            kept=kept_forms(),
        )

    @expose("/stranded/")
    def stranded(self) -> Any:
        """Open tasks held by disabled users, each with its holder, a link to the item and (admins) 改派 in
        the row to an enabled clerk or head of the task's window (posted to the item page's 改派)."""
        with services().transaction() as s:
            tasks = directory.stranded_tasks(s)
            eligible = _eligible(s, {t.window for t in tasks if t.window})
        return self.render(
            "console/monitoring/stranded.html",
            tasks=tasks,
            eligible=eligible,
            local=local,
            can_act=is_admin(),
        )

    @expose("/<username>/")
    def user(self, username: str) -> Any:
        with services().transaction() as s:
            person = directory.get_person(s, username)
            if person is None:
                abort(404, description=f"没有用户 {username} (no such user)")
            windows = [(w.code, shown_name(w.name, w.name_en)) for w in runner.list_windows(s) if w.is_active]
            absences = directory.list_absences(s, username=username, include_past=True)
            colleagues = sorted(
                {
                    (p.username, p.display_name)
                    for w in person.windows
                    for p in directory.window_members(s, w)
                    if p.username != username
                }
            )
            now = services().now()
        return self.render(
            "console/monitoring/user.html",
            person=person,
            windows=windows,
            absences=absences,
            colleagues=colleagues,
            now=now,
            role_labels=ROLE_LABELS,
            local=local,
            can_act=is_admin(),
            kept=kept_forms(),
        )

    # ---- actions (admins) ----------------------------------------------------------------------

    @expose("/create", methods=("POST",))
    def create(self) -> Response:
        require_admin()
        form = request.form
        username = (form.get("username") or "").strip()
        memberships = _memberships(form)

        def act(s: Session) -> str:
            person = directory.create_user(
                s,
                username,
                form.get("display_name") or username,
                form.get("password") or "",
                memberships,
                actor=actor(),
            )
            return _("已创建用户 %(name)s", name=person.username)

        return perform(act, success=_("已创建"), back=url_for(".index"), keep="create-user")

    @expose("/<username>/memberships", methods=("POST",))
    def memberships(self, username: str) -> Response:
        require_admin()
        memberships = _memberships(request.form)
        return perform(
            lambda s: _say(
                directory.set_memberships(s, username, memberships, actor=actor()), _("窗口与角色已更新")
            ),
            success=_("已更新"),
            back=url_for(".user", username=username),
        )

    @expose("/<username>/active", methods=("POST",))
    def active(self, username: str) -> Response:
        require_admin()
        enable = request.form.get("active") == "1"
        if not enable and username == actor():
            return perform(_refuse_self, success="", back=url_for(".user", username=username))
        return perform(
            lambda s: directory.set_active(s, username, enable, actor=actor()),
            success=_("已启用") if enable else _("已停用"),
            back=url_for(".user", username=username),
        )

    @expose("/<username>/password", methods=("POST",))
    def password(self, username: str) -> Response:
        require_admin()
        new = request.form.get("password") or ""
        return perform(
            lambda s: directory.set_password(s, username, new, actor=actor()),
            success=_("密码已重置"),
            back=url_for(".user", username=username),
        )

    @expose("/<username>/absence", methods=("POST",))
    def absence(self, username: str) -> Response:
        require_admin()
        form = request.form

        def act(s: Session) -> str:
            starts = _local_time(form.get("starts_at"), "starts_at") or services().now()
            ends = _local_time(form.get("ends_at"), "ends_at")
            view = directory.mark_absent(
                s,
                username,
                (form.get("backup") or "").strip(),
                starts,
                ends,
                form.get("reason") or "",
                actor=actor(),
            )
            return _(
                "已登记 %(name)s 请假，由 %(backup)s 代班（B岗）", name=view.username, backup=view.backup
            )

        return perform(
            act, success=_("已登记"), back=url_for(".user", username=username), keep="absence-form"
        )

    @expose("/absence/<int:absence_id>/end", methods=("POST",))
    def end_absence(self, absence_id: int) -> Response:
        require_admin()

        def act(s: Session) -> str:
            view = directory.end_absence(s, absence_id, actor=actor())
            return _("%(name)s 的请假已结束", name=view.username)

        return perform(act, success=_("已结束"), back=safe_next(url_for(".index")))

    @expose("/windows", methods=("POST",))
    def windows(self) -> Response:
        require_admin()
        form = request.form
        active = form.get("active", "1") == "1"
        return perform(
            lambda s: _say(
                save_window(
                    s,
                    form.get("code") or "",
                    form.get("name") or "",
                    actor=actor(),
                    active=active,
                    name_en=form.get("name_en"),
                ),
                _("窗口已保存"),
            ),
            success=_("窗口已保存"),
            back=url_for(".index"),
            keep="window-form",
        )


def _memberships(form: Any) -> list[tuple[str, str]]:
    """``window`` / ``role`` lists of a form, paired; empty rows are skipped."""
    pairs = zip(form.getlist("window"), form.getlist("role"), strict=False)
    return [(w.strip(), r.strip()) for w, r in pairs if w.strip() and r.strip()]


def _local_time(text: str | None, field: str) -> datetime | None:
    """A ``datetime-local`` input read in the centre's time zone."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        naive = datetime.fromisoformat(text)
    except ValueError:
        raise runner.InvalidInput(f"时间格式不正确 (invalid time {text!r})", field=field) from None
    return naive.replace(tzinfo=ZoneInfo(services().settings.timezone))


def _say(_: Any, message: str) -> str:
    return message


def _refuse_self(_: Session) -> None:
    raise runner.InvalidInput("不能停用自己的账户 (you cannot disable your own account)")


def _eligible(s: Session, windows: set[str]) -> dict[str, list[tuple[str, str]]]:
    """``(username, display name)`` of each window's enabled clerks and heads: whom its tasks may go to."""
    roles = [Role.CLERK, Role.WINDOW_HEAD]
    return {
        w: [(p.username, p.display_name) for p in directory.window_members(s, w, roles=roles)]
        for w in sorted(windows)
    }

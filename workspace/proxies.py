"""委托 in the workspace: a clerk hands all their new tasks to a colleague for a date range, sees the
proxies they gave and received, and ends one early. Unlike AB岗 (``/absence``), where the absent
clerk's tasks stay theirs and the backup acts for them, a proxied task is the proxy's own task; the
inbox marks it "受 X 委托".
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

import runner
from forms.language import pick
from runner.models import Proxy, Role
from runner.people import directory
from web.auth import current_user, login_required, services
from web.chrome import register_nav
from web.i18n import Label, user_message
from workspace.blueprint import bp

MAX_DAYS = 366


def _local_midnight(day: date) -> datetime:
    tz = ZoneInfo(services().settings.timezone)
    return datetime.combine(day, time(0, 0), tzinfo=tz).astimezone(ZoneInfo("UTC"))


def _day(value: str | None, field: str) -> date:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        raise runner.InvalidInput(
            "请填写日期（格式 2026-10-08） (a date like 2026-10-08)", field=field
        ) from None


def period(starts: str | None, ends: str | None, now: datetime) -> tuple[datetime, datetime]:
    """From the start date (or now, if it is today) to the end of the end date, in the centre's zone."""
    first, last = _day(starts, "starts"), _day(ends, "ends")
    if last < first:
        raise runner.InvalidInput("结束日期不能早于开始日期 (the end is before the start)", field="ends")
    if (last - first).days >= MAX_DAYS:
        raise runner.InvalidInput(f"委托不超过 {MAX_DAYS} 天 (at most {MAX_DAYS} days)", field="ends")
    start, end = _local_midnight(first), _local_midnight(last + timedelta(days=1))
    if end <= now:
        raise runner.InvalidInput("委托期限已过 (the period is over)", field="ends")
    return max(start, now), end


def _colleagues(session: Session) -> list[tuple[str, str]]:
    found: dict[str, str] = {}
    for window in sorted(current_user.windows):
        for person in directory.window_members(session, window):
            if person.is_active and person.username != current_user.username:
                found.setdefault(person.username, person.display_name)
    return sorted(found.items())


def may_end(session: Session, proxy: Any) -> bool:
    """The clerk who gave the proxy, a head of one of their windows, or an admin."""
    if proxy.from_user == current_user.username or current_user.has_role(Role.ADMIN):
        return True
    giver = directory.get_person(session, proxy.from_user)
    return giver is not None and bool(current_user.windows_with_role(Role.WINDOW_HEAD) & giver.windows)


def _rows(session: Session, now: datetime) -> list[dict[str, Any]]:
    rows = []
    for p in runner.list_proxies(session, username=current_user.username):
        state = "active" if p.active_at(now) else ("future" if p.starts_at > now else "ended")
        rows.append({"proxy": p, "state": state, "given": p.from_user == current_user.username,
                     "can_end": state != "ended" and may_end(session, p)})  # fmt: skip
    return rows


STATES = {"active": ("生效中", "active"), "future": ("未开始", "upcoming"), "ended": ("已结束", "ended")}


@bp.route("/proxies", methods=["GET", "POST"])
@login_required
def proxies() -> Any:
    """My proxies (given and received) and the form to give one."""
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":

        def work(s: Session) -> Any:
            to_user = request.form.get("to_user") or ""
            if to_user not in dict(_colleagues(s)):
                raise runner.InvalidInput(
                    "请选择本窗口的同事 (choose a colleague of your window)", field="to_user"
                )
            starts_at, ends_at = period(
                request.form.get("starts"), request.form.get("ends"), services().now()
            )
            return runner.set_proxy(
                s, current_user.username, to_user, starts_at, ends_at, request.form.get("reason") or "",
                actor=current_user.username,
            )  # fmt: skip

        try:
            services().run(work)
        except runner.InvalidInput as exc:
            errors[str(exc.context.get("field") or "_")] = user_message(exc)
        except runner.RunnerError as exc:  # an overlapping proxy
            errors["_"] = user_message(exc)
        if not errors:
            flash(pick("委托已设置。", "Proxy set."), "success")
            return redirect(url_for("workspace.proxies"))
        status = 400
    with services().transaction() as s:
        now = services().now()
        rows, colleagues = _rows(s, now), _colleagues(s)
    return render_template(
        "operations/proxies.html",
        rows=rows,
        colleagues=colleagues,
        states=STATES,
        errors=errors,
        form=request.form if request.method == "POST" else {},
        pick=pick,
    ), status


@bp.post("/proxies/<int:proxy_id>/end")
@login_required
def proxy_end(proxy_id: int) -> Any:
    """End a proxy now (one not started yet is cancelled); tasks already handed over stay."""

    def work(s: Session) -> Any:
        found = s.get(Proxy, proxy_id)
        if found is None:
            raise runner.NotFound("无此委托 (no such proxy)")
        if not may_end(s, found):
            raise runner.PermissionDenied(
                "只有委托人或其窗口负责人可以结束委托 (only the giver or their head)"
            )
        return runner.end_proxy(s, proxy_id, actor=current_user.username)

    try:
        services().run(work)
    except runner.PermissionDenied:
        abort(403)
    except runner.NotFound:
        abort(404)
    flash(pick("委托已结束。", "Proxy ended."), "success")
    return redirect(url_for("workspace.proxies"))


register_nav(Label("委托", "Proxies"), "workspace.proxies", order=22)  # type: ignore[arg-type]

"""The clerk's inbox (待办): my tasks, my windows' unclaimed tasks, tasks covered for an absent colleague.

Every request filters on the server by the user's windows (and the AB岗 cover); claim, release and
hand-over check again inside the transaction that does them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from urllib.parse import urlencode

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

import runner
from forms.language import english, pick
from runner.catalogue import items as catalogue_items
from runner.core.conventions import ITEM_KINDS
from runner.items import four_eyes, permissions
from runner.items.clerk import decorate_inbox_rows
from runner.items.labels import item_kind
from runner.items.search import find_items
from runner.models import Role
from runner.people import directory
from runner.timekeeping import deadlines
from runner.timekeeping.calendar import is_late
from web.auth import current_user, login_required, services
from web.chrome import register_nav
from web.i18n import user_message
from web.request_edge import safe_next
from workspace.access import acting_for, can_work_on, who_now
from workspace.blueprint import bp
from workspace.inbox_batch import batch_actions, batch_colleagues
from workspace.online_desk import waiting_count
from workspace.people import WORKERS

PAGE_SIZES = (20, 50, 100)
DEFAULT_PAGE_SIZE = 50
MAX_PAGE = 2000  # offset paging: deeper than 100,000 rows nobody pages by hand; filter instead
WARNING_WORKDAYS = 1  # yellow when at most this many working days are left
COUNT_CAP = 1_000  # counts stop here ("1000+"): counting a busy window's every task costs each page view

TAB_LABELS = {
    "mine": _l("我的待办"),
    "window": _l("本窗口待认领"),
    "cover": _l("代班任务"),
    "all": _l("本窗口全部"),
}
SORTS = {
    "due": _l("到期时间（最早在前）"),
    "-due": _l("到期时间（最晚在前）"),
    "created": _l("接收时间（最早在前）"),
    "-created": _l("接收时间（最新在前）"),
}
STATES = {"overdue": _l("已超期"), "warning": _l("即将到期"), "normal": _l("正常")}
KIND_LABELS = {code: label for label, code in ITEM_KINDS.items()}

register_nav(cast(str, _l("待办")), "workspace.inbox", order=10)


@dataclass(frozen=True)
class Due:
    """How a due time looks today: ``level`` is ``overdue`` (red), ``warning`` (yellow), ``ok`` or ``none``."""

    level: str
    text: str
    days_left: int | None = None


def due_status(
    cal: runner.BusinessCalendar | None,
    due_at: datetime | None,
    now: datetime,
    pending_year: int | None = None,
) -> Due:
    """Working days left until ``due_at`` on the platform's calendar, and the mark to show; a due time that
    waits for next year's holiday arrangement says so (level ``pending``)."""
    if due_at is None and pending_year is not None:
        return Due("pending", _("期限待 %(year)s 年节假日安排公布后确定", year=pending_year))
    if due_at is None:
        return Due("none", _("无时限"))
    if cal is None:
        return Due("overdue" if is_late(now, due_at) else "ok", "")
    try:
        if is_late(now, due_at):
            late = cal.overdue_workdays(due_at, now)
            return Due(
                "overdue",
                ngettext("超期 %(num)s 个工作日", "超期 %(num)s 个工作日", late) if late else _("已超期"),
                -late,
            )
        left = cal.workdays_between(cal.local_date(now), cal.local_date(due_at))
    except runner.CalendarDataMissing:
        return Due("overdue" if is_late(now, due_at) else "ok", "")
    text = _("今日到期") if left == 0 else ngettext("剩 %(num)s 个工作日", "剩 %(num)s 个工作日", left)
    return Due("warning" if left <= WARNING_WORKDAYS else "ok", text, left)


def _console_url(endpoint: str) -> str | None:
    """A console page's address, when the console is part of this app."""
    try:
        return url_for(endpoint)
    except Exception:  # noqa: BLE001 - an app without the console
        return None


def _calendar(session: Session) -> runner.BusinessCalendar | None:
    try:
        return deadlines.calendar(session)
    except runner.CalendarDataMissing:
        return None


def _state_range(
    cal: runner.BusinessCalendar | None, state: str, now: datetime
) -> tuple[datetime | None, datetime | None]:
    """``due_from``/``due_until`` of a state filter (they use the (window|assignee, due_at) indexes)."""
    if state == "overdue":
        return None, now
    warn_until = now + timedelta(days=1)
    if cal is not None:
        try:
            last = cal.add_workdays(cal.local_date(now), WARNING_WORKDAYS)
            warn_until = cal.end_of_day(last) + timedelta(seconds=1)
        except runner.CalendarDataMissing:
            pass
    if state == "warning":
        return now, warn_until
    if state == "normal":
        return warn_until, None
    return None, None


def _tab_filters(tab: str) -> dict[str, Any]:
    """The server-side visibility filter of a tab for the current user."""
    me = current_user.username
    if tab == "mine":
        return {"windows": sorted(current_user.windows), "assignees": [me]}
    if tab == "window":
        return {"windows": sorted(current_user.windows), "unclaimed": True}
    if tab == "cover":
        return {"assignees": sorted(current_user.covered_users)}
    if tab == "all":
        return {"windows": sorted(current_user.windows_with_role(Role.WINDOW_HEAD))}
    abort(404)


def _tabs() -> list[str]:
    tabs = ["mine", "window", "cover"]
    if current_user.windows_with_role(Role.WINDOW_HEAD):
        tabs.append("all")
    return tabs


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter; missing, malformed or below ``low`` gives ``default``, above ``high`` is capped."""
    try:
        value = int(request.args.get(name, default))
    except (TypeError, ValueError):
        return default
    return default if value < low else min(high, value)


def task_url(task: dict[str, Any]) -> str | None:
    """Where a task is worked on (the form task page), if that page exists."""
    for endpoint in ("workspace.task_form", "forms.task"):
        try:
            return url_for(endpoint, task_id=task["id"])
        except Exception:  # noqa: BLE001 - the form pages may not be registered
            continue
    return None


def _kind_word(code: str) -> str:
    """An item kind in the page's language."""
    return pick(item_kind(code), item_kind(code, english=True)) if code else ""


@bp.get("/inbox")
@login_required
def inbox() -> Any:
    """The inbox: one tab at a time, filtered, sorted and paged on the server."""
    tabs = _tabs()
    tab = request.args.get("tab") or "mine"
    if tab not in tabs:
        abort(404)
    sort = request.args.get("sort") if request.args.get("sort") in SORTS else "due"
    kind = request.args.get("kind") if request.args.get("kind") in KIND_LABELS else ""
    state = request.args.get("state") if request.args.get("state") in STATES else ""
    returned = request.args.get("returned") == "1"
    size = _int_arg("size", DEFAULT_PAGE_SIZE, 1, max(PAGE_SIZES))
    page = _int_arg("page", 1, 1, MAX_PAGE)
    q = (request.args.get("q") or "").strip()[:64]

    with services().transaction() as s:
        now = services().now()
        cal = _calendar(s)
        due_from, due_until = _state_range(cal, state, now)
        # receipt number, applicant, phone, ID number; a part of one among the items this tab shows
        found = find_items(s, q, among=runner.inbox_items(**_tab_filters(tab))) if q else None
        rows, total = runner.inbox_page(
            s,
            **_tab_filters(tab),
            instance_ids=found,
            item_kind=kind or None,
            returned=returned,
            due_from=due_from,
            due_until=due_until,
            order=sort,
            limit=size,
            offset=(page - 1) * size,
            count_cap=COUNT_CAP,
        )
        counts = {
            t: (
                total
                if t == tab and not kind and not state and not q and not returned
                else runner.inbox_page(s, **_tab_filters(t), limit=1, count_cap=COUNT_CAP)[1]
            )
            for t in tabs
        }
        english_titles = (
            catalogue_items.english_names_of_instances(s, {r["instance_id"] for r in rows})
            if english()
            else {}
        )
        for row in rows:
            row["title"] = english_titles.get(row["instance_id"], row["title"])
            due_at = datetime.fromisoformat(row["due_at"]) if row["due_at"] else None
            row["due"] = due_status(cal, due_at, now, row.get("due_pending_year"))
            row["kind_label"] = _kind_word(row["item_kind"] or "")
            row["acting_for"] = acting_for(row)
            row["url"] = task_url(row)
            row["can_release"] = _may_release(row)

        decorate_inbox_rows(s, who_now(), rows)  # urge count, last urge, may urge
        # admins are told in their inbox too that next year's holiday arrangement is missing
        alarm = runner.calendar_alarm(s) if current_user.has_role(Role.ADMIN) else None
        online_waiting = waiting_count(s)  # 网上申报 waiting for the 预审 of the user's windows
    import_url = _console_url("calendar.import_year") if alarm else None

    def link(**changes: Any) -> str:
        args = {"tab": tab, "sort": sort, "kind": kind, "state": state, "returned": "1" if returned else "",
                "size": size, "page": page, "q": q}  # fmt: skip
        args.update(changes)
        defaults = {
            "sort": "due",
            "kind": "",
            "state": "",
            "returned": "",
            "size": DEFAULT_PAGE_SIZE,
            "page": 1,
            "q": "",
        }
        query = {k: v for k, v in args.items() if defaults.get(k) != v}
        return url_for("workspace.inbox") + ("?" + urlencode(query) if query else "")

    pages = -(-min(total, COUNT_CAP) // size) if total else 1
    return render_template(
        "inbox.html",
        tab=tab,
        tabs=[(t, TAB_LABELS[t], counts[t]) for t in tabs],
        rows=rows,
        total=total,
        total_capped=total > COUNT_CAP,
        count_cap=COUNT_CAP,
        page=page,
        pages=pages,
        has_next=len(rows) == size and page * size < total and page < MAX_PAGE,
        size=size,
        sort=sort,
        kind=kind,
        state=state,
        q=q,
        pick=pick,
        returned=returned,
        batch=batch_actions(tab),
        colleagues=batch_colleagues(tab),
        sorts=SORTS,
        states=STATES,
        kinds={code: _kind_word(code) for code in KIND_LABELS},
        page_sizes=PAGE_SIZES,
        link=link,
        calendar_alarm=alarm,
        online_waiting=online_waiting,
        import_url=import_url,
        any_pending=any(r["due"].level == "pending" or r.get("deadline_pending_year") for r in rows),
        here=request.full_path.rstrip("?"),
    )


# ---- actions -----------------------------------------------------------------------------------


def _may_release(task: dict[str, Any]) -> bool:
    """The holder, a head of the task's window, or the holder's backup may give a task back / hand it over
    (while the task is out for an opinion (委派) its holder is the delegator, not the delegate)."""
    assignee = permissions.holder(task)
    if not can_work_on(task):
        return False
    if assignee is None:
        return task.get("window") in current_user.windows
    return (
        assignee == current_user.username
        or current_user.heads(task.get("window") or "")
        or assignee in current_user.covered_users
    )


def _visible_task(session: Session, task_id: str) -> dict[str, Any]:
    """The task if the current user may see it (404 unknown or finished, 403 another window's)."""
    try:
        task = runner.task_details(session, task_id)
    except runner.NotFound:
        abort(404)
    except (
        runner.TaskNotReady
    ):  # finished meanwhile; who finished it is not told (it may be another window's)
        flash(_("该任务已办结，请刷新待办列表。"), "warning")
        abort(redirect(url_for("workspace.inbox")))
    if not can_work_on(task):
        abort(403)
    return task


def _back() -> Any:
    return redirect(safe_next(request.form.get("next")) or url_for("workspace.inbox"))


def _act(func: Any, *args: Any, ok: str) -> Any:
    try:
        services().run(func, *args)
    except runner.RunnerError as exc:
        flash(user_message(exc), "error")
        return _back()
    flash(ok, "success")
    return _back()


@bp.post("/inbox/tasks/<task_id>/claim")
@login_required
def claim(task_id: str) -> Any:
    """Claim an unclaimed task of one of my windows."""
    with services().transaction() as s:
        task = _visible_task(s, task_id)
    if task["window"] not in current_user.windows:
        abort(403)  # covered colleagues' tasks are already theirs: act for them, do not take them

    def do(s: Session) -> None:
        current = _visible_task(s, task_id)
        if current["window"] not in current_user.windows:
            abort(403)
        runner.claim(s, task_id, actor=current_user.username)

    if request.form.get("open") == "1":  # 认领并办理: straight to the task's form
        try:
            services().run(do)
        except runner.RunnerError as exc:
            flash(user_message(exc), "error")
            return _back()
        flash(_("已认领：%(name)s", name=task["name"]), "success")
        return redirect(task_url(task) or url_for("workspace.inbox"))
    return _act(do, ok=_("已认领：%(name)s", name=task["name"]))


@bp.post("/inbox/tasks/<task_id>/release")
@login_required
def release(task_id: str) -> Any:
    """Give a claimed task back to the window's pool (assignee, window head or the assignee's backup)."""
    with services().transaction() as s:
        task = _visible_task(s, task_id)
    if not _may_release(task) or task["assignee"] is None:
        abort(403)

    def do(s: Session) -> None:
        current = _visible_task(s, task_id)
        if not _may_release(current):
            abort(403)
        runner.unclaim(s, task_id, actor=current_user.username)

    return _act(do, ok=_("已退回本窗口待认领：%(name)s", name=task["name"]))


class HandoverForm(FlaskForm):
    to = SelectField(_l("转交给"), validators=[DataRequired(message=_l("请选择本窗口的同事"))])
    note = TextAreaField(
        _l("转交说明"),
        validators=[
            DataRequired(message=_l("请填写转交说明")),
            Length(max=500, message=_l("说明不超过 500 字")),
        ],
        description=_l("写明已办情况和需要同事继续办理的事项。"),
    )
    next = HiddenField()


@bp.route("/inbox/tasks/<task_id>/handover", methods=["GET", "POST"])
@login_required
def handover(task_id: str) -> Any:
    """Hand a task over to a named colleague of the task's window, with a note (转办)."""
    with services().transaction() as s:
        task = _visible_task(s, task_id)
        if not _may_release(task):
            abort(403)
        colleagues = [
            p
            for p in directory.window_members(s, task["window"] or "", roles=WORKERS)
            if p.username not in (current_user.username, permissions.holder(task))
        ]
        absent = directory.absent_now(s, [p.username for p in colleagues])
    form = HandoverForm()
    form.to.choices = [("", _("— 请选择 —"))] + [
        (p.username, p.display_name + (_("（请假中）") if p.username in absent else "")) for p in colleagues
    ]
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next")) or ""
    if form.validate_on_submit():
        target = form.to.data or ""
        note = (form.note.data or "").strip()

        def do(s: Session) -> None:
            current = _visible_task(s, task_id)
            if not _may_release(current):
                abort(403)
            if target == permissions.holder(current) or not directory.works_in(
                s, target, current["window"] or ""
            ):
                raise runner.InvalidInput("只能转交给本窗口的同事 (only to a colleague of the same window)")
            runner.reassign(s, task_id, actor=current_user.username, assignee=target, note=note)

        try:
            services().run(do)
        except (runner.InvalidInput, four_eyes.SamePerson) as exc:  # the person chosen cannot take it
            form.to.errors = [*form.to.errors, user_message(exc)]
        except runner.RunnerError as exc:
            flash(user_message(exc), "error")
            return redirect(url_for("workspace.inbox"))
        else:
            name = next((p.display_name for p in colleagues if p.username == target), target)
            flash(_("已转交给 %(who)s：%(name)s", who=name, name=task["name"]), "success")
            return redirect(safe_next(form.next.data) or url_for("workspace.inbox"))
    status = 400 if request.method == "POST" else 200
    back = safe_next(form.next.data) or url_for("workspace.inbox")
    return render_template("handover.html", task=task, form=form, back=back), status

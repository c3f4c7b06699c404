"""网上申报 at the window (staff):

- ``GET      /online/reviews``                     预审: the applications waiting at the user's windows, most urgent first
- ``GET/POST /online/<id>/review``                 one application: the data and the uploads beside the item's list;
                                                   通过, or 退回 with a reason per material
- ``GET      /online/<id>/files/<file_id>``        an upload (images and PDFs open in the browser)
- ``GET      /online/counter``                     find an application by number, ID number or mobile; 收件登记 pre-filled
- ``GET      /online/appointments``                the day's appointments of the user's windows
- ``GET/POST /online/slots``                       预约 plans of the windows the user heads

Who: the counter of the application's window (clerks and heads, admins: the permission table's ``online_review``);
plans: the window's heads (``slot_plan``).
"""

from __future__ import annotations

from datetime import date
from io import BytesIO
from typing import Any

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from sqlalchemy.orm import Session

import runner
from forms.language import english, pick
from runner.catalogue import items as catalogue_items
from runner.items.permissions import Facts, Who, allowed
from runner.models import OnlineApplication, Role
from runner.online import applications, counter, files, review, slots
from runner.timekeeping.calendar import is_late
from web.auth import current_user, require_role, services
from web.chrome import register_nav
from web.i18n import Label, user_message
from workspace.access import who_now
from workspace.blueprint import bp
from workspace.guide import window_names

DESK_ROLES = (Role.CLERK, Role.WINDOW_HEAD, Role.ADMIN)
PLAN_ROLES = (Role.WINDOW_HEAD, Role.ADMIN)
INLINE = ("application/pdf", "image/png", "image/jpeg")


def _may(rule: str, window: str, who: Who | None = None) -> bool:
    return allowed(rule, who or who_now(), Facts({"lead_window": window}))


def desk_windows(session: Session, rule: str = "online_review") -> list[str]:
    """The windows whose online applications (or plans) the user may handle."""
    who = who_now()
    return [w.code for w in runner.list_windows(session) if _may(rule, w.code, who)]


def _application(s: Session, application_id: int) -> OnlineApplication:
    try:
        row = applications.by_id(s, application_id)
    except applications.NoSuchApplication:
        abort(404)
    if not _may("online_review", row.window):
        abort(403)
    return row


def item_names(session: Session, rows: list[OnlineApplication]) -> dict[str, str]:
    """Code → name of the items of ``rows``, for the desks' lists."""
    return catalogue_items.item_names(session, {r.item_code for r in rows}, english=english())


@bp.get("/online/reviews")
@require_role(*DESK_ROLES)
def online_reviews() -> Any:
    """The applications waiting for 预审 at the user's windows."""
    with services().reading() as s:
        windows = desk_windows(s)
        rows = review.waiting(s, windows)
        names = window_names(s)
        now = services().now()
        view = [
            {
                "row": r,
                "window": names.get(r.window, r.window),
                "overdue": bool(r.review_due and is_late(now, r.review_due)),
            }
            for r in rows
        ]
        return render_template("online/reviews.html", rows=view, pick=pick, item_names=item_names(s, rows))


def waiting_count(session: Session) -> int:
    """How many applications wait for 预审 at the user's windows (the inbox's notice)."""
    if not current_user.has_role(*DESK_ROLES):
        return 0
    return review.count_waiting(session, desk_windows(session))


@bp.route("/online/<int:application_id>/review", methods=["GET", "POST"])
@require_role(*DESK_ROLES)
def online_review(application_id: int) -> Any:
    """预审 of one application: 通过, or 退回 with a reason per material."""
    error = None
    if request.method == "POST":
        with services().reading() as s:
            row = _application(s, application_id)
            names = [m["name"] for m in applications.item_body(s, row).get("materials", [])]
        reasons = {name: request.form.get(f"reason-{n}", "") for n, name in enumerate(names)}
        decision = request.form.get("decision", "")

        def work(s: Session) -> str:
            found = applications.by_id(s, application_id)
            return (
                review.decide(
                    s,
                    found,
                    decision,
                    actor=current_user.username,
                    reasons=reasons,
                    note=request.form.get("note", ""),
                ).number
                or ""
            )

        try:
            number = services().run(work)
        except runner.RunnerError as exc:
            error = user_message(exc)
        else:
            flash(
                pick(f"申报 {number} 已预审通过。", f"{number} passed pre-review.") if decision == review.PASS
                else pick(f"申报 {number} 已退回，已短信告知申请人。", f"{number} returned; the applicant was texted."),
                "success",
            )  # fmt: skip
            return redirect(url_for("workspace.online_reviews"))
    with services().reading() as s:
        row = _application(s, application_id)
        body = applications.item_body(s, row)
        versions = files.versions_of(s, row)
        zh, en = applications.state_words(row.state)
        page = render_template(
            "online/review.html", row=row, item=body, state=pick(zh, en), error=error, form=request.form, pick=pick,
            window=window_names(s).get(row.window, row.window),
            materials=[{"index": n, "spec": m, "versions": versions.get(m["name"], []),
                        "reason": (row.reasons or {}).get(m["name"])} for n, m in enumerate(body.get("materials", []))],
        )  # fmt: skip
    return page, (400 if error else 200)


@bp.get("/online/<int:application_id>/files/<int:file_id>")
@require_role(*DESK_ROLES)
def online_file(application_id: int, file_id: int) -> Any:
    """One upload of the application (shown in the browser when it is an image or a PDF)."""
    with services().reading() as s:
        found = files.file_of(s, _application(s, application_id), file_id)
        if found is None:
            abort(404)
        content, name, mimetype = found.content, found.filename, found.content_type
    return send_file(
        BytesIO(content), mimetype=mimetype, as_attachment=mimetype not in INLINE, download_name=name
    )


@bp.get("/online/counter")
@require_role(*DESK_ROLES)
def online_counter() -> Any:
    """Find an application at the counter; each found links to 收件登记 pre-filled."""
    q = (request.args.get("q") or "").strip()[:64]
    with services().reading() as s:
        found = counter.find(s, q, desk_windows(s)) if q else []
        names = window_names(s)
        rows = [{"row": r, "appointment": slots.current(s, r), "window": names.get(r.window, r.window),
                 "state": pick(*applications.state_words(r.state))} for r in found]  # fmt: skip
        return render_template(
            "online/counter.html", rows=rows, q=q, pick=pick, item_names=item_names(s, found)
        )


@bp.get("/online/appointments")
@require_role(*DESK_ROLES)
def online_appointments() -> Any:
    """The appointments of the user's windows on one day (today by default)."""
    with services().reading() as s:
        try:
            day = date.fromisoformat(request.args.get("day") or "")
        except ValueError:
            day = slots.today(s)
        rows = slots.day_list(s, desk_windows(s), day)
        names = window_names(s)
        view = [{"a": a, "row": r, "window": names.get(a.window, a.window),
                 "state": pick(*slots.APPOINTMENT_WORDS.get(a.state, (a.state, a.state)))} for a, r in rows]  # fmt: skip
        return render_template(
            "online/appointments.html",
            rows=view,
            day=day,
            pick=pick,
            item_names=item_names(s, [r for _, r in rows]),
        )


def _periods(text: str) -> list[list[str]]:
    """ "09:00-12:00, 13:30-17:00" → [["09:00", "12:00"], ["13:30", "17:00"]]."""
    out = []
    for part in text.replace("，", ",").replace("；", ",").replace(";", ",").split(","):
        if part.strip():
            start, _, end = part.strip().replace("–", "-").partition("-")
            out.append([start.strip(), end.strip()])
    return out


@bp.route("/online/slots", methods=["GET", "POST"])
@require_role(*PLAN_ROLES)
def online_slots() -> Any:
    """预约 plans of the windows the user heads: half-day or hourly, capacity, days ahead, cut-off."""
    error = None
    if request.method == "POST":
        window = request.form.get("window", "")
        with services().reading() as s:
            if window not in desk_windows(s, "slot_plan"):
                abort(403)
        try:
            services().run(
                lambda s: slots.save_plan(
                    s,
                    window,
                    mode=request.form.get("mode", ""),
                    capacity=request.form.get("capacity", 0, type=int) or 0,
                    periods=_periods(request.form.get("periods", "")),
                    days_ahead=request.form.get("days_ahead", 0, type=int) or 0,
                    cutoff_hours=request.form.get("cutoff_hours", -1, type=int),
                    active=request.form.get("active") == "1",
                    actor=current_user.username,
                )  # fmt: skip
            )
        except runner.RunnerError as exc:
            error = user_message(exc)
        else:
            flash(pick("预约时段已保存。", "Appointment slots saved."), "success")
            return redirect(url_for("workspace.online_slots"))
    with services().reading() as s:
        names = window_names(s)
        plans = [slots.plan_of(s, w) | {"name": names.get(w, w)} for w in desk_windows(s, "slot_plan")]
    return render_template("online/slots.html", plans=plans, modes=slots.MODES, error=error, pick=pick), (
        400 if error else 200
    )


register_nav(Label("网上预审", "Online pre-review"), "workspace.online_reviews", roles=DESK_ROLES, order=6)  # type: ignore[arg-type]

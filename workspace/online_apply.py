"""网上申报, the applicant's pages (no login).

- ``GET      /apply``                              the items open to online application
- ``GET/POST /apply/<code>``                       the item's guide in short and the application form (applicant,
                                                   identity with check digits, mobile); sends the one-time code
- ``GET      /apply/track/<token>``                the private page: where the application stands and what to do
- ``POST     /apply/track/<token>/code``           confirm the mobile number (or send a new code)
- ``POST     /apply/track/<token>/files``          upload materials (and submit / resubmit)
- ``POST     /apply/track/<token>/book``           book or move an appointment; ``…/cancel`` cancels it
- ``GET      /apply/track/<token>/confirmation``   the printable confirmation with the booked slot
- ``GET      /apply/track/<token>/files/<id>``     one of the application's own uploads
- ``GET      /apply/results``                      办理结果公示 (no personal data)

Codes texted and submissions are rate-limited per mobile number and per client address (``web.rate_limits``).
"""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO
from typing import Any

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from sqlalchemy.orm import Session

import runner
from forms.attachments import ALLOWED, UploadRejected, check_upload, display_name, human_size, max_bytes
from forms.language import pick, shown_name
from runner.catalogue import items as catalogue
from runner.catalogue.applications import application_of
from runner.models import OnlineApplication
from runner.online import applications, codes, counter, files, results, slots, submission
from web.auth import client_address, services
from web.chrome import register_nav
from web.i18n import Label, user_message
from web.rate_limits import limiter
from workspace.applicant import remember_progress
from workspace.applicant_fields import applicant_from
from workspace.blueprint import bp
from workspace.guide import english_departments, guide_view, kind_label, window_names

TOO_MANY = ("操作过于频繁，请稍后再试。", "Too many attempts; please try again later.")


def _blocked(kind: str, phone: str) -> bool:
    """Whether ``kind`` (``code`` or ``submit``) is used up for this number or this address; else count it."""
    by_phone, by_address = limiter(f"{kind}_phone"), limiter(f"{kind}_address")
    if by_phone.blocked(phone) or by_address.blocked(client_address()):
        return True
    by_phone.hit(phone)
    by_address.hit(client_address())
    return False


def _online_item(code: str) -> dict[str, Any]:
    with services().reading() as s:
        try:
            item = guide_view(s, code)
        except runner.NotFound:
            abort(404)
    if not item["active"] or not item["online"]:
        abort(404)
    return item


@bp.get("/apply")
def apply_list() -> Any:
    """The published items open to online application."""
    text = (request.args.get("q") or "").strip()[:100]
    with services().reading() as s:
        found = catalogue.search(s, text, online=True, limit=200)
        departments = english_departments(s, found)
        rows = [
            {
                "code": i.code,
                "name": shown_name(i.name, i.name_en),
                "department": shown_name(i.department or "", departments.get(i.code)),
                "kind": i.kind,
            }
            for i in found
        ]
    return render_template("online/apply_list.html", rows=rows, q=text, pick=pick, kind_label=kind_label)


@bp.route("/apply/<code>", methods=["GET", "POST"])
def apply_item(code: str) -> Any:
    """The application form of one item; a valid one becomes a draft and the code is texted."""
    item = _online_item(code)
    error = None
    if request.method == "POST":
        applicant = applicant_from(request.form)
        try:
            phone = applicant.checked().phone
            if _blocked("code", phone):
                return _apply_page(item, pick(*TOO_MANY), 429)

            def work(s: Session) -> str:
                row, token = applications.start_draft(s, code, applicant, note=request.form.get("note", ""))
                codes.request_code(s, row)
                return token

            token = services().run(work)
        except runner.RunnerError as exc:
            error = user_message(exc)
        else:
            flash(pick("验证码已发送到您的手机，请输入验证码并上传材料。", "A code was texted to your mobile: "
                       "enter it and upload the materials."), "success")  # fmt: skip
            return redirect(url_for("workspace.apply_track", token=token))
    return _apply_page(item, error, 400 if error else 200)


def _apply_page(item: dict[str, Any], error: str | None, status: int) -> Any:
    return render_template(
        "online/apply.html", item=item, form=request.form, error=error, pick=pick, kind_label=kind_label
    ), status


# --- the private page --------------------------------------------------------------------------------------


def _row(s: Session, token: str) -> OnlineApplication:
    try:
        return applications.by_token(s, token)
    except applications.NoSuchApplication:
        abort(404)


def _as_received(s: Session, instance: runner.ProcessInstance | None) -> dict[str, dict[str, Any]]:
    """material → its state on the counter's intake record once the counter received the application (received,
    missing or 容缺后补 with its date, kept up to date as materials arrive later); empty before."""
    record = application_of(s, instance.id) if instance is not None else None
    return {str(m.get("name")): m for m in (record.materials if record is not None else None) or []}


def _track_view(s: Session, row: OnlineApplication) -> dict[str, Any]:
    body = applications.item_body(s, row)
    versions = files.versions_of(s, row)
    instance = counter.catch_up(s, row)
    appointment = slots.current(s, row)
    zh, en = applications.state_words(row.state)
    at_counter = _as_received(s, instance)
    return {
        "row": row,
        "state": pick(zh, en),
        "item": body,
        "materials": [
            {
                "index": n,
                "spec": m,
                "versions": versions.get(m["name"], []),
                "reason": (row.reasons or {}).get(m["name"]),
                "at_counter": at_counter.get(m["name"]),
            }
            for n, m in enumerate(body.get("materials", []))
        ],  # fmt: skip
        "editable": row.state in applications.EDITABLE,
        "slots": slots.slots(s, row.window)
        if row.state in (applications.APPROVED, applications.BOOKED)
        else [],
        "slots_wait_for": slots.waiting_year(s, row.window)
        if row.state in (applications.APPROVED, applications.BOOKED)
        else None,
        "appointment": appointment,
        "history": slots.history(s, row),
        "business_key": instance.business_key if instance is not None else None,
        "window_name": window_names(s).get(row.window, row.window),
        "expires": row.updated_at + timedelta(hours=services().settings.online_draft_hours)
        if row.state == applications.DRAFT
        else None,
    }


def _track_page(token: str, error: str | None = None, status: int = 200) -> Any:
    with services().transaction() as s:  # a received item that ended finishes the application here
        counter.catch_up(s, _row(s, token))
    with services().reading() as s:
        view = _track_view(s, _row(s, token))
        page = render_template(
            "online/track.html", v=view, token=token, error=error, pick=pick,
            upload_limit=human_size(max_bytes()), max_total=human_size(files.MAX_APPLICATION_BYTES),
        )  # fmt: skip
    return page, status


@bp.get("/apply/track/<token>")
def apply_track(token: str) -> Any:
    """Where the application stands, with what the applicant can do now."""
    return _track_page(token)


@bp.post("/apply/track/<token>/code")
def apply_code(token: str) -> Any:
    """Confirm the mobile number with the texted code, or send a new one."""
    with services().reading() as s:
        phone = _row(s, token).phone
    if request.form.get("action") == "resend":
        if _blocked("code", phone):
            return _track_page(token, pick(*TOO_MANY), 429)
        try:
            services().run(lambda s: codes.request_code(s, applications.by_token(s, token, lock=True)))
        except runner.RunnerError as exc:
            return _track_page(token, user_message(exc), 409)
        flash(pick("新的验证码已发送。", "A new code was sent."), "success")
        return redirect(url_for("workspace.apply_track", token=token))
    confirmed = services().run(
        lambda s: codes.verify_code(
            s, applications.by_token(s, token, lock=True), request.form.get("code", "")
        )
    )
    if not confirmed:
        return _track_page(
            token,
            pick(
                "验证码不正确或已过期，请重试或重新获取。",
                "Wrong or expired code: try again or ask for a new one.",
            ),
            400,
        )
    flash(pick("手机号码已确认。", "Mobile number confirmed."), "success")
    return redirect(url_for("workspace.apply_track", token=token))


def _uploads(row_materials: list[dict[str, Any]]) -> tuple[list[files.Upload], list[str]]:
    """The page's files, each checked (type, first bytes, size): the good ones and, for each refused one, a
    message naming its material and file."""
    good: list[files.Upload] = []
    refused: list[str] = []
    for n, material in enumerate(row_materials):
        for upload in request.files.getlist(f"file-{n}"):
            if not upload.filename:
                continue
            name = display_name(upload.filename)
            try:
                ext, _ = check_upload(upload)
            except UploadRejected as exc:
                refused.append(pick(f"{material['name']}：{exc.zh}", f"{material['name']}: {exc.en}"))
                continue
            good.append(files.Upload(material["name"], name, ALLOWED[ext][0], upload.read()))
    return good, refused


def _refused_text(refused: list[str], stored: int) -> str:
    """The refused files, each named, and how many of the others were stored."""
    kept = (
        pick(f"其余 {stored} 个文件已上传。", f"the other {stored} file(s) were uploaded.") if stored else ""
    )
    return pick("；", "; ").join(refused) + (pick("。", "; ") + kept if kept else "")


@bp.post("/apply/track/<token>/files")
def apply_files(token: str) -> Any:
    """Store the good uploaded materials (those the store accepts: all or none); a refused file is named and
    stops a submit; with ``action=submit`` and nothing refused, submit the application."""
    with services().reading() as s:
        row = _row(s, token)
        materials, phone = applications.item_body(s, row).get("materials", []), row.phone
    uploads, refused = _uploads(materials)
    if uploads:
        try:
            services().run(lambda s: files.add_files(s, applications.by_token(s, token, lock=True), uploads))
        except runner.RunnerError as exc:
            return _track_page(token, user_message(exc), 400)
    if refused:
        return _track_page(token, _refused_text(refused, len(uploads)), 400)
    if request.form.get("action") != "submit":
        flash(pick(f"已上传 {len(uploads)} 个文件。", f"{len(uploads)} file(s) uploaded."), "success")
        return redirect(url_for("workspace.apply_track", token=token))
    if _blocked("submit", phone):
        return _track_page(token, pick(*TOO_MANY), 429)
    try:
        number = services().run(
            lambda s: submission.submit(s, applications.by_token(s, token, lock=True)).number
        )
    except runner.RunnerError as exc:
        return _track_page(token, user_message(exc), 400)
    flash(
        pick(f"申报已提交，申报编号 {number}。请保存本页链接以查看预审结果。",
             f"Submitted as {number}. Keep this page's link to follow the pre-review."),
        "success",
    )  # fmt: skip
    return redirect(url_for("workspace.apply_track", token=token))


@bp.post("/apply/track/<token>/book")
def apply_book(token: str) -> Any:
    """Book the chosen slot, or move the appointment to it."""
    key = request.form.get("slot", "")
    try:
        services().run(lambda s: slots.book(s, applications.by_token(s, token, lock=True), key))
    except runner.RunnerError as exc:
        return _track_page(token, user_message(exc), 409 if isinstance(exc, runner.Conflict) else 400)
    flash(
        pick("预约成功，请按时携带材料原件到窗口办理。", "Booked: come with the originals at that time."),
        "success",
    )
    return redirect(url_for("workspace.apply_track", token=token))


@bp.post("/apply/track/<token>/cancel")
def apply_cancel(token: str) -> Any:
    """Cancel the appointment (before the cut-off)."""
    try:
        services().run(lambda s: slots.cancel(s, applications.by_token(s, token, lock=True)))
    except runner.RunnerError as exc:
        return _track_page(token, user_message(exc), 409 if isinstance(exc, runner.Conflict) else 400)
    flash(pick("预约已取消。", "Appointment cancelled."), "success")
    return redirect(url_for("workspace.apply_track", token=token))


@bp.get("/apply/track/<token>/confirmation")
def apply_confirmation(token: str) -> Any:
    """The printable confirmation: number, item, applicant (masked), booked slot."""
    with services().reading() as s:
        view = _track_view(s, _row(s, token))
        if view["row"].number is None:
            abort(404)
        return render_template("online/confirmation.html", v=view, pick=pick)


@bp.get("/apply/track/<token>/files/<int:file_id>")
def apply_file(token: str, file_id: int) -> Any:
    """One of this application's uploads (never another application's)."""
    with services().reading() as s:
        found = files.file_of(s, _row(s, token), file_id)
        if found is None:
            abort(404)
        content, name, mimetype = found.content, found.filename, found.content_type
    return send_file(BytesIO(content), mimetype=mimetype, as_attachment=True, download_name=name)


@bp.get("/apply/track/<token>/progress")
def apply_progress(token: str) -> Any:
    """The item's progress page, once the counter received the application."""
    with services().transaction() as s:
        instance = counter.catch_up(s, _row(s, token))
        key = instance.business_key if instance is not None else None
    if key is None:
        abort(404)
    remember_progress(key)
    return redirect(url_for("workspace.progress_item", business_key=key))


@bp.get("/apply/results")
def apply_results() -> Any:
    """办理结果公示: finished items, by receipt number, item, result and date only."""
    text = (request.args.get("q") or "").strip()[:100]
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 1000))
    with services().reading() as s:
        rows, more = results.published(s, text=text, page=page)
    return render_template("online/results.html", rows=rows, q=text, page=page, more=more, pick=pick)


register_nav(Label("网上申报", "Apply online"), "workspace.apply_list", anonymous_only=True, order=791)  # type: ignore[arg-type]
register_nav(Label("结果公示", "Results"), "workspace.apply_results", anonymous_only=True, order=792)  # type: ignore[arg-type]

"""The applicant's pages (no login): progress lookup, satisfaction rating, complaints (投诉).

- ``GET/POST /progress``                 look an item up by receipt number + last 4 digits of the phone
- ``GET      /progress/<business_key>``  the item's progress (only after the check, remembered in the session)
- ``POST     /progress/<business_key>/rating``  rate a completed item, once
- ``GET/POST /complaints/new``           register a complaint (public)
- ``GET/POST /complaints/register``      the supervision office registers a complaint (phone, letter …)
- ``GET      /complaints``               the supervision office's list, with the complainants' contacts

Failed lookups are limited per client address (10 in 10 minutes), and so are public complaints (5), counted in
Redis for every web node (``web.rate_limits``).
"""

from __future__ import annotations

from typing import Any, cast

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

import runner
from forms.language import pick, shown_name
from runner.applicants import ratings
from runner.applicants import service as app_runner
from runner.models import Role
from web.auth import client_address, current_user, require_role, services
from web.chrome import register_nav
from web.i18n import user_message
from web.rate_limits import limiter
from workspace.blueprint import bp
from workspace.rating_form import english, rating_form, submit_kwargs

SESSION_KEY = "progress_keys"
REMEMBERED = 5
SUPERVISION_ROLES = (Role.SUPERVISOR, Role.ADMIN)

# the applicant's words for runner.applicants.service.STATUS_LABELS
STATUS_WORDS = {
    "办理中": "In progress",
    "暂停办理": "Suspended",
    "已办结": "Completed",
    "已终止": "Terminated",
}


def client_key() -> str:
    """The client's address (put the app behind ProxyFix when a proxy stands in front of it)."""
    return client_address()


# --- forms -------------------------------------------------------------------------------------------------


class LookupForm(FlaskForm):
    receipt = StringField(
        _l("办件编号"),
        validators=[DataRequired(message=_l("请输入办件编号")), Length(max=64, message=_l("办件编号过长"))],
        description=_l("见受理通知书，例如 2026-000123"),
    )
    phone_suffix = StringField(
        _l("手机号后四位"),
        validators=[
            DataRequired(message=_l("请输入申请时预留手机号的后四位")),
            Regexp(r"^[0-9]{4}$", message=_l("请输入 4 位数字")),
        ],
    )


# the page's words for the stored channel codes (``app_runner.CHANNELS`` keeps the Chinese names for records)
CHANNEL_LABELS = {"on_site": _l("现场"), "phone": _l("电话"), "letter": _l("信函")}


class ComplaintForm(FlaskForm):
    channel = SelectField(
        _l("投诉方式"),
        choices=[SelectChoice(k, CHANNEL_LABELS.get(k, v)) for k, v in app_runner.CHANNELS.items()],
        default="on_site",
        validators=[DataRequired(message=_l("请选择投诉方式"))],
    )
    complainant = StringField(
        _l("投诉人"),
        validators=[
            DataRequired(message=_l("请填写投诉人")),
            Length(max=200, message=_l("投诉人不能超过 200 字")),
        ],
    )
    contact = StringField(
        _l("联系电话"),
        validators=[
            DataRequired(message=_l("请填写联系电话")),
            Regexp(r"^[0-9+()\- ]{5,30}$", message=_l("请填写有效的电话号码")),
        ],
        description=_l("仅督查股可见，为投诉人保密"),
    )
    address = StringField(
        _l("联系地址"), validators=[Optional(), Length(max=400, message=_l("地址不能超过 400 字"))]
    )
    receipt = StringField(
        _l("所投诉办件的办件编号（可不填）"),
        validators=[Optional(), Length(max=64, message=_l("办件编号过长"))],
    )
    content = TextAreaField(
        _l("投诉内容"),
        validators=[
            DataRequired(message=_l("请填写投诉内容")),
            Length(max=5000, message=_l("投诉内容不能超过 5000 字")),
        ],
    )


class StaffComplaintForm(ComplaintForm):
    window = SelectField(_l("被投诉窗口"), choices=[], validators=[Optional()])


# --- progress --------------------------------------------------------------------------------------------


def _remembered() -> list[str]:
    keys = session.get(SESSION_KEY)
    return [k for k in keys if isinstance(k, str)] if isinstance(keys, list) else []


def _remember(business_key: str) -> None:
    keys = [k for k in _remembered() if k != business_key]
    session[SESSION_KEY] = [*keys, business_key][-REMEMBERED:]


def remember_progress(business_key: str) -> None:
    """Let this session see the item's progress page (the owner of an online application's link, issue 18)."""
    _remember(business_key)


@bp.route("/progress", methods=["GET", "POST"])
def progress() -> Any:
    """The lookup form; a match goes to the item's progress page."""
    form = LookupForm()
    error: str | None = None
    status = 200
    if request.method == "POST":
        lookups = limiter("lookup")
        if lookups.blocked(client_key()):
            error, status = _("查询失败次数过多，请 10 分钟后再试。"), 429
        elif form.validate_on_submit():
            receipt = (form.receipt.data or "").strip()
            found = services().run(app_runner.verified_key, receipt, form.phone_suffix.data or "")
            if found is not None:
                _remember(found)
                return redirect(url_for("workspace.progress_item", business_key=found))
            lookups.hit(client_key())
            error, status = _("办件编号或手机号后四位不正确。"), 404
        else:
            status = 400
    return render_template("applicant/lookup.html", form=form, error=error), status


@bp.get("/progress/<business_key>")
def progress_item(business_key: str) -> Any:
    """The progress of an item whose lookup succeeded in this session."""
    if business_key not in _remembered():
        flash(_("请先输入办件编号和手机号后四位查询。"), "warning")
        return redirect(url_for("workspace.progress"))
    view = services().run(app_runner.progress_by_key, business_key)
    if view is None:
        abort(404)
    if view.get("kind") == "complaint":  # the complainant follows the complaint (issue 26)
        return render_template("applicant/complaint_progress.html", c=view)
    view["status"] = pick(view["status"], STATUS_WORDS.get(view["status"], view["status"]))
    form = rating_form(services().run(ratings.home_channel, business_key))
    return render_template("applicant/progress.html", p=view, form=form, en=english())


@bp.post("/progress/<business_key>/rating")
def progress_rating(business_key: str) -> Any:
    """Rate the item on the occasion open now (once per occasion: 一次一评)."""
    if business_key not in _remembered():
        abort(403)
    form = rating_form(services().run(ratings.home_channel, business_key))
    if not form.validate_on_submit():
        view = services().run(app_runner.progress_by_key, business_key)
        if view is None:
            abort(404)
        return render_template("applicant/progress.html", p=view, form=form, en=english()), 400
    occasion = request.form.get("occasion") or "completion"
    try:
        services().run(ratings.rate, business_key, occasion=occasion, **submit_kwargs(form))
    except ratings.RatingExists as exc:
        flash(user_message(exc), "warning")
    except runner.InvalidInput as exc:
        flash(user_message(exc), "error")
    else:
        flash(_("感谢您的评价！"), "success")
    return redirect(url_for("workspace.progress_item", business_key=business_key))


# --- complaints ------------------------------------------------------------------------------------------


def _register(form: ComplaintForm, *, actor: str, window: str | None = None) -> dict[str, Any] | None:
    """Register the complaint of a valid form; a runner refusal becomes an error on its field."""
    try:
        return services().run(
            app_runner.register_complaint,
            channel=form.channel.data or "",
            complainant=form.complainant.data or "",
            contact=form.contact.data or "",
            address=form.address.data or "",
            content=form.content.data or "",
            receipt=form.receipt.data or None,
            window=window,
            actor=actor,
        )
    except runner.InvalidInput as exc:
        field = getattr(form, str(exc.context.get("field") or ""), None)
        message = user_message(exc)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, message]
        else:
            flash(message, "error")
        return None


@bp.route("/complaints/new", methods=["GET", "POST"])
def complaint_new() -> Any:
    """The public complaint form."""
    form = ComplaintForm()
    status = 200
    if request.method == "POST":
        complaints = limiter("complaint")
        if complaints.blocked(client_key()):
            flash(_("提交过于频繁，请稍后再试。"), "error")
            return render_template("applicant/complaint_form.html", form=form, staff=False), 429
        if form.validate_on_submit():
            done = _register(form, actor="applicant")
            if done is not None:
                complaints.hit(client_key())
                return render_template("applicant/complaint_done.html", complaint=done, staff=False)
        status = 400
    return render_template("applicant/complaint_form.html", form=form, staff=False), status


def _window_choices() -> list[SelectChoice]:
    def load(s: Any) -> list[SelectChoice]:
        return [
            SelectChoice(w.code, shown_name(w.name, w.name_en)) for w in runner.list_windows(s) if w.is_active
        ]

    return [SelectChoice("", _("按所投诉办件的主办窗口")), *services().run(load)]


@bp.route("/complaints/register", methods=["GET", "POST"])
@require_role(*SUPERVISION_ROLES)
def complaint_register() -> Any:
    """The supervision office registers a complaint received on site, by phone or by letter."""
    form = StaffComplaintForm()
    form.window.choices = _window_choices()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            done = _register(form, actor=current_user.username, window=form.window.data or None)
            if done is not None:
                flash(_("投诉已登记，编号 %(key)s。", key=done["business_key"]), "success")
                return redirect(url_for("workspace.complaints"))
        status = 400
    return render_template("applicant/complaint_form.html", form=form, staff=True), status


@bp.get("/complaints")
@require_role(*SUPERVISION_ROLES)
def complaints() -> Any:
    """Every complaint with its state and the complainant's contact (supervision office only)."""
    rows = services().run(app_runner.list_complaints)
    return render_template("applicant/complaints.html", rows=rows)


register_nav(cast(str, _l("办件查询")), "workspace.progress", public=True, order=800)
register_nav(cast(str, _l("投诉")), "workspace.complaint_new", public=True, anonymous_only=True, order=810)
register_nav(
    cast(str, _l("投诉管理")), "workspace.complaints", roles=[str(r) for r in SUPERVISION_ROLES], order=300
)

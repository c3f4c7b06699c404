"""The login, logout and 修改密码 pages (blueprint ``web``); who may log in is the provider's answer."""

from __future__ import annotations

from typing import Any, cast

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

import runner
from runner.people import directory
from web.auth import SESSION_GENERATION, client_address, current_user, load_web_user, login_required, services
from web.blueprint import bp
from web.chrome import register_nav
from web.i18n import fresh_session, user_message
from web.providers import provider
from web.request_edge import safe_next


class LoginForm(FlaskForm):
    username = StringField(
        _l("用户名"), validators=[DataRequired(message=_l("请输入用户名")), Length(max=200)]
    )
    password = PasswordField(_l("密码"), validators=[DataRequired(message=_l("请输入密码")), Length(max=200)])


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """The login page; 5 wrong passwords lock the account for 15 minutes."""
    if current_user.is_authenticated:
        return redirect(url_for("workspace.inbox"))
    form = LoginForm()
    error: str | None = None
    status = 200
    if form.validate_on_submit():
        try:
            person = provider().authenticate(
                services(), form.username.data or "", form.password.data or "", address=client_address()
            )
        except directory.AccountLocked as exc:
            error, status = user_message(exc), 429
        except directory.LoginFailed as exc:
            error, status = user_message(exc), 401
        else:
            user = load_web_user(person.username)
            if user is None:  # disabled between the two transactions
                abort(403)
            fresh_session()  # a fresh session id after login (no session fixation); the language stays
            login_user(user)
            session[SESSION_GENERATION] = user.session_generation
            return redirect(safe_next(request.args.get("next")) or url_for("workspace.inbox"))
    elif request.method == "POST":
        status = 400
    return render_template("login.html", form=form, error=error), status


@bp.post("/logout")
@login_required
def logout() -> Any:
    """Log out (a POST with the CSRF token): every session of the user ends, on every web node."""
    services().run(directory.end_sessions, current_user.username, actor=current_user.username)
    logout_user()
    fresh_session()
    flash(_("已退出登录。"), "info")
    return redirect(url_for("web.login"))


class PasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("当前密码"), validators=[DataRequired(message=_l("请输入当前密码")), Length(max=200)]
    )
    new_password = PasswordField(
        _l("新密码"),
        validators=[DataRequired(message=_l("请输入新密码")), Length(max=200)],
        description=_l("至少 8 位"),
    )
    confirm = PasswordField(
        _l("再次输入新密码"),
        validators=[
            DataRequired(message=_l("请再次输入新密码")),
            EqualTo("new_password", message=_l("两次输入的新密码不一致")),
        ],
    )


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password() -> Any:
    """The user changes their own password (the current one required); their other sessions end."""
    if not provider().keeps_passwords:
        abort(404)  # the single sign-on keeps the password
    form = PasswordForm()
    error: str | None = None
    status = 200
    if form.validate_on_submit():
        try:
            person = directory.change_own_password(
                services(),
                current_user.username,
                form.current_password.data or "",
                form.new_password.data or "",
                address=client_address(),
            )
        except directory.AccountLocked as exc:
            error, status = user_message(exc), 429
        except runner.InvalidInput as exc:
            named = str(exc.context.get("field") or "")
            field = getattr(form, "new_password" if named == "password" else named, None)
            if field is not None:
                field.errors = [*field.errors, user_message(exc)]
            else:
                error = user_message(exc)
            status = 400
        else:
            session[SESSION_GENERATION] = person.session_generation  # this session goes on
            flash(_("密码已修改；其他地方的登录已退出。"), "success")
            return redirect(url_for("workspace.inbox"))
    elif request.method == "POST":
        status = 400
    return render_template("password.html", form=form, error=error), status


register_nav(cast(str, _l("登录")), "web.login", anonymous_only=True, order=900)

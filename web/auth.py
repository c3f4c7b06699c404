"""Who is asking: Flask-Login wiring, the request's user, role and window checks, login/logout and password pages.

A session is valid only in the session generation it was opened in (``users.session_generation``, checked on
every request with the user, which is loaded then anyway): logout, a new password, disabling and a change of
roles move the generation on and so end every session of that user on every web node.

Shared with the other workspace modules: ``login_required``, ``current_user``, ``require_role``,
``can_work_on``, ``services``. Every check runs on the server for every request.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import AnonymousUserMixin, LoginManager, login_user, logout_user
from flask_login import current_user as _current_user
from flask_login import login_required as _login_required
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

import runner
from runner.models import Role
from runner.people import directory
from workspace import bp, register_nav

F = TypeVar("F", bound=Callable[..., Any])

login_required = _login_required

login_manager = LoginManager()
login_manager.login_view = "workspace.login"
login_manager.login_message = cast(str, _l("请先登录。"))
login_manager.login_message_category = "warning"
login_manager.session_protection = "basic"


class WebUser:
    """The logged-in person of this request (loaded afresh from the database on every request)."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, person: directory.Person, covered_users: set[str]) -> None:
        self.person = person
        self.id = person.id
        self.username = person.username
        self.display_name = person.display_name
        self.is_active = person.is_active
        self.session_generation = person.session_generation
        self.memberships: frozenset[tuple[str, str]] = person.memberships
        self.windows: set[str] = person.windows
        self.roles: set[str] = person.roles
        self.covered_users: set[str] = covered_users

    def get_id(self) -> str:
        return self.username

    def has_role(self, *roles: str) -> bool:
        """True when the user has one of ``roles`` (at any window)."""
        return bool(self.roles & {str(r) for r in roles})

    def windows_with_role(self, *roles: str) -> set[str]:
        """The windows where the user has one of ``roles``."""
        return self.person.windows_with_role(*(str(r) for r in roles))

    def heads(self, window: str) -> bool:
        """True when the user is a head (窗口负责人) of ``window``."""
        return window in self.windows_with_role(Role.WINDOW_HEAD)

    def __repr__(self) -> str:
        return f"<WebUser {self.username}>"


class Anonymous(AnonymousUserMixin):
    """Not logged in: no windows, no roles, covers nobody."""

    username = ""
    display_name = ""
    windows: set[str] = set()
    roles: set[str] = set()
    covered_users: set[str] = set()
    memberships: frozenset[tuple[str, str]] = frozenset()

    def has_role(self, *roles: str) -> bool:
        return False

    def windows_with_role(self, *roles: str) -> set[str]:
        return set()

    def heads(self, window: str) -> bool:
        return False


login_manager.anonymous_user = Anonymous

# typed alias: the proxy resolves to WebUser (or Anonymous)
current_user: WebUser = cast(WebUser, _current_user)


def services() -> runner.Services:
    """The app's ``runner.Services``."""
    return current_app.extensions["banjian"]  # type: ignore[no-any-return]


def load_web_user(username: str) -> WebUser | None:
    """A ``WebUser`` for ``username`` (None when unknown or disabled)."""
    with services().reading() as s:
        person, covered = directory.identify(s, username)
        if person is None or not person.is_active:
            return None
    return WebUser(person, covered)


SESSION_GENERATION = "_gen"  # the user's session generation when this session was opened (absent: 0)


@login_manager.user_loader
def _load_user(user_id: str) -> WebUser | None:
    user = load_web_user(user_id)
    if user is None or session.get(SESSION_GENERATION, 0) != user.session_generation:
        return None  # disabled, or the session was ended (logout elsewhere, new password, new roles)
    return user


def client_address() -> str:
    """The client's address (put the app behind ProxyFix when a proxy stands in front of it)."""
    return (request.remote_addr or "unknown")[:64]


def require_role(*roles: str) -> Callable[[F], F]:
    """Decorator: logged in and having one of ``roles`` (403 otherwise)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return cast(F, login_required(wrapper))

    return decorate


def can_work_on(task: dict[str, Any]) -> bool:
    """May the current user see and act on ``task`` (a ``runner.items.views.task_view`` dict)?

    Yes when the task's window is one of the user's windows, or the task is assigned to someone the
    user covers today through AB岗 (代班).
    """
    if not current_user.is_authenticated:
        return False
    if task.get("window") and task["window"] in current_user.windows:
        return True
    assignee = task.get("assignee")
    return bool(assignee) and assignee in current_user.covered_users


def acting_for(task: dict[str, Any]) -> str | None:
    """The absent colleague the current user acts for on ``task`` (None when it is their own window's)."""
    if task.get("window") in current_user.windows:
        assignee = task.get("assignee")
        # a task of my window claimed by someone I cover: I still act for them
        if assignee and assignee != current_user.username and assignee in current_user.covered_users:
            return str(assignee)
        return None
    assignee = task.get("assignee")
    return str(assignee) if assignee and assignee in current_user.covered_users else None


def workable_task(session: Any, task_id: str) -> dict[str, Any]:
    """The open task ``task_id`` (``runner.task_details``) if the current user may work on it.

    Raises ``runner.NotFound`` (unknown), ``runner.TaskNotReady`` (already finished) or
    ``runner.PermissionDenied`` (another window's task, not covered through AB岗).
    """
    task = runner.task_details(session, task_id)
    if not can_work_on(task):
        raise runner.PermissionDenied("无权办理其他窗口的任务 (this task belongs to another window)")
    return task


def complete_task(session: Any, task_id: str, data: dict[str, Any]) -> Any:
    """Complete ``task_id`` as the current user, checking the window rule again inside the transaction;
    a backup completing an absent colleague's task acts ``on_behalf_of`` them (named in the audit)."""
    task = workable_task(session, task_id)
    return runner.complete(session, task_id, data, actor=current_user.username, on_behalf_of=acting_for(task))


# ---- pages -------------------------------------------------------------------------------------


class LoginForm(FlaskForm):
    username = StringField(
        _l("用户名"), validators=[DataRequired(message=_l("请输入用户名")), Length(max=200)]
    )
    password = PasswordField(_l("密码"), validators=[DataRequired(message=_l("请输入密码")), Length(max=200)])


def _safe_next(target: str | None) -> str | None:
    """Only same-site relative paths are followed after login (no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


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
            person = directory.login(
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
            session.clear()  # a fresh session id after login (no session fixation)
            login_user(user)
            session[SESSION_GENERATION] = user.session_generation
            return redirect(_safe_next(request.args.get("next")) or url_for("workspace.inbox"))
    elif request.method == "POST":
        status = 400
    return render_template("login.html", form=form, error=error), status


@bp.post("/logout")
@login_required
def logout() -> Any:
    """Log out (a POST with the CSRF token): every session of the user ends, on every web node."""
    services().run(directory.end_sessions, current_user.username, actor=current_user.username)
    logout_user()
    session.clear()
    flash(_("已退出登录。"), "info")
    return redirect(url_for("workspace.login"))


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


def _locale_is_zh() -> bool:
    from flask_babel import get_locale

    locale = get_locale()
    return locale is None or locale.language == "zh"


def _english(message: str) -> str:
    """The English part of a runner message ``中文 (English)``."""
    if message.endswith(")") and " (" in message:
        return message[message.index(" (") + 2 : -1]
    return message


def user_message(exc: runner.RunnerError | str) -> str:
    """A runner error's message in the page language (runner messages read ``中文 (English)``)."""
    message = exc if isinstance(exc, str) else exc.message
    if _locale_is_zh():
        return message[: message.index(" (")] if message.endswith(")") and " (" in message else message
    return _english(message)


register_nav(cast(str, _l("登录")), "workspace.login", anonymous_only=True, order=900)

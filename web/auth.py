"""Who is asking: Flask-Login wiring, the request's user and role checks, the session generation.

A session is valid only in the session generation it was opened in (``users.session_generation``, checked on
every request with the user, which is loaded then anyway): logout, a new password, disabling and a change of
roles move the generation on and so end every session of that user on every web node.

Shared with every web page: ``login_required``, ``current_user``, ``require_role``, ``services``. How a
person proves who they are is the login provider's business (``web.providers``); the pages are in
``web.login_pages``. Every check runs on the server for every request.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort, current_app, request, session
from flask_babel import lazy_gettext as _l
from flask_login import AnonymousUserMixin, LoginManager
from flask_login import current_user as _current_user
from flask_login import login_required as _login_required

import runner
from runner.models import Role
from runner.people import directory

F = TypeVar("F", bound=Callable[..., Any])

login_required = _login_required

login_manager = LoginManager()
login_manager.login_view = "web.login"
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

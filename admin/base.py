"""What every console view shares: who may see it, the database session, CSRF, the audit of actions.

- ``ConsoleView`` (custom pages) and ``ConsoleModelView`` (Flask-Admin lists over ``runner.models``) admit
  only logged-in users having one of ``roles``; others get the login page or 403.
- ``ConsoleModelView`` forms derive from Flask-WTF's ``FlaskForm`` so the app-wide ``CSRFProtect``
  checks them like every other form; lists are read-only unless a view says otherwise.
- ``db_session()`` is a request-scoped SQLAlchemy session for Flask-Admin's lists; actions go through
  ``services().transaction()`` and a ``runner`` function, which writes the audit trail.
- ``HOME_CARDS`` are the front page's tiles: each part of the console registers functions
  ``(session) -> Card | None``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask import session as flask_session
from flask_admin import BaseView
from flask_admin.contrib.sqla import ModelView
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session, scoped_session

import runner
from forms.language import shown_name
from runner import spreadsheet
from runner.models import Role
from web.auth import current_user
from web.i18n import user_message

ADMINS = (Role.ADMIN,)
OVERSEERS = (Role.ADMIN, Role.SUPERVISOR, Role.LEADER)
DESIGNERS = (Role.ADMIN, Role.DESIGNER)


def services() -> runner.Services:
    """The app's ``runner.Services``."""
    return current_app.extensions["banjian"]


def db_session() -> scoped_session[Session]:
    """The app's request-scoped session for Flask-Admin's model lists (removed at the end of a request)."""
    return current_app.extensions["banjian_console_session"]


def window_names() -> dict[str, str]:
    """Window code → name (withdrawn windows too), read once per request: pages name windows, not codes."""
    if "console_window_names" not in g:
        g.console_window_names = {
            w.code: shown_name(w.name, w.name_en) for w in runner.list_windows(db_session())
        }
    names: dict[str, str] = g.console_window_names
    return names


KEPT_KEY = "console_kept_form"
NOT_KEPT = ("password", "csrf_token")


def perform(
    action: Callable[[Session], str | None], *, success: str, back: str, keep: str | None = None
) -> Any:
    """Run ``action(session)`` in one unit of work, flash what happened, go back to ``back``.

    A runner error (``runner.RunnerError``) is shown as a message, never a 500; the transaction rolls back.
    ``keep`` (the form's id) keeps what was typed, passwords aside, for the page to fill in again.
    """
    try:
        with services().transaction() as session:
            note = action(session)
    except runner.RunnerError as exc:
        flash(_("操作未完成：%(message)s", message=user_message(exc)), "error")
        if keep:
            kept = {k: v for k, v in request.form.items() if k not in NOT_KEPT}
            flask_session[KEPT_KEY] = {keep: kept}
    else:
        flash(note or success, "success")
    return redirect(back)


def kept_forms() -> dict[str, dict[str, str]]:
    """What a refused form held (form id → field → value), once: the page after the refusal fills it in."""
    return flask_session.pop(KEPT_KEY, None) or {}


def actor() -> str:
    """The username the audit trail records for a console action."""
    return str(current_user.username)


class _RoleGate:
    """``is_accessible`` by role; the login page for strangers, 403 for the logged-in without the role."""

    roles: tuple[str, ...] = ADMINS

    def is_accessible(self) -> bool:
        return bool(current_user.is_authenticated and current_user.has_role(*self.roles))

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return redirect(url_for("web.login", next=request.full_path))
        abort(403)


class ConsoleView(_RoleGate, BaseView):
    """A custom console page (``@expose`` methods), admitted by ``roles``."""


MAX_PAGE = 1_000_000  # a list page number beyond any real table (offsets stay far below 64-bit)
MAX_PAGE_SIZE = 500  # the most rows one list page shows, whatever ``?page_size=`` asks


class ConsoleModelView(_RoleGate, ModelView):
    """A Flask-Admin list over one table, read-only unless the subclass enables more."""

    form_base_class = FlaskForm
    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = True
    can_export = True
    export_types = ["csv"]
    page_size = 50
    can_set_page_size = True

    def _get_list_extra_args(self) -> Any:
        """Flask-Admin's list arguments with ``page`` and ``page_size`` kept in range: a huge page number
        (``?page=10**30``) overflowed the database's OFFSET and answered 500; it now shows past the last page."""
        args = super()._get_list_extra_args()
        return args.clone(
            page=min(max(args.page or 0, 0), MAX_PAGE),
            page_size=min(max(args.page_size or 0, 0), MAX_PAGE_SIZE),
        )

    def get_export_value(self, model: Any, name: str) -> Any:
        """The cell as the list shows it, never a live spreadsheet formula (``runner.spreadsheet``)."""
        return spreadsheet.safe_cell(super().get_export_value(model, name))


@dataclass(frozen=True)
class Card:
    """A front-page tile: a number or a short text, a level (info / warning / danger) and a link."""

    title: str
    value: str
    level: str = "info"
    url: str | None = None
    note: str = ""


CardSource = Callable[[Session], "Card | Iterable[Card] | None"]
HOME_CARDS: list[tuple[int, CardSource]] = []


def home_card(order: int = 100) -> Callable[[CardSource], CardSource]:
    """Register a front-page tile source (called with a session on every visit of the front page)."""

    def decorate(func: CardSource) -> CardSource:
        if all(f is not func for _, f in HOME_CARDS):
            HOME_CARDS.append((order, func))
            HOME_CARDS.sort(key=lambda pair: pair[0])
        return func

    return decorate

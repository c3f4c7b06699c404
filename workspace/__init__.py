"""The clerk workspace (窗口工作台): inbox, form tasks, notices and the applicant's pages.

One blueprint, ``bp``; every module of this package is imported by ``init_app`` so that its routes
register on it (add a module, its routes appear). ``register_nav`` adds a link to the top bar of
``base.html``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from dataclasses import dataclass

from flask import Blueprint

bp = Blueprint(
    "workspace",
    __name__,
    template_folder="templates",
    static_folder="../web/static",
    static_url_path="/static/forms",
    url_prefix="",
)


@dataclass(frozen=True)
class NavItem:
    """A top-bar link: shown to logged-in users having one of ``roles`` (any user when empty);
    ``public`` links are shown to everybody, ``anonymous_only`` ones only before login."""

    label: str
    endpoint: str
    roles: tuple[str, ...] = ()
    public: bool = False
    anonymous_only: bool = False
    order: int = 100


NAV: list[NavItem] = []


def register_nav(
    label: str,
    endpoint: str,
    *,
    roles: Iterable[str] = (),
    public: bool = False,
    anonymous_only: bool = False,
    order: int = 100,
) -> None:
    """Add a top-bar link (label is a msgid: it is translated when the page is drawn)."""
    item = NavItem(label, endpoint, tuple(str(r) for r in roles), public, anonymous_only, order)
    if all(n.endpoint != endpoint for n in NAV):
        NAV.append(item)
        NAV.sort(key=lambda n: n.order)


def load_modules() -> None:
    """Import every module of the package so that their routes are on ``bp`` (idempotent)."""
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
    for name in ("web.auth", "web.filters", "web.rate_limits"):
        importlib.import_module(name)


load_modules()

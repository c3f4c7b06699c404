"""The console's front page: the tiles every part registered (incidents, overdue items, alarms...)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_admin import AdminIndexView, expose

from admin.base import HOME_CARDS, OVERSEERS, Card, _RoleGate, services


class HomeView(_RoleGate, AdminIndexView):
    """``/admin``: one tile per registered source, in order."""

    roles = OVERSEERS + ("designer",)

    @expose("/")
    def index(self) -> Any:
        cards: list[Card] = []
        with services().transaction() as s:
            for _, source in HOME_CARDS:
                found = source(s)
                if found is None:
                    continue
                cards.extend(
                    [found] if isinstance(found, Card) else list(found if isinstance(found, Iterable) else [])
                )
        return self.render("console/home.html", cards=cards)

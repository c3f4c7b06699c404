"""The front page's monitoring tiles: open incidents, overdue items, timers past due."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from admin.base import OVERSEERS, Card, home_card
from admin.monitoring.incidents import IncidentListView
from admin.monitoring.instances import InstanceListView
from admin.monitoring.timers import TimerListView
from runner.items.monitoring import console_counts
from runner.people.directory import stranded_count
from web.auth import current_user

VIEWS: dict[str, object] = {}  # filled by ``register``: the list views the tiles link to


@home_card(order=10)
def monitoring_cards(session: Session) -> list[Card]:
    """Three tiles; red when something needs an admin (only for those who may open the lists)."""
    if not current_user.has_role(*OVERSEERS):
        return []
    counts = console_counts(session)
    incidents, instances, timers = VIEWS["incidents"], VIEWS["instances"], VIEWS["timers"]
    assert isinstance(incidents, IncidentListView)
    assert isinstance(instances, InstanceListView)
    assert isinstance(timers, TimerListView)
    return [
        Card(
            title=_("未处理故障"),
            value=str(counts["open_incidents"]),
            level="danger" if counts["open_incidents"] else "success",
            url=incidents.quick_filter_url("open"),
            note=_("脚本或表达式出错的办件，修正后可重试"),
        ),
        Card(
            title=_("超期办件"),
            value=str(counts["overdue_items"]),
            level="danger" if counts["overdue_items"] else "success",
            url=instances.quick_filter_url("时限", "overdue"),
            note=_("已过承诺期限、仍在办理的办件"),
        ),
        Card(
            title=_("过期未触发的定时器"),
            value=str(counts["overdue_timers"]),
            level="warning" if counts["overdue_timers"] else "success",
            url=timers.quick_filter_url("overdue"),
            note=_("到期却仍未触发（挂起、停表或任务丢失）"),
        ),
        _stranded_card(session),
    ]


def _stranded_card(session: Session) -> Card:
    """Open tasks held by disabled logins: nobody can work them until an admin 改派s each."""
    count = stranded_count(session)
    return Card(
        title=_("停用人员名下待办"),
        value=str(count),
        level="danger" if count else "success",
        url=url_for("users.stranded"),
        note=_("已停用的人员仍持有的待办任务，请逐项改派"),
    )

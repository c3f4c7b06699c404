"""Console part ``monitoring`` (see admin/__init__.py): what runs and what is wrong with it.

- 监控: 办件 (instances, with the detail page and its actions), 故障 (incidents), 定时器 (timers + sweep),
  网上申报 (online applications and their states);
- 配置: 流程定义 (versions, diagram, XML, deploy, migrate), 工作日调整 (calendar), 用户与窗口;
- front-page tiles: open incidents, overdue items, overdue timers.

Supervisors and leaders may look at everything; only admins change anything (each change a POST with
CSRF, one runner call, one audit entry).
"""

from __future__ import annotations

from typing import Any

from flask_admin import Admin
from flask_babel import lazy_gettext as _l

from runner.models import CalendarOverride, Incident, OnlineApplication, ProcessInstance, Timer


def register(admin: Admin) -> None:
    """Add this part's views to the console."""
    from admin.monitoring import cards
    from admin.monitoring.calendar import CalendarView
    from admin.monitoring.definitions import DefinitionsView
    from admin.monitoring.incidents import IncidentListView
    from admin.monitoring.instance_detail import InstanceView
    from admin.monitoring.instances import INSTANCE_LIST, InstanceListView
    from admin.monitoring.online import OnlineApplicationListView
    from admin.monitoring.timers import TimerListView
    from admin.monitoring.users import UsersView

    assert admin.app is not None
    session = _ConsoleDb(admin.app.extensions["banjian_console_session"])
    watch, setup = _l("监控"), _l("配置")
    instances = InstanceListView(
        ProcessInstance,
        session,
        name=_l("全部办件"),
        category=watch,
        endpoint="instances",
        url="/admin/instances",
    )
    incidents = IncidentListView(
        Incident, session, name=_l("故障"), category=watch, endpoint="incidents", url="/admin/incidents"
    )
    timers = TimerListView(
        Timer, session, name=_l("定时器"), category=watch, endpoint="timers", url="/admin/timers"
    )
    INSTANCE_LIST[:] = [instances]
    cards.VIEWS.update(instances=instances, incidents=incidents, timers=timers)
    admin.add_view(instances)
    admin.add_view(incidents)
    admin.add_view(timers)
    admin.add_view(
        OnlineApplicationListView(
            OnlineApplication,
            session,
            name=_l("网上申报"),
            category=watch,
            endpoint="online",
            url="/admin/online",
        )
    )
    admin.add_view(InstanceView(name=_l("办件详情"), endpoint="instance", url="/admin/instance"))
    admin.add_view(
        DefinitionsView(name=_l("流程定义"), category=setup, endpoint="definitions", url="/admin/definitions")
    )
    admin.add_view(
        CalendarView(
            CalendarOverride,
            session,
            name=_l("工作日调整"),
            category=setup,
            endpoint="calendar",
            url="/admin/calendar",
        )
    )
    admin.add_view(UsersView(name=_l("用户与窗口"), category=setup, endpoint="users", url="/admin/users"))


class _ConsoleDb:
    """The request-scoped session as Flask-Admin 2 wants it: "a db object with ``.session``" (passing a
    session itself is deprecated) that still answers ``query`` and friends like the session."""

    def __init__(self, session: Any) -> None:
        self.session = session

    def __getattr__(self, name: str) -> Any:
        return getattr(self.session, name)

"""定时器: pending timers soonest first, overdue ones marked, the RQ job state beside each, and the sweep."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import g, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import BaseSQLAFilter, FilterEqual
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from admin.base import OVERSEERS, ConsoleModelView, actor, db_session, perform, services
from admin.monitoring import jobs
from admin.monitoring.common import instance_link, local, require_admin, status_badge, timer_name
from runner.core.scheduling import wakeup_states
from runner.items.monitoring import instance_labels, sweep_now
from runner.models import Timer, TimerStatus

DUE_OPTIONS = (("overdue", _l("已过期未触发")), ("hour", _l("1小时内到期")), ("day", _l("24小时内到期")))


class DueFilter(BaseSQLAFilter):
    """到期: already past due (not fired), or due within an hour / a day."""

    def __init__(self) -> None:
        super().__init__(Timer.due_at, _l("到期"), options=DUE_OPTIONS)

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        now = services().now()
        if value == "overdue":
            return query.filter(Timer.due_at < now)
        span = timedelta(hours=1) if value == "hour" else timedelta(days=1)
        return query.filter(Timer.due_at < now + span)

    def validate(self, value: Any) -> bool:
        return value in dict(DUE_OPTIONS)

    def operation(self) -> str:
        return _l("为")


def _instance(m: Timer) -> Markup:
    label = g.get("monitoring_instances", {}).get(m.instance_id, {})
    return Markup("{} {}").format(
        instance_link(m.instance_id, label.get("business_key", str(m.instance_id))),
        status_badge(label.get("status")),
    )


def _due(m: Timer) -> Markup:
    if m.due_at < services().now():
        return Markup('<span class="timer-overdue" data-overdue="yes">{} {}</span>').format(
            local(m.due_at), _("已过期")
        )
    return Markup("{}").format(local(m.due_at))


def _job(m: Timer) -> Markup:
    states: dict[int, str] | None = g.get("monitoring_jobs")
    state = None if states is None else states.get(m.id)
    css = "job-" + (state or "redis-down")
    return Markup('<span class="job-state {}" data-job-state="{}">{}</span>').format(
        css, state or "redis_down", jobs.label(state)
    )


def unarmed_by_year(session: Any) -> list[tuple[int, int]]:
    """(year, how many timers wait for its holiday arrangement), soonest year first."""
    rows = session.execute(
        select(Timer.pending_year, func.count())
        .where(Timer.status == TimerStatus.UNARMED)
        .group_by(Timer.pending_year)
        .order_by(Timer.pending_year)
    )
    return [(int(year), int(n)) for year, n in rows if year is not None]


class TimerListView(ConsoleModelView):
    """``/admin/timers/``: pending timers (the database's truth) with Redis's view of each."""

    roles = OVERSEERS
    can_view_details = False
    can_export = False
    simple_list_pager = True
    list_template = "console/monitoring/timer_list.html"
    column_list = ("instance_id", "name", "kind", "due_at", "enqueued_at", "job")
    column_labels = {
        "instance_id": _l("办件"),
        "name": _l("定时器"),
        "kind": _l("类别"),
        "due_at": _l("到期"),
        "enqueued_at": _l("最近发送"),
        "job": _l("RQ 任务"),
    }
    column_default_sort = ("due_at", False)
    column_sortable_list = ("due_at",)
    column_filters = (
        DueFilter(),
        FilterEqual(Timer.kind, _l("类别"), options=(("bpmn", _l("流程定时事件")), ("rule", _l("预警规则")))),
    )
    column_formatters = {
        "instance_id": lambda v, c, m, n: _instance(m),
        "name": lambda v, c, m, n: timer_name(m.name, m.kind, m.spec_name),
        "kind": lambda v, c, m, n: _("预警规则") if m.kind == "rule" else _("流程"),
        "due_at": lambda v, c, m, n: _due(m),
        "enqueued_at": lambda v, c, m, n: local(m.enqueued_at),
        "job": lambda v, c, m, n: _job(m),
    }

    def get_query(self) -> Any:
        return db_session().query(Timer).filter(Timer.status == TimerStatus.PENDING)

    def render(self, template: str, **kwargs: Any) -> Any:
        """The list also says how many timers are unarmed, waiting for a year's holiday arrangement."""
        if template == self.list_template:
            kwargs["unarmed"] = unarmed_by_year(db_session())
        return super().render(template, **kwargs)

    def get_list(self, *args: Any, **kwargs: Any) -> Any:
        count, rows = super().get_list(*args, **kwargs)
        if isinstance(rows, list):
            g.monitoring_instances = instance_labels(db_session(), [r.instance_id for r in rows])
            g.monitoring_jobs = wakeup_states(services(), [(r.id, r.due_at) for r in rows])
        return count, rows

    def quick_filter_url(self, value: str) -> str:
        for arg, (_index, flt) in (self._filter_args or {}).items():
            if isinstance(flt, DueFilter):
                return url_for(f"{self.endpoint}.index_view", **{f"flt0_{arg}": value})
        raise KeyError(value)

    @expose("/sweep", methods=("POST",))
    def sweep(self) -> Response:
        """Run the sweep now: every due timer without a job in Redis gets one."""
        require_admin()
        return perform(
            lambda s: jobs.describe_sweep(sweep_now(s, actor=actor())),
            success=_("已执行巡检"),
            back=url_for(".index_view"),
        )

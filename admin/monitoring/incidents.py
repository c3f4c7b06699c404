"""故障: instances in error with the message and the failing task; retry after a fix."""

from __future__ import annotations

from typing import Any

from flask import g, request, url_for
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from admin.base import OVERSEERS, ConsoleModelView, db_session
from admin.monitoring.common import instance_link, is_admin, local, status_badge
from runner.items.monitoring import instance_labels
from runner.models import Incident

STATE_OPTIONS = (("open", _l("未处理")), ("resolved", _l("已处理")))


class IncidentStateFilter(BaseSQLAFilter):
    """未处理 (no resolution yet) or 已处理."""

    def __init__(self) -> None:
        super().__init__(Incident.resolved_at, _l("处理情况"), options=STATE_OPTIONS)

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        if value == "open":
            return query.filter(Incident.resolved_at.is_(None))
        return query.filter(Incident.resolved_at.is_not(None))

    def validate(self, value: Any) -> bool:
        return value in dict(STATE_OPTIONS)

    def operation(self) -> str:
        return _l("为")


def _label(m: Incident) -> dict[str, Any]:
    return g.get("monitoring_instances", {}).get(m.instance_id, {})


def _instance(m: Incident) -> Markup:
    label = _label(m)
    return Markup("{} {}").format(
        instance_link(m.instance_id, label.get("business_key", str(m.instance_id))),
        status_badge(label.get("status")),
    )


def _retry(m: Incident) -> Markup:
    if m.resolved_at is not None:
        return Markup('<span class="text-muted">{}</span>').format(
            _("%(who)s 已处理", who=m.resolved_by or "")
        )
    if _label(m).get("status") != "error":
        return Markup("")
    if not is_admin():
        return Markup('<span class="text-danger">{}</span>').format(_("未处理"))
    return Markup(
        '<form method="post" action="{}" class="retry-form">'
        '<input type="hidden" name="csrf_token" value="{}">'
        '<input type="hidden" name="next" value="{}">'
        '<button type="submit" class="btn btn-sm btn-danger">{}</button></form>'
    ).format(
        url_for("instance.retry", instance_id=m.instance_id), generate_csrf(), request.full_path, _("重试")
    )


class IncidentListView(ConsoleModelView):
    """``/admin/incidents/``: newest first; the retry button runs the failed step again."""

    roles = OVERSEERS
    can_view_details = False
    simple_list_pager = True
    list_template = "console/monitoring/incident_list.html"
    column_list = ("instance_id", "task_name", "message", "created_at", "resolved_at")
    column_labels = {
        "instance_id": _l("办件"),
        "task_name": _l("故障任务"),
        "message": _l("信息"),
        "created_at": _l("发生时间"),
        "resolved_at": _l("处理"),
    }
    column_default_sort = ("id", True)
    column_sortable_list = ("created_at",)
    column_filters = (IncidentStateFilter(),)
    column_formatters = {
        "instance_id": lambda v, c, m, n: _instance(m),
        "message": lambda v, c, m, n: Markup('<pre class="incident-message mb-0">{}</pre>').format(m.message),
        "created_at": lambda v, c, m, n: local(m.created_at),
        "resolved_at": lambda v, c, m, n: _retry(m),
    }
    column_formatters_export = {
        "created_at": lambda v, c, m, n: local(m.created_at),
        "resolved_at": lambda v, c, m, n: local(m.resolved_at),
    }

    def get_list(self, *args: Any, **kwargs: Any) -> Any:
        count, rows = super().get_list(*args, **kwargs)
        if isinstance(rows, list):  # not for the export, which streams the query itself
            g.monitoring_instances = instance_labels(db_session(), [r.instance_id for r in rows])
        return count, rows

    def quick_filter_url(self, value: str) -> str:
        """The list filtered on 未处理 / 已处理."""
        arg = next(iter(self._filter_args or {}))
        return url_for(f"{self.endpoint}.index_view", **{f"flt0_{arg}": value})

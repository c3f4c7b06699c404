"""办件列表: every instance, filtered and paged without counting the whole table.

At 100,000 instances the list stays fast because every filter and sort is index-backed (see the
``ix_instance_*`` indexes of ``runner.models.ProcessInstance``), the pager never counts
(``simple_list_pager``), the engine state and the definition's XML are never loaded, and the receipt
number search is a prefix range on the unique index instead of ``LIKE '%…%'``.
"""

from __future__ import annotations

from typing import Any

from flask import g, has_app_context, url_for
from flask_admin.contrib.sqla.filters import FilterEqual, IntEqualFilter
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import defer, lazyload

from admin.base import OVERSEERS, ConsoleModelView, db_session, services
from admin.language import msgid
from admin.monitoring.common import (
    KIND_LABELS,
    STATUS_LABELS,
    instance_link,
    kind_label,
    local,
    status_badge,
    window_label,
)
from admin.monitoring.filters import DeadlineFilter, LocalDateBetweenFilter
from runner.items.monitoring import definition_labels
from runner.models import InstanceStatus, ProcessDefinition, ProcessInstance, Window
from runner.people.directory import stranded_count
from runner.timekeeping.calendar import is_late


def _definition_keys() -> list[tuple[str, str]]:
    if not has_app_context():  # Flask-Admin reads options once at start-up; they are refreshed per request
        return []
    rows = db_session().execute(
        select(ProcessDefinition.key, ProcessDefinition.name).order_by(ProcessDefinition.key)
    )
    seen: dict[str, str] = {}
    for key, name in rows:
        seen[key] = f"{key} · {name}"
    return list(seen.items())


def _definition_versions() -> list[tuple[str, str]]:
    if not has_app_context():
        return []
    labels = definition_labels(db_session())
    return sorted(((str(i), label) for i, label in labels.items()), key=lambda pair: pair[1])


def _windows() -> list[tuple[str, str]]:
    if not has_app_context():
        return []
    return [
        (w.code, f"{w.code} · {w.name}") for w in db_session().scalars(select(Window).order_by(Window.code))
    ]


def _labels() -> dict[int, str]:
    if "monitoring_definitions" not in g:
        g.monitoring_definitions = definition_labels(db_session())
    return g.monitoring_definitions


class InstanceListView(ConsoleModelView):
    """``/admin/instances/``: filters on item, kind, version, status, lead window, deadline, start days."""

    roles = OVERSEERS
    can_view_details = False  # the detail page is ``instance.detail``
    can_export = False
    simple_list_pager = True
    page_size = 50
    list_template = "console/monitoring/instance_list.html"
    column_list = (
        "business_key",
        "title",
        "definition_id",
        "item_kind",
        "lead_window",
        "status",
        "started_at",
        "deadline",
        "applicant",
    )
    column_labels = {
        "business_key": _l("办件编号"),
        "title": _l("服务事项"),
        "definition_id": _l("流程版本"),
        "item_kind": _l("类型"),
        "lead_window": _l("主办窗口"),
        "status": _l("状态"),
        "started_at": _l("受理时间"),
        "deadline": _l("承诺期限"),
        "applicant": _l("申请人"),
    }
    column_sortable_list = ("business_key", "started_at", "deadline")
    column_default_sort = ("id", True)
    column_searchable_list = ("business_key",)
    column_filters = (
        FilterEqual(ProcessInstance.definition_key, _l("服务事项"), options=_definition_keys),
        FilterEqual(ProcessInstance.item_kind, _l("类型"), options=tuple(KIND_LABELS.items())),
        IntEqualFilter(ProcessInstance.definition_id, _l("流程版本"), options=_definition_versions),
        FilterEqual(
            ProcessInstance.status,
            _l("状态"),
            options=tuple((s.value, STATUS_LABELS[s.value]) for s in InstanceStatus),
        ),
        FilterEqual(ProcessInstance.lead_window, _l("主办窗口"), options=_windows),
        DeadlineFilter(_l("时限")),
        LocalDateBetweenFilter(ProcessInstance.started_at, _l("受理日期")),
    )
    column_formatters = {
        "business_key": lambda v, c, m, n: instance_link(m.id, m.business_key),
        "definition_id": lambda v, c, m, n: _labels().get(m.definition_id, str(m.definition_id)),
        "item_kind": lambda v, c, m, n: kind_label(m.item_kind),
        "lead_window": lambda v, c, m, n: window_label(m.lead_window),
        "status": lambda v, c, m, n: status_badge(m.status),
        "started_at": lambda v, c, m, n: local(m.started_at),
        "deadline": lambda v, c, m, n: _deadline(m),
    }

    def _get_filter_groups(self) -> Any:
        """The filter choices read afresh on every request (new definitions, versions and windows)."""
        groups = super()._get_filter_groups()
        for items in (groups or {}).values():
            for item in items:
                options = self._filters[item["index"]].options if self._filters else None
                if callable(options):
                    item["options"] = [(k, str(v)) for k, v in options()]
        return groups

    def get_query(self) -> Any:
        # the list never needs the engine state nor the definition's XML (a joined eager load by default)
        return (
            db_session()
            .query(ProcessInstance)
            .options(lazyload(ProcessInstance.definition), defer(ProcessInstance.state))
        )

    def _apply_search(
        self, query: Any, count_query: Any, joins: Any, count_joins: Any, search: str
    ) -> tuple[Any, Any, Any, Any]:
        """Receipt number search: a prefix range on the unique index (``2026-0001`` finds ``2026-000123``)."""
        term = search.strip()
        if term:
            query = query.filter(
                ProcessInstance.business_key >= term, ProcessInstance.business_key < term + "\uffff"
            )
        return query, count_query, joins, count_joins

    def stranded_count(self) -> int:
        """How many open tasks disabled users still hold (the notice above the list)."""
        return stranded_count(db_session())

    def quick_filter_url(self, name: str, value: str) -> str:
        """The list URL with only the filter named ``name`` set to ``value`` (for the quick links)."""
        for arg, (_index, flt) in (self._filter_args or {}).items():
            if name in (str(flt.name), msgid(flt.name)):
                return url_for(f"{self.endpoint}.index_view", **{f"flt0_{arg}": value})
        raise KeyError(name)


def _deadline(m: ProcessInstance) -> Markup:
    text = local(m.deadline)
    running = m.status in ("running", "waiting", "error") and m.paused_since is None
    if running and m.deadline is not None and is_late(services().now(), m.deadline):
        return Markup('<span class="text-danger font-weight-bold overdue">{} {}</span>').format(
            text, _("超期")
        )
    if m.paused_since is not None:
        return Markup('{} <span class="badge badge-light">{}</span>').format(text, _("停表"))
    return Markup("{}").format(text)


INSTANCE_LIST: list[InstanceListView] = []  # the registered list view (for links from other pages)


def instances_url(filter_name: str, value: str) -> str:
    """A link to the instance list filtered on one filter (e.g. ``("流程版本", "3")``)."""
    return INSTANCE_LIST[0].quick_filter_url(filter_name, value)

"""预警: the stored supervision warnings (提示/黄牌/红牌/超期), open or answered (纠错回告), with filters and CSV."""

from __future__ import annotations

from typing import Any

from flask import g, url_for
from flask_admin.contrib.sqla.filters import (
    BaseSQLAFilter,
    DateTimeBetweenFilter,
    FilterEqual,
    FilterLike,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from admin.base import OVERSEERS, ConsoleModelView, db_session, window_names
from admin.supervision.common import LEVEL_COLOURS, LEVEL_LABELS, RequestSessionMixin
from forms.language import pick
from runner.items.labels import warning_rule
from runner.items.monitoring import instance_labels
from runner.models import WarningEvent
from web.filters import localtime

STATE_OPTIONS = (("open", _l("未回告")), ("answered", _l("已回告")))


class AnsweredFilter(BaseSQLAFilter):
    """状态: open (no 纠错回告 yet) or answered."""

    def __init__(self) -> None:
        super().__init__(WarningEvent.acknowledged_at, _l("回告状态"), options=STATE_OPTIONS)

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        column = WarningEvent.acknowledged_at
        return query.filter(column.is_(None) if value == "open" else column.is_not(None))

    def validate(self, value: Any) -> bool:
        return value in dict(STATE_OPTIONS)

    def operation(self) -> str:
        return _l("为")


def _level(m: WarningEvent) -> Markup:
    return Markup('<span class="badge badge-{}" data-level="{}">{}</span>').format(
        LEVEL_COLOURS.get(m.level, "light"), m.level, LEVEL_LABELS.get(m.level, m.level)
    )


def _rule(m: WarningEvent) -> str:
    """What raised the warning, in words of the page's language."""
    return pick(warning_rule(m.rule), warning_rule(m.rule, english=True))


def _item(m: WarningEvent) -> Markup:
    if m.instance_id is None:  # a 预审 warning of an online application (the message names it)
        return Markup("{}").format(m.task_name or "")
    label = g.get("supervision_instances", {}).get(m.instance_id, {})
    key = label.get("business_key", str(m.instance_id))
    return Markup('<a href="{}">{}</a> {}').format(
        url_for("instance.detail", instance_id=m.instance_id), key, label.get("title", "")
    )


def _window(m: WarningEvent) -> Markup:
    """The window by its name (its code on hover)."""
    if not m.window:
        return Markup("—")
    return Markup('<span title="{}">{}</span>').format(m.window, window_names().get(m.window, m.window))


def _message(m: WarningEvent) -> str:
    """The warning's words in the page's language (an older warning without English: its Chinese)."""
    return pick(m.message, m.message_en)


def _state(m: WarningEvent) -> Markup:
    if m.acknowledged_at is None:
        return Markup('<span class="badge badge-danger" data-state="open">{}</span>').format(_("未回告"))
    return Markup(
        '<span class="badge badge-success" data-state="answered">{}</span><div class="small">{} {}</div>'
    ).format(_("已回告"), m.acknowledged_by or "", localtime(m.acknowledged_at))


class WarningListView(RequestSessionMixin, ConsoleModelView):
    """``/admin/supervision/warnings/``: newest first; the supervision office follows up the open ones."""

    roles = OVERSEERS
    can_view_details = True
    list_template = "console/supervision/warning_list.html"
    column_list = (
        "created_at",
        "level",
        "window",
        "instance_id",
        "task_name",
        "clerk",
        "message",
        "state",
        "reply",
    )
    column_details_list = (
        "id", "created_at", "level", "rule", "window", "instance_id", "task_name", "clerk", "message",
        "acknowledged_at", "acknowledged_by", "reply",
    )  # fmt: skip
    column_export_list = (
        "id", "created_at", "level", "rule", "window", "instance_id", "task_name", "clerk", "message",
        "acknowledged_at", "acknowledged_by", "reply",
    )  # fmt: skip
    column_labels = {
        "id": _l("编号"), "created_at": _l("预警时间"), "level": _l("级别"), "rule": _l("规则"), "window": _l("窗口"),
        "instance_id": _l("办件"), "task_name": _l("环节"), "clerk": _l("承办人"), "message": _l("内容"), "state": _l("回告"),
        "acknowledged_at": _l("回告时间"), "acknowledged_by": _l("回告人"), "reply": _l("回告内容"),
    }  # fmt: skip
    column_default_sort = ("created_at", True)
    column_sortable_list = ("created_at", "level", "window")
    column_filters = (
        AnsweredFilter(),
        FilterEqual(WarningEvent.level, _l("级别"), options=tuple(LEVEL_LABELS.items())),
        FilterEqual(WarningEvent.window, _l("窗口")),
        DateTimeBetweenFilter(WarningEvent.created_at, _l("预警时间")),
        FilterLike(WarningEvent.message, _l("内容")),
    )
    column_formatters = {
        "created_at": lambda v, c, m, n: localtime(m.created_at),
        "level": lambda v, c, m, n: _level(m),
        "rule": lambda v, c, m, n: _rule(m),
        "instance_id": lambda v, c, m, n: _item(m),
        "window": lambda v, c, m, n: _window(m),
        "message": lambda v, c, m, n: _message(m),
        "state": lambda v, c, m, n: _state(m),
        "acknowledged_at": lambda v, c, m, n: localtime(m.acknowledged_at),
    }
    column_formatters_export = {
        "created_at": lambda v, c, m, n: localtime(m.created_at),
        "level": lambda v, c, m, n: LEVEL_LABELS.get(m.level, m.level),
        "rule": lambda v, c, m, n: _rule(m),
        "window": lambda v, c, m, n: window_names().get(m.window or "", m.window or ""),
        "message": lambda v, c, m, n: _message(m),
        "acknowledged_at": lambda v, c, m, n: localtime(m.acknowledged_at),
    }

    def get_list(self, *args: Any, **kwargs: Any) -> Any:
        count, rows = super().get_list(*args, **kwargs)
        if isinstance(rows, list):
            g.supervision_instances = instance_labels(db_session(), [r.instance_id for r in rows])
        return count, rows

    def state_url(self, value: str) -> str:
        """The list filtered to open (``open``) or answered (``answered``) warnings."""
        for arg, (_index, flt) in (self._filter_args or {}).items():
            if isinstance(flt, AnsweredFilter):
                return url_for(f"{self.endpoint}.index_view", **{f"flt0_{arg}": value})
        raise KeyError(value)

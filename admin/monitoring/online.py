"""网上申报: the online applications and where each stands (草稿、待预审、预审退回、预审通过、已预约、窗口已收件、已办结、
已过期), with the 预审 limit, the rounds of submission, missed appointments and the item it became."""

from __future__ import annotations

from flask_admin.contrib.sqla.filters import FilterEqual, FilterLike
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from admin.base import OVERSEERS, ConsoleModelView
from admin.monitoring.common import instance_link, local, when
from forms.language import pick
from runner.models import OnlineApplication
from runner.online.applications import STATE_WORDS


def _word(state: str) -> str:
    return pick(*STATE_WORDS.get(state, (state, state)))


def _state(m: OnlineApplication) -> Markup:
    return Markup('<span class="badge badge-light" data-state="{}">{}</span>').format(m.state, _word(m.state))


def _item(m: OnlineApplication) -> Markup:
    return instance_link(m.instance_id, pick("办件", "Item")) if m.instance_id else Markup("—")


class OnlineApplicationListView(ConsoleModelView):
    """``/admin/online/``: newest first, filtered by state, window or item."""

    roles = OVERSEERS
    column_list = (
        "number", "item_code", "window", "state", "applicant_name", "submissions", "review_due", "no_shows",
        "instance_id", "updated_at",
    )  # fmt: skip
    column_details_list = (
        "id", "number", "item_code", "item_version", "window", "state", "applicant_type", "applicant_name",
        "submissions", "reasons", "reviewed_by", "reviewed_at", "review_due", "no_shows", "instance_id",
        "received_by", "received_at", "created_at", "updated_at",
    )  # fmt: skip
    column_export_list = column_list
    column_labels = {
        "id": _l("编号"),
        "number": _l("申报编号"),
        "item_code": _l("事项编码"),
        "item_version": _l("事项版本"),
        "window": _l("窗口"),
        "state": _l("状态"),
        "applicant_type": _l("申请人类型"),
        "applicant_name": _l("申请人"),
        "submissions": _l("提交次数"),
        "reasons": _l("退回理由"),
        "reviewed_by": _l("预审人"),
        "reviewed_at": _l("预审时间"),
        "review_due": _l("预审期限"),
        "no_shows": _l("预约未到"),
        "instance_id": _l("办件"),
        "received_by": _l("收件人"),
        "received_at": _l("收件时间"),
        "created_at": _l("创建时间"),
        "updated_at": _l("更新时间"),
    }
    column_default_sort = ("updated_at", True)
    column_sortable_list = ("number", "state", "window", "review_due", "updated_at")
    column_filters = (
        FilterEqual(
            OnlineApplication.state, _l("状态"), options=tuple((k, LazyString(_word, k)) for k in STATE_WORDS)
        ),
        FilterEqual(OnlineApplication.window, _l("窗口")),
        FilterLike(OnlineApplication.item_code, _l("事项编码")),
        FilterLike(OnlineApplication.number, _l("申报编号")),
    )
    column_formatters = {
        "state": lambda v, c, m, n: _state(m),
        "instance_id": lambda v, c, m, n: _item(m),
        "review_due": lambda v, c, m, n: when(m.review_due, m.review_due_pending_year),
        "reviewed_at": lambda v, c, m, n: local(m.reviewed_at),
        "received_at": lambda v, c, m, n: local(m.received_at),
        "created_at": lambda v, c, m, n: local(m.created_at),
        "updated_at": lambda v, c, m, n: local(m.updated_at),
    }
    column_formatters_export = {
        "state": lambda v, c, m, n: _word(m.state),
        "review_due": lambda v, c, m, n: when(m.review_due, m.review_due_pending_year),
        "updated_at": lambda v, c, m, n: local(m.updated_at),
    }

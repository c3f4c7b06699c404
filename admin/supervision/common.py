"""What the supervision pages share: the period filter, labels, CSV responses, runner errors as messages."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from flask import Response, abort, flash, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy.orm import Session

import runner
from admin.base import db_session, services
from admin.language import runner_word
from runner import spreadsheet
from runner.applicants.rating_scale import LEVELS
from runner.models import Window
from runner.supervision import statistics
from web import request_edge
from web.filters import localtime
from web.i18n import Label, user_message

LEVEL_LABELS = {
    "notice": _l("提示"),
    "yellow": _l("黄牌"),
    "red": _l("红牌"),
    "overdue": _l("超期"),
    "escalation": _l("督办"),
}
LEVEL_COLOURS = {
    "notice": "info",
    "yellow": "warning",
    "red": "danger",
    "overdue": "danger",
    "escalation": "dark",
}
RATING_LABELS = {code: Label(*names) for code, names in LEVELS.items()}  # the national five levels
COMPLAINT_LABELS = {
    "registered": _l("已登记"),
    "forwarded": _l("已转办"),
    "answered": _l("窗口已答复"),
    "fed_back": _l("已反馈投诉人"),
    "closed": _l("已回访办结"),
}
DEEMED_RULES = {
    "timeout": _l("超时未答复"),
    "absent": _l("缺席"),
    "refused": _l("拒绝参与"),
    "no_reason": _l("不同意未说明理由"),
}


@dataclass(frozen=True)
class Table:
    """One table of a page, rendered as HTML and exported as CSV from the same rows."""

    name: str
    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Any]]


def today(session: Session) -> date:
    """The centre's local date on the platform clock."""
    from runner.timekeeping.deadlines import calendar

    return calendar(session).local_date(services().now())


def parse_date(text: str, field: str) -> date:
    text = text.strip()
    try:
        if len(text) == 7:  # YYYY-MM from a month picker
            return date.fromisoformat(text + "-01")
        return date.fromisoformat(text)
    except ValueError:
        raise runner.InvalidInput(
            f"日期格式应为 YYYY-MM-DD ({field}: {text!r} is not a date)", field=field
        ) from None


def period_from_request(session: Session) -> tuple[statistics.Period, str | None]:
    """The period and window of the query string (``kind``, ``date``, ``start``, ``end``, ``window``).

    A bad value is flashed and the current month (or every window) is used instead, so that a page always
    shows something.
    """
    args = request.args
    kind = args.get("kind") or "month"
    window = known_window(session, args.get("window"))
    try:
        if kind == "range":
            p = statistics.period(
                "range", parse_date(args.get("start", ""), "start"), parse_date(args.get("end", ""), "end")
            )
        else:
            ref = args.get("date") or ""
            p = statistics.period(kind, parse_date(ref, "date") if ref else today(session))
    except runner.InvalidInput as exc:
        flash(_("筛选条件有误，已显示本月：%(message)s", message=user_message(exc)), "error")
        p = statistics.period("month", today(session))
    return p, window


def known_window(session: Session, text: str | None) -> str | None:
    """The window code of a query argument; an unknown one is flashed and dropped (every window is shown)."""
    window = (text or "").strip() or None
    if window is not None and session.get(Window, window) is None:
        flash(_("没有这个窗口 %(window)s，已显示全部窗口", window=window), "error")
        return None
    return window


def filter_args(p: statistics.Period, window: str | None) -> dict[str, str]:
    """Query arguments that reproduce the period and window (for export and print links)."""
    args = {"kind": p.kind}
    if p.kind == "range":
        args.update(start=p.start.isoformat(), end=p.end.isoformat())
    else:
        args["date"] = p.start.isoformat()
    if window:
        args["window"] = window
    return args


@dataclass(frozen=True)
class Link:
    """A cell that links to a download (a 记分录入 file): a link on the page, its text in the CSV."""

    text: str
    url: str


def cell(value: Any) -> str:
    """A value as table text: times in the centre's zone, rates as percentages, None as empty, links."""
    if isinstance(value, Link):
        return Markup('<a class="entry-file" href="{}">{}</a>').format(value.url, value.text)
    return csv_cell(value)


def csv_cell(value: Any) -> str:
    """A value as CSV text (a link: its text)."""
    if isinstance(value, Link):
        return value.text
    value = runner_word(value)
    if value is None:
        return ""
    if isinstance(value, datetime):
        return localtime(value)
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def rate(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def csv_response(table: Table, stem: str) -> Response:
    """The table as a UTF-8 CSV download (with a BOM so that spreadsheet programs read the Chinese)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = spreadsheet.writer(buffer)  # no cell starts a formula
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow([csv_cell(v) for v in row])
    name = f"{stem}-{table.name}.csv"
    # HTTP headers are Latin-1: an ASCII name for old clients, the Chinese one per RFC 6266 / 5987
    ascii_name = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "_" for ch in name)
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
        },
    )


def find_table(tables: Iterable[Table], name: str) -> Table | None:
    return next((t for t in tables if t.name == name), None)


def table_csv(tables: Iterable[Table], name: str, title: str, period: statistics.Period) -> Response:
    """The page's table ``name`` as a CSV download named by ``title`` and the period; 404 for an unknown one."""
    found = find_table(tables, name)
    if found is None:
        abort(404)
    return csv_response(found, f"{title}-{period.start.isoformat()}-{period.end.isoformat()}")


def local_back(value: str | None, default: str) -> str:
    """Where to go after a POST: a path of this site only (never another host)."""
    return request_edge.safe_next((value or "").strip()) or default  # the workspace's one check


class RequestSessionMixin:
    """Flask-Admin list views read through the console's request-scoped session (``db_session()``).

    The views are built with an object whose ``.session`` is that scoped session (Flask-Admin 2 deprecates
    passing the session itself), so the three reading methods ask for it explicitly.
    """

    model: Any

    def get_query(self) -> Any:
        return db_session().query(self.model)

    def get_count_query(self) -> Any:
        from sqlalchemy import func

        return db_session().query(func.count("*")).select_from(self.model)

    def get_one(self, id: Any) -> Any:  # noqa: A002 - Flask-Admin's signature
        return db_session().get(self.model, id)

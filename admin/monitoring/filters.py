"""Filters of the instance list that the plain column filters cannot express (all index-backed)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_admin.contrib.sqla.filters import BaseSQLAFilter, DateBetweenFilter
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, select

from admin.base import services
from runner.exceptions import CalendarDataMissing
from runner.items.monitoring import overdue_clause
from runner.models import ACTIVE_STATUSES, ProcessInstance, WarningEvent
from runner.timekeeping.calendar import calendar_for, past_deadline_clause

DEADLINE = _l("时限")
DEADLINE_OPTIONS = (
    ("overdue", _l("已超期")),
    ("due_soon", _l("下一工作日内到期")),
    ("warned", _l("有预警")),
    ("pending", _l("期限待定（待节假日安排）")),
)


def _next_workday_over(now: datetime) -> datetime:
    """When the working day after today is over (deadlines up to its end are due soon); a day past the known
    holiday calendar: the end of tomorrow."""
    with services().transaction() as session:
        cal = calendar_for(session, services().settings.timezone)
    today = cal.local_date(now)
    try:
        return cal.day_over_at(cal.add_workdays(today, 1))
    except CalendarDataMissing:
        return cal.day_over_at(today + timedelta(days=1))


class DeadlineFilter(BaseSQLAFilter):
    """时限: overdue (past the promised deadline, clock running), due by the end of the next working day (the
    提示 warning's days: today's or the next working day's deadline), warned (a stored warning), or pending (a
    deadline waits for a year's holiday arrangement)."""

    def __init__(self, name: Any = DEADLINE) -> None:
        super().__init__(ProcessInstance.deadline, name, options=DEADLINE_OPTIONS)

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        now = services().now()
        if value == "overdue":
            return query.filter(overdue_clause(now))
        if value == "due_soon":
            return query.filter(
                ProcessInstance.status.in_([str(s) for s in ACTIVE_STATUSES]),
                ~past_deadline_clause(ProcessInstance.deadline, now),
                ProcessInstance.deadline < _next_workday_over(now),
            )
        if value == "pending":
            return query.filter(
                ProcessInstance.deadline_pending_year.is_not(None)
                | ProcessInstance.statutory_pending_year.is_not(None)
            )
        if value == "warned":
            return query.filter(
                exists(select(WarningEvent.id).where(WarningEvent.instance_id == ProcessInstance.id))
            )
        return query

    def validate(self, value: Any) -> bool:
        return value in dict(DEADLINE_OPTIONS)

    def operation(self) -> str:
        return _l("为")


class LocalDateBetweenFilter(DateBetweenFilter):
    """Between two local calendar days (inclusive), compared in UTC against an aware datetime column."""

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        start, end = value
        zone = ZoneInfo(services().settings.timezone)
        low = datetime.combine(start, time.min, zone)
        high = datetime.combine(end + timedelta(days=1), time.min, zone)
        column = self.get_column(alias)
        return query.filter(and_(column >= low, column < high))

    def operation(self) -> str:
        return _l("介于")

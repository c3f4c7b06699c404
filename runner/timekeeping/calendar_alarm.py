"""The alarm that a year's holiday arrangement is missing: from a configurable day of the year
(``BANJIAN_CALENDAR_ALARM_FROM``, default 11-01) until next year is known, and at once for the current year.

The console's front page and the admins' inbox show it while it lasts (``current_alarm``). The admins are told
once per missing year (``watch``, run by the worker's periodic sweep): a ``CalendarAlert`` row remembers it,
and is cleared when the year becomes known.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from runner.core import audit
from runner.core.transaction import services_of
from runner.models import CalendarAlert, Membership, Role, User


def current_alarm(session: Session) -> dict[str, Any] | None:
    """The missing year and the alarm text for today, or None."""
    from runner.timekeeping.deadlines import calendar

    cal = calendar(session)
    settings = services_of(session).settings
    today = cal.local_date(services_of(session).now())
    year = cal.missing_year(today, settings.alarm_from())
    if year is None:
        return None
    message = cal.horizon_alarm(today, settings.alarm_from()) or ""
    chinese, _, english = message.partition(" / ")
    return {
        "year": year,
        "message": message,  # both languages (notifications, logs)
        "message_zh": chinese,
        "message_en": english,
        "current": year == today.year,
    }


def admins(session: Session) -> list[str]:
    """Usernames of the active administrators."""
    return sorted(
        set(
            session.scalars(
                select(User.username)
                .join(Membership, Membership.user_id == User.id)
                .where(Membership.role == Role.ADMIN, User.is_active.is_(True))
            )
        )
    )


def watch(session: Session) -> dict[str, Any] | None:
    """Raise the alarm once for a missing year (a notification to every admin, audited); clear alerts of years
    that became known. Returns the alarm raised now, if any."""
    from runner.items.operations import notify
    from runner.timekeeping.deadlines import calendar

    cal = calendar(session)
    now = services_of(session).now()
    for alert in session.scalars(select(CalendarAlert).where(CalendarAlert.cleared_at.is_(None))):
        if cal.supports_year(alert.year):
            alert.cleared_at = now
    alarm = current_alarm(session)
    if alarm is None or session.get(CalendarAlert, alarm["year"]) is not None:
        return None
    session.add(CalendarAlert(year=alarm["year"], raised_at=now))
    recipients = admins(session)
    for username in recipients:
        notify(
            session, "calendar_missing", alarm["message_zh"], english=alarm["message_en"], to_user=username
        )
    audit.record(session, "calendar_alarm", actor="system", year=alarm["year"], told=recipients)
    return alarm


def clear_alert(session: Session, year: int) -> None:
    """The year is known now (its arrangement was imported)."""
    alert = session.get(CalendarAlert, year)
    if alert is not None and alert.cleared_at is None:
        alert.cleared_at = services_of(session).now()

"""The supervision tiles of the console's front page: open warnings, open appeals, the calendar alarm."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import runner
from admin.base import Card, home_card
from forms.language import pick
from runner.models import WarningEvent
from runner.supervision import assessment

VIEWS: dict[str, object] = {}  # filled by ``register``: the views the tiles link to


@home_card(order=5)
def calendar_card(session: Session) -> Card | None:
    """Red while this year's holiday arrangement is missing; amber from the alarm day (1 November) until next
    year's is known (imported, or in chinesecalendar) — not until 365 days are entered one by one."""
    alarm = runner.calendar_alarm(session)
    if alarm is None:
        return None
    url = None
    if "calendar" in _endpoints():
        url = url_for("calendar.import_year") if _is_admin() else url_for("calendar.index_view")
    return Card(
        title=_("节假日数据告警"),
        value=_("%(year)s 年节假日安排未录入", year=alarm["year"]),
        level="danger" if alarm["current"] else "warning",
        url=url,
        note=pick(alarm["message_zh"], alarm["message_en"]),
    )


def _is_admin() -> bool:
    from web.auth import current_user

    return bool(current_user.has_role("admin"))


@home_card(order=30)
def supervision_cards(session: Session) -> list[Card]:
    """Open warnings (no 纠错回告 yet) and appeals waiting for a decision."""
    open_warnings = int(
        session.scalar(
            select(func.count()).select_from(WarningEvent).where(WarningEvent.acknowledged_at.is_(None))
        )
        or 0
    )
    appeals = assessment.open_appeal_count(session)
    warnings_view = VIEWS.get("warnings")
    return [
        Card(
            title=_("未回告预警"),
            value=str(open_warnings),
            level="warning" if open_warnings else "success",
            url=warnings_view.state_url("open") if warnings_view is not None else None,  # type: ignore[attr-defined]
            note=_("提示、黄牌、红牌等预警中，承办窗口尚未纠错回告的"),
        ),
        Card(
            title=_("待裁决申诉"),
            value=str(appeals),
            level="warning" if appeals else "success",
            url=url_for("supervision_assessment.index"),
            note=_("窗口对考核扣分的申诉，由督查股裁决"),
        ),
    ]


def _endpoints() -> set[str]:
    from flask import current_app

    return {rule.endpoint.split(".")[0] for rule in current_app.url_map.iter_rules()}

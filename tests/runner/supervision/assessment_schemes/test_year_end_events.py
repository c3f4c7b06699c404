"""考核 events across the year end with no 2027 arrangement entered (then one imported)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from runner.models import WarningEvent
from runner.supervision.assessment_schemes import events
from tests.support.year_end import import_2027, needs_2027

pytestmark = pytest.mark.skipif(not needs_2027(), reason="chinesecalendar knows 2027")
SH = ZoneInfo("Asia/Shanghai")


def december(now: datetime) -> events.Period:
    lo = datetime(2026, 12, 1, tzinfo=SH)
    return events.Period(date(2026, 12, 1), date(2026, 12, 31), lo, datetime(2027, 1, 1, tzinfo=SH), now)


def test_a_yellow_card_of_the_last_working_day_waits_for_the_next_years_arrangement(services, clock):
    """Its reply is due the next working day, in 2027: December's 考核 does not fail (nor count it), and once
    2027 is known the reply day lies in January, outside December."""
    created = datetime(2026, 12, 31, 23, 30, tzinfo=SH)
    with services.transaction() as s:
        s.add(WarningEvent(window="shichang", clerk="clerk_sc", rule="yellow", level="yellow", message="黄牌",
                           created_at=created))  # fmt: skip
    now = datetime(2027, 1, 10, 9, 0, tzinfo=SH)
    clock.set(now)
    with services.transaction() as s:
        assert events.read(s, december(now), {"unanswered_warning"}) == []
    import_2027(services)
    with services.transaction() as s:
        assert events.read(s, december(now), {"unanswered_warning"}) == []
        jan = events.Period(date(2027, 1, 1), date(2027, 1, 31), datetime(2027, 1, 1, tzinfo=SH),
                            datetime(2027, 2, 1, tzinfo=SH), now + timedelta(days=30))  # fmt: skip
        [hit] = events.read(s, jan, {"unanswered_warning"})
        assert hit.day == date(2027, 1, 4)

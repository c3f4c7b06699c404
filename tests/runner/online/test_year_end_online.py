"""The online 预审 limit across the year end, with no 2027 arrangement (and then one imported)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from runner.catalogue import items
from tests.runner.online.conftest import CODE, application
from tests.support.catalogue import demo
from tests.support.year_end import import_2027, needs_2027

pytestmark = pytest.mark.skipif(not needs_2027(), reason="chinesecalendar knows 2027")
SH = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("moment", "due"),
    [
        (datetime(2026, 12, 20, 10, 0, tzinfo=SH), "2027-01-09"),  # the make-up Saturday counts
        (datetime(2026, 12, 31, 23, 30, tzinfo=SH), "2027-01-21"),
    ],
)
def test_a_pre_review_limit_past_the_known_calendar_is_pending_then_filled_in(
    services, catalogue, submitted, clock, moment, due
):
    """Submitting is never refused for a missing year: the limit waits for it, and the import fills it in."""
    with services.transaction() as s:
        items.save_item(s, demo(CODE) | {"prereview_days": 15}, actor="admin")
    clock.set(moment)
    aid, _ = submitted()
    row = application(services, aid)
    assert (row.review_due, row.review_due_pending_year) == (None, 2027)
    import_2027(services)
    row = application(services, aid)
    assert row.review_due_pending_year is None
    assert row.review_due.astimezone(SH).date().isoformat() == due

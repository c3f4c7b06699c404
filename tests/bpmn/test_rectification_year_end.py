"""A 差评's rectification limit across the year end, with no 2027 arrangement entered, then one imported."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from runner.applicants import ratings
from runner.models import Rectification
from tests.bpmn.test_rectification import item, rate  # noqa: F401 - the fixture is used by name
from tests.support.year_end import import_2027, needs_2027

pytestmark = pytest.mark.skipif(not needs_2027(), reason="chinesecalendar knows 2027")
SH = ZoneInfo("Asia/Shanghai")


def stored(services, rating_id: int) -> tuple[object, dict]:
    with services.transaction() as s:
        row = s.query(Rectification).filter_by(rating_id=rating_id).one()
        [entry] = [r for r in ratings.rating_register(s) if r["id"] == rating_id]
        return row.due_at, entry["rectification"]


@pytest.mark.parametrize(
    ("moment", "due"),
    [
        (datetime(2026, 12, 20, 10, 0, tzinfo=SH), "2027-01-09"),
        (datetime(2026, 12, 31, 23, 30, tzinfo=SH), "2027-01-21"),
    ],
)
def test_a_rectification_limit_past_the_known_calendar_is_pending_then_filled_in(
    services,
    clock,
    item,  # noqa: F811 - the fixture imported above
    moment,
    due,
):
    clock.set(moment)
    rating_id, iid = rate(services, item)
    assert iid is not None
    due_at, view = stored(services, rating_id)
    assert (due_at, view["due_at"], view["due_pending_year"]) == (None, None, 2027)  # as the item's deadline
    import_2027(services)
    due_at, view = stored(services, rating_id)
    assert view["due_pending_year"] is None
    assert due_at is not None and due_at.astimezone(SH).date().isoformat() == due

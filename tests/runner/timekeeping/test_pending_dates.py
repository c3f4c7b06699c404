"""Working-day recipes and pending dates (runner.timekeeping.pending_dates), against the calendar counted by hand.

The 2026 data (chinesecalendar): National Day 10-01..10-07 off, Sat 10-10 worked. 2099 is unknown (no data).
"""

from __future__ import annotations

from datetime import date

import pytest

from runner.timekeeping.calendar import BusinessCalendar
from runner.timekeeping.pending_dates import (
    ItemClock,
    NoItemDeadline,
    Recipe,
    count,
    evaluate,
    is_pending,
    parse_pending,
    pending,
    pending_year,
    recipe_of,
    remembered,
    resolve,
)

CAL = BusinessCalendar()
NONE = ItemClock()


def test_recipes_read_back_what_they_write() -> None:
    for text in ("2026-09-29+3@end", "item-1@start", "item@end", "2026-09-29+3-1+2@date"):
        assert Recipe.parse(text).text() == text
    with pytest.raises(ValueError):
        Recipe.parse("tomorrow@end")


def test_a_known_recipe_is_the_usual_value() -> None:
    # 3 working days from 09-29: 09-30, 10-08, 10-09; the end of 10-09 is 15:59:59 UTC
    assert evaluate(Recipe(date(2026, 9, 29), (3,), "end"), CAL, NONE) == "2026-10-09T15:59:59+00:00"
    assert evaluate(Recipe(date(2026, 9, 29), (3,), "date"), CAL, NONE) == "2026-10-09"
    assert evaluate(Recipe(date(2026, 10, 12), (-1,), "start"), CAL, NONE) == "2026-10-09T16:00:00+00:00"
    # steps taken one after the other: +3 then +2 is +5 (10-10 Sat worked, 10-12)
    assert evaluate(Recipe(date(2026, 9, 29), (3, 2), "date"), CAL, NONE) == "2026-10-12"


def test_past_the_known_calendar_a_recipe_is_pending_with_its_year() -> None:
    value = evaluate(Recipe(date(2098, 12, 30), (5,), "end"), CAL, NONE)
    assert value == "pending:2098:2098-12-30+5@end"  # the first unknown day walked over is in 2098
    assert is_pending(value) and pending_year(value) == 2098
    assert parse_pending(value)[1] == Recipe(date(2098, 12, 30), (5,), "end")
    assert not is_pending("2026-10-09") and pending_year(None) is None and parse_pending("pending:x") is None


def test_a_pending_value_resolves_once_its_year_is_known() -> None:
    marker = pending(2099, Recipe(date(2099, 1, 1), (2,), "end"))
    assert resolve(marker, CAL, NONE) == marker  # still unknown: unchanged
    known = BusinessCalendar(arrangements={2099: {date(2099, 1, 2): False}})  # Fri 01-02 off
    # 2 working days after Thu 2099-01-01: (Fri 01-02 off, weekend) Mon 01-05, Tue 01-06
    assert resolve(marker, known, NONE) == known.end_of_day(date(2099, 1, 6)).isoformat()
    assert resolve("not pending", known, NONE) == "not pending"


def test_a_recipe_on_the_items_deadline() -> None:
    deadline = CAL.end_of_day(date(2026, 10, 8))
    item = ItemClock(deadline)
    assert evaluate(Recipe(None, (-1,), "start"), CAL, item) == "2026-09-29T16:00:00+00:00"  # 00:00 09-30
    assert evaluate(Recipe(None, (), "end"), CAL, ItemClock(None, 2027)) == "pending:2027:item@end"
    with pytest.raises(NoItemDeadline):
        evaluate(Recipe(None, (), "end"), CAL, NONE)


def test_counting_working_days_and_a_pending_count() -> None:
    a, b = Recipe(date(2026, 9, 30), (), "date"), Recipe(date(2026, 10, 12), (), "date")
    assert count(a, b, CAL, NONE) == 4  # 10-08, 10-09, 10-10 (Sat, worked), 10-12
    later = Recipe(date(2099, 1, 10), (), "date")
    result = count(a, later, CAL, NONE)
    first_unknown = min(year for year in range(2026, 2100) if not CAL.supports_year(year))
    assert pending_year(result) == first_unknown
    assert parse_pending(result)[1] == (a, later)


def test_recipe_of_what_a_script_passes_in() -> None:
    known = {"2026-10-09T15:59:59+00:00": "2026-09-29+3@end"}
    assert recipe_of("2026-10-09T15:59:59+00:00", CAL, known) == Recipe(date(2026, 9, 29), (3,), "end")
    assert recipe_of("2026-10-09T15:59:59+00:00", CAL) == Recipe(date(2026, 10, 9), (), "end")
    assert recipe_of("2026-10-09", CAL) == Recipe(date(2026, 10, 9), (), "date")
    assert recipe_of("pending:2099:2099-01-01+2@end", CAL) == Recipe(date(2099, 1, 1), (2,), "end")
    for bad in ("soon", "2026-10-09T10:00:00", 12, "pending:2099:between(2099-01-01@date,2099-01-02@date)"):
        with pytest.raises(ValueError):
            recipe_of(bad, CAL)


def test_what_an_item_keeps() -> None:
    assert remembered("pending:2099:item@end", Recipe(None, (), "end"))
    assert remembered("2026-10-09T15:59:59+00:00", Recipe(date(2026, 9, 29), (3,), "end"))
    assert not remembered("2026-10-09", Recipe(date(2026, 9, 29), (3,), "date"))  # a plain date: too common
    assert not remembered("2026-10-08T15:59:59+00:00", Recipe(None, (), "end"))  # a snapshot of the deadline
    assert not remembered("2026-10-09T15:59:59+00:00", Recipe(date(2026, 10, 9), (), "end"))  # no arithmetic

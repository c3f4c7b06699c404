"""Working-day dates as recipes, and dates that wait for a year's holiday arrangement (待定期限).

A date a diagram computes in working days — ``workdays(15)``, ``deadline(limit_at, 3)``, ``item_deadline(-1)`` —
is a *recipe*: a base day (a calendar date, or ``item``: the day of the item's promised deadline), working-day
steps taken one after the other, and a form: ``end`` (23:59:59 local of the day, as UTC ISO text), ``start``
(00:00 local) or ``date`` (the ISO date). Written as text: ``2026-12-21+15@end``, ``item-1@start``.

When the calendar knows every day a recipe walks over, its value is the usual ISO text. When it does not, the
value is a *pending date*: ``pending:2027:2026-12-21+15@end`` — the year it waits for, then the recipe. The
engine stores a pending date as it is (a timer stays unarmed, a task's due time waits, a deadline shows
"待 2027 年节假日安排公布后确定") and computes it once that year is known. ``pending:2027:between(A,B)`` is a
count of working days (``workdays_between``) that waits the same way.

Only this module and ``runner.timekeeping.calendar`` do working-day arithmetic for scripts: the script helpers call
``evaluate`` / ``count`` with the calendar they were given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from runner.exceptions import CalendarDataMissing
from runner.timekeeping.calendar import BusinessCalendar, missing_year_of

PREFIX = "pending:"
FORMS = ("end", "start", "date")
_RECIPE = re.compile(r"^(item|\d{4}-\d{2}-\d{2})((?:[+-]\d{1,5})*)@(end|start|date)$")
_STEP = re.compile(r"[+-]\d+")
_PENDING = re.compile(r"^pending:(\d{4}):(.+)$")
_BETWEEN = re.compile(r"^between\(([^,()]+),([^,()]+)\)$")


class ItemDeadlinePending(Exception):
    """A recipe based on the item's promised deadline while that deadline itself waits for ``year``."""

    def __init__(self, year: int) -> None:
        super().__init__(year)
        self.year = year


class NoItemDeadline(Exception):
    """A recipe based on the item's promised deadline, and the item has no promised limit at all."""


@dataclass(frozen=True)
class ItemClock:
    """What ``item`` means in a recipe: the item's promised deadline, or the year it waits for."""

    deadline: datetime | None = None
    pending_year: int | None = None


@dataclass(frozen=True)
class Recipe:
    """A base day, working-day steps, a form; see the module docstring."""

    base: date | None  # None: the day of the item's promised deadline
    steps: tuple[int, ...] = ()
    form: str = "end"

    def text(self) -> str:
        base = "item" if self.base is None else self.base.isoformat()
        return base + "".join(f"{n:+d}" for n in self.steps) + "@" + self.form

    @classmethod
    def parse(cls, text: str) -> Recipe:
        match = _RECIPE.match(text.strip())
        if match is None:
            raise ValueError(f"not a date recipe: {text!r}")
        base_text, steps_text, form = match.groups()
        base = None if base_text == "item" else date.fromisoformat(base_text)
        return cls(base, tuple(int(s) for s in _STEP.findall(steps_text)), form)

    def then(self, n: int, form: str) -> Recipe:
        """This recipe's day, then ``n`` working days on (``n`` may be 0: only the form changes)."""
        return Recipe(self.base, (*self.steps, n) if n else self.steps, form)

    def day(self, cal: BusinessCalendar, item: ItemClock) -> date:
        """The day it names (raises ``CalendarDataMissing``, ``ItemDeadlinePending``, ``NoItemDeadline``)."""
        if self.base is not None:
            day = self.base
        elif item.deadline is not None:
            day = cal.local_date(item.deadline)
        elif item.pending_year is not None:
            raise ItemDeadlinePending(item.pending_year)
        else:
            raise NoItemDeadline()
        for n in self.steps:
            day = cal.add_workdays(day, n)
        return day

    def value(self, cal: BusinessCalendar, item: ItemClock) -> str:
        """Its ISO value (``day`` in its form); raises as ``day`` does."""
        return shape(cal, self.day(cal, item), self.form)


def shape(cal: BusinessCalendar, day: date, form: str) -> str:
    if form == "date":
        return day.isoformat()
    moment = cal.start_of_day(day) if form == "start" else cal.end_of_day(day)
    return moment.astimezone(UTC).isoformat()


def pending(year: int, body: Recipe | tuple[Recipe, Recipe]) -> str:
    """The text of a pending date (or, for two recipes, a pending count of working days between them)."""
    if isinstance(body, Recipe):
        return f"{PREFIX}{year}:{body.text()}"
    return f"{PREFIX}{year}:between({body[0].text()},{body[1].text()})"


def parse_pending(value: Any) -> tuple[int, Recipe | tuple[Recipe, Recipe]] | None:
    """(year, recipe or the two recipes of a count) of a pending value; None for anything else."""
    if not isinstance(value, str) or not value.startswith(PREFIX):
        return None
    match = _PENDING.match(value)
    if match is None:
        return None
    year, body = int(match.group(1)), match.group(2)
    try:
        between = _BETWEEN.match(body)
        if between is not None:
            return year, (Recipe.parse(between.group(1)), Recipe.parse(between.group(2)))
        return year, Recipe.parse(body)
    except ValueError:
        return None


def pending_year(value: Any) -> int | None:
    """The year a pending value waits for; None when ``value`` is not pending."""
    parsed = parse_pending(value)
    return parsed[0] if parsed is not None else None


def is_pending(value: Any) -> bool:
    return pending_year(value) is not None


def evaluate(recipe: Recipe, cal: BusinessCalendar, item: ItemClock) -> str:
    """The recipe's value, or a pending date naming the year it waits for. Raises ``NoItemDeadline``."""
    try:
        return recipe.value(cal, item)
    except CalendarDataMissing as exc:
        return pending(missing_year_of(exc), recipe)
    except ItemDeadlinePending as exc:
        return pending(exc.year, recipe)


def count(a: Recipe, b: Recipe, cal: BusinessCalendar, item: ItemClock) -> int | str:
    """Working days in (day of ``a``, day of ``b``], or a pending count. Raises ``NoItemDeadline``."""
    try:
        return cal.workdays_between(a.day(cal, item), b.day(cal, item))
    except CalendarDataMissing as exc:
        return pending(missing_year_of(exc), (a, b))
    except ItemDeadlinePending as exc:
        return pending(exc.year, (a, b))


def resolve(value: str, cal: BusinessCalendar, item: ItemClock) -> int | str:
    """A pending value computed again: its value now, or still pending (perhaps for a later year)."""
    parsed = parse_pending(value)
    if parsed is None:
        return value
    body = parsed[1]
    try:
        if isinstance(body, Recipe):
            return evaluate(body, cal, item)
        return count(body[0], body[1], cal, item)
    except NoItemDeadline:
        return value


def recipe_of(value: Any, cal: BusinessCalendar, known: dict[str, str] | None = None) -> Recipe:
    """The recipe behind a date a script passes in: a pending date's own, the one a known computed date was
    made with (``known``: value → recipe text), else the plain local day of an ISO date or datetime (its form
    ``date`` or ``end``). Raises ``ValueError`` for anything else."""
    parsed = parse_pending(value)
    if parsed is not None:
        if not isinstance(parsed[1], Recipe):
            raise ValueError(f"a count of working days is not a date: {value!r}")
        return parsed[1]
    if isinstance(value, str) and known and value in known:
        try:
            return Recipe.parse(known[value])
        except ValueError:
            pass
    if isinstance(value, datetime):
        return Recipe(cal.local_date(_aware(value)), (), "end")
    if isinstance(value, date):
        return Recipe(value, (), "date")
    if isinstance(value, str):
        text = value.strip()
        try:
            return Recipe(date.fromisoformat(text), (), "date")
        except ValueError:
            return Recipe(cal.local_date(_aware(datetime.fromisoformat(text))), (), "end")
    raise ValueError(f"not a date: {value!r}")


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"no time zone: {moment.isoformat()}")
    return moment


def remembered(value: str, recipe: Recipe) -> bool:
    """Whether an item keeps ``value`` with its recipe (``ProcessInstance.calendar_dates``): pending dates, and
    computed date-times that a change of the calendar would move. Not kept: plain computed dates (form
    ``date``: an ISO date is too common a value in task data to be replaced safely), and known values based on
    the item's deadline (a snapshot such as the promised date printed on a notice stays what it was; the timers
    that follow the deadline move with it anyway)."""
    if is_pending(value):
        return True
    return recipe.base is not None and any(recipe.steps) and recipe.form != "date"

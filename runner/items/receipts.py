"""Readable, unique receipt numbers (办件编号) such as ``2026-000123``, issued by the platform alone.

The platform numbers items ``<year>-<serial>`` from a per-year counter. The one exception is an item migrated
from another system, which keeps the number it had there: such a number have the form of
``MIGRATED_KEY_EXAMPLE`` (an upper-case code naming the other system, a dash, then letters, digits and dashes),
which never starts with a digit and so can never take a number of the counter's range.
"""

from __future__ import annotations

import re
from functools import cache

from sqlalchemy import ColumnElement, Text, Update, bindparam, case, cast, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from runner.exceptions import InvalidInput
from runner.models import ProcessInstance, ReceiptCounter

# e.g. HALL-2025-000123: the other system's code (2–16 upper-case letters or digits, a letter first), a dash, then
# its number (1–40 letters, digits or dashes, a letter or digit first); at most 57 characters, no other signs
MIGRATED_KEY_EXAMPLE = "HALL-2025-000123"
_MIGRATED_KEY = re.compile(r"[A-Z][A-Z0-9]{1,15}-[A-Za-z0-9][A-Za-z0-9-]{0,39}")
_ISSUED_KEY = re.compile(r"[0-9]{4}-[0-9]+")


def check_migrated_key(key: object) -> str:
    """``key`` when it is a receipt number another system gave (like ``MIGRATED_KEY_EXAMPLE``); ``InvalidInput``
    otherwise, in particular for every number of the platform's own ``<year>-<serial>`` range."""
    if isinstance(key, str) and _MIGRATED_KEY.fullmatch(key):
        return key
    raise InvalidInput(
        "办件编号由平台生成；迁移办件时只能沿用原系统的编号：原系统代码（大写字母开头，2–16 位大写字母或数字）、"
        f"短横线、原编号（1–40 位字母、数字或短横线），如 {MIGRATED_KEY_EXAMPLE} "
        "(receipt numbers are issued by the platform; a migrated item keeps its old system's number as "
        f"SYSTEM-NUMBER, e.g. {MIGRATED_KEY_EXAMPLE})",
        field="business_key",
    )


def is_issued_key(key: str) -> bool:
    """Whether ``key`` has the shape of a number the platform issues (``2026-000123``)."""
    return bool(_ISSUED_KEY.fullmatch(key))


def next_business_key(session: Session, year: int) -> str:
    """Take the next free number of ``year``. The counter row serialises concurrent starts; a number that is
    somehow already in use (a restored backup, rows copied in by hand) is skipped, with the counter, so that
    no later start ever fails on it (the statement that advances the counter says whether it is)."""
    number, in_use = _take(session, year)
    if in_use:
        highest = max(_highest_issued(session, year), number)
        session.execute(
            update(ReceiptCounter)
            .where(ReceiptCounter.year == year, ReceiptCounter.last < highest)
            .values(last=highest)
        )
        number, _ = _take(session, year)
    return _format(year, number)


def _format(year: int, number: int) -> str:
    return f"{year}-{number:06d}"


def _key_of_counter(dialect: str) -> ColumnElement[str]:
    """``_format(year, last)`` of the counter row, in SQL."""
    year, last = ReceiptCounter.year, ReceiptCounter.last
    if dialect == "postgresql":
        serial = case((last < 1_000_000, func.lpad(cast(last, Text), 6, "0")), else_=cast(last, Text))
        return cast(year, Text).concat("-").concat(serial)
    return func.printf("%d-%06d", year, last)


@cache
def _advance(dialect: str) -> Update:
    """Advance the counter of the year ``:of_year``, returning the number and whether an item has it (built once per
    dialect: building the statement costs more than running it). A statement of the table: the ORM's UPDATE of the
    entity would also look for counter objects of the session to bring in line (there are none), at three times
    the CPU."""
    counters = ReceiptCounter.__table__
    in_use = (
        select(ProcessInstance.id)
        .where(ProcessInstance.business_key == _key_of_counter(dialect))
        .correlate(counters)
        .exists()
    )
    return (
        update(counters)
        .where(counters.c.year == bindparam("of_year"))
        .values(last=counters.c.last + 1)
        .returning(counters.c.last, in_use)
    )


def _taken(session: Session, key: str) -> bool:
    return session.scalar(select(ProcessInstance.id).where(ProcessInstance.business_key == key)) is not None


def _highest_issued(session: Session, year: int) -> int:
    """The highest serial of ``year`` in use (rare path: only after a collision)."""
    prefix = f"{year}-"
    rows = session.scalars(
        select(ProcessInstance.business_key)
        .where(ProcessInstance.business_key.startswith(prefix, autoescape=True))
        .order_by(func.length(ProcessInstance.business_key).desc(), ProcessInstance.business_key.desc())
        .limit(50)
    )
    serials = [int(k[len(prefix) :]) for k in rows if is_issued_key(k)]
    return max(serials, default=0)


def _take(session: Session, year: int) -> tuple[int, bool]:
    """Advance the counter of ``year``: the number taken and whether an item has it already."""
    statement = _advance(session.get_bind().dialect.name)
    for _ in range(3):
        row = session.execute(statement, {"of_year": year}).one_or_none()
        if row is not None:
            return int(row[0]), bool(row[1])
        try:
            with session.begin_nested():
                session.add(ReceiptCounter(year=year, last=1))
            return 1, _taken(session, _format(year, 1))
        except IntegrityError:
            continue  # another start created the row first; take the update path
    raise RuntimeError("could not allocate a receipt number")

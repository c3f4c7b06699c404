"""Readable, unique receipt numbers (办件编号) such as ``2026-000123``."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .models import ReceiptCounter


def next_business_key(session: Session, year: int) -> str:
    """Take the next number of ``year`` (the counter row serialises concurrent starts)."""
    for _ in range(3):
        number = session.execute(
            update(ReceiptCounter)
            .where(ReceiptCounter.year == year)
            .values(last=ReceiptCounter.last + 1)
            .returning(ReceiptCounter.last)
        ).scalar_one_or_none()
        if number is not None:
            return f"{year}-{number:06d}"
        try:
            with session.begin_nested():
                session.add(ReceiptCounter(year=year, last=1))
            return f"{year}-{1:06d}"
        except IntegrityError:
            continue  # another start created the row first; take the update path
    raise RuntimeError("could not allocate a receipt number")


def peek(session: Session, year: int) -> int:
    return session.scalar(select(ReceiptCounter.last).where(ReceiptCounter.year == year)) or 0

"""Assessment periods: a month or a quarter as local dates; quarters and the year as sums of months."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from runner.exceptions import InvalidInput

PERIODS = {"month": "月度", "quarter": "季度"}


@dataclass(frozen=True)
class Span:
    """Local dates ``first``..``last`` (both included)."""

    first: date
    last: date

    @property
    def label(self) -> str:
        if self.first.day == 1 and self.first.month % 3 == 1 and _months(self) == 3:
            return f"{self.first.year}年第{(self.first.month - 1) // 3 + 1}季度"
        if self.first.day == 1 and _months(self) == 1:
            return f"{self.first.year}年{self.first.month}月"
        return f"{self.first.isoformat()}—{self.last.isoformat()}"


def _months(span: Span) -> int:
    return (span.last.year - span.first.year) * 12 + span.last.month - span.first.month + 1


def month_of(day: date) -> Span:
    first = day.replace(day=1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    return Span(first, nxt - timedelta(days=1))


def quarter_of(day: date) -> Span:
    first = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return Span(first, month_of(date(first.year, first.month + 2, 1)).last)


def period_of(kind: str, day: date) -> Span:
    """The month or quarter containing ``day``."""
    if kind == "month":
        return month_of(day)
    if kind == "quarter":
        return quarter_of(day)
    raise InvalidInput(f"未知的考核周期 {kind!r} (period must be month or quarter)", field="period")


def next_period_start(kind: str, day: date) -> date:
    """The first day of the period after the one containing ``day`` (a change applies from then)."""
    return period_of(kind, day).last + timedelta(days=1)


def months_in(first: date, last: date) -> list[Span]:
    """The months from ``first``'s to ``last``'s (a quarter or a year summed month by month)."""
    out, day = [], first.replace(day=1)
    while day <= last:
        out.append(month_of(day))
        day = out[-1].last + timedelta(days=1)
    return out


def parse_month(text: str) -> Span:
    """``2026-10`` → October 2026; ``2026-Q4`` → the fourth quarter."""
    text = (text or "").strip()
    try:
        year, part = text.split("-", 1)
        if part.upper().startswith("Q"):
            return quarter_of(date(int(year), (int(part[1:]) - 1) * 3 + 1, 1))
        return month_of(date(int(year), int(part), 1))
    except (ValueError, IndexError):
        raise InvalidInput(
            f"期间格式应为 2026-10 或 2026-Q4 (period like 2026-10 or 2026-Q4): {text!r}"
        ) from None

"""A year's holiday arrangement (国务院办公厅关于某年部分节假日安排的通知) as a small text file.

One line per range, weekends implied (Saturday and Sunday are off, Monday to Friday working days, unless listed)::

    # 2027 年节假日安排
    2027-01-01..2027-01-03 休 元旦
    2027-02-06..2027-02-14 休 春节
    2027-02-20 班 春节调休

``休`` (also 放假, off) marks days off, ``班`` (also 上班, 补班, work) make-up working days; the rest of the line
names the holiday. Blank lines and ``#`` comments are skipped. Every date belongs to one year — a New Year range
may begin in the last days of the year before. ``parse`` refuses a text with any malformed line, naming every
such line by number, so that nothing half-read is ever stored; ``store`` replaces the year's arrangement (audited).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from runner.core import audit
from runner.core.transaction import services_of
from runner.exceptions import InvalidInput
from runner.models import HolidayArrangement, HolidayArrangementDay

OFF_WORDS = frozenset({"休", "放假", "休息", "off", "holiday"})
WORK_WORDS = frozenset({"班", "上班", "补班", "调休上班", "work", "workday"})
MAX_RANGE_DAYS = 31  # the longest break ever announced is 8 or 9 days: more is a typing error
MAX_LINES = 400
MAX_NAME = 100
_DATE = r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"
_LINE = re.compile(rf"^{_DATE}(?:\s*(?:\.\.|~|～|至|—|–)\s*{_DATE})?\s+(\S+)(?:\s+(.*))?$")
WEEKDAYS = "一二三四五六日"


@dataclass(frozen=True)
class Entry:
    """One line: a range of days off, or make-up working days."""

    line: int
    first: date
    last: date
    is_workday: bool
    name: str

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]


@dataclass
class Arrangement:
    """A parsed arrangement: the year and its lines; ``days`` maps each listed day to (is_workday, name)."""

    year: int
    title: str
    entries: list[Entry] = field(default_factory=list)

    @property
    def days(self) -> dict[date, tuple[bool, str]]:
        return {day: (e.is_workday, e.name) for e in self.entries for day in e.days()}

    def summary(self) -> dict[str, Any]:
        days = self.days
        return {
            "year": self.year,
            "title": self.title,
            "days_off": sum(1 for is_workday, _ in days.values() if not is_workday),
            "makeup_days": sum(1 for is_workday, _ in days.values() if is_workday),
            "lines": [
                {
                    "line": e.line,
                    "first": e.first.isoformat(),
                    "last": e.last.isoformat(),
                    "kind": "班" if e.is_workday else "休",
                    "name": e.name,
                }
                for e in self.entries
            ],
        }


class ArrangementInvalid(InvalidInput):
    """The text is not an arrangement; ``problems`` lists each bad line (``line``, ``message``)."""

    code = "arrangement_invalid"

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        lines = "; ".join(f"第 {p['line']} 行 (line {p['line']}): {p['message']}" for p in problems[:5])
        more = f"（另有 {len(problems) - 5} 处）" if len(problems) > 5 else ""
        super().__init__(
            f"节假日安排有误，未保存任何内容 (the arrangement has errors; nothing was stored): {lines}{more}",
            problems=problems,
        )
        self.problems = problems


def _date(y: str, m: str, d: str) -> date:
    return date(int(y), int(m), int(d))


def _kind(word: str) -> bool | None:
    """True for a make-up working day, False for a day off, None for an unknown word."""
    if word in WORK_WORDS or word.lower() in WORK_WORDS:
        return True
    if word in OFF_WORDS or word.lower() in OFF_WORDS:
        return False
    return None


def _read_line(number: int, text: str) -> Entry | str:
    """The entry on one line, or what is wrong with it."""
    match = _LINE.match(text)
    if match is None:
        return "格式应为“2027-01-01..2027-01-03 休 元旦”或“2027-02-20 班 春节调休” (expected DATE[..DATE] 休|班 [name])"
    y1, m1, d1, y2, m2, d2, word, name = match.groups()
    try:
        first = _date(y1, m1, d1)
        last = _date(y2, m2, d2) if y2 else first
    except ValueError:
        return "日期不存在 (no such date)"
    kind = _kind(word)
    if kind is None:
        return f"“{word}”应为“休”或“班” (expected 休 for a day off or 班 for a make-up working day)"
    if last < first:
        return "结束日期早于开始日期 (the range ends before it starts)"
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        return f"一段安排不超过 {MAX_RANGE_DAYS} 天 (a range is at most {MAX_RANGE_DAYS} days)"
    if kind and any(day.weekday() < 5 for day in Entry(number, first, last, kind, "").days()):
        odd = next(day for day in Entry(number, first, last, kind, "").days() if day.weekday() < 5)
        return (
            f"{odd.isoformat()} 是星期{WEEKDAYS[odd.weekday()]}，本就是工作日；调休上班日应为周六或周日"
            f" ({odd.isoformat()} is a weekday already; a make-up working day is a Saturday or a Sunday)"
        )
    name = (name or "").strip()
    if len(name) > MAX_NAME:
        return f"名称过长（不超过 {MAX_NAME} 字） (the name is longer than {MAX_NAME} characters)"
    return Entry(number, first, last, kind, name)


def _year_of(entries: list[Entry], problems: list[dict[str, Any]]) -> int | None:
    """The one year the entries belong to (a range may start in the December before it)."""
    years = sorted({e.last.year for e in entries})
    if len(years) > 1:
        problems.append(
            {
                "line": next(e.line for e in entries if e.last.year == years[1]),
                "message": f"一份安排只能是一年的：已有 {years[0]} 年，又见 {years[1]} 年"
                f" (one arrangement covers one year: found {years[0]} and {years[1]})",
            }
        )
        return None
    year = years[0]
    for e in entries:
        if e.first.year < year - 1 or (e.first.year == year - 1 and e.first.month != 12):
            problems.append(
                {
                    "line": e.line,
                    "message": f"日期不属于 {year} 年 (the range does not belong to {year})",
                }
            )
    return year


def _overlaps(entries: list[Entry], problems: list[dict[str, Any]]) -> None:
    seen: dict[date, int] = {}
    for e in entries:
        for day in e.days():
            if day in seen:
                problems.append(
                    {
                        "line": e.line,
                        "message": f"{day.isoformat()} 已在第 {seen[day]} 行列出"
                        f" ({day.isoformat()} is already listed on line {seen[day]})",
                    }
                )
                break
            seen[day] = e.line


def decode(raw: bytes) -> str | None:
    """The text of an arrangement file as offices save it: UTF-8 (with or without BOM) or GB 18030 (GBK, the
    default of Chinese Windows); None when it is neither. The console and the command line read files alike."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def parse(text: str) -> Arrangement:
    """Read an arrangement; ``ArrangementInvalid`` names every bad line and nothing is kept."""
    if not isinstance(text, str):
        raise ArrangementInvalid([{"line": 0, "message": "内容须为文本 (the arrangement must be text)"}])
    lines = text.lstrip("\ufeff").splitlines()
    if len(lines) > MAX_LINES:
        raise ArrangementInvalid(
            [{"line": MAX_LINES + 1, "message": f"不超过 {MAX_LINES} 行 (at most {MAX_LINES} lines)"}]
        )
    problems: list[dict[str, Any]] = []
    entries: list[Entry] = []
    title = ""
    for number, raw in enumerate(lines, start=1):
        line = raw.strip().replace("\u3000", " ")
        if not line:
            continue
        if line.startswith("#"):
            title = title or line.lstrip("#").strip()[:200]
            continue
        found = _read_line(number, line)
        if isinstance(found, str):
            problems.append({"line": number, "message": found, "text": line[:200]})
        else:
            entries.append(found)
    if not entries and not problems:
        problems.append({"line": 0, "message": "没有任何安排 (the text lists no days)"})
    year = _year_of(entries, problems) if entries else None
    _overlaps(entries, problems)
    if problems or year is None:
        raise ArrangementInvalid(sorted(problems, key=lambda p: p["line"]))
    return Arrangement(year, title or f"{year} 年节假日安排", entries)


def store(session: Session, arrangement: Arrangement, source: str, *, actor: str) -> bool:
    """Store ``arrangement`` in place of the year's previous one (audited with who and when); True when it
    replaced one. The caller recalculates the open items (``runner.timekeeping.calendar_import``)."""
    now = services_of(session).now()
    row = session.get(HolidayArrangement, arrangement.year)
    replaced = row is not None
    before = None
    if row is None:
        row = HolidayArrangement(year=arrangement.year)
        session.add(row)
    else:
        before = {"imported_by": row.imported_by, "imported_at": row.imported_at.isoformat()}
        session.execute(delete(HolidayArrangementDay).where(HolidayArrangementDay.year == arrangement.year))
    row.title, row.source, row.imported_by, row.imported_at = arrangement.title, source, actor, now
    session.flush()
    session.add_all(
        HolidayArrangementDay(year=arrangement.year, day=day, is_workday=is_workday, name=name[:MAX_NAME])
        for day, (is_workday, name) in sorted(arrangement.days.items())
    )
    session.flush()
    summary = arrangement.summary()
    audit.record(
        session, "holiday_arrangement_imported", actor=actor, year=arrangement.year, title=arrangement.title,
        replaced=before, days_off=summary["days_off"], makeup_days=summary["makeup_days"], lines=summary["lines"],
    )  # fmt: skip
    return replaced


def load(session: Session) -> dict[int, dict[date, bool]]:
    """Every stored arrangement: year → {listed day: is it a working day}."""
    years: dict[int, dict[date, bool]] = {
        year: {} for year in session.scalars(select(HolidayArrangement.year))
    }
    for year, day, is_workday in session.execute(
        select(HolidayArrangementDay.year, HolidayArrangementDay.day, HolidayArrangementDay.is_workday)
    ):
        years.setdefault(year, {})[day] = bool(is_workday)
    return years


def list_arrangements(session: Session) -> list[dict[str, Any]]:
    """The stored arrangements, newest year first, with their counts (for the console)."""
    out = []
    for row in session.scalars(select(HolidayArrangement).order_by(HolidayArrangement.year.desc())):
        days = list(
            session.scalars(select(HolidayArrangementDay).where(HolidayArrangementDay.year == row.year))
        )
        out.append(
            {
                "year": row.year,
                "title": row.title,
                "source": row.source,
                "imported_by": row.imported_by,
                "imported_at": row.imported_at,
                "days_off": sum(1 for d in days if not d.is_workday),
                "makeup_days": sum(1 for d in days if d.is_workday),
            }
        )
    return out

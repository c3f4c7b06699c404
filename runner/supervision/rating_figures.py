"""好差评 figures per window and period: 满意率, 差评率, 整改率, 整改按期率, 回访率 — one definition each.

The ratings counted are those given in the period (local dates, both ends included). A rating belongs to the
window at fault its rectification names, else to the window rated — so every figure of a window counts the
same ratings, and the rows add up to the total. The dashboard, the monthly report and the CSV exports all
read ``rating_figures``; the definitions below are printed beside the figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from runner.applicants.rating_scale import BAD, SATISFIED
from runner.models import Rating, Rectification, Window
from runner.supervision.statistics import Period, bounds

# figure → (name, definition, English name, English definition)
DEFINITIONS: dict[str, tuple[str, str, str, str]] = {
    "satisfaction_rate": ("满意率", "(非常满意 + 满意 + 基本满意) ÷ 全部评价", "Satisfaction rate",
                          "(very satisfied + satisfied + basically satisfied) ÷ all ratings"),
    "bad_rate": ("差评率", "(不满意 + 非常不满意) ÷ 全部评价", "Bad rating rate",
                 "(dissatisfied + very dissatisfied) ÷ all ratings"),
    "rectification_rate": ("整改率", "整改完成 ÷ 经核实属实的差评", "Rectification rate",
                           "rectified ÷ bad ratings found true"),
    "on_time_rate": ("整改按期率", "在时限内整改完成 ÷ 整改完成", "On-time rectification rate",
                     "rectified within the limit ÷ rectified"),
    "revisit_rate": ("回访率", "已回访 ÷ 实名差评", "Call-back rate", "called back ÷ named bad ratings"),
}  # fmt: skip


def definition(name: str, lang: str = "zh") -> str:
    """``满意率 = (非常满意 + 满意 + 基本满意) ÷ 全部评价`` (or in English)."""
    zh, zh_def, en, en_def = DEFINITIONS[name]
    return f"{en} = {en_def}" if lang == "en" else f"{zh} = {zh_def}"


@dataclass
class RatingFigures:
    """A window's 好差评 counts in a period, and the rates computed from them."""

    window: str
    name: str
    levels: dict[str, int] = field(default_factory=dict)
    bad_named: int = 0  # 实名差评
    founded: int = 0  # 差评 found 属实
    invalid: int = 0  # 无效差评 (approved)
    unable: int = 0  # 无法整改 (approved)
    rectified: int = 0
    rectified_on_time: int = 0
    overdue: int = 0  # open past the limit now
    revisited: int = 0

    @property
    def total(self) -> int:
        return sum(self.levels.values())

    @property
    def satisfied(self) -> int:
        return sum(self.levels.get(level, 0) for level in SATISFIED)

    @property
    def bad(self) -> int:
        return sum(self.levels.get(level, 0) for level in BAD)

    @staticmethod
    def _share(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def satisfaction_rate(self) -> float | None:
        return self._share(self.satisfied, self.total)

    @property
    def bad_rate(self) -> float | None:
        return self._share(self.bad, self.total)

    @property
    def rectification_rate(self) -> float | None:
        return self._share(self.rectified, self.founded)

    @property
    def on_time_rate(self) -> float | None:
        return self._share(self.rectified_on_time, self.rectified)

    @property
    def revisit_rate(self) -> float | None:
        return self._share(self.revisited, self.bad_named)

    def add(self, other: RatingFigures) -> None:
        """Add ``other``'s counts into this row (for the totals row)."""
        for level, n in other.levels.items():
            self.levels[level] = self.levels.get(level, 0) + n
        for name in ("bad_named", "founded", "invalid", "unable", "rectified", "rectified_on_time", "overdue",
                     "revisited"):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _add_group(r: RatingFigures, values: dict[str, Any], n: int) -> None:
    level = values["level"]
    r.levels[level] = r.levels.get(level, 0) + n
    if level not in BAD:
        return
    r.bad_named += n if values["named"] else 0
    r.founded += n if values["verdict"] == "founded" else 0
    r.invalid += n if values["state"] == "invalid" else 0
    r.unable += n if values["state"] == "unable" else 0
    r.overdue += n if values["state"] == "overdue" else 0
    r.rectified += n if values["rectified"] else 0
    r.rectified_on_time += n if values["on_time"] else 0
    r.revisited += n if values["revisited"] and values["named"] else 0


def rating_figures(
    session: Session, p: Period, window: str | None = None
) -> tuple[list[RatingFigures], RatingFigures]:
    """Per-window 好差评 figures of the ratings given in ``p`` (rows with ratings only) and their total.

    Rectification rows follow their processes step by step; call ``rectification.start_waiting`` first so that
    差评 registered while the diagram was not deployed have their process (the dashboard does).
    """
    start, end = bounds(session, p)
    names = dict(session.execute(select(Window.code, Window.name)).all())
    owner = func.coalesce(Rectification.window, Rating.window)
    done = Rectification.rectified_at.is_not(None)
    on_time = case((done & (Rectification.due_at.is_(None) | (Rectification.rectified_at <= Rectification.due_at)), 1),
                   else_=0)  # fmt: skip
    columns = {
        "window": owner,
        "level": Rating.level,
        "named": Rating.named,
        "verdict": Rectification.verdict,
        "state": Rectification.state,
        "rectified": case((done, 1), else_=0),
        "on_time": on_time,
        "revisited": case((Rectification.revisited_at.is_not(None), 1), else_=0),
    }
    query = (
        select(*columns.values(), func.count())
        .select_from(Rating)
        .outerjoin(Rectification, Rectification.rating_id == Rating.id)
        .where(Rating.created_at >= start, Rating.created_at < end)
        .group_by(*columns.values())
    )
    if window:
        query = query.where(owner == window)
    rows: dict[str, RatingFigures] = {}
    for *values, n in session.execute(query):
        group = dict(zip(columns, values, strict=True))
        code = group["window"] or ""
        if code not in rows:
            rows[code] = RatingFigures(code, names.get(code, code or "—"))
        _add_group(rows[code], group, n)
    ordered = [rows[c] for c in sorted(rows)]
    total = RatingFigures("", "合计")
    for r in ordered:
        total.add(r)
    return ordered, total

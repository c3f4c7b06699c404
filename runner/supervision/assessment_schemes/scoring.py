"""A scheme applied to a period: every event line, section deductions with their caps, bonuses with the
bonus cap, the floor, grades and the award.

``score_period`` is a pure function of the stored events, the entered scores, the decided appeals and the
scheme version given: recomputing a past period gives the same numbers unless one of those changed.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from runner.core.transaction import services_of
from runner.models import Appeal, AssessmentScheme, Membership, Role, User, Window
from runner.supervision.assessment import APPEAL_STATES
from runner.supervision.assessment_schemes import entries, events, periods, scope, store
from runner.supervision.assessment_schemes.periods import Span
from runner.timekeeping.deadlines import calendar

__all__ = [
    "APPEAL_STATES",
    "Line",
    "SchemeResult",
    "Score",
    "SectionScore",
    "appeal_key",
    "points_sum",
    "collect_lines",
    "score_period",
]


@dataclass
class Line:
    """One rule applied to one event: the points it gives, traceable to the event's subject."""

    section: str
    rule_code: str
    label: str
    event: str
    subject: str  # the event: instance:12, complaint:3, entry:9 …
    day: date
    points: float
    business_key: str | None = None
    detail: str = ""
    disqualifies: bool = False
    window: str | None = None
    appeal_id: int | None = None
    appeal_status: str | None = None

    @property
    def counted(self) -> bool:
        """False once an appeal against it was upheld."""
        return self.appeal_status != "upheld"


@dataclass
class SectionScore:
    """A section's counted deductions (stopped at its maximum when capped) and its bonuses."""

    code: str
    name: str
    max: float | None
    cap: bool
    deducted: float = 0.0  # counted, after the cap (≤ 0)
    raw_deducted: float = 0.0
    added: float = 0.0  # every positive line (``bonus: true`` or not)
    bonus_added: float = 0.0  # the positive lines of ``bonus: true`` rules, before the scheme's bonus cap

    @property
    def capped(self) -> bool:
        return self.deducted != self.raw_deducted


@dataclass
class Score:
    """One window's or person's result for the period."""

    subject: str
    sections: list[SectionScore]
    lines: list[Line] = field(default_factory=list)
    bonus_raw: float = 0.0
    bonus_counted: float = 0.0
    total: float = 0.0  # before the floor
    score: float = 0.0
    grade: str = ""
    disqualified: bool = False
    awarded: bool = False

    @property
    def floored(self) -> bool:
        return self.score != self.total


@dataclass
class SchemeResult:
    """Every subject's score under one scheme version for one period."""

    scheme_code: str
    scheme_version: int
    scheme_name: str
    target: str
    span: Span
    full_score: float
    floor: float
    award_name: str | None
    scores: dict[str, Score]

    def ranked(self) -> list[Score]:
        return sorted(self.scores.values(), key=lambda s: (-s.score, s.subject))


def _rules(definition: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [(s, r) for s in definition.get("sections") or [] for r in s.get("rules") or []]


def _tier_points(rule: dict[str, Any], share: float | None) -> float | None:
    for tier in rule.get("tiers") or []:
        if share is not None and share >= tier["min_share"]:
            return float(tier["points"])
    return None


def _line(section: dict[str, Any], rule: dict[str, Any], hit: events.Hit) -> Line | None:
    if rule.get("effect") == "disqualify":
        points, disq = 0.0, True
    elif hit.points is not None:
        points, disq = float(hit.points), False
    elif rule.get("tiers"):
        found = _tier_points(rule, hit.share)
        if found is None:
            return None
        points, disq = found, False
    else:
        points, disq = float(rule.get("points") or 0), False
    return Line(section["code"], rule["code"], rule.get("label", ""), hit.event, hit.subject, hit.day, points,
                hit.business_key, hit.detail, disq, hit.window)  # fmt: skip


def appeal_key(
    scheme_code: str, rule_code: str, target: str, subject: str, event_subject: str
) -> tuple[str, str]:
    """What an appeal names: the scheme's rule and the event (with the person for a staff scheme)."""
    tail = f"@{subject}" if target == "person" else ""
    return f"{scheme_code}.{rule_code}"[:64], f"{event_subject}{tail}"[:64]


def collect_lines(
    session: Session, scheme: AssessmentScheme, first: date, last: date
) -> dict[str, list[Line]]:
    """Every line of the period per subject (window code or username), appeals attached."""
    d = scheme.definition
    cal = calendar(session)
    p = events.Period(first, last, cal.start_of_day(first), cal.start_of_day(last + timedelta(days=1)),
                      services_of(session).now())  # fmt: skip
    pairs = _rules(d)
    hits = events.read(session, p, {r["event"] for _, r in pairs if r["event"] != "entered"})
    by_event: dict[str, list[events.Hit]] = defaultdict(list)
    for h in hits:
        by_event[h.event].append(h)
    entered = defaultdict(list)
    for code, h in entries.hits(session, scheme.code, first, last):
        entered[code].append(h)
    assessed = scope.subject_filter(session, d, scheme.target)
    lines: dict[str, list[Line]] = defaultdict(list)
    for section, rule in pairs:
        source = entered[rule["code"]] if rule["event"] == "entered" else by_event[rule["event"]]
        for h in source:
            who = h.window if scheme.target == "window" else h.person
            line = _line(section, rule, h) if who and assessed(who) else None
            if line is not None:
                lines[who].append(line)
    appeals = {(a.rule_code, a.subject): a for a in session.scalars(select(Appeal).where(
        Appeal.rule_code.like(f"{scheme.code}.%")))}  # fmt: skip
    for who, found in lines.items():
        for line in found:
            a = appeals.get(appeal_key(scheme.code, line.rule_code, scheme.target, who, line.subject))
            if a is not None:
                line.appeal_id, line.appeal_status = a.id, a.status
    return lines


def points_sum(points: Any) -> float:
    """Points added up to the hundredth, so that −3.3 × 3 is −9.9 and not −9.899999999999999."""
    return round(math.fsum(points), 2) + 0.0


def _bonus_rules(d: dict[str, Any]) -> set[tuple[str, str]]:
    """``(section, rule)`` codes of the rules marked ``bonus: true``: only their points meet the bonus cap."""
    return {(s["code"], r["code"]) for s, r in _rules(d) if r.get("bonus") is True}


def _section_scores(d: dict[str, Any], lines: list[Line]) -> list[SectionScore]:
    out = []
    bonus = _bonus_rules(d)
    for s in d.get("sections") or []:
        sec = SectionScore(s["code"], s.get("name", s["code"]), s.get("max"), bool(s.get("cap")))
        counted = [ln for ln in lines if ln.section == s["code"] and ln.counted]
        sec.raw_deducted = points_sum(ln.points for ln in counted if ln.points < 0)
        capped = sec.cap and sec.max is not None  # max 0 is "at most 0 points"; only a missing max is no cap
        sec.deducted = max(sec.raw_deducted, -float(sec.max)) if capped else sec.raw_deducted
        sec.added = points_sum(ln.points for ln in counted if ln.points > 0)
        sec.bonus_added = points_sum(
            ln.points for ln in counted if ln.points > 0 and (ln.section, ln.rule_code) in bonus
        )
        out.append(sec)
    return out


def _bonus_room(
    session: Session, scheme: AssessmentScheme, span: Span, who: str, cache: dict[Any, Any]
) -> float:
    """Points of bonus still allowed in the period under the scheme's bonus cap (inf without a cap).

    The cap that binds is the one of the scheme computing ``span``: it limits what this period may add,
    given the bonus the earlier periods of the quarter (or year) actually counted. Each earlier period's
    bonus is counted under the scheme it was assessed under (with that scheme's own rules and cap), never
    re-read with the scheme in force now: a scheme change does not reopen a closed month's numbers.
    """
    cap = scheme.definition.get("bonus_cap")
    if not cap or cap.get("points") is None:
        return math.inf
    per = cap.get("per", "quarter")
    start = periods.quarter_of(span.first).first if per == "quarter" else date(span.first.year, 1, 1)
    if per == "period" or start >= span.first:
        return max(0.0, float(cap["points"]))
    prior = _prior_bonus(session, scheme, start, span.first - timedelta(days=1), cache).get(who, 0.0)
    return max(0.0, points_sum([float(cap["points"]), -prior]))


def _scheme_of(
    session: Session, scheme: AssessmentScheme, day: date, assessed: bool
) -> AssessmentScheme | None:
    """The scheme a period starting on ``day`` was assessed under: the one in force for the target then
    when ``scheme`` is the one in force (the assessment), else that day's version of ``scheme`` (a what-if)."""
    if assessed:
        return store.in_force(session, scheme.target, day)
    return store.scheme_for(session, scheme.code, day)


def _prior_bonus(
    session: Session, scheme: AssessmentScheme, first: date, last: date, cache: dict[Any, Any]
) -> dict[str, float]:
    """Each subject's counted bonus from ``first`` to ``last``, period by period under its own scheme."""
    key = ("prior", scheme.id, first, last)
    if key in cache:
        return cache[key]
    now = store.in_force(session, scheme.target, last + timedelta(days=1))
    assessed = now is not None and now.id == scheme.id
    out: dict[str, float] = defaultdict(float)
    day = first
    while day <= last:
        earlier = _scheme_of(session, scheme, day, assessed)
        piece = periods.period_of(earlier.period if earlier else "month", day)
        piece = Span(max(piece.first, day), min(piece.last, last))
        if earlier is not None:
            res = _scored(session, earlier, piece, cache)
            for subject, sc in res.scores.items():
                out[subject] = points_sum([out[subject], sc.bonus_counted])
        day = piece.last + timedelta(days=1)
    cache[key] = dict(out)
    return cache[key]


def _scored(session: Session, scheme: AssessmentScheme, span: Span, cache: dict[Any, Any]) -> SchemeResult:
    key = ("scored", scheme.id, span)
    if key not in cache:
        cache[key] = score_period(session, scheme, span, _cache=cache)
    return cache[key]


def _subjects(session: Session, definition: dict[str, Any], target: str) -> set[str]:
    """Everyone assessed even without a line: the scheme's windows with clerks, and the active clerks and
    window heads serving there."""
    rows = session.execute(
        select(Membership.window, User.username)
        .join(User, User.id == Membership.user_id)
        .join(Window, Window.code == Membership.window)
        .where(Membership.role.in_([Role.CLERK, Role.WINDOW_HEAD]), User.is_active.is_(True),
               Window.is_active.is_(True))
    ).all()  # fmt: skip
    assessed = scope.subject_filter(session, definition, target)
    found = {w for w, _ in rows} if target == "window" else {u for _, u in rows}
    return {who for who in found if assessed(who)}


def score_period(
    session: Session, scheme: AssessmentScheme, span: Span, *, _cache: dict[Any, Any] | None = None
) -> SchemeResult:
    """The scheme's result for ``span``: every subject's lines, sections, bonus, score, grade and award."""
    d = scheme.definition
    lines = collect_lines(session, scheme, span.first, span.last)
    full, floor = float(d.get("full_score", 100)), float(d.get("floor", 0))
    cache: dict[Any, Any] = {} if _cache is None else _cache
    scores = {}
    for who in sorted(_subjects(session, d, scheme.target) | set(lines)):
        mine = sorted(lines.get(who, []), key=lambda ln: (ln.day, ln.section, ln.rule_code, ln.subject))
        sc = Score(who, _section_scores(d, mine), mine)
        sc.bonus_raw = points_sum(s.bonus_added for s in sc.sections)
        sc.bonus_counted = (
            min(sc.bonus_raw, _bonus_room(session, scheme, span, who, cache)) if sc.bonus_raw else 0.0
        )
        plain = [points_sum([s.deducted, s.added, -s.bonus_added]) for s in sc.sections]  # outside the cap
        sc.total = points_sum([full, *plain, sc.bonus_counted])
        sc.score = max(floor, sc.total)
        sc.grade = _grade(d, sc.score)
        sc.disqualified = any(ln.disqualifies and ln.counted for ln in mine)
        scores[who] = sc
    _award(d, list(scores.values()))
    award = d.get("award") or {}
    return SchemeResult(scheme.code, scheme.version, scheme.name, scheme.target, span, full, floor,
                        award.get("name"), scores)  # fmt: skip


def _grade(d: dict[str, Any], score: float) -> str:
    for g in d.get("grades") or []:
        if g.get("min") is None or score >= g["min"]:
            return str(g["name"])
    return ""


def _award_places(award: dict[str, Any], assessed: int) -> int:
    """How many places the award has: ``top`` when given, else ``top_share`` of those assessed (at least
    one when the share is above 0)."""
    if award.get("top") is not None:
        return int(award["top"])
    share = float(award.get("top_share", 1))
    return max(1, round(assessed * share)) if share > 0 else 0


def _award(d: dict[str, Any], scores: list[Score]) -> None:
    """最佳服务窗口 (≥ min and the top share) or 红旗窗口 (the first n); ties at the last place all win."""
    award = d.get("award")
    if not award or not scores:
        return
    eligible = sorted(
        (s for s in scores if not s.disqualified and (award.get("min") is None or s.score >= award["min"])),
        key=lambda s: -s.score,
    )
    n = _award_places(award, len(scores))
    if not eligible or n <= 0:  # "top": 0 or "top_share": 0 awards nobody (0 is not "no limit")
        return
    bar = eligible[min(n, len(eligible)) - 1].score
    for s in eligible:
        s.awarded = s.score >= bar

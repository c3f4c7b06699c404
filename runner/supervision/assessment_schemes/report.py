"""The 考核 report of a period: each window's and each person's score by section, every line traceable to
its event, under the scheme in force then; quarters and the year as sums of months; and what changed the
period's numbers after it closed (an upheld or rejected appeal, a corrected or late entry).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from runner.models import Appeal, ScoreEntry
from runner.supervision.assessment_schemes import periods, scoring, store
from runner.supervision.assessment_schemes.periods import Span
from runner.timekeeping.deadlines import calendar


@dataclass
class Change:
    """Something recorded after the period closed that changes its numbers."""

    at: str
    what: str


@dataclass
class Sum:
    """A quarter or year of a monthly scheme: the months' scores, their average and the summed points."""

    subject: str
    months: dict[str, float] = field(default_factory=dict)
    points: float = 0.0  # Σ (score − full score)

    @property
    def average(self) -> float:
        return round(sum(self.months.values()) / len(self.months), 2) if self.months else 0.0


@dataclass
class TargetReport:
    """One target's report: the scheme result of each month (or the one period), the sums over several
    months, and what changed after a period closed."""

    target: str
    results: list[scoring.SchemeResult] = field(default_factory=list)
    sums: list[Sum] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)

    @property
    def result(self) -> scoring.SchemeResult | None:
        """The result of the (last) period."""
        return self.results[-1] if self.results else None

    def lines(self) -> list[tuple[scoring.SchemeResult, str, scoring.Line]]:
        """Every line of every period with its result and subject, newest first."""
        found = [(r, who, ln) for r in self.results for who, sc in r.scores.items() for ln in sc.lines]
        return sorted(found, key=lambda x: (x[2].day, x[1], x[2].rule_code, x[2].subject), reverse=True)


def scheme_span(kind: str, span: Span) -> Span:
    """The period a scheme computes for a report span: its own period when the span is shorter (a quarterly
    scheme asked about a month gives the quarter so far), else the span."""
    own = periods.period_of(kind, span.first)
    return own if own.last > span.last and own.first <= span.first and kind == "quarter" else span


def changes_since(session: Session, scheme_code: str, span: Span) -> list[Change]:
    """Appeals decided and entries corrected or entered after ``span`` closed that touch its lines."""
    cal = calendar(session)
    closed = cal.start_of_day(span.last + timedelta(days=1))
    out = []
    for a in session.scalars(
        select(Appeal).where(Appeal.rule_code.like(f"{scheme_code}.%"), Appeal.decided_at >= closed)
    ):
        state = scoring.APPEAL_STATES.get(a.status, a.status)
        out.append(
            Change(
                cal.local_date(a.decided_at).isoformat(), f"申诉 {a.id}（{a.subject}，{a.rule_code}）{state}"
            )
        )
    rows = session.scalars(
        select(ScoreEntry).where(
            ScoreEntry.scheme_code == scheme_code, ScoreEntry.occurred_on >= span.first,
            ScoreEntry.occurred_on <= span.last,
        )
    )  # fmt: skip
    for e in rows:
        if e.voided_at is not None and e.voided_at >= closed:
            out.append(
                Change(cal.local_date(e.voided_at).isoformat(), f"记分 {e.id} 已更正作废：{e.void_reason}")
            )
        if e.entered_at >= closed:
            out.append(
                Change(cal.local_date(e.entered_at).isoformat(), f"记分 {e.id} 于期末后补录（{e.points:+g}）")
            )
    return sorted(out, key=lambda c: c.at)


def target_report(session: Session, target: str, span: Span) -> TargetReport:
    """The report of one target for ``span`` under the scheme in force on its first day."""
    scheme = store.in_force(session, target, span.first)
    if scheme is None:
        return TargetReport(target)
    own = scheme_span(scheme.period, span)
    months = periods.months_in(span.first, span.last)
    if scheme.period == "month" and len(months) > 1:
        return _summed(session, target, months, span.first, span.last)
    result = scoring.score_period(session, scheme, own)
    return TargetReport(target, [result], changes=changes_since(session, scheme.code, own))


def _summed(session: Session, target: str, months: list[Span], first: date, last: date) -> TargetReport:
    sums: dict[str, Sum] = {}
    changes: list[Change] = []
    results = []
    for m in months:
        scheme = store.in_force(session, target, m.first)
        m = Span(max(m.first, first), min(m.last, last))  # noqa: PLW2901 - a range may cut a month
        if scheme is None:
            continue
        res = scoring.score_period(session, scheme, m)
        changes += changes_since(session, scheme.code, m)
        for who, sc in res.scores.items():
            s = sums.setdefault(who, Sum(who))
            s.months[m.first.strftime("%Y-%m")] = sc.score
            s.points += sc.score - res.full_score
        results.append(res)
    return TargetReport(target, results, sorted(sums.values(), key=lambda s: s.subject), changes)


def window_points(session: Session, first: date, last: date) -> dict[str, float] | None:
    """Each assessed window's points (score − full score) in the period under the window scheme in force:
    what the supervision dashboard shows as 考核 points, so that it agrees with the report. A window the
    scheme does not assess is absent (不参加考核); ``None`` when no window scheme is in force at all."""
    rep = target_report(session, "window", Span(first, last))
    if rep.sums:
        return {s.subject: plain(s.points) for s in rep.sums}
    if rep.result is None:
        return None
    return {who: plain(sc.score - rep.result.full_score) for who, sc in rep.result.scores.items()}


def plain(points: float) -> float:
    """Points as people write them: ``-25`` rather than ``-25.0``, ``1.5`` as it is."""
    points = round(points, 2)
    return int(points) if points == int(points) else points

"""When an item's lateness ends, which days it was late, and who held it on each of them.

Lateness ends when the applicant has the decision — not when the supervision office closes its 督办 task:
the first of the completed step that delivers the decision (its form is in ``DECISION_FORMS``), the 办结 or
不予受理 notice issued for the item, and the end of the item. Each late working day is charged to the month it
fell in, to the item's lead window (the window at fault) and to the clerk who held the item's open step that
day (the person who completed it, or who holds it now).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from runner.models import AuditEntry, Document, InstanceStatus, OpenTask, ProcessInstance
from runner.timekeeping.calendar import is_late
from runner.timekeeping.deadlines import calendar

# steps whose completion puts the decision in the applicant's hands
DECISION_FORMS = frozenset(
    {"completion_notice", "refusal", "return_notice", "proxy_delivery", "tolerance_withdrawal"}
)
DECISION_DOCUMENTS = ("completion", "refusal")
# steps of the supervision office: not the lead window's work, never "holding" the item
SUPERVISION_FORMS = frozenset({"supervision_review", "complaint_register", "complaint_revisit"})
OPEN = (InstanceStatus.RUNNING, InstanceStatus.WAITING, InstanceStatus.ERROR, InstanceStatus.SUSPENDED)


@dataclass
class Step:
    """A completed step of the item: when, by whom, in which window, which form."""

    at: datetime
    person: str
    window: str | None
    form_key: str | None


@dataclass
class ItemCourse:
    """What the assessment needs of one item: deadline, decision moment, the lead window's steps."""

    id: int
    business_key: str
    title: str
    definition_key: str
    item_kind: str | None
    lead_window: str
    started_at: datetime
    deadline: datetime | None
    promised_days: int | None
    decided_at: datetime | None
    paused_since: datetime | None
    steps: list[Step] = field(default_factory=list)  # the lead window's completed steps, in order
    related_windows: set[str] = field(default_factory=set)  # other windows that completed a step
    holder_now: str | None = None  # who holds the open step of the lead window now

    def holder_on(self, day: date, local_date) -> str | None:  # noqa: ANN001 - the calendar's local_date
        """The clerk who held the item on ``day``: the one who completed the step open that day."""
        for step in self.steps:
            if local_date(step.at) >= day:
                return step.person
        return self.holder_now

    def decider(self) -> str | None:
        """The clerk who delivered the decision (the last step of the lead window up to the decision)."""
        done = [s for s in self.steps if self.decided_at is None or s.at <= self.decided_at]
        return done[-1].person if done else self.holder_now


def _decision_from(steps: Iterable[tuple[datetime, str | None]]) -> datetime | None:
    moments = [at for at, form in steps if form in DECISION_FORMS]
    return min(moments) if moments else None


def courses(session: Session, lo: datetime, hi: datetime) -> list[ItemCourse]:
    """Items that may have been late or decided in [lo, hi): started before ``hi`` and not ended before
    ``lo`` (an item ended earlier had its decision earlier too)."""
    pi = ProcessInstance
    return _load(session, [pi.started_at < hi, or_(pi.ended_at.is_(None), pi.ended_at >= lo)])


def courses_of(session: Session, ids: Iterable[int]) -> list[ItemCourse]:
    """The courses of the given items (e.g. the items rated in a period)."""
    ids = sorted(set(ids))
    return [c for chunk in _chunks(ids) for c in _load(session, [ProcessInstance.id.in_(chunk)])]


def _load(session: Session, where: list[Any]) -> list[ItemCourse]:
    pi = ProcessInstance
    rows = session.execute(
        select(
            pi.id, pi.business_key, pi.title, pi.definition_key, pi.item_kind, pi.lead_window, pi.started_at,
            pi.deadline, pi.promised_days, pi.extension_days, pi.ended_at, pi.paused_since, pi.status,
        ).where(pi.lead_window.is_not(None), *where).order_by(pi.id)
    ).all()  # fmt: skip
    items: dict[int, ItemCourse] = {}
    ended: dict[int, datetime | None] = {}
    for r in rows:
        promised = (r.promised_days + (r.extension_days or 0)) if r.promised_days is not None else None
        items[r.id] = ItemCourse(
            r.id, r.business_key, r.title or "", r.definition_key, r.item_kind, r.lead_window, r.started_at,
            r.deadline, promised, None, r.paused_since,
        )  # fmt: skip
        ended[r.id] = r.ended_at if r.status not in OPEN else None
    if not items:
        return []
    ids = list(items)
    decisions: dict[int, list[datetime]] = defaultdict(list)
    for chunk in _chunks(ids):
        for entry in session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "complete", AuditEntry.instance_id.in_(chunk))
            .order_by(AuditEntry.at, AuditEntry.id)
        ):
            _add_step(items[entry.instance_id], entry, decisions)
        for iid, at in session.execute(
            select(Document.instance_id, Document.issued_at).where(
                Document.instance_id.in_(chunk), Document.kind.in_(DECISION_DOCUMENTS)
            )
        ):
            decisions[iid].append(at)
        for iid, window, assignee in session.execute(
            select(OpenTask.instance_id, OpenTask.window, OpenTask.assignee).where(
                OpenTask.instance_id.in_(chunk)
            )
        ):
            if window == items[iid].lead_window and assignee:
                items[iid].holder_now = assignee
    for iid, item in items.items():
        moments = decisions[iid] + ([ended[iid]] if ended[iid] is not None else [])
        item.decided_at = min(moments) if moments else None
    return list(items.values())


def _add_step(item: ItemCourse, entry: AuditEntry, decisions: dict[int, list[datetime]]) -> None:
    detail = entry.detail or {}
    form, window = detail.get("form_key"), detail.get("window")
    if form in SUPERVISION_FORMS:
        return
    if form in DECISION_FORMS:
        decisions[item.id].append(entry.at)
    if window is not None and window != item.lead_window:
        item.related_windows.add(window)
        return
    item.steps.append(Step(entry.at, entry.on_behalf_of or entry.actor, window, form))


def _chunks(ids: list[int], size: int = 500) -> Iterable[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def late_days(session: Session, item: ItemCourse, first: date, last: date, now: datetime) -> list[date]:
    """The item's late working days within [first, last]: after its deadline's date, up to the day the
    decision reached the applicant (or the clock stopped, or today). Days past the known holiday calendar
    are not counted until their year's arrangement is in (never guessed)."""
    if item.deadline is None:
        return []
    cal = calendar(session)
    until = item.decided_at or item.paused_since or now
    if not is_late(until, item.deadline):
        return []
    day = max(cal.local_date(item.deadline) + timedelta(days=1), first)
    stop = min(cal.local_date(until), last)
    known = cal.known_until(day)
    if known is None:
        return []
    stop = min(stop, known)
    out = []
    while day <= stop:
        if cal.is_workday(day):
            out.append(day)
        day += timedelta(days=1)
    return out


def early_share(session: Session, item: ItemCourse) -> float | None:
    """How much earlier than promised the decision came: working days left to the deadline / promised days
    (None when the item has no promise, was late, or has no decision)."""
    if item.deadline is None or item.decided_at is None or not item.promised_days:
        return None
    if is_late(item.decided_at, item.deadline):
        return None
    cal = calendar(session)
    left = cal.workdays_between(cal.local_date(item.decided_at), cal.local_date(item.deadline))
    return left / item.promised_days

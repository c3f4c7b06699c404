"""考核 points: deductions per window computed from stored events through the rule table, and appeals (申诉).

``compute(session, start, end)`` is a pure function of the stored rows (items, complaints, deemed assents,
warnings), the active ``AssessmentRule`` rows and the decided ``Appeal`` rows: run it again for any period
and it gives the same answer. Each deduction names its subject (``instance:12``, ``complaint:3``,
``accountability:7``, ``warning:5``) so that a window can appeal exactly that deduction; an upheld appeal
removes it from every later computation. Rules, appeals and decisions are written to the audit trail.

Events a rule can count (``AssessmentRule.event``; the defaults come from the seeds' 考核细则):
- ``late_completion`` (unit item): an item with a promised deadline completed after it, dated by its
  completion — 承诺件超期办结 −2 per item;
- ``late_working_day`` (unit working_day): each working day an item is past its promised deadline
  (open or completed later), dated by that day — 无故超过承诺时限 −5 per working day; "无故" (without a
  reason) means: not excused by an upheld appeal, where the window states its reason. Only known lateness
  counts: a deadline still pending counts nothing, and days past the known calendar count once their year's
  holiday arrangement is imported;
- ``verified_complaint`` (unit event): a complaint the supervision office found true, dated by its
  registration — 投诉经查属实 −5 each;
- ``deemed_assent`` (unit event): a deemed assent recorded against a related window (协办窗口抵触办理);
- ``warning:<level>`` (unit event): a stored warning of that level (notice, yellow, red, overdue).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from runner.core import audit
from runner.core.transaction import services_of
from runner.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from runner.models import (
    AccountabilityRecord,
    Appeal,
    AssessmentRule,
    Complaint,
    InstanceStatus,
    ProcessInstance,
    Role,
    WarningEvent,
)

EVENTS = {
    "late_completion": "承诺件超期办结",
    "late_working_day": "无故超过承诺时限（每工作日）",
    "verified_complaint": "投诉经查属实",
    "founded_bad_rating": "差评经核实属实（好差评）",
    "deemed_assent": "默认议定（协办窗口未按时答复）",
    "warning:notice": "提示预警",
    "warning:yellow": "黄牌预警",
    "warning:red": "红牌预警",
    "warning:overdue": "超期预警",
}
UNITS = {"item": "件", "working_day": "工作日", "event": "次"}
EVENT_UNITS = {"late_completion": "item", "late_working_day": "working_day"}  # others: event
APPEAL_STATES = {"open": "待裁决", "upheld": "申诉成立", "rejected": "申诉驳回"}
FULL_MARKS = 100  # 百分制: each window starts a month with 100 points (窗口单位考核实施细则)


@dataclass(frozen=True)
class DefaultRule:
    code: str
    event: str
    points: int
    active: bool
    note: str


DEFAULT_RULES = (
    DefaultRule("late_completion", "late_completion", -2, True, "承诺件超期办结的，每件扣2分"),
    DefaultRule("late_working_day", "late_working_day", -5, True, "无故超过办件的承诺时限，每件每超过1个工作日扣5分"),
    DefaultRule("verified_complaint", "verified_complaint", -5, True, "当事人投诉经查实的，每次扣5分"),
    DefaultRule("deemed_assent", "deemed_assent", -2, False, "协办窗口抵触办理（默认议定）的，每件次扣2分（默认停用）"),
    DefaultRule("red_card", "warning:red", -1, False, "红牌预警每次扣1分（默认停用）"),
)  # fmt: skip


def unit_of(event: str) -> str:
    return EVENT_UNITS.get(event, "event")


def seed_assessment_rules(session: Session) -> list[AssessmentRule]:
    """Create the default rule rows whose code is not there yet (existing rows are left as edited)."""
    have = set(session.scalars(select(AssessmentRule.code)))
    rows = [
        AssessmentRule(code=d.code, event=d.event, unit=unit_of(d.event), points=d.points, item_kind=None,
                       active=d.active, note=d.note)
        for d in DEFAULT_RULES
        if d.code not in have
    ]  # fmt: skip
    session.add_all(rows)
    session.flush()
    for row in rows:
        audit.record(session, "assessment_rule_created", actor="system", **rule_view(row))
    return rows


def rule_view(row: AssessmentRule) -> dict[str, Any]:
    return {
        "id": row.id, "code": row.code, "event": row.event, "unit": row.unit, "points": row.points,
        "item_kind": row.item_kind, "active": row.active, "note": row.note,
    }  # fmt: skip


def list_rules(session: Session) -> list[AssessmentRule]:
    return list(session.scalars(select(AssessmentRule).order_by(AssessmentRule.id)))


def save_rule(
    session: Session,
    *,
    actor: str,
    rule_id: int | None = None,
    code: str,
    event: str,
    points: int,
    item_kind: str | None = None,
    active: bool = True,
    note: str = "",
) -> AssessmentRule:
    """Create (``rule_id`` None) or change one rule line; audited with the values before and after."""
    code = (code or "").strip()
    if not code or len(code) > 64:
        raise InvalidInput("规则代码须为 1–64 个字符 (code must be 1-64 characters)", field="code")
    if event not in EVENTS:
        raise InvalidInput(
            f"未知的考核事件 {event!r} (unknown event; one of {', '.join(EVENTS)})", field="event"
        )
    try:
        points = int(points)
    except (TypeError, ValueError):
        raise InvalidInput("分值须为整数 (points must be a whole number)", field="points") from None
    if not -100 <= points <= 100:
        raise InvalidInput("分值须在 −100 到 100 之间 (points must be within -100..100)", field="points")
    if item_kind:
        from runner.core.conventions import ITEM_KINDS

        item_kind = ITEM_KINDS.get(item_kind.strip(), item_kind.strip())
    row = session.get(AssessmentRule, rule_id) if rule_id is not None else AssessmentRule()
    if row is None:
        raise NotFound(f"没有考核规则 {rule_id} (no such rule)")
    before = rule_view(row) if rule_id is not None else None
    clash = session.scalar(select(AssessmentRule.id).where(AssessmentRule.code == code))
    if clash is not None and clash != rule_id:
        raise Conflict(f"规则代码 {code} 已存在 (a rule with this code exists)", field="code")
    row.code, row.event, row.unit, row.points = code, event, unit_of(event), points
    row.item_kind, row.active, row.note = item_kind or None, bool(active), (note or "").strip()[:400]
    session.add(row)
    session.flush()
    audit.record(
        session, "assessment_rule_created" if before is None else "assessment_rule_changed",
        actor=actor, before=before, **rule_view(row),
    )  # fmt: skip
    return row


# --- computation ------------------------------------------------------------------------------------


@dataclass
class Deduction:
    """One rule applied to one subject in the period."""

    window: str
    rule_code: str
    event: str
    subject: str
    units: int
    points: int  # units × rule points
    occurred_on: date  # local date (the last counted day for working-day deductions)
    business_key: str | None = None
    title: str = ""
    detail: str = ""
    appeal_id: int | None = None
    appeal_status: str | None = None

    @property
    def counted(self) -> bool:
        """False once an appeal against it was upheld."""
        return self.appeal_status != "upheld"


@dataclass
class Assessment:
    """Deductions of a period, newest first, and their sum per window (upheld appeals excluded)."""

    start: date
    end: date
    deductions: list[Deduction] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)

    def for_window(self, window: str) -> list[Deduction]:
        return [d for d in self.deductions if d.window == window]


def _kind_filter(rule: AssessmentRule) -> list[Any]:
    return [ProcessInstance.item_kind == rule.item_kind] if rule.item_kind else []


def compute(session: Session, start: date, end: date, window: str | None = None) -> Assessment:
    """Deductions of every active rule for local dates ``start``..``end`` (both included)."""
    from runner.timekeeping.deadlines import calendar

    if end < start:
        raise InvalidInput("结束日期早于开始日期 (the period ends before it starts)", field="end")
    cal = calendar(session)
    lo, hi = cal.start_of_day(start), cal.start_of_day(end + timedelta(days=1))
    now = services_of(session).now()
    result = Assessment(start, end)
    rules = list(
        session.scalars(
            select(AssessmentRule).where(AssessmentRule.active.is_(True)).order_by(AssessmentRule.id)
        )
    )
    for rule in rules:
        handler = _HANDLERS.get(rule.event.split(":")[0])
        if handler is not None:
            result.deductions += handler(session, rule, lo, hi, now, window)
    appeals = {(a.window, a.rule_code, a.subject): a for a in session.scalars(select(Appeal))}
    totals: dict[str, int] = defaultdict(int)
    for d in result.deductions:
        appeal = appeals.get((d.window, d.rule_code, d.subject))
        if appeal is not None:
            d.appeal_id, d.appeal_status = appeal.id, appeal.status
        if d.counted:
            totals[d.window] += d.points
    result.deductions.sort(key=lambda d: (d.occurred_on, d.window, d.subject, d.rule_code), reverse=True)
    result.totals = dict(totals)
    return result


_ITEM_COLUMNS = (
    ProcessInstance.id, ProcessInstance.lead_window, ProcessInstance.deadline, ProcessInstance.ended_at,
    ProcessInstance.paused_since, ProcessInstance.business_key, ProcessInstance.title,
)  # fmt: skip


def _late_completion(
    session: Session, rule: AssessmentRule, lo: datetime, hi: datetime, now: datetime, window: str | None
) -> list[Deduction]:
    from runner.timekeeping.deadlines import calendar

    cal = calendar(session)
    pi = ProcessInstance
    query = select(*_ITEM_COLUMNS).where(
        pi.status == InstanceStatus.COMPLETED, pi.ended_at >= lo, pi.ended_at < hi,
        pi.deadline.is_not(None), pi.ended_at > pi.deadline, pi.lead_window.is_not(None), *_kind_filter(rule),
    )  # fmt: skip
    if window:
        query = query.where(pi.lead_window == window)
    out = []
    for item_id, lead, deadline, ended_at, _, key, title in session.execute(query.order_by(pi.id)):
        done = cal.local_date(ended_at)
        out.append(
            Deduction(
                lead, rule.code, rule.event, f"instance:{item_id}", 1, rule.points, done, key, title,
                f"承诺时限 {cal.local_date(deadline).isoformat()}，办结于 {done.isoformat()}",
            )
        )  # fmt: skip
    return out


def _late_working_days(
    session: Session, rule: AssessmentRule, lo: datetime, hi: datetime, now: datetime, window: str | None
) -> list[Deduction]:
    """Working days past the deadline that fall in the period: (deadline day, end day] ∩ [start, end]."""
    from runner.timekeeping.deadlines import calendar
    from runner.timekeeping.workday_counter import WorkdayCounter

    cal = calendar(session)
    counter = WorkdayCounter(cal)
    pi = ProcessInstance
    open_statuses = [
        InstanceStatus.RUNNING,
        InstanceStatus.WAITING,
        InstanceStatus.ERROR,
        InstanceStatus.SUSPENDED,
    ]
    common = [pi.deadline.is_not(None), pi.deadline < hi, pi.lead_window.is_not(None), *_kind_filter(rule)]
    if window:
        common.append(pi.lead_window == window)
    # two queries, each on its own index: completed late items that ended after the period began
    # (bounded by now too, so that the planner picks the (status, ended_at) index), and open ones
    completed = select(*_ITEM_COLUMNS).where(
        pi.status == InstanceStatus.COMPLETED, pi.ended_at >= lo, pi.ended_at <= now, pi.ended_at > pi.deadline,
        *common,
    )  # fmt: skip
    still_open = select(*_ITEM_COLUMNS).where(pi.status.in_(open_statuses), *common)
    period_first = cal.local_date(lo)
    period_last = cal.local_date(hi) - timedelta(days=1)
    out = []
    rows = [*session.execute(completed), *session.execute(still_open)]
    for item_id, lead, deadline, ended_at, paused_since, key, title in sorted(rows, key=lambda r: r[0]):
        # an open item counts up to now, or up to the moment its clock stopped (补正, hearing)
        until = ended_at or paused_since or now
        if until <= deadline:
            continue
        first_late = max(cal.local_date(deadline), period_first - timedelta(days=1))
        last = min(cal.local_date(until), period_last)
        # only known lateness: days past the known calendar are counted once their year's arrangement is in
        known = cal.known_until(first_late)
        last = min(last, known) if known is not None else first_late
        days = counter.between(first_late, last)
        if not days:  # none in the period, or none known yet (never guessed: the console alarms)
            continue
        state = "办结" if ended_at else "未办结"
        out.append(
            Deduction(
                lead, rule.code, rule.event, f"instance:{item_id}", days, days * rule.points, last, key, title,
                f"承诺时限 {cal.local_date(deadline).isoformat()}，本期内超期 {days} 个工作日（{state}）",
            )
        )  # fmt: skip
    return out


def _verified_complaints(
    session: Session, rule: AssessmentRule, lo: datetime, hi: datetime, now: datetime, window: str | None
) -> list[Deduction]:
    from runner.timekeeping.deadlines import calendar

    cal = calendar(session)
    query = select(Complaint).where(
        Complaint.verified.is_(True), Complaint.window.is_not(None), Complaint.created_at >= lo,
        Complaint.created_at < hi,
    )  # fmt: skip
    if window:
        query = query.where(Complaint.window == window)
    return [
        Deduction(
            c.window or "", rule.code, rule.event, f"complaint:{c.id}", 1, rule.points, cal.local_date(c.created_at),
            None, "投诉", f"投诉经查属实：{c.content[:60]}",
        )
        for c in session.scalars(query.order_by(Complaint.id))
    ]  # fmt: skip


def _deemed_assents(
    session: Session, rule: AssessmentRule, lo: datetime, hi: datetime, now: datetime, window: str | None
) -> list[Deduction]:
    from runner.timekeeping.deadlines import calendar

    cal = calendar(session)
    rec = AccountabilityRecord
    query = (
        select(rec, ProcessInstance.business_key, ProcessInstance.title)
        .join(ProcessInstance, ProcessInstance.id == rec.instance_id)
        .where(rec.kind == "deemed_assent", rec.recorded_at >= lo, rec.recorded_at < hi, *_kind_filter(rule))
    )
    if window:
        query = query.where(rec.window == window)
    return [
        Deduction(
            r.window, rule.code, rule.event, f"accountability:{r.id}", 1, rule.points, cal.local_date(r.recorded_at),
            key, title, f"默认议定（{r.rule}）：{r.task_name or ''}",
        )
        for r, key, title in session.execute(query.order_by(rec.id))
    ]  # fmt: skip


def _warnings(
    session: Session, rule: AssessmentRule, lo: datetime, hi: datetime, now: datetime, window: str | None
) -> list[Deduction]:
    from runner.timekeeping.deadlines import calendar

    cal = calendar(session)
    level = rule.event.split(":", 1)[1]
    w = WarningEvent
    query = (
        select(w, ProcessInstance.business_key, ProcessInstance.title)
        .join(ProcessInstance, ProcessInstance.id == w.instance_id)
        .where(
            w.level == level,
            w.window.is_not(None),
            w.created_at >= lo,
            w.created_at < hi,
            *_kind_filter(rule),
        )
    )
    if window:
        query = query.where(w.window == window)
    return [
        Deduction(
            e.window or "", rule.code, rule.event, f"warning:{e.id}", 1, rule.points, cal.local_date(e.created_at),
            key, title, e.message[:80],
        )
        for e, key, title in session.execute(query.order_by(w.id))
    ]  # fmt: skip


def _founded_bad_ratings(
    session: Session, rule: AssessmentRule, lo: datetime, hi: datetime, now: datetime, window: str | None
) -> list[Deduction]:
    """差评 found 属实 against the window at fault (``runner.applicants.rectification.founded_bad_ratings``)."""
    from runner.applicants.rectification import founded_bad_ratings
    from runner.timekeeping.deadlines import calendar

    cal = calendar(session)
    events = founded_bad_ratings(session, cal.local_date(lo), cal.local_date(hi) - timedelta(days=1), window)
    return [
        Deduction(e.window, rule.code, rule.event, e.subject, 1, rule.points, e.occurred_on, e.business_key,
                  "好差评", f"差评经核实属实（{e.level}）")
        for e in events
    ]  # fmt: skip


_HANDLERS = {
    "late_completion": _late_completion,
    "late_working_day": _late_working_days,
    "verified_complaint": _verified_complaints,
    "founded_bad_rating": _founded_bad_ratings,
    "deemed_assent": _deemed_assents,
    "warning": _warnings,
}


# --- appeals ----------------------------------------------------------------------------------------


def _roles_at(session: Session, username: str) -> set[tuple[str, str]]:
    from runner.people.directory import get_person

    person = get_person(session, username)
    return set(person.memberships) if person is not None and person.is_active else set()


def file_appeal(
    session: Session,
    *,
    window: str,
    rule_code: str,
    subject: str,
    reason: str,
    actor: str,
    start: date,
    end: date,
) -> Appeal:
    """申诉: a head of ``window`` contests one deduction of the period ``start``..``end`` it was shown in."""
    if (window, Role.WINDOW_HEAD) not in _roles_at(session, actor):
        raise PermissionDenied(
            f"只有 {window} 窗口负责人可以为本窗口申诉 (only a head of the window may appeal its deductions)"
        )
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("请写明申诉理由 (a reason is required)", field="reason")
    if len(reason) > 2000:
        raise InvalidInput("申诉理由不能超过 2000 字 (reason too long)", field="reason")
    found = [
        d for d in compute(session, start, end, window=window).deductions
        if d.rule_code == rule_code and d.subject == subject
    ]  # fmt: skip
    if not found:
        raise NotFound("该期间内没有这项扣分 (no such deduction in the period)", subject=subject)
    existing = session.scalar(
        select(Appeal.id).where(
            Appeal.window == window, Appeal.rule_code == rule_code, Appeal.subject == subject
        )
    )
    if existing is not None:
        raise Conflict("这项扣分已申诉过 (this deduction was appealed already)", appeal_id=existing)
    row = Appeal(
        window=window, rule_code=rule_code, subject=subject, points=found[0].points, reason=reason,
        status="open", filed_by=actor, filed_at=services_of(session).now(),
    )  # fmt: skip
    session.add(row)
    session.flush()  # a concurrent twin fails on the unique constraint at the latest at commit
    audit.record(
        session, "appeal_filed", actor=actor, appeal_id=row.id, window=window, rule_code=rule_code,
        subject=subject, points=row.points, reason=reason,
    )  # fmt: skip
    return row


def decide_appeal(session: Session, appeal_id: int, *, upheld: bool, decision: str, actor: str) -> Appeal:
    """The supervision office (督查股) upholds or rejects an open appeal, with its reasons."""
    roles = {r for _, r in _roles_at(session, actor)}
    if not roles & {Role.SUPERVISOR, Role.ADMIN}:
        raise PermissionDenied("只有督查股可以裁决申诉 (only the supervision office decides appeals)")
    row = session.get(Appeal, appeal_id, with_for_update=True)
    if row is None:
        raise NotFound(f"没有申诉 {appeal_id} (no such appeal)")
    if row.status != "open":
        raise Conflict(
            f"该申诉已裁决：{APPEAL_STATES.get(row.status, row.status)} (the appeal was decided already)"
        )
    decision = (decision or "").strip()
    if not decision:
        raise InvalidInput("请写明裁决意见 (a decision text is required)", field="decision")
    row.status = "upheld" if upheld else "rejected"
    row.decided_by, row.decided_at, row.decision = actor, services_of(session).now(), decision[:2000]
    audit.record(
        session, "appeal_decided", actor=actor, appeal_id=row.id, window=row.window, rule_code=row.rule_code,
        subject=row.subject, status=row.status, decision=row.decision,
    )  # fmt: skip
    return row


def list_appeals(
    session: Session, *, window: str | None = None, windows: set[str] | None = None, status: str | None = None
) -> list[Appeal]:
    """Appeals, newest first; ``windows`` limits them to those windows (a window head's own)."""
    query = select(Appeal).order_by(Appeal.id.desc())
    if window:
        query = query.where(Appeal.window == window)
    if windows is not None:
        query = query.where(Appeal.window.in_(sorted(windows)))
    if status:
        query = query.where(Appeal.status == status)
    return list(session.scalars(query.limit(1000)))


def open_appeal_count(session: Session) -> int:
    from sqlalchemy import func

    return int(session.scalar(select(func.count()).select_from(Appeal).where(Appeal.status == "open")) or 0)


__all__ = [
    "APPEAL_STATES",
    "DEFAULT_RULES",
    "EVENTS",
    "FULL_MARKS",
    "UNITS",
    "Assessment",
    "Deduction",
    "compute",
    "decide_appeal",
    "file_appeal",
    "list_appeals",
    "list_rules",
    "open_appeal_count",
    "save_rule",
    "seed_assessment_rules",
]

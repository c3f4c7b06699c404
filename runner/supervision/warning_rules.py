"""Supervision warnings (电子监察) from the ``warning_rules`` table, kept as stored timers.

For every active item with a promised deadline the runner keeps one pending ``Timer`` (kind ``rule``,
task id ``rule:<id>``) per applicable active rule. ``engine.save`` calls ``sync_rule_timers`` so the
timers follow every change of the deadline (start, pause/resume, 延期, calendar override) and are
cancelled when the item ends. A rule fires at most once per item: its ``WarningEvent``, an audit entry
``warning`` and a notification to the responsible window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Label, Text, bindparam, event, func, literal_column, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from runner import json_text
from runner.core import audit, hooks, item_writes
from runner.core.transaction import read_ahead, read_unflushed, services_of, taken_ahead
from runner.exceptions import CalendarDataMissing, InvalidInput
from runner.models import (
    InstanceStatus,
    OpenTask,
    ProcessInstance,
    Timer,
    TimerStatus,
    WarningEvent,
    WarningRule,
)
from runner.timekeeping.calendar import deadline_over_at, missing_year_of

RULE_KIND = "rule"
LEVELS = ("notice", "yellow", "red")
LEVEL_LABELS = {"notice": "提示", "yellow": "黄牌", "red": "红牌"}
LEVEL_LABELS_EN = {"notice": "notice", "yellow": "yellow card", "red": "red card"}


def rule_timer_names(level: str) -> tuple[str, str]:
    """A rule timer's name in Chinese (as stored in ``timers.name``) and in English."""
    english = LEVEL_LABELS_EN.get(level, level)
    return f"{LEVEL_LABELS.get(level, level)}预警", f"{english[:1].upper()}{english[1:]} warning"


@dataclass(frozen=True)
class DefaultRule:
    level: str
    offset_days: int
    note: str
    note_en: str


# the documented defaults, created by ``seed_warning_rules`` (``python -m runner.cli seed``)
DEFAULT_RULES = (
    DefaultRule("notice", -1, "提示：承诺时限前一个工作日开始时", "Notice: at the start of the working day before the deadline"),
    DefaultRule("yellow", 0, "黄牌：到达承诺时限", "Yellow card: at the promised deadline"),
    DefaultRule("red", 3, "红牌：超过承诺时限第3个工作日结束时", "Red card: at the end of the 3rd working day past the deadline"),
)  # fmt: skip


def rule_note_en(note: str) -> str | None:
    """The English of a rule's note as seeded (a note someone wrote has none: None)."""
    return next((d.note_en for d in DEFAULT_RULES if d.note == note), None)


def seed_warning_rules(session: Session) -> list[WarningRule]:
    """Create the default rules (提示 −1, 黄牌 0, 红牌 +3 for every kind) unless a rule exists already;
    open items get their warning timers at once."""
    if session.scalars(select(WarningRule.id).limit(1)).first() is not None:
        return []
    rows = [
        WarningRule(item_kind=None, level=d.level, offset_days=d.offset_days, active=True, note=d.note)
        for d in DEFAULT_RULES
    ]
    session.add_all(rows)
    session.flush()
    sync_open_items(session)
    return rows


def add_warning_rule(
    session: Session, level: str, offset_days: int, *, item_kind: str | None = None, note: str = ""
) -> WarningRule:
    """Add a rule (open items get its timer at once); ``item_kind`` as a code or its 中文 name."""
    if level not in LEVELS:
        raise InvalidInput(f"预警级别须为 {'/'.join(LEVELS)} (unknown level {level!r})", field="level")
    if item_kind is not None:
        from runner.core.conventions import ITEM_KINDS

        item_kind = ITEM_KINDS.get(item_kind, item_kind)  # 承诺件 → promised, as stored on the instance
    row = WarningRule(item_kind=item_kind, level=level, offset_days=int(offset_days), active=True, note=note)
    session.add(row)
    session.flush()
    sync_open_items(session)
    return row


def sync_open_items(session: Session) -> int:
    """Apply the current rules to every open item with a promised deadline (after the rules changed)."""
    from runner.models import ACTIVE_STATUSES

    session.info.pop("warning_rules", None)
    count = 0
    statuses = [*ACTIVE_STATUSES, InstanceStatus.SUSPENDED]
    for instance in session.scalars(
        select(ProcessInstance).where(
            ProcessInstance.status.in_(statuses),
            ProcessInstance.deadline.is_not(None) | ProcessInstance.deadline_pending_year.is_not(None),
        )
    ):
        sync_rule_timers(session, instance, force=True)
        count += 1
    return count


def list_warning_rules(session: Session) -> list[WarningRule]:
    return list(session.scalars(select(WarningRule).order_by(WarningRule.offset_days, WarningRule.id)))


def rule_due(session: Session, deadline: datetime, offset_days: int) -> datetime:
    """When a rule with ``offset_days`` fires for ``deadline`` (see ``WarningRule``): a 提示 before the deadline
    (``offset_days`` < 0) at the start of its working day; the 黄牌 at the deadline (0) and later rules (+N) judge
    lateness, so they fire when it begins, the local midnight after their day (``day_over_at``, as ``is_late``).
    Raises ``CalendarDataMissing`` when that day lies past the known calendar."""
    from runner.timekeeping.deadlines import calendar

    cal = calendar(session)
    if offset_days == 0:
        return deadline_over_at(deadline)
    day = cal.add_workdays(cal.local_date(deadline), offset_days)
    return cal.start_of_day(day) if offset_days < 0 else cal.day_over_at(day)


def rule_task_id(rule_id: int) -> str:
    return f"rule:{rule_id}"


_RULE_FIELDS = ("id", "item_kind", "level", "offset_days", "note")


def active_rules_column(dialect: str) -> Label[Any]:
    """A column for a transaction's first statement: every active rule, as one JSON array of their
    ``_RULE_FIELDS`` (``read_along_rules`` takes it). The database works it out once, whatever the rows."""
    pairs = [
        part for name in _RULE_FIELDS for part in (literal_column(f"'{name}'"), getattr(WarningRule, name))
    ]
    if dialect == "postgresql":
        rules = func.json_agg(func.json_build_object(*pairs))
    else:
        rules = func.json_group_array(func.json_object(*pairs))
    return (
        select(rules.cast(Text)).where(WarningRule.active.is_(True)).scalar_subquery().label("active_rules")
    )


def read_along_rules(session: Session, active: str | None) -> None:
    """The column of ``active_rules_column``, read by this transaction's first statement: the rules this session's
    items follow (``_rules_for``), in the order they are read by themselves. They are plain objects, outside the
    session: nothing a step does changes a rule."""
    rules = [WarningRule(active=True, **fields) for fields in json_text.loads(active or "[]")]
    session.info["warning_rules"] = sorted(rules, key=lambda rule: rule.id)


def _rules_for(session: Session, instance: ProcessInstance) -> list[WarningRule]:
    rules: list[WarningRule] | None = session.info.get("warning_rules")
    if rules is None:
        # the step's own writes are not rules: they go out at the commit, not before this read
        with read_unflushed(session, WarningRule):
            rules = session.info["warning_rules"] = list(
                session.scalars(
                    select(WarningRule).where(WarningRule.active.is_(True)).order_by(WarningRule.id)
                )
            )
    return [r for r in rules if r.item_kind is None or r.item_kind == instance.item_kind]


def _inputs(instance: ProcessInstance) -> tuple[Any, ...]:
    """What an item's rule timers follow besides the rules: its deadline (or the year it waits for), whether
    it is finished, suspended."""
    return (
        instance.deadline,
        instance.deadline_pending_year,
        instance.status in (InstanceStatus.COMPLETED, InstanceStatus.TERMINATED),
        instance.status == InstanceStatus.SUSPENDED,
    )


@event.listens_for(ProcessInstance, "load")
def _remember_inputs(instance: ProcessInstance, *_: Any) -> None:
    """Rows read from the database had their rule timers synced with what they hold (every write of a
    deadline or status goes through ``sync_rule_timers``; editing the rules re-syncs every open item)."""
    instance.__dict__["_rule_timer_inputs"] = _inputs(instance)


@event.listens_for(ProcessInstance, "refresh")
def _refreshed(instance: ProcessInstance, _context: Any, attrs: Any) -> None:
    if attrs is None or {"deadline", "deadline_pending_year", "status"} <= set(attrs):
        _remember_inputs(instance)
    elif {"deadline", "deadline_pending_year", "status"} & set(attrs):
        instance.__dict__.pop("_rule_timer_inputs", None)  # half known: sync on the next save


RULE_TIMERS = "rule_timers"  # what ``read_rule_timers`` reads ahead


def read_rule_timers(session: Session, instance_ids: list[int]) -> None:
    """The rule timer rows of many items in one query, for their next ``sync_rule_timers`` (a batch of timers)."""
    rows: dict[int, list[Timer]] = {instance_id: [] for instance_id in instance_ids}
    for row in session.scalars(
        select(Timer).where(Timer.instance_id.in_(instance_ids), Timer.kind == RULE_KIND)
    ):
        rows[row.instance_id].append(row)
    read_ahead(session, RULE_TIMERS, rows)


def _read_rule_timers(session: Session, instance: ProcessInstance) -> list[Timer]:
    """The item's rule timer rows, without writing the step's other changes first: only a new or deleted rule
    timer row of the item not written yet would be missed (or kept), and then everything is written first."""
    if any(
        isinstance(row, Timer) and row.instance_id == instance.id and _is_rule_timer(row)
        for row in (*session.new, *session.deleted)
    ):
        session.flush()
    with session.no_autoflush:
        return list(
            session.scalars(select(Timer).where(Timer.instance_id == instance.id, Timer.kind == RULE_KIND))
        )


def _is_rule_timer(row: Timer) -> bool:
    return row.kind == RULE_KIND


def _none_yet(session: Session, instance: ProcessInstance) -> None:
    """A new item has no rule timer rows: its first ``sync_rule_timers`` reads none."""
    read_ahead(session, RULE_TIMERS, {instance.id: []})


def sync_rule_timers(session: Session, instance: ProcessInstance, *, force: bool = False) -> None:
    """Bring the instance's pending rule timers in line with its stored deadline and the active rules
    (a no-op without ``force`` when deadline and status are those its timers were synced with)."""
    from runner.core.scheduling import schedule_timer

    inputs = _inputs(instance)
    if not force and instance.__dict__.get("_rule_timer_inputs") == inputs:
        return
    instance.__dict__["_rule_timer_inputs"] = inputs
    rows = taken_ahead(session, RULE_TIMERS, instance.id, Timer, _is_rule_timer)
    if rows is None and instance.status in (InstanceStatus.COMPLETED, InstanceStatus.TERMINATED):
        _end_rule_timers(session, instance)  # the item ended: none is wanted any more, nothing to read
        return
    if rows is None:
        rows = _read_rule_timers(session, instance)
    if not rows and instance.deadline is None and instance.deadline_pending_year is None:
        return
    now = services_of(session).now()
    wanted = _wanted(session, instance, {r.task_id for r in rows if r.status == TimerStatus.FIRED})
    unarmed = {r.task_id: r for r in rows if r.status == TimerStatus.UNARMED}
    by_key = {(r.task_id, r.due_at): r for r in rows if r.due_at is not None}
    for row in rows:
        if (
            row.status == TimerStatus.PENDING
            and (row.task_id not in wanted or wanted[row.task_id][1] != row.due_at)
            or row.status == TimerStatus.UNARMED
            and row.task_id not in wanted
        ):
            row.status, row.ended_at = TimerStatus.CANCELLED, now
    to_schedule: list[Timer] = []
    for task_id, (rule, due, year) in wanted.items():
        if due is None:  # waits for a year's calendar: one unarmed row
            row = unarmed.get(task_id)
            if row is not None and row.status == TimerStatus.UNARMED:
                row.pending_year = year
            else:
                session.add(_rule_timer(instance, rule, None, now, pending_year=year))
            continue
        row = by_key.get((task_id, due))
        if row is not None and row.status == TimerStatus.PENDING:
            continue
        if row is not None:  # back to a due time seen before (e.g. an override undone): re-arm that row
            row.status, row.ended_at, row.created_at = TimerStatus.PENDING, None, now
        elif (armed := unarmed.get(task_id)) is not None and armed.status == TimerStatus.UNARMED:
            row = armed  # its time is known now: the unarmed row is armed
            row.status, row.due_at, row.pending_year = TimerStatus.PENDING, due, None
        else:
            row = _rule_timer(instance, rule, due, now)
            session.add(row)
        to_schedule.append(row)
    if to_schedule and instance.status != InstanceStatus.SUSPENDED:
        for row in to_schedule:
            schedule_timer(session, row)


# cancels the pending and unarmed rule timers of an item: a statement of the table, built once (an ORM-enabled
# UPDATE costs more to run than the read it saves; a row's object in the session is changed by hand)
_TIMERS = Timer.__table__
_END_RULE_TIMERS = (
    update(_TIMERS)
    .where(
        _TIMERS.c.instance_id == bindparam("of_instance"),
        _TIMERS.c.kind == RULE_KIND,
        _TIMERS.c.status.in_((TimerStatus.PENDING, TimerStatus.UNARMED)),
    )
    .values(status=TimerStatus.CANCELLED, ended_at=bindparam("closed_at"))
    .returning(_TIMERS.c.id)
)


def _end_rule_timers(session: Session, instance: ProcessInstance) -> None:
    """Cancel the pending and unarmed rule timers of an item that ended, without reading them (what
    ``sync_rule_timers`` does to each of them when no rule is wanted): with the step's other writes
    (``item_writes.end_timers``) when the session holds no timer object of the item; else in a statement of its
    own, unwritten timer rows of the item written first (the statement must see them as they are), the session's
    objects of those rows changed likewise."""
    now = services_of(session).now()
    if not item_writes.holds_timers(session, instance) and item_writes.end_timers(
        session, instance, RULE_KIND, now
    ):
        return  # with the step's other writes
    if item_writes.unwritten_timers(session, instance):
        session.flush()
    mapper = sa_inspect(Timer)
    with session.no_autoflush:  # what else is unwritten is written once, at the end
        ended = session.execute(_END_RULE_TIMERS, {"of_instance": instance.id, "closed_at": now}).all()
    for (timer_id,) in ended:
        row = session.identity_map.get(mapper.identity_key_from_primary_key((timer_id,)))
        # the session's object of the row, if any, changes as the row did (and back, if a savepoint rolls back)
        if row is not None:
            row.status, row.ended_at = TimerStatus.CANCELLED, now


def _wanted(
    session: Session, instance: ProcessInstance, fired: set[str]
) -> dict[str, tuple[WarningRule, datetime | None, int | None]]:
    """Per applicable rule not fired yet: its due time, or (None, the year it waits for)."""
    finished = instance.status in (InstanceStatus.COMPLETED, InstanceStatus.TERMINATED)
    wanted: dict[str, tuple[WarningRule, datetime | None, int | None]] = {}
    if finished or (instance.deadline is None and instance.deadline_pending_year is None):
        return wanted
    for rule in _rules_for(session, instance):
        task_id = rule_task_id(rule.id)
        if task_id in fired:
            continue  # a rule warns once per item
        if instance.deadline is None:
            wanted[task_id] = (rule, None, instance.deadline_pending_year)
            continue
        try:
            wanted[task_id] = (rule, rule_due(session, instance.deadline, rule.offset_days), None)
        except CalendarDataMissing as exc:
            wanted[task_id] = (
                rule,
                None,
                missing_year_of(exc),
            )  # never guessed: armed once the year is known
    return wanted


def _rule_timer(
    instance: ProcessInstance,
    rule: WarningRule,
    due: datetime | None,
    now: datetime,
    pending_year: int | None = None,
) -> Timer:
    return Timer(
        instance_id=instance.id, task_id=rule_task_id(rule.id), spec_name=rule.level,
        name=rule_timer_names(rule.level)[0], due_at=due, pending_year=pending_year,
        status=TimerStatus.PENDING if due is not None else TimerStatus.UNARMED, created_at=now,
        follows_deadline=True, kind=RULE_KIND, rule_id=rule.id,
    )  # fmt: skip


def fire_rule_timer(session: Session, row: Timer, instance: ProcessInstance) -> str:
    """Write the warning of a due rule timer (the caller checked it is pending, due and not held)."""
    from runner.items.operations import notify

    now = services_of(session).now()
    rule = session.get(WarningRule, row.rule_id) if row.rule_id is not None else None
    if rule is not None and not rule.active:
        row.status, row.ended_at = TimerStatus.CANCELLED, now
        return "cancelled"
    level = rule.level if rule is not None else row.spec_name
    oldest = session.scalars(
        select(OpenTask)
        .where(OpenTask.instance_id == instance.id)
        .order_by(OpenTask.created_at, OpenTask.id)
        .limit(1)
    ).first()
    from runner.timekeeping.deadlines import calendar

    label = LEVEL_LABELS.get(level, level)
    deadline = calendar(session).date_text(instance.deadline, instance.deadline_pending_year)
    message = f"办件 {instance.business_key}「{instance.title}」{label}预警：承诺时限 {deadline}"
    english = (
        f"Item {instance.business_key} “{instance.title}”: {LEVEL_LABELS_EN.get(level, level)} warning; promised"
        f" date {deadline}"
    )
    session.add(
        WarningEvent(
            instance_id=instance.id, task_id=oldest.task_id if oldest else None,
            task_name=oldest.name if oldest else None, window=instance.lead_window,
            clerk=oldest.assignee if oldest else None, rule=f"rule:{level}", level=level, message=message,
            message_en=english, created_at=now,
        )
    )  # fmt: skip
    row.status, row.ended_at = TimerStatus.FIRED, now
    audit.record(
        session, "timer_fired", actor="system", instance=instance, task_id=row.task_id, task_name=row.name,
        due_at=row.due_at.isoformat(), timer_id=row.id,
    )  # fmt: skip
    audit.record(
        session, "warning", actor="system", instance=instance, level=level, rule=f"rule:{level}",
        window=instance.lead_window, clerk=oldest.assignee if oldest else None, message=message,
    )  # fmt: skip
    if instance.lead_window:
        notify(
            session, "warning", message, english=english, to_window=instance.lead_window, instance=instance
        )
    return "fired"


def rule_timers_pending(session: Session, instance_id: int) -> list[Timer]:
    """The pending rule timers of an instance, soonest first."""
    return list(
        session.scalars(
            select(Timer)
            .where(
                Timer.instance_id == instance_id,
                Timer.kind == RULE_KIND,
                Timer.status == TimerStatus.PENDING,
            )
            .order_by(Timer.due_at)
        )
    )


__all__ = [
    "DEFAULT_RULES",
    "add_warning_rule",
    "fire_rule_timer",
    "list_warning_rules",
    "rule_due",
    "rule_timers_pending",
    "seed_warning_rules",
    "sync_open_items",
    "sync_rule_timers",
]


hooks.after_save(sync_rule_timers)  # every save of an item keeps its rule timers in step
hooks.read_ahead(read_rule_timers)
hooks.new_item(_none_yet)
hooks.timer_kind(RULE_KIND, fire_rule_timer)

"""The runner's tables. Only ``runner`` reads or writes them; web layers go through runner functions.

Statuses are readable ``str`` enums; invariants are database constraints where they can be.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    and_,
    or_,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every database (SQLite would otherwise hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; the platform works in aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class InstanceStatus(enum.StrEnum):
    RUNNING = "running"  # has work that a person or the engine can do now
    WAITING = "waiting"  # only timers or messages can move it
    SUSPENDED = "suspended"
    COMPLETED = "completed"
    TERMINATED = "terminated"
    ERROR = "error"  # an open incident


ACTIVE_STATUSES = (InstanceStatus.RUNNING, InstanceStatus.WAITING, InstanceStatus.ERROR)


class TimerStatus(enum.StrEnum):
    PENDING = "pending"
    FIRED = "fired"
    CANCELLED = "cancelled"
    # its due time reaches past the known holiday calendar: no due time, no wake-up, until the year it waits
    # for (``pending_year``) is known; then it is armed (pending) or cancelled
    UNARMED = "unarmed"


def _enum(e: type[enum.StrEnum]) -> String:
    return String(max(len(m.value) for m in e))


class Window(Base):
    """A window (窗口) of the centre: owns lanes, tasks and statistics."""

    __tablename__ = "windows"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))  # English pages show it when filled
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class ProcessDefinition(Base):
    """One deployed version of a diagram. The spec is stored once here, never inside instances."""

    __tablename__ = "process_definitions"
    __table_args__ = (
        UniqueConstraint("key", "version", name="uq_definition_key_version"),
        Index("ix_definition_key_hash", "key", "content_hash"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(400))
    filename: Mapped[str] = mapped_column(String(400))
    content_hash: Mapped[str] = mapped_column(String(64))
    # the large columns load on first use: every instance load joins its definition for the small ones
    bpmn_xml: Mapped[str] = mapped_column(Text, deferred=True)
    dmn_xml: Mapped[list[Any]] = mapped_column(JSON, default=list, deferred=True)
    spec_state: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)  # compressed serialized specs
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    deployed_by: Mapped[str] = mapped_column(String(200))
    deployed_at: Mapped[datetime]


class ProcessInstance(Base):
    """One item (办件) being handled. ``lock_version`` gives optimistic locking."""

    __tablename__ = "process_instances"
    __table_args__ = (
        Index("ix_instance_status_started", "status", "started_at"),
        Index("ix_instance_key_status", "definition_key", "status"),
        Index("ix_instance_lead_window", "lead_window", "status"),
        Index("ix_instance_deadline", "deadline"),
        # the console's instance list at 100,000 rows: overdue counts, per-version filter, started-between
        Index("ix_instance_status_deadline", "status", "deadline"),
        Index("ix_instance_definition", "definition_id", "status"),
        Index("ix_instance_started", "started_at"),
        # supervision figures count completed items by the day they ended (runner.supervision.statistics)
        Index("ix_instance_status_ended", "status", "ended_at"),
        # items whose deadlines wait for a year's holiday arrangement (the console's 期限待定 filter)
        Index("ix_instance_deadline_pending", "deadline_pending_year"),
        Index("ix_instance_statutory_pending", "statutory_pending_year"),
        # the inbox's search by applicant (runner.item_search)
        Index("ix_instance_applicant", "applicant"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    business_key: Mapped[str] = mapped_column(String(64), unique=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"))
    definition_key: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(400), default="")
    item_kind: Mapped[str | None] = mapped_column(String(40))
    lead_window: Mapped[str | None] = mapped_column(String(64))
    applicant: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(_enum(InstanceStatus), default=InstanceStatus.RUNNING)
    started_at: Mapped[datetime]
    started_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(Text)
    promised_days: Mapped[int | None] = mapped_column(Integer)
    deadline: Mapped[datetime | None]  # stored item deadline (承诺时限), recomputed on every change
    # the promised deadline reaches past the known holiday calendar: the year whose arrangement it waits for
    deadline_pending_year: Mapped[int | None] = mapped_column(Integer)
    statutory_days: Mapped[int | None] = mapped_column(Integer)  # 法定时限
    statutory_deadline: Mapped[datetime | None]
    statutory_pending_year: Mapped[int | None] = mapped_column(Integer)
    extension_days: Mapped[int] = mapped_column(Integer, default=0)  # granted 延期, added to both limits
    # §32: the one-time 补正 notice came later than 5 working days after receipt, so the item counts
    # as accepted on the day it was received
    accepted_on_receipt: Mapped[bool] = mapped_column(Boolean, default=False)
    paused_since: Mapped[datetime | None]  # the item's clock is stopped while set
    # working-day dates the item's scripts computed (value → recipe, ``runner.timekeeping.pending_dates``): what a change
    # of the calendar recomputes; pending dates are kept here too
    calendar_dates: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    serializer_version: Mapped[str] = mapped_column(String(20))
    # compressed SpiffWorkflow state, spec stripped; read only when the process has no restored copy of the
    # item's current version (runner.core.workflow_cache), so not with every load of the row
    state: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False)
    audit_head: Mapped[str | None] = mapped_column(String(64))  # hash of the instance's last audit entry

    definition: Mapped[ProcessDefinition] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": lock_version}


class OpenTask(Base):
    """Projection of the ready user tasks of running instances, for inbox queries."""

    __tablename__ = "open_tasks"
    __table_args__ = (
        UniqueConstraint("instance_id", "task_id", name="uq_open_task"),
        Index("ix_open_task_window_due", "window", "due_at"),
        Index("ix_open_task_assignee_due", "assignee", "due_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE"), index=True
    )
    task_id: Mapped[str] = mapped_column(String(36))
    spec_name: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(400))
    business_key: Mapped[str] = mapped_column(String(64))
    definition_key: Mapped[str] = mapped_column(String(200))
    item_kind: Mapped[str | None] = mapped_column(String(40))
    lane: Mapped[str | None] = mapped_column(String(200))
    window: Mapped[str | None] = mapped_column(String(64))
    candidate_windows: Mapped[list[Any]] = mapped_column(JSON, default=list)
    form_key: Mapped[str | None] = mapped_column(String(200))
    assignee: Mapped[str | None] = mapped_column(String(200))
    claimed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    limit_days: Mapped[int | None] = mapped_column(Integer)
    due_at: Mapped[datetime | None]
    due_pending_year: Mapped[int | None] = mapped_column(
        Integer
    )  # its due time waits for that year's calendar
    properties: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    urge_count: Mapped[int] = mapped_column(Integer, default=0)  # 催办
    last_urged_at: Mapped[datetime | None]
    last_urged_by: Mapped[str | None] = mapped_column(String(200))
    delegated_by: Mapped[str | None] = mapped_column(String(200))  # 委派: comes back to this person
    delegation_note: Mapped[str | None] = mapped_column(Text)
    # the task came back by 退回 (``return_kind`` "send_back") or 撤回 ("withdraw"): by whom, when, why
    returned_by: Mapped[str | None] = mapped_column(String(200))
    returned_at: Mapped[datetime | None]
    return_reason: Mapped[str | None] = mapped_column(Text)
    return_kind: Mapped[str | None] = mapped_column(String(20))

    # a step deletes the rows of tasks it finished; when a concurrent step of the same item got there first,
    # the item's optimistic lock (process_instances.lock_version, written in the same flush) refuses this
    # one and it is retried: the missing row is no error of its own
    __mapper_args__ = {"confirm_deleted_rows": False}


class Timer(Base):
    """A pending timer of an instance. The database is the truth; Redis only carries wake-ups."""

    __tablename__ = "timers"
    __table_args__ = (
        UniqueConstraint("instance_id", "task_id", "due_at", name="uq_timer"),
        Index("ix_timer_status_due", "status", "due_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE"), index=True
    )
    task_id: Mapped[str] = mapped_column(String(36))
    spec_name: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(400))
    due_at: Mapped[datetime | None]  # None only while unarmed
    pending_year: Mapped[int | None] = mapped_column(Integer)  # unarmed: the year whose calendar it waits for
    status: Mapped[str] = mapped_column(_enum(TimerStatus), default=TimerStatus.PENDING)
    created_at: Mapped[datetime]
    enqueued_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    # computed from the item deadline (item_deadline()): held while the item's clock is paused
    follows_deadline: Mapped[bool] = mapped_column(Boolean, default=False)
    # 'bpmn': a timer event of the diagram; 'rule': a supervision warning from ``warning_rules``
    kind: Mapped[str] = mapped_column(String(10), default="bpmn", server_default="bpmn")
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("warning_rules.id", ondelete="SET NULL"))


class MessageSubscription(Base):
    """A waiting message catch event, with the value the sender must quote."""

    __tablename__ = "message_subscriptions"
    __table_args__ = (Index("ix_subscription_lookup", "message_name", "correlation_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE"), index=True
    )
    task_id: Mapped[str] = mapped_column(String(36))
    message_name: Mapped[str] = mapped_column(String(200))
    correlation_key: Mapped[str] = mapped_column(String(200))


class Incident(Base):
    """A failure while stepping an instance (script error, bad expression)."""

    __tablename__ = "incidents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE"), index=True
    )
    task_id: Mapped[str | None] = mapped_column(String(36))
    task_name: Mapped[str | None] = mapped_column(String(400))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(200))


class ClockPause(Base):
    """An interval during which an item's clock does not run (补正, §45 hearings, upper authority)."""

    __tablename__ = "clock_pauses"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(String(400))
    started_at: Mapped[datetime]
    started_by: Mapped[str] = mapped_column(String(200))
    ended_at: Mapped[datetime | None]
    ended_by: Mapped[str | None] = mapped_column(String(200))


class AccountabilityRecord(Base):
    """A deemed assent (默认议定) or other fault recorded against a window."""

    __tablename__ = "accountability_records"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE"), index=True
    )
    window: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # e.g. deemed_assent
    rule: Mapped[str] = mapped_column(String(200))  # which rule caused it: timeout, absent, no_reason
    task_name: Mapped[str | None] = mapped_column(String(400))
    limit_at: Mapped[datetime | None]
    recorded_at: Mapped[datetime]
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class WarningEvent(Base):
    """A stored supervision warning (电子监察): notice, yellow card, red card, overdue. Never updated but
    for the responsible clerk's acknowledgement (纠错回告). A warning of an online application's 预审 (before
    there is an item) names ``online_application_id`` instead of ``instance_id``."""

    __tablename__ = "warning_events"
    __table_args__ = (Index("ix_warning_window_created", "window", "created_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE"), index=True
    )
    online_application_id: Mapped[int | None] = mapped_column(
        ForeignKey("online_applications.id", ondelete="CASCADE"), index=True
    )
    task_id: Mapped[str | None] = mapped_column(String(36))
    task_name: Mapped[str | None] = mapped_column(String(400))
    window: Mapped[str | None] = mapped_column(String(64))
    clerk: Mapped[str | None] = mapped_column(String(200))
    rule: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(Text, default="")
    message_en: Mapped[str | None] = mapped_column(Text)  # the same in English (None: older warnings)
    created_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    reply: Mapped[str | None] = mapped_column(Text)


class WarningRule(Base):
    """A supervision warning rule (电子监察): when, relative to the promised deadline, which level fires.

    ``offset_days``: −N = start (00:00) of the N-th working day before the deadline's day, 0 = at the
    deadline, +N = end (23:59:59) of the N-th working day after it. ``item_kind`` None = every kind.
    """

    __tablename__ = "warning_rules"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_kind: Mapped[str | None] = mapped_column(String(40))
    level: Mapped[str] = mapped_column(String(20))  # notice / yellow / red
    offset_days: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str] = mapped_column(String(400), default="")


class Proxy(Base):
    """委托: from ``starts_at`` to ``ends_at`` new tasks meant for ``from_user`` go to ``to_user``.

    Unlike AB岗 (``Absence``: the backup sees the absent clerk's tasks), the task is assigned to the proxy.
    """

    __tablename__ = "proxies"
    __table_args__ = (Index("ix_proxy_from", "from_user", "starts_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    from_user: Mapped[str] = mapped_column(String(200))
    to_user: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(400), default="")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class CalendarOverride(Base):
    """A local change to the national working-day calendar (extra holiday or make-up working day)."""

    __tablename__ = "calendar_overrides"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(400), default="")
    created_by: Mapped[str] = mapped_column(String(200), default="system")
    created_at: Mapped[datetime]


class HolidayArrangement(Base):
    """A year's holiday arrangement (国务院放假安排) as imported: Saturdays and Sundays are off, Monday to Friday
    working days, except the days listed (``HolidayArrangementDay``). A year with an arrangement is known to the
    business calendar; importing the year again replaces it."""

    __tablename__ = "holiday_arrangements"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    title: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(Text)  # the text as imported
    imported_by: Mapped[str] = mapped_column(String(200))
    imported_at: Mapped[datetime]


class HolidayArrangementDay(Base):
    """One listed day of a year's arrangement: a day off (休) or a make-up working day (班)."""

    __tablename__ = "holiday_arrangement_days"
    year: Mapped[int] = mapped_column(
        ForeignKey("holiday_arrangements.year", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(100), default="")


class CalendarAlert(Base):
    """The alarm that next year's holiday arrangement is missing, raised once per year (admins are told once)."""

    __tablename__ = "calendar_alerts"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    raised_at: Mapped[datetime]
    cleared_at: Mapped[datetime | None]


class ReceiptCounter(Base):
    """Per-year sequence for readable receipt numbers (办件编号) such as ``2026-000123``."""

    __tablename__ = "receipt_counters"
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class AuditEntry(Base):
    """Append-only audit trail. Each row hashes the previous row of its chain (tamper evidence)."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_instance", "instance_id", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chain: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    on_behalf_of: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60), index=True)
    instance_id: Mapped[int | None] = mapped_column(Integer)
    business_key: Mapped[str | None] = mapped_column(String(64))
    task_id: Mapped[str | None] = mapped_column(String(36))
    task_name: Mapped[str | None] = mapped_column(String(400))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditChain(Base):
    """Head of the ``system`` audit chain (instance chains keep their head on the instance row).

    Updating the head in the same transaction serialises writers of one chain and exposes a deleted tail.
    """

    __tablename__ = "audit_chains"
    chain: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_hash: Mapped[str] = mapped_column(String(64))


class Role(enum.StrEnum):
    CLERK = "clerk"
    WINDOW_HEAD = "window_head"
    LEADER = "leader"
    SUPERVISOR = "supervisor"
    DESIGNER = "designer"
    ADMIN = "admin"
    SYSTEM = "system"  # another government system calling the JSON API (see api/access.py)


class User(Base):
    """A person who logs in: clerk, window head, centre leader, supervisor, designer or admin."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(200), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(300))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # sessions carry the generation they were opened in; logout, a new password, disabling and a change of
    # roles move it on, which ends every older session of the user on every web node
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime]


class LoginThrottle(Base):
    """Failed logins of one username from one client address; five in a row lock that pair for 15 minutes
    (a stranger elsewhere cannot lock the owner of the name out). Kept for unknown names too, so that the
    answer never tells whether a name exists."""

    __tablename__ = "login_throttles"
    __table_args__ = (UniqueConstraint("username", "address", name="uq_login_throttle"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    last_failed_at: Mapped[datetime] = mapped_column(index=True)


class Membership(Base):
    """A user's role at a window (a user may belong to several windows)."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "window", "role", name="uq_membership"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    window: Mapped[str] = mapped_column(ForeignKey("windows.code"), index=True)
    role: Mapped[str] = mapped_column(_enum(Role))


class Absence(Base):
    """AB岗: while ``user_id`` is away, ``backup_id`` sees and may complete their tasks."""

    __tablename__ = "absences"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    backup_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(String(400), default="")
    created_by: Mapped[str] = mapped_column(String(200))

    @classmethod
    def in_force(cls, now: Any) -> ColumnElement[bool]:
        """The condition "this absence is going on at ``now``" (a time or a bind parameter)."""
        return and_(cls.starts_at <= now, or_(cls.ends_at.is_(None), cls.ends_at > now))


class Attachment(Base):
    """A file uploaded with a form task; stored on disk under a generated name."""

    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE"), index=True
    )
    task_id: Mapped[str | None] = mapped_column(String(36))
    field: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(400))  # the name the user gave, shown only
    storage_name: Mapped[str] = mapped_column(String(100), unique=True)  # uuid-based name on disk
    content_type: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(200))
    uploaded_at: Mapped[datetime]


class Document(Base):
    """A numbered, dated notice issued for an item (受理通知书, 不予受理通知书, 补正材料通知书 …)."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("kind", "year", "serial", name="uq_document_number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    year: Mapped[int] = mapped_column(Integer)
    serial: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(100))
    issued_at: Mapped[datetime]
    issued_by: Mapped[str] = mapped_column(String(200))
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # snapshot of what was printed
    addressee: Mapped[str | None] = mapped_column(String(40))  # the window a 联办通知 copy is sent to
    # each re-issue (补发) of this very document: {"at": ISO time, "date": local date, "by": user}
    reissues: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)


class Rating(Base):
    """An applicant's 好差评 of an item on one occasion (一次一评、一事一评; ``runner.applicants.ratings``)."""

    __tablename__ = "ratings"
    __table_args__ = (UniqueConstraint("instance_id", "occasion", name="uq_rating_occasion"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE"), index=True
    )
    # very_satisfied / satisfied / basically / not_satisfied / very_dissatisfied
    level: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(index=True)
    occasion: Mapped[str] = mapped_column(String(20), default="completion")  # acceptance / completion
    channel: Mapped[str] = mapped_column(String(20), default="progress")  # progress / counter / online
    indicators: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # indicator code → level
    window: Mapped[str | None] = mapped_column(String(64), index=True)  # the window rated
    named: Mapped[bool] = mapped_column(Boolean, default=False)  # 实名 (else anonymous)
    rater_name: Mapped[str] = mapped_column(String(200), default="")  # kept from the window (confidential)
    rater_phone: Mapped[str] = mapped_column(String(40), default="")
    clerk: Mapped[str | None] = mapped_column(String(200))  # who turned the counter page to the applicant


class Rectification(Base):
    """整改 of a 差评: its own process (``bpmn/rectification.bpmn``); follows every step of it."""

    __tablename__ = "rectifications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rating_id: Mapped[int] = mapped_column(ForeignKey("ratings.id", ondelete="CASCADE"), unique=True)
    process_instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id"))
    window: Mapped[str | None] = mapped_column(String(64), index=True)  # the window at fault
    # verifying / pending / in_progress / done / overdue / unable / invalid (runner.applicants.rectification.STATES)
    state: Mapped[str] = mapped_column(String(20), default="verifying")
    verdict: Mapped[str | None] = mapped_column(String(20))  # founded / unfounded / malicious
    due_at: Mapped[datetime | None]
    verified_at: Mapped[datetime | None]
    rectified_at: Mapped[datetime | None]
    revisited_at: Mapped[datetime | None]
    revisit_result: Mapped[str | None] = mapped_column(String(20))
    closed_at: Mapped[datetime | None]
    # the supervision office's decisions (无效差评, 无法整改, 延期): kind, approved, by, reason, at — in order
    approvals: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]


class Complaint(Base):
    """A complaint (投诉) registered by the supervision office; handled by its own process instance."""

    __tablename__ = "complaints"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    about_instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id"), index=True)
    process_instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id"))
    channel: Mapped[str] = mapped_column(String(20))  # on_site / phone / letter
    complainant: Mapped[str] = mapped_column(String(200))
    contact: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(400), default="")
    content: Mapped[str] = mapped_column(Text)
    window: Mapped[str | None] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(20), default="registered")
    verified: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[datetime]


class Copy(Base):
    """抄送: an item copied to a person or a window for information (read-only)."""

    __tablename__ = "copies"
    __table_args__ = (
        Index("ix_copy_user", "to_user", "created_at"),
        Index("ix_copy_window", "to_window", "created_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE"), index=True
    )
    to_user: Mapped[str | None] = mapped_column(String(200))
    to_window: Mapped[str | None] = mapped_column(String(64))
    by: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]


class Notification(Base):
    """An in-app message for a person or a window (new task, urge, warning, copy, returned item)."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notification_user", "to_user", "read_at"),
        Index("ix_notification_window", "to_window", "read_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    to_user: Mapped[str | None] = mapped_column(String(200))
    to_window: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)  # in Chinese
    message_en: Mapped[str | None] = mapped_column(Text)  # the same in English (None: older messages)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"))
    task_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]  # when a sender (log file, e-mail) passed it on


class Extension(Base):
    """延期: extra working days granted on an item's limits, with the approver and the reason."""

    __tablename__ = "extensions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE"), index=True
    )
    days: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(200))
    approved_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class ExtensionRequest(Base):
    """A clerk's 延期 request, waiting for the lead window's head or the centre leader; an approval
    grants an ``Extension`` (``extension_id``), a refusal keeps its reason."""

    __tablename__ = "extension_requests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE"), index=True
    )
    days: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), default="requested")  # requested / approved / refused
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(Text)
    extension_id: Mapped[int | None] = mapped_column(ForeignKey("extensions.id", ondelete="SET NULL"))


# --- console (issue 5): the designer's drafts -----------------------------------------------------


class DraftStatus(enum.StrEnum):
    """Life of a diagram draft: edited while ``open``; closed when ``deployed`` or ``discarded``."""

    OPEN = "open"
    DEPLOYED = "deployed"
    DISCARDED = "discarded"


class DiagramDraft(Base):
    """A designer's diagram not yet in the engine: stored on every save, deployed as a new version when valid.

    ``revision`` grows by one per save; a save naming an older revision is a conflict (two designers).
    ``open_key`` is the key while the draft is open and NULL once closed: unique, so a process has at
    most one open draft (NULLs do not collide on SQLite or PostgreSQL).
    """

    __tablename__ = "diagram_drafts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), index=True)  # the process id it will deploy as
    open_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=DraftStatus.OPEN)
    name: Mapped[str] = mapped_column(String(400), default="")
    xml: Mapped[str] = mapped_column(Text)
    based_on_version: Mapped[int | None] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime]
    deployed_version: Mapped[int | None] = mapped_column(Integer)  # set when deployed (the draft then closes)
    deployed_at: Mapped[datetime | None]


class FormSchemaDraft(Base):
    """A form schema edited in the console (``formKey`` → JSON schema text).

    ``body``/``revision`` is the draft being edited; ``published_body`` is what the workspace uses instead
    of ``forms/schemas/<formKey>.json`` (NULL: the file applies). Publishing copies the draft over.
    """

    __tablename__ = "form_schema_drafts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_key: Mapped[str] = mapped_column(String(200), unique=True)
    body: Mapped[str] = mapped_column(Text)  # the JSON schema as text
    revision: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime]
    published_body: Mapped[str | None] = mapped_column(Text)
    published_revision: Mapped[int | None] = mapped_column(Integer)
    published_by: Mapped[str | None] = mapped_column(String(200))
    published_at: Mapped[datetime | None]


# --- supervision (issues 5 and 8): 考核 appeals --------------------------------------------------------


class Appeal(Base):
    """申诉: a window contests one line of a 考核 scheme's result; the supervisor decides.

    ``rule_code`` is ``<scheme>.<rule>``; ``subject`` names the event the line was computed from
    (``instance:12``, ``complaint:3``, ``entry:9``; ``…@username`` for a staff scheme); an upheld appeal
    removes that line from every later computation. Rows filed before the schemes keep the old table's code.
    """

    __tablename__ = "appeals"
    __table_args__ = (UniqueConstraint("window", "rule_code", "subject", name="uq_appeal_deduction"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    window: Mapped[str] = mapped_column(String(64), index=True)
    rule_code: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(64))
    points: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open / upheld / rejected
    filed_by: Mapped[str] = mapped_column(String(200))
    filed_at: Mapped[datetime]
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None]
    decision: Mapped[str | None] = mapped_column(Text)


class CatalogueItem(Base):
    """A published service item (事项) of the catalogue (事项目录); its content lives in its versions.

    The columns beside ``code`` repeat the current version's searchable facts (the guide's list and the
    intake's search read only this table); ``version`` is the number of the version in force."""

    __tablename__ = "catalogue_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)  # 事项编码
    name: Mapped[str] = mapped_column(String(200), index=True)
    name_en: Mapped[str | None] = mapped_column(String(200))  # English pages show it when filled
    department: Mapped[str] = mapped_column(String(200))
    window: Mapped[str] = mapped_column(String(64), index=True)  # lead window (受理窗口)
    kind: Mapped[str] = mapped_column(String(40))  # 即办件 / 承诺件 / 联办件 / 上报件
    process_key: Mapped[str] = mapped_column(String(200))
    online: Mapped[bool] = mapped_column(Boolean, default=False)  # open to online application
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # withdrawn items leave the guide
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(200))


class CatalogueItemVersion(Base):
    """One version of an item's content (``body``: the whole item as the catalogue's JSON Lines hold it)."""

    __tablename__ = "catalogue_item_versions"
    __table_args__ = (UniqueConstraint("item_id", "version", name="uq_catalogue_item_version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("catalogue_items.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))


class CatalogueFile(Base):
    """A blank form or sample of an item's material (申请表样表), offered for download in the guide."""

    __tablename__ = "catalogue_files"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    filename: Mapped[str] = mapped_column(String(400))
    content_type: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[str] = mapped_column(String(200))
    uploaded_at: Mapped[datetime]


class ItemApplication(Base):
    """An application for a catalogue item (收件登记): who applied, under which version of the item, the
    materials as the counter found them, and the intake's decision (受理 / 一次性告知 / 不予受理)."""

    __tablename__ = "item_applications"
    __table_args__ = (UniqueConstraint("submit_token", name="uq_item_application_submit_token"),)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("catalogue_items.id"), index=True)
    item_version_id: Mapped[int] = mapped_column(ForeignKey("catalogue_item_versions.id"))
    item_code: Mapped[str] = mapped_column(String(64))
    item_version: Mapped[int] = mapped_column(Integer)
    applicant_type: Mapped[str] = mapped_column(String(20), default="person")  # person / organisation
    applicant_name: Mapped[str] = mapped_column(String(200), index=True)
    applicant_id: Mapped[str | None] = mapped_column(String(18), index=True)  # 身份证号 / 统一社会信用代码
    agent_name: Mapped[str | None] = mapped_column(String(200))
    agent_id: Mapped[str | None] = mapped_column(String(18), index=True)
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    materials: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{name, status, due}]
    decision: Mapped[str] = mapped_column(String(20), default="pending")  # pending/accepted/notified/refused
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None]
    registered_by: Mapped[str] = mapped_column(String(200))
    registered_at: Mapped[datetime]
    # the one-time token of the counter's form that registered it: a second submission of the same form (a double
    # click, two requests at once) finds this row instead of registering the application again
    submit_token: Mapped[str | None] = mapped_column(String(64))


class AssessmentScheme(Base):
    """One 考核方案 as the centre wrote it: target (``window`` / ``person``), period, full score, floor, sections
    with their maxima and rules, bonus cap and grades (``definition``, see
    ``runner.supervision.assessment_schemes``).

    Rows are never changed in place: an edit is a new row with a higher ``version`` of the same ``code``, so
    a past period is always recomputed with the version that was in force then.
    """

    __tablename__ = "assessment_schemes"
    __table_args__ = (UniqueConstraint("code", "version", name="uq_assessment_scheme_version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    name: Mapped[str] = mapped_column(String(200))
    target: Mapped[str] = mapped_column(String(20))  # window / person
    period: Mapped[str] = mapped_column(String(20))  # month / quarter
    source: Mapped[str] = mapped_column(Text, default="")
    definition: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class SchemeActivation(Base):
    """From ``effective_from`` on (the first day of a period), ``scheme_id`` is the one scheme in force for
    ``target``; the latest activation not after a period's first day decides that period."""

    __tablename__ = "scheme_activations"
    __table_args__ = (Index("ix_scheme_activation_target", "target", "effective_from"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target: Mapped[str] = mapped_column(String(20))
    scheme_id: Mapped[int] = mapped_column(ForeignKey("assessment_schemes.id"))
    effective_from: Mapped[date] = mapped_column(Date)
    activated_by: Mapped[str] = mapped_column(String(200))
    activated_at: Mapped[datetime]


class ScoreEntry(Base):
    """记分录入: points the supervision office enters for what no system sees (lateness to work, dress,
    praise in the media, a thank-you letter), against a window or a person, under a rule of a scheme.

    A correction voids the row (``voided_at``) and, if needed, enters a new one: nothing is deleted.
    """

    __tablename__ = "score_entries"
    __table_args__ = (Index("ix_score_entry_day", "occurred_on"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scheme_code: Mapped[str] = mapped_column(String(64))
    rule_code: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(20))  # window / person
    subject: Mapped[str] = mapped_column(String(200))  # window code or username
    window: Mapped[str | None] = mapped_column(String(64))  # the window the person worked at, for appeals
    occurred_on: Mapped[date] = mapped_column(Date)
    points: Mapped[float] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text, default="")
    attachment_name: Mapped[str | None] = mapped_column(String(400))
    attachment_sha256: Mapped[str | None] = mapped_column(String(64))
    attachment_storage: Mapped[str | None] = mapped_column(String(100))
    entered_by: Mapped[str] = mapped_column(String(200))
    entered_at: Mapped[datetime]
    voided_at: Mapped[datetime | None]
    voided_by: Mapped[str | None] = mapped_column(String(200))
    void_reason: Mapped[str | None] = mapped_column(Text)


class OnlineApplication(Base):
    """网上申报: an application filed from home for a catalogue item open online (``runner.online``).

    ``state``: draft → submitted (待预审) → returned (预审退回) → submitted … → approved (预审通过) → booked →
    received (at the counter: ``instance_id`` is the item) → finished; a draft left alone ``expires``. Only the
    SHA-256 of the private link's token is kept (``token_hash``); ``number`` is given at the first submission."""

    __tablename__ = "online_applications"
    __table_args__ = (Index("ix_online_state_window", "state", "window"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("catalogue_items.id"), index=True)
    item_version_id: Mapped[int] = mapped_column(ForeignKey("catalogue_item_versions.id"))
    item_code: Mapped[str] = mapped_column(String(64))
    item_version: Mapped[int] = mapped_column(Integer)
    window: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(20), default="draft")
    applicant_type: Mapped[str] = mapped_column(String(20), default="person")
    applicant_name: Mapped[str] = mapped_column(String(200))
    applicant_id: Mapped[str] = mapped_column(String(18), index=True)
    agent_name: Mapped[str | None] = mapped_column(String(200))
    agent_id: Mapped[str | None] = mapped_column(String(18))
    phone: Mapped[str] = mapped_column(String(20), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    phone_verified_at: Mapped[datetime | None]
    code_hash: Mapped[str | None] = mapped_column(String(64))
    code_expires_at: Mapped[datetime | None]
    code_attempts: Mapped[int] = mapped_column(Integer, default=0)
    reasons: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # material → reason of the last 退回
    reviews: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{at, by, decision, reasons, note}]
    submissions: Mapped[int] = mapped_column(Integer, default=0)
    no_shows: Mapped[int] = mapped_column(Integer, default=0)
    review_due: Mapped[datetime | None]
    # the 预审 limit reaches past the known calendar: the year whose arrangement it waits for (then review_due is
    # None until that year is imported, ``runner.online.submission.refresh_review_due``)
    review_due_pending_year: Mapped[int | None] = mapped_column(Integer)
    review_warned: Mapped[bool] = mapped_column(Boolean, default=False)
    instance_id: Mapped[int | None] = mapped_column(
        ForeignKey("process_instances.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    reviewed_at: Mapped[datetime | None]
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime | None]
    received_by: Mapped[str | None] = mapped_column(String(200))


class OnlineFile(Base):
    """One uploaded version of one material of an online application (earlier versions are kept)."""

    __tablename__ = "online_files"
    __table_args__ = (Index("ix_online_file_material", "application_id", "material"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("online_applications.id", ondelete="CASCADE"))
    material: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)
    filename: Mapped[str] = mapped_column(String(400))
    content_type: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_at: Mapped[datetime]


class SlotPlan(Base):
    """预约: how a window takes appointments — half-day or hourly slots within its opening periods, each with
    ``capacity`` applicants, on working days only, booked up to ``days_ahead`` working days ahead and booked,
    moved or cancelled until ``cutoff_hours`` before the slot starts (set by the window's heads)."""

    __tablename__ = "slot_plans"
    window: Mapped[str] = mapped_column(String(64), primary_key=True)
    mode: Mapped[str] = mapped_column(String(20), default="half_day")  # half_day / hourly
    capacity: Mapped[int] = mapped_column(Integer, default=5)
    periods: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [["09:00", "12:00"], ["13:30", "17:00"]]
    days_ahead: Mapped[int] = mapped_column(Integer, default=10)
    cutoff_hours: Mapped[int] = mapped_column(Integer, default=2)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime]


class Appointment(Base):
    """A booked slot of an online application: booked, then moved / cancelled / attended / no_show."""

    __tablename__ = "appointments"
    __table_args__ = (Index("ix_appointment_slot", "window", "day", "start", "state"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("online_applications.id", ondelete="CASCADE"), index=True
    )
    window: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date)
    start: Mapped[str] = mapped_column(String(5))  # "09:00"
    end: Mapped[str] = mapped_column(String(5))
    state: Mapped[str] = mapped_column(String(20), default="booked")
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]

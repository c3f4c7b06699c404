"""预约: the windows' appointment slots and the bookings of applications that passed 预审.

A window's heads set its plan (``SlotPlan``): half-day slots (each opening period one slot) or hourly ones, the
capacity of each slot, how many working days ahead one may book, and the cut-off — booking, moving and cancelling
close ``cutoff_hours`` before the slot starts. Slots fall on working days of the centre's calendar only (法定节假日
and 调休 included). Bookings of one window are serialised on its plan row, so a slot never takes more than its
capacity however many web nodes book at once. A window without a plan of its own takes ``DEFAULT_PLAN``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from runner.core import audit
from runner.exceptions import CalendarDataMissing, Conflict, InvalidInput
from runner.models import Appointment, OnlineApplication, SlotPlan
from runner.online.applications import APPROVED, BOOKED, now, require_state
from runner.online.codes import text_applicant
from runner.timekeeping.deadlines import calendar

HALF_DAY, HOURLY = "half_day", "hourly"
MODES = {HALF_DAY: ("半天", "half-day"), HOURLY: ("每小时", "hourly")}
BOOKED_STATE, MOVED, CANCELLED, ATTENDED, NO_SHOW = "booked", "moved", "cancelled", "attended", "no_show"
APPOINTMENT_WORDS = {
    BOOKED_STATE: ("已预约", "booked"),
    MOVED: ("已改约", "moved"),
    CANCELLED: ("已取消", "cancelled"),
    ATTENDED: ("已到窗口", "attended"),
    NO_SHOW: ("未到（爽约）", "no-show"),
}
DEFAULT_PLAN = {
    "mode": HALF_DAY, "capacity": 5, "periods": [["09:00", "12:00"], ["13:30", "17:00"]],
    "days_ahead": 10, "cutoff_hours": 2, "active": True,
}  # fmt: skip
CLOCK = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
SYSTEM = "system"  # who "set" a default plan written for locking


class SlotFull(Conflict):
    code = "slot_full"


@dataclass(frozen=True)
class Slot:
    """One bookable slot of a window on one day."""

    day: date
    start: str
    end: str
    capacity: int
    booked: int

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.booked)

    @property
    def key(self) -> str:
        return f"{self.day.isoformat()}@{self.start}"


def plan_of(session: Session, window: str, *, lock: bool = False) -> dict[str, Any]:
    """The window's plan as a dict (its own, or the default one)."""
    query = select(SlotPlan).where(SlotPlan.window == window)
    row = session.scalars(query.with_for_update() if lock else query).first()
    if row is None:
        return {"window": window, **DEFAULT_PLAN, "own": False}
    return {
        "window": window, "mode": row.mode, "capacity": row.capacity, "periods": row.periods,
        "days_ahead": row.days_ahead, "cutoff_hours": row.cutoff_hours, "active": row.active,
        "own": row.updated_by != SYSTEM,
    }  # fmt: skip


def _locked_plan(session: Session, window: str) -> dict[str, Any]:
    """The window's plan, its row locked until the commit (a window without a plan gets the default one
    written first, so that there is a row to serialise its bookings on)."""
    if session.get(SlotPlan, window) is None:
        try:
            with session.begin_nested():
                session.add(
                    SlotPlan(window=window, **DEFAULT_PLAN, updated_by=SYSTEM, updated_at=now(session))
                )
        except IntegrityError:
            pass  # another booking wrote it first
    return plan_of(session, window, lock=True)


def _periods(raw: Any) -> list[list[str]]:
    if not isinstance(raw, list) or not raw or len(raw) > 6:
        raise InvalidInput("须给出 1 至 6 个办公时段 (give 1 to 6 opening periods)")
    out = []
    for pair in raw:
        if not (
            isinstance(pair, list | tuple) and len(pair) == 2 and all(CLOCK.fullmatch(str(p)) for p in pair)
        ):
            raise InvalidInput("办公时段须写成 09:00-12:00 (periods like 09:00-12:00)")
        start, end = str(pair[0]), str(pair[1])
        if start >= end:
            raise InvalidInput(f"时段 {start}-{end} 的结束须晚于开始 (a period ends after it starts)")
        out.append([start, end])
    out.sort()
    for a, b in zip(out, out[1:], strict=False):
        if b[0] < a[1]:
            raise InvalidInput("办公时段不能重叠 (periods must not overlap)")
    return out


def save_plan(
    session: Session,
    window: str,
    *,
    mode: str,
    capacity: int,
    periods: Any,
    days_ahead: int,
    cutoff_hours: int,
    active: bool,
    actor: str,
) -> SlotPlan:
    """Set a window's plan (its heads; the caller checks who)."""
    if mode not in MODES:
        raise InvalidInput("时段方式须为半天或每小时 (mode: half-day or hourly)")
    if not 1 <= capacity <= 500:
        raise InvalidInput("每个时段可约人数须为 1 至 500 (capacity 1 to 500)")
    if not 1 <= days_ahead <= 60:
        raise InvalidInput("可提前预约的工作日须为 1 至 60 (book 1 to 60 working days ahead)")
    if not 0 <= cutoff_hours <= 72:
        raise InvalidInput("截止时间须为时段开始前 0 至 72 小时 (cut-off 0 to 72 hours before)")
    checked = _periods(periods)
    row = session.get(SlotPlan, window)
    if row is None:
        row = SlotPlan(window=window)
        session.add(row)
    row.mode, row.capacity, row.periods = mode, capacity, checked
    row.days_ahead, row.cutoff_hours, row.active = days_ahead, cutoff_hours, active
    row.updated_by, row.updated_at = actor, now(session)
    audit.record(session, "slot_plan_saved", actor=actor, window=window, mode=mode, capacity=capacity)
    session.flush()
    return row


def slot_times(plan: dict[str, Any]) -> list[tuple[str, str]]:
    """The (start, end) of each slot of a day: one per period (half-day), or each whole hour in them."""
    out = []
    for start, end in plan["periods"]:
        if plan["mode"] == HALF_DAY:
            out.append((start, end))
            continue
        at = datetime.combine(date.min, time.fromisoformat(start))
        stop = datetime.combine(date.min, time.fromisoformat(end))
        while at + timedelta(hours=1) <= stop:
            out.append((at.strftime("%H:%M"), (at + timedelta(hours=1)).strftime("%H:%M")))
            at += timedelta(hours=1)
    return out


def today(session: Session) -> date:
    """The centre's local date now."""
    return calendar(session).local_date(now(session))


def local_moment(session: Session, day: date, clock: str) -> datetime:
    """``day`` at local ``clock`` as an aware datetime."""
    return datetime.combine(day, time.fromisoformat(clock), tzinfo=calendar(session).tz)


def _working(session: Session, day: date) -> bool:
    try:
        return calendar(session).is_workday(day)
    except CalendarDataMissing:
        return False  # beyond the known holiday data nothing is offered


def _scan(session: Session, plan: dict[str, Any]) -> tuple[list[date], int | None]:
    """The next ``days_ahead`` working days from today on (today included), and the year whose unknown holiday
    arrangement cut them short (None when the plan's days are all offered)."""
    cal = calendar(session)
    day = cal.local_date(now(session))
    out: list[date] = []
    for _ in range(plan["days_ahead"] * 3 + 14):
        if len(out) >= plan["days_ahead"]:
            break
        try:
            if cal.is_workday(day):
                out.append(day)
        except CalendarDataMissing:
            return out, day.year  # beyond the known holiday data nothing is offered
        day += timedelta(days=1)
    return out, None


def open_days(session: Session, plan: dict[str, Any]) -> list[date]:
    """The next ``days_ahead`` working days from today on (today included)."""
    return _scan(session, plan)[0]


def waiting_year(session: Session, window: str) -> int | None:
    """The year whose holiday arrangement the window's later booking days wait for (None when nothing waits:
    the plan's days are all offered, or the window takes no appointments)."""
    plan = plan_of(session, window)
    return _scan(session, plan)[1] if plan["active"] else None


def _booked(session: Session, window: str, days: list[date]) -> dict[tuple[date, str], int]:
    if not days:
        return {}
    query = (
        select(Appointment.day, Appointment.start, func.count())
        .where(Appointment.window == window, Appointment.state == BOOKED_STATE, Appointment.day.in_(days))
        .group_by(Appointment.day, Appointment.start)
    )
    return {(d, s): int(n) for d, s, n in session.execute(query)}


def before_cutoff(session: Session, plan: dict[str, Any], day: date, start: str) -> bool:
    """Whether a slot may still be booked, moved or cancelled."""
    return now(session) < local_moment(session, day, start) - timedelta(hours=plan["cutoff_hours"])


def slots(session: Session, window: str) -> list[Slot]:
    """The window's slots still open for booking (full ones included, with no place free)."""
    plan = plan_of(session, window)
    if not plan["active"]:
        return []
    days = open_days(session, plan)
    counts = _booked(session, window, days)
    return [
        Slot(day, start, end, plan["capacity"], counts.get((day, start), 0))
        for day in days
        for start, end in slot_times(plan)
        if before_cutoff(session, plan, day, start)
    ]


def current(session: Session, row: OnlineApplication) -> Appointment | None:
    """The application's booked appointment, if any."""
    return session.scalars(
        select(Appointment).where(Appointment.application_id == row.id, Appointment.state == BOOKED_STATE)
    ).first()


def history(session: Session, row: OnlineApplication) -> list[Appointment]:
    return list(
        session.scalars(
            select(Appointment).where(Appointment.application_id == row.id).order_by(Appointment.id)
        )
    )


def _parse_key(key: str) -> tuple[date, str]:
    day_text, _, start = (key or "").partition("@")
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        raise InvalidInput("请选择一个预约时段 (choose a slot)") from None
    if not CLOCK.fullmatch(start):
        raise InvalidInput("请选择一个预约时段 (choose a slot)")
    return day, start


def book(session: Session, row: OnlineApplication, key: str) -> Appointment:
    """Book the slot ``key`` ("YYYY-MM-DD@HH:MM"), or move the booked appointment there (before its cut-off)."""
    require_state(row, APPROVED, BOOKED)
    day, start = _parse_key(key)
    plan = _locked_plan(session, row.window)  # one booking of this window at a time
    if not plan["active"]:
        raise InvalidInput("该窗口暂不接受预约 (the window takes no appointments now)")
    if not _working(session, day):
        raise InvalidInput(f"{day.isoformat()} 不是工作日 (not a working day)")
    times = dict(slot_times(plan))
    if start not in times or day not in open_days(session, plan):
        raise InvalidInput("该时段不可预约 (this slot cannot be booked)")
    if not before_cutoff(session, plan, day, start):
        raise InvalidInput(
            f"该时段已截止预约（开始前 {plan['cutoff_hours']} 小时） (booking closed {plan['cutoff_hours']} h before)"
        )
    old = current(session, row)
    if old is not None:
        if old.day == day and old.start == start:
            return old
        if not before_cutoff(session, plan, old.day, old.start):
            raise InvalidInput("原预约已过改约截止时间 (too late to move the appointment)")
    if _booked(session, row.window, [day]).get((day, start), 0) >= plan["capacity"]:
        raise SlotFull("该时段已约满，请选择其他时段 (the slot is full: choose another)")
    moment = now(session)
    if old is not None:
        old.state, old.closed_at = MOVED, moment
    new = Appointment(
        application_id=row.id, window=row.window, day=day, start=start, end=times[start],
        state=BOOKED_STATE, created_at=moment,
    )  # fmt: skip
    session.add(new)
    row.state, row.updated_at = BOOKED, moment
    audit.record(session, "online_booked", actor=f"applicant:{row.number}", number=row.number,
                 day=day.isoformat(), start=start, moved=old is not None)  # fmt: skip
    text_applicant(
        session, row,
        f"【网上申报】申报 {row.number} 已预约 {day.isoformat()} {start}-{times[start]} 到窗口办理，请携带材料原件。",
        f"Online application {row.number}: appointment on {day.isoformat()} {start}-{times[start]}; bring the originals.",
    )  # fmt: skip
    session.flush()
    return new


def cancel(session: Session, row: OnlineApplication) -> None:
    """Cancel the booked appointment (before its cut-off); the application may book again."""
    require_state(row, BOOKED)
    old = current(session, row)
    if old is None:
        raise InvalidInput("没有可取消的预约 (no appointment to cancel)")
    plan = _locked_plan(session, row.window)
    if not before_cutoff(session, plan, old.day, old.start):
        raise InvalidInput("已过取消截止时间 (too late to cancel)")
    moment = now(session)
    old.state, old.closed_at = CANCELLED, moment
    row.state, row.updated_at = APPROVED, moment
    audit.record(session, "online_appointment_cancelled", actor=f"applicant:{row.number}", number=row.number,
                 day=old.day.isoformat(), start=old.start)  # fmt: skip


def mark_no_shows(session: Session) -> list[str]:
    """Appointments whose slot ended with the applicant not received: the place is released, the no-show
    recorded on the application (which may book again)."""
    moment = now(session)
    today = calendar(session).local_date(moment)
    query = (
        select(Appointment, OnlineApplication)
        .join(OnlineApplication, OnlineApplication.id == Appointment.application_id)
        .where(Appointment.state == BOOKED_STATE, Appointment.day <= today)
    )
    missed = []
    for appointment, row in session.execute(query).all():
        if local_moment(session, appointment.day, appointment.end) > moment:
            continue
        appointment.state, appointment.closed_at = NO_SHOW, moment
        if row.state == BOOKED:
            row.state = APPROVED
        row.no_shows += 1
        row.updated_at = moment
        audit.record(session, "online_no_show", actor="system", number=row.number,
                     day=appointment.day.isoformat(), start=appointment.start)  # fmt: skip
        missed.append(row.number or str(row.id))
    return missed


def day_list(session: Session, windows: list[str], day: date) -> list[tuple[Appointment, OnlineApplication]]:
    """The appointments of ``windows`` on ``day`` (every state), by window and time."""
    if not windows:
        return []
    query = (
        select(Appointment, OnlineApplication)
        .join(OnlineApplication, OnlineApplication.id == Appointment.application_id)
        .where(Appointment.window.in_(windows), Appointment.day == day, Appointment.state != MOVED)
        .order_by(Appointment.window, Appointment.start, Appointment.id)
    )
    return [(a, r) for a, r in session.execute(query).all()]

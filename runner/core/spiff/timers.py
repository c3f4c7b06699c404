"""Timer event definitions that read the platform clock instead of ``datetime.now``.

SpiffWorkflow's timers call ``datetime.now(timezone.utc)`` directly; these subclasses ask
``workflow.script_engine.clock`` so deadline scenarios run under a test clock. A timer
expression may also give an absolute time where a duration is expected (``workdays(3)``
returns the ISO end of the third working day), which lets designers write working-day
timers in either slot.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.util.task import TaskState

from runner.timekeeping.calendar import DEFAULT_TZ, deadline_over_at
from runner.timekeeping.pending_dates import is_pending, pending_year

# a date-level deadline as the calendar writes it: 23:59:59 local of its day (``BusinessCalendar.end_of_day``)
_DAY_END = time(23, 59, 59)


def _now(my_task: Any) -> datetime:
    clock = getattr(my_task.workflow.script_engine, "clock", None)
    return clock.now() if clock is not None else datetime.now(UTC)


def _held(my_task: Any, expression: str) -> bool:
    """A timer that follows the item deadline does not fire while the item's clock is stopped."""
    item = getattr(my_task.workflow.script_engine, "item", None) or {}
    return bool(item.get("paused")) and "item_deadline" in (expression or "")


def _as_text(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def due_time(value: Any, start: datetime) -> datetime:
    """Turn an evaluated timer expression into an absolute UTC time (durations count from ``start``)."""
    text = _as_text(value).strip()
    if text.upper().startswith("P"):
        parsed = TimerEventDefinition.parse_iso_duration(text)
        return start + TimerEventDefinition.get_timedelta_from_start(parsed, start)
    return TimerEventDefinition.get_datetime(text)


def _event_value(value: Any, start: datetime) -> str:
    """What a timer keeps of its expression's value: a plain date as it is, else the absolute time (ISO); the
    instant it falls due is read from it by ``timer_instant`` (a remembered date stays recognisable when the
    calendar changes, ``runner.timekeeping.recalculation``)."""
    text = _as_text(value).strip()
    return text if _plain_day(text) is not None else due_time(value, start).isoformat()


def _plain_day(text: str) -> date | None:
    """The date of a plain ISO date text ("2026-12-31"), else None."""
    if len(text) != 10:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _zone(my_task: Any) -> ZoneInfo:
    """The centre's time zone (the calendar's; Beijing time without one)."""
    tz = getattr(getattr(my_task.workflow.script_engine, "calendar", None), "tz", None)
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo(DEFAULT_TZ)


def timer_instant(value: Any, start: datetime, tz: ZoneInfo) -> datetime:
    """When a timer whose expression gave ``value`` falls due. A date-level deadline (a plain date, or the end of
    a local day as ``workdays``/``item_deadline``/``deadline``/``end_of_day`` give it: 23:59:59 local) stands for
    "the day is over": it falls due when lateness begins, at the next local midnight (``deadline_over_at``, the
    rule of ``is_late``). A duration or any other time of day keeps its exact instant (``due_time``)."""
    text = _as_text(value).strip()
    day = _plain_day(text)
    if day is not None:
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    instant = due_time(value, start)
    if not text.upper().startswith("P") and instant.tzinfo is not None:
        local = instant.astimezone(tz)
        if local.time() == _DAY_END and local.microsecond == 0:
            return deadline_over_at(instant)
    return instant


class _ClockTimer:
    """``has_fired`` on the platform clock, shared by the date and duration timers. A timer whose time is a
    pending date (``runner.timekeeping.pending_dates``: past the known holiday calendar) keeps it and never fires: it is
    unarmed until the calendar changes (``runner.timekeeping.recalculation``)."""

    expression: str

    def has_fired(self, my_task: Any) -> bool:
        if _held(my_task, self.expression):
            return False
        if my_task._get_internal_data("event_value") is None:
            value = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            if is_pending(value):
                my_task._set_internal_data(event_value=value)
                return False
            my_task._set_internal_data(event_value=_event_value(value, _now(my_task)))
            if _as_text(value).strip().upper().startswith("P"):  # a duration: its instant, whatever the time
                my_task._set_internal_data(event_exact=True)
        if is_pending(my_task._get_internal_data("event_value")):
            return False
        if fires_at(my_task) <= _now(my_task):
            my_task._set_internal_data(event_fired=True)
        return bool(my_task._get_internal_data("event_fired", False))


class ClockTimeDateEventDefinition(_ClockTimer, TimeDateEventDefinition):
    """``timeDate``: fires at an absolute time (or ``now + duration`` if given a duration)."""


class ClockDurationTimerEventDefinition(_ClockTimer, DurationTimerEventDefinition):
    """``timeDuration``: fires a duration after the event started waiting."""


class ClockCycleTimerEventDefinition(CycleTimerEventDefinition):
    """``timeCycle`` (``R3/PT1H``): fires repeatedly; each firing starts the outgoing path again."""

    def cycle_complete(self, my_task: Any) -> bool:
        event_value = my_task._get_internal_data("event_value")
        now = _now(my_task)
        if event_value is None:
            expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            cycles, start, duration = self._parse_cycle(_as_text(expression), now)
            event_value = {"cycles": cycles, "next": start.isoformat(), "duration": duration.total_seconds()}
        ready = False
        if event_value["cycles"] != 0:
            next_event = datetime.fromisoformat(event_value["next"])
            if next_event <= now:
                event_value["next"] = (next_event + timedelta(seconds=event_value["duration"])).isoformat()
                event_value["cycles"] -= 1
                ready = True
        else:
            my_task.internal_data.pop("event_value", None)
            my_task.internal_data["event_fired"] = True
        my_task._set_internal_data(event_value=event_value)
        return ready

    @staticmethod
    def _parse_cycle(expression: str, now: datetime) -> tuple[int, datetime, timedelta]:
        components = expression.upper().replace("--", "/").strip("R").split("/")
        if len(components) == 2 and components[1].startswith("P"):
            cycles = int(components[0]) if components[0] else -1
            parsed = TimerEventDefinition.parse_iso_duration(components[1])
            duration = TimerEventDefinition.get_timedelta_from_start(parsed, now)
            return cycles, now + duration, duration
        cycles, start, duration = TimerEventDefinition.parse_iso_recurring_interval(expression)
        return cycles, start, duration


CLOCK_TIMERS: dict[type, type] = {
    TimeDateEventDefinition: ClockTimeDateEventDefinition,
    DurationTimerEventDefinition: ClockDurationTimerEventDefinition,
    CycleTimerEventDefinition: ClockCycleTimerEventDefinition,
}

TIMER_CLASSES = tuple(CLOCK_TIMERS.values())


def leaf_definitions(definition: Any) -> list[Any]:
    """The event definitions a task waits on: itself, or those an event-based gateway gathered."""
    if definition is None:
        return []
    if isinstance(definition, MultipleEventDefinition):
        return [leaf for nested in definition.event_definitions for leaf in leaf_definitions(nested)]
    return [definition]


def timer_definitions(task: Any) -> list[Any]:
    return [
        d
        for d in leaf_definitions(getattr(task.task_spec, "event_definition", None))
        if isinstance(d, TIMER_CLASSES)
    ]


def timer_due(task: Any) -> datetime | None:
    """When a waiting timer task falls due (None if it has not computed its time yet, or it is pending)."""
    value = task._get_internal_data("event_value")
    if value is None or is_pending(value):
        return None
    if isinstance(value, dict):  # cycle
        return datetime.fromisoformat(value["next"]) if value.get("cycles", 0) != 0 else None
    return fires_at(task)


def fires_at(task: Any) -> datetime:
    """The instant a waiting timer task with a computed (not pending, not cycle) time falls due."""
    value = task._get_internal_data("event_value")
    if task._get_internal_data("event_exact"):
        return due_time(value, _now(task))
    return timer_instant(value, _now(task), _zone(task))


def timer_pending_year(task: Any) -> int | None:
    """The year a waiting timer task's pending time waits for (None: it is not pending)."""
    return pending_year(task._get_internal_data("event_value"))


def is_waiting_timer(task: Any) -> bool:
    return task.state == TaskState.WAITING and bool(timer_definitions(task))

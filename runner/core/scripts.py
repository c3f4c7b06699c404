"""Scripts and expressions of diagrams: SpiffWorkflow's script engine of the platform.

``CentreScriptEngine`` is the SpiffWorkflow script engine of the platform. Every script task, gateway condition
and timer expression goes through ``RestrictedEnvironment``, which keeps the data semantics of SpiffWorkflow's
``TaskDataEnvironment`` (scripts read and write task data variables; helper functions are removed from the data
afterwards) and runs each evaluation in an evaluator process (``runner.core.sandbox``):

* compiled with RestrictedPython plus a stricter policy (no import, no class, no generator functions, no calls
  to ``open``/``getattr``/``type``/..., no names or attributes starting with ``_``);
* run with a small set of builtins and guards for attribute/item access, iteration, unpacking and writes (only
  dicts and lists may be changed), refusing the obvious memory bombs with a clear message;
* stopped after ``time_limit`` seconds by a trace on the diagram's own frames (naming the line), and, where one
  long C call outruns that, killed by the platform ``KILL_GRACE`` seconds later or by the kernel's CPU limit;
* bounded in memory by the evaluator's ``RLIMIT_AS`` (``BANJIAN_SCRIPT_MEMORY_LIMIT_MB``): ``"a".ljust(10**9)``,
  ``lst.extend(lst)`` in a loop, ``"%0*d" % (10**9, 0)`` end in a ``ScriptError``, not in the web node;
* the helpers (``workdays()``, ``item_deadline()``, ``pause_clock()`` ...) run in this process, called by the
  evaluator, so they see the business calendar, the clock and the item.

Every refusal and every limit is a ``ScriptError``, which the runner turns into an incident on the item. What a
helper does once called is not time-limited (it is the platform's own code). RestrictedPython narrows what a
script can reach; the evaluator process, with its limits and the plain-data answers it may send back
(``runner.core.sandbox.wire``), is the boundary against a script that gets past it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine.python_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask, SequentialMultiInstanceTask
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from runner.clock import Clock
from runner.core.sandbox import plain
from runner.core.sandbox.limits import script_line
from runner.core.sandbox.plain import in_place
from runner.core.sandbox.policy import SCRIPT_FILENAME, check_source
from runner.core.sandbox.pool import EvaluatorPool, shared_pool
from runner.exceptions import ScriptError
from runner.timekeeping import pending_dates
from runner.timekeeping.local_text import local_times

__all__ = ["SCRIPT_FILENAME", "CentreScriptEngine", "RestrictedEnvironment", "check_source"]

DEFAULT_MEMORY_LIMIT_MB = 256


# --------------------------------------------------------------------------- environment


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """TaskDataEnvironment's data semantics; every evaluation runs sandboxed in an evaluator process."""

    def __init__(
        self,
        environment_globals: dict[str, Any] | None = None,
        time_limit: float = 1.0,
        evaluators: EvaluatorPool | None = None,
    ) -> None:
        super().__init__(environment_globals)
        if time_limit <= 0:
            raise ValueError(f"time_limit must be positive, not {time_limit}")
        self.time_limit = time_limit
        self.evaluators = evaluators or shared_pool(DEFAULT_MEMORY_LIMIT_MB)

    def _split(self, external_context: Any) -> tuple[dict[str, Callable[..., Any]], dict[str, Any]]:
        """The platform's functions (run here when a script calls them) and the plain values it is given."""
        given = {**self.globals, **(external_context or {})}
        helpers = {k: v for k, v in given.items() if callable(v)}
        return helpers, {k: v for k, v in given.items() if k not in helpers}

    def evaluate(self, expression: str, context: dict[str, Any], external_context: Any = None) -> Any:
        """Value of ``expression`` over globals, external context and task data (data is not changed): a plain
        one here (``sandbox.plain``, calling the helpers marked ``in_place`` here), any other in an evaluator."""
        helpers, values = self._split(external_context)
        answered, value = plain.evaluate(expression, context, values, helpers)
        if answered:
            return value
        return self.evaluators.run("eval", expression, context, helpers, values, self.time_limit)

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        """Run ``script`` with task data as its variables; the helpers it was given are removed afterwards.

        Task data wins over a helper of the same name (a form field called ``deadline`` simply hides the
        ``deadline()`` helper in that script) instead of failing every script of the item. The data changes only
        when the script ends well.
        """
        helpers, values = self._split(external_context)
        changed = self.evaluators.run("exec", script, context, helpers, values, self.time_limit)
        context.clear()
        context.update(changed)
        return True

    def check_for_overwrite(self, context: dict[str, Any], external_context: Any) -> None:
        """Task data may shadow helpers (see ``execute``); nothing to check."""


# --------------------------------------------------------------------------- engine


def _describe(err: BaseException) -> str:
    text = err.message if isinstance(err, ScriptError) else str(err)
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def _as_int(value: Any, what: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise ScriptError(f"{what} 必须是整数 ({what} must be a whole number, got {value!r})")


def _as_number(value: Any, what: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            pass
    raise ScriptError(f"{what} 必须是数字 ({what} must be a number, got {value!r})")


def _as_datetime(value: Any, what: str) -> datetime:
    if isinstance(value, datetime):
        result = value
    elif isinstance(value, str):
        try:
            result = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ScriptError(f"{what} 不是 ISO 时间 ({what} is not an ISO datetime: {value!r})") from None
    else:
        raise ScriptError(
            f"{what} 必须是 ISO 时间字符串 ({what} must be an ISO datetime string, got {value!r})"
        )
    if result.tzinfo is None or result.utcoffset() is None:
        raise ScriptError(
            f"{what} 缺少时区 ({what} has no time zone: {value!r}; write it with an offset such as +08:00)"
        )
    return result


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat()


def _as_limit(value: Any, what: str) -> int:
    """A time limit in working days: a whole number, not negative."""
    days = _as_int(value, what)
    if days < 0:
        raise ScriptError(f"{what} 不能为负数 (a time limit cannot be negative: {days})")
    return days


def _no_promised_limit() -> ScriptError:
    return ScriptError("本办件没有承诺时限 (the item has no promised limit; set promisedDays)")


class CentreScriptEngine(PythonScriptEngine):
    """SpiffWorkflow script engine of the platform: sandboxed, time-limited, with calendar helpers."""

    def __init__(
        self,
        clock: Clock,
        calendar: object | None = None,
        time_limit: float = 1.0,
        evaluators: EvaluatorPool | None = None,
    ) -> None:
        self.clock = clock
        self.calendar = calendar
        self.time_limit = time_limit
        # effects scripts ask for (pause the clock, record a deemed assent, ...); the runner applies
        # them in the same transaction after stepping, in order
        self.effects: list[tuple[str, dict[str, Any]]] = []
        # the item being stepped: {"deadline": aware datetime | None, "deadline_pending_year": int | None,
        # "paused": bool, "dates": the working-day dates its scripts computed (value → recipe)}
        self.item: dict[str, Any] = {}
        self.script_task: Any = None  # the script task running now (the helpers ask which step it follows)
        super().__init__(environment=RestrictedEnvironment(self._helpers(), time_limit, evaluators))

    # ----------------------------------------------------------------- helpers for scripts

    def _need_calendar(self, name: str) -> Any:
        if self.calendar is None:
            raise ScriptError(
                f"{name}() 需要工作日历，但未配置 ({name}() needs a business calendar; none is configured)"
            )
        return self.calendar

    def _item_clock(self) -> pending_dates.ItemClock:
        return pending_dates.ItemClock(self.item.get("deadline"), self.item.get("deadline_pending_year"))

    def _recipe(self, value: Any, what: str) -> pending_dates.Recipe:
        """The recipe of a date a script passes in (``runner.timekeeping.pending_dates.recipe_of``)."""
        try:
            return pending_dates.recipe_of(value, self.calendar, self.item.get("dates"))  # type: ignore[arg-type]
        except ValueError:
            raise ScriptError(
                f"{what} 必须是 ISO 日期 ({what} must be an ISO date string, got {value!r})"
            ) from None

    def _dated(self, recipe: pending_dates.Recipe) -> str:
        """The value of a working-day recipe (or its pending date), remembered with the recipe for the item:
        a change of the calendar computes it again (``runner.timekeeping.recalculation``)."""
        try:
            value = pending_dates.evaluate(recipe, self.calendar, self._item_clock())  # type: ignore[arg-type]
        except pending_dates.NoItemDeadline:
            raise _no_promised_limit() from None
        if pending_dates.remembered(value, recipe):
            self.effects.append(("calendar_date", {"value": value, "recipe": recipe.text()}))
            dates = self.item.setdefault("dates", {})
            if isinstance(dates, dict):
                dates[value] = recipe.text()
        return value

    def _extend_item_deadline(self, days: int) -> None:
        """Move the deadline the running step sees by ``days`` working days (the runner stores the extension
        after the step; a pending deadline stays pending)."""
        if self.calendar is None or self.item.get("deadline") is None:
            return
        recipe = pending_dates.Recipe(None, (days,), "end")
        value = pending_dates.evaluate(recipe, self.calendar, self._item_clock())  # type: ignore[arg-type]
        if not pending_dates.is_pending(value):
            self.item["deadline"] = datetime.fromisoformat(value)

    def _calendar_helpers(self) -> list[Callable[..., Any]]:
        """The working-day functions scripts can call: ISO values, or pending dates past the known calendar
        (``runner.timekeeping.pending_dates``). Each reads the clock, the calendar and the item, and at most remembers
        the date it computes: a plain expression calls them here (``in_place``)."""

        @in_place
        def workdays(n: Any) -> str:
            """Deadline n working days from now, ISO datetime (usable as a timeDate timer); a pending date
            (``pending:2027:…``) when it reaches past the known holiday calendar."""
            cal = self._need_calendar("workdays")
            days = _as_limit(n, "n")
            return self._dated(pending_dates.Recipe(cal.local_date(self.clock.now()), (days,), "end"))

        @in_place
        def deadline(start: Any, n: Any) -> str:
            """Deadline n working days after ``start`` (aware ISO datetime, or a date computed before), ISO
            datetime or a pending date."""
            self._need_calendar("deadline")
            days = _as_limit(n, "n")
            if not pending_dates.is_pending(start):
                _as_datetime(start, "start")
            return self._dated(self._recipe(start, "start").then(days, "end"))

        @in_place
        def add_workdays(day: Any, n: Any) -> str:
            """The date n working days after ``day``, ISO date (or a pending date)."""
            self._need_calendar("add_workdays")
            return self._dated(self._recipe(day, "day").then(_as_int(n, "n"), "date"))

        @in_place
        def workdays_between(a: Any, b: Any) -> int | str:
            """Working days between two dates, as the calendar counts them (a pending count when they reach
            past the known holiday calendar)."""
            cal = self._need_calendar("workdays_between")
            try:
                return pending_dates.count(
                    self._recipe(a, "a"), self._recipe(b, "b"), cal, self._item_clock()
                )
            except pending_dates.NoItemDeadline:
                raise _no_promised_limit() from None

        @in_place
        def end_of_day(day: Any) -> str:
            """The last moment of ``day`` (ISO date) in the centre's time zone, ISO datetime."""
            self._need_calendar("end_of_day")
            return self._dated(self._recipe(day, "day").then(0, "end"))

        @in_place
        def item_deadline(offset: Any = 0) -> str:
            """The item's promised deadline, moved by ``offset`` working days, ISO datetime.

            ``item_deadline()`` is the deadline itself (end of that working day); ``item_deadline(-1)``
            is the start of the working day before it (a warning); ``item_deadline(2)`` the end of the
            second working day after it (a red card). Timers using it move when the clock is paused. While
            the deadline waits for next year's holiday arrangement, it is a pending date.
            """
            self._need_calendar("item_deadline")
            days = _as_int(offset, "offset")
            return self._dated(
                pending_dates.Recipe(None, (days,) if days else (), "start" if days < 0 else "end")
            )

        return [workdays, deadline, add_workdays, workdays_between, end_of_day, item_deadline]

    def _helpers(self) -> dict[str, Callable[..., Any]]:
        """Functions scripts can call; all take and return JSON-friendly values. A plain expression calls those
        that only read (``in_place``) here."""

        @in_place
        def now() -> str:
            """Current time, ISO datetime in UTC."""
            return _iso(self.clock.now())

        @in_place
        def today() -> str:
            """Today's date (calendar-local if there is a calendar, else UTC), ISO."""
            current = self.clock.now()
            if self.calendar is not None:
                return self.calendar.local_date(current).isoformat()  # type: ignore[attr-defined,no-any-return]
            return current.astimezone(UTC).date().isoformat()

        @in_place
        def seconds_from_now(s: Any) -> str:
            """Now plus ``s`` seconds, ISO datetime (for short timers)."""
            try:
                return _iso(self.clock.now() + timedelta(seconds=_as_number(s, "s")))
            except OverflowError:
                raise ScriptError(f"秒数过大 (seconds out of range: {s!r})") from None

        def pause_clock(reason: Any = "补正") -> None:
            """Stop the item's clock (补正, hearing, inspection, waiting for an upper authority)."""
            self.effects.append(("pause_clock", {"reason": str(reason)[:400]}))
            self.item["paused"] = True  # deadline timers hold from now on, within this very step too

        def resume_clock() -> None:
            """Start the item's clock again; its deadline moves by the paused working days."""
            self.effects.append(("resume_clock", {}))

        def record_deemed_assent(
            window: Any, rule: Any = "timeout", note: Any = "", limit_at: Any = None, step: Any = None
        ) -> dict[str, Any]:
            """Record that ``window`` is deemed to assent (视为同意) under ``rule``, against the time limit that
            applied to it (``limit_at``: ISO datetime, e.g. the review limit or the meeting time) at ``step``
            (the step's name; by default the user task the script follows); returns the opinion to store."""
            if rule not in ("timeout", "absent", "refused", "no_reason"):
                raise ScriptError(
                    f"未知的默认同意规则 {rule!r} (rule must be timeout, absent, refused or no_reason)"
                )
            if limit_at is not None and not pending_dates.is_pending(limit_at):
                _as_datetime(limit_at, "limit_at")
            effect = {"window": str(window), "rule": rule, "note": str(note)[:400]}
            effect["task_name"] = str(step)[:400] if step else step_of(self.script_task)
            if limit_at is not None:
                effect["limit_at"] = str(limit_at)
            self.effects.append(("deemed_assent", effect))
            return {"window": str(window), "result": "deemed_assent", "rule": rule}

        def record_warning(level: Any, message: Any = "", window: Any = None) -> None:
            """Store a supervision warning on the item: notice (提示), yellow (黄牌), red (红牌), overdue;
            the date-times in ``message`` are written in local time."""
            if level not in ("notice", "yellow", "red", "overdue", "escalation"):
                raise ScriptError(
                    f"未知的预警级别 {level!r} (level must be notice, yellow, red, overdue or escalation)"
                )
            text = str(message)[:400]
            if self.calendar is not None:  # its times as the people warned read them, never raw UTC
                text = local_times(text, self.calendar.tz)  # type: ignore[attr-defined]
            self.effects.append(("warning", {"level": level, "message": text, "window": window}))

        def inform(windows: Any, message: Any, kind: Any = "notice") -> None:
            """Put ``message`` in the message centre of each window of ``windows`` (a code or a list of
            codes), about this item; ISO times in it are shown in local time."""
            codes = [windows] if isinstance(windows, str) else list(windows or [])
            self.effects.append(
                ("inform", {"windows": [str(w) for w in codes if w], "message": str(message)[:1500],
                            "kind": str(kind)[:40]})
            )  # fmt: skip

        def issue_document(kind: Any) -> None:
            """Issue this item's numbered notice ``kind`` now, dated today (``joint``: the 联办通知, one copy
            with its own number per related window); a later issue by hand is a re-issue of it."""
            self.effects.append(("issue_document", {"kind": str(kind)[:40]}))

        def extend_deadline(days: Any, reason: Any) -> None:
            """Move the item's promised limit by ``days`` working days (a 延期 approved in the diagram)."""
            count = _as_limit(days, "days")
            if count <= 0 or not str(reason or "").strip():
                raise ScriptError("延期须为正整数个工作日并写明理由 (days > 0 and a reason are required)")
            self.effects.append(("extend", {"days": count, "reason": str(reason)[:400]}))
            self._extend_item_deadline(count)  # timers set later in this very step see the new limit

        def assign_lead_window(window: Any) -> None:
            """Make ``window`` the item's responsible (lead) window: its warnings and ``lane_lead`` go there."""
            self.effects.append(("lead_window", {"window": str(window or "").strip()}))

        helpers = [
            now, today, *self._calendar_helpers(), seconds_from_now, pause_clock, resume_clock,
            record_deemed_assent, record_warning, inform, issue_document, extend_deadline, assign_lead_window,
        ]  # fmt: skip
        return {func.__name__: func for func in helpers}

    def execute(self, task: Any, script: str, external_context: Any = None) -> Any:
        """As PythonScriptEngine.execute; the helpers the script calls know which task runs it."""
        self.script_task = task
        try:
            return super().execute(task, script, external_context)
        finally:
            self.script_task = None

    # ----------------------------------------------------------------- errors naming the task

    def evaluate(self, task: Any, expression: str, external_context: Any = None) -> Any:
        """As PythonScriptEngine.evaluate, with the cause and line in the message.

        A multi-instance completion condition also sees the block's counters (``nrOfInstances``,
        ``nrOfCompletedInstances``, ``nrOfActiveInstances``), which ``completionMode`` is written with.
        """
        context = task.data
        counters = multi_instance_counters(task, expression)
        if counters:
            context = {**task.data, **counters}
        try:
            return self.environment.evaluate(expression, context, external_context)
        except SpiffWorkflowException as se:
            se.add_note(f"Error evaluating expression '{expression}'")
            raise se
        except Exception as err:
            line, error_line = self.get_error_line_number_and_content(expression, err)
            raise WorkflowTaskException(
                f"Error evaluating expression '{expression}': {_describe(err)}",
                task=task,
                exception=err,
                line_number=line or None,
                error_line=error_line or None,
            ) from err

    def create_task_exec_exception(self, task: Any, script: str, err: Exception) -> Exception:
        """As PythonScriptEngine's, but safe for non-string exception args and aware of our filename."""
        line_number, error_line = self.get_error_line_number_and_content(script, err)
        if isinstance(err, SpiffWorkflowException):
            err.line_number = line_number  # type: ignore[attr-defined]
            err.error_line = error_line  # type: ignore[attr-defined]
            err.add_note(f"Python script error on line {line_number}: '{error_line}'")
            return err
        wte = WorkflowTaskException(
            _describe(err), task=task, exception=err, line_number=line_number, error_line=error_line
        )
        wte.__cause__ = err
        if line_number and f"(line {line_number})" not in str(err):
            wte.add_note(f"Python script error on line {line_number}: '{error_line}'")
        return wte

    def get_error_line_number_and_content(self, script: str, err: BaseException) -> tuple[int, str]:
        """Line (1-based, 0 if unknown) and text of the script line where ``err`` happened."""
        line = script_line(err)
        if not line and isinstance(err, SyntaxError) and err.lineno:
            line = err.lineno
        lines = script.splitlines()
        error_line = lines[line - 1] if 0 < line <= len(lines) else ""
        return line, error_line


def step_of(task: Any) -> str | None:
    """The name of the user task a script task follows: the nearest earlier user task on its branch, or the
    task a boundary event on its branch is attached to (a deemed assent on a review's timeout names the
    review); None when there is none."""
    node = task.parent if task is not None else None
    while node is not None:
        spec = node.task_spec
        if spec.manual:
            return str(spec.bpmn_name or spec.name)
        if isinstance(spec, BoundaryEventSplit):
            main = next((c for c in node.children if not isinstance(c.task_spec, BoundaryEvent)), None)
            if main is not None and main.task_spec.manual:
                return str(main.task_spec.bpmn_name or main.task_spec.name)
        node = node.parent
    return None


def multi_instance_counters(task: Any, expression: str) -> dict[str, int]:
    """The counters of the multi-instance block whose completion condition ``expression`` is being
    evaluated on its merged instance ``task`` (empty for any other expression)."""
    block = task.parent
    spec = getattr(block, "task_spec", None)
    if not isinstance(spec, MultiInstanceTask) or spec.condition != expression:
        return {}
    instances = [c for c in block.children if c.task_spec.name == spec.task_spec]
    queued = (
        len(block.internal_data.get("remaining", [])) if isinstance(spec, SequentialMultiInstanceTask) else 0
    )
    completed = len(block.internal_data.get("merged", []))
    active = sum(1 for c in instances if not c.has_state(TaskState.FINISHED_MASK))
    return {
        "nrOfInstances": len(instances) + queued,
        "nrOfCompletedInstances": completed,
        "nrOfActiveInstances": active,
    }

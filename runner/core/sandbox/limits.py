"""The time limit inside an evaluation: ``sys.settrace`` on the diagram's own frames plus a check at the top of
every loop body and function, so that a script stopped there is reported with its line. A single long C call
cannot be interrupted this way: the evaluator process's wall-clock kill and CPU limit bound it (``pool``)."""

from __future__ import annotations

import sys
import threading
import time
import traceback
from types import CodeType, FrameType
from typing import Any

from runner.core.sandbox.policy import FORBIDDEN_NAMES, SCRIPT_FILENAME, line_label
from runner.exceptions import ScriptError


class _Timeout(BaseException):
    """Raised inside a script when its time is up; not an Exception so `except Exception` cannot eat it."""


_local = threading.local()


def tick() -> None:
    """Top of every loop body and function of a script: stop if past the deadline."""
    deadline = getattr(_local, "deadline", None)
    if deadline is not None and time.monotonic() > deadline:
        _local.fired = True
        raise _Timeout


def script_line(err: BaseException | None) -> int:
    """Line of the diagram script where ``err`` (or what caused it) happened; 0 if unknown. An error that came
    back from an evaluator process carries its line as ``script_line``."""
    seen: set[int] = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        if isinstance(err, ScriptError) and err.context.get("line"):
            return int(err.context["line"])
        if getattr(err, "script_line", 0):
            return int(getattr(err, "script_line"))  # noqa: B009 - not every exception has it
        if isinstance(err, SyntaxError) and err.filename == SCRIPT_FILENAME and err.lineno:
            return err.lineno
        line = 0
        for frame in traceback.extract_tb(err.__traceback__):
            if frame.filename == SCRIPT_FILENAME and frame.lineno:
                line = frame.lineno
        if line:
            return line
        err = err.__cause__ or err.__context__
    return 0


def _timeout_error(time_limit: float, source: str, cause: BaseException | None) -> ScriptError:
    line = script_line(cause)
    where = line_label(source, line)
    message = f"脚本运行超时 script exceeded {time_limit:g} s" + (f" ({where})" if where else "")
    return ScriptError(message, line=line or None)


def _located(message: str, source: str, cause: BaseException) -> ScriptError:
    """A ScriptError whose message starts with the script line where ``cause`` happened."""
    line = script_line(cause)
    where = line_label(source, line)
    return ScriptError(f"{where}: {message}" if where else message, line=line or None)


def run_limited(code: CodeType, namespace: dict[str, Any], time_limit: float, source: str) -> Any:
    """Run ``code`` in ``namespace``, stopped after ``time_limit`` s; the trace function is restored."""
    deadline = time.monotonic() + time_limit
    previous = sys.gettrace()
    saved = (getattr(_local, "deadline", None), getattr(_local, "fired", False))
    _local.deadline, _local.fired = deadline, False

    def local_trace(frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line" and time.monotonic() > deadline:
            _local.fired = True
            raise _Timeout
        return local_trace

    def global_trace(frame: FrameType, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename == SCRIPT_FILENAME:
            if time.monotonic() > deadline:
                _local.fired = True
                raise _Timeout
            return local_trace
        # Other code (helpers, the calendar): leave it to whoever traced before us, if anyone.
        return previous(frame, event, arg) if previous is not None else None

    fired = False
    sys.settrace(global_trace)
    try:
        try:
            result = eval(code, namespace)  # restricted code, restricted builtins
        finally:
            sys.settrace(previous)
            fired = _local.fired
            _local.deadline, _local.fired = saved
    except _Timeout as exc:
        raise _timeout_error(time_limit, source, exc) from exc
    except NameError as exc:
        if exc.name not in FORBIDDEN_NAMES:
            raise
        what = f"不允许使用 {exc.name} ({exc.name} is not available in diagram scripts)"
        raise _located(what, source, exc) from exc
    except ScriptError as exc:  # refused by a guard or a helper: say where
        if exc.context.get("line"):
            raise
        raise _located(exc.message, source, exc) from exc
    if fired:  # the script caught the timeout (bare `except:`) and went on
        raise _timeout_error(time_limit, source, None)
    return result

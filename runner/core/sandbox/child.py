"""The evaluator process: runs one script or expression at a time for the platform process that started it.

Started by ``pool.Evaluator`` as ``python -I -c BOOTSTRAP <runner dir> <read fd> <write fd> <memory MiB>``; it loads
this package without the rest of the platform, limits itself, says it is ready, then answers requests until its
pipe closes. Its limits:

- ``RLIMIT_AS``: its whole address space (``BANJIAN_SCRIPT_MEMORY_LIMIT_MB``): an allocation beyond it fails
  with ``MemoryError``, reported as such; the process then retires (the pool starts a fresh one);
- ``RLIMIT_CPU``: set before each evaluation to the CPU used so far plus the evaluation's allowance: past it the
  kernel kills the process (``SIGXCPU``) even inside one long C call;
- ``RLIMIT_FSIZE`` 0 and ``RLIMIT_CORE`` 0: it writes no file and leaves no core dump.

The platform also kills it when an evaluation outlasts its wall-clock allowance (``pool``). A helper function of
the platform (``workdays()``, ``pause_clock()`` ...) is a stub here that asks the platform to run it.
"""

from __future__ import annotations

import math
import os
import resource
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from runner.core.sandbox import run
from runner.core.sandbox.limits import script_line
from runner.core.sandbox.wire import MAX_MESSAGE_BYTES, dumps, trusted_loads
from runner.exceptions import ScriptError

# the allowance of CPU seconds beyond the time limit (RLIMIT_CPU counts whole seconds)
CPU_SLACK_SECONDS = 1
RETIRE_FRACTION = 0.5  # a process left holding more than this part of its memory limit is replaced


class HelperFailed(ScriptError):
    """The platform's helper refused the call (its message), raised inside the script."""

    code = "helper_failed"


def limit_resources(memory_mb: int) -> None:
    """This process's fixed limits (see the module docstring)."""
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def allow_cpu(seconds: float) -> None:
    """Let the next evaluation use ``seconds`` more CPU (plus slack) before the kernel stops this process."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime
    soft = math.ceil(used + seconds) + CPU_SLACK_SECONDS
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(
        resource.RLIMIT_CPU, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard)
    )


def resident_mb() -> float:
    """Memory this process holds now (MiB)."""
    with open("/proc/self/statm", "rb") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


def _stub(name: str, inbox: Connection, outbox: Connection) -> Callable[..., Any]:
    """The platform's helper ``name`` as a function of this process."""

    def call(*args: Any, **kwargs: Any) -> Any:
        outbox.send_bytes(dumps(("call", name, args, kwargs)))
        kind, value = trusted_loads(inbox.recv_bytes())
        if kind == "return":
            return value
        raise HelperFailed(str(value))

    call.__name__ = name
    return call


def _error(exc: BaseException) -> dict[str, Any]:
    """What the platform needs to raise ``exc`` again: its type, arguments, message and script line."""
    args = exc.args if all(isinstance(a, str | int | float | type(None)) for a in exc.args) else (str(exc),)
    cause: BaseException | None = exc
    helper = False
    while cause is not None and not helper:
        helper = isinstance(cause, HelperFailed)
        cause = cause.__cause__
    return {
        "type": type(exc).__name__,
        "args": args,
        "message": exc.message if isinstance(exc, ScriptError) else str(exc),
        "line": script_line(exc),
        "script_error": isinstance(exc, ScriptError),
        "helper": helper,
        # the missing variable or attribute a NameError / AttributeError names (the incident says which)
        "name": getattr(exc, "name", None) if isinstance(exc, NameError | AttributeError) else None,
    }


def _result(value: Any) -> bytes:
    """The answer carrying ``value``, refused when it cannot be sent or is too large."""
    if isinstance(value, type({}.keys()) | type({}.values()) | type({}.items())):
        value = list(value)
    try:
        answer = dumps(("ok", value))
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - e.g. a map object or a function: say what
        raise ScriptError(
            f"脚本结果无法传回：{type(value).__name__} (the result cannot be passed back: {exc})"
        ) from None
    if len(answer) > MAX_MESSAGE_BYTES:
        raise ScriptError(
            f"脚本结果过大：约 {len(answer) // 1024} KB (the script's result is too large: about "
            f"{len(answer) // 1024} KB, the limit is {MAX_MESSAGE_BYTES // 1024} KB)"
        )
    return answer


def serve(request: tuple[Any, ...], inbox: Connection, outbox: Connection) -> tuple[bytes, bool]:
    """Run one request; (the answer, whether this process should retire afterwards)."""
    _, mode, source, data, values, helper_names, time_limit = request
    helpers = {name: _stub(name, inbox, outbox) for name in helper_names}
    allow_cpu(time_limit)
    try:
        if mode == "eval":
            value = run.evaluate(source, data, helpers, values, time_limit)
        else:
            value = run.execute(source, data, helpers, values, time_limit)
        return _result(value), False
    except MemoryError:
        return dumps(("memory", None)), True
    except Exception as exc:  # noqa: BLE001 - every failure of a script goes back to the platform
        return dumps(("error", _error(exc))), False


def main(read_fd: int, write_fd: int, memory_mb: int) -> None:
    """Limit this process, say ready, answer requests until the platform closes the pipe."""
    inbox = Connection(read_fd, writable=False)
    outbox = Connection(write_fd, readable=False)
    limit_resources(memory_mb)
    outbox.send_bytes(dumps(("ready", os.getpid())))
    while True:
        try:
            request = trusted_loads(inbox.recv_bytes())
        except EOFError:
            return
        answer, retire = serve(request, inbox, outbox)
        retire = retire or resident_mb() > memory_mb * RETIRE_FRACTION
        outbox.send_bytes(answer)
        if retire:
            return

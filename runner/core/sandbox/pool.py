"""Evaluator processes: every script and expression of a diagram runs in one, under real limits.

Each platform process (web worker, RQ worker) keeps a small pool of pre-started evaluators
(``BANJIAN_SCRIPT_EVALUATORS``, more are started while several threads evaluate at once). One evaluation:

1. the script or expression, the task data, the external values and the names of the platform's helpers go to
   an idle evaluator (pickled, one pipe each way);
2. it runs them in the RestrictedPython sandbox (``run``) under its memory and CPU limits (``child``); a call of a
   helper (``workdays()``, ``pause_clock()`` ...) comes back here and is answered, so the business calendar, the
   clock and the item's effects stay in this process;
3. the answer (the value, the new task data, or the error with its type, message and line) is read back as plain
   data only (``wire``).

An evaluation still running ``time_limit + KILL_GRACE`` seconds after it began (the sandbox's own time limit
could not stop it: one long C call) is killed with SIGKILL; so is one that passes its CPU allowance (the kernel,
SIGXCPU) or its memory (``MemoryError``). Each becomes a ``ScriptError`` — an incident on its item — and a fresh
evaluator takes the place of the dead one, so this process stays healthy.
"""

from __future__ import annotations

import atexit
import builtins
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from runner.core.sandbox.wire import MAX_MESSAGE_BYTES, dumps, untrusted_loads
from runner.exceptions import ScriptError

KILL_GRACE = 0.5  # seconds past the time limit before an evaluation is killed
START_TIMEOUT = 30.0  # seconds a new evaluator may take to start (a loaded machine)
RUNNER_DIR = str(Path(__file__).resolve().parents[2])
# loads runner.core.sandbox without runner/__init__.py and runner/core/__init__.py (the engine, SQLAlchemy ...):
# a small, quick process
BOOTSTRAP = (
    "import sys, types; pkg = types.ModuleType('runner'); pkg.__path__ = [sys.argv[1]]; "
    "sys.modules['runner'] = pkg; core = types.ModuleType('runner.core'); core.__path__ = [sys.argv[1] + '/core']; "
    "sys.modules['runner.core'] = core; from runner.core.sandbox.child import main; "
    "main(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))"
)


class EvaluatorDied(Exception):
    """The evaluator process ended in the middle of an evaluation (killed, or out of memory)."""


class Evaluator:
    """One evaluator process and its two pipes."""

    def __init__(self, memory_mb: int) -> None:
        to_child, requests = os.pipe()
        replies, from_child = os.pipe()
        try:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-I",
                    "-c",
                    BOOTSTRAP,
                    RUNNER_DIR,
                    str(to_child),
                    str(from_child),
                    str(memory_mb),
                ],
                pass_fds=(to_child, from_child),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        finally:
            os.close(to_child)
            os.close(from_child)
        self.requests = Connection(requests, readable=False)
        self.replies = Connection(replies, writable=False)
        self.ready = False

    def wait_ready(self) -> None:
        """Wait (once) for the process to say it is ready."""
        if self.ready:
            return
        if not self.replies.poll(START_TIMEOUT):
            self.kill()
            raise EvaluatorDied("the evaluator did not start")
        try:
            kind, _ = untrusted_loads(self.replies.recv_bytes(MAX_MESSAGE_BYTES))
        except (EOFError, OSError) as exc:
            self.kill()
            raise EvaluatorDied("the evaluator did not start") from exc
        self.ready = kind == "ready"

    def exchange(
        self, request: bytes, helpers: dict[str, Callable[..., Any]], allowance: float
    ) -> tuple[Any, ...]:
        """Send ``request``; answer the helper calls; return the final answer. Raises ``EvaluatorDied`` (the
        process is then dead) when it ends or outlasts ``allowance`` seconds of its own work."""
        self.wait_ready()
        self.requests.send_bytes(request)
        deadline = time.monotonic() + allowance
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self.replies.poll(remaining):
                self.kill()
                raise EvaluatorDied("timeout")
            try:
                message = untrusted_loads(self.replies.recv_bytes(MAX_MESSAGE_BYTES))
            except (EOFError, OSError) as exc:
                self.kill()
                raise EvaluatorDied(self.death()) from exc
            if message[0] != "call":
                return tuple(message)
            began = time.monotonic()
            self.requests.send_bytes(_answer_call(helpers, message))
            deadline += time.monotonic() - began  # the helper's own time is not the script's

    def death(self) -> str:
        """How the process ended (after ``kill`` or EOF)."""
        code = self.process.wait(timeout=10)
        if code < 0 and -code == signal.SIGXCPU:
            return "cpu"
        return f"exit {code}" if code >= 0 else f"signal {-code}"

    def kill(self) -> None:
        """End the process now and release its pipes."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        self.requests.close()
        self.replies.close()

    @property
    def alive(self) -> bool:
        return self.process.poll() is None and not self.requests.closed


def _answer_call(helpers: dict[str, Callable[..., Any]], message: tuple[Any, ...]) -> bytes:
    """Run the helper an evaluator asked for; its value, or its error's message."""
    _, name, args, kwargs = message
    helper = helpers.get(name)
    if helper is None:
        return dumps(("raise", f"没有函数 {name} (no such function)"))
    try:
        return dumps(("return", helper(*args, **kwargs)))
    except ScriptError as exc:
        return dumps(("raise", exc.message))
    except Exception as exc:  # noqa: BLE001 - kept for the platform, the script sees the message
        _HELPER_ERRORS.error = exc
        return dumps(("raise", str(exc) or type(exc).__name__))


_HELPER_ERRORS = threading.local()  # a helper's own exception (not a ScriptError), raised again as it was


class EvaluatorPool:
    """Pre-started evaluators with one memory limit, shared by the threads of this process."""

    def __init__(self, memory_mb: int, size: int = 1) -> None:
        self.memory_mb = memory_mb
        self.size = max(1, size)
        self._idle: list[Evaluator] = []
        self._lock = threading.Lock()
        self._pid = os.getpid()

    def _forget_after_fork(self) -> None:
        """In a forked child the evaluators are the parent's: leave them to it."""
        if os.getpid() != self._pid:
            self._idle = []
            self._lock = threading.Lock()
            self._pid = os.getpid()

    def warm(self) -> None:
        """Start evaluators until ``size`` are idle (they get ready in the background)."""
        self._forget_after_fork()
        with self._lock:
            while len(self._idle) < self.size:
                self._idle.append(Evaluator(self.memory_mb))

    def acquire(self) -> Evaluator:
        self._forget_after_fork()
        with self._lock:
            while self._idle:
                evaluator = self._idle.pop()
                if evaluator.alive:
                    return evaluator
                evaluator.kill()
        return Evaluator(self.memory_mb)

    def release(self, evaluator: Evaluator) -> None:
        with self._lock:
            if evaluator.alive and os.getpid() == self._pid:
                self._idle.append(evaluator)
                return
        evaluator.kill()

    def close(self) -> None:
        """Stop every idle evaluator (at exit)."""
        with self._lock:
            idle, self._idle = self._idle, []
        if os.getpid() == self._pid:
            for evaluator in idle:
                evaluator.kill()

    def run(
        self,
        mode: str,
        source: str,
        data: dict[str, Any],
        helpers: dict[str, Callable[..., Any]],
        values: dict[str, Any],
        time_limit: float,
    ) -> Any:
        """Evaluate (``mode`` ``eval``) or execute (``exec``) ``source`` in an evaluator; the value, or the new
        task data. Raises what the script raised (its type, message and line), ``ScriptError`` for refusals and
        every limit, or the exception of a helper that failed."""
        try:
            request = dumps(("run", mode, source, data, values, sorted(helpers), time_limit))
        except Exception as exc:  # noqa: BLE001 - data that cannot leave this process
            raise ScriptError(
                f"任务数据无法交给脚本 (the task data cannot be passed to the script: {exc})"
            ) from exc
        _HELPER_ERRORS.error = None
        evaluator = self.acquire()
        try:
            answer = evaluator.exchange(request, helpers, time_limit + KILL_GRACE)
        except EvaluatorDied as exc:
            self.warm()  # its replacement starts now, not on the next evaluation
            raise _limit_error(str(exc), time_limit, self.memory_mb) from None
        if answer[0] == "memory":
            evaluator.kill()
            self.warm()
            raise _limit_error("memory", time_limit, self.memory_mb)
        self.release(evaluator)
        if answer[0] == "ok":
            return answer[1]
        raise _script_failure(answer[1], getattr(_HELPER_ERRORS, "error", None))


def _limit_error(cause: str, time_limit: float, memory_mb: int) -> ScriptError:
    if cause in ("timeout", "cpu"):
        message = f"脚本运行超时 script exceeded {time_limit:g} s (stopped by the evaluator's time limit)"
    elif cause == "memory":
        message = f"脚本内存超限 (the script exceeded its memory limit of {memory_mb} MB)"
    else:
        message = f"脚本执行进程意外结束 (the script's evaluator process ended: {cause})"
    return ScriptError(message, limit=cause)


def _script_failure(info: dict[str, Any], helper_error: BaseException | None) -> BaseException:
    """The exception an evaluation ended with, rebuilt here: a helper's own exception as it was, a
    ``ScriptError`` as such, a builtin exception as its type; its script line as ``script_line``."""
    line = int(info.get("line") or 0)
    if info.get("helper") and helper_error is not None:
        helper_error.script_line = line  # type: ignore[attr-defined]
        return helper_error
    if info.get("script_error"):
        return ScriptError(str(info["message"]), line=line or None)
    cls = getattr(builtins, str(info.get("type")), None)
    if isinstance(cls, type) and issubclass(cls, Exception):
        try:
            error: Exception = cls(*info.get("args", ()))
        except Exception:  # noqa: BLE001 - arguments this type does not take
            error = cls(str(info.get("message")))
        if info.get("name") and isinstance(error, NameError | AttributeError):
            error.name = str(info["name"])
    else:
        error = ScriptError(f"{info.get('type')}: {info.get('message')}", line=line or None)
    error.script_line = line  # type: ignore[attr-defined]
    return error


_POOLS: dict[int, EvaluatorPool] = {}
_POOLS_LOCK = threading.Lock()


def shared_pool(memory_mb: int, size: int = 1) -> EvaluatorPool:
    """This process's pool for ``memory_mb`` (one per limit; ``size`` only grows it)."""
    with _POOLS_LOCK:
        pool = _POOLS.get(memory_mb)
        if pool is None:
            pool = _POOLS[memory_mb] = EvaluatorPool(memory_mb, size)
        pool.size = max(pool.size, size)
        return pool


@atexit.register
def _close_pools() -> None:
    for pool in list(_POOLS.values()):
        pool.close()

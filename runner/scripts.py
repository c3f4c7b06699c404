"""Scripts and expressions of diagrams, run in a RestrictedPython sandbox with a time limit.

``CentreScriptEngine`` is the SpiffWorkflow script engine of the platform. Every script task,
gateway condition and timer expression goes through ``RestrictedEnvironment``, which keeps the
data semantics of SpiffWorkflow's ``TaskDataEnvironment`` (scripts read and write task data
variables; helper functions are removed from the data afterwards) but:

* compiles with RestrictedPython plus a stricter policy (no import, no class, no generator
  functions, no calls to ``open``/``getattr``/``type``/..., no names or attributes starting with ``_``);
* runs with a small set of builtins and guards for attribute/item access, iteration,
  unpacking and writes (only dicts and lists may be changed);
* stops code that runs longer than ``time_limit`` seconds (``sys.settrace`` on the diagram's
  own frames, plus a check at the top of every loop body and function);
* refuses the obvious memory bombs: ``range`` over 10 million items, ``*``/``+`` making a
  sequence over 10 million items, ``**``/``<<``/``*`` making an int over 100 000 bits.

What it does NOT guard (limits on the worker process are the real boundary there):

* memory grown by methods: ``lst.extend(lst)`` in a loop, ``"x".ljust(10**9)``, ``sep.join(...)``,
  ``s.replace(...)``, ``dict.fromkeys(...)`` -- only ``+``, ``*``, ``**``, ``<<`` and ``range``
  are checked, and a loop may still build a few hundred MB within its time;
* a single long C-level operation, which no trace event can interrupt (``sorted`` or ``sum``
  over millions of items, a huge ``str`` method call): the limit is checked between lines;
* C builtins that iterate (``sum``/``sorted``/``map``/``zip``/...) bypass ``_getiter_``;
* what a helper function or the business calendar does once called (not time-limited);
* a script that swallows the timeout with a bare ``except:`` runs on (untraced) until it next
  reaches a loop top or function entry, where it is stopped again; if it ends first, it is still
  reported as timed out.

RestrictedPython narrows what a script can reach; it is not a hard security boundary against a
determined attacker who can deploy diagrams.
"""

from __future__ import annotations

import ast
import builtins
import copy
import functools
import operator
import re
import sys
import textwrap
import threading
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import CodeType, FrameType
from typing import Any, NamedTuple

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Guards import (
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    raise_,
    safer_getattr,
)
from RestrictedPython.PrintCollector import PrintCollector
from RestrictedPython.transformer import IOPERATOR_TO_STR, RestrictingNodeTransformer
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine.python_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask, SequentialMultiInstanceTask
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from . import pending_dates
from .clock import Clock
from .exceptions import ScriptError

__all__ = ["SCRIPT_FILENAME", "CentreScriptEngine", "RestrictedEnvironment", "check_source"]

SCRIPT_FILENAME = "<diagram script>"
MAX_RANGE = 10_000_000  # items in one range()
MAX_SEQUENCE = 10_000_000  # items/characters made by one `*` or `+`
MAX_INT_BITS = 100_000  # bits of an int made by one `*`, `**` or `<<`
COMPILE_CACHE_SIZE = 4096

# Builtins a script may call. C builtins that iterate (sorted, sum, zip, ...) bypass `_getiter_`:
# fine here, task data holds plain JSON values, not security-proxied objects.
# fmt: off
_SAFE_BUILTIN_NAMES = (
    "abs", "all", "any", "bool", "dict", "enumerate", "filter", "float", "int", "isinstance", "len",
    "list", "map", "max", "min", "reversed", "round", "set", "sorted", "str", "sum", "tuple", "zip",
    "None", "True", "False",
)
# Exception classes so that `try: ... except ValueError: ...` works. BaseException is left out on
# purpose: the timeout derives from it, so `except Exception` cannot swallow a timeout.
_SAFE_EXCEPTION_NAMES = (
    "Exception", "ArithmeticError", "AssertionError", "AttributeError", "IndexError", "KeyError",
    "LookupError", "NameError", "OverflowError", "TypeError", "ValueError", "ZeroDivisionError",
)
# Calls refused when compiling, with a plain message (they are not builtins here anyway).
_FORBIDDEN_CALLS = frozenset({
    "open", "compile", "getattr", "setattr", "delattr", "hasattr", "globals", "locals", "vars", "type",
    "dir", "input", "breakpoint", "help", "exit", "quit", "memoryview", "object", "super",
    "classmethod", "staticmethod", "property", "iter", "next",
})
# fmt: on
_FORBIDDEN_NAMES = _FORBIDDEN_CALLS | {"eval", "exec"}
# Public attributes that lead back to classes or frames: `Exception.mro()` would hand out BaseException.
_BLOCKED_ATTRIBUTES = frozenset({"mro"})

# RestrictedPython's own refusals, with a Chinese lead so users of the platform read them at once.
_TRANSLATIONS = (
    ('starts with "_"', "不允许使用以下划线开头的名字或属性"),
    ("Eval calls", "不允许 eval"),
    ("Exec calls", "不允许 exec"),
    ("reserved name", "不允许使用保留名字"),
    ("restricted name", "不允许访问此属性"),
    ("__roles__", "不允许使用此名字"),
    ("Augmented assignment", "不允许这种增量赋值"),
    ("statements are not allowed", "不允许此语句"),
)

_LINE_RE = re.compile(r"^Line (\d+|None): (.*)$", re.DOTALL)


# --------------------------------------------------------------------------- compile


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's policy, stricter: no import/class/dangerous calls; guarded loops and operators."""

    def error(self, node: ast.AST, info: str) -> None:
        """Record a refusal, leading with Chinese for RestrictedPython's English messages."""
        if info.isascii():
            lead = next((zh for needle, zh in _TRANSLATIONS if needle in info), "不允许")
            info = f"{lead} ({info.rstrip('.')})"
        super().error(node, info)

    def visit_Import(self, node: ast.Import) -> ast.AST:
        self.error(node, "不允许 import (import is not allowed)")
        return node

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST:
        self.error(node, "不允许 import (import is not allowed)")
        return node

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        self.error(node, "不允许定义类 (class definitions are not allowed)")
        return node

    def visit_Yield(self, node: ast.Yield) -> ast.AST:
        # A suspended generator left behind could run a `finally:` later, outside the time limit.
        self.error(node, "不允许 yield (generator functions are not allowed)")
        return node

    def visit_YieldFrom(self, node: ast.YieldFrom) -> ast.AST:
        self.error(node, "不允许 yield (generator functions are not allowed)")
        return node

    def visit_Call(self, node: ast.Call) -> Any:
        if isinstance(node.func, ast.Name) and node.func.id in _FORBIDDEN_CALLS:
            name = node.func.id
            self.error(node, f"不允许调用 {name}() ({name}() is not allowed)")
        return super().visit_Call(node)

    def visit_While(self, node: ast.While) -> Any:
        node = super().visit_While(node)
        node.body.insert(0, _tick_statement(node))
        return node

    def visit_For(self, node: ast.For) -> Any:
        node = super().visit_For(node)
        node.body.insert(0, _tick_statement(node))
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> Any:
        node = super().visit_FunctionDef(node)
        node.body.insert(0, _tick_statement(node))
        return node

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        node = self.node_contents_visit(node)
        guard = _BINOP_GUARDS.get(type(node.op))
        if guard is None:
            return node
        return _call(guard, [node.left, node.right], node)

    def visit_AugAssign(self, node: ast.AugAssign) -> Any:
        """`d["n"] += 1` becomes `_inplaceitem_("+=", d, "n", 1)`; everything else as RestrictedPython."""
        target = node.target
        if not isinstance(target, ast.Subscript) or isinstance(target.slice, ast.Slice):
            return super().visit_AugAssign(node)
        args = [
            ast.Constant(IOPERATOR_TO_STR[type(node.op)]),
            self.visit(target.value),
            self.visit(target.slice),
            self.visit(node.value),
        ]
        new = ast.Expr(_call("_inplaceitem_", args, node))
        ast.copy_location(new, node)
        return new


def _call(func: str, args: list[Any], where: ast.AST) -> ast.Call:
    """``func(*args)`` as an AST node located at ``where``."""
    call = ast.Call(func=ast.Name(func, ast.Load()), args=args, keywords=[])
    ast.copy_location(call, where)
    return ast.fix_missing_locations(call)


def _tick_statement(where: ast.AST) -> ast.Expr:
    """``_tick_()``: checks the deadline, and keeps `while True: pass` from being a silent self-jump."""
    stmt = ast.Expr(_call("_tick_", [], where))
    ast.copy_location(stmt, where)
    return stmt


_BINOP_GUARDS: dict[type[ast.operator], str] = {
    ast.Add: "_add_",
    ast.Mult: "_mul_",
    ast.Pow: "_pow_",
    ast.LShift: "_lshift_",
}


class _Compiled(NamedTuple):
    code: CodeType | None
    error: str | None
    line: int | None


def _where(source: str, line: int | None) -> str:
    """``第 n 行 (line n)`` plus the offending source line, for messages."""
    if not line:
        return ""
    lines = source.splitlines()
    text = lines[line - 1].strip() if 0 < line <= len(lines) else ""
    if len(text) > 80:
        text = text[:77] + "..."
    return f"第 {line} 行 (line {line})" + (f" `{text}`" if text else "")


def _refusal(source: str, line: int | None, what: str) -> _Compiled:
    where = _where(source, line)
    return _Compiled(None, f"{where}: {what}" if where else what, line)


@functools.lru_cache(maxsize=COMPILE_CACHE_SIZE)
def _compile(mode: str, source: str) -> _Compiled:
    """Compile ``source`` restricted, or say why not. Cached: gateway conditions run thousands of times."""
    offset = 0
    text = source
    if mode == "eval":
        # Conditions come from XML and often carry surrounding whitespace and newlines.
        stripped = source.lstrip()
        offset = source[: len(source) - len(stripped)].count("\n")
        text = stripped.rstrip()
    elif text[:1].isspace():
        text = textwrap.dedent(text)
    try:
        tree = ast.parse(text, SCRIPT_FILENAME, mode)
    except SyntaxError as exc:
        line = exc.lineno + offset if exc.lineno else None
        return _refusal(source, line, f"语法错误 (syntax error: {exc.msg})")
    if offset:
        ast.increment_lineno(tree, offset)
    compile_restricted = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    result = compile_restricted(tree, filename=SCRIPT_FILENAME, policy=_Policy)
    if result.errors:
        match = _LINE_RE.match(result.errors[0])
        if match is None:  # pragma: no cover - RestrictedPython always prefixes the line
            return _Compiled(None, result.errors[0], None)
        line = int(match.group(1)) if match.group(1).isdigit() else None
        return _refusal(source, line, match.group(2))
    return _Compiled(result.code, None, None)


def check_source(source: str, mode: str) -> str | None:
    """Compile-only check at deploy time: None if fine, else the first problem with its line number."""
    if mode not in ("eval", "exec"):
        raise ValueError(f"mode must be 'eval' or 'exec', not {mode!r}")
    return _compile(mode, source).error


def _compiled(mode: str, source: str) -> CodeType:
    """The code object, or a ScriptError saying what was refused and where."""
    result = _compile(mode, source)
    if result.code is None:
        raise ScriptError(result.error or "script refused", line=result.line)
    return result.code


# --------------------------------------------------------------------------- guards


def _too_big(what: str, size: int, limit: int) -> ScriptError:
    return ScriptError(f"结果过大 (result too large: {what} would be about {size}, the limit is {limit})")


def _check_sequence(length: int) -> None:
    if length > MAX_SEQUENCE:
        raise _too_big("sequence length", length, MAX_SEQUENCE)


def _check_bits(bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise _too_big("integer bits", bits, MAX_INT_BITS)


_SEQUENCES = (str, bytes, list, tuple)


def _add(a: Any, b: Any) -> Any:
    if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES):
        _check_sequence(len(a) + len(b))
    return a + b


def _check_mul(a: Any, b: Any) -> None:
    if isinstance(a, _SEQUENCES) and isinstance(b, int):
        _check_sequence(len(a) * b)
    elif isinstance(a, int) and isinstance(b, _SEQUENCES):
        _check_sequence(a * len(b))
    elif isinstance(a, int) and isinstance(b, int):
        _check_bits(a.bit_length() + b.bit_length())


def _mul(a: Any, b: Any) -> Any:
    _check_mul(a, b)
    return a * b


def _check_pow(a: Any, b: Any) -> None:
    if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1:
        _check_bits(a.bit_length() * b)


def _pow(a: Any, b: Any) -> Any:
    _check_pow(a, b)
    return a**b


def _check_lshift(a: Any, b: Any) -> None:
    if isinstance(a, int) and isinstance(b, int) and a and b > 0:
        _check_bits(a.bit_length() + b)


def _lshift(a: Any, b: Any) -> Any:
    _check_lshift(a, b)
    return a << b


_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "+=": operator.iadd,
    "-=": operator.isub,
    "*=": operator.imul,
    "/=": operator.itruediv,
    "//=": operator.ifloordiv,
    "%=": operator.imod,
    "**=": operator.ipow,
    "<<=": operator.ilshift,
    ">>=": operator.irshift,
    "&=": operator.iand,
    "|=": operator.ior,
    "^=": operator.ixor,
    "@=": operator.imatmul,
}
_INPLACE_CHECKS: dict[str, Callable[[Any, Any], None]] = {
    "*=": _check_mul,
    "**=": _check_pow,
    "<<=": _check_lshift,
}


def _inplacevar(op: str, x: Any, y: Any) -> Any:
    """``x op= y`` for names (RestrictedPython's ``_inplacevar_``), with the size guards."""
    func = _INPLACE.get(op)
    if func is None:
        raise ScriptError(f"不支持的运算 (operator {op} is not supported)")
    if op == "+=" and isinstance(x, _SEQUENCES) and isinstance(y, _SEQUENCES):
        _check_sequence(len(x) + len(y))
    check = _INPLACE_CHECKS.get(op)
    if check is not None:
        check(x, y)
    return func(x, y)


def _write(ob: Any) -> Any:
    """Only dict and list values (task data) may be changed by scripts."""
    if type(ob) in (dict, list):
        return ob
    raise ScriptError(
        f"只能修改字典和列表 (only dict and list values can be changed, not {type(ob).__name__})"
    )


def _inplaceitem(op: str, container: Any, key: Any, value: Any) -> None:
    """``container[key] op= value``."""
    target = _write(container)
    target[key] = _inplacevar(op, target[key], value)


def _getattr(ob: Any, name: str) -> Any:
    """Attribute read: no ``_`` names, no ``str.format``, no ``mro``; a missing attribute raises."""
    if name in _BLOCKED_ATTRIBUTES:
        raise ScriptError(f"不允许访问属性 {name} (attribute {name!r} is not allowed)")
    return safer_getattr(ob, name, raise_)


def _getitem(ob: Any, index: Any) -> Any:
    return ob[index]


def _check_range(r: range) -> None:
    try:
        size = len(r)
    except OverflowError:
        size = sys.maxsize
    if size > MAX_RANGE:
        raise _too_big("range length", size, MAX_RANGE)


def _range(*args: int) -> range:
    """``range`` refusing more than ``MAX_RANGE`` items."""
    result = range(*args)
    _check_range(result)
    return result


def _getiter(ob: Any) -> Any:
    if isinstance(ob, range):
        _check_range(ob)
    return ob


def _apply(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


def _make_builtins() -> dict[str, Any]:
    safe: dict[str, Any] = {name: getattr(builtins, name) for name in _SAFE_BUILTIN_NAMES}
    safe.update({name: getattr(builtins, name) for name in _SAFE_EXCEPTION_NAMES})
    safe.update(
        range=_range,
        _getattr_=_getattr,
        _getitem_=_getitem,
        _getiter_=_getiter,
        _iter_unpack_sequence_=guarded_iter_unpack_sequence,
        _unpack_sequence_=guarded_unpack_sequence,
        _write_=_write,
        _inplacevar_=_inplacevar,
        _inplaceitem_=_inplaceitem,
        _apply_=_apply,
        _print_=PrintCollector,  # print() output is collected and dropped
        _tick_=_tick,
        _add_=_add,
        _mul_=_mul,
        _pow_=_pow,
        _lshift_=_lshift,
    )
    return safe


# --------------------------------------------------------------------------- time limit


class _Timeout(BaseException):
    """Raised inside a script when its time is up; not an Exception so `except Exception` cannot eat it."""


_local = threading.local()


def _tick() -> None:
    """Top of every loop body and function of a script: stop if past the deadline."""
    deadline = getattr(_local, "deadline", None)
    if deadline is not None and time.monotonic() > deadline:
        _local.fired = True
        raise _Timeout


def _script_line(err: BaseException | None) -> int:
    """Line of the diagram script where ``err`` (or what caused it) happened; 0 if unknown."""
    seen: set[int] = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        if isinstance(err, ScriptError) and err.context.get("line"):
            return int(err.context["line"])
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
    line = _script_line(cause)
    where = _where(source, line)
    message = f"脚本运行超时 script exceeded {time_limit:g} s" + (f" ({where})" if where else "")
    return ScriptError(message, line=line or None)


def _located(message: str, source: str, cause: BaseException) -> ScriptError:
    """A ScriptError whose message starts with the script line where ``cause`` happened."""
    line = _script_line(cause)
    where = _where(source, line)
    return ScriptError(f"{where}: {message}" if where else message, line=line or None)


def _run_limited(code: CodeType, namespace: dict[str, Any], time_limit: float, source: str) -> Any:
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
        if exc.name not in _FORBIDDEN_NAMES:
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


# --------------------------------------------------------------------------- environment


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """TaskDataEnvironment's data semantics, with restricted compilation, builtins and a time limit."""

    def __init__(self, environment_globals: dict[str, Any] | None = None, time_limit: float = 1.0) -> None:
        super().__init__(environment_globals)
        if time_limit <= 0:
            raise ValueError(f"time_limit must be positive, not {time_limit}")
        self.time_limit = time_limit
        self.builtins = _make_builtins()

    def evaluate(self, expression: str, context: dict[str, Any], external_context: Any = None) -> Any:
        """Value of ``expression`` over globals, external context and task data (data is not changed)."""
        code = _compiled("eval", expression)
        my_globals = copy.copy(self.globals)
        my_globals.update(external_context or {})
        my_globals.update(context)
        my_globals["__builtins__"] = self.builtins
        return _run_limited(code, my_globals, self.time_limit, expression)

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        """Run ``script`` with task data as its variables; the helpers it was given are removed afterwards.

        Task data wins over a helper of the same name (a form field called ``deadline`` simply hides the
        ``deadline()`` helper in that script) instead of failing every script of the item.
        """
        code = _compiled("exec", script)
        before = set(context)
        injected = {k: v for k, v in {**self.globals, **(external_context or {})}.items() if k not in context}
        context.update(injected)
        context["__builtins__"] = self.builtins
        try:
            _run_limited(code, context, self.time_limit, script)
        finally:
            for key in list(context):
                value = context[key]
                if (
                    key == "__builtins__"
                    or (key in injected and value is injected[key])
                    or callable(value)
                    or (key.startswith("_") and key not in before)
                ):
                    context.pop(key)
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

    def __init__(self, clock: Clock, calendar: object | None = None, time_limit: float = 1.0) -> None:
        self.clock = clock
        self.calendar = calendar
        self.time_limit = time_limit
        # effects scripts ask for (pause the clock, record a deemed assent, ...); the runner applies
        # them in the same transaction after stepping, in order
        self.effects: list[tuple[str, dict[str, Any]]] = []
        # the item being stepped: {"deadline": aware datetime | None, "deadline_pending_year": int | None,
        # "paused": bool, "dates": the working-day dates its scripts computed (value → recipe)}
        self.item: dict[str, Any] = {}
        super().__init__(environment=RestrictedEnvironment(self._helpers(), time_limit=time_limit))

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
        """The recipe of a date a script passes in (``runner.pending_dates.recipe_of``)."""
        try:
            return pending_dates.recipe_of(value, self.calendar, self.item.get("dates"))  # type: ignore[arg-type]
        except ValueError:
            raise ScriptError(
                f"{what} 必须是 ISO 日期 ({what} must be an ISO date string, got {value!r})"
            ) from None

    def _dated(self, recipe: pending_dates.Recipe) -> str:
        """The value of a working-day recipe (or its pending date), remembered with the recipe for the item:
        a change of the calendar computes it again (``runner.recalculation``)."""
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

    def _calendar_helpers(self) -> list[Callable[..., Any]]:
        """The working-day functions scripts can call: ISO values, or pending dates past the known calendar
        (``runner.pending_dates``)."""

        def workdays(n: Any) -> str:
            """Deadline n working days from now, ISO datetime (usable as a timeDate timer); a pending date
            (``pending:2027:…``) when it reaches past the known holiday calendar."""
            cal = self._need_calendar("workdays")
            days = _as_limit(n, "n")
            return self._dated(pending_dates.Recipe(cal.local_date(self.clock.now()), (days,), "end"))

        def deadline(start: Any, n: Any) -> str:
            """Deadline n working days after ``start`` (aware ISO datetime, or a date computed before), ISO
            datetime or a pending date."""
            self._need_calendar("deadline")
            days = _as_limit(n, "n")
            if not pending_dates.is_pending(start):
                _as_datetime(start, "start")
            return self._dated(self._recipe(start, "start").then(days, "end"))

        def add_workdays(day: Any, n: Any) -> str:
            """The date n working days after ``day``, ISO date (or a pending date)."""
            self._need_calendar("add_workdays")
            return self._dated(self._recipe(day, "day").then(_as_int(n, "n"), "date"))

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

        def end_of_day(day: Any) -> str:
            """The last moment of ``day`` (ISO date) in the centre's time zone, ISO datetime."""
            self._need_calendar("end_of_day")
            return self._dated(self._recipe(day, "day").then(0, "end"))

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
        """Functions scripts can call; all take and return JSON-friendly values."""

        def now() -> str:
            """Current time, ISO datetime in UTC."""
            return _iso(self.clock.now())

        def today() -> str:
            """Today's date (calendar-local if there is a calendar, else UTC), ISO."""
            current = self.clock.now()
            if self.calendar is not None:
                return self.calendar.local_date(current).isoformat()  # type: ignore[attr-defined,no-any-return]
            return current.astimezone(UTC).date().isoformat()

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
            window: Any, rule: Any = "timeout", note: Any = "", limit_at: Any = None
        ) -> dict[str, Any]:
            """Record that ``window`` is deemed to assent (视为同意) under ``rule``, against the time limit that
            applied to it (``limit_at``: ISO datetime, e.g. the review limit or the meeting time); returns the
            opinion to store."""
            if rule not in ("timeout", "absent", "refused", "no_reason"):
                raise ScriptError(
                    f"未知的默认同意规则 {rule!r} (rule must be timeout, absent, refused or no_reason)"
                )
            if limit_at is not None and not pending_dates.is_pending(limit_at):
                _as_datetime(limit_at, "limit_at")
            effect = {"window": str(window), "rule": rule, "note": str(note)[:400]}
            if limit_at is not None:
                effect["limit_at"] = str(limit_at)
            self.effects.append(("deemed_assent", effect))
            return {"window": str(window), "result": "deemed_assent", "rule": rule}

        def record_warning(level: Any, message: Any = "", window: Any = None) -> None:
            """Store a supervision warning on the item: notice (提示), yellow (黄牌), red (红牌), overdue."""
            if level not in ("notice", "yellow", "red", "overdue", "escalation"):
                raise ScriptError(
                    f"未知的预警级别 {level!r} (level must be notice, yellow, red, overdue or escalation)"
                )
            self.effects.append(
                ("warning", {"level": level, "message": str(message)[:400], "window": window})
            )

        helpers = [
            now, today, *self._calendar_helpers(), seconds_from_now, pause_clock, resume_clock,
            record_deemed_assent, record_warning,
        ]  # fmt: skip
        return {func.__name__: func for func in helpers}

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
        line = _script_line(err)
        if not line and isinstance(err, SyntaxError) and err.lineno:
            line = err.lineno
        lines = script.splitlines()
        error_line = lines[line - 1] if 0 < line <= len(lines) else ""
        return line, error_line


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

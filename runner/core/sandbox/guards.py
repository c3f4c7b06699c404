"""What a running script may touch: a small set of builtins, guarded attribute/item access, iteration and
writes (only dicts and lists change), and refusals of the obvious memory bombs (``range`` over 10 million
items, ``*``/``+`` making a sequence over 10 million items, ``**``/``<<``/``*`` making an int over 100 000 bits).
The evaluator process's memory limit is the real bound (``pool``); these give a clearer message first."""

from __future__ import annotations

import builtins
import operator
import sys
from collections.abc import Callable
from typing import Any

from RestrictedPython.Guards import (
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    raise_,
    safer_getattr,
)
from RestrictedPython.PrintCollector import PrintCollector

from runner.core.sandbox.limits import tick
from runner.exceptions import ScriptError

MAX_RANGE = 10_000_000  # items in one range()
MAX_SEQUENCE = 10_000_000  # items/characters made by one `*` or `+`
MAX_INT_BITS = 100_000  # bits of an int made by one `*`, `**` or `<<`

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
# fmt: on
# Public attributes that lead back to classes or frames: `Exception.mro()` would hand out BaseException.
_BLOCKED_ATTRIBUTES = frozenset({"mro"})


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


def make_builtins() -> dict[str, Any]:
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
        _tick_=tick,
        _add_=_add,
        _mul_=_mul,
        _pow_=_pow,
        _lshift_=_lshift,
    )
    return safe

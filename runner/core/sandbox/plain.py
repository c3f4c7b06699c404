"""Plain expressions, evaluated in this process: the gateway conditions and names most diagrams are made of.

An expression is *plain* when the sandbox's policy accepts it and it is built only of literals, names,
comparisons, ``and``/``or``/``not``, unary ``-``/``+``, ``… if … else …``, tuple and list displays and
subscripts by a literal (``decision == "approve"``, ``result in ("agree", "agree_with_conditions")``,
``'leader' if major else lead_window``). Such an expression calls nothing, builds nothing that grows with its
input and reads only task data and the plain values it was given, so it needs neither the evaluator's memory
nor its time limit; it is answered here without the round trip to an evaluator process.

An expression with other parts is answered here when the branch its evaluation takes stays plain
(``result in ("agree", "agree_with_conditions") or bool(str(reason).strip())`` when ``result`` is ``"agree"``).
Everything else goes to an evaluator as before: an expression whose branch reaches a part that is not plain,
whose evaluation fails (a name that is not there, a comparison of unlike types) or whose value is not a str,
int, float, bool or None: the evaluator gives the error, and the copy of a container, it always gave. Nothing
here has side effects, so an evaluation given up half-way is simply done again by the evaluator.
"""

from __future__ import annotations

import ast
import functools
import operator
from collections.abc import Callable, Mapping
from typing import Any

from runner.core.sandbox.policy import check_source

SCALAR_TYPES = frozenset({str, int, float, bool, type(None)})  # the values answered here; literals too
CACHE_SIZE = 4096

Lookup = Callable[[str], Any]
Node = Callable[[Lookup], Any]

_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.Not: operator.not_,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}


class NotPlain(Exception):
    """The expression, or the branch its evaluation took, needs an evaluator."""


def _name(node: ast.Name) -> Node:
    key = node.id
    return lambda lookup: lookup(key)


def _constant(node: ast.Constant) -> Node:
    if type(node.value) not in SCALAR_TYPES:
        raise NotPlain
    value = node.value
    return lambda _lookup: value


def _compare(node: ast.Compare) -> Node:
    for op, right in zip(node.ops, node.comparators, strict=True):
        # identity only against a literal: the evaluator's copies of the data keep no other identity
        if isinstance(op, ast.Is | ast.IsNot) and not isinstance(right, ast.Constant):
            raise NotPlain
    left = _build(node.left)
    steps = [
        (_COMPARE[type(op)], _build(right)) for op, right in zip(node.ops, node.comparators, strict=True)
    ]

    def compare(lookup: Lookup) -> Any:
        a = left(lookup)
        result: Any = True
        for test, operand in steps:
            b = operand(lookup)
            result = test(a, b)
            if not result:
                return result
            a = b
        return result

    return compare


def _bool_op(node: ast.BoolOp) -> Node:
    values = [_build(value) for value in node.values]
    stop_when = not isinstance(node.op, ast.And)  # ``or`` stops at the first true operand, ``and`` at a false

    def bool_op(lookup: Lookup) -> Any:
        result: Any = None
        for value in values:
            result = value(lookup)
            if bool(result) is stop_when:
                return result
        return result

    return bool_op


def _unary(node: ast.UnaryOp) -> Node:
    apply = _UNARY.get(type(node.op))
    if apply is None:
        raise NotPlain
    operand = _build(node.operand)
    if isinstance(node.op, ast.Not):
        return lambda lookup: apply(operand(lookup))

    def sign(lookup: Lookup) -> Any:
        value = operand(lookup)
        if type(value) not in (int, float):
            raise NotPlain
        return apply(value)

    return sign


def _if_exp(node: ast.IfExp) -> Node:
    test, body, orelse = _build(node.test), _build(node.body), _build(node.orelse)
    return lambda lookup: body(lookup) if test(lookup) else orelse(lookup)


def _display(node: ast.Tuple | ast.List) -> Node:
    if not isinstance(node.ctx, ast.Load):
        raise NotPlain
    items = [_build(item) for item in node.elts]
    make = tuple if isinstance(node, ast.Tuple) else list  # ``x == [..]`` compares a list with a list
    return lambda lookup: make(item(lookup) for item in items)


def _subscript(node: ast.Subscript) -> Node:
    if not isinstance(node.slice, ast.Constant) or type(node.slice.value) not in (str, int):
        raise NotPlain
    container, key = _build(node.value), node.slice.value

    def item(lookup: Lookup) -> Any:
        value = container(lookup)
        if type(value) not in (dict, list, tuple, str):
            raise NotPlain  # the evaluator's guard decides for anything else
        return value[key]

    return item


_BUILDERS: dict[type[ast.AST], Callable[[Any], Node]] = {
    ast.Name: _name,
    ast.Constant: _constant,
    ast.Compare: _compare,
    ast.BoolOp: _bool_op,
    ast.UnaryOp: _unary,
    ast.IfExp: _if_exp,
    ast.Tuple: _display,
    ast.List: _display,
    ast.Subscript: _subscript,
}


def _elsewhere(lookup: Lookup) -> Any:
    """A part that is not plain (a call, an attribute, arithmetic ...), reached by the branch taken."""
    raise NotPlain


def _build(node: ast.AST) -> Node:
    builder = _BUILDERS.get(type(node))
    if builder is None:
        return _elsewhere  # ``a == 1 or len(b) > 2`` is answered here when ``a == 1``
    try:
        return builder(node)
    except NotPlain:
        return _elsewhere


@functools.lru_cache(maxsize=CACHE_SIZE)
def compiled(expression: str) -> Node | None:
    """The plain expression as a function of a name lookup, or None when it is not plain (cached)."""
    if check_source(expression, "eval") is not None:
        return None  # the evaluator refuses it, with its message
    try:
        tree = ast.parse(expression.strip(), mode="eval")
        node = _build(tree.body)
    except (SyntaxError, RecursionError):
        return None
    return None if node is _elsewhere else node


def evaluate(expression: str, data: Mapping[str, Any], values: Mapping[str, Any]) -> tuple[bool, Any]:
    """``(True, value)`` when ``expression`` is plain and evaluates here to a scalar, over the names as an
    evaluator sees them (task data first, then the plain values); else ``(False, None)``."""
    node = compiled(expression)
    if node is None:
        return False, None

    def lookup(name: str) -> Any:
        if name in data:
            return data[name]
        if name in values:
            return values[name]
        raise NotPlain  # a helper, a builtin or a missing name: the evaluator answers or raises

    try:
        value = node(lookup)
    except Exception:  # noqa: BLE001 - NotPlain, or what the expression raised: the evaluator says it properly
        return False, None
    if type(value) not in SCALAR_TYPES:
        return False, None
    return True, value

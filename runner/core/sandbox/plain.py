"""Plain expressions, evaluated in this process: the gateway conditions and names most diagrams are made of.

An expression is *plain* when the sandbox's policy accepts it and it is built only of literals, names,
comparisons, ``and``/``or``/``not``, unary ``-``/``+``, ``… if … else …``, tuple and list displays and
subscripts by a literal (``decision == "approve"``, ``result in ("agree", "agree_with_conditions")``,
``'leader' if major else lead_window``). Such an expression calls nothing, builds nothing that grows with its
input and reads only task data and the plain values it was given, so it needs neither the evaluator's memory
nor its time limit; it is answered here without the round trip to an evaluator process.

A call is plain when it calls, by its name, one of the platform's helpers marked ``in_place`` (``today()``,
``workdays_between(today(), limit_at)``) with plain arguments that are each a str, int, float, bool or None. The
helpers run in this process whichever way they are called: through the evaluator, its call comes back here. Those
marked only read (the clock, the calendar, the item) and at most remember a date they computed for the item, as
they would the second time.

An expression with other parts is answered here when the branch its evaluation takes stays plain
(``result in ("agree", "agree_with_conditions") or bool(str(reason).strip())`` when ``result`` is ``"agree"``).
Everything else goes to an evaluator as before: an expression whose branch reaches a part that is not plain,
whose evaluation fails (a name that is not there, a comparison of unlike types, a helper that raises) or whose
value is not a str, int, float, bool or None: the evaluator gives the error, and the copy of a container, it
always gave. Nothing here has an effect a second evaluation would not have, so an evaluation given up half-way
is simply done again by the evaluator.
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
IN_PLACE = "answers_in_place"  # the attribute ``in_place`` marks a helper with


class Names:
    """The names an expression reads, as an evaluator sees them: task data first, then the plain values; and the
    helpers it may call here."""

    __slots__ = ("data", "values", "helpers")

    def __init__(
        self, data: Mapping[str, Any], values: Mapping[str, Any], helpers: Mapping[str, Callable[..., Any]]
    ) -> None:
        self.data, self.values, self.helpers = data, values, helpers

    def __call__(self, name: str) -> Any:
        if name in self.data:
            return self.data[name]
        if name in self.values:
            return self.values[name]
        raise NotPlain  # a helper, a builtin or a missing name: the evaluator answers or raises

    def helper(self, name: str) -> Callable[..., Any]:
        """The helper ``name`` calls, when it is one marked ``in_place`` and no value hides it."""
        helper = self.helpers.get(name)
        if name in self.data or name in self.values or not getattr(helper, IN_PLACE, False):
            raise NotPlain
        return helper  # type: ignore[return-value]


Node = Callable[[Names], Any]


def in_place(helper: Callable[..., Any]) -> Callable[..., Any]:
    """Mark ``helper`` as one a plain expression may call in this process: it reads only, or remembers what it
    computed as a second call would again (a date of the item with its recipe)."""
    setattr(helper, IN_PLACE, True)
    return helper


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
    return lambda names: names(key)


def _constant(node: ast.Constant) -> Node:
    if type(node.value) not in SCALAR_TYPES:
        raise NotPlain
    value = node.value
    return lambda _names: value


def _compare(node: ast.Compare) -> Node:
    for op, right in zip(node.ops, node.comparators, strict=True):
        # identity only against a literal: the evaluator's copies of the data keep no other identity
        if isinstance(op, ast.Is | ast.IsNot) and not isinstance(right, ast.Constant):
            raise NotPlain
    left = _build(node.left)
    steps = [
        (_COMPARE[type(op)], _build(right)) for op, right in zip(node.ops, node.comparators, strict=True)
    ]

    def compare(names: Names) -> Any:
        a = left(names)
        result: Any = True
        for test, operand in steps:
            b = operand(names)
            result = test(a, b)
            if not result:
                return result
            a = b
        return result

    return compare


def _bool_op(node: ast.BoolOp) -> Node:
    values = [_build(value) for value in node.values]
    stop_when = not isinstance(node.op, ast.And)  # ``or`` stops at the first true operand, ``and`` at a false

    def bool_op(names: Names) -> Any:
        result: Any = None
        for value in values:
            result = value(names)
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
        return lambda names: apply(operand(names))

    def sign(names: Names) -> Any:
        value = operand(names)
        if type(value) not in (int, float):
            raise NotPlain
        return apply(value)

    return sign


def _if_exp(node: ast.IfExp) -> Node:
    test, body, orelse = _build(node.test), _build(node.body), _build(node.orelse)
    return lambda names: body(names) if test(names) else orelse(names)


def _display(node: ast.Tuple | ast.List) -> Node:
    if not isinstance(node.ctx, ast.Load):
        raise NotPlain
    items = [_build(item) for item in node.elts]
    make = tuple if isinstance(node, ast.Tuple) else list  # ``x == [..]`` compares a list with a list
    return lambda names: make(item(names) for item in items)


def _subscript(node: ast.Subscript) -> Node:
    if not isinstance(node.slice, ast.Constant) or type(node.slice.value) not in (str, int):
        raise NotPlain
    container, key = _build(node.value), node.slice.value

    def item(names: Names) -> Any:
        value = container(names)
        if type(value) not in (dict, list, tuple, str):
            raise NotPlain  # the evaluator's guard decides for anything else
        return value[key]

    return item


def _scalar(value: Any) -> Any:
    if type(value) not in SCALAR_TYPES:
        raise NotPlain  # a container goes to the helper as the evaluator's copy
    return value


def _call(node: ast.Call) -> Node:
    if not isinstance(node.func, ast.Name) or any(isinstance(arg, ast.Starred) for arg in node.args):
        raise NotPlain
    if any(keyword.arg is None for keyword in node.keywords):
        raise NotPlain  # ``**values``
    name = node.func.id
    args = [_build(arg) for arg in node.args]
    keywords = [(keyword.arg, _build(keyword.value)) for keyword in node.keywords]

    def call(names: Names) -> Any:
        helper = names.helper(name)
        return helper(
            *(_scalar(arg(names)) for arg in args), **{key: _scalar(value(names)) for key, value in keywords}
        )

    return call


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
    ast.Call: _call,
}


def _elsewhere(names: Names) -> Any:
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
    """The plain expression as a function of its names (``Names``), or None when it is not plain (cached)."""
    if check_source(expression, "eval") is not None:
        return None  # the evaluator refuses it, with its message
    try:
        tree = ast.parse(expression.strip(), mode="eval")
        node = _build(tree.body)
    except (SyntaxError, RecursionError):
        return None
    return None if node is _elsewhere else node


def evaluate(
    expression: str,
    data: Mapping[str, Any],
    values: Mapping[str, Any],
    helpers: Mapping[str, Callable[..., Any]] | None = None,
) -> tuple[bool, Any]:
    """``(True, value)`` when ``expression`` is plain and evaluates here to a scalar, over the names as an
    evaluator sees them (task data first, then the plain values; ``helpers``: those it may call, by name); else
    ``(False, None)``."""
    node = compiled(expression)
    if node is None:
        return False, None
    try:
        value = node(Names(data, values, helpers or {}))
    except Exception:  # noqa: BLE001 - NotPlain, or what the expression raised: the evaluator says it properly
        return False, None
    if type(value) not in SCALAR_TYPES:
        return False, None
    return True, value

"""Compiling diagram scripts and expressions: RestrictedPython plus a stricter policy, with messages that say
what was refused and on which line. Compiled code is cached (gateway conditions run thousands of times)."""

from __future__ import annotations

import ast
import functools
import re
import textwrap
from types import CodeType
from typing import Any, NamedTuple

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.transformer import IOPERATOR_TO_STR, RestrictingNodeTransformer

from runner.bilingual import joined
from runner.exceptions import ScriptError

SCRIPT_FILENAME = "<diagram script>"
COMPILE_CACHE_SIZE = 4096

# Calls refused when compiling, with a plain message (they are not builtins here anyway).
# fmt: off
_FORBIDDEN_CALLS = frozenset({
    "open", "compile", "getattr", "setattr", "delattr", "hasattr", "globals", "locals", "vars", "type",
    "dir", "input", "breakpoint", "help", "exit", "quit", "memoryview", "object", "super",
    "classmethod", "staticmethod", "property", "iter", "next",
})
# fmt: on
FORBIDDEN_NAMES = _FORBIDDEN_CALLS | {"eval", "exec"}
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


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's policy, stricter: no import/class/dangerous calls; guarded loops and operators."""

    def error(self, node: ast.AST, info: str) -> None:
        """Record a refusal, leading with Chinese for RestrictedPython's English messages."""
        if info.isascii():
            lead = next((zh for needle, zh in _TRANSLATIONS if needle in info), "不允许")
            info = f"{lead} ({info.rstrip('.')})"
        super().error(node, info)

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> ast.AST:
        self.error(node, "不允许 import (import is not allowed)")
        return node

    visit_ImportFrom = visit_Import

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        self.error(node, "不允许定义类 (class definitions are not allowed)")
        return node

    def visit_Yield(self, node: ast.Yield | ast.YieldFrom) -> ast.AST:
        # A suspended generator left behind could run a `finally:` later, outside the time limit.
        self.error(node, "不允许 yield (generator functions are not allowed)")
        return node

    visit_YieldFrom = visit_Yield

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


def line_label(source: str, line: int | None) -> str:
    """``第 n 行 (line n)`` plus the offending source line, for messages."""
    if not line:
        return ""
    lines = source.splitlines()
    text = lines[line - 1].strip() if 0 < line <= len(lines) else ""
    if len(text) > 80:
        text = text[:77] + "..."
    return f"第 {line} 行 (line {line})" + (f" `{text}`" if text else "")


def _refusal(source: str, line: int | None, what: str) -> _Compiled:
    """``what`` ("中文 (English)") led by the line it refers to, still one "中文 (English)"."""
    if not line:
        return _Compiled(None, what, line)
    lines = source.splitlines()
    text = lines[line - 1].strip() if 0 < line <= len(lines) else ""
    if len(text) > 80:
        text = text[:77] + "..."
    quoted = f" `{text}`" if text else ""
    return _Compiled(None, joined(f"第 {line} 行{quoted}", f"line {line}{quoted}", what), line)


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


def compiled(mode: str, source: str) -> CodeType:
    """The code object, or a ScriptError saying what was refused and where."""
    result = _compile(mode, source)
    if result.code is None:
        raise ScriptError(result.error or "script refused", line=result.line)
    return result.code

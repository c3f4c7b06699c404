"""Declarative task forms: one JSON schema per form key (``forms/schemas/<formKey>.json``).

A schema names the form's fields (type, label, required, choices, limits, help), the read-only
context it shows from the task data (``show``), cross-field ``rules`` and ``derive``d values. This
module loads and checks the schemas (a wrong one is reported with its file and field), finds the one in
force for a form key (``get_schema``: the console's published revision, else the file), builds one WTForms
class per schema (cached) for the workspace page and shows a task's context. Checking a submission and
turning it into task data is ``forms.submission`` (no Flask, no WTForms), shared by the workspace's
``TaskForm.validate`` and the JSON API, so the runner only ever receives data a form accepted.

Format (see ``forms/schemas/README.md`` for the full reference)::

    {"title": "相关窗口审查意见", "title_en": "...", "help": "...",
     "show": [{"name": "limit_at", "label": "审查时限", "format": "datetime"}],
     "fields": [{"name": "result", "type": "choice", "label": "审查意见", "required": false,
                 "choices": [{"value": "agree", "label": "同意"}]}],
     "rules": [{"when": {"field": "result", "equals": "disagree"}, "require": ["reason"],
                "message": "选择“不同意”时必须说明理由"}],
     "derive": [{"name": "approved", "field": "decision", "op": "equals", "value": "approve"}]}
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from flask import current_app, has_app_context
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)

from forms.language import pick
from forms.submission import (
    OPINION_PARTS,
    FieldInvalid,
    FormContext,
    build_task_data,
    check_submission,
    choice_values,
    compare,
    input_for,
    items_for,
)
from runner.core.conventions import GENERIC_FORM

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from runner import Services

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"

FIELD_TYPES = (
    "text",
    "textarea",
    "integer",
    "number",
    "boolean",
    "choice",
    "multichoice",
    "date",
    "datetime",
    "list",
    "checklist",
    "file",
    "opinions",
)
SHOW_FORMATS = ("text", "list", "date", "datetime", "bool", "window", "windows", "opinions", "json", "data")
# the show entry of format "data" names no path: it shows every value of the task data (the generic task form)
ALL_DATA = "*"
CONDITION_OPS = ("equals", "not_equals", "in", "empty", "not_empty")
DERIVE_OPS = CONDITION_OPS
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
PATH_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
# names a form field cannot take (FlaskForm attributes and our own hidden fields)
RESERVED = {"submit_token", "csrf_token", "schema", "ctx", "values", "specs"}

COMMON_KEYS = {"name", "type", "label", "label_en", "help", "help_en", "required", "only_for", "placeholder"}
TYPE_KEYS: dict[str, set[str]] = {
    "text": {"min", "max", "default", "prefill", "pattern", "pattern_message"},
    "textarea": {"min", "max", "default", "prefill", "rows"},
    "integer": {"min", "max", "default", "prefill"},
    "number": {"min", "max", "default", "prefill"},
    "boolean": {"widget", "default", "prefill"},
    "choice": {"choices", "choices_from", "widget", "default", "prefill"},
    "multichoice": {"choices", "choices_from", "min", "max", "default", "prefill"},
    "date": {"min", "max", "default", "prefill"},
    "datetime": {"min", "max", "default", "prefill"},
    "list": {"min", "max", "default", "prefill", "rows"},
    "checklist": {"items", "items_from", "missing", "complete", "excused_from", "prefill"},
    "file": {"max"},
    "opinions": {"choices", "windows_from", "present_field"},
}


class SchemaError(ValueError):
    """A schema file is wrong; the message names the file and, where it can, the field."""

    def __init__(self, file: str, message: str, field_name: str | None = None) -> None:
        where = f"{file}: 字段 {field_name}: " if field_name else f"{file}: "
        super().__init__(where + message)
        self.file = file
        self.field_name = field_name


class UnknownForm(LookupError):
    """No schema for a form key."""


# ---- the schema model --------------------------------------------------------------------------


class _Bilingual:
    """A label in Chinese with an optional English one; ``text`` is the one for the page's language."""

    label: str
    label_en: str

    @property
    def text(self) -> str:
        return pick(self.label, self.label_en)


@dataclass(frozen=True)
class Choice(_Bilingual):
    value: str
    label: str
    label_en: str = ""


@dataclass(frozen=True)
class Condition:
    """``{"field": name, "equals": v}`` (a submitted value) or ``{"data": name, ...}`` (task data)."""

    source: str  # field | data
    name: str
    op: str
    value: Any = None

    def holds(self, values: Mapping[str, Any], data: Mapping[str, Any]) -> bool:
        got = values.get(self.name) if self.source == "field" else data.get(self.name)
        return compare(self.op, got, self.value)


@dataclass(frozen=True)
class FieldSpec(_Bilingual):
    name: str
    type: str
    label: str
    label_en: str = ""
    help: str = ""
    help_en: str = ""
    required: bool = False
    only_for: tuple[str, ...] = ()
    placeholder: str = ""
    choices: tuple[Choice, ...] = ()
    choices_from: str | None = None  # "windows" or "data:<key>"
    widget: str | None = None
    min: Any = None
    max: Any = None
    default: Any = None
    prefill: str | None = None
    pattern: str | None = None
    pattern_message: str = ""
    rows: int | None = None
    items: tuple[str, ...] = ()
    items_from: str | None = None
    missing: str | None = None
    complete: str | None = None
    excused_from: tuple[str, ...] = ()  # data lists of items whose absence is not missing (optional, 容缺)
    windows_from: str | None = None
    present_field: str | None = None

    @property
    def help_text(self) -> str:
        return pick(self.help, self.help_en)

    def applies_to(self, definition_key: str | None) -> bool:
        return not self.only_for or definition_key in self.only_for

    @property
    def is_checkbox(self) -> bool:
        return self.type == "boolean" and self.widget == "checkbox"


@dataclass(frozen=True)
class ShowSpec(_Bilingual):
    name: str  # a dotted path into the task data
    label: str
    label_en: str = ""
    format: str = "text"


@dataclass(frozen=True)
class Rule:
    when: Condition
    require: tuple[str, ...] = ()
    forbid: tuple[str, ...] = ()
    message: str = ""
    message_en: str = ""


@dataclass(frozen=True)
class Derive:
    name: str
    field: str
    op: str
    value: Any = None


@dataclass(frozen=True)
class FormSchema:
    key: str
    title: str
    title_en: str = ""
    help: str = ""
    help_en: str = ""
    fields: tuple[FieldSpec, ...] = ()
    show: tuple[ShowSpec, ...] = ()
    rules: tuple[Rule, ...] = ()
    derive: tuple[Derive, ...] = ()
    path: str = ""

    @property
    def title_text(self) -> str:
        return pick(self.title, self.title_en)

    @property
    def help_text(self) -> str:
        return pick(self.help, self.help_en)

    def field(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def fields_for(self, definition_key: str | None) -> list[FieldSpec]:
        return [f for f in self.fields if f.applies_to(definition_key)]

    @property
    def has_files(self) -> bool:
        return any(f.type == "file" for f in self.fields)

    def output_names(self) -> set[str]:
        """Every task-data key a submission of this form may set."""
        names = {f.name for f in self.fields}
        names |= {n for f in self.fields for n in (f.missing, f.complete) if n}
        return names | {d.name for d in self.derive}


# ---- loading and checking ----------------------------------------------------------------------


def _text(raw: dict[str, Any], key: str, file: str, field_name: str | None, *, required: bool = False) -> str:
    value = raw.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise SchemaError(file, f"“{key}” 必须是文字 (must be a string)", field_name)
    if required and not value.strip():
        raise SchemaError(file, f"缺少 “{key}” (missing {key!r})", field_name)
    return value


def _choices(raw: Any, file: str, field_name: str) -> tuple[Choice, ...]:
    if not isinstance(raw, list) or not raw:
        raise SchemaError(file, "“choices” 必须是非空列表 (choices must be a non-empty list)", field_name)
    out: list[Choice] = []
    for item in raw:
        if not isinstance(item, dict) or set(item) - {"value", "label", "label_en"}:
            raise SchemaError(file, "每个选项应为 {value, label, label_en} (bad choice)", field_name)
        value = item.get("value")
        if not isinstance(value, str) or not value:
            raise SchemaError(file, "选项的 value 必须是非空文字 (choice value must be a string)", field_name)
        label = item.get("label")
        if not isinstance(label, str) or not label:
            raise SchemaError(file, f"选项 {value} 缺少中文 label (choice needs a label)", field_name)
        out.append(Choice(value, label, str(item.get("label_en") or "")))
    values = [c.value for c in out]
    if len(set(values)) != len(values):
        raise SchemaError(file, "选项 value 重复 (duplicate choice values)", field_name)
    return tuple(out)


def _condition(raw: Any, file: str, where: str) -> Condition:
    if not isinstance(raw, dict):
        raise SchemaError(file, f"{where}: “when” 必须是对象 (when must be an object)")
    sources = [k for k in ("field", "data") if k in raw]
    ops = [k for k in CONDITION_OPS if k in raw]
    extra = set(raw) - {"field", "data", *CONDITION_OPS}
    if len(sources) != 1 or len(ops) != 1 or extra:
        raise SchemaError(
            file,
            f"{where}: 条件应为 {{field|data: 名称, equals|not_equals|in|empty|not_empty: 值}} (bad condition)",
        )
    name = raw[sources[0]]
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise SchemaError(file, f"{where}: 条件中的名称无效 (bad name {name!r})")
    value = raw[ops[0]]
    if ops[0] == "in" and not isinstance(value, list):
        raise SchemaError(file, f"{where}: “in” 需要列表 (in needs a list)")
    return Condition(sources[0], name, ops[0], value)


def _bound(spec_type: str, value: Any, file: str, name: str, key: str) -> Any:
    if value is None:
        return None
    if spec_type in ("date", "datetime"):
        if value in ("today", "now"):
            return value
        try:
            (date.fromisoformat if spec_type == "date" else datetime.fromisoformat)(str(value))
        except ValueError:
            raise SchemaError(file, f"“{key}” 应为 ISO 日期、today 或 now (bad {key})", name) from None
        return value
    if spec_type == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SchemaError(file, f"“{key}” 必须是数字 ({key} must be a number)", name)
        return value
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SchemaError(file, f"“{key}” 必须是非负整数 ({key} must be a whole number)", name)
    return value


def _choice_keys(raw: dict[str, Any], typ: str, file: str, name: str) -> dict[str, Any]:
    """The keys of a choice, multichoice or opinions field: its choices, or where they come from."""
    kwargs: dict[str, Any] = {}
    if typ in ("choice", "multichoice"):
        if ("choices" in raw) == ("choices_from" in raw):
            raise SchemaError(file, "需要 “choices” 或 “choices_from” 之一 (choices or choices_from)", name)
        if "choices" in raw:
            kwargs["choices"] = _choices(raw["choices"], file, name)
        else:
            source = raw["choices_from"]
            if not isinstance(source, str) or not (
                source == "windows" or (source.startswith("data:") and NAME_RE.match(source[5:]))
            ):
                raise SchemaError(file, "“choices_from” 应为 windows 或 data:<名称> (bad choices_from)", name)
            kwargs["choices_from"] = source
    if typ == "opinions":
        kwargs["choices"] = _choices(raw.get("choices"), file, name)
        source = raw.get("windows_from")
        if not isinstance(source, str) or not NAME_RE.match(source):
            raise SchemaError(file, "“windows_from” 应为任务数据中窗口列表的名称 (windows_from)", name)
        kwargs["windows_from"] = source
        if raw.get("present_field") is not None:
            kwargs["present_field"] = _text(raw, "present_field", file, name)
    return kwargs


def _checklist_items(raw: dict[str, Any], file: str, name: str) -> tuple[str, ...]:
    """A checklist's fixed items (it may take them from the task data instead: ``items_from``)."""
    items = raw.get("items", [])
    if not isinstance(items, list) or not all(
        isinstance(i, dict) and isinstance(i.get("label"), str) and i["label"].strip() and set(i) <= {"label"}
        for i in items
    ):
        raise SchemaError(file, '“items” 应为 [{"label": 材料名称}] 列表 (items)', name)
    if not items and "items_from" not in raw:
        raise SchemaError(file, "清单需要 “items” 或 “items_from” (checklist needs items)", name)
    return tuple(i["label"].strip() for i in items)


def _text_keys(raw: dict[str, Any], file: str, name: str) -> dict[str, Any]:
    """A text field's ``pattern`` (with its message) and a textarea's ``rows``."""
    kwargs: dict[str, Any] = {}
    if "pattern" in raw:
        try:
            re.compile(str(raw["pattern"]))
        except re.error as exc:
            raise SchemaError(file, f"“pattern” 不是有效的正则表达式: {exc} (bad pattern)", name) from None
        kwargs["pattern"] = str(raw["pattern"])
        kwargs["pattern_message"] = _text(raw, "pattern_message", file, name)
    if "rows" in raw:
        if isinstance(raw["rows"], bool) or not isinstance(raw["rows"], int) or not 1 <= raw["rows"] <= 40:
            raise SchemaError(file, "“rows” 应为 1–40 的整数 (rows)", name)
        kwargs["rows"] = raw["rows"]
    return kwargs


def _field(raw: Any, file: str, index: int) -> FieldSpec:
    if not isinstance(raw, dict):
        raise SchemaError(file, f"fields[{index}] 必须是对象 (must be an object)")
    name = raw.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise SchemaError(
            file, f"fields[{index}]: 名称 {name!r} 无效，只能用小写字母、数字和下划线 (bad name)"
        )
    if name in RESERVED or hasattr(FlaskForm, name):
        raise SchemaError(file, "此名称为保留字 (reserved name)", name)
    typ = raw.get("type")
    if typ not in FIELD_TYPES:
        raise SchemaError(file, f"未知类型 {typ!r}，可用: {', '.join(FIELD_TYPES)} (unknown type)", name)
    unknown = set(raw) - COMMON_KEYS - TYPE_KEYS[typ]
    if unknown:
        raise SchemaError(file, f"类型 {typ} 不认识的属性: {', '.join(sorted(unknown))} (unknown keys)", name)
    required = raw.get("required", False)
    if not isinstance(required, bool):
        raise SchemaError(file, "“required” 必须是 true 或 false (required must be a boolean)", name)
    only_for = raw.get("only_for", [])
    if not isinstance(only_for, list) or not all(isinstance(k, str) and k for k in only_for):
        raise SchemaError(file, "“only_for” 必须是流程标识列表 (only_for must list process keys)", name)
    kwargs: dict[str, Any] = {
        "name": name,
        "type": typ,
        "label": _text(raw, "label", file, name, required=True),
        "label_en": _text(raw, "label_en", file, name),
        "help": _text(raw, "help", file, name),
        "help_en": _text(raw, "help_en", file, name),
        "placeholder": _text(raw, "placeholder", file, name),
        "required": required,
        "only_for": tuple(only_for),
    }
    kwargs.update(_choice_keys(raw, typ, file, name))
    if "widget" in raw:
        allowed = {"boolean": ("radio", "checkbox"), "choice": ("radio", "select")}[typ]
        if raw["widget"] not in allowed:
            raise SchemaError(file, f"“widget” 只能是 {' / '.join(allowed)} (bad widget)", name)
        kwargs["widget"] = raw["widget"]
    for key in ("min", "max"):
        if key in raw:
            kwargs[key] = _bound(typ, raw[key], file, name, key)
    if kwargs.get("min") is not None and kwargs.get("max") is not None:
        lo, hi = kwargs["min"], kwargs["max"]
        if not isinstance(lo, str) and not isinstance(hi, str) and lo > hi:
            raise SchemaError(file, "“min” 大于 “max” (min > max)", name)
    if "default" in raw:
        kwargs["default"] = raw["default"]
    for key in ("prefill", "items_from", "missing", "complete"):
        if key in raw:
            value = raw[key]
            if not isinstance(value, str) or not NAME_RE.match(value):
                raise SchemaError(file, f"“{key}” 必须是有效的数据名称 (bad {key})", name)
            kwargs[key] = value
    if "excused_from" in raw:
        kwargs["excused_from"] = _data_names(raw["excused_from"], file, name)
    kwargs.update(_text_keys(raw, file, name))
    if typ == "checklist":
        kwargs["items"] = _checklist_items(raw, file, name)
    return FieldSpec(**kwargs)


def _data_names(raw: Any, file: str, name: str) -> tuple[str, ...]:
    """``excused_from``: a list of data names (the lists of items a checklist does not count as missing)."""
    if not isinstance(raw, list) or not raw or not all(isinstance(v, str) and NAME_RE.match(v) for v in raw):
        raise SchemaError(file, "“excused_from” 必须是数据名称的列表 (bad excused_from)", name)
    return tuple(raw)


def _show(raw: Any, file: str, index: int) -> ShowSpec:
    if not isinstance(raw, dict) or set(raw) - {"name", "label", "label_en", "format"}:
        raise SchemaError(file, f"show[{index}] 应为 {{name, label, label_en, format}} (bad show entry)")
    name = raw.get("name")
    fmt = raw.get("format", "text")
    if fmt not in SHOW_FORMATS:
        raise SchemaError(file, f"show[{index}]: 未知格式 {fmt!r}，可用: {', '.join(SHOW_FORMATS)} (format)")
    if (fmt == "data") != (name == ALL_DATA):
        raise SchemaError(
            file, f'show[{index}]: 格式 data 与名称 "*" 须同时使用 (format data shows "*", all data)'
        )
    if not isinstance(name, str) or not (name == ALL_DATA or PATH_RE.match(name)):
        raise SchemaError(file, f"show[{index}]: 名称 {name!r} 无效 (bad path)")
    return ShowSpec(
        name, _text(raw, "label", file, name, required=True), _text(raw, "label_en", file, name), fmt
    )


def _outputs(fields: tuple[FieldSpec, ...], file: str) -> set[str]:
    """The names a submission writes (fields and their derived lists), checking the fields against each other."""
    outputs = {f.name for f in fields}
    for f in fields:
        for extra in (f.missing, f.complete):
            if extra is None:
                continue
            if extra in outputs:
                raise SchemaError(file, f"派生名称 {extra} 与其他字段重复 (duplicate output)", f.name)
            outputs.add(extra)
        if f.present_field is not None:
            present = next((p for p in fields if p.name == f.present_field), None)
            if present is None or present.type != "multichoice":
                raise SchemaError(file, "“present_field” 必须是同一表单的多选字段 (present_field)", f.name)
        if f.type == "boolean" and f.default not in (None, True, False):
            raise SchemaError(file, "布尔字段的 default 只能是 true/false (default)", f.name)
        if (
            f.type == "choice"
            and f.choices
            and f.default is not None
            and f.default not in {c.value for c in f.choices}
        ):
            raise SchemaError(file, f"default {f.default!r} 不在选项中 (default not a choice)", f.name)
    return outputs


def _rules(rules_raw: Any, file: str, names: list[str]) -> list[Rule]:
    """The schema's cross-field rules (a condition, then fields required or forbidden)."""
    rules: list[Rule] = []
    if not isinstance(rules_raw, list):
        raise SchemaError(file, "“rules” 必须是列表 (rules must be a list)")
    for i, r in enumerate(rules_raw):
        where = f"rules[{i}]"
        if not isinstance(r, dict) or set(r) - {"when", "require", "forbid", "message", "message_en"}:
            raise SchemaError(file, f"{where}: 应为 {{when, require, forbid, message}} (bad rule)")
        cond = _condition(r.get("when"), file, where)
        if cond.source == "field" and cond.name not in names:
            raise SchemaError(file, f"{where}: 条件引用了不存在的字段 (unknown field)", cond.name)
        require = r.get("require", [])
        forbid = r.get("forbid", [])
        if not isinstance(require, list) or not isinstance(forbid, list) or not (require or forbid):
            raise SchemaError(file, f"{where}: 需要 “require” 或 “forbid” 字段列表 (require/forbid)")
        for target in (*require, *forbid):
            if target not in names:
                raise SchemaError(file, f"{where}: 引用了不存在的字段 (unknown field)", str(target))
        rules.append(
            Rule(
                cond,
                tuple(require),
                tuple(forbid),
                _text(r, "message", file, None),
                _text(r, "message_en", file, None),
            )
        )
    return rules


def _derive(derive_raw: Any, file: str, outputs: set[str]) -> list[Derive]:
    """The schema's derived values (a name computed from a field with an operation)."""
    derive: list[Derive] = []
    if not isinstance(derive_raw, list):
        raise SchemaError(file, "“derive” 必须是列表 (derive must be a list)")
    for i, d in enumerate(derive_raw):
        where = f"derive[{i}]"
        if not isinstance(d, dict) or set(d) - {"name", "field", "op", "value"}:
            raise SchemaError(file, f"{where}: 应为 {{name, field, op, value}} (bad derive)")
        name, source, op = d.get("name"), d.get("field"), d.get("op")
        if not isinstance(name, str) or not NAME_RE.match(name) or name in outputs:
            raise SchemaError(file, f"{where}: 名称 {name!r} 无效或与字段重复 (bad name)")
        if source not in outputs:
            raise SchemaError(file, f"{where}: 引用了不存在的字段 {source!r} (unknown field)")
        if op not in DERIVE_OPS:
            raise SchemaError(file, f"{where}: 未知运算 {op!r} (unknown op)")
        outputs.add(name)
        derive.append(Derive(name, source, op, d.get("value")))
    return derive


def parse_schema(raw: Any, file: str, key: str) -> FormSchema:
    """Check a decoded schema document and build its model; ``SchemaError`` names what is wrong."""
    if not isinstance(raw, dict):
        raise SchemaError(file, "顶层必须是 JSON 对象 (top level must be an object)")
    unknown = set(raw) - {
        "form_key",
        "title",
        "title_en",
        "help",
        "help_en",
        "fields",
        "show",
        "rules",
        "derive",
    }
    if unknown:
        raise SchemaError(file, f"不认识的属性: {', '.join(sorted(unknown))} (unknown keys)")
    if "form_key" in raw and raw["form_key"] != key:
        raise SchemaError(file, f"form_key {raw['form_key']!r} 与文件名 {key!r} 不一致 (form_key mismatch)")
    fields_raw = raw.get("fields", [])
    if not isinstance(fields_raw, list):
        raise SchemaError(file, "“fields” 必须是列表 (fields must be a list)")
    fields = tuple(_field(f, file, i) for i, f in enumerate(fields_raw))
    names = [f.name for f in fields]
    for name in names:
        if names.count(name) > 1:
            raise SchemaError(file, "字段名重复 (duplicate field name)", name)
    show_raw = raw.get("show", [])
    if not isinstance(show_raw, list):
        raise SchemaError(file, "“show” 必须是列表 (show must be a list)")
    show = tuple(_show(s, file, i) for i, s in enumerate(show_raw))

    outputs = _outputs(fields, file)

    rules = _rules(raw.get("rules", []), file, names)

    derive = _derive(raw.get("derive", []), file, outputs)

    return FormSchema(
        key=key,
        title=_text(raw, "title", file, None, required=True),
        title_en=_text(raw, "title_en", file, None),
        help=_text(raw, "help", file, None),
        help_en=_text(raw, "help_en", file, None),
        fields=fields,
        show=show,
        rules=tuple(rules),
        derive=tuple(derive),
        path=file,
    )


def load_schema(path: Path) -> FormSchema:
    """Read and check one schema file."""
    file = path.name
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SchemaError(file, f"不是合法的 JSON：第 {exc.lineno} 行第 {exc.colno} 列 {exc.msg}") from None
    except OSError as exc:
        raise SchemaError(file, f"无法读取 ({exc})") from None
    return parse_schema(raw, file, path.stem)


@cache
def load_all(directory: Path = SCHEMA_DIR) -> dict[str, FormSchema]:
    """Every schema of ``directory`` by form key (loaded once per process; errors name the file)."""
    return {p.stem: load_schema(p) for p in sorted(directory.glob("*.json"))}


def parse_schema_text(form_key: str, body: str, file: str | None = None) -> FormSchema:
    """Check a schema given as JSON text (the console's editor); ``SchemaError`` says what is wrong."""
    file = file or f"{form_key}.json"
    try:
        raw = json.loads(body)
    except json.JSONDecodeError as exc:
        raise SchemaError(file, f"不是合法的 JSON：第 {exc.lineno} 行第 {exc.colno} 列 {exc.msg}") from None
    return parse_schema(raw, file, form_key)


@lru_cache(maxsize=256)
def _published_schema(form_key: str, revision: int, body: str) -> FormSchema:
    return parse_schema_text(form_key, body, f"{form_key}.json（控制台发布第 {revision} 版）")


def published_schema(form_key: str, session: Session | None = None) -> FormSchema | None:
    """The schema published in the console for ``form_key`` (it overrides the file), if any; read in
    ``session`` when given (where a read of the task may have brought it: ``runner.published_form_schema``),
    else in a transaction of its own. Parsed once per process for each revision.

    Outside a request of the web app (and without a session) there is none. A published schema that no
    longer loads (it passed the check when published) is logged and the file applies.
    """
    import runner

    if session is not None:
        found = runner.published_form_schema(session, form_key)
    elif not has_app_context() or "banjian" not in current_app.extensions:
        return None
    else:
        with current_app.extensions["banjian"].reading() as s:
            found = runner.published_form_schema(s, form_key)
    if found is None:
        return None
    try:
        return _published_schema(form_key, *found)
    except SchemaError:
        logging.getLogger(__name__).exception("published schema %s no longer loads; using the file", form_key)
        return None


def get_schema(form_key: str | None, session: Session | None = None) -> FormSchema:
    """The schema of ``form_key``: the one published in the console, else ``forms/schemas/<key>.json``
    (``session``: where to look for the published one; see ``published_schema``). A task without a form key
    (one projected before the generic task form existed) has the generic task form."""
    form_key = form_key or GENERIC_FORM
    published = published_schema(form_key, session)
    if published is not None:
        return published
    schemas = load_all()
    if form_key not in schemas:
        raise UnknownForm(f"表单 {form_key!r} 未定义 (no schema for form key {form_key!r})")
    return schemas[form_key]


def undefined_form_message(task: Mapping[str, Any]) -> tuple[str, str]:
    """Chinese and English: the task's form key names no schema (a fault of the deployment)."""
    return (
        f"任务“{task.get('name')}”的表单 {task.get('form_key')!r} 未定义，请联系管理员。",
        f"The form {task.get('form_key')!r} of this task is not defined; contact the administrator.",
    )


def load_task_form(session: Session, services: Services, task_id: str) -> tuple[dict[str, Any], FormContext]:
    """An open task as its form sees it, read in ``session``: ``runner.items.taskdata.task_context`` (task,
    instance, the task's data) and the ``FormContext`` a submission is checked in (that data, the window
    names, the services' clock and timezone, the process). Raises ``NoSuchTask`` / ``TaskNotReady``."""
    import runner
    from runner.items.taskdata import task_context

    loaded = task_context(session, task_id)
    ctx = FormContext(
        data=loaded["data"],
        windows={w.code: w.name for w in runner.list_windows(session)},
        now=services.now(),
        timezone=services.settings.timezone,
        definition_key=loaded["task"].get("definition_key"),
    )
    return loaded, ctx


# ---- choices ----------------------------------------------------------------------------------


def choices_for(spec: FieldSpec, ctx: FormContext) -> list[tuple[str, str]]:
    """``(value, label)`` pairs of a choice-like field in this request (the values: ``choice_values``)."""
    if spec.type == "boolean":
        return [("true", pick("是", "Yes")), ("false", pick("否", "No"))]
    if spec.type == "checklist":
        return [(i, i) for i in choice_values(spec, ctx)]
    labels = {c.value: c.text for c in spec.choices}
    return [(v, labels.get(v) or ctx.window_name(v)) for v in choice_values(spec, ctx)]


# ---- WTForms -----------------------------------------------------------------------------------


class OpinionsField(Field):
    """Per-window opinions: inputs ``<name>-<window>-result|reason|conditions``; data is a dict."""

    PARTS = OPINION_PARTS

    def process(self, formdata: Any, data: Any = None, extra_filters: Any = None) -> None:  # noqa: ARG002
        self.process_errors = []
        self.raw_data = []
        self.data: dict[str, dict[str, str]] = {}
        if formdata is not None:
            prefix = f"{self.name}-"
            for key in formdata:
                if not key.startswith(prefix):
                    continue
                window, _, part = key[len(prefix) :].rpartition("-")
                if window and part in self.PARTS:
                    self.data.setdefault(window, {})[part] = str(formdata.get(key) or "").strip()
        elif isinstance(data, dict):
            for window, opinion in data.items():
                if isinstance(opinion, dict):
                    self.data[str(window)] = {p: str(opinion.get(p) or "") for p in self.PARTS}

    def _value(self) -> str:
        return ""


def _wtforms_field(spec: FieldSpec) -> Field:
    label = spec.label
    if spec.type in ("textarea", "list"):
        return TextAreaField(label)
    if spec.type == "boolean":
        if spec.is_checkbox:
            return BooleanField(label)
        return SelectField(label, choices=[], validate_choice=False)
    if spec.type == "choice":
        return SelectField(label, choices=[], validate_choice=False)
    if spec.type in ("multichoice", "checklist"):
        return SelectMultipleField(label, choices=[], validate_choice=False)
    if spec.type == "file":
        return MultipleFileField(label)
    if spec.type == "opinions":
        return OpinionsField(label)
    return StringField(label)  # text, integer, number, date, datetime: parsed by ``parse_value``


class TaskForm(FlaskForm):
    """Base of the generated form classes; ``ctx`` must be set before ``validate``."""

    submit_token = HiddenField()
    schema: ClassVar[FormSchema]

    def __init__(self, *args: Any, ctx: FormContext | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ctx = ctx or FormContext()
        self.specs = self.schema.fields_for(self.ctx.definition_key)
        for spec in self.schema.fields:
            if not spec.applies_to(self.ctx.definition_key):
                del self[spec.name]
        self.values: dict[str, Any] = {}

    def choices(self, spec: FieldSpec) -> list[tuple[str, str]]:
        return choices_for(spec, self.ctx)

    def opinion_windows(self, spec: FieldSpec) -> list[tuple[str, str]]:
        """``(code, name)`` of the windows an opinions grid asks about."""
        return [(w, self.ctx.window_name(w)) for w in items_for(spec, self.ctx)]

    def validate(self, extra_validators: Any = None) -> bool:
        """CSRF, then ``check_submission`` (each field's type and limits, the cross-field rules) on the
        posted values; the problems sit on the fields in the page's language."""
        ok = super().validate(extra_validators)
        raw = {spec.name: self[spec.name].data for spec in self.specs}
        self.values, problems = check_submission(
            self.schema, self.specs, raw, self.ctx, check_file=_check_upload
        )
        for name, problem in problems.items():
            self[name].errors = [*self[name].errors, pick(problem.zh, problem.en)]
        self._errors = None  # WTForms caches ``errors``; rebuild it with ours
        return ok and not problems

    def task_data(self, files: Mapping[str, list[dict[str, Any]]] | None = None) -> dict[str, Any]:
        """The validated submission as task data (call after a successful ``validate``).

        File fields take the stored ``[{"id", "filename"}]`` lists from ``files``.
        """
        return build_task_data(self.schema, self.specs, self.values, self.ctx, files or {})


def _check_upload(upload: Any) -> None:
    """An upload's type, size and content (``forms.attachments``), as a field problem."""
    from forms.attachments import UploadRejected, check_upload

    try:
        check_upload(upload)
    except UploadRejected as exc:
        raise FieldInvalid(exc.zh, exc.en) from None


_CLASSES: dict[str, type[TaskForm]] = {}


def form_class(schema: FormSchema) -> type[TaskForm]:
    """The WTForms class of a schema (built once per schema object)."""
    cached = _CLASSES.get(schema.key)
    if cached is not None and cached.schema is schema:
        return cached
    attrs: dict[str, Any] = {spec.name: _wtforms_field(spec) for spec in schema.fields}
    attrs["schema"] = schema
    cls = type(f"TaskForm_{schema.key}", (TaskForm,), attrs)
    _CLASSES[schema.key] = cls
    return cls


def make_form(schema: FormSchema, ctx: FormContext, *, submitted: bool, token: str = "") -> TaskForm:
    """A form bound to the request's submission (``submitted``) or filled with initial values."""
    cls = form_class(schema)
    if submitted:
        return cls(ctx=ctx)
    initial = initial_values(schema, ctx)
    initial["submit_token"] = token
    return cls(formdata=None, data=initial, ctx=ctx)


# ---- initial values and display ----------------------------------------------------------------


def initial_values(schema: FormSchema, ctx: FormContext) -> dict[str, Any]:
    """First values of the fields: ``prefill`` from the task data, else ``default``."""
    out: dict[str, Any] = {}
    for spec in schema.fields_for(ctx.definition_key):
        if spec.type == "file":
            continue
        value = ctx.data.get(spec.prefill) if spec.prefill else None
        if value is None or value == "":
            value = spec.default
        raw = input_for(spec, value, ctx)
        if raw is not None:
            out[spec.name] = raw
    return out


def lookup(data: Mapping[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if isinstance(value, Mapping):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


OPINION_LABELS = {
    "agree": ("同意", "Agree"),
    "agree_with_conditions": ("附条件同意", "Agree with conditions"),
    "disagree": ("不同意", "Disagree"),
    "refuse_participation": ("拒绝参与联合办理", "Refuses to take part"),
    "deemed_assent": ("视为同意（默认议定）", "Deemed to assent"),
}
DEEMED_RULES = {
    "timeout": ("超时未答复", "no answer in time"),
    "absent": ("缺席联审会议", "absent from the meeting"),
    "refused": ("拒绝参与或未发表意见", "refused or gave no opinion"),
    "no_reason": ("不同意但未说明理由", "disagreed without a reason"),
}


def format_moment(value: Any, ctx: FormContext, *, with_time: bool = True) -> str:
    from runner.timekeeping.pending_dates import pending_year

    year = pending_year(value)  # a working-day date past the known holiday calendar
    if year is not None:
        from runner.timekeeping.calendar import pending_note

        return pick(pending_note(year), pending_note(year, "en"))
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo:
        moment = moment.astimezone(ctx.tz)
    return moment.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


def _opinion_rows(value: Any, ctx: FormContext) -> list[dict[str, str]]:
    entries: list[tuple[str, Mapping[str, Any]]] = []
    if isinstance(value, Mapping):
        entries = [(str(w), o) for w, o in value.items() if isinstance(o, Mapping)]
    elif isinstance(value, list):
        entries = [(str(o.get("window", "")), o) for o in value if isinstance(o, Mapping)]
    rows = []
    for window, opinion in entries:
        result = str(opinion.get("result") or "")
        label = pick(*OPINION_LABELS.get(result, (result, result)))
        if result == "deemed_assent" and opinion.get("rule"):
            rule = str(opinion["rule"])
            label += "：" + pick(*DEEMED_RULES.get(rule, (rule, rule)))
        detail = "；".join(
            str(opinion.get(k)) for k in ("conditions", "reason") if str(opinion.get(k) or "").strip()
        )
        rows.append(
            {"window": ctx.window_name(window), "result": label, "result_code": result, "detail": detail}
        )
    return rows


def _data_value(value: Any) -> str:
    if isinstance(value, bool):
        return pick("是", "Yes") if value else pick("否", "No")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _data_rows(ctx: FormContext) -> list[dict[str, str]]:
    """Every value of the task data, read-only (``{"name", "value"}``; names starting with _ are the engine's)."""
    return [
        {"name": str(name), "value": _data_value(value)}
        for name, value in sorted(ctx.data.items(), key=lambda kv: str(kv[0]))
        if not str(name).startswith("_") and value not in (None, "", [], {})
    ]


def show_rows(schema: FormSchema, ctx: FormContext) -> list[dict[str, Any]]:
    """The read-only context of a task: ``{"label", "format", "value"}`` for each value present."""
    rows: list[dict[str, Any]] = []
    for spec in schema.show:
        value = _data_rows(ctx) if spec.format == "data" else lookup(ctx.data, spec.name)
        if value is None or value == "" or value == [] or value == {}:
            continue
        shown: Any
        fmt = spec.format
        if fmt == "list":
            shown = [str(v) for v in value] if isinstance(value, list) else [str(value)]
        elif fmt == "windows":
            shown = (
                [ctx.window_name(v) for v in value] if isinstance(value, list) else [ctx.window_name(value)]
            )
        elif fmt == "window":
            shown = ctx.window_name(value)
        elif fmt == "date":
            shown = format_moment(value, ctx, with_time=False)
        elif fmt == "datetime":
            shown = format_moment(value, ctx)
        elif fmt == "bool":
            shown = pick("是", "Yes") if value is True else pick("否", "No") if value is False else str(value)
        elif fmt == "opinions":
            shown = _opinion_rows(value, ctx)
        elif fmt == "json":
            shown = json.dumps(value, ensure_ascii=False, indent=1)
        elif fmt == "data":
            shown = value
        else:
            shown = str(value)
        rows.append({"label": spec.text, "format": fmt, "value": shown})
    return rows

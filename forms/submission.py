"""Checking a task form's submission against its schema and turning it into task data — said once, for
every door that completes a user task (the workspace page and ``POST /api/tasks/<id>/complete``).

Nothing here knows about Flask, WTForms or a request: the input is a mapping field name → raw value and a
``FormContext`` (the task's data, window names, now, the process), the output is the task data or
``FieldInvalid`` problems carrying both the Chinese and the English message (the workspace shows the one of
the page's language, the API sends ``中文 (English)``).

- ``parse_value`` checks one field's raw value as the HTML form posts it (strings, a list of strings for
  multiple choices, a bool for a checkbox, a dict per window for an opinions grid, upload objects for
  files); ``check_submission`` checks every field of the form, then the cross-field ``rules``;
  ``build_task_data`` adds checklist remainders and ``derive``d values.
- ``task_data_from_json`` is the JSON door: ``json_input`` maps each natural JSON value (true/false,
  numbers, arrays, objects) to the raw value the HTML form would post for it — the string forms are taken
  as they are — and refuses any other shape; then the same three steps run, so the same values give the
  same task data through either door.

Why here and not in ``runner``: the schemas, their published console revisions and their messages belong
to the forms layer (``forms/schemas/``, ``forms.schema.get_schema``), and ``runner.complete`` also takes
data that no form produced (messages, scripts, ``retry`` fixes, engine-level tests); it documents its input
as already validated. The doors that take a clerk's form data — the workspace and the API (which already
builds on ``forms`` for its permission table) — call this module; ``runner`` stays free of ``forms``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from forms.schema import FieldSpec, FormSchema, Rule

DEFAULT_MAX_LENGTH = {"text": 200, "textarea": 2000}
LIST_ITEM_MAX = 200
DEFAULT_MAX_FILES = 5
OPINION_PARTS = ("result", "reason", "conditions")
# what the workspace's checkbox posts when ticked ("y": WTForms' BooleanField; "on": a browser's default)
CHECKBOX_ON = ("true", "y", "on")
CHECKBOX_OFF = ("false", "")
WHOLE_NUMBER = ("请输入整数", "Enter a whole number")
NUMBER = ("请输入数字", "Enter a number")

FileCheck = Callable[[Any], None]


class FieldInvalid(ValueError):
    """One field's problem, in Chinese (``zh``, also ``str()``) and English (``en``, may be empty)."""

    def __init__(self, zh: str, en: str = "") -> None:
        super().__init__(zh)
        self.zh, self.en = zh, en

    @property
    def bilingual(self) -> str:
        """``中文 (English)``, the form of the API's messages."""
        return f"{self.zh} ({self.en})" if self.en and self.en != self.zh else self.zh


class SubmissionInvalid(ValueError):
    """A submission the form refuses; ``errors`` maps each field (or unknown key) to its problem."""

    def __init__(self, errors: Mapping[str, FieldInvalid]) -> None:
        super().__init__(", ".join(errors))
        self.errors = dict(errors)


def is_blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def compare(op: str, got: Any, want: Any) -> bool:
    if op == "equals":
        return bool(got == want)
    if op == "not_equals":
        return bool(got != want)
    if op == "in":
        return got in (want or [])
    if op == "empty":
        return is_blank(got) or got is False
    if op == "not_empty":
        return not (is_blank(got) or got is False)
    raise AssertionError(op)


@dataclass
class FormContext:
    """What a form needs besides the submission: the task's data, window names, now, the process."""

    data: dict[str, Any] = field(default_factory=dict)
    windows: Mapping[str, str] = field(default_factory=dict)  # code → name
    now: datetime | None = None  # aware
    timezone: str = "Asia/Shanghai"
    definition_key: str | None = None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local_now(self) -> datetime:
        return (self.now or datetime.now(self.tz)).astimezone(self.tz)

    def window_name(self, code: Any) -> str:
        return self.windows.get(str(code), str(code))


def items_for(spec: FieldSpec, ctx: FormContext) -> list[str]:
    """The items of a checklist (from the task data when it has them, else the schema's) or the
    windows of an opinions grid."""
    key = spec.items_from or spec.windows_from
    raw = ctx.data.get(key) if key else None
    if isinstance(raw, list):
        items = [str(i).strip() for i in raw if i is not None and str(i).strip()]
        if items:
            return list(dict.fromkeys(items))
    return list(spec.items)


def excused_items(spec: FieldSpec, ctx: FormContext) -> set[str]:
    """The items of a checklist whose absence is not missing: those the task data lists under the field's
    ``excused_from`` names (an optional material not brought, a 容缺后补 one); they do not make it incomplete."""
    excused: set[str] = set()
    for key in spec.excused_from:
        raw = ctx.data.get(key)
        if isinstance(raw, list):
            excused.update(str(i).strip() for i in raw if i is not None)
    return excused


def choice_values(spec: FieldSpec, ctx: FormContext) -> list[str]:
    """The values a choice-like field accepts in this context, in the order the form lists them."""
    if spec.type == "boolean":
        return ["true", "false"]
    if spec.type == "checklist":
        return items_for(spec, ctx)
    if spec.choices_from == "windows":
        return sorted(ctx.windows)
    if spec.choices_from and spec.choices_from.startswith("data:"):
        raw = ctx.data.get(spec.choices_from[5:])
        values = [str(v) for v in raw if v not in (None, "")] if isinstance(raw, list) else []
        return list(dict.fromkeys(values))
    return [c.value for c in spec.choices]


# ---- one field ---------------------------------------------------------------------------------


def _local_day(text: str, tz: ZoneInfo) -> str:
    """A date field's stored value as its input shows it: a date as it is, a moment (a script may store one) as
    its day in the centre's time zone, not the UTC day its text begins with."""
    if len(text) > 10:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return text[:10]
        return (moment.astimezone(tz) if moment.tzinfo else moment).date().isoformat()
    return text


def _bound_date(value: Any, ctx: FormContext) -> date:
    if value == "today" or value == "now":
        return ctx.local_now().date()
    return date.fromisoformat(str(value))


def _bound_datetime(value: Any, ctx: FormContext) -> datetime:
    if value == "now":
        return ctx.local_now().replace(second=0, microsecond=0)
    if value == "today":
        return ctx.local_now().replace(hour=0, minute=0, second=0, microsecond=0)
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=ctx.tz)


def _filled(raw: Any, required: bool) -> str | None:
    """The stripped text of a one-line input, None when it is blank (``FieldInvalid`` if required)."""
    text = str(raw or "").strip()
    if text:
        return text
    if required:
        raise FieldInvalid("请填写此项", "This field is required")
    return None


def _parse_text(
    spec: FieldSpec, raw: Any, ctx: FormContext, values: Mapping[str, Any], check_file: FileCheck | None
) -> Any:  # noqa: ARG001
    """A text/textarea field."""
    required = spec.required
    typ = spec.type
    text = str(raw or "").strip()
    if typ == "text":
        text = " ".join(text.split())
    if not text:
        if required:
            raise FieldInvalid("请填写此项", "This field is required")
        return ""
    limit = spec.max if spec.max is not None else DEFAULT_MAX_LENGTH[typ]
    if len(text) > limit:
        raise FieldInvalid(
            f"最多 {limit} 个字（现有 {len(text)} 个）", f"At most {limit} characters ({len(text)} given)"
        )
    if spec.min is not None and len(text) < spec.min:
        raise FieldInvalid(f"至少 {spec.min} 个字", f"At least {spec.min} characters")
    if spec.pattern and not re.fullmatch(spec.pattern, text):
        raise FieldInvalid(spec.pattern_message or "格式不正确", "Invalid format")
    return text


def _parse_integer(
    spec: FieldSpec, raw: Any, ctx: FormContext, values: Mapping[str, Any], check_file: FileCheck | None
) -> Any:  # noqa: ARG001
    """An integer field."""
    required = spec.required
    text = _filled(raw, required)
    if text is None:
        return None
    try:
        number = int(text)
    except ValueError:
        raise FieldInvalid(*WHOLE_NUMBER) from None
    if spec.min is not None and number < spec.min:
        raise FieldInvalid(f"不能小于 {spec.min}", f"Must be at least {spec.min}")
    if spec.max is not None and number > spec.max:
        raise FieldInvalid(f"不能大于 {spec.max}", f"Must be at most {spec.max}")
    return number


def _parse_number(
    spec: FieldSpec, raw: Any, ctx: FormContext, values: Mapping[str, Any], check_file: FileCheck | None
) -> Any:  # noqa: ARG001
    """A number field."""
    required = spec.required
    text = _filled(str(raw or "").replace(",", ""), required)
    if text is None:
        return None
    try:
        dec = Decimal(text)
    except InvalidOperation:
        raise FieldInvalid(*NUMBER) from None
    if not dec.is_finite():
        raise FieldInvalid(*NUMBER)
    if spec.min is not None and dec < Decimal(str(spec.min)):
        raise FieldInvalid(f"不能小于 {spec.min}", f"Must be at least {spec.min}")
    if spec.max is not None and dec > Decimal(str(spec.max)):
        raise FieldInvalid(f"不能大于 {spec.max}", f"Must be at most {spec.max}")
    return int(dec) if dec == dec.to_integral_value() and "." not in text else float(dec)


def _parse_boolean(
    spec: FieldSpec, raw: Any, ctx: FormContext, values: Mapping[str, Any], check_file: FileCheck | None
) -> Any:  # noqa: ARG001
    """A boolean field."""
    required = spec.required
    if spec.is_checkbox:
        checked = bool(raw)
        if required and not checked:
            raise FieldInvalid("请勾选确认", "Please tick to confirm")
        return checked
    text = str(raw or "").strip().lower()
    if text in ("true", "false"):
        return text == "true"
    if text or required:
        raise FieldInvalid("请选择“是”或“否”", "Choose yes or no")
    return None


def _parse_choice(
    spec: FieldSpec, raw: Any, ctx: FormContext, values: Mapping[str, Any], check_file: FileCheck | None
) -> Any:  # noqa: ARG001
    """A choice field."""
    required = spec.required
    text = str(raw or "").strip()
    if not text:
        if required:
            raise FieldInvalid("请选择一项", "Choose one")
        return None
    if text not in choice_values(spec, ctx):
        raise FieldInvalid("选项无效，请重新选择", "Not a valid choice")
    return text


def _parse_picks(
    spec: FieldSpec, raw: Any, ctx: FormContext, values: Mapping[str, Any], check_file: FileCheck | None
) -> Any:  # noqa: ARG001
    """A multichoice/checklist field."""
    required = spec.required
    picked = [str(v).strip() for v in (raw or []) if str(v or "").strip()]
    picked = list(dict.fromkeys(picked))
    allowed = choice_values(spec, ctx)
    if any(v not in allowed for v in picked):
        raise FieldInvalid("包含无效的选项，请重新选择", "Contains an invalid choice")
    picked = [v for v in allowed if v in picked]  # the list's own order
    if not picked and required:
        raise FieldInvalid("请至少选择一项", "Choose at least one")
    if picked and spec.min is not None and len(picked) < spec.min:
        raise FieldInvalid(f"至少选择 {spec.min} 项", f"Choose at least {spec.min}")
    if spec.max is not None and len(picked) > spec.max:
        raise FieldInvalid(f"最多选择 {spec.max} 项", f"Choose at most {spec.max}")
    return picked


def _parse_list(
    spec: FieldSpec, raw: Any, ctx: FormContext, values: Mapping[str, Any], check_file: FileCheck | None
) -> Any:  # noqa: ARG001
    """A list field."""
    required = spec.required
    lines = [" ".join(line.split()) for line in str(raw or "").splitlines()]
    items = list(dict.fromkeys(line for line in lines if line))
    if not items:
        if required:
            raise FieldInvalid("请至少填写一项（每行一项）", "Enter at least one item (one per line)")
        return []
    if any(len(i) > LIST_ITEM_MAX for i in items):
        raise FieldInvalid(f"每项最多 {LIST_ITEM_MAX} 个字", f"Each item at most {LIST_ITEM_MAX} characters")
    if spec.min is not None and len(items) < spec.min:
        raise FieldInvalid(f"至少填写 {spec.min} 项（每行一项）", f"Enter at least {spec.min} items")
    if spec.max is not None and len(items) > spec.max:
        raise FieldInvalid(f"最多填写 {spec.max} 项", f"At most {spec.max} items")
    return items


def _parse_date(
    spec: FieldSpec, raw: Any, ctx: FormContext, values: Mapping[str, Any], check_file: FileCheck | None
) -> Any:  # noqa: ARG001
    """A date field."""
    required = spec.required
    text = _filled(raw, required)
    if text is None:
        return None
    try:
        day = date.fromisoformat(text.replace("/", "-"))
    except ValueError:
        raise FieldInvalid("日期格式应为 年-月-日，如 2026-10-09", "Use the date format YYYY-MM-DD") from None
    if spec.min is not None and day < _bound_date(spec.min, ctx):
        low = _bound_date(spec.min, ctx).isoformat()
        raise FieldInvalid(f"不能早于 {low}", f"Must not be before {low}")
    if spec.max is not None and day > _bound_date(spec.max, ctx):
        high = _bound_date(spec.max, ctx).isoformat()
        raise FieldInvalid(f"不能晚于 {high}", f"Must not be after {high}")
    return day.isoformat()


def _parse_datetime(
    spec: FieldSpec, raw: Any, ctx: FormContext, values: Mapping[str, Any], check_file: FileCheck | None
) -> Any:  # noqa: ARG001
    """A datetime field."""
    required = spec.required
    text = _filled(raw, required)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("/", "-"))
    except ValueError:
        raise FieldInvalid(
            "时间格式应为 年-月-日 时:分，如 2026-09-30 09:30", "Use the format YYYY-MM-DD HH:MM"
        ) from None
    moment = (moment if moment.tzinfo else moment.replace(tzinfo=ctx.tz)).astimezone(ctx.tz)
    if spec.min is not None and moment < _bound_datetime(spec.min, ctx):
        low = _bound_datetime(spec.min, ctx)
        text_low = "当前时间" if spec.min == "now" else low.strftime("%Y-%m-%d %H:%M")
        raise FieldInvalid(f"不能早于{text_low}", f"Must not be before {low:%Y-%m-%d %H:%M}")
    if spec.max is not None and moment > _bound_datetime(spec.max, ctx):
        high = _bound_datetime(spec.max, ctx)
        raise FieldInvalid(f"不能晚于 {high:%Y-%m-%d %H:%M}", f"Must not be after {high:%Y-%m-%d %H:%M}")
    return moment.isoformat()


def _parse_file(
    spec: FieldSpec, raw: Any, ctx: FormContext, values: Mapping[str, Any], check_file: FileCheck | None
) -> Any:  # noqa: ARG001
    """A file field."""
    required = spec.required
    uploads = [f for f in (raw or []) if getattr(f, "filename", None)]
    if not uploads and required:
        raise FieldInvalid("请上传文件", "Please upload a file")
    limit = spec.max if spec.max is not None else DEFAULT_MAX_FILES
    if len(uploads) > limit:
        raise FieldInvalid(f"最多上传 {limit} 个文件", f"At most {limit} files")
    for upload in uploads:
        if check_file is not None:
            check_file(upload)
    return uploads


def _parse_opinion_grid(
    spec: FieldSpec, raw: Any, ctx: FormContext, values: Mapping[str, Any], check_file: FileCheck | None
) -> Any:  # noqa: ARG001
    """An opinions grid (one row per window)."""
    return _parse_opinions(spec, raw or {}, ctx, values or {})


#: field type → its parser (raw value as the page posts it → task data, ``FieldInvalid`` when wrong)
PARSERS: dict[str, Callable[[FieldSpec, Any, FormContext, Mapping[str, Any], FileCheck | None], Any]] = {
    "text": _parse_text,
    "textarea": _parse_text,
    "integer": _parse_integer,
    "number": _parse_number,
    "boolean": _parse_boolean,
    "choice": _parse_choice,
    "multichoice": _parse_picks,
    "checklist": _parse_picks,
    "list": _parse_list,
    "date": _parse_date,
    "datetime": _parse_datetime,
    "file": _parse_file,
    "opinions": _parse_opinion_grid,
}


def parse_value(
    spec: FieldSpec,
    raw: Any,
    ctx: FormContext,
    values: Mapping[str, Any] | None = None,
    *,
    check_file: FileCheck | None = None,
) -> Any:
    """One field's raw value (as the HTML form posts it) as task data; ``FieldInvalid`` when it is wrong.

    ``values``: the fields parsed before this one (an opinions grid reads its ``present_field``);
    ``check_file``: checks one upload's content (the workspace's), raising ``FieldInvalid``.
    """
    return PARSERS[spec.type](spec, raw, ctx, values or {}, check_file)


def _parse_opinions(
    spec: FieldSpec, raw: Mapping[str, Mapping[str, str]], ctx: FormContext, values: Mapping[str, Any]
) -> dict[str, dict[str, str]]:
    """Per-window opinions; every window's problem is reported at once."""
    windows = items_for(spec, ctx)
    allowed = {c.value for c in spec.choices}
    present = set(values.get(spec.present_field) or []) if spec.present_field else None
    out: dict[str, dict[str, str]] = {}
    problems: list[tuple[str, str]] = []
    for window in windows:
        given = raw.get(window) or {}
        result = str(given.get("result") or "").strip()
        reason = str(given.get("reason") or "").strip()[:2000]
        conditions = str(given.get("conditions") or "").strip()[:2000]
        name = ctx.window_name(window)
        if not result:
            if reason or conditions:
                problems.append((f"{name}：请选择意见", f"{name}: choose an opinion"))
            continue
        if result not in allowed:
            problems.append((f"{name}：选项无效", f"{name}: not a valid choice"))
        elif present is not None and window not in present:
            problems.append(
                (f"{name}未出席会议，不能记录其意见", f"{name} was absent: no opinion can be recorded")
            )
        elif result == "agree_with_conditions" and not conditions:
            problems.append((f"{name}：附条件同意须写明条件", f"{name}: state the conditions"))
        else:
            out[window] = {"result": result, "reason": reason, "conditions": conditions}
    if any(w not in windows and any(str(v).strip() for v in raw[w].values()) for w in raw):
        problems.append(("包含不参加本次联审的窗口", "Contains a window that does not take part"))
    if problems:
        raise FieldInvalid("；".join(zh for zh, _ in problems), "; ".join(en for _, en in problems))
    return out


# ---- the whole form ----------------------------------------------------------------------------


def _empty(spec: FieldSpec, value: Any) -> bool:
    return is_blank(value) or (spec.is_checkbox and value is False)


def _rule_problem(rule: Rule, kind: str) -> FieldInvalid:
    if rule.message:
        return FieldInvalid(rule.message, rule.message_en)
    if kind == "require":
        return FieldInvalid("请填写此项", "This field is required")
    return FieldInvalid("此项此时不应填写", "Leave this field empty here")


def check_submission(
    schema: FormSchema,
    specs: Iterable[FieldSpec],
    raw: Mapping[str, Any],
    ctx: FormContext,
    *,
    failed: Mapping[str, FieldInvalid] | None = None,
    check_file: FileCheck | None = None,
) -> tuple[dict[str, Any], dict[str, FieldInvalid]]:
    """``(values, problems)``: each field of ``specs`` (the fields shown for this process) parsed from
    ``raw``, then the schema's cross-field rules; one problem per field, the first found.

    ``failed``: problems already found for some names (their raw value is not parsed again).
    """
    problems: dict[str, FieldInvalid] = dict(failed or {})
    values: dict[str, Any] = {}
    visible = {s.name: s for s in specs}
    for spec in visible.values():
        if spec.name in problems:
            continue
        try:
            values[spec.name] = parse_value(spec, raw.get(spec.name), ctx, values, check_file=check_file)
        except FieldInvalid as exc:
            problems[spec.name] = exc
    for rule in schema.rules:
        if rule.when.source == "field" and (rule.when.name in problems or rule.when.name not in visible):
            continue
        if not rule.when.holds(values, ctx.data):
            continue
        for name in rule.require:
            if name in visible and name not in problems and _empty(visible[name], values.get(name)):
                problems[name] = _rule_problem(rule, "require")
        for name in rule.forbid:
            if name in visible and name not in problems and not _empty(visible[name], values.get(name)):
                problems[name] = _rule_problem(rule, "forbid")
    return values, problems


def build_task_data(
    schema: FormSchema,
    specs: Iterable[FieldSpec],
    values: Mapping[str, Any],
    ctx: FormContext,
    files: Mapping[str, list[dict[str, Any]]],
) -> dict[str, Any]:
    """Validated values → task data: file references, checklist remainders, derived values."""
    out: dict[str, Any] = {}
    for spec in specs:
        value = values.get(spec.name)
        if spec.type == "file":
            value = list(files.get(spec.name, []))
        out[spec.name] = value
        if spec.type == "checklist":
            ticked_or_excused = set(value or []) | excused_items(spec, ctx)
            missing = [i for i in items_for(spec, ctx) if i not in ticked_or_excused]
            if spec.missing:
                out[spec.missing] = missing
            if spec.complete:
                out[spec.complete] = not missing
    for d in schema.derive:
        if d.field in out:
            out[d.name] = compare(d.op, out[d.field], d.value)
    return out


# ---- the JSON door -----------------------------------------------------------------------------


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def json_input(spec: FieldSpec, value: Any) -> Any:
    """A JSON value as the raw input the HTML form would post for ``spec``; ``FieldInvalid`` for a shape the
    field cannot take. ``null`` (and a missing key) is an empty input, as a blank field of the page."""
    if value is None:
        return None
    typ = spec.type
    if typ in ("text", "textarea", "choice", "date", "datetime"):
        if not isinstance(value, str):
            raise FieldInvalid("应为文字", "must be a string")
        return value
    if typ in ("integer", "number"):
        if isinstance(value, str):
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise FieldInvalid(*(WHOLE_NUMBER if typ == "integer" else NUMBER))
        if isinstance(value, float) and not math.isfinite(value):
            raise FieldInvalid(*NUMBER)
        if typ == "integer" and isinstance(value, float):
            if not value.is_integer():
                raise FieldInvalid(*WHOLE_NUMBER)
            value = int(value)
        return str(value)
    if typ == "boolean":
        if isinstance(value, bool):
            return value if spec.is_checkbox else str(value).lower()
        if isinstance(value, str):
            if not spec.is_checkbox:
                return value
            text = value.strip().lower()
            if text in CHECKBOX_ON or text in CHECKBOX_OFF:
                return text in CHECKBOX_ON
        raise FieldInvalid("应为 true 或 false", "must be true or false")
    if typ in ("multichoice", "checklist"):
        if not _strings(value):
            raise FieldInvalid("应为文字列表", "must be an array of strings")
        return value
    if typ == "list":
        if isinstance(value, str):
            return value  # the page's textarea: one item per line
        if not _strings(value) or any(len(v.splitlines()) > 1 for v in value):
            raise FieldInvalid("应为文字列表，每项一行", "must be an array of one-line strings")
        return "\n".join(value)
    if typ == "file":
        if value == []:
            return None
        raise FieldInvalid(
            "接口不接收附件，请在工作台上传", "the API takes no attachments; upload them in the workspace"
        )
    if typ == "opinions":
        return _json_opinions(value)
    raise AssertionError(typ)


def _json_opinions(value: Any) -> dict[str, dict[str, str]]:
    """``{window: {"result", "reason", "conditions"}}`` with strings (or null), as the grid posts it."""
    wrong = FieldInvalid(
        "应为 {窗口: {result, reason, conditions}} 对象",
        "must be an object {window: {result, reason, conditions}}",
    )
    if not isinstance(value, dict):
        raise wrong
    out: dict[str, dict[str, str]] = {}
    for window, opinion in value.items():
        if opinion is None:
            continue
        if (
            not isinstance(opinion, dict)
            or set(opinion) - set(OPINION_PARTS)
            or not all(v is None or isinstance(v, str) for v in opinion.values())
        ):
            raise wrong
        out[str(window)] = {part: (v or "").strip() for part, v in opinion.items()}
    return out


def _not_a_field(schema: FormSchema, key: str) -> FieldInvalid:
    if key in schema.output_names() and not any(f.name == key for f in schema.fields):
        return FieldInvalid(
            "此项由表单根据其他字段计算得出，不能提交",
            "computed by the form from other fields; do not send it",
        )
    if any(f.name == key for f in schema.fields):
        return FieldInvalid("本流程的此表单没有此字段", "not a field of this form in this process")
    return FieldInvalid("表单中没有此字段", "not a field of this form")


def task_data_from_json(schema: FormSchema, ctx: FormContext, document: Mapping[str, Any]) -> dict[str, Any]:
    """The task data a JSON submission gives, exactly as the workspace form gives it for the same values;
    ``SubmissionInvalid`` naming every field that is wrong.

    Every field of the form is answered: a missing key keeps what the item already holds for the field (its
    ``prefill`` source, as the page shows it prefilled), otherwise it is an empty input
    (a required field is then missing); ``null`` is an empty input. A key that is not a field of the form
    (for this process) is refused, and so are the names the form computes itself (``derive``, a checklist's
    ``missing``/``complete``). File fields cannot be filled through JSON (``[]`` or ``null`` only).
    """
    specs = schema.fields_for(ctx.definition_key)
    shown = {s.name for s in specs}
    problems = {key: _not_a_field(schema, key) for key in document if key not in shown}
    raw: dict[str, Any] = {}
    for spec in specs:
        if spec.name not in document:
            raw[spec.name] = held_input(spec, ctx)
            continue
        try:
            raw[spec.name] = json_input(spec, document.get(spec.name))
        except FieldInvalid as exc:
            problems[spec.name] = exc
    values, problems = check_submission(schema, specs, raw, ctx, failed=problems)
    if problems:
        raise SubmissionInvalid(problems)
    return build_task_data(schema, specs, values, ctx, {})


def held_input(spec: FieldSpec, ctx: FormContext) -> Any:
    """The raw input of a field a JSON completion left out: what the item already holds for it (issue 21.1:
    a completion never drops data its document did not mention)."""
    if spec.type == "file":
        return None
    return input_for(spec, ctx.data.get(spec.prefill) if spec.prefill else None, ctx)


def input_for(spec: FieldSpec, value: Any, ctx: FormContext) -> Any:
    """A task-data value in the form a field's input shows (the inverse of parsing; None stays None)."""
    if value is None:
        return None
    typ = spec.type
    if typ == "list":
        return "\n".join(str(v) for v in value) if isinstance(value, list) else str(value)
    if typ in ("multichoice", "checklist"):
        return [str(v) for v in value] if isinstance(value, list) else []
    if typ == "boolean":
        if spec.is_checkbox:
            return bool(value)
        return "true" if value is True else "false" if value is False else None
    if typ == "date":
        if value == "today":
            return ctx.local_now().date().isoformat()
        return _local_day(str(value), ctx.tz)
    if typ == "datetime":
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            return str(value)
        if moment.tzinfo:
            moment = moment.astimezone(ctx.tz)
        return moment.strftime("%Y-%m-%dT%H:%M")
    if typ in ("integer", "number"):
        return str(value)
    if typ == "opinions":
        return value if isinstance(value, dict) else None
    return value if isinstance(value, str) else str(value)

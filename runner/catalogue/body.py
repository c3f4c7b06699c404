"""An item's content (事项要素) as the catalogue stores and exchanges it: checking and normalising one item.

The body is plain JSON — the same object the console saves, ``catalogue-export`` writes per line and
``catalogue-import`` reads — so a centre can keep its catalogue in files. ``normalise`` checks its shape
(types, days, materials); ``check_references`` checks what it names in the database (a deployed process,
existing windows). Both report every problem at once, each as "字段: 中文 (English)".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from runner.exceptions import InvalidInput

# 五件: the kinds an item may be published as (the process's own ``itemKind`` names the same ones)
KINDS = ("即办件", "承诺件", "联办件", "上报件")
FORMS = ("原件", "复印件", "原件及复印件", "电子件")
DELIVERY = ("窗口领取", "邮寄")
TEXT_FIELDS = (
    "department",
    "conditions",
    "legal_basis",
    "procedure",
    "fee_standard",
    "fee_basis",
    "result",
    "supervision_phone",
    "upper_authority",
    "note",
)
# the fields a guide shows as prose, each with an optional English twin (``conditions_en``) for English pages
ENGLISH_FIELDS = tuple(f"{name}_en" for name in TEXT_FIELDS if name != "supervision_phone")
MAX_TEXT = 4000
MAX_MATERIALS = 100


class ItemInvalid(InvalidInput):
    """An item's content is wrong; ``problems`` lists every problem ("字段: 中文 (English)")."""

    code = "item_invalid"

    def __init__(self, problems: list[str]) -> None:
        super().__init__("；".join(problems), problems=problems)
        self.problems = problems


@dataclass
class _Problems:
    found: list[str]

    def add(self, field: str, zh: str, en: str) -> None:
        self.found.append(f"{field}: {zh} ({en})")


def _text(
    value: Any, field: str, problems: _Problems, *, required: bool = False, limit: int = MAX_TEXT
) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        problems.add(field, "须为文字", "must be text")
        return ""
    value = value.strip()
    if required and not value:
        problems.add(field, "不能为空", "is required")
    if len(value) > limit:
        problems.add(field, f"不能超过 {limit} 字", f"at most {limit} characters")
    return value


def _days(value: Any, field: str, problems: _Problems, *, required: bool) -> int | None:
    if value in (None, ""):
        if required:
            problems.add(field, "须填写工作日数", "working days are required")
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        problems.add(field, "须为整数", "must be a whole number")
        return None
    try:
        days = int(value)
    except ValueError:
        problems.add(field, "须为整数", "must be a whole number")
        return None
    if days <= 0 or days > 365:
        problems.add(field, "须为 1 至 365 个工作日", "must be 1 to 365 working days")
        return None
    return days


def _flag(value: Any, field: str, problems: _Problems, default: bool = False) -> bool:
    if value in (None, ""):
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in (
        "true",
        "false",
        "yes",
        "no",
        "1",
        "0",
        "是",
        "否",
    ):
        return value.strip().lower() in ("true", "yes", "1", "是")
    problems.add(field, "须为是或否", "must be true or false")
    return default


def _codes(value: Any, field: str, problems: _Problems) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [v for v in value.replace("，", ",").split(",")]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.add(field, "须为窗口编码列表", "must be a list of window codes")
        return []
    return list(dict.fromkeys(v.strip() for v in value if v.strip()))


def _material(raw: Any, n: int, problems: _Problems) -> dict[str, Any] | None:
    field = f"materials[{n}]"
    if isinstance(raw, str):
        raw = {"name": raw}
    if not isinstance(raw, dict):
        problems.add(field, "须为对象（含名称）", "must be an object with a name")
        return None
    name = _text(raw.get("name"), f"{field}.name", problems, required=True, limit=200)
    form = _text(raw.get("form") or "原件", f"{field}.form", problems, limit=20)
    if form and form not in FORMS:
        problems.add(f"{field}.form", f"须为 {'、'.join(FORMS)} 之一", "original, copy, both or electronic")
    copies = raw.get("copies", 1)
    if isinstance(copies, bool) or not isinstance(copies, int) or not 0 <= copies <= 99:
        problems.add(f"{field}.copies", "份数须为 0 至 99 的整数", "copies must be a whole number 0–99")
        copies = 1
    required = _flag(raw.get("required"), f"{field}.required", problems, default=True)
    tolerable = _flag(raw.get("tolerable"), f"{field}.tolerable", problems)
    blank_form = _text(raw.get("blank_form"), f"{field}.blank_form", problems, limit=64)
    note = _text(raw.get("note"), f"{field}.note", problems, limit=400)
    material = {
        "name": name,
        "form": form,
        "copies": copies,
        "required": required,
        "tolerable": tolerable,
        "blank_form": blank_form,
        "note": note,
    }
    return material | _english(raw, {"name_en": 200, "note_en": 400}, field, problems)


def _english(
    raw: dict[str, Any], limits: dict[str, int], field: str | None, problems: _Problems
) -> dict[str, str]:
    """The optional English twins filled in (``{key: text}``); an empty one is not stored, so a body without
    English stays as it was. A material's identity stays its Chinese name: the English is only shown."""
    found = {}
    for key, limit in limits.items():
        text = _text(raw.get(key), f"{field}.{key}" if field else key, problems, limit=limit)
        if text:
            found[key] = text
    return found


def _materials(value: Any, problems: _Problems) -> list[dict[str, Any]]:
    if value in (None, ""):
        value = []
    if not isinstance(value, list):
        problems.add("materials", "须为材料列表", "must be a list of materials")
        return []
    if len(value) > MAX_MATERIALS:
        problems.add("materials", f"材料不能超过 {MAX_MATERIALS} 项", f"at most {MAX_MATERIALS} materials")
    materials = [m for n, raw in enumerate(value) if (m := _material(raw, n, problems)) is not None]
    names = [m["name"] for m in materials]
    for name in sorted({x for x in names if names.count(x) > 1}):
        problems.add("materials", f"材料“{name}”重复", f"material {name!r} is listed twice")
    return materials


def _delivery(value: Any, problems: _Problems) -> list[str]:
    chosen = _codes(value, "delivery", problems) or [DELIVERY[0]]
    for option in chosen:
        if option not in DELIVERY:
            problems.add(
                "delivery", f"送达方式须为 {'、'.join(DELIVERY)}", "delivery: counter pick-up or post"
            )
    return chosen


def normalise(raw: Any) -> dict[str, Any]:
    """The item's content checked and in its stored form (defaults filled in, text trimmed);
    ``ItemInvalid`` lists every problem."""
    problems = _Problems([])
    if not isinstance(raw, dict):
        raise ItemInvalid(["item: 须为 JSON 对象 (must be a JSON object)"])
    known = set(TEXT_FIELDS) | set(ENGLISH_FIELDS) | {
        "code", "name", "name_en", "window", "kind", "process", "promised_days", "statutory_days", "related_windows",
        "tolerance", "materials", "delivery", "online", "active", "prereview_days",
    }  # fmt: skip
    for key in sorted(set(raw) - known):
        problems.add(key, "不是事项的字段", "is not a field of an item")
    body: dict[str, Any] = {
        "code": _text(raw.get("code"), "code", problems, required=True, limit=64),
        "name": _text(raw.get("name"), "name", problems, required=True, limit=200),
        "name_en": _text(raw.get("name_en"), "name_en", problems, limit=200),
        "window": _text(raw.get("window"), "window", problems, required=True, limit=64),
        "kind": _text(raw.get("kind"), "kind", problems, required=True, limit=40),
        "process": _text(raw.get("process"), "process", problems, required=True, limit=200),
    }
    body.update({name: _text(raw.get(name), name, problems) for name in TEXT_FIELDS})
    body["department"] = body["department"] or ""
    body.update(_english(raw, dict.fromkeys(ENGLISH_FIELDS, MAX_TEXT), None, problems))
    if body["code"] and not all(c.isalnum() or c in "-_." for c in body["code"]):
        problems.add("code", "事项编码只能含字母、数字和 - _ .", "letters, digits and - _ . only")
    if body["kind"] and body["kind"] not in KINDS:
        problems.add("kind", f"办件类型须为 {'、'.join(KINDS)} 之一", "kind must be one of the 五件 kinds")
    body["promised_days"] = _days(raw.get("promised_days"), "promised_days", problems, required=True)
    body["statutory_days"] = _days(raw.get("statutory_days"), "statutory_days", problems, required=True)
    promised, statutory = body["promised_days"], body["statutory_days"]
    if promised is not None and statutory is not None and statutory < promised:
        problems.add(
            "statutory_days", "法定时限不能短于承诺时限", "the statutory limit must be ≥ the promised one"
        )
    body["related_windows"] = _codes(raw.get("related_windows"), "related_windows", problems)
    if body["kind"] == "联办件" and not body["related_windows"]:
        problems.add("related_windows", "联办件须列明相关窗口", "a joint item names its related windows")
    if body["kind"] == "上报件" and not body["upper_authority"]:
        problems.add(
            "upper_authority", "上报件须写明上级主管部门", "an escalated item names its upper authority"
        )
    body["tolerance"] = _flag(raw.get("tolerance"), "tolerance", problems)
    body["materials"] = _materials(raw.get("materials"), problems)
    if body["tolerance"] is False and any(m["tolerable"] for m in body["materials"]):
        problems.add(
            "materials",
            "事项不允许容缺受理，材料不能标为可容缺",
            "no 容缺 for this item: no tolerable material",
        )
    body["delivery"] = _delivery(raw.get("delivery"), problems)
    body["online"] = _flag(raw.get("online"), "online", problems)
    if raw.get("prereview_days") not in (None, ""):  # 网上申报's 预审 limit; absent: 1 working day
        body["prereview_days"] = _days(raw.get("prereview_days"), "prereview_days", problems, required=False)
    body["active"] = _flag(raw.get("active"), "active", problems, default=True)
    if problems.found:
        raise ItemInvalid(problems.found)
    return body


def check_references(
    body: dict[str, Any], *, process_exists: Callable[[str], bool], windows: Iterable[str]
) -> list[str]:
    """Problems with what the item names: its process must be deployed, its windows must exist."""
    problems = _Problems([])
    known = set(windows)
    if not process_exists(body["process"]):
        problems.add(
            "process", f"流程“{body['process']}”未部署", f"process {body['process']!r} is not deployed"
        )
    if body["window"] not in known:
        problems.add("window", f"窗口“{body['window']}”不存在", f"window {body['window']!r} does not exist")
    for code in body["related_windows"]:
        if code not in known:
            problems.add("related_windows", f"窗口“{code}”不存在", f"window {code!r} does not exist")
    return problems.found


def fee_text(body: dict[str, Any]) -> str:
    """The fee as the guide prints it: the standard, or 不收费."""
    return body.get("fee_standard") or "不收费"

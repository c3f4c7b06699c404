"""The console's words for what the runner names by code or labels in Chinese only: periods, appeal states,
score events, and the msgid of a translated label (to find a filter by its Chinese name in either language).

Everything else on the console goes through the catalogue (``_()`` in templates, ``_l``/``gettext`` in code).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from forms.language import pick
from runner.items.labels import audit_action
from web.filters import MONTHS

PERIOD_KINDS = {"day": _l("日"), "month": _l("月"), "quarter": _l("季度"), "range": _l("自定义")}
SCHEME_PERIODS = {"month": _l("月度"), "quarter": _l("季度")}
TARGETS = {"window": _l("窗口"), "person": _l("个人")}
APPEAL_STATES = {"open": _l("待裁决"), "upheld": _l("申诉成立"), "rejected": _l("申诉驳回")}
EVENT_LABELS = {
    "late_day": _l("超过承诺时限（每工作日）"),
    "late_item": _l("承诺件超期办结（每件）"),
    "early_finish": _l("提前办结"),
    "joint_early": _l("联办件提前50%办结（相关窗口）"),
    "deemed_assent": _l("默认议定（协办窗口未按时答复）"),
    "verified_complaint": _l("投诉经查属实"),
    "unsatisfied_rating": _l("服务对象不满意（差评经核实属实）"),
    "unanswered_warning": _l("预警未按时回告"),
    "entered": _l("记分录入"),
}
RUNNER_WORDS = {
    "合计": _l("合计"),
    "未指定主办窗口": _l("未指定主办窗口"),
}  # names the statistics give to rows


def msgid(label: Any) -> str:
    """The Chinese source text of a label (a lazy translation or a plain string)."""
    args = getattr(label, "_args", None)
    return str(args[0]) if args else str(label)


def span_label(first: date, last: date) -> str:
    """A month, a quarter or a range of local dates in the page language (``2026年10月`` / ``October 2026``)."""
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    month_end = first.day == 1 and (last.month != (last + timedelta(days=1)).month)
    if month_end and months == 3 and first.month % 3 == 1:
        q = (first.month - 1) // 3 + 1
        return pick(f"{first.year}年第{q}季度", f"Q{q} {first.year}")
    if month_end and months == 1:
        return pick(f"{first.year}年{first.month}月", f"{MONTHS[first.month - 1]} {first.year}")
    if first == last:
        return first.isoformat()
    return _("%(start)s 至 %(end)s", start=first.isoformat(), end=last.isoformat())


def event_label(code: str) -> str:
    return str(EVENT_LABELS.get(code, code))


def english() -> bool:
    """Whether the page language is English."""
    return pick("zh", "en") == "en"


def action_label(code: str) -> str:
    """An audit action's word in the page language."""
    return audit_action(code, english=english())


BILINGUAL = re.compile(r"(.*[\u4e00-\u9fff].*) \(([^\u4e00-\u9fff]*)\)", re.S)


def runner_text(text: Any) -> Any:
    """A runner text written "中文 (English)" (a score line's detail) in the page language; any other text (a
    note someone typed) as it is."""
    found = BILINGUAL.fullmatch(text) if isinstance(text, str) else None
    return pick(found.group(1), found.group(2)) if found else text


def runner_word(value: Any) -> Any:
    """A row name the runner's statistics write in Chinese (合计, 未指定主办窗口) in the page language."""
    return str(RUNNER_WORDS[value]) if isinstance(value, str) and value in RUNNER_WORDS else value

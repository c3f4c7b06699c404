"""What a 办结通知 tells the applicant beyond the dates: the decision made (准予许可 / 不予许可), the conditions
the related windows attached to their assent, and how the result reaches the applicant (the delivery the
clerk chose at 统一答复申请人 / 办结通知)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

APPROVED, REFUSED = "准予许可", "不予许可"
# the values of the forms that record a decision: ``result`` of 办结通知 (上报件), ``approved`` derived from
# every 决定 / 汇总 form
_RESULTS = {"approved": APPROVED, "refused": REFUSED}

# the delivery choices of the completion_notice form → the sentence of the notice; {window} is the lead
# window's name
DELIVERY_SENTENCES: dict[str, str] = {
    "window": "请持本通知书及有效身份证件到{window}领取办理结果。",
    "on_spot": "办理结果已于办结时当场交付申请人。",
    "post": "办理结果将以邮寄方式送达申请人，请注意查收。",
    "electronic": "办理结果将以电子方式送达申请人，请注意查收。",
}
DEFAULT_DELIVERY = "window"


def decision(data: Mapping[str, Any]) -> str | None:
    """The decision of the item in the applicant's words, or None when no form recorded one."""
    result = data.get("result")
    if isinstance(result, str) and result in _RESULTS:
        return _RESULTS[result]
    approved = data.get("approved")
    if isinstance(approved, bool):
        return APPROVED if approved else REFUSED
    return None


def _opinions(value: Any) -> list[dict[str, Any]]:
    """The opinions of the related windows as rows with ``window``: the list a 抄告制 review collects, or the
    ``{window: opinion}`` grid of a 联审会议."""
    if isinstance(value, Mapping):
        return [{**o, "window": w} for w, o in value.items() if isinstance(o, Mapping)]
    if isinstance(value, list):
        return [o for o in value if isinstance(o, Mapping)]
    return []


def window_conditions(data: Mapping[str, Any], names: Mapping[str, str]) -> list[dict[str, str]]:
    """Each related window's condition of assent (附条件同意), as ``{"window": name, "conditions": text}``."""
    rows = []
    for opinion in _opinions(data.get("opinions")):
        text = str(opinion.get("conditions") or "").strip()
        if text and opinion.get("result") in ("agree_with_conditions", None):
            code = str(opinion.get("window") or "")
            rows.append({"window": names.get(code, code), "conditions": text})
    return rows


def opinion_windows(data: Mapping[str, Any]) -> list[str]:
    """The window codes the item's opinions name (to look their names up)."""
    return [str(o.get("window")) for o in _opinions(data.get("opinions")) if o.get("window")]


def delivery_sentence(data: Mapping[str, Any], lead_window: str) -> str:
    """How the applicant receives the result, as the notice says it."""
    chosen = data.get("delivery")
    key = chosen if isinstance(chosen, str) and chosen in DELIVERY_SENTENCES else DEFAULT_DELIVERY
    return DELIVERY_SENTENCES[key].format(window=lead_window or "本中心综合受理窗口")

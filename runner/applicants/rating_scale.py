"""The national 好差评 scale (国办发〔2019〕51号): five levels, the channels with their second-level indicators
(二级指标) and the occasions rated — the definitions every part of 好差评 reads (``ratings`` gives them,
``rectification`` handles a 差评, ``runner.supervision.rating_figures`` counts them, ``rating_export`` hands
them to the provincial platform).
"""

from __future__ import annotations

from dataclasses import dataclass

from runner.models import InstanceStatus

# the national scale, best first: code → (中文, English)
LEVELS: dict[str, tuple[str, str]] = {
    "very_satisfied": ("非常满意", "Very satisfied"),
    "satisfied": ("满意", "Satisfied"),
    "basically": ("基本满意", "Basically satisfied"),
    "not_satisfied": ("不满意", "Dissatisfied"),
    "very_dissatisfied": ("非常不满意", "Very dissatisfied"),
}
SATISFIED = ("very_satisfied", "satisfied", "basically")  # 满意率 counts these (好评)
BAD = ("not_satisfied", "very_dissatisfied")  # 差评: each opens a rectification


@dataclass(frozen=True)
class Channel:
    """A way of rating (评价渠道) and its second-level indicators (code → 中文, English)."""

    label: str
    label_en: str
    indicators: dict[str, tuple[str, str]]


COUNTER_INDICATORS = {
    "efficiency": ("服务效率", "Efficiency"),
    "competence": ("服务水平", "Competence"),
    "attitude": ("服务态度", "Attitude"),
}
CHANNELS: dict[str, Channel] = {
    "progress": Channel("办件查询页", "Progress page", COUNTER_INDICATORS),
    "counter": Channel("窗口评价", "At the counter", COUNTER_INDICATORS),
    "online": Channel(
        "网上办事",
        "Online",
        {
            "handling_efficiency": ("办事效率", "Handling efficiency"),
            "guide_accuracy": ("办事指南精确度", "Accuracy of the guide"),
            "convenience": ("办事便捷度", "Convenience"),
            "usability": ("平台操作性", "Ease of use"),
        },
    ),
}
# the occasion rated: code → (中文, English, the item statuses in which it can be rated)
OCCASIONS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "acceptance": (
        "受理",
        "Acceptance",
        (InstanceStatus.RUNNING, InstanceStatus.WAITING, InstanceStatus.COMPLETED),
    ),
    "completion": ("办结", "Completion", (InstanceStatus.COMPLETED,)),
}
MAX_COMMENT = 1000


def level_label(level: str, lang: str = "zh") -> str:
    """The level's name in ``lang`` (``zh`` or ``en``)."""
    names = LEVELS.get(level)
    return level if names is None else names[1 if lang == "en" else 0]

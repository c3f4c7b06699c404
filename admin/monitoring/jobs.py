"""How the console shows the wake-up job state of timers (``runner.core.scheduling.wakeup_states`` reads it
from Redis), so that a timer whose wake-up was lost shows up; when Redis cannot be reached the page says so.
"""

from __future__ import annotations

from typing import Any

from runner.core.scheduling import MISSING

REDIS_DOWN = "Redis 不可用"
LABELS = {
    "scheduled": "已排定",
    "queued": "排队中",
    "started": "执行中",
    "finished": "已完成",
    "failed": "失败",
    "deferred": "推迟",
    "stopped": "已停止",
    "canceled": "已取消",
    "created": "已创建",
    "recorded": "已记录（无 Redis 的调度器）",
    MISSING: "丢失（无任务）",
}


def label(state: str | None) -> str:
    """A state in Chinese (the raw status in parentheses for the curious)."""
    if state is None:
        return REDIS_DOWN
    return f"{LABELS.get(state, state)} ({state})"


def is_bad(state: str | None) -> bool:
    """A pending timer whose job is gone or failed needs the sweep."""
    return state in (MISSING, "failed", "stopped", "canceled")


def describe_sweep(result: dict[str, Any]) -> str:
    """The sweep's outcome as a message."""
    if result.get("redis") == "down":
        return f"{REDIS_DOWN}：检查了 {result.get('checked', 0)} 个到期定时器，暂未补发"
    return f"已检查 {result.get('checked', 0)} 个即将到期的定时器，补发 {result.get('sent', 0)} 个任务"

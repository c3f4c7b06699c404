"""How the console shows the wake-up job state of timers (``runner.core.scheduling.wakeup_states`` reads it
from Redis), so that a timer whose wake-up was lost shows up; when Redis cannot be reached the page says so.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from runner.core.scheduling import MISSING

REDIS_DOWN = _l("Redis 不可用")
LABELS = {
    "scheduled": _l("已排定"),
    "queued": _l("排队中"),
    "started": _l("执行中"),
    "finished": _l("已完成"),
    "failed": _l("失败"),
    "deferred": _l("推迟"),
    "stopped": _l("已停止"),
    "canceled": _l("已取消"),
    "created": _l("已创建"),
    "recorded": _l("已记录（无 Redis 的调度器）"),
    MISSING: _l("丢失（无任务）"),
}


def label(state: str | None) -> str:
    """A state in the page's language, once (the raw RQ status is the element's ``data-job-state``)."""
    if state is None:
        return str(REDIS_DOWN)
    return str(LABELS.get(state, state))


def is_bad(state: str | None) -> bool:
    """A pending timer whose job is gone or failed needs the sweep."""
    return state in (MISSING, "failed", "stopped", "canceled")


def describe_sweep(result: dict[str, Any]) -> str:
    """The sweep's outcome as a message."""
    if result.get("redis") == "down":
        return _("%(down)s：检查了 %(n)s 个到期定时器，暂未补发", down=REDIS_DOWN, n=result.get("checked", 0))
    return _(
        "已检查 %(n)s 个即将到期的定时器，补发 %(sent)s 个任务",
        n=result.get("checked", 0),
        sent=result.get("sent", 0),
    )

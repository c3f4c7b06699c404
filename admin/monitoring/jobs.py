"""The RQ job state of timers, read from Redis, so that a timer whose wake-up was lost shows up.

The database is the truth; Redis only carries the wake-ups: one job per second that timers fall due in
(``timers-due-<second>``, see ``runner.core.scheduling``), so timers due in the same second share a job. When Redis
cannot be reached the page says so instead of failing.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime
from typing import Any

import runner

log = logging.getLogger(__name__)

REDIS_DOWN = "Redis 不可用"
MISSING = "missing"
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


def timer_job_states(services: runner.Services, timers: list[tuple[int, datetime]]) -> dict[int, str] | None:
    """``timer id → RQ status of its wake-up job`` for ``(id, due_at)`` pairs (``missing`` when Redis holds no
    job); None when Redis is down."""
    if not timers:
        return {}
    from runner.core.scheduling import wakeup_job_id

    timer_ids = [timer_id for timer_id, _ in timers]
    job_ids = [wakeup_job_id(math.floor(due_at.timestamp())) for _, due_at in timers]
    connection = getattr(services.scheduler, "connection", None)
    if connection is None:
        # a scheduler without Redis (development, in-process tests) only records what it would send
        known = services.scheduler.existing(job_ids)
        return {i: "recorded" if j in known else MISSING for i, j in zip(timer_ids, job_ids, strict=True)}
    from rq.job import Job

    try:
        jobs = Job.fetch_many(job_ids, connection=connection)
        states = {}
        for timer_id, job in zip(timer_ids, jobs, strict=True):
            status = job.get_status(refresh=False) if job is not None else MISSING
            states[timer_id] = str(getattr(status, "value", status) or "created")
        return states
    except Exception:  # noqa: BLE001 - any Redis failure: the page shows "Redis 不可用"
        log.warning("console: cannot read RQ job states", exc_info=True)
        return None


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

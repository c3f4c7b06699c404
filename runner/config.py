"""Settings, read from the environment by prefix ``BANJIAN_`` (like Flask's ``from_prefixed_env``)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _default_database_url() -> str:
    return f"sqlite:///{ROOT / 'var' / 'banjian.sqlite3'}"


@dataclass(frozen=True)
class Settings:
    """Everything the runner needs to know about its surroundings."""

    database_url: str = field(default_factory=_default_database_url)
    redis_url: str = "redis://127.0.0.1:6379/0"
    queue_name: str = "banjian"
    timezone: str = "Asia/Shanghai"
    max_bpmn_bytes: int = 2 * 1024 * 1024
    # the task forms' JSON schemas (forms/schemas): a diagram's formKey must name one of them or a form
    # published in the console
    form_schema_dir: str = field(default_factory=lambda: str(ROOT / "forms" / "schemas"))
    script_time_limit: float = 1.0  # seconds a script or expression may run
    script_memory_limit_mb: int = 256  # address space of an evaluator process (RLIMIT_AS)
    script_evaluators: int = 1  # evaluator processes kept started per platform process
    sweep_horizon_seconds: int = 120  # the sweep makes sure timers due within this have a job
    sweep_interval_seconds: int = 60
    # timers first (runner.core.timers_first): while the workers fire timers due more than this many seconds ago,
    # at most ``steps_while_timers_behind`` completions and starts of items run at once (0: never held back)
    timers_behind_seconds: float = 0.5
    steps_while_timers_behind: int = 2
    # restored workflows kept per process for the next step of the same item (0: always read the row)
    workflow_cache_size: int = 128
    # finished person's steps kept in a long item's engine state above its open steps (退回 reaches back this
    # far; the older past is pruned so a step costs the same however old the item is: runner.core.spiff.pruning);
    # 0 keeps every task
    kept_steps: int = 8
    # statutory limit (working days) → most extension days (行政许可法 §42): "20:10,45:15"
    extension_caps_spec: str = "20:10,45:15"
    # how notifications leave the platform besides the in-app message centre: "log" | "smtp"
    notification_sender: str = "log"
    notification_log: str = field(default_factory=lambda: str(ROOT / "var" / "notifications.log"))
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "banjian@localhost"
    smtp_starttls: str = "no"  # "yes" to upgrade the connection with STARTTLS
    smtp_domain: str = "localhost"  # recipients without "@" (usernames, window codes) get this domain
    smtp_timeout: float = 10.0
    # from this day (MM-DD) until next year's holiday arrangement is known, admins are alarmed
    calendar_alarm_from: str = "11-01"
    # 好差评: working days the window at fault has to rectify a 差评, counted from the rating
    rectification_days: int = 15
    # 网上申报 (runner.online): hours an untouched draft is kept before it expires and its files are deleted,
    # minutes a one-time code stays valid, and the class passing text messages to phones ("" = the notification
    # sender above; "package.module:Class" = an SMS gateway, see README "Connecting an SMS gateway")
    online_draft_hours: int = 72
    otp_minutes: int = 10
    sms_sender: str = ""

    def extension_caps(self) -> dict[int, int]:
        """``extension_caps_spec`` as a mapping."""
        pairs = (part.split(":") for part in self.extension_caps_spec.split(",") if ":" in part)
        return {int(limit): int(cap) for limit, cap in pairs}

    def alarm_from(self) -> tuple[int, int]:
        """``calendar_alarm_from`` as (month, day); a malformed value falls back to 1 November."""
        try:
            month, day = (int(part) for part in self.calendar_alarm_from.strip().split("-"))
            date(2000, month, day)  # a leap year: 02-29 is a valid day to start from
        except ValueError:
            return (11, 1)
        return (month, day)

    @classmethod
    def from_env(cls, prefix: str = "BANJIAN_", **overrides: object) -> Settings:
        """Settings from ``BANJIAN_*`` variables (``DATABASE_URL`` and ``REDIS_URL`` also accepted bare)."""
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = os.environ.get(prefix + f.name.upper())
            if raw is None and f.name in ("database_url", "redis_url"):
                raw = os.environ.get(f.name.upper())
            if raw is None:
                continue
            typ = f.type if isinstance(f.type, type) else {"int": int, "float": float}.get(str(f.type), str)
            values[f.name] = typ(raw)
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

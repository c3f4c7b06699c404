"""The one clock: every "now" in the platform comes from here, so tests can move time.

``SystemClock`` is the real one. ``ManualClock`` is set by hand in tests.
``FileClock`` reads an offset from a small file so that separate processes
(an RQ worker under test) share a clock the test controls.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Current time, timezone-aware UTC."""
        ...


class SystemClock:
    """Real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to (tests)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = (start or datetime.now(UTC)).astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when.astimezone(UTC)

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now


class FileClock:
    """Real time plus an offset in seconds read from ``path`` (missing file: no offset)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def offset(self) -> timedelta:
        try:
            return timedelta(seconds=float(self.path.read_text().strip() or 0))
        except FileNotFoundError:
            return timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset()

    def set_offset(self, seconds: float) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(str(seconds))
        tmp.replace(self.path)


def clock_from_env() -> Clock:
    """``BANJIAN_CLOCK_FILE`` set: a FileClock (tests driving real processes); else real time."""
    path = os.environ.get("BANJIAN_CLOCK_FILE")
    return FileClock(path) if path else SystemClock()

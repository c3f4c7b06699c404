"""Date-times inside a text, written in the centre's local time: a message a diagram or the platform writes
says ``2026-12-09 23:59``, never the raw UTC ``2026-12-09T15:59:59+00:00`` it was computed as (issue 26)."""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})")


def local_times(text: str, zone: tzinfo) -> str:
    """``text`` with every ISO date-time that carries a zone written as local time in ``zone``
    (``2026-12-09 23:59``); date-times without a zone are left as they are."""

    def local(match: re.Match[str]) -> str:
        try:
            value = datetime.fromisoformat(match.group(0).replace("Z", "+00:00"))
        except ValueError:
            return match.group(0)
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    return ISO_TIME.sub(local, text)

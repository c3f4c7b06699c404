"""Date-times inside a message, in local time (runner/timekeeping/local_text.py)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from runner.timekeeping.local_text import local_times

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_a_zoned_date_time_is_written_in_local_time() -> None:
    text = "限时作出最终决定已超期（期限 2026-12-09T15:59:59+00:00）"
    assert local_times(text, SHANGHAI) == "限时作出最终决定已超期（期限 2026-12-09 23:59）"


def test_every_form_of_zone_is_read_and_a_date_time_without_one_is_left() -> None:
    text = "a 2026-10-08T16:00Z b 2026-10-09T09:30:00.123+0800 c 2026-10-09T09:30:00"
    assert local_times(text, SHANGHAI) == "a 2026-10-09 00:00 b 2026-10-09 09:30 c 2026-10-09T09:30:00"


def test_an_impossible_date_time_is_left_as_written() -> None:
    assert local_times("期限 2026-13-40T25:00+00:00", SHANGHAI) == "期限 2026-13-40T25:00+00:00"

"""The year end: a holiday arrangement for 2027 written for the tests (NOT the State Council's notice).

Hand-made so that its days are easy to count: 元旦 Fri 2027-01-01 .. Sun 01-03 off, a make-up working Saturday
01-09, 春节 Sat 02-06 .. Sun 02-14 off, make-up working Saturday 02-20. Weekends are implied.

Working days around the new year with it (December 2026 from chinesecalendar, no holiday in it)::

    Dec 2026: 21 22 23 24 25 | 28 29 30 31
    Jan 2027: 04 05 06 07 08 09(Sat, 班) | 11 12 13 14 15 | 18 19 20 21 22 | 25 …
"""

from __future__ import annotations

from typing import Any

import runner

TEST_2027 = """# 2027 年节假日安排（测试用，非国务院通知）
2027-01-01..2027-01-03 休 元旦
2027-01-09 班 元旦调休
2027-02-06..2027-02-14 休 春节
2027-02-20 班 春节调休
"""


def import_2027(services: runner.Services, actor: str = "admin") -> dict[str, Any]:
    with services.transaction() as s:
        return runner.import_arrangement(s, TEST_2027, actor=actor)


def needs_2027() -> bool:
    """True while the installed chinesecalendar does not know 2027 (these tests are about that gap)."""
    return not runner.BusinessCalendar().supports_year(2027)

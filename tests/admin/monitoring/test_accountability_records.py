"""The console's 问责记录 of an item (admin/monitoring/instance_detail.py): the window by name, the step the
window let lapse, the rule in words and the limit it missed, in local time — or what a pending limit waits for."""

from __future__ import annotations

import re
from typing import Any

import pytest

from runner.models import AccountabilityRecord
from tests.support.flow import advance_to, deploy_library, local
from tests.support.supervision import LIBRARY, joint_with_silent_guihua


def accountability_rows(html: str) -> list[list[str]]:
    section = html.split('id="instance-accountability"', 1)[1].split("</table>", 1)[0]
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", section, re.S)
        if "<td" in row
    ]


@pytest.fixture
def silent(services: Any, clock: Any, windows: Any, make_user: Any) -> int:
    deploy_library(services, *LIBRARY)
    iid = joint_with_silent_guihua(services)
    advance_to(services, clock, local("2026-10-09", "09:00"))
    make_user("sup", ("supervision", "supervisor"))
    return iid


def test_the_record_names_window_step_rule_and_limit(services: Any, silent: int, signed_in: Any) -> None:
    html = signed_in("sup").get(f"/admin/instance/{silent}/").get_data(as_text=True)
    assert accountability_rows(html) == [
        ["规划建设窗口", "默认议定", "超时未答复", "相关窗口同步审查", "2026-10-08 23:59", "2026-10-09 00:00"]
    ]


def test_a_pending_limit_says_what_it_waits_for(services: Any, silent: int, signed_in: Any) -> None:
    with services.transaction() as s:
        record = s.query(AccountabilityRecord).one()
        record.limit_at, record.task_name = None, None
        record.detail = {**record.detail, "limit_pending_year": 2027}
    rows = accountability_rows(signed_in("sup").get(f"/admin/instance/{silent}/").get_data(as_text=True))
    assert rows[0][3:5] == ["-", "待 2027 年节假日安排公布后确定"]

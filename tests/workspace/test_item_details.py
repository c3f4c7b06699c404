"""The workspace item page (workspace/item_details.py): steps past their limit are flagged 已超期, and windows
show by name everywhere on it (never their codes).

Clock: Mon 2026-09-28 09:00 Asia/Shanghai; National Day 10-01..10-07, make-up working day Sat 10-10.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.support.flow import advance_to, complete, deploy_library, describe, local, start_item, task

LIANSHEN = ("block_correction.bpmn", "block_refusal.bpmn", "lianban_lianshen.bpmn")
RONGQUE = ("block_correction.bpmn", "block_refusal.bpmn", "rongque.bpmn")


def overdue_steps(html: str) -> list[str]:
    """The names of the open steps the page flags 已超期."""
    rows = re.findall(r'<tr data-task="[^"]+"( class="overdue")?><td>([^<]*)</td>', html)
    return [name for flag, name in rows if flag]


def shown_codes(html: str, codes: list[str]) -> list[str]:
    """Window codes shown as a table cell or a fact (text of their own) on the page."""
    return [c for c in codes if re.search(rf">\s*{re.escape(c)}\s*<", html)]


@pytest.fixture
def page(services: Any, windows: list[tuple[str, str]], make_user: Any, signed_in: Any) -> Any:
    make_user("lead_clerk", ("guihua", "clerk"), ("centre", "clerk"))
    client = signed_in("lead_clerk")

    def get(iid: int) -> str:
        response = client.get(f"/items/{describe(services, iid)['business_key']}")
        assert response.status_code == 200
        return str(response.get_data(as_text=True))

    return get


def test_a_final_decision_past_its_limit_is_flagged(
    services: Any, clock: Any, windows: list[tuple[str, str]], page: Any
) -> None:
    deploy_library(services, *LIANSHEN)
    iid = start_item(services, "lianban_lianshen", {"lead_window": "guihua", "applicant": "某置业有限公司"})
    complete(
        services,
        task(services, iid, "accept")["id"],
        {"related_windows": ["guotu", "huanbao"], "materials_complete": True},
    )
    meeting = {"meeting_at": "2026-09-30T09:30:00+08:00", "place": "中心三楼会议室"}
    complete(
        services, task(services, iid, "schedule")["id"], {**meeting, "related_windows": ["guotu", "huanbao"]}
    )
    advance_to(services, clock, local("2026-09-30", "09:30"))
    minutes = {
        "attendance": ["guotu"],
        "opinions": {"guotu": {"result": "agree"}},
        "decided_on_spot": False,
        "memo": "需补充现场勘察后定",
        "final_decision_days": 3,
    }
    complete(services, task(services, iid, "meeting")["id"], minutes, actor="chair")
    assert task(services, iid, "decide")["due_at"] == "2026-10-10T15:59:59+00:00"  # Sat 10-10, make-up day

    advance_to(services, clock, local("2026-10-10", "17:00"))
    assert overdue_steps(page(iid)) == []  # the last day of the limit is still in time

    advance_to(services, clock, local("2026-10-11", "09:00"))
    html = page(iid)
    assert overdue_steps(html) == ["限时作出最终决定"]
    assert "已超期" in html
    # the absent window deemed to assent, the lead window, the 督办 step's window: all by name
    assert "环保窗口" in html and "规划建设窗口" in html
    records = html.split('id="item-accountability"', 1)[1].split("</table>", 1)[0]
    assert re.findall(
        r'<tr class="accountability"><td>([^<]*)</td><td>[^<]*</td><td>([^<]*)</td>', records
    ) == [("环保窗口", "召开联审会议（主办窗口主持）")]  # the absent window, and the step it missed
    assert shown_codes(html, [code for code, _ in windows]) == []


def test_a_tolerant_review_past_its_limit_is_flagged(
    services: Any, clock: Any, windows: list[tuple[str, str]], page: Any
) -> None:
    deploy_library(services, *RONGQUE)
    iid = start_item(services, "rongque", {"applicant": "某食品有限公司"})
    complete(services, task(services, iid, "accept")["id"], {"eligible": True, "materials_complete": True})
    commitment = {
        "supply_by": "2026-10-09",
        "secondary_materials": ["从业人员健康证明"],
        "commitment_signed": True,
    }
    complete(services, task(services, iid, "tolerance_commitment")["id"], commitment)
    assert task(services, iid, "review")["due_at"] == "2026-10-10T15:59:59+00:00"

    advance_to(services, clock, local("2026-10-10", "10:00"))
    html = page(iid)
    assert "审查" not in overdue_steps(html)

    advance_to(services, clock, local("2026-10-11", "09:00"))
    html = page(iid)
    assert "审查" in overdue_steps(html)
    assert shown_codes(html, [code for code, _ in windows]) == []

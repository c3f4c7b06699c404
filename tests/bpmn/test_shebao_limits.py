"""Social insurance limits as seed 003 states them: 缴费申报审核 ≤ 2 working days, 复查决定 ≤ 20, the township
office's 5 working days to the bank, and the pension transfer's 15 + 15 + 15 — none of them a §42 limit, so
none may be extended (``maxExtensionDays`` 0), while a §42 item still may.

Started Mon 2026-09-28 09:00 (National Day 10-01..10-07, make-up working Saturday 10-10):
2 wd → Wed 09-30; 5 wd → Sat 10-10 (09-29, 09-30, 10-08, 10-09, 10-10); 20 wd → Fri 10-30.
"""

from __future__ import annotations

import pytest

import runner
from tests.support.flow import complete, deploy_library, describe, start_item, task

LIBRARY = (
    "block_refusal.bpmn", "block_correction.bpmn", "shebao_declaration.bpmn", "shebao_reconsideration.bpmn",
    "nongbao_register.bpmn", "shebao_transfer.bpmn", "chengnuo.bpmn",
)  # fmt: skip


STEPS = {
    "shebao_declaration": ("accept", "review", "notify"),
    "nongbao_register": ("accept", "to_bank", "notify"),
    "shebao_reconsideration": ("accept", "review", "decide", "notify"),
}
DATA = {
    "accept": {"eligible": True, "materials_received": True},
    "review": {"review_opinion": "符合规定"},
    "to_bank": {"review_opinion": "已送邮储银行网点"},
    "decide": {"approved": True, "decision_no": "复字1"},
    "notify": {"delivery": "窗口领取"},
}


def extend(services, iid: int, days: int) -> None:
    with services.transaction() as s:
        runner.extend(s, iid, days, reason="需补充调查", requested_by="clerk", approved_by="head")


@pytest.mark.parametrize(
    ("key", "deadline", "window"),
    [
        ("shebao_declaration", "2026-09-30", "shebao"),
        ("nongbao_register", "2026-10-10", "township"),
        ("shebao_reconsideration", "2026-10-30", "shebao"),
    ],
)
def test_seed_003_limits_and_no_extension(services, key, deadline, window) -> None:
    deploy_library(services, *LIBRARY)
    iid = start_item(services, key, {"applicant": "某公司"})
    view = describe(services, iid)
    assert view["deadline"][:10] == deadline and view["statutory_deadline"] == view["deadline"]
    assert view["lead_window"] == window
    with pytest.raises(runner.InvalidInput) as err:
        extend(services, iid, 1)
    assert err.value.context["cap"] == 0
    # every step in the window, through to the applicant's notice, which ends the item
    for t in STEPS[key]:
        step = task(services, iid, t)
        assert step["window"] == window
        complete(services, step["id"], DATA.get(t, {}))
    assert describe(services, iid)["status"] == "completed"


def test_the_pension_transfer_is_not_a_section_42_joint_item(services) -> None:
    deploy_library(services, *LIBRARY)
    transfer = start_item(services, "shebao_transfer", {"applicant": "王五"})
    with pytest.raises(runner.InvalidInput) as err:
        extend(services, transfer, 15)
    assert err.value.context["cap"] == 0
    promised = start_item(services, "chengnuo", {"applicant": "张三"})  # statutory 20: §42 +10 still
    extend(services, promised, 10)
    assert describe(services, promised)["extension_days"] == 10

"""A month of items for the supervision tests, with figures worked out by hand.

The clock starts Mon 2026-09-28 09:00 Shanghai. National Day 10-01..10-07 is a holiday, Sat 10-10 a
make-up working day. Items (承诺件 chengnuo: lead window centre, 10 working days; 联办件 抄告制
lianban_chaogao: lead window shichang, 15 working days, related windows review within 3):

- A chengnuo, accepted Mon 09-28 09:00 → deadline end of Fri 10-16 (09-29, 09-30, 10-08, 10-09, 10-10,
  10-12 … 10-16); completed Tue 10-20 10:00: late, 2 working days late (10-19, 10-20);
  12 working days from 09-28 to 10-20; warnings 提示 at 00:00 Thu 10-15 and 黄牌 at the end of 10-16 (红牌, the
  end of the 3rd working day after, would be 10-21: A is done by then).
- C lianban_chaogao, accepted Mon 09-28 09:00 → deadline end of Fri 10-23; guotu and huanbao answer, guihua
  stays silent past the end of Thu 10-08 (3rd working day) → a deemed assent recorded against guihua on
  10-08 (local); completed Mon 10-12 10:00: on time, 6 working days (09-29, 09-30, 10-08, 10-09, 10-10, 10-12).
- B chengnuo, accepted Thu 10-08 09:00 → deadline end of Wed 10-21 (10-09, 10-10, 10-12 … 10-16,
  10-19, 10-20, 10-21); completed Fri 10-09 10:00: on time, 1 working day.
- D chengnuo, accepted Thu 10-08 09:30 → deadline end of Wed 10-21; still open at the end,
  Mon 10-26 10:00: overdue now, late 10-22, 10-23, 10-26 (3 working days); warnings 提示 at 00:00 Tue
  10-20 and 黄牌 at the end of Wed 10-21 (红牌 not before the end of Mon 10-26).

The warnings come from the default warning rules (提示 −1, 黄牌 0, 红牌 +3), seeded here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import runner
from tests.support.flow import advance_to, complete, deploy_library, local, start_item, task

LIBRARY = ("block_correction.bpmn", "block_refusal.bpmn", "chengnuo.bpmn", "lianban_chaogao.bpmn")


@dataclass(frozen=True)
class Month:
    a: int
    b: int
    c: int
    d: int


def _do(services: runner.Services, iid: int, name: str, data: dict[str, Any], **match: Any) -> None:
    complete(services, task(services, iid, name, **match)["id"], data)


def accept_chengnuo(services: runner.Services, iid: int) -> None:
    _do(services, iid, "accept", {"eligible": True, "materials_complete": True})
    _do(services, iid, "acceptance_notice", {"notice_no": "受字[2026]001号"})


def finish_chengnuo(services: runner.Services, iid: int) -> None:
    _do(services, iid, "review", {"needs_survey": False, "review_opinion": "符合条件"})
    _do(services, iid, "decide", {"approved": True, "decision_no": "许字[2026]001号"})
    _do(services, iid, "notify", {"delivery": "窗口领取"})


def joint_with_silent_guihua(services: runner.Services) -> int:
    """C accepted, guotu and huanbao answered; guihua's limit ends at the end of Thu 10-08 (the caller
    moves the clock past it with ``advance_to``, which records the deemed assent)."""
    iid = start_item(services, "lianban_chaogao", {"lead_window": "shichang", "applicant": "张三"})
    _do(
        services, iid, "accept",
        {"related_windows": ["guotu", "huanbao", "guihua"], "review_days": 3, "materials_complete": True,
         "materials_list": ["申请书", "营业执照"]},
    )  # fmt: skip
    _do(services, iid, "review", {"result": "agree"}, window="guotu")
    _do(services, iid, "review", {"result": "agree"}, window="huanbao")
    return iid


def finish_joint(services: runner.Services, iid: int) -> None:
    _do(services, iid, "consolidate", {"decision": "approve", "decision_reason": ""})
    _do(services, iid, "notify_applicant", {"result_doc_no": "LB-2026-001"})


def october(services: runner.Services, clock: runner.ManualClock) -> Month:
    """Build items A, B, C, D (see the module docstring); the clock ends at Mon 10-26 10:00.

    Every timer fires on the way: A and D get the rules' 提示 (the working day before the deadline)
    and 黄牌 (at the deadline) warnings, and the diagram's 督办 task for the supervision office; A's is closed
    right after A's last step, so A ends then.
    """
    deploy_library(services, *LIBRARY)
    with services.transaction() as s:
        runner.seed_warning_rules(s)
    a = start_item(services, "chengnuo", {"applicant": "甲"})
    accept_chengnuo(services, a)
    c = joint_with_silent_guihua(services)
    advance_to(services, clock, local("2026-10-08", "09:00"))
    b = start_item(services, "chengnuo", {"applicant": "乙"})
    advance_to(services, clock, local("2026-10-08", "09:30"))
    d = start_item(services, "chengnuo", {"applicant": "丁"})
    accept_chengnuo(services, b)
    accept_chengnuo(services, d)
    advance_to(services, clock, local("2026-10-09", "10:00"))
    finish_chengnuo(services, b)
    advance_to(services, clock, local("2026-10-12", "10:00"))
    finish_joint(services, c)
    advance_to(services, clock, local("2026-10-20", "10:00"))
    finish_chengnuo(services, a)
    _do(services, a, "supervision_review", {"overdue_reason": "审查人员出差", "measures": "约谈窗口负责人"})
    advance_to(services, clock, local("2026-10-26", "10:00"))
    return Month(a, b, c, d)

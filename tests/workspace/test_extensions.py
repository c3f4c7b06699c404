"""延期 in the workspace: a lead-window clerk asks, the head approves within the statutory cap (the
deadlines and the timers that follow them move) or refuses with a reason; the 延期告知书 is a numbered
document; anybody else gets 403 and nothing changes.

Clock: Mon 2026-09-28 09:00 Shanghai. ``review`` promises 5 working days: 09-29, 09-30, 10-08, 10-09 and
the make-up Saturday 10-10 → end of 10-10; 5 more: 10-12 … 10-16 → end of Fri 10-16.
"""

from __future__ import annotations

from html import unescape
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

import runner
from runner.models import AuditEntry, Notification
from tests.support.flow import describe

DATA = Path(__file__).resolve().parents[1] / "data"
PROMISED = "2026-10-10T15:59:59+00:00"
EXTENDED = "2026-10-16T15:59:59+00:00"
EXTENDED_YELLOW = "2026-10-16T16:00:00+00:00"  # the 黄牌 falls due once the extended deadline's day is over


@pytest.fixture
def item(services: runner.Services, make_user: Any) -> dict[str, Any]:
    make_user("sb1", ("shebao", "clerk"), name="社保甲")
    make_user("sbhead", ("shebao", "window_head"), name="社保科长")
    make_user("gt1", ("guotu", "clerk"), name="国土甲")
    make_user("gthead", ("guotu", "window_head"), name="国土科长")
    make_user("boss", ("leader", "leader"), name="中心领导")
    with services.transaction() as s:
        runner.seed_warning_rules(s)
        runner.deploy(s, (DATA / "review.bpmn").read_bytes(), "review.bpmn", actor="designer")
    with services.transaction() as s:
        instance = runner.start(s, "review", actor="sb1", data={"applicant": "张三", "statutory_days": 20})
        return {"id": instance.id, "business_key": instance.business_key}


def text(response: Any) -> str:
    return unescape(response.get_data(as_text=True))


def audit_count(services: runner.Services) -> int:
    with services.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def rule_timers(services: runner.Services, iid: int) -> list[str]:
    return sorted(t["due_at"] for t in describe(services, iid)["timers"] if t["status"] == "pending")


def test_request_approve_and_print_the_notice(services, item, signed_in) -> None:
    url = f"/items/{item['business_key']}/extension"
    sb1 = signed_in("sb1")
    assert describe(services, item["id"])["deadline"] == PROMISED
    timers_before = rule_timers(services, item["id"])
    page = text(sb1.get(url))
    assert "申请延期" in page and "最多还可延期 10 个工作日" in page  # §42: 20 days → +10

    for form, message in (
        ({"days": "0", "reason": "专家评审"}, "正整数"),
        ({"days": "x", "reason": "专家评审"}, "正整数"),
        ({"days": "3", "reason": " "}, "须写明理由"),
        ({"days": "11", "reason": "专家评审"}, "法定上限"),
    ):
        refused = sb1.post(url, data=form)
        assert refused.status_code == 400 and message in text(refused)
    assert sb1.post(url, data={"days": "5", "reason": "需组织专家评审"}).status_code == 302
    again = sb1.post(url, data={"days": "2", "reason": "再延"})
    assert again.status_code == 400 and "已有待审批" in text(again)
    assert describe(services, item["id"])["deadline"] == PROMISED  # asking changes nothing yet
    with services.transaction() as s:
        note = s.scalars(select(Notification).where(Notification.kind == "extension_requested")).one()
        assert note.to_window == "shebao"

    head = signed_in("sbhead")
    listing = text(head.get("/extensions"))
    assert "需组织专家评审" in listing and item["business_key"] in listing
    (request_id,) = [r["id"] for r in runner_requests(services, item["id"])]
    no_reason = head.post(f"/extensions/{request_id}/decide", data={"decision": "refuse", "note": ""})
    assert no_reason.status_code == 400 and "须写明理由" in text(no_reason)
    assert head.post(f"/extensions/{request_id}/decide", data={"decision": "approve"}).status_code == 302

    view = describe(services, item["id"])
    assert (view["deadline"], view["extension_days"]) == (EXTENDED, 5)
    assert rule_timers(services, item["id"]) != timers_before and EXTENDED_YELLOW in rule_timers(
        services, item["id"]
    )
    actions = [a["action"] for a in view["audit"]]
    assert (
        actions.index("extension_requested")
        < actions.index("extension")
        < actions.index("extension_approved")
    )
    page = text(sb1.get(url))
    assert "已批准" in page and "延期告知书" in page
    decided = head.post(f"/extensions/{request_id}/decide", data={"decision": "approve"})
    assert decided.status_code == 400 and "已处理" in text(decided)

    issued = sb1.post(f"/items/{item['business_key']}/documents/extension", follow_redirects=True)
    notice = text(issued)
    assert "延期告知书" in notice and "延字〔2026〕第000001号" in notice
    assert "需组织专家评审" in notice and "2026年10月16日" in notice and "第四十二条" in notice
    pdf = sb1.get(f"/items/{item['business_key']}/documents/extension.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert "Extension" in text(sb1.get(url + "?lang=en"))


def runner_requests(services: runner.Services, iid: int) -> list[dict[str, Any]]:
    with services.transaction() as s:
        return runner.extension_state(s, iid)["requests"]


def test_refusal_keeps_the_deadline_and_tells_the_clerk(services, item, signed_in) -> None:
    sb1 = signed_in("sb1")
    sb1.post(f"/items/{item['business_key']}/extension", data={"days": "3", "reason": "等待检测报告"})
    (request_id,) = [r["id"] for r in runner_requests(services, item["id"])]
    leader = signed_in("boss")  # the centre leader decides any item
    assert "等待检测报告" in text(leader.get("/extensions"))
    answer = leader.post(
        f"/extensions/{request_id}/decide", data={"decision": "refuse", "note": "可按期办结"}
    )
    assert answer.status_code == 302
    (row,) = runner_requests(services, item["id"])
    assert (row["status"], row["decided_by"], row["decision_note"]) == ("refused", "boss", "可按期办结")
    assert describe(services, item["id"])["deadline"] == PROMISED
    with services.transaction() as s:
        note = s.scalars(select(Notification).where(Notification.kind == "extension_decided")).one()
        assert note.to_user == "sb1" and "可按期办结" in note.message
    missing = sb1.get(f"/items/{item['business_key']}/documents/extension")
    assert "未批准延期" in text(missing)


@pytest.mark.parametrize(
    ("who", "step"),
    [
        ("gt1", "request"),  # another window's clerk may not ask
        ("gthead", "request"),
        ("sb1", "decide"),  # the asking window's clerk may not decide
        ("gthead", "decide"),  # another window's head may not decide
        ("gt1", "decide"),
    ],
)
def test_others_are_refused(services, item, signed_in, who, step) -> None:
    url = f"/items/{item['business_key']}/extension"
    if step == "decide":
        signed_in("sb1").post(url, data={"days": "2", "reason": "需现场勘察"})
    before = audit_count(services)
    client = signed_in(who)
    if step == "request":
        assert client.post(url, data={"days": "2", "reason": "x"}).status_code == 403
    else:
        (request_id,) = [r["id"] for r in runner_requests(services, item["id"])]
        assert (
            client.post(f"/extensions/{request_id}/decide", data={"decision": "approve"}).status_code == 403
        )
        assert "需现场勘察" not in text(client.get("/extensions"))
    assert audit_count(services) == before
    assert describe(services, item["id"])["deadline"] == PROMISED

"""The 联办通知 goes out with the review request (runner/papers/document_issuing.py): one numbered copy per related
window, dated that day, its reply-by date after it; a later issue by hand is a re-issue of the same copies.

Clock: Mon 2026-09-28 09:00 Asia/Shanghai; National Day 10-01..10-07, make-up working day Sat 10-10.
"""

from __future__ import annotations

from typing import Any

import pytest

from runner.core import engine
from runner.models import AuditEntry, Document, ProcessInstance
from runner.papers import document_issuing, documents
from tests.support.flow import complete, deploy_library, local, start_item, task
from tests.support.joint import FILES as CHAOGAO

LIANSHEN = ("block_correction.bpmn", "block_refusal.bpmn", "lianban_lianshen.bpmn")


def audit_actions(services: Any, iid: int, *actions: str) -> list[tuple[str, str]]:
    with services.transaction() as s:
        rows = s.query(AuditEntry).filter(AuditEntry.instance_id == iid, AuditEntry.action.in_(actions))
        return [(r.action, r.actor) for r in rows.order_by(AuditEntry.id)]


def joint_copies(services: Any, iid: int) -> list[dict[str, Any]]:
    with services.transaction() as s:
        return [documents.document_view(d) for d in documents.copies(s, iid, "joint")]


@pytest.fixture
def chaogao(services: Any) -> int:
    deploy_library(services, *CHAOGAO)
    iid = start_item(services, "lianban_chaogao", {"lead_window": "shichang", "applicant": "张三"})
    accept = {
        "related_windows": ["guotu", "huanbao"],
        "review_days": 3,
        "materials_complete": True,
        "materials_list": ["申请书", "营业执照"],
    }
    complete(services, task(services, iid, "accept")["id"], accept, actor="clerk_sc")
    return iid


def test_the_request_issues_one_numbered_notice_per_window(services: Any, chaogao: int) -> None:
    copies = joint_copies(services, chaogao)
    assert [(c["addressee"], c["number"]) for c in copies] == [
        ("guotu", "联字〔2026〕第000001号"),
        ("huanbao", "联字〔2026〕第000002号"),
    ]
    for copy in copies:
        content = copy["content"]
        assert copy["issued_by"] == "system" and copy["issued_at"] == local("2026-09-28", "09:00").isoformat()
        assert content["number"] == copy["number"] and content["addressee"]["code"] == copy["addressee"]
        # dated the day the request went out; the reply is due three working days later, after it
        assert (content["issued_date"], content["request_date"]) == ("2026-09-28", "2026-09-28")
        assert content["review_due"] == "2026-10-08" > content["issued_date"]
    assert [c["content"]["addressee"]["name"] for c in copies] == ["国土资源窗口", "环保窗口"]
    assert audit_actions(services, chaogao, "document_issued") == [("document_issued", "system")] * 2


def test_a_later_issue_by_hand_is_a_re_issue(services: Any, clock: Any, chaogao: int) -> None:
    first = joint_copies(services, chaogao)
    clock.set(local("2026-10-12", "10:00"))
    doc, again = services.run(document_issuing.issue_by_hand, chaogao, "joint", "clerk_sc")
    assert again is True
    after = joint_copies(services, chaogao)
    # the first issue is kept: same numbers, date, text; each copy records its re-issue
    assert [{k: c[k] for k in ("number", "issued_at", "content")} for c in after] == [
        {k: c[k] for k in ("number", "issued_at", "content")} for c in first
    ]
    assert [c["reissues"] for c in after] == [
        [{"at": local("2026-10-12", "10:00").isoformat(), "date": "2026-10-12", "by": "clerk_sc"}]
    ] * 2
    assert [c["number"] for c in doc["copies"]] == [c["number"] for c in first]
    with services.transaction() as s:
        assert s.query(Document).count() == 2
    assert audit_actions(services, chaogao, "document_reissued") == [("document_reissued", "clerk_sc")] * 2


def test_a_re_issue_needs_a_first_issue(services: Any, chaogao: int) -> None:
    with pytest.raises(documents.DocumentNotAvailable):
        services.run(document_issuing.reissue, chaogao, "acceptance", "clerk_sc")


def test_the_meeting_invitation_issues_the_notice_with_its_time_and_place(services: Any) -> None:
    deploy_library(services, *LIANSHEN)
    iid = start_item(services, "lianban_lianshen", {"lead_window": "guihua", "applicant": "某置业有限公司"})
    accept = {"related_windows": ["guotu", "huanbao"], "materials_complete": True}
    complete(services, task(services, iid, "accept")["id"], accept)
    assert joint_copies(services, iid) == []  # not before the request goes out
    schedule = {
        "meeting_at": "2026-09-30T09:30:00+08:00",
        "place": "中心三楼会议室",
        "related_windows": ["guotu", "huanbao", "guihua"],
    }
    complete(services, task(services, iid, "schedule")["id"], schedule)
    copies = joint_copies(services, iid)
    assert [c["addressee"] for c in copies] == ["guotu", "huanbao"]  # not the lead window itself
    content = copies[0]["content"]
    assert (content["mode"], content["meeting_at"], content["place"]) == (
        "联审制",
        "2026-09-30T09:30:00+08:00",
        "中心三楼会议室",
    )
    assert content["issued_date"] == "2026-09-28"


def test_a_diagram_asking_for_a_notice_the_item_cannot_have_yet_is_told_in_the_audit(
    services: Any, chaogao: int
) -> None:
    with services.transaction() as s:
        instance = s.get(ProcessInstance, chaogao)
        document_issuing.issue_on_request(s, instance, engine.load(s, instance), "completion")
        document_issuing.issue_on_request(s, instance, engine.load(s, instance), "no_such_kind")
    assert audit_actions(services, chaogao, "document_not_issued") == [("document_not_issued", "system")] * 2

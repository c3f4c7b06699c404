"""四眼原则 in 差评整改 (bpmn/rectification.bpmn): 无效差评, 无法整改 and the extension are approved by someone
other than the person who verified, proposed or asked; the approver and the reason go in the record and the
audit. Clock and calendar as in ``test_rectification``."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

import runner
from runner.applicants import rectification
from runner.items.four_eyes import SamePerson
from runner.models import AuditEntry, Rectification, Role
from runner.people import directory
from tests.bpmn.test_rectification import item, rate  # noqa: F401 - the fixture is used by name
from tests.support.flow import complete, describe, task, tasks


def record(services: Any, rating_id: int) -> tuple[Rectification, list[tuple[str, dict[str, Any]]]]:
    """The stored row (no sync) and the audit of its approvals."""
    with services.transaction() as s:
        row = rectification.for_rating(s, rating_id)
        assert row is not None
        s.expunge(row)
        entries = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "rectification_approval").order_by(AuditEntry.id)
        )
        return row, [(e.actor, e.detail) for e in entries]


def refused(
    services: Any, task_id: str, data: dict[str, Any], actor: str, on_behalf_of: str | None = None
) -> str:
    with pytest.raises(SamePerson) as caught, services.transaction() as s:
        runner.complete(s, task_id, data, actor=actor, on_behalf_of=on_behalf_of)
    assert caught.value.code == "four_eyes" and caught.value.http_status == 403
    return caught.value.message


def test_an_invalid_rating_is_approved_by_someone_other_than_the_verifier(services, clock, item):  # noqa: F811
    rating_id, iid = rate(services, item, level="not_satisfied", comment="随便打的")
    complete(services, task(services, iid, "verify")["id"],
             {"verdict": "malicious", "window": "shichang", "verify_note": "与办件无关"}, "sup_a")  # fmt: skip
    approve = task(services, iid, "approve_invalid")
    decision = {"dismissal_approved": True, "dismissal_reason": "录像显示服务规范"}
    message = refused(services, approve["id"], decision, "sup_a")
    assert "四眼原则" in message and "sup_a" in message and "four eyes" in message
    assert "督查股审批无效差评" in message
    refused(services, approve["id"], decision, "sup_b", on_behalf_of="sup_a")  # nor anyone acting for them
    assert task(services, iid, "approve_invalid")["id"] == approve["id"]  # nothing written
    assert record(services, rating_id)[0].state == "verifying"

    complete(services, approve["id"], decision, "sup_b")
    row, audited = record(services, rating_id)
    assert row.state == "invalid"
    assert [(a["kind"], a["approved"], a["by"], a["reason"]) for a in row.approvals] == [
        ("invalid", True, "sup_b", "录像显示服务规范")
    ]
    assert [(actor, d["kind"], d["approved"], d["reason"]) for actor, d in audited] == [
        ("sup_b", "invalid", True, "录像显示服务规范")
    ]
    assert describe(services, iid)["data"]["verified_by"] == "sup_a"


def test_a_refusal_is_kept_and_the_next_verifier_is_barred_in_turn(services, clock, item):  # noqa: F811
    rating_id, iid = rate(services, item, level="not_satisfied")
    complete(services, task(services, iid, "verify")["id"],
             {"verdict": "unfounded", "window": "shichang", "verify_note": "不属实"}, "sup_a")  # fmt: skip
    complete(services, task(services, iid, "approve_invalid")["id"],
             {"dismissal_approved": False, "dismissal_reason": "证据不足"}, "sup_b")  # fmt: skip
    complete(services, task(services, iid, "verify")["id"],
             {"verdict": "unfounded", "window": "shichang", "verify_note": "补充录像"}, "sup_b")  # fmt: skip
    again = task(services, iid, "approve_invalid")
    refused(services, again["id"], {"dismissal_approved": True, "dismissal_reason": "录像"}, "sup_b")
    complete(services, again["id"], {"dismissal_approved": True, "dismissal_reason": "录像"}, "sup_a")
    row, audited = record(services, rating_id)
    assert [(a["approved"], a["by"], a["reason"]) for a in row.approvals] == [
        (False, "sup_b", "证据不足"),
        (True, "sup_a", "录像"),
    ]
    assert [(actor, d["approved"]) for actor, d in audited] == [("sup_b", False), ("sup_a", True)]


def test_cannot_rectify_is_approved_by_someone_other_than_the_proposer(services, clock, item):  # noqa: F811
    rating_id, iid = rate(services, item)
    complete(services, task(services, iid, "verify")["id"],
             {"verdict": "founded", "window": "shichang", "verify_note": "属实"}, "sup_a")  # fmt: skip
    complete(services, task(services, iid, "propose")["id"],
             {"plan": "", "cannot_rectify": True, "unable_reason": "法规所限"}, "clerk_sc")  # fmt: skip
    approve = task(services, iid, "approve_unable")
    decision = {"unable_approved": True, "unable_decision": "属政策限制，同意"}
    assert "clerk_sc" in refused(services, approve["id"], decision, "clerk_sc")
    complete(services, approve["id"], decision, "sup_a")  # the verifier may: they did not propose it
    row, audited = record(services, rating_id)
    assert row.state == "unable"
    assert [(a["kind"], a["by"], a["reason"]) for a in row.approvals] == [
        ("unable", "sup_a", "属政策限制，同意")
    ]
    assert [actor for actor, _ in audited] == ["sup_a"]


def test_the_extension_is_approved_by_someone_other_than_the_requester(services, clock, item):  # noqa: F811
    rating_id, iid = rate(services, item)
    complete(services, task(services, iid, "verify")["id"],
             {"verdict": "founded", "window": "shichang", "verify_note": "属实"}, "sup_a")  # fmt: skip
    complete(services, task(services, iid, "propose")["id"], {"plan": "整改"}, "clerk_sc")
    complete(services, task(services, iid, "leader_approve")["id"],
             {"plan_approved": True, "instruction": "同意"}, "leader")  # fmt: skip
    complete(services, task(services, iid, "rectify")["id"],
             {"request_extension": True, "extension_days": 2, "extension_reason": "需上级配合"}, "sc_head")  # fmt: skip
    approve = task(services, iid, "approve_extension")
    decision = {"extension_approved": True, "extension_decision": "同意延期2个工作日"}
    refused(services, approve["id"], decision, "sc_head")
    assert describe(services, iid)["deadline"] == "2026-10-23T15:59:59+00:00"  # not moved
    complete(services, approve["id"], decision, "sup_a")
    row, audited = record(services, rating_id)
    assert row.due_at is not None and row.due_at.isoformat() == "2026-10-27T15:59:59+00:00"
    assert [(a["kind"], a["approved"], a["by"], a["reason"]) for a in row.approvals] == [
        ("extension", True, "sup_a", "同意延期2个工作日")
    ]
    assert [(actor, d["kind"]) for actor, d in audited] == [("sup_a", "extension")]
    assert "approve_extension" not in [t["spec_name"] for t in tasks(services, iid)]


def test_the_verifier_cannot_claim_the_approval_either(services, clock, item):  # noqa: F811
    _, iid = rate(services, item, level="not_satisfied")
    complete(services, task(services, iid, "verify")["id"],
             {"verdict": "malicious", "window": "shichang", "verify_note": "恶意"}, "sup_a")  # fmt: skip
    approve = task(services, iid, "approve_invalid")
    with pytest.raises(SamePerson), services.transaction() as s:
        runner.claim(s, approve["id"], actor="sup_a")
    assert task(services, iid, "approve_invalid")["assignee"] is None
    with services.transaction() as s:
        runner.claim(s, approve["id"], actor="sup_b")
    assert task(services, iid, "approve_invalid")["assignee"] == "sup_b"


def test_an_approval_cannot_be_handed_to_the_person_it_bars(services, clock, item):  # noqa: F811
    """转办 / 改派 check the four eyes too: the verifier cannot be given the approval of their own verdict."""
    rating_id, iid = rate(services, item, level="not_satisfied", comment="随便打的")
    complete(services, task(services, iid, "verify")["id"],
             {"verdict": "malicious", "window": "shichang", "verify_note": "与办件无关"}, "sup_a")  # fmt: skip
    approve = task(services, iid, "approve_invalid")
    with services.transaction() as s:  # reassign hands tasks to known users only
        for name in ("sup_a", "sup_b"):
            directory.create_user(s, name, name, "sup-Pass1word", [("supervision", Role.SUPERVISOR)])
    with pytest.raises(SamePerson) as caught, services.transaction() as s:
        runner.reassign(s, approve["id"], actor="sup_b", assignee="sup_a")
    assert (
        "不能把「督查股审批无效差评」交给 sup_a" in caught.value.message
        and "four eyes" in caught.value.message
    )
    assert task(services, iid, "approve_invalid")["assignee"] is None  # nothing written
    with services.transaction() as s:
        assert runner.reassign(s, approve["id"], actor="sup_a", assignee="sup_b").assignee == "sup_b"

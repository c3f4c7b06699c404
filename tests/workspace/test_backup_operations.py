"""AB岗 through the clerk operations: while sb1 is away, the backup sb2 may do with sb1's steps what sb1
could (委派, 委派意见, 转办, 退回, 撤回), each recorded ``on_behalf_of`` sb1; a colleague who does not
cover sb1 is refused (403) and nothing changes."""

from __future__ import annotations

from datetime import timedelta
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

import runner
from runner.models import AuditEntry
from runner.people import directory
from tests.support.flow import tasks

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture
def item(services: runner.Services, make_user: Any) -> dict[str, Any]:
    """A ``review`` item whose 受理 sb1 completed; its 决定 step is claimed by sb1, who is now away."""
    make_user("sb1", ("shebao", "clerk"), name="社保甲")
    make_user("sb2", ("shebao", "clerk"), name="社保乙（B岗）")
    make_user("sb3", ("shebao", "clerk"), name="社保丙")
    make_user("sbhead", ("shebao", "window_head"), name="社保科长")
    make_user("gt1", ("guotu", "clerk"), name="国土甲")
    with services.transaction() as s:
        runner.deploy(s, (DATA / "review.bpmn").read_bytes(), "review.bpmn", actor="designer")
    with services.transaction() as s:
        iid = runner.start(s, "review", actor="sb1", data={"applicant": "张三"}).id
    (accept,) = tasks(services, iid)
    with services.transaction() as s:
        runner.complete(s, accept["id"], {"complete": True}, actor="sb1")
    (decide,) = tasks(services, iid)
    with services.transaction() as s:
        runner.claim(s, decide["id"], actor="sb1")
        now = services.now()
        directory.mark_absent(s, "sb1", "sb2", now, now + timedelta(days=3), "年休假", actor="sbhead")
    return {"id": iid, "accept": accept["id"], "decide": decide["id"]}


def last(services: runner.Services, action: str) -> AuditEntry:
    with services.transaction() as s:
        entry = s.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id.desc())
        ).first()
        assert entry is not None, action
        s.expunge(entry)
        return entry


def audit_count(services: runner.Services) -> int:
    with services.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def the_task(services: runner.Services, iid: int) -> dict[str, Any]:
    (task,) = tasks(services, iid)
    return task


def test_backup_delegates_and_transfers_for_the_absent_clerk(services, item, signed_in) -> None:
    url = f"/tasks/{item['decide']}/delegate"
    sb3 = signed_in("sb3")  # same window, but sb1's claimed step is not sb3's to delegate
    assert sb3.get(url).status_code == 403
    assert sb3.post(url, data={"to_user": "gt1", "note": "x"}).status_code == 403
    sb2 = signed_in("sb2")
    page = unescape(sb2.get(f"/tasks/{item['decide']}").get_data(as_text=True))
    assert "委派" in page  # the backup is offered the absent clerk's operations
    assert sb2.post(url, data={"to_user": "gt1", "note": "请核对地籍"}).status_code == 302
    entry = last(services, "delegate")
    assert (entry.actor, entry.on_behalf_of) == ("sb2", "sb1")
    assert the_task(services, item["id"])["assignee"] == "gt1"

    # the delegate answers; the task comes back to sb1 (whom sb2 still covers)
    assert (
        signed_in("gt1").post(f"/tasks/{item['decide']}/delegation", data={"opinion": "地籍无误"}).status_code
        == 302
    )
    assert the_task(services, item["id"])["assignee"] == "sb1"

    assert (
        sb2.post(
            f"/tasks/{item['decide']}/transfer", data={"to_user": "sb3", "reason": "sb1 休假"}
        ).status_code
        == 302
    )
    entry = last(services, "reassign")
    assert (entry.actor, entry.on_behalf_of, entry.detail["after"]["assignee"]) == ("sb2", "sb1", "sb3")


def test_backup_answers_a_delegation_for_the_absent_delegate(services, item, signed_in) -> None:
    with services.transaction() as s:  # before going away, sb1 had been asked for an opinion by sb3
        runner.reassign(s, item["decide"], actor="sbhead", assignee="sb3")
        runner.delegate(s, item["decide"], actor="sb3", to_user="sb1", note="请提意见")
    url = f"/tasks/{item['decide']}/delegation"
    assert signed_in("gt1").post(url, data={"opinion": "x"}).status_code == 403
    assert signed_in("sb2").post(url, data={"opinion": "同意（代 sb1）"}).status_code == 302
    entry = last(services, "delegation_answered")
    assert (entry.actor, entry.on_behalf_of) == ("sb2", "sb1")
    assert the_task(services, item["id"])["assignee"] == "sb3"


def test_backup_sends_back_the_absent_clerks_step(services, item, signed_in) -> None:
    url = f"/tasks/{item['decide']}/send-back"
    form = {"to_task_id": item["accept"], "reason": "材料需重新核对"}
    before = audit_count(services)
    assert signed_in("gt1").post(url, data=form).status_code == 403
    assert audit_count(services) == before
    assert signed_in("sb2").post(url, data=form).status_code == 302
    entry = last(services, "send_back")
    assert (entry.actor, entry.on_behalf_of) == ("sb2", "sb1")
    assert the_task(services, item["id"])["spec_name"] == "accept"


def test_backup_withdraws_the_absent_clerks_step(services, item, signed_in) -> None:
    with services.transaction() as s:  # the next step must be untouched for 撤回
        runner.unclaim(s, item["decide"], actor="sb1")
    url = f"/done/{item['accept']}/withdraw"
    before = audit_count(services)
    assert signed_in("sb3").post(url).status_code == 403  # not sb1's backup
    assert audit_count(services) == before
    sb2 = signed_in("sb2")
    done = unescape(sb2.get("/done").get_data(as_text=True))
    assert "代 sb1" in done  # sb1's steps are listed for the backup
    assert sb2.post(url).status_code == 302
    entry = last(services, "withdraw")
    assert (entry.actor, entry.on_behalf_of) == ("sb2", "sb1")
    assert the_task(services, item["id"])["spec_name"] == "accept"


def test_the_cover_ends_with_the_absence(services, item, signed_in, clock) -> None:
    clock.set(clock.now() + timedelta(days=4))
    sb2 = signed_in("sb2")
    assert sb2.post(f"/tasks/{item['decide']}/delegate", data={"to_user": "gt1"}).status_code == 403
    assert the_task(services, item["id"])["assignee"] == "sb1"

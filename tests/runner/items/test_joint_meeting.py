"""联审制 (issue 26): invited windows are told, reply before the meeting, and are told of the minutes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

import runner
from runner.items.clerk import do_meeting_reply
from runner.items.joint_meeting import meeting_view, reply
from runner.items.permissions import Who
from runner.models import Notification
from tests.support.flow import advance_to, complete, deploy_library, describe, local, start_item, task

FILES = ("block_correction.bpmn", "block_refusal.bpmn", "lianban_lianshen.bpmn")
MEETING_AT = "2026-09-30T09:30:00+08:00"


def scheduled(services: Any) -> int:
    deploy_library(services, *FILES)
    iid = start_item(services, "lianban_lianshen", {"lead_window": "guihua", "applicant": "某置业有限公司"})
    complete(
        services, task(services, iid, "accept")["id"],
        {"related_windows": ["guotu", "huanbao", "shichang"], "materials_complete": True,
         "materials_list": ["申请书", "宗地图"]},
    )  # fmt: skip
    complete(
        services, task(services, iid, "schedule")["id"],
        {"meeting_at": MEETING_AT, "place": "中心三楼会议室", "related_windows": ["guotu", "huanbao", "shichang"],
         "materials_to_bring": ["宗地图原件"]},
    )  # fmt: skip
    return iid


def notes(services: Any, kind: str) -> list[Notification]:
    with services.transaction() as s:
        rows = list(
            s.scalars(select(Notification).where(Notification.kind == kind).order_by(Notification.id))
        )
        s.expunge_all()
    return rows


def test_each_invited_window_gets_the_invitation_in_local_time(services, clock):
    scheduled(services)
    invitations = notes(services, "meeting_invitation")
    assert [n.to_window for n in invitations] == ["guotu", "huanbao", "shichang"]
    text = invitations[0].message
    for part in ("2026-09-30 09:30", "中心三楼会议室", "申请书、宗地图", "确认出席或提交书面意见"):
        assert part in text, text
    assert "T09:30" not in text


def test_replies_reach_the_chair_and_a_written_opinion_stands_for_an_absent_window(services, clock):
    iid = scheduled(services)
    with services.transaction() as s:
        reply(s, iid, "guotu", actor="guotu_clerk", attending=True)
        reply(s, iid, "huanbao", actor="huanbao_clerk", attending=False, result="agree_with_conditions",
              conditions="落实环评批复要求")  # fmt: skip
    with services.transaction() as s, pytest.raises(runner.InvalidInput):
        reply(s, iid, "shichang", actor="shichang_clerk", attending=False)  # neither there nor written
    with services.transaction() as s, pytest.raises(runner.InvalidInput):
        reply(s, iid, "minzheng", actor="minzheng_clerk", attending=True)  # not invited
    assert [n.to_window for n in notes(services, "meeting_reply")] == ["guihua", "guihua"]
    data = describe(services, iid)["data"]
    assert data["meeting_confirmed"] == ["guotu"]
    assert data["meeting_replies"]["huanbao"]["conditions"] == "落实环评批复要求"

    advance_to(services, clock, local("2026-09-30", "09:30"))
    with services.transaction() as s, pytest.raises(runner.TaskNotReady):
        reply(s, iid, "shichang", actor="shichang_clerk", attending=True)  # too late
    complete(
        services, task(services, iid, "meeting")["id"],
        {"attendance": ["guotu"], "opinions": {"guotu": {"result": "agree"}}, "decided_on_spot": True,
         "decision": "approve", "minutes": "一致同意"},
    )  # fmt: skip
    view = describe(services, iid)
    opinions = view["data"]["opinions"]
    assert opinions["huanbao"]["result"] == "agree_with_conditions"  # the written opinion, not absent
    assert opinions["shichang"]["rule"] == "absent"
    assert [(a["window"], a["rule"]) for a in view["accountability"]] == [("shichang", "absent")]
    assert [n.to_window for n in notes(services, "meeting_minutes")] == ["guotu", "huanbao", "shichang"]
    (deemed,) = notes(services, "deemed_assent")
    assert deemed.to_window == "shichang" and "缺席" in deemed.message and "问责" in deemed.message
    with services.transaction() as s:
        meeting = meeting_view(s, runner.get_instance(s, iid))
    assert meeting is not None and meeting["held"] and meeting["minutes"]["minutes"] == "一致同意"


def test_only_a_member_of_the_invited_window_replies_for_it(services, clock):
    """The clerk operation (runner.items.clerk.do_meeting_reply) checks the permission table first."""
    iid = scheduled(services)
    guotu = Who("guotu_clerk", frozenset({"guotu"}))
    with services.transaction() as s, pytest.raises(runner.PermissionDenied):
        do_meeting_reply(s, guotu, runner.get_instance(s, iid), window="huanbao", attending=True, result=None)
    with services.transaction() as s:
        do_meeting_reply(s, guotu, runner.get_instance(s, iid), window="guotu", attending=True, result=None)
    assert describe(services, iid)["data"]["meeting_confirmed"] == ["guotu"]

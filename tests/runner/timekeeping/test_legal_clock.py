"""The legal clock: statutory and promised limits, extensions within the caps, §32, warning replies."""

from __future__ import annotations

import pytest

import runner
from tests.runner.helpers import actions, complete, deploy_file, describe, start, the_task


def test_statutory_and_promised_deadlines_and_capped_extensions(services):
    deploy_file(services, "review.bpmn")
    iid = start(services, "review", data={"statutory_days": 20})
    view = describe(services, iid)
    # from Mon 28 Sep: promised 5 wd → Sat 10 Oct (make-up day); statutory 20 wd → Fri 30 Oct (make-up Sat 10 Oct counts)
    assert view["deadline"] == "2026-10-10T15:59:59+00:00"
    assert view["statutory_deadline"] == "2026-10-30T15:59:59+00:00"
    with pytest.raises(runner.InvalidInput, match="reason|理由"), services.transaction() as s:
        runner.extend(s, iid, 5, reason="", requested_by="clerk", approved_by="head")
    with services.transaction() as s:
        runner.extend(s, iid, 6, reason="需专家评审", requested_by="clerk", approved_by="head")
    view = describe(services, iid)
    assert view["extension_days"] == 6
    assert view["deadline"] == "2026-10-19T15:59:59+00:00"  # 10 Oct + 6 wd: 12..16, 19 Oct
    assert view["statutory_deadline"] == "2026-11-09T15:59:59+00:00"
    with pytest.raises(runner.InvalidInput, match="10") as err, services.transaction() as s:
        runner.extend(s, iid, 5, reason="再延", requested_by="clerk", approved_by="head")  # 6 + 5 > 10
    assert err.value.context["cap"] == 10
    with services.transaction() as s:
        runner.extend(s, iid, 4, reason="再延", requested_by="clerk", approved_by="head")  # exactly the cap
    assert actions(services, iid).count("extension") == 2


def test_joint_items_may_extend_by_fifteen(services):
    deploy_file(services, "joint.bpmn")
    iid = start(services, "joint_test", data={"lead_window": "shebao", "statutory_days": 45})
    with services.transaction() as s:
        runner.extend(s, iid, 15, reason="联合审查", requested_by="clerk", approved_by="leader")
    with pytest.raises(runner.InvalidInput), services.transaction() as s:
        runner.extend(s, iid, 1, reason="再延", requested_by="clerk", approved_by="leader")


def test_section_32_late_correction_notice_counts_as_accepted(services, clock):
    deploy_file(services, "clock.bpmn")
    on_time = start(services, "clock_test")
    late = start(services, "clock_test")
    complete(services, the_task(services, on_time, "accept")["id"], {"materials_complete": False})
    clock.set(clock.now().replace(month=10, day=12))  # 28 Sep → 12 Oct: 29, 30, 8, 9, 10, 12 = 6 wd
    complete(services, the_task(services, late, "accept")["id"], {"materials_complete": False})
    assert describe(services, on_time)["accepted_on_receipt"] is False
    view = describe(services, late)
    assert view["accepted_on_receipt"] is True
    # the item was also past its promised deadline (8 Oct) when the notice finally went out
    assert sorted((w["rule"], w["level"]) for w in view["warnings"]) == [
        ("diagram", "overdue"),
        ("行政许可法§32", "red"),
    ]
    [warning] = [w for w in view["warnings"] if w["level"] == "red"]
    assert "accepted_on_receipt" in actions(services, late)
    with services.transaction() as s:
        runner.acknowledge_warning(s, warning["id"], actor="clerk", reply="已说明原因并整改")
    with pytest.raises(runner.InstanceNotActive), services.transaction() as s:
        runner.acknowledge_warning(s, warning["id"], actor="clerk", reply="again")
    assert [w["reply"] for w in describe(services, late)["warnings"] if w["level"] == "red"] == [
        "已说明原因并整改"
    ]

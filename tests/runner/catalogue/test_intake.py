"""The counter's decision and 补正材料已收到 as clerk operations (runner/catalogue/intake.py through
runner/items/clerk.py): the permission table's "intake" rule, and the decisions refused before any step moves."""

from __future__ import annotations

from typing import Any

import pytest

import runner
from runner.catalogue import applications, items
from runner.catalogue.intake import ACCEPT, NOTIFY, REFUSE, Decision, DecisionRefused, acceptance_step
from runner.items.clerk import do_intake_decision, do_receive_materials
from runner.items.permissions import Who
from tests.support.catalogue import demo


def who(username: str, window: str, *roles: str) -> Who:
    return Who(username, frozenset({window}), frozenset(roles))


def steps_taken(calls: list[tuple[str, dict[str, Any]]]) -> Any:
    """A ``complete`` that records what it was asked (a refused decision asks nothing)."""
    return lambda task_id, values: calls.append((task_id, values))


@pytest.fixture
def item(services, library) -> runner.ProcessInstance:
    with services.transaction() as s:
        items.save_item(s, demo("SC-001"), actor="admin")  # received at shichang
        return applications.start_item(s, "SC-001", actor="clerk", data={"applicant": "张三"})


@pytest.mark.parametrize(
    ("person", "may"),
    [
        (who("sc", "shichang", "clerk"), True),
        (who("sc_head", "shichang", "window_head"), True),
        (who("root", "centre", "admin"), True),
        (who("gt", "guotu", "clerk"), False),  # another window's counter
        (who("boss", "shichang", "leader"), False),  # of the window, but not at its counter
    ],
)
def test_only_the_counter_of_the_items_window_decides_on_it(services, item, person, may):
    calls: list[tuple[str, dict[str, Any]]] = []
    refusal = Decision(REFUSE, [], reason="")  # refused for its missing reason once the rule lets it through
    with services.transaction() as s:
        instance = runner.get_instance(s, item.id)
        expected = DecisionRefused if may else runner.PermissionDenied
        with pytest.raises(expected):
            do_intake_decision(s, person, instance, refusal, complete=steps_taken(calls))
        with pytest.raises(DecisionRefused if may else runner.PermissionDenied):
            do_receive_materials(s, person, instance, ["食品安全管理制度"], complete=steps_taken(calls))
    assert calls == []


@pytest.mark.parametrize(
    ("decision", "message"),
    [
        (Decision("maybe", []), "请选择"),
        (Decision(NOTIFY, []), "没有缺少的材料"),
        (Decision(ACCEPT, ["食品安全管理制度"]), "必要材料不齐"),
        (Decision(REFUSE, [], reason="  "), "须写明理由"),
    ],
)
def test_a_decision_that_cannot_be_taken_moves_no_step(services, item, decision, message):
    calls: list[tuple[str, dict[str, Any]]] = []
    with services.transaction() as s:
        instance = runner.get_instance(s, item.id)
        with pytest.raises(DecisionRefused, match=message):
            do_intake_decision(
                s, who("sc", "shichang", "clerk"), instance, decision, complete=steps_taken(calls)
            )
        assert acceptance_step(s, instance) is not None
    assert calls == []


def test_materials_are_received_only_while_the_item_waits_for_them(services, item):
    with services.transaction() as s:
        instance = runner.get_instance(s, item.id)
        with pytest.raises(DecisionRefused, match="没有在等待补正材料"):
            do_receive_materials(s, who("sc", "shichang", "clerk"), instance, ["x"], complete=steps_taken([]))


def test_tolerated_materials_supplied_later_turn_received_on_the_counters_record(services, clock):
    """副件已补齐 on a 容缺 item registered at the counter: the record's 容缺后补 material turns received (with the
    time given and the clerk), and the acceptance papers stop listing it as owed; the record keeps what it was."""
    from runner.items.clerk import do_record_supplied
    from runner.models import AuditEntry, ItemApplication
    from runner.papers.documents import materials_as_received
    from tests.support import flow

    flow.deploy_library(services, "block_correction.bpmn", "block_refusal.bpmn", "rongque.bpmn")
    owed = "食品安全管理人员健康证明"
    with services.transaction() as s:
        items.save_item(s, demo("SC-001") | {"process": "rongque"}, actor="admin")
        names = [m["name"] for m in demo("SC-001")["materials"]]
        intake = applications.Intake(
            applications.Applicant("张三", "11010519491231002X", "13800001234"),
            [applications.MaterialState(n) for n in names if n != owed]
            + [applications.MaterialState(owed, applications.TOLERATED, flow.local("2026-10-09").date())],
        )
        iid = applications.start_item(s, "SC-001", actor="sc", intake=intake).id
    flow.complete(
        services, flow.task(services, iid, "accept")["id"], {"eligible": True, "materials_complete": True}
    )
    commitment = {"supply_by": "2026-10-09", "secondary_materials": [owed], "commitment_signed": True}
    flow.complete(services, flow.task(services, iid, "tolerance_commitment")["id"], commitment)
    arrived_at = flow.local("2026-09-29", "10:00")
    clock.set(flow.local("2026-09-30", "09:00"))
    with services.transaction() as s:
        instance = runner.get_instance(s, iid)
        assert materials_as_received(s, instance, {"item_code": "SC-001"})["tolerated"]
        do_record_supplied(
            s, who("sc", "shichang", "clerk"), instance, materials=[owed], supplied_at=arrived_at
        )
    with services.transaction() as s:
        state = next(m for m in s.get(ItemApplication, iid).materials if m["name"] == owed)
        assert (state["status"], state["was"], state["via"]) == ("received", "tolerated", "tolerated")
        assert state["received_at"] == arrived_at.isoformat() and state["received_by"] == "sc"
        assert state["due"] == "2026-10-09"  # the promise stays on the record
        listed = materials_as_received(s, runner.get_instance(s, iid), {"item_code": "SC-001"})
        assert owed in listed["materials"] and listed["tolerated"] == [] and listed["not_received"] == []
        assert s.query(AuditEntry).filter_by(instance_id=iid, action="materials_arrived").count() == 1

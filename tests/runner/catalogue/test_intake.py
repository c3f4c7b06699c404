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

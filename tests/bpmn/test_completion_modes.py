"""会签 completion modes (``completionMode`` on a multi-instance activity, runner.core.conventions) on the real
joint-review block of bpmn/lianban_chaogao.bpmn: every window (the default), any one, in order, a ratio,
a count. The diagram is deployed as shipped with only that property added to ``joint_review``.

Clock: Mon 2026-09-28 09:00 Shanghai; a review limit of 3 working days from then ends Thu 10-08.
"""

from __future__ import annotations

from typing import Any

import pytest

import runner
from tests.bpmn.test_lianban_chaogao import FILES, KEY, accept, review
from tests.support.flow import LIBRARY, advance_to, deploy_library, describe, local, start_item, tasks

SUBPROCESS = '<bpmn:subProcess id="joint_review" name="同步审查（各相关窗口）">'


def with_mode(mode: str) -> bytes:
    xml = (LIBRARY / "lianban_chaogao.bpmn").read_text(encoding="utf-8")
    assert xml.count(SUBPROCESS) == 1
    prop = (
        "<bpmn:extensionElements><spiffworkflow:properties>"
        f'<spiffworkflow:property name="completionMode" value="{mode}"/>'
        "</spiffworkflow:properties></bpmn:extensionElements>"
    )
    return xml.replace(SUBPROCESS, SUBPROCESS + prop).encode("utf-8")


def start(services: runner.Services, mode: str) -> int:
    deploy_library(services, *[f for f in FILES if f.startswith("block_")])
    with services.transaction() as s:
        runner.deploy(s, with_mode(mode), "lianban_chaogao.bpmn", actor="designer")
    iid = start_item(services, KEY, {"lead_window": "shichang", "applicant": "张三"})
    accept(services, iid)
    return iid


def reviewing(services: runner.Services, iid: int) -> list[str]:
    return sorted(t["window"] for t in tasks(services, iid) if t["spec_name"] == "review")


def open_steps(services: runner.Services, iid: int) -> list[str]:
    return sorted(t["spec_name"] for t in tasks(services, iid))


def answered(services: runner.Services, iid: int) -> dict[str, str]:
    return {o["window"]: o["result"] for o in describe(services, iid)["data"].get("opinions", [])}


def test_all_waits_for_every_window(services, clock):
    iid = start(services, "all")
    review(services, iid, "guotu", result="agree")
    review(services, iid, "huanbao", result="agree")
    assert reviewing(services, iid) == ["guihua"]
    review(services, iid, "guihua", result="disagree", reason="不符合规划")
    assert open_steps(services, iid) == ["consolidate"]
    assert answered(services, iid) == {"guotu": "agree", "huanbao": "agree", "guihua": "disagree"}


def test_any_closes_on_the_first_answer(services, clock):
    iid = start(services, "any")
    assert reviewing(services, iid) == ["guihua", "guotu", "huanbao"]
    review(services, iid, "huanbao", result="agree")
    view = describe(services, iid)
    assert [t["spec_name"] for t in view["tasks"]] == ["consolidate"]
    assert answered(services, iid) == {"huanbao": "agree"}
    assert [t["status"] for t in view["timers"]] == ["cancelled"] * 3
    assert view["accountability"] == []  # the windows closed out are not deemed to assent


def test_sequential_asks_one_window_after_the_other(services, clock):
    iid = start(services, "sequential")
    assert reviewing(services, iid) == ["guotu"]  # the first of related_windows
    with services.transaction() as s:
        (block,) = runner.review_blocks(s, iid)
    assert block["sequential"] is True
    assert [(m["item"], m["state"]) for m in block["members"]] == [
        ("guotu", "open"),
        ("huanbao", "queued"),
        ("guihua", "queued"),
    ]
    clock.set(local("2026-09-29", "10:00"))
    review(services, iid, "guotu", result="agree")
    (second,) = [t for t in tasks(services, iid) if t["spec_name"] == "review"]
    # huanbao's own 3 working days start when its turn comes: 09-30, 10-08, 10-09
    assert (second["window"], second["due_at"]) == ("huanbao", "2026-10-09T15:59:59+00:00")
    # huanbao stays silent: deemed to assent at its limit, then guihua's turn
    advance_to(services, clock, local("2026-10-10", "09:00"))
    assert reviewing(services, iid) == ["guihua"]
    review(services, iid, "guihua", result="agree")
    assert open_steps(services, iid) == ["consolidate"]
    opinions = describe(services, iid)["data"]["opinions"]
    assert [(o["window"], o["result"]) for o in opinions] == [
        ("guotu", "agree"),
        ("huanbao", "deemed_assent"),
        ("guihua", "agree"),
    ]


def test_sequential_add_and_remove_a_queued_window(services, clock):
    iid = start(services, "sequential")
    with services.transaction() as s:
        runner.add_reviewer(s, iid, "shebao", actor="lead", reason="涉及社保")
        runner.remove_reviewer(s, iid, "huanbao", actor="lead", reason="不涉及环保")
    with services.transaction() as s:
        (block,) = runner.review_blocks(s, iid)
    assert [(m["item"], m["state"]) for m in block["members"]] == [
        ("guotu", "open"),
        ("guihua", "queued"),
        ("shebao", "queued"),
    ]
    review(services, iid, "guotu", result="agree")
    assert reviewing(services, iid) == ["guihua"]
    with services.transaction() as s:  # removing the window whose turn it is passes to the next one
        runner.remove_reviewer(s, iid, "guihua", actor="lead", reason="改由县级办理")
    assert reviewing(services, iid) == ["shebao"]
    review(services, iid, "shebao", result="agree")
    assert open_steps(services, iid) == ["consolidate"]
    assert answered(services, iid) == {"guotu": "agree", "shebao": "agree"}
    assert describe(services, iid)["data"]["related_windows"] == ["guotu", "shebao"]


@pytest.mark.parametrize("mode", ["ratio:0.6", "count:2"])
def test_ratio_and_count_close_once_enough_windows_answered(services, clock, mode):
    iid = start(services, mode)  # 3 windows: 0.6 of 3 and a count of 2 both need 2 answers
    review(services, iid, "guotu", result="agree")
    assert reviewing(services, iid) == ["guihua", "huanbao"]
    review(services, iid, "guihua", result="disagree", reason="不符合规划")
    assert open_steps(services, iid) == ["consolidate"]
    assert answered(services, iid) == {"guotu": "agree", "guihua": "disagree"}


def test_a_deemed_assent_counts_as_an_answer(services, clock):
    iid = start(services, "count:2")
    review(services, iid, "guotu", result="agree")
    advance_to(services, clock, local("2026-10-09", "09:00"))  # the two silent windows time out
    view = describe(services, iid)
    assert [t["spec_name"] for t in view["tasks"]] == ["consolidate"]
    deemed = sorted(w for w, result in answered(services, iid).items() if result == "deemed_assent")
    assert deemed and sorted(r["window"] for r in view["accountability"]) == deemed


def test_removing_a_window_can_meet_the_ratio(services, clock):
    iid = start(services, "ratio:0.5")  # 1 of 3 is not half; 1 of 2 is
    review(services, iid, "guotu", result="agree")
    assert reviewing(services, iid) == ["guihua", "huanbao"]
    with services.transaction() as s:
        runner.remove_reviewer(s, iid, "huanbao", actor="lead", reason="不涉及")
    assert open_steps(services, iid) == ["consolidate"]


@pytest.mark.parametrize("mode", ["most", "ratio:1.5", "count:0", "ratio:x"])
def test_a_malformed_mode_is_refused_at_deploy(services, mode):
    deploy_library(services, *[f for f in FILES if f.startswith("block_")])
    with pytest.raises(runner.DiagramInvalid) as refused, services.transaction() as s:
        runner.deploy(s, with_mode(mode), "lianban_chaogao.bpmn", actor="designer")
    (problem,) = [p for p in refused.value.problems if "completionMode" in p["message"]]
    assert problem["file"] == "lianban_chaogao.bpmn" and problem["line"]


def test_the_shipped_diagram_keeps_every_window(services: Any, clock: Any) -> None:
    deploy_library(services, *FILES)
    iid = start_item(services, KEY, {"lead_window": "shichang"})
    accept(services, iid)
    review(services, iid, "guotu", result="agree")
    assert reviewing(services, iid) == ["guihua", "huanbao"]


def test_completion_mode_only_on_a_multi_instance_and_alone(services):
    deploy_library(services, *[f for f in FILES if f.startswith("block_")])
    xml = with_mode("any").decode("utf-8")
    combined = xml.replace(
        '<bpmn:outputDataItem id="opinion" name="opinion"/>',
        '<bpmn:outputDataItem id="opinion" name="opinion"/>'
        "<bpmn:completionCondition>nrOfCompletedInstances &gt;= 2</bpmn:completionCondition>",
    )
    misplaced = (
        (LIBRARY / "lianban_chaogao.bpmn")
        .read_text(encoding="utf-8")
        .replace(
            '<spiffworkflow:property name="formKey" value="joint_consolidation"/>',
            '<spiffworkflow:property name="formKey" value="joint_consolidation"/>'
            '<spiffworkflow:property name="completionMode" value="any"/>',
        )
    )
    for broken, expected in ((combined, "use one or the other"), (misplaced, "needs a multi-instance")):
        assert broken != xml
        with pytest.raises(runner.DiagramInvalid) as refused, services.transaction() as s:
            runner.deploy(s, broken.encode("utf-8"), "lianban_chaogao.bpmn", actor="designer")
        assert any(expected in p["message"] for p in refused.value.problems), refused.value.problems


def test_a_hand_written_condition_reads_the_counters(services, clock):
    deploy_library(services, *[f for f in FILES if f.startswith("block_")])
    xml = (
        (LIBRARY / "lianban_chaogao.bpmn")
        .read_text(encoding="utf-8")
        .replace(
            '<bpmn:outputDataItem id="opinion" name="opinion"/>',
            '<bpmn:outputDataItem id="opinion" name="opinion"/>'
            "<bpmn:completionCondition>nrOfCompletedInstances == nrOfInstances - 1</bpmn:completionCondition>",
        )
    )
    with services.transaction() as s:
        runner.deploy(s, xml.encode("utf-8"), "lianban_chaogao.bpmn", actor="designer")
    iid = start_item(services, KEY, {"lead_window": "shichang"})
    accept(services, iid)
    review(services, iid, "guotu", result="agree")
    assert reviewing(services, iid) == ["guihua", "huanbao"]
    review(services, iid, "guihua", result="agree")  # 2 of 3: all but one
    assert open_steps(services, iid) == ["consolidate"]

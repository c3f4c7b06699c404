"""A long item's finished past is pruned from its task tree (``runner.core.spiff.pruning``): its stored state
and the cost of a step stay flat however many rounds it has looped, while what the platform reads of the past
keeps working — 退回 to the kept steps, 撤回, the completed path, the windows taking part, the audit chain."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

import runner
from runner.core.scheduling import NullScheduler
from runner.core.services import Services
from runner.core.spiff.serializer import build_serializer
from runner.core.state import unpack
from runner.items.taskdata import instance_windows
from runner.models import ProcessInstance
from tests.runner.helpers import complete, deploy_file, describe, open_tasks, start


def _loop_item(services: Services, rounds: int) -> int:
    deploy_file(services, "long_loop.bpmn")
    iid = start(services, "long_loop", data={"rounds": rounds})
    complete(services, open_tasks(services, iid)[0]["id"], {"note": "受理"})
    return iid


def _review(services: Services, iid: int, n: int = 1) -> None:
    for _ in range(n):
        complete(services, open_tasks(services, iid)[0]["id"], {"opinion": "再审"})


def _stored(services: Services, iid: int) -> tuple[int, dict[str, Any]]:
    with services.reading() as s:
        row = s.scalars(select(ProcessInstance).where(ProcessInstance.id == iid)).one()
        return len(row.state), unpack(row.state)


def test_a_long_item_keeps_a_flat_state_and_ends_as_without_pruning(services):
    iid = _loop_item(services, rounds=60)
    _review(services, iid, 15)
    size_15, state = _stored(services, iid)
    _review(services, iid, 30)
    size_45, state = _stored(services, iid)
    assert size_45 < size_15 * 1.2  # not 3 times the tasks
    assert len(state["tasks"]) < 40
    _review(services, iid, 15)
    view = describe(services, iid)
    assert view["status"] == "completed" and view["data"]["rounds_done"] == 60
    assert {"start", "intake", "begin", "review", "count", "again_gw", "end"} <= set(view["completed_path"])
    with services.transaction() as s:
        assert runner.verify_audit(s) == []
        completions = [
            a
            for a in runner.describe(s, runner.get_instance(s, iid), audit_limit=1000)["audit"]
            if a["action"] == "complete"
        ]
        assert len(completions) == 61  # the audit trail keeps every step


def test_a_restored_pruned_state_steps_on_in_a_fresh_process(services, db_engine, clock):
    iid = _loop_item(services, rounds=30)
    _review(services, iid, 20)
    fresh = Services(services.settings, clock=clock, scheduler=NullScheduler(), engine=db_engine)
    _, stored = _stored(services, iid)
    workflow = services.workflows.take(iid, _lock_version(services, iid))
    assert workflow is not None
    assert stored == build_serializer(reuse_finished_tasks=False).to_dict(workflow)  # the exact state, stored
    for _ in range(10):
        complete(fresh, open_tasks(fresh, iid)[0]["id"], {"opinion": "再审"})
        fresh.workflows.clear()  # every step restores from the row
    assert describe(fresh, iid)["data"]["rounds_done"] == 30


def _lock_version(services: Services, iid: int) -> int:
    with services.reading() as s:
        return s.scalars(select(ProcessInstance.lock_version).where(ProcessInstance.id == iid)).one()


def test_send_back_reaches_the_kept_steps_and_the_windows_of_the_pruned_past_still_count(services):
    iid = _loop_item(services, rounds=40)
    _review(services, iid, 20)
    task = open_tasks(services, iid)[0]
    with services.transaction() as s:
        steps = runner.returnable_steps(s, task["id"])
        assert len(steps) == services.settings.kept_steps  # the intake (受理) and early rounds are pruned
        assert all(step["spec_name"] == "review" for step in steps)
        assert instance_windows(s, iid) >= {"shebao", "guotu"}  # the pruned intake was shebao's step
        runner.send_back(s, task["id"], steps[-1]["task_id"], actor="clerk_a", reason="重审")
    view = describe(services, iid)
    assert view["data"]["rounds_done"] == 20 - services.settings.kept_steps  # as that step was completed
    _review(services, iid, 40 - view["data"]["rounds_done"])
    assert describe(services, iid)["status"] == "completed"


def test_withdraw_after_pruning(services):
    iid = _loop_item(services, rounds=30)
    _review(services, iid, 20)
    done = open_tasks(services, iid)[0]
    complete(services, done["id"], {"opinion": "再审"})
    with services.transaction() as s:
        runner.withdraw(s, done["id"], actor="clerk_a")
    assert [t["id"] for t in open_tasks(services, iid)] == [done["id"]]
    assert describe(services, iid)["data"]["rounds_done"] == 20


def test_kept_steps_zero_keeps_every_task(services, db_engine, clock):
    keep_all = Services(
        type(services.settings)(**{**services.settings.__dict__, "kept_steps": 0}),
        clock=clock, scheduler=NullScheduler(), engine=db_engine,
    )  # fmt: skip
    iid = _loop_item(keep_all, rounds=30)
    _review(keep_all, iid, 20)
    with keep_all.transaction() as s:
        assert len(runner.returnable_steps(s, open_tasks(keep_all, iid)[0]["id"])) == 21


def test_a_task_in_error_is_never_pruned(services):
    from SpiffWorkflow.util.task import TaskState

    from runner.core.spiff.pruning import prune

    iid = _loop_item(services, rounds=30)
    _review(services, iid, 5)
    workflow = services.workflows.take(iid, _lock_version(services, iid))
    intake = next(t for t in workflow.tasks.values() if t.task_spec.bpmn_id == "intake")
    intake._set_state(TaskState.ERROR)  # as an incident holds it, waiting for its retry
    assert prune(workflow, 2, lambda removed: {}) == 0
    assert intake.id in workflow.tasks
    intake._set_state(TaskState.COMPLETED)
    assert prune(workflow, 2, lambda removed: {}) > 0  # the same tree, the step done: its past goes
    assert intake.id not in workflow.tasks

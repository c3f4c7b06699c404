"""An item goes on in a process that has never run its diagram: a restarted web node, another node behind the
load balancer, or the worker firing its timer. That process restores the item's state onto specs it has just
deserialized, so nothing a step left on the specs of the process that took it may be needed.

The joint review is where this bites: SpiffWorkflow hooks a multi-instance task to its children's completion
on the shared spec, lazily when the first child is made, or when specs are deserialized. A workflow restored
onto specs that have neither (fresh from the BPMN parser, never run) never sees its last review end: the
benchmark's floor app hit exactly that. These tests keep the platform on specs that carry the hook."""

from __future__ import annotations

from typing import Any

from runner.core.specs import SpecCache
from tests.bpmn.test_lianban_chaogao import accept, review, start
from tests.support.flow import tasks


def as_a_fresh_process(services: Any) -> None:
    """Forget this process's restored specs and workflows, as a newly started process has none."""
    services.specs = SpecCache()
    services.workflows.clear()


def open_steps(services: Any, iid: int) -> list[str]:
    return sorted(t["spec_name"].split(" [")[0] for t in tasks(services, iid))


def test_the_last_review_in_a_fresh_process_ends_the_joint_review(services: Any) -> None:
    iid = start(services)
    accept(services, iid)
    review(services, iid, "guotu", result="agree")
    review(services, iid, "huanbao", result="agree")
    as_a_fresh_process(services)
    review(services, iid, "guihua", result="agree")
    assert open_steps(services, iid) == ["consolidate"]


def test_every_review_in_its_own_fresh_process(services: Any) -> None:
    iid = start(services)
    accept(services, iid)
    for window in ("guotu", "huanbao", "guihua"):
        as_a_fresh_process(services)
        review(services, iid, window, result="agree")
    assert open_steps(services, iid) == ["consolidate"]

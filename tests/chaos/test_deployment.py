"""The multi-machine deployment of docs/deploy.md on one machine: two web nodes on different ports, two
workers, one PostgreSQL, one Redis — one joint item (联办件, 抄告制) from acceptance to the answer, its
steps spread over both nodes, and a related window's silence turned into a deemed assent by a worker."""

from __future__ import annotations

import pytest

from tests.support.platform import STEP_DATA, Platform, wait_until

pytestmark = pytest.mark.slow


def test_two_web_nodes_and_two_workers_complete_a_joint_item(platform: Platform) -> None:
    web_a = platform.start_web(workers=2)
    web_b = platform.start_web(workers=2)
    assert web_a.port != web_b.port
    platform.start_worker("w1")
    platform.start_worker("w2")

    iid = platform.run_joint_item(web_a, [web_a, web_b])
    view = platform.api(web_b, "GET", f"/instances/{iid}")
    assert view["status"] == "completed"
    actions = [a["action"] for a in view["audit"]]
    assert actions.count("complete") == 6  # accept, 3 reviews, consolidate, notify

    # a second item whose window "huanbao" stays silent: the review timer fires in a worker
    item = platform.start_joint_item(web_b, applicant="李四")
    platform.complete_step(web_a, item["tasks"][0])
    tasks = platform.api(web_a, "GET", f"/tasks?business_key={item['business_key']}")["tasks"]
    for task in tasks:
        if task["window"] != "huanbao":
            platform.api(web_b, "POST", f"/tasks/{task['id']}/complete", {"data": STEP_DATA["review"]})
    platform.clock.set_offset(12 * 86400)  # past the 3-working-day review limit for every process

    def consolidating() -> bool:
        found = platform.api(web_a, "GET", f"/tasks?business_key={item['business_key']}")["tasks"]
        return any(t["spec_name"] == "consolidate" for t in found)

    wait_until(consolidating, timeout=60, what="the silent window's timer fired through a worker")
    view = platform.api(web_a, "GET", f"/instances/{item['id']}")
    assert [(r["window"], r["kind"]) for r in view["accountability"]] == [("huanbao", "deemed_assent")]
    assert [a["action"] for a in view["audit"]].count("timer_fired") == 1
    assert platform.cli("verify-audit").strip() == "audit trail intact"

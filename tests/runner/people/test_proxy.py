"""委托 over a date range, and tasks of windows with nobody to take them going to the window head."""

from __future__ import annotations

import pytest
from sqlalchemy import select

import runner
from runner.models import OpenTask, ProcessInstance, User
from runner.people.directory import create_user, mark_absent, set_active
from runner.people.proxies import assign_new_task
from tests.runner.helpers import actions, complete, deploy_file, describe, start, the_task
from tests.support.flow import advance_to, local

PASSWORD = "Banjian-test-2026!"


def _users(services: runner.Services, *, clerks: tuple[str, ...] = ("clerk_a", "clerk_b")) -> None:
    deploy_file(services, "clock.bpmn")
    with services.transaction() as s:
        for name in clerks:
            create_user(s, name, name, PASSWORD, [("shebao", "clerk")])
        create_user(s, "zhang_head", "张科长", PASSWORD, [("shebao", "window_head")])
        create_user(s, "an_head", "安科长", PASSWORD, [("shebao", "window_head")])


def _audit(services: runner.Services, iid: int, action: str) -> list[dict]:
    return [a for a in describe(services, iid)["audit"] if a["action"] == action]


def test_proxy_applies_inside_its_range_only(services, clock):
    _users(services)
    with services.transaction() as s:
        proxy = runner.set_proxy(
            s, "clerk_a", "clerk_b", local("2026-09-28", "08:00"), local("2026-09-30", "18:00"),
            "外出培训", actor="zhang_head",
        )  # fmt: skip
    assert proxy.active_at(clock.now())
    iid = start(services, "clock_test", data={"assignee": "clerk_a"})
    task = the_task(services, iid, "accept")
    assert task["assignee"] == "clerk_b"
    with services.transaction() as s:
        [row] = s.scalars(select(OpenTask).where(OpenTask.instance_id == iid))
        assert row.properties["proxy_for"] == "clerk_a"
    [entry] = _audit(services, iid, "proxied")
    assert entry["task_name"] == "受理"

    clock.set(local("2026-09-30", "18:00"))  # the proxy has just ended
    complete(services, task["id"], {"materials_complete": True}, actor="clerk_b")
    assert the_task(services, iid, "review")["assignee"] == "clerk_a"
    assert len(_audit(services, iid, "proxied")) == 1
    with services.transaction() as s:
        assert runner.active_proxy(s, "clerk_a") is None
        assert [p.id for p in runner.list_proxies(s, username="clerk_b")] == [proxy.id]


def test_proxy_not_before_it_starts_and_ended_early(services, clock):
    _users(services)
    with services.transaction() as s:
        future = runner.set_proxy(
            s, "clerk_a", "clerk_b", local("2026-10-08", "00:00"), local("2026-10-10", "00:00"), "休假",
            actor="zhang_head",
        )  # fmt: skip
    iid = start(services, "clock_test", data={"assignee": "clerk_a"})
    assert the_task(services, iid, "accept")["assignee"] == "clerk_a"  # not yet
    clock.set(local("2026-10-08", "09:00"))
    with services.transaction() as s:
        assert runner.active_proxy(s, "clerk_a") == "clerk_b"
        runner.end_proxy(s, future.id, actor="zhang_head")
        assert runner.active_proxy(s, "clerk_a") is None
    iid2 = start(services, "clock_test", data={"assignee": "clerk_a"})
    assert the_task(services, iid2, "accept")["assignee"] == "clerk_a"
    assert "proxied" not in actions(services, iid) + actions(services, iid2)


def test_the_assignee_look_up_sees_people_changed_and_not_written_yet(services, clock):
    """The look-ups run without writing the step's changes first, but a change of people this transaction has not
    written yet is written first: a head deactivated a moment ago does not get the task."""
    _users(services, clerks=())  # nobody to take the window's tasks: they go to its first head
    iid = start(services, "clock_test")
    with services.transaction() as s:
        instance = s.get(ProcessInstance, iid)
        s.scalars(select(User).where(User.username == "an_head")).one().is_active = False  # not written yet
        head = assign_new_task(
            s, instance, task_id="t-1", task_name="受理", window="shebao", assignee=None, properties={},
            now=clock.now(),
        )  # fmt: skip
    assert head == "zhang_head"


def test_proxy_input_is_checked(services, clock):
    _users(services)
    with services.transaction() as s:
        with pytest.raises(runner.InvalidInput):
            runner.set_proxy(s, "clerk_a", "clerk_a", clock.now(), local("2026-10-09"), "x", actor="a")
        with pytest.raises(runner.InvalidInput):
            runner.set_proxy(s, "clerk_a", "clerk_b", local("2026-10-09"), clock.now(), "x", actor="a")
        with pytest.raises(runner.InvalidInput):
            runner.set_proxy(s, "clerk_a", "nobody", clock.now(), local("2026-10-09"), "x", actor="a")
        with pytest.raises(runner.InvalidInput):
            runner.set_proxy(s, "clerk_a", "clerk_b", clock.now(), local("2026-10-09"), " ", actor="a")
        runner.set_proxy(s, "clerk_a", "clerk_b", clock.now(), local("2026-10-09"), "出差", actor="a")
        with pytest.raises(runner.Conflict):
            runner.set_proxy(
                s, "clerk_a", "zhang_head", local("2026-10-08"), local("2026-10-12"), "y", actor="a"
            )


def test_window_without_clerk_goes_to_the_head(services, clock):
    _users(services, clerks=())
    iid = start(services, "clock_test")
    task = the_task(services, iid, "accept")
    assert task["assignee"] == "an_head"  # first head by username
    [entry] = _audit(services, iid, "assigned_to_head")
    assert entry["detail"]["window"] == "shebao"
    assert describe_status(services, iid) == "running"  # it waits for the head; never passes by itself


def test_the_heads_task_never_passes_by_itself(services, clock):
    """Past its limit and the item's deadline the task still waits for the head; the log says why."""
    _users(services, clerks=())
    iid = start(services, "clock_test")
    advance_to(services, clock, local("2026-11-30"))  # weeks past the deadline, every timer fired
    task = the_task(services, iid, "accept")
    assert task["assignee"] == "an_head"
    trail = actions(services, iid)
    assert "complete" not in trail and trail.count("assigned_to_head") == 1
    assert describe_status(services, iid) in ("running", "waiting")


def test_absent_or_inactive_clerks_count_as_none(services, clock):
    _users(services)
    with services.transaction() as s:
        set_active(s, "clerk_b", False, actor="admin")
        mark_absent(
            s, "clerk_a", "zhang_head", clock.now(), local("2026-09-29", "18:00"), "病假", actor="zhang_head"
        )
    iid = start(services, "clock_test")
    assert the_task(services, iid, "accept")["assignee"] == "an_head"
    clock.set(local("2026-09-30", "09:00"))  # clerk_a is back: the task stays for the window as usual
    iid2 = start(services, "clock_test")
    assert the_task(services, iid2, "accept")["assignee"] is None
    assert "assigned_to_head" not in actions(services, iid2)


def test_present_clerk_leaves_the_task_to_the_window(services, clock):
    _users(services)
    iid = start(services, "clock_test")
    assert the_task(services, iid, "accept")["assignee"] is None
    assert actions(services, iid) == ["start"]


def describe_status(services: runner.Services, iid: int) -> str:
    return str(describe(services, iid)["status"])


def test_deactivated_proxy_is_skipped(services, clock):
    _users(services)
    with services.transaction() as s:
        runner.set_proxy(
            s, "clerk_a", "clerk_b", clock.now(), local("2026-10-09"), "出差", actor="zhang_head"
        )
        set_active(s, "clerk_b", False, actor="admin")
    iid = start(services, "clock_test", data={"assignee": "clerk_a"})
    assert the_task(services, iid, "accept")["assignee"] == "clerk_a"
    assert "proxied" not in actions(services, iid)


def test_a_proxy_holding_a_proxied_task_cannot_be_disabled(services, clock):
    """委托: a task already proxied to clerk_b is theirs; disabling clerk_b is refused (naming the item) until
    it is handed over, after which later tasks for clerk_a skip the disabled proxy."""
    _users(services)
    with services.transaction() as s:
        runner.set_proxy(
            s, "clerk_a", "clerk_b", clock.now(), local("2026-10-09"), "出差", actor="zhang_head"
        )
    iid = start(services, "clock_test", data={"assignee": "clerk_a"})
    proxied = the_task(services, iid, "accept")
    assert proxied["assignee"] == "clerk_b"
    with services.transaction() as s, pytest.raises(runner.Conflict) as err:
        set_active(s, "clerk_b", False, actor="admin")
    assert proxied["business_key"] in err.value.message and err.value.context["tasks"] == 1
    with services.transaction() as s:
        runner.reassign(s, proxied["id"], actor="zhang_head", assignee="clerk_a")
        set_active(s, "clerk_b", False, actor="admin")
    later = start(services, "clock_test", data={"assignee": "clerk_a"})
    assert the_task(services, later, "accept")["assignee"] == "clerk_a"


def test_a_task_named_for_a_disabled_clerk_goes_to_the_window(services, clock):
    """A new task whose data names a disabled clerk (no proxy in force, e.g. one they gave has ended) waits in
    the window's queue, with the audit entry saying why; once the clerk is enabled again it is theirs."""
    _users(services)
    with services.transaction() as s:
        set_active(s, "clerk_a", False, actor="admin")
    iid = start(services, "clock_test", data={"assignee": "clerk_a"})
    assert the_task(services, iid, "accept")["assignee"] is None
    assert "assignee_disabled" in actions(services, iid)
    with services.transaction() as s:
        set_active(s, "clerk_a", True, actor="admin")
    again = start(services, "clock_test", data={"assignee": "clerk_a"})
    assert the_task(services, again, "accept")["assignee"] == "clerk_a"
    assert "assignee_disabled" not in actions(services, again)

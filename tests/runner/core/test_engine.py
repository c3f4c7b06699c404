"""Deploy, start, complete, messages, incidents and admin operations through the runner."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, update

import runner
from runner.models import ProcessDefinition, ProcessInstance, Role
from runner.people import directory
from tests.runner.helpers import (
    DATA,
    WINDOWS,
    actions,
    complete,
    deploy_file,
    describe,
    open_tasks,
    start,
    the_task,
)


def test_deploy_versions_and_identical_redeploy(services):
    first = deploy_file(services, "review.bpmn")
    again = deploy_file(services, "review.bpmn")
    assert (first.key, first.version) == ("review", 1)
    assert again.id == first.id  # identical content: no new version
    changed = (DATA / "review.bpmn").read_bytes().replace(b'value="5"', b'value="6"')
    with services.transaction() as s:
        result = runner.deploy(s, changed, "review.bpmn", actor="designer")
        assert result.created == [True]
        assert result.definitions[0].version == 2
    with services.transaction() as s:
        listed = runner.list_definitions(s)
    assert [v["version"] for v in listed[0]["versions"]] == [2, 1]


def test_start_projects_user_task_with_window_form_and_due(services, clock):
    deploy_file(services, "review.bpmn")
    iid = start(services, "review", data={"applicant": "张三"})
    task = the_task(services, iid, "accept")
    assert task["window"] == "shebao"
    assert task["form_key"] == "acceptance"
    assert task["limit_days"] == 2
    # 2026-09-28 (Mon) + 2 working days = 2026-09-30, end of day in Shanghai
    assert task["due_at"] == "2026-09-30T15:59:59+00:00"
    view = describe(services, iid)
    assert view["business_key"].startswith("2026-")
    assert view["status"] == "running"
    assert view["item_kind"] == "promised"
    assert view["lead_window"] == "shebao"
    # promised 5 working days from Mon 28 Sep skips National Day: 29, 30, 8, 9, 10 (make-up Saturday)
    assert view["deadline"] == "2026-10-10T15:59:59+00:00"
    assert actions(services, iid) == ["start"]


def test_business_keys_are_readable_and_unique(services):
    deploy_file(services, "review.bpmn")
    keys = [describe(services, start(services, "review"))["business_key"] for _ in range(3)]
    assert keys == ["2026-000001", "2026-000002", "2026-000003"]
    with pytest.raises(runner.InvalidInput), services.transaction() as s:  # the platform's own range
        runner.start(s, "review", actor="a", business_key="2026-000004")


def test_complete_runs_gateway_and_ends(services):
    deploy_file(services, "review.bpmn")
    iid = start(services, "review")
    complete(services, the_task(services, iid, "accept")["id"], {"complete": False})
    view = describe(services, iid)
    assert view["status"] == "completed"
    assert view["tasks"] == []
    assert "end_refused" in view["completed_path"]
    assert actions(services, iid) == ["start", "complete"]


def test_completed_task_cannot_be_completed_again(services):
    deploy_file(services, "review.bpmn")
    iid = start(services, "review")
    task_id = the_task(services, iid, "accept")["id"]
    complete(services, task_id, {"complete": True})
    with pytest.raises(runner.TaskNotReady, match="already completed"):
        complete(services, task_id, {"complete": True})
    with pytest.raises(runner.NoSuchTask):
        complete(services, "00000000-0000-0000-0000-000000000000")


def test_claim_race_and_claimed_task_protected(services):
    deploy_file(services, "review.bpmn")
    iid = start(services, "review")
    task_id = the_task(services, iid, "accept")["id"]
    with services.transaction() as s:
        runner.claim(s, task_id, actor="clerk_a")
    with pytest.raises(runner.TaskAlreadyClaimed), services.transaction() as s:
        runner.claim(s, task_id, actor="clerk_b")
    with pytest.raises(runner.TaskAlreadyClaimed):
        complete(services, task_id, {"complete": True}, actor="clerk_b")
    with services.transaction() as s:
        runner.unclaim(s, task_id, actor="clerk_a")
    complete(services, task_id, {"complete": True}, actor="clerk_b")
    assert the_task(services, iid, "decide")


def test_two_threads_completing_the_same_task(services):
    deploy_file(services, "review.bpmn")
    iid = start(services, "review")
    task_id = the_task(services, iid, "accept")["id"]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(actor: str) -> None:
        barrier.wait()
        try:
            complete(services, task_id, {"complete": True}, actor=actor)
            outcomes.append("ok")
        except runner.Conflict as exc:
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=attempt, args=(f"clerk_{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes)[-1] == "ok" and outcomes.count("ok") == 1, outcomes
    view = describe(services, iid)
    assert [t["spec_name"] for t in view["tasks"]] == ["decide"]
    assert actions(services, iid).count("complete") == 1
    with services.transaction() as s:
        assert runner.verify_audit(s) == []


def test_message_delivery_and_unknown_correlation(services):
    deploy_file(services, "upper_reply.bpmn")
    iid = start(services, "upper_reply", data={"lead_window": "shebao", "total": 10, "copies": 2})
    bk = describe(services, iid)["business_key"]
    assert the_task(services, iid, "report")["window"] == "shebao"  # lane_lead → the item's lead window
    with pytest.raises(runner.UnknownCorrelation), services.transaction() as s:
        runner.deliver_message(s, "upper_reply", bk, {"approved": True}, actor="county")
    complete(services, the_task(services, iid, "report")["id"], {"report_no": "R-1"})
    assert describe(services, iid)["status"] == "waiting"
    with pytest.raises(runner.UnknownCorrelation, match="2099-000001"), services.transaction() as s:
        runner.deliver_message(s, "upper_reply", "2099-000001", {}, actor="county")
    with services.transaction() as s:
        runner.deliver_message(s, "upper_reply", bk, {"approved": True}, actor="county")
    task = the_task(services, iid, "notify")
    view = describe(services, iid)
    assert view["status"] == "running"
    assert view["data"]["approved"] is True
    assert task["limit_days"] == 2
    assert "message" in actions(services, iid)


def test_script_error_becomes_incident_and_retry_fixes_it(services):
    deploy_file(services, "upper_reply.bpmn")
    iid = start(services, "upper_reply", data={"lead_window": "shebao", "total": 10, "copies": 0})
    complete(services, the_task(services, iid, "report")["id"], {})
    view = describe(services, iid)
    assert view["status"] == "error"
    [incident] = view["incidents"]
    assert incident["task_name"] == "计算份数"
    assert "division by zero" in incident["message"]
    assert view["tasks"] == []  # the clerk's completion is kept; the instance stays at the failing step
    with services.transaction() as s:
        runner.retry(s, iid, actor="admin", data={"copies": 5})
    view = describe(services, iid)
    assert view["status"] == "waiting"
    assert view["incidents"][0]["resolved_by"] == "admin"
    assert view["data"]["per_copy"] == 2
    assert actions(services, iid) == ["start", "complete", "incident", "retry"]


def test_sandbox_refuses_import_as_incident(services):
    xml = (DATA / "upper_reply.bpmn").read_bytes().replace(b"per_copy = total / copies", b"per_copy = 1")
    xml = xml.replace(b'id="upper_reply" name', b'id="upper_reply2" name')
    with services.transaction() as s:
        runner.upsert_windows(s, [("shebao", "社保")])
        runner.deploy(s, xml, "u2.bpmn", actor="d")
    iid = start(services, "upper_reply2", data={"lead_window": "shebao"})
    # data cannot smuggle code in either: a value is data, never evaluated
    complete(services, the_task(services, iid, "report")["id"], {"x": "__import__('os')"})
    assert describe(services, iid)["status"] == "waiting"


def test_suspend_resume_terminate(services):
    deploy_file(services, "review.bpmn")
    iid = start(services, "review")
    task_id = the_task(services, iid, "accept")["id"]
    with services.transaction() as s:
        runner.suspend(s, iid, actor="head", reason="等待听证")
    with pytest.raises(runner.InstanceNotActive):
        complete(services, task_id, {"complete": True})
    with services.transaction() as s:
        runner.resume(s, iid, actor="head")
    complete(services, task_id, {"complete": True})
    with pytest.raises(runner.InvalidInput), services.transaction() as s:
        runner.terminate(s, iid, actor="admin", reason=" ")
    with services.transaction() as s:
        runner.terminate(s, iid, actor="admin", reason="申请人撤回申请")
    view = describe(services, iid)
    assert view["status"] == "terminated" and view["end_reason"] == "申请人撤回申请"
    assert view["tasks"] == []
    assert all(t["status"] == "cancelled" for t in view["timers"])
    assert actions(services, iid) == [
        "start", "suspend", "clock_paused", "resume", "clock_resumed", "complete", "terminate",
    ]  # fmt: skip


def test_reassign(services):
    deploy_file(services, "review.bpmn")
    iid = start(services, "review")
    task_id = the_task(services, iid, "accept")["id"]
    with services.transaction() as s:
        directory.create_user(s, "clerk_c", "C", "clerk-c-Pass1", [("guotu", Role.CLERK)])
    with services.transaction() as s:
        runner.reassign(s, task_id, actor="head", assignee="clerk_c", window="guotu", note="转办")
    task = the_task(services, iid, "accept")
    assert (task["assignee"], task["window"]) == ("clerk_c", "guotu")


@pytest.mark.parametrize("who", ["nobody", "CLERK_C", "clerk_c "])
def test_reassign_refuses_an_unknown_user(services, who):
    """The runner itself refuses an assignee who is not a user, whichever caller hands the task on."""
    deploy_file(services, "review.bpmn")
    iid = start(services, "review")
    task_id = the_task(services, iid, "accept")["id"]
    with services.transaction() as s:
        directory.create_user(s, "clerk_c", "C", "clerk-c-Pass1", [("guotu", Role.CLERK)])
    with services.transaction() as s, pytest.raises(runner.InvalidInput) as err:
        runner.reassign(s, task_id, actor="head", assignee=who, window="guotu", note="转办")
    assert "未知用户" in err.value.message and "unknown user" in err.value.message
    assert the_task(services, iid, "accept")["assignee"] is None


def test_migrate_to_new_version_when_current_task_exists(services):
    deploy_file(services, "review.bpmn")
    iid = start(services, "review")
    v2 = (DATA / "review.bpmn").read_bytes().replace(b'name="\xe5\x86\xb3\xe5\xae\x9a"', b'name="Decide v2"')
    with services.transaction() as s:
        runner.deploy(s, v2, "review.bpmn", actor="designer")
        preview = runner.migration_preview(s, iid, 2)
    assert preview["can_move"] is True
    with services.transaction() as s:
        runner.migrate_instance(s, iid, 2, actor="admin")
    complete(services, the_task(services, iid, "accept")["id"], {"complete": True})
    assert the_task(services, iid, "decide")["name"] == "Decide v2"
    assert describe(services, iid)["definition_version"] == 2

    v3 = (
        (DATA / "review.bpmn")
        .read_bytes()
        .replace(b'"decide"', b'"decide_new"')
        .replace(b">decide<", b">decide_new<")
    )
    with services.transaction() as s:
        runner.deploy(s, v3, "review.bpmn", actor="designer")
        preview = runner.migration_preview(s, iid, 3)
        assert preview["can_move"] is False and "decide" in preview["blocking"]
        with pytest.raises(runner.InstanceNotActive):
            runner.migrate_instance(s, iid, 3, actor="admin")


def test_state_roundtrip_is_small(services, db_engine):
    deploy_file(services, "joint.bpmn")
    iid = start(services, "joint_test", data={"lead_window": "shebao"})
    complete(
        services, the_task(services, iid, "accept")["id"], {"related_windows": ["guotu", "huanbao", "guihua"]}
    )
    reviews = [t for t in open_tasks(services, iid) if t["spec_name"].startswith("review")]
    assert sorted(t["window"] for t in reviews) == ["guihua", "guotu", "huanbao"]
    for t in reviews:
        complete(services, t["id"], {"opinion": {"result": "agree", "window": t["window"]}})
    with services.transaction() as s:
        size = s.scalar(select(func.length(ProcessInstance.state)).where(ProcessInstance.id == iid))
    assert size < 8 * 1024
    assert [o["window"] for o in describe(services, iid)["data"]["opinions"]] == [
        "guotu",
        "huanbao",
        "guihua",
    ]


def _named_lane_review(name: str) -> bytes:
    """review.bpmn with bpmn.io's lane id, the lane named ``name``: only its name can choose a window."""
    content = (DATA / "review.bpmn").read_bytes().replace(b'id="lane_shebao"', b'id="Lane_0k2j3h4"')
    return content.replace('name="社保窗口"'.encode(), f'name="{name}"'.encode())


def _deploy(services, content: bytes):
    with services.transaction() as s:
        runner.upsert_windows(s, [*WINDOWS, ("centre", "中心")])
        return runner.deploy(s, content, "review.bpmn", actor="designer")


def _window_warnings(result) -> list[str]:
    return [
        w["message"] for w in result.warnings if w.get("element") == "accept" and "window" in w["message"]
    ]


def test_a_lane_named_after_a_window_sends_its_tasks_there(services):
    result = _deploy(services, _named_lane_review("\u3000社保窗口 "))
    assert _window_warnings(result) == []
    iid = start(services, "review")
    assert the_task(services, iid, "accept")["window"] == "shebao"
    with services.transaction() as s:
        inbox, _ = runner.inbox_page(s, windows=["shebao"])
    assert [t["instance_id"] for t in inbox] == [iid]


def test_a_lane_named_after_no_window_keeps_the_default_window_warning(services):
    result = _deploy(services, _named_lane_review("财务科"))
    [message] = _window_warnings(result)
    assert "its name '财务科' is no window's name or code" in message
    iid = start(services, "review")
    assert the_task(services, iid, "accept")["window"] == "centre"


def test_a_lane_chooses_its_window_by_name_at_deployment(services):
    """A window renamed after deployment moves no task of the deployed version; a redeployment reads it anew."""
    first = _deploy(services, _named_lane_review("社保窗口")).definitions[0]
    with services.transaction() as s:
        runner.upsert_windows(s, [("shebao", "社保窗口（旧）"), ("guotu", "社保窗口")])
    iid = start(services, "review")
    assert the_task(services, iid, "accept")["window"] == "shebao"
    with services.transaction() as s:
        again = runner.deploy(s, _named_lane_review("社保窗口"), "review.bpmn", actor="designer")
    assert again.created == [True] and again.definitions[0].version == first.version + 1
    assert the_task(services, start(services, "review"), "accept")["window"] == "guotu"


def _close(services, code: str, name: str) -> None:
    from runner.people.windows import save_window

    with services.transaction() as s:
        save_window(s, code, name, actor="admin", active=False)


@pytest.mark.parametrize("lane", ["name", "code"])
def test_a_lane_choosing_a_closed_window_is_refused_as_closed(services, lane):
    """By its name or its lane_<code> id: deploying says the window is closed, not that it is unknown."""
    # the current version sends nothing to shebao (lane nor lead window), so it may be closed
    _deploy(services, _accept_at_guotu(b"lane_huanbao"))
    _close(services, "shebao", "社保窗口")
    content = _named_lane_review("社保窗口") if lane == "name" else (DATA / "review.bpmn").read_bytes()
    with pytest.raises(runner.DiagramInvalid) as info, services.transaction() as s:
        runner.deploy(s, content, "review.bpmn", actor="designer")
    errors = [p for p in info.value.problems if p["severity"] == "error"]
    # the lane and the process's leadWindow alike
    assert {p["element"] for p in errors} == {"review", "Lane_0k2j3h4" if lane == "name" else "lane_shebao"}
    for error in errors:
        assert "已关闭" in error["message"] and "is closed" in error["message"]
        assert "unknown window" not in error["message"]


def test_a_window_with_open_tasks_cannot_be_closed(services):
    """Closing it would leave its running items' tasks in a window nobody picks: refused, naming how many."""
    _deploy(services, _named_lane_review("社保窗口"))
    iid = start(services, "review")
    assert the_task(services, iid, "accept")["window"] == "shebao"
    with pytest.raises(runner.Conflict) as info:
        _close(services, "shebao", "社保窗口")
    assert "还有 1 件未办结的任务" in str(info.value) and "still has 1 open task(s)" in str(info.value)
    with services.transaction() as s:
        assert "shebao" in runner.known_windows(s)
    _close(services, "guotu", "国土窗口")  # no open task there: closed


def _accept_at_guotu(later: bytes = b"lane_shebao") -> bytes:
    """review.bpmn whose first step (受理) is in 国土窗口's lane, its later steps in the lane ``later``."""
    content = (
        (DATA / "review.bpmn")
        .read_bytes()
        .replace(b'name="leadWindow" value="shebao"', b'name="leadWindow" value="guotu"')
    )
    content = content.replace(b"<bpmn:flowNodeRef>accept</bpmn:flowNodeRef>", b"")
    content = content.replace(
        b"</bpmn:laneSet>",
        b'<bpmn:lane id="lane_guotu" name="x"><bpmn:flowNodeRef>accept</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>',
    )
    return content.replace(
        b'id="lane_shebao" name="\xe7\xa4\xbe\xe4\xbf\x9d\xe7\xaa\x97\xe5\x8f\xa3"', b'id="' + later + b'"'
    )


def test_a_window_the_current_version_routes_to_cannot_be_closed(services):
    """No open task there yet, but the next item started would put one there: refused naming the version;
    once the process is redeployed elsewhere (and no item runs on the old one) the window closes."""
    _deploy(services, (DATA / "review.bpmn").read_bytes())
    with pytest.raises(runner.Conflict) as info:
        _close(services, "shebao", "社保窗口")
    assert "流程「测试审查」（版本 1）仍有环节由窗口 shebao" in str(info.value)
    assert "'测试审查' (version 1)" in str(info.value) and "redeploy" in str(info.value)
    with services.transaction() as s:
        assert "shebao" in runner.known_windows(s)
    _deploy(services, _accept_at_guotu(b"lane_huanbao"))
    _close(services, "shebao", "社保窗口")
    with services.transaction() as s:
        assert "shebao" not in runner.known_windows(s)


def test_a_window_a_running_items_version_routes_to_cannot_be_closed(services):
    """The item's open task is elsewhere, but its version sends its next step there: refused, naming the
    running item's version even though the current version no longer routes there."""
    _deploy(services, _accept_at_guotu())
    iid = start(services, "review")
    assert the_task(services, iid, "accept")["window"] == "guotu"
    _deploy(services, _accept_at_guotu(b"lane_huanbao"))
    with pytest.raises(runner.Conflict) as info:
        _close(services, "shebao", "社保窗口")
    assert "流程「测试审查」（版本 1）" in str(info.value) and "版本 2" not in str(info.value)


def test_an_item_is_not_started_on_a_version_routing_to_a_closed_window(services):
    """A window closed before the rule (or behind the console's back): the start is refused, naming the
    window, and no item nor task is left behind in it."""
    from runner.models import OpenTask, Window

    _deploy(services, (DATA / "review.bpmn").read_bytes())
    with services.transaction() as s:
        s.get(Window, "shebao").is_active = False
    with pytest.raises(runner.Conflict) as info:
        start(services, "review")
    assert "已关闭的窗口 shebao" in str(info.value) and "closed window(s) shebao" in str(info.value)
    with services.transaction() as s:
        assert s.scalar(select(func.count()).select_from(ProcessInstance)) == 0
        assert s.scalar(select(func.count()).select_from(OpenTask)) == 0


def test_a_step_routed_to_a_closed_window_is_held_as_an_incident_not_a_hidden_task(services):
    """A window closed before closing checked the routes: the running item's next step does not become a task
    nobody can pick; the item stops at it with an incident naming the window, and retrying after the window is
    reopened creates the task there."""
    from runner.models import OpenTask, Window

    _deploy(services, _accept_at_guotu())
    iid = start(services, "review")
    with services.transaction() as s:
        s.get(Window, "shebao").is_active = False
    complete(services, the_task(services, iid, "accept")["id"], {"complete": True})
    view = describe(services, iid)
    assert view["status"] == "error" and view["tasks"] == []
    [incident] = view["incidents"]
    assert "窗口 shebao 已关闭" in incident["message"] and "'shebao'" in incident["message"]
    with services.transaction() as s:
        assert s.scalar(select(func.count()).select_from(OpenTask).where(OpenTask.window == "shebao")) == 0
        s.get(Window, "shebao").is_active = True
    with services.transaction() as s:
        runner.retry(s, iid, actor="admin")
    assert the_task(services, iid, "decide")["window"] == "shebao"


def _decide_named_at(code: bytes) -> bytes:
    """_accept_at_guotu(b"lane_huanbao") whose 决定 step names window ``code`` by its ``window`` property."""
    return _accept_at_guotu(b"lane_huanbao").replace(
        b'<spiffworkflow:property name="formKey" value="decision"/>',
        b'<spiffworkflow:property name="formKey" value="decision"/>'
        b'<spiffworkflow:property name="window" value="' + code + b'"/>',
    )


@pytest.mark.parametrize("stored", [True, False])
def test_a_window_a_tasks_window_property_names_cannot_be_closed(services, stored):
    """No lane nor lead window routes there, but a step names it by its ``window`` property: refused, naming the
    version (also for a version deployed before the property was stored with it)."""
    deployed = _deploy(services, _decide_named_at(b"shebao")).definitions[0]
    if not stored:
        with services.transaction() as s:
            meta = {
                k: v for k, v in s.get(ProcessDefinition, deployed.id).meta.items() if k != "task_windows"
            }
            s.execute(update(ProcessDefinition).where(ProcessDefinition.id == deployed.id).values(meta=meta))
    with pytest.raises(runner.Conflict) as info:
        _close(services, "shebao", "社保窗口")
    assert "流程「测试审查」（版本 1）仍有环节由窗口 shebao" in str(info.value)
    _deploy(services, _accept_at_guotu(b"lane_huanbao"))
    _close(services, "shebao", "社保窗口")


def test_an_item_is_not_started_on_a_version_whose_task_names_a_closed_window(services):
    """The start refuses it like a lane's window: no item runs up to the step and stops there."""
    from runner.models import Window

    _deploy(services, _decide_named_at(b"shebao"))
    with services.transaction() as s:
        s.get(Window, "shebao").is_active = False
    with pytest.raises(runner.Conflict) as info:
        start(services, "review")
    assert "已关闭的窗口 shebao" in str(info.value)

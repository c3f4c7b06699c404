"""AB岗: marking absences (self or window head), the backup's 代班 tab, acting for the absent clerk
(audit ``on_behalf_of``), and the end of the cover."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_login import login_user
from sqlalchemy import select

import runner
from runner.models import AuditEntry
from runner.people import directory
from tests.support.flow import tasks

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture
def people(make_user: Any) -> None:
    make_user("a", ("shebao", "clerk"), ("guotu", "clerk"), name="甲（A岗）")
    make_user("b", ("shebao", "clerk"), name="乙（B岗）")
    make_user("c", ("shebao", "clerk"), name="丙")
    make_user("head", ("shebao", "window_head"), name="社保科长")
    make_user("g", ("guotu", "clerk"), name="国土员")
    make_user("outsider", ("huanbao", "clerk"), name="环保员")


@pytest.fixture
def deployed(services: runner.Services, people: None) -> None:
    with services.transaction() as s:
        runner.deploy(s, (DATA / "joint.bpmn").read_bytes(), "joint.bpmn", actor="designer")


def start_claimed(services: runner.Services, window: str, assignee: str) -> dict[str, Any]:
    with services.transaction() as s:
        iid = runner.start(s, "joint_test", actor="t", data={"lead_window": window, "related_windows": []}).id
    (task,) = tasks(services, iid)
    with services.transaction() as s:
        runner.claim(s, task["id"], actor=assignee)
    return {**task, "assignee": assignee}


def rows(page: Any) -> list[str]:
    return re.findall(r'data-task="([^"]+)"', page.get_data(as_text=True))


def mark(client: FlaskClient, **data: str) -> Any:
    form = {"user": "a", "backup": "b", "starts": "2026-09-28", "ends": "2026-09-30", "reason": "培训"}
    form.update(data)
    return client.post("/absence", data=form)


def test_cover_shows_tasks_and_ends(
    services: runner.Services, clock: runner.ManualClock, deployed: None, signed_in: Any
) -> None:
    own = start_claimed(services, "shebao", "a")
    other_window = start_claimed(services, "guotu", "a")  # b is not in guotu
    a, b = signed_in("a"), signed_in("b")
    assert rows(b.get("/inbox?tab=cover")) == []
    assert b.get(f"/inbox/tasks/{other_window['id']}/handover").status_code == 403
    r = mark(a)
    assert r.status_code == 302, r.get_data(as_text=True)
    page = b.get("/absence").get_data(as_text=True)
    assert "代班中" in page and "您正在为以下同事代班：a" in page
    cover = b.get("/inbox?tab=cover")
    assert sorted(rows(cover)) == sorted([own["id"], other_window["id"]])
    assert "代 a 办理" in cover.get_data(as_text=True)
    # while covering, b may act on a's task of a window b is not in
    assert b.get(f"/inbox/tasks/{other_window['id']}/handover").status_code == 200
    # other clerks do not cover a
    assert rows(signed_in("c").get("/inbox?tab=cover")) == []
    # ends with the end date: from Thu 10-01 00:00 a handles their own work again
    clock.set(clock.now() + timedelta(days=2, hours=14, minutes=59))  # Wed 09-30 23:59 Shanghai
    assert len(rows(b.get("/inbox?tab=cover"))) == 2
    clock.advance(minutes=2)
    assert rows(b.get("/inbox?tab=cover")) == []
    assert b.get(f"/inbox/tasks/{other_window['id']}/handover").status_code == 403
    with services.transaction() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "absence_marked")).one()
    assert entry.actor == "a" and entry.detail["backup"] == "b" and entry.detail["username"] == "a"


def test_backup_completes_on_behalf_of_the_absent_clerk(
    app: Flask, services: runner.Services, deployed: None, signed_in: Any
) -> None:
    from web.auth import load_web_user
    from workspace.access import complete_task, workable_task

    task = start_claimed(services, "guotu", "a")
    assert mark(signed_in("a")).status_code == 302

    def as_user(username: str, func: Any) -> Any:
        with app.test_request_context("/"):
            user = load_web_user(username)
            assert user is not None
            login_user(user)
            return services.run(func)

    with pytest.raises(runner.PermissionDenied):  # c does not cover a and is not in guotu
        as_user("c", lambda s: workable_task(s, task["id"]))
    as_user("b", lambda s: complete_task(s, task["id"], {"note": "代办"}))
    with services.transaction() as s:
        entry = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "complete", AuditEntry.task_id == task["id"])
        ).one()
    assert (entry.actor, entry.on_behalf_of) == ("b", "a")


def test_window_head_marks_a_clerk_and_clerks_only_themselves(
    services: runner.Services, deployed: None, signed_in: Any
) -> None:
    c = signed_in("c")
    form = c.get("/absence").get_data(as_text=True)
    assert '<option selected value="c">' in form and 'value="a">甲' not in form.split('name="backup"')[0]
    refused = mark(c)  # c may not mark a absent: not among the choices
    assert refused.status_code == 400
    assert "不是有效的选项" in refused.get_data(as_text=True) or "有效" in refused.get_data(as_text=True)
    with services.transaction() as s, pytest.raises(runner.PermissionDenied):
        directory.mark_absent(s, "a", "b", services.now(), services.now() + timedelta(days=1), actor="c")
    head = signed_in("head")
    assert mark(head, reason="病假").status_code == 302
    with services.transaction() as s:
        (absence,) = directory.list_absences(s, username="a")
        assert absence.created_by == "head" and absence.reason == "病假"
    # a clerk of another window can neither see nor end it
    outsider = signed_in("outsider")
    assert "甲（A岗）" not in outsider.get("/absence").get_data(as_text=True)
    assert outsider.post(f"/absence/{absence.id}/end").status_code == 403
    assert signed_in("head").post(f"/absence/{absence.id}/end").status_code == 302
    with services.transaction() as s:
        assert directory.covered_by(s, "b") == set()
        assert [
            e.action for e in s.scalars(select(AuditEntry).where(AuditEntry.action.like("absence%")))
        ] == [
            "absence_marked",
            "absence_ended",
        ]


def test_validation_messages_next_to_the_fields(deployed: None, signed_in: Any) -> None:
    a = signed_in("a")
    r = mark(a, ends="2026-09-27")
    assert r.status_code == 400 and "结束日期不能早于开始日期" in r.get_data(as_text=True)
    r = mark(a, starts="明天", ends="")
    text = r.get_data(as_text=True)
    assert r.status_code == 400 and "请填写结束日期" in text and 'class="error"' in text
    r = mark(a, backup="a")
    assert r.status_code == 400 and "代班人员不能是请假人本人" in r.get_data(as_text=True)
    r = mark(a, backup="outsider")  # another window: not offered, refused
    assert r.status_code == 400
    r = mark(a, starts="2026-09-01", ends="2026-09-02")
    assert r.status_code == 400 and "结束日期已过" in r.get_data(as_text=True)
    assert mark(a).status_code == 302
    r = mark(a, backup="c", starts="2026-09-29", ends="2026-10-09")
    assert r.status_code == 400 and "该时段已有请假登记" in r.get_data(as_text=True)


def test_backup_must_share_a_window(services: runner.Services, deployed: None) -> None:
    with services.transaction() as s, pytest.raises(runner.InvalidInput) as err:
        directory.mark_absent(s, "b", "g", services.now(), None, actor="b")
    assert "同属一个窗口" in err.value.message
    # a covers nobody, b covers a only while the absence runs
    with services.transaction() as s:
        directory.mark_absent(
            s, "a", "b", services.now() + timedelta(days=1), services.now() + timedelta(days=2), actor="a"
        )
        assert directory.covered_by(s, "b") == set()
        assert directory.covered_by(s, "b", services.now() + timedelta(days=1, hours=1)) == {"a"}
        assert directory.current_backup(s, "a", services.now() + timedelta(days=1, hours=1)) == "b"


def test_an_absent_colleague_cannot_be_the_backup(services: runner.Services, deployed: None) -> None:
    """AB岗: the B-post must be present while covering; neither a backup on leave nor leave for a backup."""
    now = services.now()
    with services.transaction() as s:
        directory.mark_absent(s, "b", "c", now + timedelta(days=2), now + timedelta(days=4), actor="head")
    with services.transaction() as s, pytest.raises(runner.InvalidInput) as err:  # b is away on day 3
        directory.mark_absent(s, "a", "b", now + timedelta(days=3), now + timedelta(days=5), actor="head")
    assert "代班人" in err.value.message and err.value.context["field"] == "backup"
    with services.transaction() as s:  # b is back by day 4: b covers a from then on
        directory.mark_absent(s, "a", "b", now + timedelta(days=4), now + timedelta(days=6), actor="head")
    with services.transaction() as s, pytest.raises(runner.Conflict) as conflict:  # b covers a on day 5
        directory.mark_absent(s, "b", "c", now + timedelta(days=5), now + timedelta(days=7), actor="head")
    assert "代班" in conflict.value.message


def test_a_disabled_user_never_covers(services: runner.Services, deployed: None, signed_in: Any) -> None:
    """AB岗: a backup of a cover in force or to come cannot be disabled (the message names the covers); a
    disabled user (say, disabled before this rule) covers nobody and is nobody's current backup."""
    now = services.now()
    with services.transaction() as s:
        directory.mark_absent(s, "a", "b", now - timedelta(hours=1), now + timedelta(days=2), actor="head")
        directory.mark_absent(s, "c", "b", now + timedelta(days=5), now + timedelta(days=6), actor="head")
    with services.transaction() as s, pytest.raises(runner.Conflict) as err:
        directory.set_active(s, "b", False, actor="admin")
    assert "a、c" in err.value.message and "(b is the backup covering a, c" in err.value.message
    with services.transaction() as s:
        assert directory.get_person(s, "b").is_active
        s.execute(
            directory.User.__table__.update().where(directory.User.username == "b").values(is_active=False)
        )
    with services.transaction() as s:
        assert directory.covered_by(s, "b") == set()
        assert directory.identify(s, "b")[1] == set()
        assert directory.current_backup(s, "a") is None
        assert directory.absent_now(s, ["a", "b", "c"]) == {"a"}  # a is still on leave, uncovered
    task = start_claimed(services, "shebao", "c")
    page = signed_in("c").get(f"/inbox/tasks/{task['id']}/handover").get_data(as_text=True)
    assert "甲（A岗）（请假中）" in page
    with services.transaction() as s, pytest.raises(runner.InvalidInput) as bad:  # nor named as backup
        directory.mark_absent(s, "a", "b", now + timedelta(days=9), None, actor="a")
    assert "没有可用的代班人" in bad.value.message and bad.value.context["field"] == "backup"
    with services.transaction() as s:  # someone covering nobody (and holding no task) can be disabled
        directory.set_active(s, "g", False, actor="admin")


def test_a_clerk_holding_tasks_cannot_be_disabled(services: runner.Services, deployed: None) -> None:
    """Disabling a clerk who still holds open tasks (claimed by them, or delegated by them and coming back
    to them) is refused, counting the tasks and naming the items; once handed over (转交/改派) the clerk can
    be disabled, and enabled again, without touching the tasks."""
    mine = start_claimed(services, "shebao", "c")
    delegated = start_claimed(services, "shebao", "a")
    with services.transaction() as s:
        runner.delegate(s, delegated["id"], actor="a", to_user="head", note="请看")
    for who, count, item in (("c", 1, mine), ("a", 1, delegated)):
        with services.transaction() as s, pytest.raises(runner.Conflict) as err:
            directory.set_active(s, who, False, actor="admin")
        message = err.value.message
        assert f"仍有 {count} 项待办" in message and item["business_key"] in message, message
        assert "still holds" in message and err.value.context["items"] == [item["business_key"]]
        with services.transaction() as s:
            assert directory.get_person(s, who).is_active
    with services.transaction() as s:
        runner.reassign(s, mine["id"], actor="head", assignee="b")
        directory.set_active(s, "c", False, actor="admin")
    with services.transaction() as s:
        directory.set_active(s, "c", True, actor="admin")
        assert directory.get_person(s, "c").is_active
        toggles = select(AuditEntry.action).where(AuditEntry.action.in_(["user_disabled", "user_enabled"]))
        actions = list(s.scalars(toggles))
    assert actions == ["user_disabled", "user_enabled"]
    assert [t["assignee"] for t in tasks(services, mine["instance_id"])] == ["b"]

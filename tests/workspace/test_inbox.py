"""The inbox: per-window visibility (also by direct URL), claim / release / hand-over, paging, sorting,
filters and the yellow / red deadline marks on the test clock (Mon 2026-09-28 09:00 Asia/Shanghai)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

import runner
from runner.models import AuditEntry
from tests.support.flow import tasks

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture
def people(make_user: Any) -> None:
    make_user("shebao_clerk", ("shebao", "clerk"), name="社保甲")
    make_user("shebao_clerk2", ("shebao", "clerk"), name="社保乙")
    make_user("shebao_head", ("shebao", "window_head"), ("shebao", "clerk"), name="社保科长")
    make_user("guotu_clerk", ("guotu", "clerk"), name="国土甲")


@pytest.fixture
def deployed(services: runner.Services, people: None) -> None:
    for name in ("joint.bpmn", "review.bpmn"):
        with services.transaction() as s:
            runner.deploy(s, (DATA / name).read_bytes(), name, actor="designer")


def start(
    services: runner.Services, window: str, applicant: str = "张三", key: str = "joint_test"
) -> dict[str, Any]:
    """Start an item whose first task (受理) is at ``window``; returns that task."""
    with services.transaction() as s:
        iid = runner.start(
            s, key, actor="test", data={"lead_window": window, "applicant": applicant, "related_windows": []}
        ).id
    (task,) = tasks(services, iid)
    return task


def rows(page: FlaskClient | Any) -> list[str]:
    """Task ids of the inbox rows, in order."""
    html = page.get_data(as_text=True) if not isinstance(page, str) else page
    return re.findall(r'data-task="([^"]+)"', html)


def test_clerk_sees_only_own_window(services: runner.Services, deployed: None, signed_in: Any) -> None:
    a = start(services, "shebao", applicant="社保申请人")
    b = start(services, "guotu", applicant="国土申请人")
    shebao = signed_in("shebao_clerk")
    page = shebao.get("/inbox?tab=window")
    assert rows(page) == [a["id"]]
    text = page.get_data(as_text=True)
    assert "社保申请人" in text and "国土申请人" not in text and a["business_key"] in text
    assert rows(shebao.get("/inbox")) == []  # nothing claimed yet
    guotu = signed_in("guotu_clerk")
    assert rows(guotu.get("/inbox?tab=window")) == [b["id"]]
    # direct URLs on another window's task: 403, and nothing happened
    assert shebao.post(f"/inbox/tasks/{b['id']}/claim").status_code == 403
    assert shebao.post(f"/inbox/tasks/{b['id']}/release").status_code == 403
    assert shebao.get(f"/inbox/tasks/{b['id']}/handover").status_code == 403
    assert (
        shebao.post(f"/inbox/tasks/{b['id']}/handover", data={"to": "shebao_clerk2", "note": "x"}).status_code
        == 403
    )
    assert tasks(services, b["instance_id"])[0]["assignee"] is None
    assert shebao.post("/inbox/tasks/00000000-0000-0000-0000-000000000000/claim").status_code == 404
    # the head tab is only for window heads
    assert shebao.get("/inbox?tab=all").status_code == 404
    assert rows(signed_in("shebao_head").get("/inbox?tab=all")) == [a["id"]]


def test_claim_release_and_races(services: runner.Services, deployed: None, signed_in: Any) -> None:
    t = start(services, "shebao")
    one, two = signed_in("shebao_clerk"), signed_in("shebao_clerk2")
    r = one.post(f"/inbox/tasks/{t['id']}/claim", data={"next": "/inbox?tab=window"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/inbox?tab=window")
    assert rows(one.get("/inbox")) == [t["id"]]
    assert rows(one.get("/inbox?tab=window")) == []
    assert rows(two.get("/inbox?tab=window")) == []
    # the second clerk's stale claim is refused with a clear message
    two.post(f"/inbox/tasks/{t['id']}/claim")
    assert "已被 shebao_clerk 认领" in two.get("/inbox").get_data(as_text=True)
    assert tasks(services, t["instance_id"])[0]["assignee"] == "shebao_clerk"
    # only the assignee (or the window head) may give it back
    assert two.post(f"/inbox/tasks/{t['id']}/release").status_code == 403
    assert one.post(f"/inbox/tasks/{t['id']}/release").status_code == 302
    assert tasks(services, t["instance_id"])[0]["assignee"] is None
    two.post(f"/inbox/tasks/{t['id']}/claim")
    head = signed_in("shebao_head")
    assert head.post(f"/inbox/tasks/{t['id']}/release").status_code == 302
    assert tasks(services, t["instance_id"])[0]["assignee"] is None
    with services.transaction() as s:
        actions = [
            (e.action, e.actor)
            for e in s.scalars(
                select(AuditEntry).where(AuditEntry.task_id == t["id"]).order_by(AuditEntry.id)
            )
        ]
    assert actions == [
        ("claim", "shebao_clerk"),
        ("unclaim", "shebao_clerk"),
        ("claim", "shebao_clerk2"),
        ("unclaim", "shebao_head"),
    ]


def test_claim_of_a_finished_task_is_a_message_not_an_error(
    services: runner.Services, deployed: None, signed_in: Any
) -> None:
    t = start(services, "shebao")
    c = signed_in("shebao_clerk")
    with services.transaction() as s:
        runner.complete(s, t["id"], {}, actor="shebao_clerk2")
    r = c.post(f"/inbox/tasks/{t['id']}/claim")
    assert r.status_code == 302
    text = c.get("/inbox").get_data(as_text=True)
    assert "该任务已办结" in text and "shebao_clerk2" not in text


def test_handover_to_a_colleague_with_a_note(
    services: runner.Services, deployed: None, signed_in: Any
) -> None:
    t = start(services, "shebao")
    one = signed_in("shebao_clerk")
    one.post(f"/inbox/tasks/{t['id']}/claim")
    page = one.get(f"/inbox/tasks/{t['id']}/handover")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "社保乙" in text and "国土甲" not in text
    # a note is required; the error stands next to the field
    r = one.post(f"/inbox/tasks/{t['id']}/handover", data={"to": "shebao_clerk2", "note": " "})
    assert r.status_code == 400 and "请填写转交说明" in r.get_data(as_text=True)
    # a colleague of another window is refused on the server
    r = one.post(f"/inbox/tasks/{t['id']}/handover", data={"to": "guotu_clerk", "note": "请继续"})
    assert r.status_code == 400 and 'class="error"' in r.get_data(as_text=True)
    assert tasks(services, t["instance_id"])[0]["assignee"] == "shebao_clerk"
    r = one.post(
        f"/inbox/tasks/{t['id']}/handover",
        data={"to": "shebao_clerk2", "note": "材料已核对，请出具通知书", "next": "/inbox"},
    )
    assert r.status_code == 302
    assert tasks(services, t["instance_id"])[0]["assignee"] == "shebao_clerk2"
    assert rows(signed_in("shebao_clerk2").get("/inbox")) == [t["id"]]
    assert "已转交给 社保乙" in one.get("/inbox").get_data(as_text=True)
    with services.transaction() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "reassign")).one()
    assert entry.actor == "shebao_clerk"
    assert entry.detail["note"] == "材料已核对，请出具通知书"
    assert entry.detail["after"] == {"assignee": "shebao_clerk2", "window": "shebao"}
    # the former assignee may no longer hand it over
    assert one.get(f"/inbox/tasks/{t['id']}/handover").status_code == 403


def test_handover_refuses_a_former_member(services: runner.Services, deployed: None, signed_in: Any) -> None:
    from runner.people import directory

    t = start(services, "shebao")
    head = signed_in("shebao_head")
    assert head.get(f"/inbox/tasks/{t['id']}/handover").status_code == 200
    with services.transaction() as s:  # shebao_clerk2 moved to another window meanwhile
        directory.set_memberships(s, "shebao_clerk2", [("guotu", "clerk")], actor="admin")
    r = head.post(f"/inbox/tasks/{t['id']}/handover", data={"to": "shebao_clerk2", "note": "请办理"})
    assert r.status_code == 400
    assert tasks(services, t["instance_id"])[0]["assignee"] is None


def test_paging_sorting_and_kind_filter(
    services: runner.Services, clock: runner.ManualClock, deployed: None, signed_in: Any
) -> None:
    made = []
    for i in range(5):
        made.append(start(services, "shebao", applicant=f"申请人{i}"))
        clock.advance(hours=1)
    made.append(start(services, "shebao", key="review"))  # 2 working days: due last
    c = signed_in("shebao_clerk")
    ids = [t["id"] for t in made]
    # same due date for the first five: ties in id order
    assert rows(c.get("/inbox?tab=window&size=2")) == ids[:2]
    page2 = c.get("/inbox?tab=window&size=2&page=2")
    assert rows(page2) == ids[2:4]
    assert "第 2 / 3 页，共 6 件" in page2.get_data(as_text=True)
    page3 = c.get("/inbox?tab=window&size=2&page=3")
    assert rows(page3) == ids[4:] and 'rel="next"' not in page3.get_data(as_text=True)
    assert rows(c.get("/inbox?tab=window&sort=-due&size=2")) == [ids[5], ids[4]]
    assert rows(c.get("/inbox?tab=window&sort=-created")) == ids[::-1]
    assert rows(c.get("/inbox?tab=window&sort=created")) == ids
    assert rows(c.get("/inbox?tab=window&kind=joint")) == ids[:5]
    assert rows(c.get("/inbox?tab=window&kind=promised")) == [ids[5]]
    # nonsense parameters fall back to the defaults instead of failing
    assert rows(c.get("/inbox?tab=window&sort=evil&kind=evil&state=evil&page=x&size=-3")) == ids
    assert c.get("/inbox?tab=nope").status_code == 404


def test_deadline_marks_on_the_test_clock(
    services: runner.Services, clock: runner.ManualClock, deployed: None, signed_in: Any
) -> None:
    t = start(services, "shebao", key="review")  # 受理 limit 2 working days: due end of Wed 09-30
    c = signed_in("shebao_clerk")

    def mark() -> str:
        html = c.get("/inbox?tab=window").get_data(as_text=True)
        row = html.split(f'data-task="{t["id"]}"')[0].rsplit("<tr", 1)[1]
        cell = html.split(f'data-task="{t["id"]}"')[1].split("</tr>")[0]
        return row + "|" + re.sub(r"\s+", " ", cell)

    now = mark()
    assert 'class="due-ok"' in now and "剩 2 个工作日" in now and "mark-" not in now
    assert rows(c.get("/inbox?tab=window&state=normal")) == [t["id"]]
    clock.advance(days=1)  # Tue 09-29: one working day left → yellow
    now = mark()
    assert "due-warning" in now and "mark-warning" in now and "剩 1 个工作日" in now
    assert rows(c.get("/inbox?tab=window&state=warning")) == [t["id"]]
    assert rows(c.get("/inbox?tab=window&state=normal")) == []
    clock.advance(days=1)  # Wed 09-30: due today → yellow
    assert "今日到期" in mark()
    clock.advance(days=1)  # Thu 10-01 (holiday): past the deadline → red
    now = mark()
    assert "due-overdue" in now and "mark-overdue" in now and "已超期" in now
    assert rows(c.get("/inbox?tab=window&state=overdue")) == [t["id"]]
    assert rows(c.get("/inbox?tab=window&state=warning")) == []
    clock.advance(days=7, hours=1)  # Thu 10-08, the first working day after National Day
    assert "超期 1 个工作日" in mark()


def test_english_inbox(services: runner.Services, deployed: None, signed_in: Any) -> None:
    start(services, "shebao")
    c = signed_in("shebao_clerk")
    html = c.get("/inbox?tab=window&lang=en").get_data(as_text=True)
    assert "My tasks" in html and "Claim" in html

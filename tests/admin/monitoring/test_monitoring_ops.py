"""故障, 定时器 (with the RQ job state from a real Redis), 工作日调整, 用户与窗口 and the front-page tiles."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

import runner
from runner.config import Settings
from runner.core.scheduling import RQScheduler, wakeup_job_id
from runner.people import directory
from tests.admin.monitoring_helpers import (
    accepted_item,
    audit_actions,
    deploy,
    flashes,
    incident_item,
    people,
    promised_item,
)
from tests.support.flow import complete, describe, local, task


@pytest.fixture
def setup(services, make_user) -> None:
    people(make_user)
    deploy(services)


def job_states(html: str) -> list[str]:
    return re.findall(r'data-job-state="([^"]+)"', html)


# ---- incidents ---------------------------------------------------------------------------------------


def test_incident_list_and_retry_from_it(services, setup, signed_in) -> None:
    iid = incident_item(services)
    assert signed_in("clerk1").get("/admin/incidents/").status_code == 403
    page = signed_in("sup").get("/admin/incidents/").get_data(as_text=True)
    assert "division by zero" in page and "计算份数" in page
    assert describe(services, iid)["business_key"] in page
    exported = signed_in("sup").get("/admin/incidents/export/csv/")
    assert exported.status_code == 200 and "division by zero" in exported.get_data(as_text=True)
    assert "retry-form" not in page  # a supervisor looks, and cannot retry either
    assert signed_in("sup").post(f"/admin/instance/{iid}/retry").status_code == 403
    admin = signed_in("admin")
    assert "retry-form" in admin.get("/admin/incidents/").get_data(as_text=True)
    open_only = re.search(r'id="quick-open" href="([^"]+)"', page)[1].replace("&amp;", "&")
    response = admin.post(f"/admin/instance/{iid}/retry", data={"data": '{"copies": 5}', "next": open_only})
    assert response.status_code == 302 and response.headers["Location"].endswith(open_only)
    assert describe(services, iid)["status"] == "waiting"
    after = admin.get(open_only).get_data(as_text=True)
    assert "division by zero" not in after
    assert "admin 已处理" in admin.get("/admin/incidents/").get_data(as_text=True)
    # an outside address in "next" is ignored
    broken = incident_item(services)
    response = admin.post(
        f"/admin/instance/{broken}/retry", data={"data": "{}", "next": "https://evil.example/"}
    )
    assert response.headers["Location"].endswith(f"/admin/instance/{broken}/")


# ---- front page ----------------------------------------------------------------------------------------


def test_front_page_tiles(services, clock, setup, signed_in) -> None:
    incident_item(services)
    accepted_item(services)
    page = signed_in("sup").get("/admin/").get_data(as_text=True)

    def tile(title: str) -> str:
        return re.search(
            rf"{title}</div>\s*<div class=\"h2 [^\"]+\"><a href=\"[^\"]+\" class=\"[^\"]+\">(\d+)</a>", page
        )[1]

    assert (tile("未处理故障"), tile("超期办件"), tile("过期未触发的定时器")) == ("1", "0", "0")
    clock.set(local("2026-10-19", "10:00"))  # past the deadline; the timer was not fired
    page = signed_in("sup").get("/admin/").get_data(as_text=True)
    assert (tile("未处理故障"), tile("超期办件"), tile("过期未触发的定时器")) == ("1", "1", "1")
    designer = signed_in("designer1").get("/admin/")
    assert designer.status_code == 200 and "未处理故障" not in designer.get_data(as_text=True)


# ---- timers --------------------------------------------------------------------------------------------


def test_timers_with_recorded_and_lost_jobs_and_the_sweep(services, clock, setup, signed_in) -> None:
    iid = accepted_item(services)
    sup, admin = signed_in("sup"), signed_in("admin")
    page = sup.get("/admin/timers/").get_data(as_text=True)
    assert describe(services, iid)["business_key"] in page
    assert job_states(page) == ["recorded"]
    assert job_states(sup.get(f"/admin/instance/{iid}/").get_data(as_text=True)) == ["recorded"]
    services.scheduler.sent.clear()  # Redis lost the jobs
    page = sup.get("/admin/timers/").get_data(as_text=True)
    assert job_states(page) == ["missing"]
    assert "丢失" in page
    assert 'id="sweep-form"' not in page
    assert sup.post("/admin/timers/sweep").status_code == 403
    clock.set(local("2026-10-17", "12:00"))  # the timer is past due
    overdue_link = re.search(r'id="quick-overdue" href="([^"]+)"', page)[1].replace("&amp;", "&")
    assert len(job_states(admin.get(overdue_link).get_data(as_text=True))) == 1
    page = admin.post("/admin/timers/sweep", follow_redirects=True).get_data(as_text=True)
    assert any("补发 1 个任务" in f for f in flashes(page)), flashes(page)
    assert job_states(page) == ["recorded"]
    assert ("sweep_requested", "admin") in audit_actions(services, action="sweep_requested")


def rq_app(database_url, db_engine, redis_url: str, clock):
    from webapp import create_app

    settings = Settings(database_url=database_url, redis_url=redis_url, queue_name="banjian-test")
    services = runner.Services(
        settings, clock=clock, scheduler=RQScheduler(redis_url, "banjian-test"), engine=db_engine
    )
    app = create_app({"SERVICES": services, "TESTING": True, "SECRET_KEY": "t", "WTF_CSRF_ENABLED": False})
    return services, app


def signed(app, username: str):
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = username
        sess["_fresh"] = True
    return client


def wakeup_id(timer: dict) -> str:
    """The id of the job that wakes ``timer`` up: the one of the second it falls due in."""
    return wakeup_job_id(int(datetime.fromisoformat(timer["due_at"]).timestamp()))


def accepted_item_with_rules(services: runner.Services) -> int:
    from tests.admin.monitoring_helpers import promised_item

    iid = promised_item(services)
    complete(services, task(services, iid, "accept")["id"], {"eligible": True, "materials_complete": True})
    complete(services, task(services, iid, "acceptance_notice")["id"], {"notice_no": "受字[2026]001号"})
    return iid


def test_timer_job_state_from_redis(database_url, db_engine, redis_url, clock, windows, make_user) -> None:
    from redis import Redis

    services, app = rq_app(database_url, db_engine, redis_url, clock)
    people(make_user)
    deploy(services)
    with services.transaction() as s:
        runner.seed_warning_rules(s)  # 提示, 黄牌, 红牌 besides the diagram's deadline timer
    iid = accepted_item_with_rules(services)
    page = signed(app, "sup").get("/admin/timers/").get_data(as_text=True)
    assert job_states(page) == ["scheduled"] * 4
    first, second = describe(services, iid)["timers"][:2]
    assert first["due_at"] != second["due_at"]  # two seconds: two wake-up jobs
    Redis.from_url(redis_url).delete(f"rq:job:{wakeup_id(first)}")
    page = signed(app, "sup").get("/admin/timers/").get_data(as_text=True)
    assert job_states(page) == ["missing", "scheduled", "scheduled", "scheduled"]
    services.scheduler.connection.close()


def test_redis_down_does_not_break_the_page(
    database_url, db_engine, clock, services, windows, make_user
) -> None:
    from tests.support.services import free_port

    people(make_user)
    deploy(services)
    accepted_item(services)
    _, app = rq_app(database_url, db_engine, f"redis://127.0.0.1:{free_port()}/0", clock)
    response = signed(app, "sup").get("/admin/timers/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="redis-down"' in page and job_states(page) == ["redis_down"]
    assert "Redis 不可用" in page
    clock.set(local("2026-10-17", "12:00"))  # a timer is due: the sweep must ask Redis
    swept = signed(app, "admin").post("/admin/timers/sweep", follow_redirects=True).get_data(as_text=True)
    assert any("Redis 不可用" in f for f in flashes(swept)), flashes(swept)


# ---- calendar ------------------------------------------------------------------------------------------


def test_calendar_override_preview_then_save(services, setup, signed_in) -> None:
    iid = promised_item(services)
    key, before = describe(services, iid)["business_key"], describe(services, iid)["deadline"]
    sup, admin = signed_in("sup"), signed_in("admin")
    assert sup.get("/admin/calendar/").status_code == 200
    assert sup.post("/admin/calendar/add", data={"day": "2026-10-12", "step": "preview"}).status_code == 403
    page = admin.post(
        "/admin/calendar/add",
        data={"day": "2026-10-12", "kind": "holiday", "note": "台风", "step": "preview"},
    ).get_data(as_text=True)
    assert 'id="override-preview"' in page and key in page
    assert re.search(r"<strong>1</strong> 件未办结办件", page)
    assert describe(services, iid)["deadline"] == before  # nothing saved by the preview
    assert audit_actions(services, action="calendar_override") == []
    page = admin.post(
        "/admin/calendar/add",
        data={"day": "2026-10-12", "kind": "holiday", "note": "台风", "step": "save"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert any("1 件办件的期限已重新计算" in f for f in flashes(page)), flashes(page)
    assert "台风" in page  # listed
    after = describe(services, iid)["deadline"]
    assert after > before
    assert audit_actions(services, action="calendar_override") == [("calendar_override", "admin")]
    page = admin.post("/admin/calendar/add", data={"day": "12/10/2026", "step": "preview"}).get_data(
        as_text=True
    )
    assert any("日期格式" in f for f in flashes(page)), flashes(page)


# ---- users and windows ---------------------------------------------------------------------------------


def test_users_create_assign_disable(services, setup, signed_in) -> None:
    sup, admin = signed_in("sup"), signed_in("admin")
    page = sup.get("/admin/users/").get_data(as_text=True)
    assert 'data-username="clerk1"' in page and 'id="create-user"' not in page
    assert sup.post("/admin/users/create", data={"username": "x"}).status_code == 403
    assert signed_in("clerk1").get("/admin/users/").status_code == 403
    form = {
        "username": "newbie",
        "display_name": "新人",
        "password": "short",
        "window": "guotu",
        "role": "clerk",
    }
    page = admin.post("/admin/users/create", data=form, follow_redirects=True).get_data(as_text=True)
    assert any("密码至少" in f for f in flashes(page)), flashes(page)
    form["password"] = "long-enough-1"
    page = admin.post("/admin/users/create", data=form, follow_redirects=True).get_data(as_text=True)
    assert any("已创建用户 newbie" in f for f in flashes(page)), flashes(page)
    page = admin.post("/admin/users/create", data=form, follow_redirects=True).get_data(as_text=True)
    assert any("已存在" in f for f in flashes(page)), flashes(page)
    admin.post(
        "/admin/users/newbie/memberships",
        data={"window": ["guotu", "shebao", ""], "role": ["window_head", "clerk", "clerk"]},
    )
    with services.transaction() as s:
        person = directory.get_person(s, "newbie")
    assert person.memberships == {("guotu", "window_head"), ("shebao", "clerk")}
    admin.post("/admin/users/newbie/active", data={"active": "0"})
    with services.transaction() as s:
        assert directory.get_person(s, "newbie").is_active is False
    page = admin.post("/admin/users/admin/active", data={"active": "0"}, follow_redirects=True).get_data(
        as_text=True
    )
    assert any("不能停用自己" in f for f in flashes(page)), flashes(page)
    assert [a for a, _ in audit_actions(services, actor="admin")] == [
        "user_created",
        "memberships_set",
        "user_disabled",
    ]


def test_ab_backup_and_windows(services, setup, signed_in) -> None:
    admin = signed_in("admin")
    page = admin.get("/admin/users/clerk1/").get_data(as_text=True)
    with services.transaction() as s:
        name = directory.get_person(s, "clerk2").display_name
    assert f'<option value="clerk2">{name}（clerk2）</option>' in page  # the cover by name, not only the id
    page = admin.post(
        "/admin/users/clerk1/absence",
        data={"backup": "clerk2", "starts_at": "", "ends_at": "2026-09-30T18:00", "reason": "培训"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert any("由 clerk2 代班" in f for f in flashes(page)), flashes(page)
    with services.transaction() as s:
        [absence] = directory.list_absences(s, username="clerk1")
        assert directory.current_backup(s, "clerk1") == "clerk2"
    assert absence.ends_at.isoformat() == "2026-09-30T10:00:00+00:00"
    page = admin.post(f"/admin/users/absence/{absence.id}/end", follow_redirects=True).get_data(as_text=True)
    assert any("请假已结束" in f for f in flashes(page)), flashes(page)
    with services.transaction() as s:
        assert directory.current_backup(s, "clerk1") is None
    page = admin.post(
        "/admin/users/windows", data={"code": "gongan", "name": "公安窗口"}, follow_redirects=True
    )
    assert "公安窗口" in page.get_data(as_text=True)
    page = admin.post("/admin/users/windows", data={"code": "bad code!", "name": "x"}, follow_redirects=True)
    assert any("窗口代码" in f for f in flashes(page.get_data(as_text=True)))
    with services.transaction() as s:
        assert "gongan" in runner.known_windows(s)
    actions = [a for a, _ in audit_actions(services, actor="admin")]
    assert actions == ["absence_marked", "absence_ended", "window_saved"]


@pytest.mark.parametrize(
    "url",
    [
        "/admin/users/create",
        "/admin/users/clerk1/memberships",
        "/admin/users/clerk1/active",
        "/admin/users/clerk1/password",
        "/admin/users/clerk1/absence",
        "/admin/users/absence/1/end",
        "/admin/users/windows",
        "/admin/calendar/add",
        "/admin/timers/sweep",
        "/admin/definitions/deploy",
        "/admin/definitions/chengnuo/migrate",
    ],
)
def test_changes_are_for_admins_only(services, setup, signed_in, url) -> None:
    for user in ("sup", "boss"):
        assert (
            signed_in(user).post(url, data={"active": "0", "step": "save", "day": "2026-10-12"}).status_code
            == 403
        )
    assert signed_in("clerk1").post(url).status_code == 403
    assert audit_actions(services, actor="sup") == [] and audit_actions(services, actor="boss") == []


def test_disabling_a_covering_backup_is_refused_with_the_covers_named(services, setup, signed_in) -> None:
    """AB岗: the console refuses to disable the backup of a cover in force (the absent clerk's work would
    go to nobody), saying whose cover it is; no 500."""
    now = services.now()
    with services.transaction() as s:
        directory.mark_absent(s, "clerk1", "clerk2", now, None, actor="admin")
    admin = signed_in("admin")
    page = admin.post("/admin/users/clerk2/active", data={"active": "0"}, follow_redirects=True)
    assert page.status_code == 200
    assert any("为 clerk1 代班" in f for f in flashes(page.get_data(as_text=True))), flashes(
        page.get_data(as_text=True)
    )
    with services.transaction() as s:
        assert directory.get_person(s, "clerk2").is_active is True


def test_disabling_a_clerk_holding_tasks_is_refused_with_the_items_named(services, setup, signed_in) -> None:
    """The console refuses to disable a clerk who still holds an open task (it would sit with someone who
    can never log in), naming the item and where to hand it over; after 改派 the clerk can be disabled."""
    iid = promised_item(services)
    accept = task(services, iid, "accept")
    with services.transaction() as s:
        runner.claim(s, accept["id"], actor="clerk1")
    admin = signed_in("admin")
    page = admin.post("/admin/users/clerk1/active", data={"active": "0"}, follow_redirects=True)
    assert page.status_code == 200
    shown = flashes(page.get_data(as_text=True))
    assert any("仍有 1 项待办" in f and accept["business_key"] in f and "改派" in f for f in shown), shown
    with services.transaction() as s:
        assert directory.get_person(s, "clerk1").is_active is True
        runner.reassign(s, accept["id"], actor="admin", assignee="clerk2")
    admin.post("/admin/users/clerk1/active", data={"active": "0"})
    with services.transaction() as s:
        assert directory.get_person(s, "clerk1").is_active is False
    assert [a for a, _ in audit_actions(services, actor="admin")][-1] == "user_disabled"


def test_closing_a_window_with_open_tasks_is_refused_naming_how_many(services, setup, signed_in) -> None:
    """Its running items' tasks would stay in a window no picker offers: the console says how many (flash, no
    500) and the window stays open; a window without open tasks closes."""
    iid = promised_item(services)
    window = task(services, iid, "accept")["window"]
    admin = signed_in("admin")
    with services.transaction() as s:
        name = next(w.name for w in runner.list_windows(s) if w.code == window)
    page = admin.post(
        "/admin/users/windows", data={"code": window, "name": name, "active": "0"}, follow_redirects=True
    )
    assert page.status_code == 200
    assert any("还有 1 件未办结的任务" in f for f in flashes(page.get_data(as_text=True))), flashes(
        page.get_data(as_text=True)
    )
    with services.transaction() as s:
        assert window in runner.known_windows(s)
    admin.post("/admin/users/windows", data={"code": "gongan", "name": "公安窗口"})
    admin.post("/admin/users/windows", data={"code": "gongan", "name": "公安窗口", "active": "0"})
    with services.transaction() as s:
        assert "gongan" not in runner.known_windows(s)


def test_closing_a_window_a_deployed_version_routes_to_is_refused_naming_it(
    services, setup, signed_in
) -> None:
    """No open task there yet, but the current 承诺件 version sends its steps there: the console names the
    process and version (flash, no 500) and the window stays open."""
    from runner.core.definitions import latest_definition
    from runner.people.windows import routed_windows

    with services.transaction() as s:
        definition = latest_definition(s, "chengnuo")
        window = sorted(routed_windows(definition.meta))[0]
        name = next(w.name for w in runner.list_windows(s) if w.code == window)
        expected = f"流程「{definition.name}」（版本 {definition.version}）"
    page = signed_in("admin").post(
        "/admin/users/windows", data={"code": window, "name": name, "active": "0"}, follow_redirects=True
    )
    assert page.status_code == 200
    shown = flashes(page.get_data(as_text=True))
    assert any(expected in f and "请先改派或重新部署" in f for f in shown), shown
    with services.transaction() as s:
        assert window in runner.known_windows(s)


def test_a_refused_user_or_window_form_comes_back_filled_in(services, setup, signed_in) -> None:
    """After a refusal the forms hold what was typed (the password aside), once; the next visit is blank."""
    admin = signed_in("admin")
    form = {
        "username": "newbie",
        "display_name": "新人",
        "password": "short",
        "window": "guotu",
        "role": "clerk",
    }
    page = admin.post("/admin/users/create", data=form, follow_redirects=True).get_data(as_text=True)
    create = page.split('id="create-user"')[1].split("</form>")[0]
    assert 'value="newbie"' in create and 'value="新人"' in create and "short" not in create
    assert '<option value="guotu" selected>' in create and '<option value="clerk" selected>' in create
    page = admin.post(
        "/admin/users/windows", data={"code": "bad code!", "name": "公安窗口"}, follow_redirects=True
    )
    window = page.get_data(as_text=True).split('id="window-form"')[1].split("</form>")[0]
    assert 'value="bad code!"' in window and 'value="公安窗口"' in window
    again = admin.get("/admin/users/").get_data(as_text=True)
    assert 'value="newbie"' not in again and 'value="bad code!"' not in again


def test_a_refused_absence_comes_back_filled_in(services, setup, signed_in) -> None:
    """An absence ending before it starts is refused; the form still holds the cover, reason and times."""
    admin = signed_in("admin")
    data = {
        "backup": "clerk2",
        "starts_at": "2026-09-30T18:00",
        "ends_at": "2026-09-29T18:00",
        "reason": "培训",
    }
    page = admin.post("/admin/users/clerk1/absence", data=data, follow_redirects=True).get_data(as_text=True)
    assert any("操作未完成" in f for f in flashes(page)), flashes(page)
    form = page.split('id="absence-form"')[1].split("</form>")[0]
    assert '<option value="clerk2" selected>' in form and 'value="培训"' in form
    assert 'value="2026-09-30T18:00"' in form and 'value="2026-09-29T18:00"' in form

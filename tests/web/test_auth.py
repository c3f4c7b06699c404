"""Login, lockout, logout, CSRF, cookies, roles and languages of the workspace."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

import runner
from runner.models import AuditEntry, LoginThrottle, User
from runner.people import directory
from tests.support.web_fixtures import DEMO_PASSWORD


def _post_login(client: FlaskClient, username: str, password: str, **kw: Any) -> Any:
    return client.post("/login", data={"username": username, "password": password}, **kw)


def _actions(services: runner.Services, actor: str) -> list[str]:
    with services.transaction() as s:
        return list(
            s.scalars(select(AuditEntry.action).where(AuditEntry.actor == actor).order_by(AuditEntry.id))
        )


def test_login_page_is_chinese_and_has_a_csrf_field(csrf_app: Flask) -> None:
    page = csrf_app.test_client().get("/login")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "窗口人员登录" in text and 'name="csrf_token"' in text


def test_login_and_logout(client: FlaskClient, make_user: Any, services: runner.Services) -> None:
    make_user("shebao_clerk", ("shebao", "clerk"), name="社保小王")
    assert client.get("/inbox").status_code == 302
    r = _post_login(client, "shebao_clerk", DEMO_PASSWORD)
    assert r.status_code == 302 and r.headers["Location"].endswith("/inbox")
    assert client.get("/").headers["Location"].endswith("/inbox")
    inbox = client.get("/inbox")
    assert inbox.status_code == 200 and "社保小王" in inbox.get_data(as_text=True)
    assert client.post("/logout").status_code == 302
    assert client.get("/inbox").status_code == 302
    assert _actions(services, "shebao_clerk")[-2:] == ["login", "logout"]


def test_next_is_followed_only_within_the_site(client: FlaskClient, make_user: Any) -> None:
    make_user("a", ("shebao", "clerk"))
    r = _post_login(client, "a", DEMO_PASSWORD, query_string={"next": "/absence"})
    assert r.headers["Location"].endswith("/absence")
    client.post("/logout")
    r = _post_login(client, "a", DEMO_PASSWORD, query_string={"next": "https://evil.example/x"})
    assert r.headers["Location"].endswith("/inbox")
    client.post("/logout")
    r = _post_login(client, "a", DEMO_PASSWORD, query_string={"next": "//evil.example/x"})
    assert r.headers["Location"].endswith("/inbox")


@pytest.mark.parametrize(
    "target", ["/\\evil.example/x", "/\\/evil.example", "/\t/evil.example", "/\r\n/evil.example"]
)
def test_next_that_a_browser_reads_as_another_host_is_not_followed(
    client: FlaskClient, make_user: Any, target: str
) -> None:
    """Browsers read a backslash as a slash and drop tabs, so ``/\\evil`` and ``/<tab>/evil`` lead off-site."""
    make_user("a", ("shebao", "clerk"))
    r = _post_login(client, "a", DEMO_PASSWORD, query_string={"next": target})
    assert r.headers["Location"].endswith("/inbox")


def test_wrong_password_and_unknown_user_say_the_same(client: FlaskClient, make_user: Any) -> None:
    make_user("a", ("shebao", "clerk"))
    wrong = _post_login(client, "a", "not-the-password")
    assert wrong.status_code == 401
    assert "用户名或密码错误" in wrong.get_data(as_text=True)
    unknown = _post_login(client, "nobody", "whatever-pass")
    assert unknown.status_code == 401
    assert "用户名或密码错误" in unknown.get_data(as_text=True)


def test_empty_fields_are_shown_next_to_the_field(client: FlaskClient) -> None:
    r = _post_login(client, "", "")
    assert r.status_code == 400
    text = r.get_data(as_text=True)
    assert "请输入用户名" in text and "请输入密码" in text


def test_lockout_after_five_failures_and_unlock_after_fifteen_minutes(
    client: FlaskClient, make_user: Any, services: runner.Services, clock: runner.ManualClock
) -> None:
    make_user("a", ("shebao", "clerk"))
    for i in range(4):
        r = _post_login(client, "a", "bad-password")
        assert r.status_code == 401
        assert f"再错 {4 - i} 次" in r.get_data(as_text=True)
    r = _post_login(client, "a", "bad-password")
    assert r.status_code == 429 and "已暂停从此处登录 15 分钟" in r.get_data(as_text=True)
    # the right password does not help while locked
    r = _post_login(client, "a", DEMO_PASSWORD)
    assert r.status_code == 429 and "请 15 分钟后再试" in r.get_data(as_text=True)
    clock.advance(minutes=14)
    r = _post_login(client, "a", DEMO_PASSWORD)
    assert r.status_code == 429 and "请 1 分钟后再试" in r.get_data(as_text=True)
    clock.advance(minutes=1, seconds=1)
    r = _post_login(client, "a", DEMO_PASSWORD)
    assert r.status_code == 302
    actions = _actions(services, "a")
    assert actions.count("login_failed") == 7
    assert actions.count("login_locked") == 1
    assert actions[-1] == "login"
    with services.transaction() as s:
        assert s.query(LoginThrottle).count() == 0  # a successful login clears its pair


def test_a_stranger_cannot_lock_the_owner_out(app: Flask, make_user: Any) -> None:
    make_user("admin", ("centre", "admin"))
    stranger = app.test_client()
    away = {"REMOTE_ADDR": "203.0.113.9"}
    for _ in range(6):
        _post_login(stranger, "admin", "guess-guess", environ_base=away)
    assert _post_login(stranger, "admin", DEMO_PASSWORD, environ_base=away).status_code == 429
    owner = _post_login(app.test_client(), "admin", DEMO_PASSWORD, environ_base={"REMOTE_ADDR": "10.0.0.5"})
    assert owner.status_code == 302


def test_an_unknown_name_gets_the_same_answers_as_a_wrong_password(app: Flask, make_user: Any) -> None:
    make_user("real", ("shebao", "clerk"))
    answers: dict[str, list[tuple[int, str]]] = {}
    for name in ("real", "nobody"):
        client = app.test_client()
        answers[name] = []
        for _ in range(6):
            r = _post_login(client, name, "bad-password")
            error = r.get_data(as_text=True).split('id="login-error">', 1)[1].split("</p>", 1)[0]
            answers[name].append((r.status_code, error))
    assert answers["real"] == answers["nobody"]
    assert [status for status, _ in answers["real"]] == [401] * 4 + [429] * 2


def test_a_disabled_account_is_named_only_to_its_password(app: Flask, make_user: Any, services: Any) -> None:
    make_user("gone", ("shebao", "clerk"))
    with services.transaction() as s:
        directory.set_active(s, "gone", False, actor="admin")
    wrong = _post_login(app.test_client(), "gone", "bad-password").get_data(as_text=True)
    assert "账户已停用" not in wrong and "用户名或密码错误" in wrong
    right = _post_login(app.test_client(), "gone", DEMO_PASSWORD)
    assert right.status_code == 401 and "账户已停用" in right.get_data(as_text=True)


def test_a_fresh_count_after_the_lock_ran_out(
    client: FlaskClient, make_user: Any, clock: runner.ManualClock
) -> None:
    make_user("a", ("shebao", "clerk"))
    for _ in range(5):
        _post_login(client, "a", "bad-password")
    clock.advance(minutes=16)
    r = _post_login(client, "a", "bad-password")
    assert r.status_code == 401 and "再错 4 次" in r.get_data(as_text=True)


def test_disabled_user_cannot_log_in_and_is_logged_out(
    client: FlaskClient, make_user: Any, services: runner.Services, signed_in: Any
) -> None:
    make_user("a", ("shebao", "clerk"))
    c = signed_in("a")
    assert c.get("/inbox").status_code == 200
    with services.transaction() as s:
        directory.set_active(s, "a", False, actor="admin")
    assert c.get("/inbox").status_code == 302
    r = _post_login(client, "a", DEMO_PASSWORD)
    assert r.status_code == 401 and "账户已停用" in r.get_data(as_text=True)


def test_password_hash_is_not_the_password(make_user: Any, services: runner.Services) -> None:
    make_user("a", ("shebao", "clerk"))
    with services.transaction() as s:
        stored = s.scalars(select(User.password_hash).where(User.username == "a")).one()
        assert DEMO_PASSWORD not in stored and stored.startswith("scrypt:")
        directory.set_password(s, "a", "another-secret", actor="admin")
    person = directory.login(services, "a", "another-secret")
    assert person.username == "a" and person.windows == {"shebao"}


def test_csrf_is_enforced(csrf_app: Flask, make_user: Any) -> None:
    make_user("a", ("shebao", "clerk"))
    c = csrf_app.test_client()
    refused = _post_login(c, "a", DEMO_PASSWORD)
    assert refused.status_code == 400 and "安全令牌" in refused.get_data(as_text=True)
    page = c.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    ok = c.post("/login", data={"username": "a", "password": DEMO_PASSWORD, "csrf_token": token})
    assert ok.status_code == 302
    # logout without a token is refused too
    assert c.post("/logout").status_code == 400
    # the JSON API is not behind CSRF (it uses bearer tokens)
    assert c.get("/api/definitions", headers={"X-Actor": "a"}).status_code == 200
    unknown = c.post("/api/instances", json={"key": "nope"}, headers={"X-Actor": "a"})
    assert unknown.status_code == 404  # reached the route: no CSRF refusal


def test_session_cookie_flags(services: runner.Services, make_user: Any) -> None:
    from webapp import create_app

    app = create_app({"SERVICES": services, "SECRET_KEY": "x", "WTF_CSRF_ENABLED": False})
    make_user("a", ("shebao", "clerk"))
    r = _post_login(app.test_client(), "a", DEMO_PASSWORD)
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_require_role_and_403_page(app: Flask, make_user: Any, signed_in: Any) -> None:
    from web.auth import current_user, require_role

    @app.get("/_test/leaders")
    @require_role("leader", "admin")
    def only_leaders() -> str:
        return f"hello {current_user.username}"

    make_user("clerk1", ("shebao", "clerk"))
    make_user("boss", ("leader", "leader"))
    assert signed_in("clerk1").get("/_test/leaders").status_code == 403
    assert signed_in("boss").get("/_test/leaders").get_data(as_text=True) == "hello boss"
    assert app.test_client().get("/_test/leaders").status_code == 302


def test_english_on_request(client: FlaskClient) -> None:
    page = client.get("/login?lang=en").get_data(as_text=True)
    assert "Clerk login" in page and '<html lang="en">' in page
    # remembered in the session
    assert "Clerk login" in client.get("/login").get_data(as_text=True)
    assert "窗口人员登录" in client.get("/login?lang=zh_CN").get_data(as_text=True)


def test_the_chosen_language_outlives_login_and_logout(client: FlaskClient, make_user: Any) -> None:
    """Login and logout start a fresh session (no session fixation) but keep the language the user chose: the
    inbox after an English login is in English, and so are the logout notice and the login page after it."""
    make_user("a", ("shebao", "clerk"))
    assert '<html lang="en">' in client.get("/login?lang=en").get_data(as_text=True)
    _post_login(client, "a", DEMO_PASSWORD)
    assert '<html lang="en">' in client.get("/inbox").get_data(as_text=True)
    page = client.post("/logout", follow_redirects=True).get_data(as_text=True)
    assert "Logged out." in page and '<html lang="en">' in page
    assert "已退出登录" not in page


def test_english_error_messages(client: FlaskClient, make_user: Any) -> None:
    make_user("a", ("shebao", "clerk"))
    r = client.post("/login?lang=en", data={"username": "a", "password": "bad-password"})
    assert "Wrong username or password" in r.get_data(as_text=True)


def test_directory_rules(services: runner.Services, make_user: Any) -> None:
    make_user("a", ("shebao", "clerk"))
    with services.transaction() as s:
        try:
            directory.create_user(s, "a", "again", DEMO_PASSWORD)
        except runner.Conflict as exc:
            assert "已存在" in exc.message
        else:
            raise AssertionError("duplicate user accepted")
    for bad in [("nowhere", "clerk"), ("shebao", "pope")]:
        with services.transaction() as s:
            try:
                directory.create_user(s, "b", "b", DEMO_PASSWORD, [bad])
            except runner.InvalidInput:
                pass
            else:
                raise AssertionError(f"bad membership accepted: {bad}")
    with services.transaction() as s:
        try:
            directory.create_user(s, "b", "b", "short")
        except runner.InvalidInput as exc:
            assert "密码至少" in exc.message
    make_user("h", ("shebao", "window_head"), ("shebao", "clerk"))
    with services.transaction() as s:
        assert [p.username for p in directory.window_heads(s, "shebao")] == ["h"]
        assert directory.user_roles(s, "h") == {"window_head", "clerk"}
        assert directory.user_windows(s, "a") == {"shebao"}
        assert {p.username for p in directory.list_users(s, window="shebao")} == {"a", "h"}


def test_seed_creates_demo_users_once(
    database_url: str, services: runner.Services, monkeypatch: Any, tmp_path: Any, capsys: Any
) -> None:
    import json

    from runner.cli import main

    windows = [
        {"code": "centre", "name": "中心综合受理窗口"},
        {"code": "leader", "name": "中心领导"},
        {"code": "supervision", "name": "督查股"},
        {"code": "shebao", "name": "社保窗口"},
    ]
    path = tmp_path / "windows.json"
    path.write_text(json.dumps({"windows": windows}, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setenv("BANJIAN_DATABASE_URL", database_url)
    assert main(["seed", "--windows", str(path)]) == 0
    out = capsys.readouterr().out
    assert "demo users: 12 new" in out and DEMO_PASSWORD in out
    assert main(["seed", "--windows", str(path)]) == 0
    assert "demo users: 0 new, 12 already there" in capsys.readouterr().out
    with services.transaction() as s:
        names = {p.username: p for p in directory.list_users(s)}
    assert set(names) == {
        "centre_clerk", "centre_head", "leader_clerk", "leader_head", "supervision_clerk", "supervision_head",
        "shebao_clerk", "shebao_head", "leader", "supervisor", "designer", "admin",
    }  # fmt: skip
    assert names["shebao_head"].memberships == {("shebao", "window_head")}
    assert names["supervisor"].memberships == {("supervision", "supervisor")}
    assert directory.login(services, "shebao_clerk", DEMO_PASSWORD).windows == {"shebao"}


def test_catalogs_compile_when_missing_or_stale(tmp_path: Any) -> None:
    import os
    import shutil

    from web.i18n import TRANSLATIONS, compile_catalogs

    target = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS, target, ignore=shutil.ignore_patterns("*.mo"))
    assert sorted(p.name for p in compile_catalogs(target)) == ["admin.mo", "messages.mo"]
    assert compile_catalogs(target) == []  # up to date
    po = target / "en" / "LC_MESSAGES" / "messages.po"
    mo = po.with_suffix(".mo")
    os.utime(po, (mo.stat().st_atime, mo.stat().st_mtime + 10))
    assert len(compile_catalogs(target)) == 1


def test_behind_a_proxy_each_client_is_counted_by_its_forwarded_address(
    services: Any, make_user: Any
) -> None:
    from tests.support.web_fixtures import _app

    make_user("admin", ("centre", "admin"))
    app = _app(services, TRUSTED_PROXIES=1)
    proxy = {"REMOTE_ADDR": "10.0.0.1"}  # every request comes from the proxy
    for _ in range(5):
        _post_login(app.test_client(), "admin", "guess-guess", environ_base=proxy,
                    headers={"X-Forwarded-For": "203.0.113.9"})  # fmt: skip
    owner = _post_login(
        app.test_client(), "admin", DEMO_PASSWORD, environ_base=proxy, headers={"X-Forwarded-For": "10.8.0.7"}
    )
    assert owner.status_code == 302

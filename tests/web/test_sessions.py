"""Sessions can be ended: logout, a new password, disabling and a change of roles end every session of the user,
on every web node; a user changes their own password on /password."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

import runner
from runner.people import directory
from tests.support.web_fixtures import DEMO_PASSWORD, _app


def logged_in(app: Flask, username: str, password: str = DEMO_PASSWORD) -> FlaskClient:
    client = app.test_client()
    r = client.post("/login", data={"username": username, "password": password})
    assert r.status_code == 302 and r.headers["Location"].endswith("/inbox"), r.get_data(as_text=True)[:300]
    return client


def copy_of(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser holding the same session cookie (copied, replayed)."""
    other = app.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    return other


def test_a_copied_cookie_is_dead_after_logout(app: Flask, make_user: Any) -> None:
    make_user("a", ("shebao", "clerk"))
    browser = logged_in(app, "a")
    replay = copy_of(app, browser)
    assert replay.get("/inbox").status_code == 200
    assert browser.post("/logout").status_code == 302
    assert replay.get("/inbox").status_code == 302  # to the login page


def test_an_admins_password_reset_ends_every_session(app: Flask, make_user: Any, services: Any) -> None:
    make_user("a", ("shebao", "clerk"))
    office, home = logged_in(app, "a"), logged_in(app, "a")
    with services.transaction() as s:
        directory.set_password(s, "a", "a-new-secret", actor="admin")
    assert office.get("/inbox").status_code == 302 and home.get("/inbox").status_code == 302
    assert logged_in(app, "a", "a-new-secret").get("/inbox").status_code == 200


def test_a_change_of_roles_and_disabling_end_every_session(app: Flask, make_user: Any, services: Any) -> None:
    make_user("a", ("shebao", "clerk"))
    browser = logged_in(app, "a")
    with services.transaction() as s:
        directory.set_memberships(s, "a", [("shebao", "window_head")], actor="admin")
    assert browser.get("/inbox").status_code == 302
    browser = logged_in(app, "a")
    with services.transaction() as s:
        directory.set_active(s, "a", False, actor="admin")
        directory.set_active(s, "a", True, actor="admin")
    assert browser.get("/inbox").status_code == 302  # enabled again: the old session stays ended


def test_a_logout_on_one_web_node_ends_the_session_on_the_others(
    services: runner.Services, make_user: Any
) -> None:
    make_user("a", ("shebao", "clerk"))
    node_1, node_2 = _app(services), _app(services)  # one secret key, one database: two web nodes
    browser = logged_in(node_1, "a")
    on_node_2 = copy_of(node_2, browser)
    assert on_node_2.get("/inbox").status_code == 200
    browser.post("/logout")
    assert on_node_2.get("/inbox").status_code == 302


def test_a_user_changes_their_own_password(app: Flask, make_user: Any, services: Any) -> None:
    make_user("a", ("shebao", "clerk"))
    browser, elsewhere = logged_in(app, "a"), logged_in(app, "a")
    page = browser.get("/inbox").get_data(as_text=True)
    assert 'href="/password"' in page  # in the page chrome
    form = browser.get("/password").get_data(as_text=True)
    assert "当前密码" in form and "再次输入新密码" in form

    def change(current: str, new: str, confirm: str | None = None) -> Any:
        data = {
            "current_password": current,
            "new_password": new,
            "confirm": new if confirm is None else confirm,
        }
        return browser.post("/password", data=data)

    wrong = change("not-my-password", "another-secret")
    assert wrong.status_code == 400 and "当前密码不正确" in wrong.get_data(as_text=True)
    weak = change(DEMO_PASSWORD, "short")
    assert weak.status_code == 400 and "密码至少 8 位" in weak.get_data(as_text=True)
    differ = change(DEMO_PASSWORD, "another-secret", "another-secreT")
    assert differ.status_code == 400 and "两次输入的新密码不一致" in differ.get_data(as_text=True)
    same = change(DEMO_PASSWORD, DEMO_PASSWORD)
    assert same.status_code == 400 and "不能与当前密码相同" in same.get_data(as_text=True)
    done = change(DEMO_PASSWORD, "another-secret")
    assert done.status_code == 302 and done.headers["Location"].endswith("/inbox")
    assert browser.get("/inbox").status_code == 200  # this session goes on
    assert elsewhere.get("/inbox").status_code == 302  # the others end
    assert (
        app.test_client().post("/login", data={"username": "a", "password": DEMO_PASSWORD}).status_code == 401
    )
    assert logged_in(app, "a", "another-secret").get("/inbox").status_code == 200
    with services.transaction() as s:
        actions = [a for a in runner.verify_audit(s)]  # the chain holds
    assert actions == []


def test_wrong_current_passwords_lock_like_logins(app: Flask, make_user: Any) -> None:
    make_user("a", ("shebao", "clerk"))
    browser = logged_in(app, "a")
    statuses = [
        browser.post(
            "/password", data={"current_password": "guess-guess", "new_password": "x" * 9, "confirm": "x" * 9}
        ).status_code
        for _ in range(6)
    ]
    assert statuses == [400] * 4 + [429] * 2


def test_the_password_page_in_english(app: Flask, make_user: Any) -> None:
    make_user("a", ("shebao", "clerk"))
    page = logged_in(app, "a").get("/password?lang=en").get_data(as_text=True)
    assert "Change password" in page and "Current password" in page and "New password again" in page

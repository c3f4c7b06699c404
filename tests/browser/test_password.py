"""A clerk changes their own password in real Chromium (under the Content-Security-Policy); the other browser
they were logged in with is logged out."""

from __future__ import annotations

import re

import pytest

import runner
from runner.people import directory
from tests.support.flow import library_windows

from .conftest import login, screenshot

pytestmark = pytest.mark.slow


def test_a_clerk_changes_their_password(live_server: str, new_page, services: runner.Services) -> None:
    with services.transaction() as s:
        runner.upsert_windows(s, library_windows())
        directory.create_user(s, "shebao_clerk", "社保小王", directory.DEMO_PASSWORD, [("shebao", "clerk")])
    desk, phone = new_page(), new_page()
    login(desk, live_server, "shebao_clerk")
    login(phone, live_server, "shebao_clerk")
    desk.click("#nav-password")
    desk.wait_for_url(re.compile(r".*/password$"))
    desk.fill("#current_password", directory.DEMO_PASSWORD)
    desk.fill("#new_password", "short")
    desk.fill("#confirm", "short")
    desk.click("#password-form button[type=submit]")
    assert "密码至少 8 位" in desk.inner_text("main")
    screenshot(desk, "password-refused")
    desk.fill("#current_password", directory.DEMO_PASSWORD)
    desk.fill("#new_password", "社保窗口新密码2026")
    desk.fill("#confirm", "社保窗口新密码2026")
    desk.click("#password-form button[type=submit]")
    desk.wait_for_url(re.compile(r".*/inbox.*"))
    assert "密码已修改" in desk.inner_text("main")
    phone.goto(f"{live_server}/inbox")
    assert re.search(r"/login", phone.url)  # the other session ended
    login(phone, live_server, "shebao_clerk", "社保窗口新密码2026")
    phone.goto(f"{live_server}/password?lang=en")
    assert "Change password" in phone.inner_text("main")
    screenshot(phone, "password-en")

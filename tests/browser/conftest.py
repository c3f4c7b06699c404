"""Browser tests: the real app served on a loopback port, driven by Playwright in Debian's Chromium.

No browser is downloaded (``playwright install`` is never run): Chromium comes from Debian's package,
installed by ``scripts/install_system.sh test``. Screenshots go to ``tests/artifacts/`` (ignored by git).
"""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from runner.people.directory import DEMO_PASSWORD
from tests.support.services import free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture
def live_server(services: Any) -> Iterator[str]:
    """The web app on a free loopback port, sharing the test's database and clock."""
    from webapp import create_app

    app = create_app(
        {"TESTING": True, "SERVICES": services, "SECRET_KEY": "browser-tests", "WTF_CSRF_ENABLED": True}
    )
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the session, each test in fresh contexts."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `scripts/install_system.sh test`")
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="banjian-chromium-")
    with sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, f"--disk-cache-dir={profile}"]
        )
        yield instance
        instance.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[[], Any]]:
    """Factory: a page in its own browser context (its own cookies: one per person)."""
    contexts: list[Any] = []
    refused: list[str] = []  # what the pages' Content-Security-Policy blocked: must stay empty

    def make() -> Any:
        context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on(
            "console",
            lambda msg: (
                refused.append(f"{page.url}: {msg.text}") if "Content Security Policy" in msg.text else None
            ),
        )
        return page

    yield make
    for context in contexts:
        context.close()
    assert not refused, "the Content-Security-Policy blocked:\n" + "\n".join(refused)


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot into tests/artifacts/ for a reviewer."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    size = page.viewport_size
    page.screenshot(path=str(path), full_page=True)
    if size:
        # headless Chromium keeps hit-testing at the full-page size after such a screenshot, so that
        # a later click at the real button lands nowhere; setting the viewport again puts it right
        page.set_viewport_size({"width": size["width"], "height": size["height"] + 1})
        page.set_viewport_size(size)
    return path


def login(page: Any, base: str, username: str, password: str = DEMO_PASSWORD) -> None:
    """Log in through the login page and wait for the inbox."""
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/inbox.*"))

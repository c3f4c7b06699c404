"""``make up`` serves the pages with gunicorn, as the deploy guide does (issue 21.14), not Flask's development
server: scripts/run_platform.py started for real against the test database and Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from scripts.run_platform import web_command
from tests.support.services import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_the_web_command_is_gunicorn() -> None:
    command = web_command("127.0.0.1", 5000, 2)
    assert command[1:3] == ["-m", "gunicorn"] and "webapp:create_app()" in command
    assert "flask" not in command


@pytest.mark.slow
def test_make_up_serves_the_pages_with_gunicorn(database_url: str, db_engine: object, redis_url: str) -> None:
    port = free_port()
    env = {**os.environ, "BANJIAN_DATABASE_URL": database_url, "BANJIAN_REDIS_URL": redis_url}
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "run_platform.py"), "--skip-setup", "--port", str(port),
         "--workers", "1"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline, status = time.monotonic() + 60, None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as response:
                    status = response.status
                    break
            except OSError:
                time.sleep(0.3)
        assert status == 200
    finally:
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=30)
    assert "Booting worker" in output and "gunicorn" in output.lower(), output[-3000:]
    assert "development server" not in output, output[-3000:]

"""``python -m runner.cli create-user``: the first administrator of a real deployment, password from stdin."""

from __future__ import annotations

import os
import subprocess
import sys

import runner
from runner.people import directory
from tests.support.flow import ROOT, library_windows


def run_cli(database_url: str, *args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BANJIAN_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "runner.cli", "create-user", *args],
        input=stdin, capture_output=True, text=True, cwd=ROOT, env=env, timeout=120,
    )  # fmt: skip


def test_creates_a_user_who_can_log_in(services, database_url) -> None:
    with services.transaction() as s:
        runner.upsert_windows(s, library_windows())
    result = run_cli(
        database_url, "chief", "--name", "主任", "--member", "centre:admin", stdin="Str0ng-pass-2026\n"
    )
    assert result.returncode == 0, result.stderr
    person = directory.login(services, "chief", "Str0ng-pass-2026")
    assert person.roles == {"admin"} and person.display_name == "主任"


def test_refuses_unknown_window_and_missing_membership(services, database_url) -> None:
    with services.transaction() as s:
        runner.upsert_windows(s, library_windows())
    bad = run_cli(database_url, "chief", "--member", "nowhere:admin", stdin="Str0ng-pass-2026\n")
    assert bad.returncode == 1 and "未知窗口" in bad.stderr
    none = run_cli(database_url, "chief", stdin="Str0ng-pass-2026\n")
    assert none.returncode == 2 and "--member" in none.stderr
    with services.transaction() as s:
        assert directory.get_person(s, "chief") is None

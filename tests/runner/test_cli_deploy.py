"""``python -m runner.cli deploy``: foreign files deploy with their warnings printed, the default window named."""

from __future__ import annotations

from pathlib import Path

import pytest

import runner
from runner import cli
from tests.support.flow import library_windows, start_item, tasks

FOREIGN = Path(__file__).resolve().parent.parent / "data" / "foreign"


def test_deploy_names_the_default_window_and_prints_warnings_by_line(
    services: runner.Services,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with services.transaction() as s:
        runner.upsert_windows(s, library_windows())
    monkeypatch.setenv("BANJIAN_DATABASE_URL", database_url)
    missing = str(FOREIGN / "no-windows.json")
    code = cli.main(
        ["deploy", str(FOREIGN / "gb18030.bpmn"), "--windows", missing, "--default-window", "minzheng"]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "gb18030.bpmn: juzhuzheng v1 (new version)" in out
    assert "warning: line 22 Activity_shouli: 任务未指定窗口，交给默认窗口 minzheng" in out
    iid = start_item(services, "juzhuzheng")
    assert [t["window"] for t in tasks(services, iid)] == ["minzheng"]

"""``python -m runner.cli calendar-import FILE``: a year's arrangement from a text file, in one step."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import runner
from tests.support.flow import ROOT, deploy_library, describe, local, start_item
from tests.support.year_end import TEST_2027, needs_2027

pytestmark = pytest.mark.skipif(not needs_2027(), reason="a newer chinesecalendar knows 2027")


def run_cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BANJIAN_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "runner.cli", "calendar-import", *args],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=120,
    )  # fmt: skip


def test_import_from_a_file_fills_in_pending_deadlines(services, clock, database_url, tmp_path: Path) -> None:
    deploy_library(services, "block_correction.bpmn", "block_refusal.bpmn", "chengnuo.bpmn")
    clock.set(local("2026-12-21", "09:00"))
    iid = start_item(services, "chengnuo", {"applicant": "张三"})
    bad = tmp_path / "bad.txt"
    bad.write_text("2027-01-01..2027-01-03 休 元旦\n2027-02-30 休 春节\n2027-02-20\n", encoding="utf-8")
    refused = run_cli(database_url, str(bad))
    assert refused.returncode == 1
    assert "第 2 行" in refused.stderr and "第 3 行" in refused.stderr and "未保存" in refused.stderr
    with services.transaction() as s:
        assert runner.list_arrangements(s) == []

    good = tmp_path / "2027.txt"
    good.write_text(TEST_2027, encoding="utf-8")
    dry = run_cli(database_url, str(good), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "dry run" in dry.stdout and describe(services, iid)["business_key"] in dry.stdout
    assert describe(services, iid)["deadline_pending_year"] == 2027  # stored nothing

    done = run_cli(database_url, str(good), "--actor", "ops")
    assert done.returncode == 0, done.stderr
    assert "2027 年节假日安排 imported" in done.stdout and "items recalculated: 1" in done.stdout
    assert describe(services, iid)["deadline"] == "2027-01-05T15:59:59+00:00"  # 22 … 31, 01-04, 01-05
    with services.transaction() as s:
        [row] = runner.list_arrangements(s)
    assert (row["year"], row["imported_by"], row["source"]) == (2027, "ops", TEST_2027)
    again = run_cli(database_url, str(good))
    assert again.returncode == 0 and "replaced" in again.stdout
    missing = run_cli(database_url, str(tmp_path / "nowhere.txt"))
    assert missing.returncode == 2 and "无法读取" in missing.stderr


def test_a_file_saved_as_gbk_is_read_like_at_the_console(services, database_url, tmp_path: Path) -> None:
    gbk = tmp_path / "2027-gbk.txt"
    gbk.write_bytes(TEST_2027.encode("gb18030"))
    dry = run_cli(database_url, str(gbk), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "dry run" in dry.stdout
    binary = tmp_path / "notice.bin"
    binary.write_bytes(b"\xff\xfe\x00\x81\x30\xff")
    refused = run_cli(database_url, str(binary))
    assert refused.returncode == 2 and "UTF-8" in refused.stderr

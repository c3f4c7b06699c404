"""The windows listed once per transaction (runner/people/windows.py: ``list_windows`` keeps what it read in
``session.info``): read once, and never hiding a change made in the same transaction."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import update

from runner.models import Window
from runner.people.windows import WINDOWS_LISTED, list_windows, save_window, upsert_windows, window_names
from tests.support.statements import statements


def window_reads(db_engine: Any) -> AbstractContextManager[list[str]]:
    """The statements that read the windows table."""
    return statements(db_engine, keep=lambda sql: "FROM windows" in sql)


def names(session: Any) -> dict[str, str]:
    return {w.code: w.name for w in list_windows(session)}


def test_the_windows_are_read_once_per_transaction(services: Any, db_engine: Any) -> None:
    with services.transaction() as s:
        upsert_windows(s, [("guotu", "国土资源窗口"), ("huanbao", "环保窗口")])
    with window_reads(db_engine) as reads, services.transaction() as s:
        assert names(s) == {"guotu": "国土资源窗口", "huanbao": "环保窗口"}
        assert names(s) == {"guotu": "国土资源窗口", "huanbao": "环保窗口"}
        assert window_names(s, ["guotu"]) == {"guotu": "国土资源窗口"}
    assert len(reads) == 1
    assert WINDOWS_LISTED not in s.info  # dropped at the commit


def test_a_window_changed_in_the_transaction_is_seen(services: Any) -> None:
    with services.transaction() as s:
        upsert_windows(s, [("guotu", "国土资源窗口"), ("huanbao", "环保窗口")])
    with services.transaction() as s:
        names(s)
        save_window(s, "guotu", "自然资源窗口", actor="admin")  # renamed and written
        assert names(s)["guotu"] == "自然资源窗口"
        assert window_names(s, ["guotu"]) == {"guotu": "自然资源窗口"}
        s.get(Window, "huanbao").name = "生态环境窗口"  # renamed, not written yet
        assert names(s)["huanbao"] == "生态环境窗口"
        assert window_names(s, ["huanbao"]) == {"huanbao": "生态环境窗口"}
        s.add(Window(code="shebao", name="社保窗口", is_active=True))  # added, not written yet
        assert names(s)["shebao"] == "社保窗口"
        s.execute(update(Window).where(Window.code == "shebao").values(name="人社窗口"))  # by a statement
        assert names(s)["shebao"] == "人社窗口"
        s.delete(s.get(Window, "shebao"))  # deleted, not written yet
        assert "shebao" not in names(s)


def test_a_rolled_back_savepoint_does_not_leave_its_windows_behind(services: Any) -> None:
    with services.transaction() as s:
        upsert_windows(s, [("guotu", "国土资源窗口")])
    with services.transaction() as s:
        savepoint = s.begin_nested()
        save_window(s, "guotu", "自然资源窗口", actor="admin")
        assert names(s)["guotu"] == "自然资源窗口"
        savepoint.rollback()
        assert names(s)["guotu"] == "国土资源窗口"

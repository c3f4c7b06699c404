"""Migration en7 adds the optional English names (``windows.name_en``, ``catalogue_items.name_en``): existing
rows keep their Chinese name and get none in English; down again, the columns go and the rows stay."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, inspect, text

from runner.migrate import alembic_config, upgrade

BEFORE = "j03c6e8a0b2d4"


def _columns(url: str, table: str) -> set[str]:
    engine = create_engine(url)
    try:
        return {c["name"] for c in inspect(engine).get_columns(table)}
    finally:
        engine.dispose()


def test_english_names_are_added_empty_and_removed_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, BEFORE)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO windows (code, name, is_active) VALUES ('shichang', '市场监管', 1)"))
    upgrade(url, "head")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name, name_en FROM windows")).one() == ("市场监管", None)
    engine.dispose()
    assert "name_en" in _columns(url, "catalogue_items")
    command.downgrade(alembic_config(url), BEFORE)
    assert "name_en" not in _columns(url, "windows") | _columns(url, "catalogue_items")
    with create_engine(url).connect() as conn:
        assert conn.execute(text("SELECT name FROM windows")).scalar_one() == "市场监管"

"""Migration i25 on a database with three-level ratings: each keeps its level and becomes the anonymous
progress-page rating of its item's completion, of the item's lead window; down again, the five levels fold back."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, text

from runner.migrate import alembic_config, current, upgrade

NOW = "2026-10-09 02:00:00.000000"


def _seed(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO process_definitions (id, key, version, name, filename, content_hash, bpmn_xml, dmn_xml,"
            " spec_state, meta, deployed_by, deployed_at) VALUES (1, 'jiban', 1, '即办件', 'jiban.bpmn', 'x', '',"
            " '[]', x'00', '{}', 'designer', :now)"), {"now": NOW})  # fmt: skip
        for iid, window in ((1, "shichang"), (2, "centre"), (3, "guotu")):
            conn.execute(text(
                "INSERT INTO process_instances (id, business_key, definition_id, definition_key, title, status,"
                " started_at, started_by, updated_at, extension_days, accepted_on_receipt, serializer_version,"
                " state, lock_version, lead_window) VALUES (:id, :key, 1, 'jiban', '', 'completed', :now, 'clerk',"
                " :now, 0, 0, '1', x'00', 1, :window)"), {"id": iid, "key": f"2026-00000{iid}", "now": NOW,
                                                          "window": window})  # fmt: skip
        for rid, (iid, level) in enumerate(
            ((1, "satisfied"), (2, "basically"), (3, "not_satisfied")), start=1
        ):
            conn.execute(text("INSERT INTO ratings (id, instance_id, level, comment, created_at)"
                              " VALUES (:id, :iid, :level, '', :now)"), {"id": rid, "iid": iid, "level": level,
                                                                          "now": NOW})  # fmt: skip
    engine.dispose()


def test_three_level_ratings_survive_the_upgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "i16a1c4e2d7b9")
    _seed(url)
    upgrade(url, "head")
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text(
            'SELECT instance_id, level, occasion, channel, "window", named, rater_phone FROM ratings ORDER BY id'
        )).all()  # fmt: skip
        assert [tuple(r) for r in rows] == [
            (1, "satisfied", "completion", "progress", "shichang", 0, ""),
            (2, "basically", "completion", "progress", "centre", 0, ""),
            (3, "not_satisfied", "completion", "progress", "guotu", 0, ""),
        ]
        assert (
            conn.execute(text("SELECT COUNT(*) FROM rectifications")).scalar() == 0
        )  # history is not reopened
    engine.dispose()
    with engine.begin() as conn:  # a second occasion and a new level, which the way down folds back
        conn.execute(text("INSERT INTO ratings (id, instance_id, level, comment, created_at, occasion, channel,"
                          " indicators, named, rater_name, rater_phone) VALUES (4, 1, 'very_dissatisfied', '',"
                          " :now, 'acceptance', 'counter', '{}', 0, '', '')"), {"now": NOW})  # fmt: skip
        conn.execute(text("UPDATE ratings SET level = 'very_dissatisfied' WHERE id = 3"))
    engine.dispose()
    command.downgrade(alembic_config(url), "i16a1c4e2d7b9")  # one rating per item again
    assert current(url) == "i16a1c4e2d7b9"
    engine = create_engine(url)
    with engine.connect() as conn:
        assert [r[0] for r in conn.execute(text("SELECT level FROM ratings ORDER BY id"))] == [
            "satisfied", "basically", "not_satisfied"]  # fmt: skip
        assert conn.execute(text("SELECT COUNT(*) FROM ratings WHERE instance_id = 1")).scalar() == 1
    engine.dispose()

"""English pages show the catalogue's items and the windows by their English name (``name_en``) when they have
one, the Chinese name otherwise, and the closed vocabularies (item kind, material form, delivery) in English;
Chinese pages are unchanged. The guide finds an item by its English name too."""

from __future__ import annotations

import pytest

from runner.catalogue import items
from runner.models import Window
from tests.support.catalogue import demo
from tests.support.flow import deploy_library

CODE = "SC-001"


@pytest.fixture
def catalogue(services) -> None:
    deploy_library(services, "block_correction.bpmn", "block_refusal.bpmn", "chengnuo.bpmn")
    with services.transaction() as s:
        items.save_item(s, demo(CODE) | {"name_en": "Food business licence (new)"}, actor="admin")
        items.save_item(s, demo("SC-002") | {"name_en": ""}, actor="admin")  # no English name
        s.get(Window, "shichang").name_en = "Market Regulation"


def page(client, url: str) -> str:
    return client.get(url).get_data(as_text=True)


def test_the_guide_shows_english_names_on_english_pages_only(client, catalogue):
    english = page(client, "/guide?lang=en")
    assert "Food business licence (new)" in english and "Market Regulation" in english
    assert "食品经营许可（变更）" in english  # no English name: the Chinese one
    chinese = page(client, "/guide?lang=zh_CN")
    assert "Food business licence" not in chinese and "食品经营许可（新办）" in chinese


def test_the_guide_item_shows_its_english_name_and_words(client, catalogue):
    english = page(client, f"/guide/{CODE}?lang=en")
    assert "<h1>Food business licence (new)</h1>" in english
    assert "Collect at the window" in english and "By post" in english and "窗口领取" not in english
    assert "Original" in english and ">原件<" not in english
    chinese = page(client, f"/guide/{CODE}?lang=zh_CN")
    assert "窗口领取" in chinese and "Collect at the window" not in chinese


def test_the_guide_finds_an_item_by_its_english_name(client, catalogue):
    found = page(client, "/guide?q=business+LICENCE&lang=en")
    assert CODE in found and "SC-002" not in found


def test_the_apply_pages_show_english_names(client, catalogue):
    assert "Food business licence (new)" in page(client, "/apply?lang=en")
    english = page(client, f"/apply/{CODE}?lang=en")
    assert "Food business licence (new)" in english and "Market Regulation" in english
    assert "Food business licence" not in page(client, f"/apply/{CODE}?lang=zh_CN")


def test_the_apply_page_writes_a_material_aside_in_the_page_language(client, catalogue):
    """A material's form and "optional" in brackets and a comma of the page's language (the English page wrote
    "（Original，optional）")."""
    english = page(client, f"/apply/{CODE}?lang=en")
    assert "食品经营许可申请书 (Original)" in english and "(Original, optional)" in english
    assert "（Original" not in english and "，optional" not in english
    chinese = page(client, f"/apply/{CODE}?lang=zh_CN")
    assert "食品经营许可申请书（原件）" in chinese and "（原件，非必须）" in chinese


def test_an_item_name_in_english_is_optional_and_kept_in_the_body(services, catalogue):
    with services.transaction() as s:
        item = items.get_item(s, CODE)
        assert item.name_en == "Food business licence (new)"
        assert items.current_version(s, item).body["name_en"] == "Food business licence (new)"
        assert items.get_item(s, "SC-002").name_en is None
        assert items.item_names(s, {CODE, "SC-002"}, english=True) == {
            CODE: "Food business licence (new)",
            "SC-002": "食品经营许可（变更）",
        }


def test_every_stored_catalogue_word_has_an_english_label() -> None:
    from runner.catalogue.body import DELIVERY, FORMS, KINDS
    from runner.items.labels import CATALOGUE_WORDS, catalogue_word

    for value in (*KINDS, *FORMS, *DELIVERY):
        assert value in CATALOGUE_WORDS, value
        assert catalogue_word(value) == value and catalogue_word(value, english=True).isascii()


def test_the_demo_data_names_every_item_and_window_in_english() -> None:
    from pathlib import Path

    from runner.cli import load_windows_file
    from tests.support.catalogue import demo_items

    root = Path(__file__).resolve().parents[2]
    assert all(name_en for _code, _name, name_en in load_windows_file(root / "bpmn" / "windows.json"))
    assert all(item.get("name_en") for item in demo_items())


def test_windows_files_give_english_names_and_pairs_keep_them(services) -> None:
    import runner

    with services.transaction() as s:
        runner.upsert_windows(s, [("gongan", "公安窗口", "Police")])
        runner.upsert_windows(s, [("gongan", "公安窗口")])
        assert s.get(Window, "gongan").name_en == "Police"

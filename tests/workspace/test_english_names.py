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
    # SC-002's materials name a business licence: "(new)" is SC-001's name only
    found = page(client, "/guide?q=business+LICENCE+(NEW)&lang=en")
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
    assert (
        "Application for a food business licence (Original)" in english and "(Original, optional)" in english
    )
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


ENGLISH_TEXTS = {
    "department_en": "County Market Regulation Bureau",
    "conditions_en": "Premises, equipment, staff and rules suited to the food sold.",
    "legal_basis_en": "Food Safety Law of the PRC, Article 35",
    "procedure_en": "Application → acceptance → review and site check → decision → licence",
    "result_en": "Food business licence (certificate)",
    "fee_standard_en": "CNY 10 per licence",
    "fee_basis_en": "Provincial fee notice No. 1",
}


def without_english(body: dict) -> dict:
    """An item with no English besides its name: every ``*_en`` of its texts and materials dropped."""
    body = {k: v for k, v in body.items() if not k.endswith("_en") or k == "name_en"}
    body["materials"] = [{k: v for k, v in m.items() if not k.endswith("_en")} for m in body["materials"]]
    return body


@pytest.fixture
def english_texts(services, catalogue) -> None:
    """SC-001 with English texts and the English of its first two materials (the others have none)."""
    body = (
        without_english(demo(CODE))
        | ENGLISH_TEXTS
        | {"fee_standard": "每证 10 元", "fee_basis": "省收费文件"}
    )
    body["materials"][0] |= {"name_en": "Application form"}
    body["materials"][1] |= {"name_en": "Business licence", "note_en": "With the company seal"}
    with services.transaction() as s:
        items.save_item(s, body, actor="admin")
        items.save_item(s, without_english(demo("SC-002")), actor="admin")


def test_the_english_guide_shows_the_english_materials_and_texts(client, english_texts):
    english = page(client, f"/guide/{CODE}?lang=en")
    for text in ENGLISH_TEXTS.values():
        assert text in english, text
    assert "<td>Application form</td>" in english and "<td>Business licence</td>" in english
    assert "With the company seal" in english and "加盖公章" not in english
    assert "县市场监督管理局" not in english and "食品安全法" not in english
    assert "<td>食品安全管理制度</td>" in english  # no English: the Chinese name


def test_the_chinese_guide_is_unchanged_by_the_english(client, english_texts):
    chinese = page(client, f"/guide/{CODE}?lang=zh_CN")
    assert (
        "<td>食品经营许可申请书</td>" in chinese and "加盖公章" in chinese and "县市场监督管理局" in chinese
    )
    assert "每证 10 元" in chinese
    for text in (*ENGLISH_TEXTS.values(), "Application form", "With the company seal"):
        assert text not in chinese, text


def test_an_item_without_english_texts_shows_the_chinese_on_english_pages(client, english_texts):
    english = page(client, "/guide/SC-002?lang=en")
    assert "县市场监督管理局" in english and "《食品经营许可和备案管理办法》第三十二条" in english
    assert "<td>食品经营许可变更申请书</td>" in english and "申请→受理→审查→决定→送达" in english
    assert "No fee" in english


def test_the_english_apply_page_shows_the_english_materials_and_texts(client, english_texts):
    english = page(client, f"/apply/{CODE}?lang=en")
    assert "Application form (Original)" in english and "Business licence (Copy)" in english
    assert "With the company seal" in english and "CNY 10 per licence" in english
    assert ENGLISH_TEXTS["conditions_en"] in english and ENGLISH_TEXTS["department_en"] in english
    assert "食品安全管理制度 (Original)" in english  # no English: the Chinese name
    chinese = page(client, f"/apply/{CODE}?lang=zh_CN")
    assert "食品经营许可申请书（原件）" in chinese and "Application form" not in chinese


def test_a_materials_identity_stays_its_chinese_name(services, english_texts):
    with services.transaction() as s:
        body = items.current_version(s, items.get_item(s, CODE)).body
    assert body["materials"][0]["name"] == "食品经营许可申请书"
    assert body["materials"][0]["name_en"] == "Application form"
    assert "name_en" not in body["materials"][2]  # an empty English is not stored


def test_the_demo_catalogue_gives_english_to_its_materials_departments_and_texts() -> None:
    from tests.support.catalogue import demo_items

    for item in demo_items():
        assert item.get("department_en"), item["code"]
        assert all(m.get("name_en") for m in item["materials"]), item["code"]
        for field in ("conditions", "legal_basis", "procedure", "result", "fee_standard", "upper_authority"):
            assert not item.get(field) or item.get(f"{field}_en"), (item["code"], field)


def test_the_english_lists_show_the_english_department(client, english_texts):
    for url in ("/guide", "/apply"):
        english = page(client, f"{url}?lang=en")
        assert ENGLISH_TEXTS["department_en"] in english, url
        assert ENGLISH_TEXTS["department_en"] not in page(client, f"{url}?lang=zh_CN"), url
    assert "县市场监督管理局" in page(client, "/guide?lang=en")  # SC-002 has no English department


def found_codes(services, text: str) -> list[str]:
    """The codes the catalogue search finds for ``text``."""
    with services.reading() as s:
        return [i.code for i in items.search(s, text)]


def test_the_search_finds_an_item_by_its_english_department_or_material(services, english_texts):
    assert found_codes(services, "county MARKET regulation") == [CODE]  # SC-002 has no English department
    assert found_codes(services, "company seal") == []  # notes are not searched
    assert found_codes(services, "application FORM") == [CODE]
    assert found_codes(services, "食品安全管理制度") == [CODE]  # a material's Chinese name
    assert found_codes(services, "县市场监督管理局") == [CODE, "SC-002"]  # the Chinese department, unchanged


def test_the_english_guide_and_apply_list_find_by_english_department_and_material(client, english_texts):
    for url in ("/guide", "/apply"):
        found = page(client, f"{url}?q=Application+form&lang=en")
        assert f"/{CODE}" in found and "/SC-002" not in found, url
        assert "/SC-002" not in page(client, f"{url}?q=County+Market+Regulation+Bureau&lang=en"), url

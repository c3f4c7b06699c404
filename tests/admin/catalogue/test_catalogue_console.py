"""事项目录 in the console (admin/catalogue/): designers and admins edit (a new version each), overseers look;
JSON Lines import refuses a wrong file whole, export writes what is stored; blank forms upload."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from runner.catalogue import items
from runner.models import Window
from tests.support.catalogue import demo
from tests.support.flow import deploy_library

BASE = "/admin/catalogue"


@pytest.fixture
def people(services, make_user):
    deploy_library(services, "block_correction.bpmn", "block_refusal.bpmn", "chengnuo.bpmn")
    with services.transaction() as s:
        items.save_item(s, demo("SC-001"), actor="admin")
    make_user("des", ("centre", "designer"))
    make_user("boss", ("leader", "leader"))
    make_user("clerk", ("shichang", "clerk"))


def edit_form(body: dict[str, Any], **change: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        k: v for k, v in body.items() if isinstance(v, str | int) and not isinstance(v, bool)
    }
    form.update({flag: "on" for flag in ("tolerance", "online", "active") if body.get(flag)})
    form["related_windows"] = body.get("related_windows", [])
    form["delivery"] = body.get("delivery", [])
    form["material_rows"] = str(len(body["materials"]))
    for n, m in enumerate(body["materials"]):
        form.update({f"m-{n}-name": m["name"], f"m-{n}-form": m["form"], f"m-{n}-copies": str(m["copies"])})
        form.update({f"m-{n}-{f}": "on" for f in ("required", "tolerable") if m[f]})
        form[f"m-{n}-note"] = m["note"]
        form.update({f"m-{n}-{f}": m[f] for f in ("name_en", "note_en") if m.get(f)})
    form.update(change)
    return form


def test_a_designer_edits_an_item_into_a_new_version_with_its_changes_listed(services, people, signed_in):
    client = signed_in("des")
    assert "SC-001" in client.get(f"{BASE}/").get_data(as_text=True)
    body = demo("SC-001")
    answer = client.post(f"{BASE}/item/SC-001/edit", data=edit_form(body, promised_days="8"))
    assert answer.status_code == 302, answer.get_data(as_text=True)
    page = client.get(f"{BASE}/item/SC-001").get_data(as_text=True)
    assert "现行第 2 版" in page and "promised_days" in page
    with services.transaction() as s:
        assert items.current_version(s, items.get_item(s, "SC-001")).body["promised_days"] == 8


def test_a_wrong_edit_is_refused_with_every_problem_and_changes_nothing(services, people, signed_in):
    client = signed_in("des")
    answer = client.post(
        f"{BASE}/item/SC-001/edit", data=edit_form(demo("SC-001"), promised_days="30", statutory_days="20")
    )
    assert answer.status_code == 400 and "法定时限不能短于承诺时限" in answer.get_data(as_text=True)
    with services.transaction() as s:
        assert items.get_item(s, "SC-001").version == 1


def test_a_new_item_with_a_blank_form(services, people, signed_in):
    client = signed_in("des")
    body = demo("SC-001") | {"code": "SC-099", "name": "测试事项"}
    form = edit_form(body)
    form["m-0-file"] = (io.BytesIO(b"%PDF-1.4 sample"), "申请书样表.pdf")
    answer = client.post(f"{BASE}/new", data=form, content_type="multipart/form-data")
    assert answer.status_code == 302, answer.get_data(as_text=True)
    with services.transaction() as s:
        stored = items.current_version(s, items.get_item(s, "SC-099")).body
    assert len(stored["materials"][0]["blank_form"]) == 64
    again = client.post(f"{BASE}/new", data=edit_form(body))
    assert again.status_code == 400 and "已存在" in again.get_data(as_text=True)


def test_overseers_look_and_others_are_refused(services, people, signed_in):
    boss = signed_in("boss")
    assert boss.get(f"{BASE}/item/SC-001").status_code == 200
    assert boss.get(f"{BASE}/item/SC-001/edit").status_code == 403
    assert boss.post(f"{BASE}/item/SC-001/edit", data=edit_form(demo("SC-001"))).status_code == 403
    assert signed_in("clerk").get(f"{BASE}/").status_code == 403


def test_import_refuses_a_wrong_file_whole_and_export_gives_it_back(services, people, signed_in):
    client = signed_in("des")
    good = json.dumps(demo("SC-001") | {"promised_days": 9}, ensure_ascii=False)
    bad = json.dumps(demo("SC-002") | {"process": "nope"}, ensure_ascii=False)
    refused = client.post(
        f"{BASE}/import",
        data={"file": (io.BytesIO(f"{good}\n{bad}\n".encode()), "c.jsonl")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    text = refused.get_data(as_text=True)
    assert "第 2 行" in text and "未导入任何事项" in text
    with services.transaction() as s:
        assert items.get_item(s, "SC-001").version == 1
    client.post(
        f"{BASE}/import",
        data={"file": (io.BytesIO(good.encode()), "c.jsonl")},
        content_type="multipart/form-data",
    )
    exported = client.get(f"{BASE}/export").get_data(as_text=True).splitlines()
    assert [json.loads(x)["promised_days"] for x in exported] == [9]


def test_the_pre_review_limit_of_an_online_item_is_set_in_the_console(services, people, signed_in):
    client = signed_in("des")
    answer = client.post(f"{BASE}/item/SC-001/edit", data=edit_form(demo("SC-001"), prereview_days="2"))
    assert answer.status_code == 302, answer.get_data(as_text=True)
    assert "网上预审 2 个工作日" in client.get(f"{BASE}/item/SC-001").get_data(as_text=True)
    with services.transaction() as s:
        assert items.current_version(s, items.get_item(s, "SC-001")).body["prereview_days"] == 2
    refused = client.post(f"{BASE}/item/SC-001/edit", data=edit_form(demo("SC-001"), prereview_days="0"))
    assert refused.status_code == 400 and "prereview_days" in refused.get_data(as_text=True)


@pytest.mark.parametrize(
    ("lang", "label", "said"),
    [
        ("zh_CN", "承诺时限（工作日）", "须为整数"),
        ("en", "Promised time limit (working days)", "must be a whole number"),
    ],
)
def test_the_problems_name_the_fields_by_their_labels(services, people, signed_in, lang, label, said):
    """A wrong number is named by the label the person sees above the box, not the body's key."""
    client = signed_in("des")
    form = edit_form(demo("SC-001"), promised_days="abc")
    answer = client.post(f"{BASE}/item/SC-001/edit?lang={lang}", data=form)
    listed = answer.get_data(as_text=True).split('id="catalogue-problems"')[1].split("</ul>")[0]
    assert answer.status_code == 400 and f"{label}: {said}" in listed and "promised_days" not in listed


def test_the_editor_keeps_an_english_name_the_list_shows_on_english_pages(services, people, signed_in):
    client = signed_in("des")
    assert 'name="name_en"' in client.get(f"{BASE}/item/SC-001/edit").get_data(as_text=True)
    answer = client.post(f"{BASE}/item/SC-001/edit", data=edit_form(demo("SC-001"), name_en=" Food licence "))
    assert answer.status_code == 302, answer.get_data(as_text=True)
    with services.transaction() as s:
        assert items.get_item(s, "SC-001").name_en == "Food licence"
    assert "Food licence" in client.get(f"{BASE}/?lang=en").get_data(as_text=True)
    chinese = client.get(f"{BASE}/?lang=zh_CN").get_data(as_text=True)
    assert "Food licence" not in chinese and "食品经营许可（新办）" in chinese
    exported = client.get(f"{BASE}/export").get_data(as_text=True)
    assert '"name_en": "Food licence"' in exported


def test_an_admin_gives_a_window_an_english_name(services, people, signed_in, make_user):
    make_user("adm", ("centre", "admin"))
    client = signed_in("adm")
    assert 'name="name_en"' in client.get("/admin/users/").get_data(as_text=True)
    client.post("/admin/users/windows", data={"code": "gongan", "name": "公安窗口", "name_en": "Police"})
    english = client.get("/admin/users/?lang=en").get_data(as_text=True)
    assert "Police" in english
    assert "Police" not in client.get("/admin/users/?lang=zh_CN").get_data(as_text=True)
    client.post("/admin/users/windows", data={"code": "gongan", "name": "公安窗口", "name_en": ""})
    with services.transaction() as s:
        assert s.get(Window, "gongan").name_en is None


def test_the_editor_keeps_the_english_of_the_texts_and_materials(services, people, signed_in):
    client = signed_in("des")
    editor = client.get(f"{BASE}/item/SC-001/edit").get_data(as_text=True)
    for name in (
        "department_en",
        "conditions_en",
        "legal_basis_en",
        "fee_standard_en",
        "m-0-name_en",
        "m-0-note_en",
    ):
        assert f'name="{name}"' in editor, name
    form = edit_form(demo("SC-001"), conditions_en=" Premises fit. ", department_en="Market Bureau")
    form.update({"m-0-name_en": "Application form", "m-1-note_en": "With the seal"})
    answer = client.post(f"{BASE}/item/SC-001/edit", data=form)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    with services.transaction() as s:
        body = items.current_version(s, items.get_item(s, "SC-001")).body
    assert body["conditions_en"] == "Premises fit." and body["department_en"] == "Market Bureau"
    assert (
        body["materials"][0]["name_en"] == "Application form"
        and body["materials"][1]["note_en"] == "With the seal"
    )
    assert body["materials"][0]["name"] == "食品经营许可申请书"
    editor = client.get(f"{BASE}/item/SC-001/edit").get_data(as_text=True)
    assert 'value="Application form"' in editor and ">Premises fit.</textarea>" in editor


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("zh_CN", "申请条件（英文）: 不能超过 4000 字"),
        ("en", "Conditions (English): at most 4000 characters"),
    ],
)
def test_a_too_long_english_text_is_refused_in_the_page_language(services, people, signed_in, lang, said):
    client = signed_in("des")
    form = edit_form(demo("SC-001"), conditions_en="x" * 4001)
    answer = client.post(f"{BASE}/item/SC-001/edit?lang={lang}", data=form)
    listed = answer.get_data(as_text=True).split('id="catalogue-problems"')[1].split("</ul>")[0]
    assert answer.status_code == 400 and said in listed
    with services.transaction() as s:
        assert items.get_item(s, "SC-001").version == 1


def test_the_item_page_shows_the_english_beside_the_chinese(services, people, signed_in):
    """The read-only item page shows each English text under its Chinese (not only in the JSON block), in either
    language of the console; a text without English shows the Chinese alone."""
    body = demo("SC-001") | {
        "department_en": "Market Bureau",
        "conditions_en": "Premises fit.",
        "result_en": "",
    }
    body["materials"][1] = body["materials"][1] | {"name_en": "Business licence", "note_en": "With the seal"}
    body["materials"][0].pop("name_en")
    with services.transaction() as s:
        items.save_item(s, body, actor="admin")
    client = signed_in("des")
    for lang in ("zh_CN", "en"):
        page = client.get(f"{BASE}/item/SC-001?lang={lang}").get_data(as_text=True).split("<details>")[0]
        table = page.split('id="catalogue-body"')[1].split("</table>")[0]
        assert (
            '县市场监督管理局<div class="small text-muted catalogue-en" lang="en">Market Bureau</div>'
            in table
        )
        assert (
            body["conditions"] in table
            and '<div class="small text-muted catalogue-en" lang="en">Premises fit.' in table
        )
        assert body["result"] in table
        materials = page.split('id="catalogue-materials"')[1].split("</table>")[0]
        assert (
            '<td>营业执照<div class="small text-muted catalogue-en" lang="en">Business licence</div></td>'
            in materials
        )
        assert "加盖公章" in materials and ">With the seal</div>" in materials
        assert "<td>食品经营许可申请书</td>" in materials  # no English: the Chinese alone

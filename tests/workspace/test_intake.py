"""Counter intake (workspace/intake.py): register an application for a catalogue item and decide at the counter;
补正材料已收到; the public guide (workspace/guide.py)."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

import runner
from runner.catalogue import items
from runner.models import Document, ItemApplication, ProcessInstance, Window
from tests.support.catalogue import demo
from tests.support.flow import deploy_library, describe, local, tasks
from workspace.item_hub import timeline

PERSON_ID = "11010519491231002X"


@pytest.fixture
def catalogue(services, make_user) -> None:
    deploy_library(
        services, "block_correction.bpmn", "block_refusal.bpmn", "chengnuo.bpmn", "lianban_chaogao.bpmn"
    )
    with services.transaction() as s:
        for code in ("SC-001", "GT-001"):
            items.save_item(s, demo(code), actor="admin")
    make_user("sc_clerk", ("shichang", "clerk"))
    make_user("gt_clerk", ("guotu", "clerk"))


def form_for(code: str, decision: str, missing: tuple[str, ...] = (), **extra: str) -> dict[str, str]:
    names = [m["name"] for m in demo(code)["materials"]]
    data = {
        "item": code,
        "applicant_type": "person",
        "applicant_name": "张三",
        "applicant_id": PERSON_ID,
        "phone": "13800001234",
        "decision": decision,
        "correction_days": "10",
    }
    for n, name in enumerate(names):
        data[f"m{n}"] = "missing" if name in missing else "received"
    data.update(extra)
    return data


def the_item(services) -> Any:
    with services.transaction() as s:
        row = s.query(ItemApplication).one()
        return row.instance_id, runner.get_instance(s, row.instance_id).business_key


def test_accept_starts_the_item_with_its_parameters_and_prints_the_acceptance_notice(
    services, catalogue, signed_in
):
    client = signed_in("sc_clerk")
    page = client.get("/intake?q=食品")
    assert page.status_code == 200 and "SC-001" in page.get_data(as_text=True)
    assert "GT-001" not in client.get("/intake").get_data(as_text=True)  # another window's item
    answer = client.post("/intake", data=form_for("SC-001", "accept"))
    assert answer.status_code == 302 and answer.location.endswith("/documents/acceptance")
    iid, key = the_item(services)
    view = describe(services, iid)
    assert (view["promised_days"], view["title"]) == (10, "食品经营许可（新办）")
    assert [t["form_key"] for t in tasks(services, iid)] == ["acceptance_notice"]
    notice = client.get(answer.location).get_data(as_text=True)
    assert "受理通知书" in notice and "食品经营许可申请书" in notice


def test_the_acceptance_notice_lists_only_the_materials_received_and_names_the_others(
    services, catalogue, signed_in
):
    """An optional material marked missing and a 容缺 one are not printed as received: the notice reads the
    counter's intake record (the one the item page shows) and names them apart."""
    client = signed_in("sc_clerk")
    optional, tolerated = "授权委托书及代理人身份证件", "食品安全管理人员健康证明"
    names = [m["name"] for m in demo("SC-001")["materials"]]
    form = form_for("SC-001", "accept", (optional,))
    form.update({f"m{names.index(tolerated)}": "tolerated", f"due{names.index(tolerated)}": "2026-10-30"})
    answer = client.post("/intake", data=form)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    iid, _ = the_item(services)
    with services.transaction() as s:
        content = s.query(Document).filter_by(instance_id=iid, kind="acceptance").one().content
    assert content["materials"] == [n for n in names if n not in (optional, tolerated)]
    assert content["not_received"] == [optional]
    assert content["tolerated"] == [{"name": tolerated, "due": "2026-10-30"}]
    notice = client.get(answer.location).get_data(as_text=True)
    received = notice.split("已收取的申请材料")[1].split("</tr>")[0]
    assert optional not in received and tolerated not in received and "营业执照" in received
    assert "未收取的材料" in notice and "容缺后补的材料" in notice and "2026年10月30日" in notice


def acceptance_ticked(services, iid: int) -> str:
    """The materials the item's timeline shows ticked at its acceptance step (as the page says them)."""
    with services.transaction() as s:
        steps = timeline(s, s.get(ProcessInstance, iid))
    said = [x for e in steps for x in e["said"] if x.startswith("收件材料核对")]
    assert len(said) == 1
    return said[0].split(": ", 1)[1]


def test_the_acceptance_steps_own_data_lists_only_what_was_received_and_the_item_is_still_complete(
    services, catalogue, signed_in
):
    """The acceptance step's data (the timeline's) does not tick an optional material not brought nor a 容缺
    one; neither makes the acceptance incomplete (the form excuses them), so the item is accepted as before."""
    client = signed_in("sc_clerk")
    optional, tolerated = "授权委托书及代理人身份证件", "食品安全管理人员健康证明"
    names = [m["name"] for m in demo("SC-001")["materials"]]
    form = form_for("SC-001", "accept", (optional,))
    form.update({f"m{names.index(tolerated)}": "tolerated", f"due{names.index(tolerated)}": "2026-10-30"})
    assert client.post("/intake", data=form).status_code == 302
    iid, _ = the_item(services)
    ticked = acceptance_ticked(services, iid)
    assert ticked == "、".join(n for n in names if n not in (optional, tolerated))
    assert [t["form_key"] for t in tasks(services, iid)] == ["acceptance_notice"]  # accepted, complete


def test_a_one_time_notice_names_only_the_required_missing_and_the_step_leaves_the_optional_unticked(
    services, catalogue, signed_in
):
    client = signed_in("sc_clerk")
    optional, required = "授权委托书及代理人身份证件", "营业执照"
    names = [m["name"] for m in demo("SC-001")["materials"]]
    answer = client.post("/intake", data=form_for("SC-001", "notify", (optional, required)))
    assert answer.status_code == 302, answer.get_data(as_text=True)
    iid, _ = the_item(services)
    assert acceptance_ticked(services, iid) == "、".join(n for n in names if n not in (optional, required))
    with services.transaction() as s:
        doc = s.query(Document).filter_by(instance_id=iid, kind="correction").one()
        assert doc.content["missing_materials"] == [required]


def test_one_time_notice_lists_exactly_the_items_missing_materials_and_materials_received_resumes(
    services, catalogue, signed_in, clock
):
    client = signed_in("gt_clerk")
    missing = "拟选址位置图"
    answer = client.post("/intake", data=form_for("GT-001", "notify", (missing,)))
    assert answer.status_code == 302 and answer.location.endswith("/documents/correction"), answer.get_data(
        as_text=True
    )
    iid, key = the_item(services)
    with services.transaction() as s:
        doc = s.query(Document).filter_by(instance_id=iid, kind="correction").one()
        assert doc.content["missing_materials"] == [missing]
    view = describe(services, iid)
    assert view["status"] == "waiting" and view["paused_since"]
    page = client.get(f"/items/{key}/materials")
    assert missing in page.get_data(as_text=True)
    done = client.post(f"/items/{key}/materials", data={"arrived": [missing]})
    assert done.status_code == 302
    view = describe(services, iid)
    assert view["paused_since"] is None and view["data"]["correction_result"] == "complete"
    assert {t["form_key"] for t in tasks(services, iid)} == {"window_review"}  # the related windows review


def test_refusal_needs_a_reason_and_prints_the_refusal(services, catalogue, signed_in):
    client = signed_in("sc_clerk")
    no_reason = client.post("/intake", data=form_for("SC-001", "refuse"))
    assert no_reason.status_code == 400 and "不予受理须写明理由" in no_reason.get_data(as_text=True)
    refused = client.post(
        "/intake",
        data=form_for("SC-001", "refuse", reason="经营场所不符合要求", legal_basis="食品安全法第三十五条"),
    )
    assert refused.status_code == 302 and refused.location.endswith("/documents/refusal")
    iid, _ = the_item(services)
    assert describe(services, iid)["status"] == "completed"


def test_a_joint_item_can_be_refused_at_the_counter(services, catalogue, signed_in):
    """A 联办件 that does not meet the conditions is refused at once (不予受理 with reason and basis, printed),
    without a detour through the correction notice, and no related window is told of it."""
    refused = signed_in("gt_clerk").post(
        "/intake",
        data=form_for("GT-001", "refuse", reason="项目不属本县审批权限", legal_basis="行政许可法第三十二条"),
    )
    assert refused.status_code == 302 and refused.location.endswith("/documents/refusal")
    iid, _ = the_item(services)
    item = describe(services, iid)
    assert item["status"] == "completed" and "joint_notice" not in item["data"]
    with services.transaction() as s:
        kinds = [d.kind for d in s.query(Document).filter_by(instance_id=iid)]
    assert kinds == ["refusal"]
    assert tasks(services, iid) == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("applicant_id", "110105194912310021", "身份证号码校验位不符"),
        ("applicant_id", "1101051949", "身份证号码位数不对"),
        ("phone", "12345", "手机号码须为 11 位"),
    ],
)
def test_wrong_identity_or_phone_is_refused_with_a_clear_message(
    services, catalogue, signed_in, field, value, message
):
    client = signed_in("sc_clerk")
    answer = client.post("/intake", data=form_for("SC-001", "accept", **{field: value}))
    assert answer.status_code == 400 and message in answer.get_data(as_text=True)
    with services.transaction() as s:
        assert s.query(ItemApplication).count() == 0  # nothing registered
    english = client.post("/intake?lang=en", data=form_for("SC-001", "accept", **{field: value}))
    assert "check" in english.get_data(as_text=True).lower() or "mobile" in english.get_data(as_text=True)


def test_an_organisations_credit_code_is_checked(services, catalogue, signed_in):
    client = signed_in("sc_clerk")
    bad = client.post(
        "/intake",
        data=form_for("SC-001", "accept", applicant_type="organisation", applicant_id="91110000600037341A"),
    )
    assert bad.status_code == 400 and "统一社会信用代码校验位不符" in bad.get_data(as_text=True)
    good = client.post(
        "/intake",
        data=form_for("SC-001", "accept", applicant_type="organisation", applicant_id="91110000600037341L"),
    )
    assert good.status_code == 302


def test_accepting_with_a_required_material_missing_is_refused(services, catalogue, signed_in):
    client = signed_in("sc_clerk")
    answer = client.post("/intake", data=form_for("SC-001", "accept", ("食品安全管理制度",)))
    assert answer.status_code == 400 and "必要材料不齐" in answer.get_data(as_text=True)


def test_an_item_from_the_api_gets_the_same_decision(services, catalogue, signed_in):
    with services.transaction() as s:
        from runner.catalogue.applications import start_item

        key = start_item(s, "SC-001", actor="hall", data={"applicant": "李四"}).business_key
    client = signed_in("sc_clerk")
    assert "食品安全管理制度" in client.get(f"/items/{key}/intake").get_data(as_text=True)
    names = [m["name"] for m in demo("SC-001")["materials"]]
    form = {
        f"m{n}": ("missing" if name == "食品安全管理制度" else "received") for n, name in enumerate(names)
    }
    answer = client.post(f"/items/{key}/intake", data={**form, "decision": "notify", "correction_days": "5"})
    assert answer.status_code == 302 and answer.location.endswith("/documents/correction")


def test_the_guide_lists_searches_and_shows_the_nine_contents_without_login(services, catalogue, client):
    listing = client.get("/guide?q=食品").get_data(as_text=True)
    assert "SC-001" in listing and "GT-001" not in listing
    assert "GT-001" in client.get("/guide?kind=联办件").get_data(as_text=True)
    page = client.get("/guide/SC-001").get_data(as_text=True)
    for heading in (
        "办理主体",
        "设定依据",
        "申请条件",
        "办理程序",
        "办理时限",
        "办理结果",
        "收费依据",
        "收费标准",
        "监督渠道",
    ):
        assert heading in page
    assert "食品经营许可申请书" in page and "0797-12345" in page
    assert client.get("/guide/NOPE").status_code == 404
    english = client.get("/guide/SC-001?lang=en").get_data(as_text=True)
    assert "Legal basis" in english and "Supervision" in english


def test_a_blank_form_is_offered_for_download(services, catalogue, client):
    with services.transaction() as s:
        ref = items.store_file(s, "申请书.pdf", b"%PDF-1.4 blank", "application/pdf", actor="admin")
        raw = demo("SC-001")
        raw["materials"][0]["blank_form"] = ref
        items.save_item(s, raw, actor="admin")
    page = client.get("/guide/SC-001").get_data(as_text=True)
    assert f"/guide/files/{ref}" in page
    got = client.get(f"/guide/files/{ref}")
    assert got.status_code == 200 and got.data == b"%PDF-1.4 blank"
    assert client.get("/guide/files/" + "0" * 64).status_code == 404


def test_the_item_page_is_the_hub_timeline_materials_documents_version(services, catalogue, signed_in):
    client = signed_in("gt_clerk")
    client.post("/intake", data=form_for("GT-001", "notify", ("拟选址位置图",), note="请带原件"))
    _, key = the_item(services)
    page = client.get(f"/items/{key}").get_data(as_text=True)
    assert "补正材料已收到" in page and "/materials" in page
    assert "建设项目用地预审与选址意见书" in page and "按第 1 版办理" in page
    assert "补正材料通知书" in page  # the document issued
    assert "gt_clerk" in page or "国土" in page
    assert "拟选址位置图" in page and "一次性告知补正" in page
    with services.transaction() as s:
        items.save_item(s, demo("GT-001") | {"promised_days": 12}, actor="admin")
    page = client.get(f"/items/{key}").get_data(as_text=True)
    assert "事项已更新至第 2 版，本件仍按原版本办理" in page
    client.post(f"/items/{key}/materials", data={"arrived": ["拟选址位置图"]})
    page = client.get(f"/items/{key}").get_data(as_text=True)
    timeline = page[page.index('id="timeline"') :]
    for said in ("收件", "办理", "收到消息", "恢复计时", "需补正的全部材料: 拟选址位置图"):
        assert said in timeline, said
    assert "补正材料已收到" not in page.split('id="timeline"')[0].split('id="item-hub"')[1]


def test_the_inbox_searches_by_receipt_applicant_phone_and_id_number_and_links_to_the_item(
    services, catalogue, signed_in
):
    client = signed_in("sc_clerk")
    client.post("/intake", data=form_for("SC-001", "accept"))
    client.post("/intake", data=form_for("SC-001", "accept", applicant_name="王五",
                                         applicant_id="110101199003070038", phone="13900001111"))  # fmt: skip
    with services.transaction() as s:
        keys = {
            r.applicant_name: runner.get_instance(s, r.instance_id).business_key
            for r in s.query(ItemApplication)
        }
    everything = client.get("/inbox?tab=window").get_data(as_text=True)
    assert keys["张三"] in everything and keys["王五"] in everything
    assert f'href="/items/{keys["王五"]}"' in everything
    for q in ("王五", "13900001111", "110101199003070038", keys["王五"]):
        page = client.get("/inbox", query_string={"tab": "window", "q": q}).get_data(as_text=True)
        assert keys["王五"] in page and keys["张三"] not in page, q
    none = client.get("/inbox", query_string={"tab": "window", "q": "不存在"}).get_data(as_text=True)
    assert keys["王五"] not in none
    # nothing exact: a part as a clerk holds it — the receipt number's last digits, a surname, a phone's tail
    for q in (keys["王五"][-3:], "王", "1111"):
        page = client.get("/inbox", query_string={"tab": "window", "q": q}).get_data(as_text=True)
        assert keys["王五"] in page and keys["张三"] not in page, q
    for q in ("五", "1", "%", "_"):  # not a start of a name, too short, a LIKE wildcard taken literally
        page = client.get("/inbox", query_string={"tab": "window", "q": q}).get_data(as_text=True)
        assert keys["王五"] not in page and keys["张三"] not in page, q


def test_the_applicants_progress_page_links_to_the_items_guide(services, catalogue, signed_in, client):
    signed_in("sc_clerk").post("/intake", data=form_for("SC-001", "accept"))
    _, key = the_item(services)
    client.post("/progress", data={"receipt": key, "phone_suffix": "1234"})
    page = client.get(f"/progress/{key}").get_data(as_text=True)
    assert 'id="progress-guide"' in page and "/guide/SC-001?version=1" in page
    assert "食品经营许可（新办） · SC-001</a>" in page  # the item's name with its code, not the code alone


def test_the_english_progress_page_and_intake_name_the_item_and_windows_in_english(
    services, catalogue, signed_in, client
):
    with services.transaction() as s:
        s.get(Window, "shichang").name_en = "Market Regulation"
    clerk = signed_in("sc_clerk")
    listed = clerk.get("/intake?q=SC&lang=en").get_data(as_text=True)
    assert "Food business licence (new)" in listed and "Market Regulation" in listed
    clerk.post("/intake", data=form_for("SC-001", "accept"))
    _, key = the_item(services)
    client.post("/progress", data={"receipt": key, "phone_suffix": "1234"})
    english = client.get(f"/progress/{key}?lang=en").get_data(as_text=True)
    assert "Food business licence (new) · SC-001</a>" in english
    assert "Market Regulation" in english.split('id="windows">')[1].split("</dd>")[0]
    chinese = client.get(f"/progress/{key}?lang=zh_CN").get_data(as_text=True)
    assert "市场监管窗口" in chinese and "Market Regulation" not in chinese
    pool = clerk.get("/inbox?tab=window&lang=en").get_data(as_text=True)
    assert "Food business licence (new)" in pool and "食品经营许可（新办）" not in pool
    assert "食品经营许可（新办）" in clerk.get("/inbox?tab=window&lang=zh_CN").get_data(as_text=True)


def test_the_english_progress_page_of_a_paused_item_says_so_in_english(
    services, catalogue, signed_in, client
):
    signed_in("gt_clerk").post("/intake", data=form_for("GT-001", "notify", ("拟选址位置图",)))
    _, key = the_item(services)
    client.post("/progress", data={"receipt": key, "phone_suffix": "1234"})
    status = client.get(f"/progress/{key}?lang=en").get_data(as_text=True).split('id="status">')[1]
    status = status.split("</dd>")[0]
    assert "(clock paused)" in status and "（" not in status and "暂停" not in status, status


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def test_scans_uploaded_at_intake_are_on_the_item_and_shown_in_the_browser(
    services, catalogue, app, signed_in, tmp_path
):
    import io

    app.config["ATTACHMENT_DIR"] = str(tmp_path / "attachments")
    client = signed_in("sc_clerk")
    form = form_for("SC-001", "accept")
    form["scans"] = [(io.BytesIO(PNG), "营业执照.png"), (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "申请书.pdf")]
    answer = client.post("/intake", data=form, content_type="multipart/form-data")
    assert answer.status_code == 302, answer.get_data(as_text=True)
    iid, key = the_item(services)
    with services.transaction() as s:
        from runner.items.attachments import list_attachments

        files = {f["filename"]: f["id"] for f in list_attachments(s, iid)}
    assert set(files) == {"营业执照.png", "申请书.pdf"}
    page = client.get(f"/items/{key}").get_data(as_text=True)
    assert f"/attachments/{files['营业执照.png']}/view" in page
    shown = client.get(f"/attachments/{files['申请书.pdf']}/view")
    assert shown.status_code == 200 and shown.mimetype == "application/pdf"
    assert shown.get_data() == b"%PDF-1.4\n%%EOF\n"
    assert "attachment" not in shown.headers.get("Content-Disposition", "")
    shown.close()
    other = signed_in("gt_clerk").get(f"/attachments/{files['申请书.pdf']}/view")
    assert other.status_code == 403
    other.close()


def test_a_correction_period_that_is_not_a_number_is_refused_not_replaced_by_the_default(
    services, catalogue, signed_in
):
    client = signed_in("sc_clerk")
    form = form_for("SC-001", "notify", missing=("食品安全管理制度",), correction_days="十天")
    answer = client.post("/intake", data=form)
    assert answer.status_code == 400 and "补正期限" in answer.get_data(as_text=True)
    with services.transaction() as s:
        assert s.query(ItemApplication).count() == 0
    english = client.post("/intake?lang=en", data=form).get_data(as_text=True)
    assert "whole number of working days" in english


# --- a double click on 受理: the form's one-time token is kept with the registration (unique) ----------------


def registrations(services) -> list[str]:
    with services.transaction() as s:
        return [runner.get_instance(s, r.instance_id).business_key for r in s.query(ItemApplication).all()]


def test_the_same_form_sent_twice_registers_once_and_the_second_answer_shows_the_item(
    services, catalogue, signed_in
):
    client = signed_in("sc_clerk")
    page = client.get("/intake?item=SC-001").get_data(as_text=True)
    token = page.split('name="submit_token" value="', 1)[1].split('"', 1)[0]
    assert len(token) == 32
    first = client.post("/intake", data=form_for("SC-001", "accept", submit_token=token))
    assert first.status_code == 302 and first.location.endswith("/documents/acceptance")
    again = client.post("/intake", data=form_for("SC-001", "accept", submit_token=token))
    [key] = registrations(services)
    assert again.status_code == 302 and again.location.endswith(f"/items/{key}")
    shown = client.get(again.location).get_data(as_text=True)
    assert f"此收件已登记为办件 {key}，未重复登记。" in shown


def test_a_lost_race_on_the_token_shows_the_winners_item_and_uses_no_receipt_number(
    services, catalogue, signed_in, monkeypatch
):
    from workspace import intake as view

    client = signed_in("sc_clerk")
    data = form_for("SC-001", "accept", submit_token="t" * 32)
    assert client.post("/intake", data=data).status_code == 302
    calls: list[int] = []
    real = view.registered_with

    def late(s, token):  # the first look missed it: both submissions looked before either registered
        calls.append(1)
        return None if len(calls) == 1 else real(s, token)

    monkeypatch.setattr(view, "registered_with", late)
    again = client.post("/intake", data=data)
    [key] = registrations(services)
    assert again.status_code == 302 and again.location.endswith(f"/items/{key}") and len(calls) == 2
    client.post("/intake", data=form_for("SC-001", "accept", submit_token="u" * 32))
    year, serial = key.split("-")
    assert sorted(registrations(services)) == [key, f"{year}-{int(serial) + 1:0{len(serial)}d}"]  # none lost


def test_different_tokens_register_two_items_and_a_form_without_a_token_still_registers(
    services, catalogue, signed_in
):
    client = signed_in("sc_clerk")
    for token in ("a" * 32, "b" * 32):
        assert (
            client.post("/intake", data=form_for("SC-001", "accept", submit_token=token)).status_code == 302
        )
    assert len(registrations(services)) == 2
    for _ in range(2):  # an old page or a script: as before
        answer = client.post("/intake", data=form_for("SC-001", "accept"))
        assert answer.status_code == 302 and answer.location.endswith("/documents/acceptance")
    assert len(set(registrations(services))) == 4


def test_two_submissions_of_one_form_at_the_same_moment_register_once(services, catalogue, signed_in):
    if services.engine.dialect.name != "postgresql":
        pytest.skip("SQLite writes one at a time")
    clients = [signed_in("sc_clerk"), signed_in("sc_clerk")]
    data = form_for("SC-001", "accept", submit_token="c" * 32)
    answers: list[Any] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def worker(client: Any) -> None:
        barrier.wait()
        try:
            answers.append(client.post("/intake", data=data))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    [key] = registrations(services)
    assert sorted(a.status_code for a in answers) == [302, 302]
    assert {a.location.rsplit("/", 1)[-1] for a in answers} <= {"acceptance", key}
    clients[0].post("/intake", data=form_for("SC-001", "accept", submit_token="d" * 32))
    year, serial = key.split("-")
    assert sorted(registrations(services)) == [key, f"{year}-{int(serial) + 1:0{len(serial)}d}"]  # none lost


def test_an_item_whose_process_routes_to_a_closed_window_is_not_registered(services, catalogue, signed_in):
    """A window closed behind the console's back (or before closing checked the routes): the counter is told,
    in the page (no 500), and nothing is registered nor any task left in the closed window."""
    from runner.core.definitions import latest_definition
    from runner.models import OpenTask, Window
    from runner.people.windows import routed_windows

    with services.transaction() as s:
        item = items.get_item(s, "SC-001")
        routed = routed_windows(latest_definition(s, item.process_key).meta)
        closed = sorted(routed - {item.window})[0] if routed - {item.window} else item.window
        s.get(Window, closed).is_active = False
    answer = signed_in("sc_clerk").post("/intake", data=form_for("SC-001", "accept"))
    page = answer.get_data(as_text=True)
    assert answer.status_code in (400, 409) and f"已关闭的窗口 {closed}" in page, page[-2000:]
    with services.transaction() as s:
        assert s.query(ItemApplication).count() == 0 and s.query(OpenTask).count() == 0


def _close_a_window_chengnuo_routes_to(services) -> str:
    """Close (behind the console's back) a window the current 承诺件 version sends a step to, not 市场监管's."""
    from runner.core.definitions import latest_definition
    from runner.models import Window
    from runner.people.windows import routed_windows

    with services.transaction() as s:
        routed = routed_windows(latest_definition(s, "chengnuo").meta) - {"shichang"}
        closed = sorted(routed)[0]
        s.get(Window, closed).is_active = False
    return closed


def test_the_picker_marks_items_whose_process_routes_to_a_closed_window_in_one_query(
    services, catalogue, signed_in, db_engine
):
    """Before any form is filled: the item list says which items cannot be received now and which window is
    closed, reading the processes once for the whole list; an item of a process with no closed window is not
    marked."""
    from tests.support.statements import statements

    with services.transaction() as s:
        for code in ("SC-002", "SC-004"):
            items.save_item(s, demo(code), actor="admin")
        items.save_item(s, {**demo("SC-003"), "process": "lianban_chaogao"}, actor="admin")
    clerk = signed_in("sc_clerk")
    assert "not-receivable" not in clerk.get("/intake?q=SC-").get_data(as_text=True)
    closed = _close_a_window_chengnuo_routes_to(services)
    with statements(db_engine, lambda sql: "process_definition" in sql) as sent:
        page = clerk.get("/intake?q=SC-").get_data(as_text=True)
    assert len(sent) == 1, sent
    rows = {r.split('"', 1)[0]: r for r in page.split('<tr data-code="')[1:]}
    for code in ("SC-001", "SC-002", "SC-004"):  # 承诺件
        assert "暂不能受理" in rows[code] and f"（{closed}）" in rows[code] and ">登记<" not in rows[code]
    assert "暂不能受理" not in rows["SC-003"] and ">登记<" in rows["SC-003"]  # its process routes elsewhere


def test_the_intake_page_of_an_item_routing_to_a_closed_window_shows_why_and_offers_no_submit(
    services, catalogue, signed_in
):
    """The notice names the closed window and there is no form to fill nor button to press; the submit's own
    refusal stays the last guard."""
    closed = _close_a_window_chengnuo_routes_to(services)
    clerk = signed_in("sc_clerk")
    page = clerk.get("/intake?item=SC-001").get_data(as_text=True)
    assert 'id="intake-closed"' in page and f"（{closed}）" in page and "暂不能受理" in page
    assert 'id="do-accept"' not in page and 'method="post"' not in page.split('id="intake-form"')[1]
    english = clerk.get("/intake?item=SC-001&lang=en").get_data(as_text=True)
    assert "cannot be received now" in english and f" ({closed})" in english
    clerk.get("/intake?lang=zh_CN")
    answer = clerk.post("/intake", data=form_for("SC-001", "accept"))
    assert answer.status_code in (400, 409) and f"已关闭的窗口 {closed}" in answer.get_data(as_text=True)
    with services.transaction() as s:
        assert s.query(ItemApplication).count() == 0


def test_an_api_items_intake_page_says_its_process_routes_to_a_closed_window_and_decides_nothing(
    services, catalogue, signed_in
):
    """An item registered through the JSON API, opened at its intake page after a window its version routes
    to was closed: the page names the window (as the counter's list does) instead of offering the decision,
    and a decision posted anyway is refused and leaves the item at its acceptance step."""
    from runner.catalogue.applications import start_item
    from runner.catalogue.intake import acceptance_step

    with services.transaction() as s:
        key = start_item(s, "SC-001", actor="hall", data={"applicant": "李四"}).business_key
    closed = _close_a_window_chengnuo_routes_to(services)
    clerk = signed_in("sc_clerk")
    page = clerk.get(f"/items/{key}/intake").get_data(as_text=True)
    assert 'id="intake-closed"' in page and f"（{closed}）" in page and "暂不能受理" in page
    assert 'id="do-accept"' not in page and 'method="post"' not in page.split('id="item-intake"')[1]
    english = clerk.get(f"/items/{key}/intake?lang=en").get_data(as_text=True)
    assert "cannot be decided now" in english and f" ({closed})" in english
    clerk.get(f"/items/{key}/intake?lang=zh_CN")
    names = [m["name"] for m in demo("SC-001")["materials"]]
    answer = clerk.post(
        f"/items/{key}/intake",
        data={**{f"m{n}": "received" for n in range(len(names))}, "decision": "accept"},
    )
    assert answer.status_code == 409 and f"（{closed}）" in answer.get_data(as_text=True)
    with services.transaction() as s:
        assert acceptance_step(s, runner.get_instance(s, business_key=key)) is not None


def test_the_english_guide_punctuates_in_english_and_the_chinese_one_in_chinese(services, catalogue, client):
    """The guide's own words around the item's data: half-width brackets, colons, semicolons and commas in
    English (the data itself stays as entered), full-width ones in Chinese."""
    import re

    def parts(lang: str) -> str:
        page = client.get(f"/guide/SC-001?lang={lang}").get_data(as_text=True)
        found = re.findall(r'<p id="g-(?:subject|result|supervision)">(.*?)</p>', page, re.S)
        return " | ".join(found) + " | " + page.split('id="g-materials"')[1].split("</table>")[0]

    english = parts("en")
    for shown in ("(window: ", "(delivery: ", "Supervision phone: ", "required (may follow)"):
        assert shown in english, english
    assert not re.search(r"[a-z]\s*[：；（）]|[：；（）]\s*[a-z]", english, re.I), english
    chinese = parts("zh_CN")
    for shown in ("（受理窗口：", "（送达方式：", "监督电话：", "必须（可容缺）"):
        assert shown in chinese, chinese


def test_a_closed_window_notice_in_place_of_an_intake_form_links_on_in_both_languages(
    services, catalogue, signed_in
):
    """Where the notice about a closed window replaces the form, the page is not a dead end: an API item's
    intake page links back to the item's page, the counter's intake page of a service item back to the
    counter's list; the links read in the page's language."""
    from runner.catalogue.applications import start_item

    with services.transaction() as s:
        key = start_item(s, "SC-001", actor="hall", data={"applicant": "李四"}).business_key
    _close_a_window_chengnuo_routes_to(services)
    clerk = signed_in("sc_clerk")
    for lang, back_item, back_list in (
        ("zh_CN", "返回办件", "返回收件登记"),
        ("en", "Back to the item", "Back to intake"),
    ):
        page = clerk.get(f"/items/{key}/intake?lang={lang}").get_data(as_text=True)
        notice = page.split('id="intake-closed"')[1].split("</section>")[0]
        assert f'href="/items/{key}"' in notice and back_item in notice, notice
        page = clerk.get(f"/intake?item=SC-001&lang={lang}").get_data(as_text=True)
        notice = page.split('id="intake-closed"')[1].split("</section>")[0]
        assert 'href="/intake"' in notice and back_list in notice, notice


def test_corrected_materials_are_received_on_the_record_the_item_page_and_the_acceptance_notice(
    services, catalogue, signed_in, clock
):
    """补正材料已收到 updates the counter's intake record: the item page, the acceptance notice (read through
    ``materials_as_received``) and the joint notice no longer call the material missing; the record keeps what
    it was and the change is audited with who and when."""
    client = signed_in("gt_clerk")
    missing = "拟选址位置图"
    client.post("/intake", data=form_for("GT-001", "notify", (missing,)))
    iid, key = the_item(services)
    clock.set(local("2026-09-29", "07:00"))  # still the 28th in UTC: the record says the centre's day
    client.post(f"/items/{key}/materials", data={"arrived": [missing]})
    with services.transaction() as s:
        record = s.get(ItemApplication, iid)
        state = next(m for m in record.materials if m["name"] == missing)
        assert (state["status"], state["was"], state["received_by"]) == ("received", "missing", "gt_clerk")
        assert state["received_at"] == "2026-09-28T23:00:00+00:00" and state["via"] == "correction"
        assert state["received_on"] == "2026-09-29"
        audits = (
            s.query(runner.models.AuditEntry).filter_by(instance_id=iid, action="materials_arrived").all()
        )
        assert len(audits) == 1 and audits[0].actor == "gt_clerk"
        instance = runner.get_instance(s, iid)
        from runner.papers.documents import materials_as_received

        listed = materials_as_received(s, instance, {"item_code": "GT-001"})
    assert missing in listed["materials"] and listed["not_received"] == []
    hub = client.get(f"/items/{key}").get_data(as_text=True)
    row = hub.split('id="hub-materials"')[1].split(missing)[1].split("</tr>")[0]
    assert "已收" in row and "补正 2026-09-29 gt_clerk" in row and "缺" not in row.replace("补正", "")


def test_a_tolerated_material_brought_later_is_recorded_from_the_item_page(
    services, catalogue, signed_in, clock
):
    """An item accepted at the counter with a 容缺后补 material, on a diagram without a 容缺 block: the item page
    offers to record it arrived; afterwards the record, the page and the acceptance papers have it received."""
    client = signed_in("sc_clerk")
    tolerated = "食品安全管理人员健康证明"
    names = [m["name"] for m in demo("SC-001")["materials"]]
    form = form_for("SC-001", "accept")
    form.update({f"m{names.index(tolerated)}": "tolerated", f"due{names.index(tolerated)}": "2026-10-30"})
    clock.set(clock.now() + timedelta(seconds=30))  # registered at 09:00:30
    assert client.post("/intake", data=form).status_code == 302
    iid, key = the_item(services)
    page = client.get(f"/items/{key}").get_data(as_text=True)
    assert 'id="item-supply"' in page and tolerated in page.split('id="item-supply"')[1]
    clock.set(
        clock.now() + timedelta(seconds=20)
    )  # the form's time, 09:00, is the minute of the registration
    done = client.post(
        f"/items/{key}/supplied", data={"materials": [tolerated], "supplied_at": "2026-09-28T09:00"}
    )
    assert done.status_code == 302
    with services.transaction() as s:
        state = next(m for m in s.get(ItemApplication, iid).materials if m["name"] == tolerated)
        assert (state["status"], state["was"], state["received_by"]) == ("received", "tolerated", "sc_clerk")
        from runner.papers.documents import materials_as_received

        listed = materials_as_received(s, runner.get_instance(s, iid), {"item_code": "SC-001"})
    assert tolerated in listed["materials"] and listed["tolerated"] == []
    page = client.get(f"/items/{key}").get_data(as_text=True)
    assert 'id="item-supply"' not in page
    row = page.split('id="hub-materials"')[1].split(tolerated)[1].split("</tr>")[0]
    assert "已收" in row and "容缺后补 2026-09-28 sc_clerk" in row


def test_the_promised_date_of_a_tolerated_material_starts_at_the_centres_day(
    services, catalogue, signed_in, clock
):
    """At 01:30 Beijing the intake form's earliest promised date is that Beijing day, as the registration checks
    (the form offered the UTC day, which the registration then refused)."""
    from datetime import UTC, datetime

    clock.set(datetime(2026, 9, 28, 17, 30, tzinfo=UTC))  # 2026-09-29 01:30 Asia/Shanghai
    page = signed_in("sc_clerk").get("/intake?item=SC-001").get_data(as_text=True)
    assert 'min="2026-09-29"' in page and 'min="2026-09-28"' not in page


def hub_materials(client, key: str, lang: str) -> str:
    """The item page's table of the materials as received, in ``lang``."""
    page = client.get(f"/items/{key}?lang={lang}").get_data(as_text=True)
    return page.split('id="hub-materials"')[1].split("</table>")[0]


def supply_form(client, key: str, lang: str) -> str:
    """The item page's form for the 容缺 materials that arrive later, in ``lang``."""
    page = client.get(f"/items/{key}?lang={lang}").get_data(as_text=True)
    return page.split('id="item-supply"')[1].split("</form>")[0]


def test_the_english_item_page_names_the_recorded_materials_in_english_keeping_their_chinese_values(
    services, catalogue, signed_in
):
    """The counter's record keeps a material by its Chinese name (its identity): English pages show the English of
    the item's catalogue version (the Chinese when it has none); the supply form still posts the Chinese."""
    body = demo("SC-001")
    body["materials"][0].pop("name_en")  # no English: the Chinese on English pages
    with services.transaction() as s:
        items.save_item(s, body, actor="admin")
    client = signed_in("sc_clerk")
    tolerated = "食品安全管理人员健康证明"
    names = [m["name"] for m in body["materials"]]
    form = form_for("SC-001", "accept")
    form.update({f"m{names.index(tolerated)}": "tolerated", f"due{names.index(tolerated)}": "2026-10-30"})
    assert client.post("/intake", data=form).status_code == 302
    _, key = the_item(services)
    english = hub_materials(client, key, "en")
    assert (
        "<td>Business licence</td>" in english
        and "<td>Health certificates of the food safety staff</td>" in english
    )
    assert "<td>食品经营许可申请书</td>" in english and "<td>营业执照</td>" not in english
    page = client.get(f"/items/{key}?lang=en").get_data(as_text=True)
    assert "Food business licence (new)</a>" in page.split('id="hub-item"')[1].split("</dd>")[0]
    chinese = hub_materials(client, key, "zh_CN")
    assert "<td>营业执照</td>" in chinese and "Business licence" not in chinese
    supply = supply_form(client, key, "en")
    assert "2026-10-30. Tick" in supply and "。" not in supply  # an English full stop on the English page
    assert f'value="{tolerated}"> Health certificates of the food safety staff</label>' in supply
    assert f'value="{tolerated}"> {tolerated}</label>' in supply_form(client, key, "zh_CN")
    assert "2026-10-30。勾选" in supply_form(client, key, "zh_CN")


def test_the_english_corrected_materials_page_names_them_in_english_and_posts_the_chinese(
    services, catalogue, signed_in, clock
):
    client = signed_in("gt_clerk")
    missing, other = "拟选址位置图", "项目建议书或可行性研究报告"
    client.post("/intake", data=form_for("GT-001", "notify", (missing, other)))
    _, key = the_item(services)
    english = client.get(f"/items/{key}/materials?lang=en").get_data(as_text=True)
    assert f'value="{missing}"> Location map of the proposed site</label>' in english
    chinese = client.get(f"/items/{key}/materials?lang=zh_CN").get_data(as_text=True)
    assert f'value="{missing}"> {missing}</label>' in chinese and "Location map" not in chinese
    done = client.post(f"/items/{key}/materials?lang=en", data={"arrived": [missing]}, follow_redirects=True)
    assert "Still missing: Project proposal or feasibility study report" in done.get_data(as_text=True)
    assert "<td>Location map of the proposed site</td>" in hub_materials(client, key, "en")

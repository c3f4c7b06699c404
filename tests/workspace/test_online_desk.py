"""网上申报 at the window (workspace/online_desk.py and the counter's pre-filled intake): 预审, finding the application
at the counter and registering it as the item, appointment plans and the day's appointments."""

from __future__ import annotations

import pytest

from runner.catalogue import items
from runner.catalogue.applications import Applicant
from runner.models import Attachment, ItemApplication, OnlineApplication
from runner.online import applications, files, slots, submission
from tests.support.catalogue import demo
from tests.support.flow import deploy_library

CODE = "SC-001"
PDF = b"%PDF-1.4 material\n"
PERSON = Applicant("张三", "11010519491231002X", "13800001234")


@pytest.fixture
def desk(services, make_user) -> None:
    deploy_library(services, "block_correction.bpmn", "block_refusal.bpmn", "chengnuo.bpmn")
    with services.transaction() as s:
        items.save_item(s, demo(CODE), actor="admin")
    make_user("sc_clerk", ("shichang", "clerk"))
    make_user("sc_head", ("shichang", "window_head"), ("shichang", "clerk"))
    make_user("gt_clerk", ("guotu", "clerk"))


REQUIRED = [m["name"] for m in demo(CODE)["materials"] if m["required"]]


def submit_online(services) -> tuple[int, str]:
    """An online application of CODE, its phone verified and every required material uploaded, submitted: its id
    and the applicant's tracking token."""
    with services.transaction() as s:
        row, token = applications.start_draft(s, CODE, PERSON)
        row.phone_verified_at = services.now()
        files.add_files(s, row, [files.Upload(n, f"{n}.pdf", "application/pdf", PDF) for n in REQUIRED])
        submission.submit(s, row)
        return row.id, token


@pytest.fixture
def submitted(services, desk) -> int:
    return submit_online(services)[0]


def state(services, aid: int) -> str:
    with services.transaction() as s:
        return s.get(OnlineApplication, aid).state


def test_the_lead_window_sees_it_waiting_and_returns_it_with_a_reason(services, submitted, signed_in):
    clerk = signed_in("sc_clerk")
    assert "网上申报待预审 1 件" in clerk.get("/inbox").get_data(as_text=True)
    listed = clerk.get("/online/reviews").get_data(as_text=True)
    assert "WS2026-" in listed and "张三" in listed
    page = clerk.get(f"/online/{submitted}/review").get_data(as_text=True)
    assert "营业执照" in page and "营业执照.pdf" in page
    refused = clerk.post(f"/online/{submitted}/review", data={"decision": "return"})
    assert refused.status_code == 400 and "退回理由" in refused.get_data(as_text=True)
    done = clerk.post(f"/online/{submitted}/review", data={"decision": "return", "reason-1": "未加盖公章"})
    assert done.status_code == 302 and state(services, submitted) == "returned"
    with services.transaction() as s:
        assert s.get(OnlineApplication, submitted).reasons == {"营业执照": "未加盖公章"}


def test_another_window_neither_sees_nor_reviews_it(services, submitted, signed_in):
    other = signed_in("gt_clerk")
    assert "WS2026-" not in other.get("/online/reviews").get_data(as_text=True)
    assert other.get(f"/online/{submitted}/review").status_code == 403
    assert other.post(f"/online/{submitted}/review", data={"decision": "pass"}).status_code == 403
    with services.transaction() as s:
        file_id = files.latest(s, s.get(OnlineApplication, submitted))["营业执照"].id
    assert other.get(f"/online/{submitted}/files/{file_id}").status_code == 403
    assert signed_in("sc_clerk").get(f"/online/{submitted}/files/{file_id}").status_code == 200
    assert state(services, submitted) == "submitted"


def test_the_counter_finds_it_and_registers_it_pre_filled(services, submitted, signed_in):
    clerk = signed_in("sc_clerk")
    clerk.post(f"/online/{submitted}/review", data={"decision": "pass"})
    with services.transaction() as s:
        number = s.get(OnlineApplication, submitted).number
    for text in (number, PERSON.id_number, PERSON.phone):
        assert number in clerk.get(f"/online/counter?q={text}").get_data(as_text=True)
    form = clerk.get(f"/intake?item={CODE}&online={submitted}").get_data(as_text=True)
    assert number in form and 'value="11010519491231002X"' in form and 'value="13800001234"' in form
    names = [m["name"] for m in demo(CODE)["materials"]]
    data = {"item": CODE, "online": str(submitted), "applicant_type": "person", "applicant_name": "张三",
            "applicant_id": PERSON.id_number, "phone": PERSON.phone, "decision": "accept"}  # fmt: skip
    data |= {f"m{n}": "received" for n, _ in enumerate(names)}
    answer = clerk.post("/intake", data=data)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    with services.transaction() as s:
        row = s.get(OnlineApplication, submitted)
        record = s.query(ItemApplication).one()
        assert (row.state, row.instance_id) == ("received", record.instance_id)
        assert s.query(Attachment).filter(Attachment.instance_id == record.instance_id).count() == 6
    assert f'data-number="{number}"' not in clerk.get(f"/online/counter?q={number}").get_data(
        as_text=True
    )  # received
    assert clerk.get(f"/intake?item={CODE}&online={submitted}").status_code == 409


def test_window_heads_set_the_slots_and_see_the_days_appointments(services, submitted, signed_in):
    head = signed_in("sc_head")
    assert signed_in("sc_clerk").get("/online/slots").status_code == 403
    plan = {
        "window": "shichang",
        "mode": "hourly",
        "capacity": "3",
        "days_ahead": "5",
        "cutoff_hours": "2",
        "active": "1",
    }
    bad = head.post("/online/slots", data=plan | {"periods": "12:00-09:00"})
    assert bad.status_code == 400 and "结束须晚于开始" in bad.get_data(as_text=True)
    assert (
        head.post("/online/slots", data=plan | {"window": "guotu", "periods": "09:00-12:00"}).status_code
        == 403
    )
    ok = head.post("/online/slots", data=plan | {"periods": "09:00-12:00, 14:00-17:00"})
    assert ok.status_code == 302
    with services.transaction() as s:
        assert slots.plan_of(s, "shichang")["periods"] == [["09:00", "12:00"], ["14:00", "17:00"]]
        row = s.get(OnlineApplication, submitted)
        from runner.online import review

        review.decide(s, row, review.PASS, actor="sc_clerk")
        slots.book(s, row, "2026-09-29@10:00")
    day = head.get("/online/appointments?day=2026-09-29").get_data(as_text=True)
    assert "10:00–11:00" in day and "张三" in day
    assert "张三" not in head.get("/online/appointments?day=2026-09-30").get_data(as_text=True)


def test_the_desks_lists_name_the_item_not_only_its_code(services, submitted, signed_in):
    """The pre-review list and the counter's search show the item's name next to its code: a clerk reads
    食品经营许可（新办）, not SC-001 alone."""
    name = demo(CODE)["name"]
    clerk = signed_in("sc_clerk")
    row = clerk.get("/online/reviews").get_data(as_text=True).split('data-number="')[1].split("</tr>")[0]
    assert name in row and CODE in row, row
    clerk.post(f"/online/{submitted}/review", data={"decision": "pass"})
    page = clerk.get(f"/online/counter?q={PERSON.phone}").get_data(as_text=True)
    row = page.split('data-number="')[1].split("</tr>")[0]
    assert name in row and CODE in row, row


def test_the_applicants_page_says_what_the_counter_received_missing_and_owed_then_what_arrived(
    services, desk, signed_in, client, clock
):
    """Once the counter received an online application, the applicant's page names each material's state on
    the counter's record (not only the uploads): a 容缺后补 one with its date, one not received; and it follows
    the record when the owed material arrives later."""
    from datetime import timedelta

    aid, token = submit_online(services)
    clerk = signed_in("sc_clerk")
    clerk.post(f"/online/{aid}/review", data={"decision": "pass"})
    everything = [m["name"] for m in demo(CODE)["materials"]]
    owed, optional = "食品安全管理人员健康证明", "授权委托书及代理人身份证件"
    data = {"item": CODE, "online": str(aid), "applicant_type": "person", "applicant_name": "张三",
            "applicant_id": PERSON.id_number, "phone": PERSON.phone, "decision": "accept"}  # fmt: skip
    data |= {f"m{n}": "received" for n, _ in enumerate(everything)}
    data |= {f"m{everything.index(owed)}": "tolerated", f"due{everything.index(owed)}": "2026-10-30"}
    data |= {f"m{everything.index(optional)}": "missing"}
    assert clerk.post("/intake", data=data).status_code == 302

    def states() -> dict[str, str]:
        page = client.get(f"/apply/track/{token}").get_data(as_text=True)
        rows = page.split('id="track-files"')[1].split("</table>")[0].split("<tr data-material=")[1:]
        return {r.split('"')[1]: r.split('class="at-counter"')[1].split("</td>")[0] for r in rows}

    said = states()
    assert "未收取" in said[optional] and "容缺后补" in said[owed] and "2026-10-30" in said[owed]
    assert "已收取" in said["营业执照"]
    with services.transaction() as s:
        key = s.get(OnlineApplication, aid).instance_id
        from runner import get_instance

        key = get_instance(s, key).business_key
    clock.set(clock.now() + timedelta(hours=2))
    clerk.post(f"/items/{key}/supplied", data={"materials": [owed], "supplied_at": "2026-09-28T10:00"})
    assert "已收取" in states()[owed]


def test_the_appointment_confirmation_names_what_was_sent_online_and_what_was_not(services, desk, client):
    """The printed confirmation does not pass for a receipt of every material: it names those sent online and
    those not (an optional one marked so)."""
    _, token = submit_online(services)
    page = client.get(f"/apply/track/{token}/confirmation").get_data(as_text=True)
    sent = page.split('id="conf-uploaded"')[1].split("</p>")[0]
    unsent = page.split('id="conf-not-uploaded"')[1].split("</p>")[0]
    assert all(n in sent for n in REQUIRED) and "授权委托书及代理人身份证件" not in sent
    assert "授权委托书及代理人身份证件（非必须）" in unsent
    english = client.get(f"/apply/track/{token}/confirmation?lang=en").get_data(as_text=True)
    sent = english.split('id="conf-uploaded"')[1].split("</p>")[0]
    unsent = english.split('id="conf-not-uploaded"')[1].split("</p>")[0]
    assert "Business licence" in sent and "营业执照" not in sent  # the English of the item's version
    assert "Power of attorney and the agent's identity document (optional)" in unsent.replace("&#39;", "'")


def test_the_pre_review_is_dated_by_the_centres_day_not_utcs(services, desk, signed_in, client, clock):
    """A return at 01:30 Beijing (17:30 UTC the day before) is dated that Beijing day on the applicant's page and
    on the window's review page (both showed the UTC day: the stored moment's text cut at 10 characters)."""
    from datetime import UTC, datetime

    clock.set(datetime(2026, 9, 28, 17, 30, tzinfo=UTC))  # 2026-09-29 01:30 Asia/Shanghai
    aid, token = submit_online(services)
    clerk = signed_in("sc_clerk")
    clerk.post(f"/online/{aid}/review", data={"decision": "return", "reason-1": "未加盖公章"})
    track = client.get(f"/apply/track/{token}").get_data(as_text=True).split('id="track-reviews"')[1]
    assert "2026-09-29 · 退回" in track.split("</section>")[0]
    history = clerk.get(f"/online/{aid}/review").get_data(as_text=True).split('id="review-history"')[1]
    assert "2026-09-29 01:30 · sc_clerk" in history.split("</ul>")[0]


def test_an_english_pre_review_record_names_the_material_in_english(services, desk, signed_in, client):
    """The returned material's name and the record's punctuation follow the page's language (the English pages
    wrote "returned；营业执照：未加盖公章")."""
    aid, token = submit_online(services)
    clerk = signed_in("sc_clerk")
    clerk.post(f"/online/{aid}/review", data={"decision": "return", "reason-1": "未加盖公章"})
    english = next(m.get("name_en") for m in demo(CODE)["materials"] if m["name"] == "营业执照")
    track = client.get(f"/apply/track/{token}?lang=en").get_data(as_text=True).split('id="track-reviews"')[1]
    assert f"returned; {english}: 未加盖公章" in track.split("</section>")[0]
    history = (
        clerk.get(f"/online/{aid}/review?lang=en").get_data(as_text=True).split('id="review-history"')[1]
    )
    assert f"returned; {english}: 未加盖公章" in history.split("</ul>")[0]
    chinese = client.get(f"/apply/track/{token}?lang=zh_CN").get_data(as_text=True)
    assert "退回；营业执照：未加盖公章" in chinese

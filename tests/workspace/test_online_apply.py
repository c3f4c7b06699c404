"""网上申报's public pages (workspace/online_apply.py): apply, confirm the number, upload, submit, follow the private
link, book; the limits; the private link never shows another application; 办理结果公示 without personal data."""

from __future__ import annotations

import io
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from runner.catalogue import items
from runner.models import Notification, OnlineApplication, OnlineFile
from runner.online import review
from tests.support.catalogue import demo
from tests.support.flow import deploy_library

CODE = "SC-001"
PDF = b"%PDF-1.4 material\n"
PERSON = {"applicant_type": "person", "applicant_name": "张三", "applicant_id": "11010519491231002X",
          "phone": "13800001234"}  # fmt: skip


@pytest.fixture
def catalogue(services, make_user) -> None:
    deploy_library(services, "block_correction.bpmn", "block_refusal.bpmn", "chengnuo.bpmn")
    with services.transaction() as s:
        items.save_item(s, demo(CODE), actor="admin")
        items.save_item(s, demo("SC-002"), actor="admin")  # not open online
    make_user("sc_clerk", ("shichang", "clerk"))


def code_for(services, phone: str = PERSON["phone"]) -> str:
    with services.transaction() as s:
        note = s.query(Notification).filter(
            Notification.to_user == f"tel:{phone}", Notification.kind == "otp"
        )
        return re.search(r"验证码 (\d{6})", note.order_by(Notification.id.desc()).first().message).group(1)


def start(client, services, person: dict[str, str] = PERSON) -> str:
    """Apply, confirm the number: the private link's token."""
    page = client.post(f"/apply/{CODE}", data=person)
    assert page.status_code == 302, page.get_data(as_text=True)
    token = page.headers["Location"].rsplit("/", 1)[1]
    assert (
        client.post(
            f"/apply/track/{token}/code", data={"code": code_for(services, person["phone"])}
        ).status_code
        == 302
    )
    return token


def materials() -> list[str]:
    return [m["name"] for m in demo(CODE)["materials"]]


def all_files(content: bytes = PDF) -> dict[str, Any]:
    return {
        f"file-{n}": (io.BytesIO(content), f"m{n}.pdf")
        for n, m in enumerate(demo(CODE)["materials"])
        if m["required"]
    }


def test_only_items_open_online_have_a_form(client, catalogue):
    assert client.get(f"/apply/{CODE}").status_code == 200
    assert client.get("/apply/SC-002").status_code == 404
    listed = client.get("/apply").get_data(as_text=True)
    assert CODE in listed and "SC-002" not in listed


def test_a_wrong_check_digit_is_refused_in_the_users_language(client, catalogue):
    page = client.post(f"/apply/{CODE}", data=PERSON | {"applicant_id": "110105194912310021"})
    assert page.status_code == 400 and "校验位不符" in page.get_data(as_text=True)
    page = client.post(f"/apply/{CODE}?lang=en", data=PERSON | {"applicant_id": "110105194912310021"})
    assert "check character" in page.get_data(as_text=True)


def test_apply_confirm_upload_and_submit(client, services, catalogue):
    token = start(client, services)
    assert "将保留至 2026-10-01" in client.get(f"/apply/track/{token}").get_data(as_text=True)  # 72 hours
    bad = client.post(f"/apply/track/{token}/files", data={"file-0": (io.BytesIO(b"MZ..."), "a.pdf"), "action": "upload"},
                      content_type="multipart/form-data")  # fmt: skip
    assert bad.status_code == 400 and "不符" in bad.get_data(as_text=True)
    early = client.post(
        f"/apply/track/{token}/files", data={"action": "submit"}, content_type="multipart/form-data"
    )
    assert early.status_code == 400 and "必需的材料" in early.get_data(as_text=True)
    done = client.post(f"/apply/track/{token}/files", data={**all_files(), "action": "submit"},
                       content_type="multipart/form-data")  # fmt: skip
    assert done.status_code == 302
    page = client.get(f"/apply/track/{token}").get_data(as_text=True)
    assert "待预审" in page and re.search(r"WS2026-\d{6}", page)


def test_returned_materials_are_reuploaded_and_resubmitted(client, services, catalogue):
    token = start(client, services)
    client.post(
        f"/apply/track/{token}/files",
        data={**all_files(), "action": "submit"},
        content_type="multipart/form-data",
    )
    with services.transaction() as s:
        row = s.query(OnlineApplication).one()
        review.decide(s, row, review.RETURN, actor="sc_clerk", reasons={materials()[1]: "复印件未盖公章"})
    page = client.get(f"/apply/track/{token}").get_data(as_text=True)
    assert "预审退回" in page and "复印件未盖公章" in page
    again = client.post(f"/apply/track/{token}/files", data={"file-1": (io.BytesIO(PDF + b"2"), "stamped.pdf"),
                        "action": "submit"}, content_type="multipart/form-data")  # fmt: skip
    assert again.status_code == 302
    with services.transaction() as s:
        assert s.query(OnlineApplication).one().state == "submitted"
        assert s.query(OnlineFile).filter(OnlineFile.material == materials()[1]).count() == 2


def test_the_private_link_never_shows_another_application(client, app, services, catalogue):
    mine = start(client, services)
    other_client = app.test_client()
    theirs = start(other_client, services, PERSON | {"applicant_name": "李四", "applicant_id": "110101199003070011",
                                                      "phone": "13900001111"})  # fmt: skip
    other_client.post(f"/apply/track/{theirs}/files", data={**all_files(), "action": "upload"},
                      content_type="multipart/form-data")  # fmt: skip
    with services.transaction() as s:
        their_file = s.query(OnlineFile).first().id
    assert client.get(f"/apply/track/{mine}/files/{their_file}").status_code == 404
    assert "李四" not in client.get(f"/apply/track/{mine}").get_data(as_text=True)
    for guess in (mine[:-1] + ("A" if mine[-1] != "A" else "B"), "1", "x" * 300):
        assert client.get(f"/apply/track/{guess}").status_code == 404
    assert client.get(f"/apply/track/{theirs}/files/{their_file}").status_code == 200


def test_code_requests_are_limited_per_number(client, app, services, catalogue):
    statuses = [client.post(f"/apply/{CODE}", data=PERSON).status_code for _ in range(4)]
    assert statuses == [302, 302, 302, 429]
    assert "频繁" in client.post(f"/apply/{CODE}", data=PERSON).get_data(as_text=True)
    other = PERSON | {"phone": "13900001111", "applicant_id": "110101199003070011"}
    assert client.post(f"/apply/{CODE}", data=other).status_code == 302  # another number


def test_limits_are_shared_between_web_nodes(services, catalogue, redis_url):
    from tests.support.web_fixtures import _app

    nodes = [_app(services, RATE_LIMIT_STORAGE=redis_url).test_client() for _ in range(2)]
    phone = "13700001234"
    statuses = [
        nodes[n % 2].post(f"/apply/{CODE}", data=PERSON | {"phone": phone}).status_code for n in range(4)
    ]
    assert statuses == [302, 302, 302, 429]


def test_published_results_carry_no_personal_data(client, services, catalogue):
    import runner
    from runner.catalogue.applications import Applicant as Person
    from runner.catalogue.applications import Intake, start_item

    with services.transaction() as s:
        person = Person("王小明", "11010519491231002X", "13812345678")
        instance = start_item(s, CODE, actor="sc_clerk", intake=Intake(person, []))
        key = instance.business_key
        runner.terminate(s, instance.id, actor="admin", reason="申请人撤回")
        running = start_item(s, CODE, actor="sc_clerk", intake=Intake(person, [])).business_key
    page = client.get("/apply/results").get_data(as_text=True)
    assert key in page and "食品经营许可（新办）" in page and "已终止办理" in page and "2026-09-28" in page
    assert running not in page  # only finished items
    for personal in ("王小明", "11010519491231002X", "13812345678", "申请人撤回"):
        assert personal not in page
    assert key in client.get(f"/apply/results?q={key}").get_data(as_text=True)
    assert "Published results" in client.get("/apply/results?lang=en").get_data(as_text=True)


def test_submitting_when_the_pre_review_limit_reaches_an_unknown_year_shows_it_pending(
    client, services, catalogue, clock
):
    """No 2027 arrangement entered (the test imports none): submitting on 2026-12-31 23:30 is not refused, the
    private link says the limit waits for 2027."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from tests.support.year_end import needs_2027

    if not needs_2027():
        pytest.skip("chinesecalendar knows 2027")
    clock.set(datetime(2026, 12, 31, 23, 30, tzinfo=ZoneInfo("Asia/Shanghai")))
    token = start(client, services)
    done = client.post(f"/apply/track/{token}/files", data={**all_files(), "action": "submit"},
                       content_type="multipart/form-data")  # fmt: skip
    assert done.status_code == 302
    page = client.get(f"/apply/track/{token}").get_data(as_text=True)
    assert "待 2027 年节假日安排公布后确定" in page


def passed_review(client, services) -> str:
    """An application submitted with every file and passed at 预审: its tracking token."""
    token = start(client, services)
    client.post(f"/apply/track/{token}/files", data={**all_files(), "action": "submit"},
                content_type="multipart/form-data")  # fmt: skip
    with services.transaction() as s:
        review.decide(s, s.query(OnlineApplication).one(), review.PASS, actor="sc_clerk")
    return token


def test_the_booking_says_later_days_wait_for_next_years_arrangement(client, services, catalogue, clock):
    """10 working days ahead from Thu 2026-12-24 reach into 2027, which the calendar does not know (no
    arrangement imported): 2026's days are offered, and the page says why no later one is, until the import."""
    from tests.support.year_end import import_2027, needs_2027

    if not needs_2027():
        pytest.skip("chinesecalendar knows 2027")
    clock.set(datetime(2026, 12, 24, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    token = passed_review(client, services)
    page = client.get(f"/apply/track/{token}").get_data(as_text=True)
    assert 'data-slot="2026-12-31@13:30"' in page and 'data-slot="2027-' not in page
    note = re.search(r'<p class="muted" id="track-slots-pending"[^>]*>(.*?)</p>', page, re.S)
    assert note is not None and "2027 年的节假日安排尚未公布" in note[1]
    english = client.get(f"/apply/track/{token}?lang=en").get_data(as_text=True)
    assert "later days will be offered for booking once it is" in english
    import_2027(services)
    page = client.get(f"/apply/track/{token}").get_data(as_text=True)
    assert 'data-slot="2027-01-04@09:00"' in page and 'id="track-slots-pending"' not in page


def test_the_booking_says_nothing_of_next_year_when_its_days_are_all_offered(client, services, catalogue):
    """Far from the year end every day of the plan is offered: no word of an arrangement."""
    token = passed_review(client, services)
    page = client.get(f"/apply/track/{token}").get_data(as_text=True)
    assert 'id="track-slots"' in page and 'id="track-slots-pending"' not in page


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("zh_CN", ("不支持的文件类型", "其余 1 个文件已上传")),
        ("en", ("not allowed", "the other 1 file(s) were uploaded")),
    ],
)
def test_a_refused_file_is_named_by_material_and_file_and_the_good_ones_chosen_with_it_are_kept(
    client, services, catalogue, lang, words
):
    """Seven materials chosen at once and one of them wrong: the message names that material and its file in
    the page's language, and the good files chosen with it are stored (a browser cannot keep chosen files
    across a page load, so dropping them made the applicant choose every file again)."""
    token = start(client, services)
    data = {"file-0": (io.BytesIO(PDF), "form.pdf"), "file-1": (io.BytesIO(b"hello"), "licence.txt")}
    bad = client.post(f"/apply/track/{token}/files?lang={lang}", data={**data, "action": "upload"},
                      content_type="multipart/form-data")  # fmt: skip
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400 and materials()[1] in text and "licence.txt" in text, text
    assert all(w in text for w in words), text
    with services.transaction() as s:
        assert [f.material for f in s.query(OnlineFile)] == [materials()[0]]

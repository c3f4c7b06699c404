"""Every party of an item hears what concerns it (issue 26), in real Chromium: the windows invited to a 联审会议,
a window deemed to assent in 抄告制, the clerk recording that a 容缺 item's material arrived, the complainant.
"""

from __future__ import annotations

import pytest

from runner.people.directory import seed_demo_users
from tests.support.flow import (
    advance_to,
    complete,
    deploy_library,
    describe,
    library_windows,
    local,
    start_item,
    task,
)
from tests.support.joint import FILES as CHAOGAO

from .conftest import login, screenshot

pytestmark = pytest.mark.slow

LIANSHEN = ("block_correction.bpmn", "block_refusal.bpmn", "lianban_lianshen.bpmn")


def flash(page) -> str:
    return " | ".join(page.locator(".flash").all_inner_texts())


def test_invited_windows_confirm_or_write_and_then_read_the_minutes(services, clock, live_server, new_page):
    deploy_library(services, *LIANSHEN)
    with services.transaction() as s:
        seed_demo_users(s, library_windows())
    iid = start_item(services, "lianban_lianshen", {"lead_window": "centre", "applicant": "某置业有限公司"})
    bk = describe(services, iid)["business_key"]
    complete(
        services, task(services, iid, "accept")["id"],
        {"related_windows": ["guotu", "huanbao"], "materials_complete": True, "materials_list": ["申请书", "宗地图"]},
        actor="centre_clerk",
    )  # fmt: skip
    complete(
        services, task(services, iid, "schedule")["id"],
        {"meeting_at": "2026-09-30T09:30:00+08:00", "place": "中心三楼会议室",
         "related_windows": ["guotu", "huanbao"], "materials_to_bring": ["宗地图原件"]},
        actor="centre_clerk",
    )  # fmt: skip

    # guotu: the invitation is in its inbox and its message centre; it confirms attendance
    guotu = new_page()
    login(guotu, live_server, "guotu_clerk")
    row = guotu.locator(f"#meeting-invitations tr[data-invitation='{bk}']")
    assert "2026-09-30 09:30" in row.inner_text() and "待回复" in row.inner_text()
    screenshot(guotu, "meeting-invitation-inbox")
    guotu.goto(f"{live_server}/notifications")
    note = guotu.locator("#notifications tr", has_text="联审会议通知")
    assert "中心三楼会议室" in note.inner_text() and "2026-09-30 09:30" in note.inner_text()
    with guotu.expect_navigation():
        note.locator("a.note-item").click()
    assert f"/items/{bk}/meeting" in guotu.url
    guotu.check("input[name=attending][value=yes]")
    with guotu.expect_navigation():
        guotu.click("#send-reply")
    assert "回执已发送" in flash(guotu)
    assert "确认出席" in guotu.inner_text("#meeting-replies tr[data-window='guotu']")

    # huanbao does not come and sends its written opinion instead
    huanbao = new_page()
    login(huanbao, live_server, "huanbao_clerk")
    huanbao.goto(f"{live_server}/items/{bk}/meeting")
    huanbao.check("input[name=attending][value=no]")
    with huanbao.expect_navigation():
        huanbao.click("#send-reply")  # no opinion yet: refused, nothing lost
    assert "书面意见" in huanbao.inner_text("#reply-error")
    huanbao.check("input[name=attending][value=no]")
    huanbao.select_option("#reply-result", "agree_with_conditions")
    huanbao.fill("#reply-conditions", "落实环评批复要求")
    screenshot(huanbao, "meeting-written-opinion")
    with huanbao.expect_navigation():
        huanbao.click("#send-reply")
    assert "落实环评批复要求" in huanbao.inner_text("#meeting-replies tr[data-window='huanbao']")

    # the chair sees the replies in the minutes form: guotu is ticked, huanbao's opinion is shown
    advance_to(services, clock, local("2026-09-30", "09:30"))
    chair = new_page()
    login(chair, live_server, "centre_clerk")
    meeting = task(services, iid, "meeting")
    chair.goto(f"{live_server}/tasks/{meeting['id']}")
    assert chair.locator("input[name=attendance][value=guotu]").is_checked()
    assert not chair.locator("input[name=attendance][value=huanbao]").is_checked()
    assert "落实环评批复要求" in chair.inner_text("main")
    complete(
        services, meeting["id"],
        {"attendance": ["guotu"], "opinions": {"guotu": {"result": "agree"}}, "decided_on_spot": True,
         "decision": "approve", "minutes": "与会窗口一致同意，当场办结"},
        actor="centre_clerk",
    )  # fmt: skip

    # afterwards both invited windows read the minutes and the decision
    for page in (guotu, huanbao):
        page.goto(f"{live_server}/items/{bk}/meeting")
        minutes = page.inner_text("#meeting-minutes")
        assert "当场办结" in minutes and "准予许可" in minutes and "与会窗口一致同意" in minutes
        assert "附条件同意" in page.inner_text("#meeting-minutes tr[data-opinion='huanbao']")
        assert page.locator("#meeting-reply").count() == 0  # replies are closed
    screenshot(huanbao, "meeting-minutes")
    huanbao.goto(f"{live_server}/notifications")
    assert huanbao.locator("#notifications tr", has_text="联审会议纪要已登记").count() == 1
    huanbao.goto(f"{live_server}/items/{bk}/meeting?lang=en")
    assert "Minutes and decision" in huanbao.inner_text("#meeting-minutes")
    screenshot(huanbao, "meeting-minutes-en")


def test_a_silent_window_is_told_of_its_deemed_assent_and_still_opens_the_item(
    services, clock, live_server, new_page
):
    deploy_library(services, *CHAOGAO)
    with services.transaction() as s:
        seed_demo_users(s, library_windows())
    iid = start_item(
        services, "lianban_chaogao",
        {"lead_window": "centre", "applicant": "张三", "applicant_phone": "13800001234"},
    )  # fmt: skip
    bk = describe(services, iid)["business_key"]
    complete(
        services, task(services, iid, "accept")["id"],
        {"related_windows": ["guotu", "shichang"], "review_days": 3, "materials_complete": True,
         "materials_list": ["申请书"]},
        actor="centre_clerk",
    )  # fmt: skip
    complete(
        services,
        task(services, iid, "review", window="guotu")["id"],
        {"result": "agree"},
        actor="guotu_clerk",
    )
    advance_to(
        services, clock, local("2026-10-09", "09:00")
    )  # past the end of Thu 10-08: shichang was silent

    market = new_page()
    login(market, live_server, "shichang_clerk")
    market.goto(f"{live_server}/notifications")
    note = market.inner_text("#notifications")
    assert "超时未答复" in note and "视为同意" in note and "问责" in note and "2026-10-08 23:59" in note, note
    screenshot(market, "deemed-assent-message")
    with market.expect_navigation():
        market.locator("#notifications a.note-item").first.click()
    assert market.url.endswith(f"/items/{bk}")
    record = market.inner_text("#item-accountability")
    assert "市场监管窗口" in record and "超时未答复" in record and "默认议定" in record, record
    screenshot(market, "deemed-assent-item")
    response = market.goto(f"{live_server}/items/{bk}?lang=en")
    assert response is not None and response.status == 200
    assert "no answer within the limit" in market.inner_text("#item-accountability")

    # the applicant's progress page lists every window that took part, the silent one too
    applicant = new_page()
    applicant.goto(f"{live_server}/progress")
    applicant.fill("input[name=receipt]", bk)
    applicant.fill("input[name=phone_suffix]", "1234")
    with applicant.expect_navigation():
        applicant.click("button[type=submit]")
    page = applicant.inner_text("main")
    assert "国土资源窗口" in page and "市场监管窗口" in page, page


def test_a_tolerant_item_is_closed_with_materials_arrived(services, clock, live_server, new_page):
    deploy_library(services, "block_correction.bpmn", "block_refusal.bpmn", "rongque.bpmn")
    with services.transaction() as s:
        seed_demo_users(s, library_windows())
    iid = start_item(services, "rongque", {"applicant": "某食品有限公司"}, actor="centre_clerk")
    bk = describe(services, iid)["business_key"]
    complete(services, task(services, iid, "accept")["id"], {"eligible": True, "materials_complete": True})
    complete(
        services, task(services, iid, "tolerance_commitment")["id"],
        {"supply_by": "2026-10-09", "secondary_materials": ["从业人员健康证明", "场地平面图"], "commitment_signed": True},
    )  # fmt: skip
    complete(services, task(services, iid, "review")["id"], {"review_opinion": "主件符合法定形式"})
    complete(
        services, task(services, iid, "decide")["id"], {"approved": True, "decision_no": "食许[2026]8号"}
    )
    advance_to(services, clock, local("2026-09-30", "15:00"))
    assert [t["name"] for t in describe(services, iid)["timers"] if t["status"] == "pending"] == [
        "承诺补齐日届满"
    ]

    clerk = new_page()
    login(clerk, live_server, "centre_clerk")
    clerk.goto(f"{live_server}/items/{bk}")
    card = clerk.locator("#item-supply")
    assert "从业人员健康证明" in card.inner_text() and "2026-10-09" in card.inner_text()
    clerk.uncheck("#item-supply input[value='场地平面图']")
    with clerk.expect_navigation():
        clerk.click("#record-supplied")  # one still missing: refused, nothing changes
    assert "尚未补齐：场地平面图" in flash(clerk)
    assert describe(services, iid)["data"].get("tolerance_outcome") is None
    clerk.fill("#supplied-at", "2026-09-30T10:30")
    screenshot(clerk, "tolerance-supplied-form")
    with clerk.expect_navigation():
        clerk.click("#record-supplied")
    assert "已登记副件补齐" in flash(clerk), flash(clerk)
    assert clerk.locator("#item-supply").count() == 0

    view = describe(services, iid)
    assert view["data"]["tolerance_outcome"] == "supplied"
    assert view["data"]["supplied_materials"] == ["从业人员健康证明", "场地平面图"]
    assert view["data"]["supplied_at"] == "2026-09-30T10:30:00+08:00"
    assert [t for t in view["timers"] if t["status"] == "pending"] == []  # the commitment's timer is gone
    assert [t["spec_name"] for t in view["tasks"]] == ["notify"]
    screenshot(clerk, "tolerance-supplied")


def test_the_complainant_follows_the_complaint_to_the_revisit(services, clock, live_server, new_page):
    deploy_library(services, "block_correction.bpmn", "block_refusal.bpmn", "chengnuo.bpmn", "complaint.bpmn")
    with services.transaction() as s:
        seed_demo_users(s, library_windows())

    citizen = new_page()
    citizen.goto(f"{live_server}/complaints/new")
    citizen.fill("input[name=complainant]", "赵六")
    citizen.fill("input[name=contact]", "139 1234 5678")
    citizen.fill("textarea[name=content]", "窗口人员态度生硬，材料清单前后不一")
    with citizen.expect_navigation():
        citizen.click("button[type=submit]")
    number = citizen.inner_text("#complaint-number").strip()
    assert "后四位" in citizen.inner_text("#complaint-follow")

    def look_up() -> str:
        citizen.goto(f"{live_server}/progress")
        citizen.fill("input[name=receipt]", number)
        citizen.fill("input[name=phone_suffix]", "5678")
        with citizen.expect_navigation():
            citizen.click("button[type=submit]")
        return citizen.inner_text("main")

    assert "已登记" in look_up()  # the number given works, with the phone's last four digits

    iid = next(i for i in range(1, 10) if describe(services, i)["business_key"] == number)
    complete(services, task(services, iid, "register")["id"], {"window": "shichang"}, actor="supervisor")
    complete(
        services, task(services, iid, "answer")["id"],
        {"answer": "已对窗口人员批评教育，材料清单已统一", "measures": "每周业务培训"}, actor="shichang_clerk",
    )  # fmt: skip
    complete(
        services, task(services, iid, "feedback")["id"],
        {"verified": True, "feedback": "经核实投诉属实，已督促整改"}, actor="supervisor",
    )  # fmt: skip
    page = look_up()
    assert "已对窗口人员批评教育" in page and "每周业务培训" in page and "经核实投诉属实" in page, page
    revisit = citizen.inner_text("#revisit-due")
    assert "2026年10月10日" in revisit, (
        revisit
    )  # 5 working days after Mon 09-28 (10-10 is a make-up Saturday)
    screenshot(citizen, "complaint-followed")

    advance_to(services, clock, local("2026-10-13", "09:00"))
    complete(
        services, task(services, iid, "revisit")["id"], {"revisit_result": "satisfied"}, actor="supervisor"
    )
    citizen.reload()
    done = citizen.inner_text("#complaint-revisit")
    assert "满意" in done and "已办结" in done, done
    citizen.goto(f"{live_server}/progress/{number}?lang=en")
    assert "Revisit" in citizen.inner_text("#complaint-revisit")
    screenshot(citizen, "complaint-revisited-en")


def test_the_joint_notice_goes_out_with_the_request_and_a_later_issue_is_a_re_issue(
    services, clock, live_server, new_page
):
    deploy_library(services, *CHAOGAO)
    with services.transaction() as s:
        seed_demo_users(s, library_windows())
    iid = start_item(services, "lianban_chaogao", {"lead_window": "centre", "applicant": "张三"})
    bk = describe(services, iid)["business_key"]
    complete(
        services, task(services, iid, "accept")["id"],
        {"related_windows": ["guotu", "huanbao"], "review_days": 3, "materials_complete": True,
         "materials_list": ["申请书"]},
        actor="centre_clerk",
    )  # fmt: skip

    # the related window finds its own copy, numbered and dated the day the request went out
    guotu = new_page()
    login(guotu, live_server, "guotu_clerk")
    guotu.goto(f"{live_server}/items/{bk}/documents")
    copies = guotu.locator("#doc-joint .doc-copy").all_inner_texts()
    assert copies == ["国土资源窗口：联字〔2026〕第000001号", "环保窗口：联字〔2026〕第000002号"], copies
    assert "2026年9月28日" in guotu.inner_text("#doc-joint")
    guotu.goto(f"{live_server}/items/{bk}/documents/joint")
    sheets = guotu.locator("section.sheet")
    assert sheets.count() == 2
    first = sheets.nth(0).inner_text()
    assert "国土资源窗口：" in first and "联字〔2026〕第000001号" in first and "2026年10月8日 前" in first, (
        first
    )
    screenshot(guotu, "joint-notice-print")

    # the lead window issues it again weeks later: a re-issue of the same copies, not a new notice
    clock.set(local("2026-10-12", "10:00"))
    lead = new_page()
    login(lead, live_server, "centre_clerk")
    lead.goto(f"{live_server}/items/{bk}/documents")
    with lead.expect_navigation():
        lead.locator("#doc-joint").get_by_role("button", name="补发").click()
    lead.goto(f"{live_server}/items/{bk}/documents")
    row = lead.inner_text("#doc-joint")
    assert "联字〔2026〕第000001号" in row and "联字〔2026〕第000003号" not in row
    assert "补发 2026年10月12日 · centre_clerk" in row and "2026年9月28日" in row, row
    screenshot(lead, "joint-notice-list")
    lead.goto(f"{live_server}/items/{bk}/documents?lang=en")
    assert "Re-issue" in lead.inner_text("#doc-joint")
    screenshot(lead, "joint-notice-list-en")
    lead.goto(f"{live_server}/items/{bk}/documents/joint")
    assert lead.locator(".doc-reissue").count() == 2
    assert (
        "补发（2026年10月12日；原件 2026年9月28日 出具）" in lead.locator("section.sheet").nth(1).inner_text()
    )

"""Printed notices: numbering per kind and year, stable reprints, content, PDF, and who may see them."""

from __future__ import annotations

import re
import threading
import zlib
from typing import Any

import pytest

import runner
from runner.models import AuditEntry, Document
from runner.papers import documents as docs
from tests.support.flow import complete, deploy_library, describe, local, send, start_item, task

JOINT_FILES = ("block_correction.bpmn", "block_refusal.bpmn", "lianban_chaogao.bpmn")
JIBAN_FILES = ("block_correction.bpmn", "block_refusal.bpmn", "jiban.bpmn")
MISSING = ["建设项目环境影响登记表", "规划设计方案（盖章）", "法定代表人身份证明"]
RELATED = ["guotu", "huanbao"]


def start_joint(services: Any, applicant: str = "张三") -> int:
    return start_item(
        services,
        "lianban_chaogao",
        {
            "lead_window": "shichang",
            "applicant": applicant,
            "applicant_phone": "138-0013-8000",
            "title": "食品厂新建项目联合审批",
        },
    )


def accept_joint(services: Any, iid: int, *, missing: list[str] | None = None) -> None:
    """Accept a joint item; with ``missing`` go through the one-time correction notice first."""
    form = {
        "related_windows": list(RELATED),
        "review_days": 3,
        "materials_complete": not missing,
        "materials_list": ["申请书", "营业执照"],
    }
    complete(services, task(services, iid, "accept")["id"], form, actor="clerk_sc")
    if missing:
        complete(services, task(services, iid, "correction_notice")["id"], {"missing_materials": missing})
        send(services, "materials_resubmitted", describe(services, iid)["business_key"], {})
        complete(services, task(services, iid, "materials_check")["id"], {"complete": True})


@pytest.fixture
def joint(services: Any) -> int:
    deploy_library(services, *JOINT_FILES)
    return start_joint(services)


@pytest.fixture
def people(make_user: Any) -> None:
    make_user("clerk_sc", ("shichang", "clerk"), name="市场窗口小王")
    make_user("clerk_gt", ("guotu", "clerk"), name="国土窗口小李")
    make_user("clerk_mz", ("minzheng", "clerk"), name="民政窗口小赵")


def issue(services: Any, iid: int, kind: str, actor: str = "clerk_sc") -> dict[str, Any]:
    return services.run(docs.issue, iid, kind, actor)


def key_of(services: Any, iid: int) -> str:
    return describe(services, iid)["business_key"]


# --- numbering -----------------------------------------------------------------------------------------


def test_numbers_run_per_kind_and_year_and_a_reprint_keeps_its_number(services: Any) -> None:
    deploy_library(services, *JOINT_FILES)
    items = [start_joint(services, f"申请人{i}") for i in range(3)]
    for iid in items:
        accept_joint(services, iid)
    numbers = [issue(services, iid, "acceptance")["number"] for iid in items]
    assert numbers == [f"受字〔2026〕第00000{i}号" for i in (1, 2, 3)]
    # another kind has its own sequence: each item's 联办通知 went out with its review request, a copy (and a
    # number) per related window
    joint = issue(services, items[1], "joint")
    assert [c["number"] for c in joint["copies"]] == ["联字〔2026〕第000003号", "联字〔2026〕第000004号"]
    # a reprint shows the same number and the same snapshot, and is audited once
    again = issue(services, items[0], "acceptance", actor="someone_else")
    assert again["number"] == numbers[0] and again["issued_by"] == "clerk_sc"
    with services.transaction() as s:
        issued = s.query(AuditEntry).filter(AuditEntry.action == "document_issued").count()
        assert issued == 3 + 3 * 2
        assert s.query(Document).filter(Document.kind == "acceptance").count() == 3


def test_a_new_year_starts_again_at_one(services: Any) -> None:
    deploy_library(services, *JOINT_FILES)
    old, new = start_joint(services), start_joint(services)
    accept_joint(services, old)
    accept_joint(services, new)
    with services.transaction() as s:
        s.add(
            Document(
                instance_id=old, kind="acceptance", year=2025, serial=41, number=docs.format_number("acceptance", 2025, 41),
                issued_at=services.now(), issued_by="clerk", content={},
            )
        )  # fmt: skip
    assert issue(services, new, "acceptance")["number"] == "受字〔2026〕第000001号"


def test_the_copies_of_one_issue_are_numbered_and_stored_together(services: Any) -> None:
    """A 联办通知 for three windows: one read of the last number and one insert for its copies (not one round of
    each per copy, no savepoint), and consecutive numbers after those of its first issue."""
    from sqlalchemy import event

    deploy_library(services, *JOINT_FILES)
    iid = start_joint(services)
    complete(services, task(services, iid, "accept")["id"], {"related_windows": ["guotu", "huanbao", "guihua"],
             "review_days": 3, "materials_complete": True, "materials_list": ["申请书"]}, actor="clerk_sc")  # fmt: skip
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(" ".join(statement.split()[:4]).upper())

    event.listen(services.engine, "before_cursor_execute", seen)
    try:  # a re-issue numbers every copy again, as the acceptance's issue did
        joint = services.run(docs.reissue, iid, "joint", "clerk_sc", reason="地址有误")
    finally:
        event.remove(services.engine, "before_cursor_execute", seen)
    assert [c["number"][-5:-1] for c in joint["copies"]] == ["0004", "0005", "0006"]
    assert sum(s.startswith("SAVEPOINT") for s in statements) == 0
    assert sum("MAX(DOCUMENTS.SERIAL)" in s for s in statements) == 1
    assert sum(s.startswith("INSERT INTO DOCUMENTS") for s in statements) == 1  # … ON CONFLICT DO NOTHING
    if services.engine.dialect.name == "postgresql":  # the item's row, then the numbering lock
        assert sum(s.startswith("WITH ITEM AS MATERIALIZED") for s in statements) == 1


def test_a_number_taken_concurrently_is_skipped(services: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    deploy_library(services, *JOINT_FILES)
    first, second = start_joint(services), start_joint(services)
    accept_joint(services, first)
    accept_joint(services, second)
    issue(services, first, "acceptance")
    real = docs._next_serial
    calls: list[int] = []

    def stale(session: Any, kind: str, year: int) -> int:
        calls.append(1)
        return 1 if len(calls) == 1 else real(session, kind, year)  # the first read missed a concurrent issue

    monkeypatch.setattr(docs, "_next_serial", stale)
    assert issue(services, second, "acceptance")["number"] == "受字〔2026〕第000002号"
    assert len(calls) == 2


def test_concurrent_issues_get_distinct_numbers_and_one_document_per_item(services: Any) -> None:
    deploy_library(services, *JOINT_FILES)
    items = [start_joint(services) for _ in range(4)]
    for iid in items:
        accept_joint(services, iid)
    results: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def worker(iid: int) -> None:
        barrier.wait()
        try:
            results.append(services.run(docs.issue, iid, "acceptance", "clerk", retries=10)["number"])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(iid,)) for iid in [*items, items[0], items[1]]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(set(results)) == [f"受字〔2026〕第00000{i}号" for i in (1, 2, 3, 4)]
    with services.transaction() as s:
        assert s.query(Document).filter(Document.kind == "acceptance").count() == 4


# --- content -------------------------------------------------------------------------------------------


def test_acceptance_notice_states_dates_windows_and_route(services: Any, joint: int) -> None:
    accept_joint(services, joint)
    content = issue(services, joint, "acceptance")["content"]
    assert content["received"] == "2026-09-28"
    assert content["promised_date"] == "2026-10-23"  # 15 working days across National Day
    assert content["promised_days"] == 15
    assert content["windows"] == ["市场监管窗口", "国土资源窗口", "环保窗口"]
    assert content["route"] == [
        "一门受理（一次性告知）",
        "同步审查（各相关窗口）",
        "主办窗口汇总审查意见",
        "统一答复申请人",
    ]
    assert (content["applicant"], content["item"], content["business_key"]) == (
        "张三",
        "食品厂新建项目联合审批",
        key_of(services, joint),
    )


def test_correction_notice_lists_every_missing_material(
    services: Any, joint: int, people: None, signed_in: Any
) -> None:
    complete(
        services,
        task(services, joint, "accept")["id"],
        {"related_windows": RELATED, "review_days": 3, "materials_complete": False},
    )
    with pytest.raises(docs.DocumentNotAvailable):
        issue(services, joint, "correction")  # nothing listed yet
    complete(services, task(services, joint, "correction_notice")["id"], {"missing_materials": MISSING})
    with pytest.raises(docs.DocumentNotAvailable):
        issue(services, joint, "acceptance")  # not accepted while materials are owed
    doc = issue(services, joint, "correction")
    assert doc["number"] == "补字〔2026〕第000001号"
    assert doc["content"]["missing_materials"] == MISSING
    assert doc["content"]["correction_due"] == "2026-10-16"  # 10 working days (the block's default)

    page = signed_in("clerk_sc").get(f"/items/{key_of(services, joint)}/documents/correction")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "补正材料通知书" in html and "补字〔2026〕第000001号" in html and "共 3 项" in html
    for material in MISSING:
        assert f"<li>{material}</li>" in html
    assert "2026年10月16日" in html


def test_refusal_notice_has_the_written_reason(services: Any, people: None, signed_in: Any) -> None:
    deploy_library(services, *JIBAN_FILES)
    iid = start_item(services, "jiban", {"applicant": "王五", "lead_window": "shichang"})
    complete(services, task(services, iid, "accept")["id"], {"eligible": False, "materials_complete": True})
    reason, basis = "申请名称与已登记字号相同", "《企业名称登记管理规定》第十一条"
    complete(services, task(services, iid, "refusal")["id"], {"reason": reason, "legal_basis": basis})
    with pytest.raises(docs.DocumentNotAvailable):
        issue(services, iid, "acceptance")
    with pytest.raises(docs.DocumentNotAvailable):
        issue(services, iid, "completion")
    doc = issue(services, iid, "refusal")
    assert (doc["content"]["reason"], doc["content"]["legal_basis"]) == (reason, basis)
    html = (
        signed_in("clerk_sc").get(f"/items/{key_of(services, iid)}/documents/refusal").get_data(as_text=True)
    )
    assert (
        "不予受理通知书" in html and reason in html and basis in html and "不受字〔2026〕第000001号" in html
    )


def test_joint_notice_has_a_page_per_related_window(
    services: Any, joint: int, people: None, signed_in: Any
) -> None:
    accept_joint(services, joint)
    doc = issue(services, joint, "joint")
    assert [r["name"] for r in doc["content"]["recipients"]] == ["国土资源窗口", "环保窗口"]
    assert doc["content"]["review_due"] == "2026-10-08"
    html = (
        signed_in("clerk_gt").get(f"/items/{key_of(services, joint)}/documents/joint").get_data(as_text=True)
    )
    assert html.count('class="sheet"') == 2
    assert "国土资源窗口：" in html and "环保窗口：" in html and "3 个工作日" in html
    # each window's copy has its own number, on its own sheet
    sheets = html.split('class="sheet"')[1:]
    assert ["联字〔2026〕第000001号" in sheets[0], "联字〔2026〕第000002号" in sheets[1]] == [True, True]
    assert "国土资源窗口：" in sheets[0] and "环保窗口：" in sheets[1]


def test_completion_notice_after_the_item_is_done(
    services: Any, people: None, signed_in: Any, clock: Any
) -> None:
    deploy_library(services, *JIBAN_FILES)
    iid = start_item(services, "jiban", {"applicant": "王五", "lead_window": "shichang"})
    complete(services, task(services, iid, "accept")["id"], {"eligible": True, "materials_complete": True})
    with pytest.raises(docs.DocumentNotAvailable):
        issue(services, iid, "completion")
    clock.set(local("2026-09-28", "10:00"))
    complete(
        services, task(services, iid, "decide")["id"], {"approved": True, "decision_no": "名核[2026]7号"}
    )
    complete(services, task(services, iid, "notify")["id"], {"delivery": "当场领取"})
    content = issue(services, iid, "completion")["content"]
    assert (content["outcome"], content["completed_date"], content["decision_no"]) == (
        "准予许可",  # the decision, not the end event (issue 21.2)
        "2026-09-28",
        "名核[2026]7号",
    )
    assert issue(services, iid, "acceptance")["content"]["promised_date"] == "2026-09-28"


# --- the web pages ---------------------------------------------------------------------------------------


def test_issue_from_the_list_then_print_and_reprint(
    services: Any, joint: int, people: None, signed_in: Any, clock: Any
) -> None:
    accept_joint(services, joint)
    key = key_of(services, joint)
    client = signed_in("clerk_sc")
    listing = client.get(f"/items/{key}/documents")
    assert listing.status_code == 200
    text = listing.get_data(as_text=True)
    assert "受理通知书" in text and "未出具" in text

    before = client.get(f"/items/{key}/documents/acceptance")
    assert before.status_code == 404 and "尚未出具" in before.get_data(as_text=True)
    issued = client.post(f"/items/{key}/documents/acceptance")
    assert issued.status_code == 302 and issued.headers["Location"].endswith(
        f"/items/{key}/documents/acceptance"
    )
    first = client.get(f"/items/{key}/documents/acceptance").get_data(as_text=True)
    assert "受字〔2026〕第000001号" in first and "2026年10月23日" in first and "@page" in first
    # issuing again is a re-issue (补发): same number and date, no new document, the re-issue on the print
    clock.set(local("2026-09-29", "10:00"))
    client.post(f"/items/{key}/documents/acceptance")
    listing = client.get(f"/items/{key}/documents").get_data(as_text=True)
    assert (
        "已补发 受理通知书 受字〔2026〕第000001号" in listing and "补发 2026年9月29日 · clerk_sc" in listing
    )
    again = client.get(f"/items/{key}/documents/acceptance").get_data(as_text=True)
    mark = '<div class="doc-reissue">补发（2026年9月29日；原件 2026年9月28日 出具）</div>'
    assert mark not in first and mark in again
    assert again.replace(mark, "").split() == first.split()  # otherwise the very same text
    with services.transaction() as s:
        assert s.query(Document).filter(Document.kind == "acceptance").count() == 1


def test_a_document_not_yet_possible_is_refused_with_a_message(
    services: Any, joint: int, people: None, signed_in: Any
) -> None:
    client = signed_in("clerk_sc")
    response = client.post(f"/items/{key_of(services, joint)}/documents/completion", follow_redirects=True)
    assert response.status_code == 200
    assert "办件尚未办结，不能出具办结通知" in response.get_data(as_text=True)
    with services.transaction() as s:
        assert s.query(Document).count() == 0


def test_pdf_download_is_a_real_pdf_with_chinese_fonts(
    services: Any, joint: int, people: None, signed_in: Any
) -> None:
    accept_joint(services, joint, missing=MISSING)
    key = key_of(services, joint)
    client = signed_in("clerk_sc")
    assert client.get(f"/items/{key}/documents/correction.pdf").status_code == 404  # not issued yet
    client.post(f"/items/{key}/documents/correction")
    response = client.get(f"/items/{key}/documents/correction.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith(b"%PDF-")
    assert body.rstrip().endswith(b"%%EOF")
    fonts = pdf_fonts(body)  # the Chinese text is set in Noto Serif CJK (regular and bold), nothing else
    assert "Noto-Serif-CJK-SC" in fonts and all(f.startswith("Noto-Serif-CJK-SC") for f in fonts), fonts


def pdf_fonts(body: bytes) -> set[str]:
    """Names of the fonts embedded in a PDF (its object streams are compressed)."""
    names: set[str] = set()
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", body, re.S):
        try:
            text = zlib.decompress(match.group(1))
        except zlib.error:
            continue
        for name in re.findall(rb"/(?:BaseFont|FontName)\s*/([^\s/>\]]+)", text):
            names.add(name.decode().split("+", 1)[-1])
    return names


def test_an_uninvolved_window_gets_403_everywhere(
    services: Any, joint: int, people: None, signed_in: Any
) -> None:
    accept_joint(services, joint)
    key = key_of(services, joint)
    issue(services, joint, "acceptance")
    outsider = signed_in("clerk_mz")
    for method, url in [
        ("get", f"/items/{key}/documents"),
        ("get", f"/items/{key}/documents/acceptance"),
        ("get", f"/items/{key}/documents/acceptance.pdf"),
        ("post", f"/items/{key}/documents/joint"),
    ]:
        assert getattr(outsider, method)(url).status_code == 403, url
    with services.transaction() as s:  # the 联办通知 that went out with the request, not re-issued by them
        assert [d.reissues for d in s.query(Document).filter(Document.kind == "joint")] == [None, None]
    # a related window with an open review task may look
    assert signed_in("clerk_gt").get(f"/items/{key}/documents/acceptance").status_code == 200
    assert signed_in("clerk_mz").get("/items/2026-999999/documents").status_code == 404


def test_anonymous_users_are_sent_to_login(client: Any, services: Any, joint: int) -> None:
    response = client.get(f"/items/{key_of(services, joint)}/documents/acceptance")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_windows_involved_includes_finished_steps(services: Any, joint: int) -> None:
    accept_joint(services, joint)
    complete(
        services, task(services, joint, "review", window="guotu")["id"], {"result": "agree"}, actor="clerk_gt"
    )
    with services.transaction() as s:
        assert docs.windows_involved(s, joint) == ["shichang", "huanbao", "guotu"]


def test_issue_without_token_is_refused_when_csrf_is_on(
    csrf_app: Any, services: Any, joint: int, people: None
) -> None:
    accept_joint(services, joint)
    client = csrf_app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = "clerk_sc"
        sess["_fresh"] = True
    response = client.post(f"/items/{key_of(services, joint)}/documents/acceptance")
    assert response.status_code == 400
    with services.transaction() as s:
        assert s.query(Document).filter(Document.kind == "acceptance").count() == 0


def test_unknown_kind_is_404(services: Any, joint: int, people: None, signed_in: Any) -> None:
    assert (
        signed_in("clerk_sc").get(f"/items/{key_of(services, joint)}/documents/certificate").status_code
        == 404
    )
    with pytest.raises(runner.NotFound):
        issue(services, joint, "certificate")


def test_completion_notice_says_the_decision_the_delivery_and_each_windows_conditions(
    services: Any, joint: int, people: None, signed_in: Any
) -> None:
    """Issue 21.2: 邮寄送达 is not "到窗口领取"; 办理结果 is the decision; a related window's condition is there."""
    accept_joint(services, joint)
    condition = "须取得土地使用权证后方可开工"
    complete(
        services,
        task(services, joint, "review", window="guotu")["id"],
        {"result": "agree_with_conditions", "conditions": condition},
    )
    complete(services, task(services, joint, "review", window="huanbao")["id"], {"result": "agree"})
    complete(services, task(services, joint, "consolidate")["id"], {"decision": "approve", "approved": True})
    complete(
        services,
        task(services, joint, "notify_applicant")["id"],
        {"delivery": "post", "result_doc_no": "LB-2026-009", "notice_note": "寄至申请书所载地址"},
    )
    content = issue(services, joint, "completion")["content"]
    assert content["outcome"] == "准予许可"
    assert content["conditions"] == [{"window": "国土资源窗口", "conditions": condition}]
    html = (
        signed_in("clerk_sc")
        .get(f"/items/{key_of(services, joint)}/documents/completion")
        .get_data(as_text=True)
    )
    assert "准予许可" in html and condition in html and "国土资源窗口" in html
    assert "邮寄" in html and "领取" not in html and "寄至申请书所载地址" in html
    assert "LB-2026-009" in html


@pytest.mark.parametrize(
    ("delivery", "said", "not_said"),
    [("window", "领取", "邮寄"), ("electronic", "电子", "领取"), ("on_spot", "当场", "邮寄")],
)
def test_completion_notice_follows_each_delivery(
    services: Any, joint: int, people: None, signed_in: Any, delivery: str, said: str, not_said: str
) -> None:
    accept_joint(services, joint)
    for window in RELATED:
        complete(services, task(services, joint, "review", window=window)["id"], {"result": "agree"})
    complete(
        services,
        task(services, joint, "consolidate")["id"],
        {"decision": "refuse", "approved": False, "decision_reason": "不符合规划"},
    )
    complete(services, task(services, joint, "notify_applicant")["id"], {"delivery": delivery})
    content = issue(services, joint, "completion")["content"]
    assert content["outcome"] == "不予许可" and content["conditions"] == []
    html = (
        signed_in("clerk_sc")
        .get(f"/items/{key_of(services, joint)}/documents/completion")
        .get_data(as_text=True)
    )
    assert said in html and not_said not in html.split("办理结果")[1]


def test_correction_notice_carries_the_clerks_note_and_a_reissue_keeps_the_first(
    services: Any, joint: int, people: None, signed_in: Any
) -> None:
    """Issue 21.3: the notice waits for the 一次性告知 step and prints its 补正要求说明; a re-issue takes a new
    number, says which one it replaces and why, and the first stays on record."""
    complete(
        services,
        task(services, joint, "accept")["id"],
        {
            "related_windows": RELATED,
            "review_days": 3,
            "materials_complete": False,
            "missing_materials": MISSING,
        },
    )
    with pytest.raises(docs.DocumentNotAvailable, match="一次性告知"):
        issue(services, joint, "correction")  # listed at acceptance, but the step has not told the applicant
    note = "需加盖公章原件一份"
    complete(
        services,
        task(services, joint, "correction_notice")["id"],
        {"missing_materials": MISSING, "notice_note": note, "notice_confirmed": True},
    )
    first = issue(services, joint, "correction")
    assert first["content"]["notice_note"] == note
    key = key_of(services, joint)
    client = signed_in("clerk_sc")
    assert note in client.get(f"/items/{key}/documents/correction").get_data(as_text=True)

    with pytest.raises(runner.InvalidInput):
        services.run(docs.reissue, joint, "correction", "clerk_sc", reason="  ")
    response = client.post(f"/items/{key}/documents/correction/reissue", data={"reason": "补正要求写错"})
    assert response.status_code == 302
    html = client.get(f"/items/{key}/documents/correction").get_data(as_text=True)
    assert "补字〔2026〕第000002号" in html and "补字〔2026〕第000001号" in html and "补正要求写错" in html
    listing = client.get(f"/items/{key}/documents").get_data(as_text=True)
    assert "补字〔2026〕第000002号" in listing and "补字〔2026〕第000001号" in listing
    with services.transaction() as s:
        numbers = [d.number for d in s.query(Document).order_by(Document.id)]
        actions = [a.action for a in s.query(AuditEntry).order_by(AuditEntry.id)]
    assert numbers == ["补字〔2026〕第000001号", "补字〔2026〕第000002号"]
    assert "document_reissued" in actions
    assert issue(services, joint, "correction")["number"] == "补字〔2026〕第000002号"  # a reprint: the newest


def test_a_joint_review_meeting_notice_states_the_meeting(
    services: Any, people: None, signed_in: Any, make_user: Any
) -> None:
    deploy_library(services, "block_correction.bpmn", "block_refusal.bpmn", "lianban_lianshen.bpmn")
    iid = start_item(services, "lianban_lianshen", {"lead_window": "shichang", "applicant": "某置业有限公司"})
    complete(
        services,
        task(services, iid, "accept")["id"],
        {"related_windows": RELATED, "materials_complete": True},
    )
    meeting = {
        "meeting_at": "2026-09-30T09:30:00+08:00",
        "place": "中心三楼会议室",
        "related_windows": RELATED,
    }
    complete(services, task(services, iid, "schedule")["id"], meeting)
    html = signed_in("clerk_gt").get(f"/items/{key_of(services, iid)}/documents/joint").get_data(as_text=True)
    first = html.split('class="sheet"')[1]  # an invited window (no task yet) reads the copy sent to it
    assert "联审制" in first and "2026-09-30 09:30" in first and "中心三楼会议室" in first
    assert "请于 2026-09-30 09:30 会议召开前确认出席或提交书面意见" in first and "审查时限" not in first


def test_an_english_page_writes_dates_in_english_and_the_paper_keeps_chinese(
    services: Any, joint: int, people: None, signed_in: Any, clock: Any
) -> None:
    """The re-issue flash and the list are page words (English dates on an English page); the paper is the
    legal document itself and keeps ``2026年9月28日``."""
    accept_joint(services, joint)
    key = key_of(services, joint)
    client = signed_in("clerk_sc")
    client.post(f"/items/{key}/documents/acceptance?lang=en")
    clock.set(local("2026-09-29", "10:00"))
    client.post(f"/items/{key}/documents/acceptance?lang=en")
    listing = client.get(f"/items/{key}/documents?lang=en").get_data(as_text=True)
    assert "first issue date 28 September 2026 unchanged" in listing
    assert "Reprinted 29 September 2026 · clerk_sc" in listing
    assert not re.search(r"\d+年\d+月\d+日", listing)
    paper = client.get(f"/items/{key}/documents/acceptance?lang=en").get_data(as_text=True)
    assert "补发（2026年9月29日；原件 2026年9月28日 出具）" in paper

"""考核与申诉 in the console: a window head appeals a deduction of their own window, the supervisor decides.

October 2026 of tests/support/supervision.py under the window scheme in force (窗口单位考核实施细则):
centre −5 per late working day — A's 10-19, 10-20 and D's 10-22, 10-23, 10-26 — = −25, score 75; under the
staff scheme, ``clerk`` (who held A on its late days) −3 × 2 in 绩, charged at centre.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from runner.models import Appeal, AuditEntry
from runner.supervision.assessment_schemes.store import seed_schemes
from tests.support.supervision import october

PAGE = "/admin/supervision/assessment/?kind=month&date=2026-10-01"


@pytest.fixture
def month(services, clock, windows, make_user):
    built = october(services, clock)
    with services.transaction() as s:
        seed_schemes(s)
    make_user("sup", ("supervision", "supervisor"))
    make_user("boss", ("leader", "leader"))
    make_user("centre_head", ("centre", "window_head"))
    make_user("guihua_head", ("guihua", "window_head"))
    make_user("clerk1", ("centre", "clerk"))
    return built


def appeal_form(subject: str, rule: str = "late_day", window: str = "centre", reason: str = "有书面暂缓申请"):
    return {"window": window, "rule_code": rule, "subject": subject, "start": "2026-10-01", "end": "2026-10-31",
            "reason": reason, "back": PAGE}  # fmt: skip


def totals(text: str) -> dict[str, tuple[str, str]]:
    section = text.split('id="table-totals"', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", section.split("<tbody>", 1)[1], re.S)
    cells = [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", r, re.S)] for r in rows
    ]
    return {c[1]: (c[3], c[4]) for c in cells}


def test_window_head_sees_only_their_window_and_appeals(month, services, signed_in) -> None:
    head = signed_in("centre_head")
    text = head.get(PAGE).get_data(as_text=True)
    assert totals(text) == {"centre": ("-25", "75")}
    assert text.count('class="appeal-form"') == 5 + 2  # one per line of the window and of its staff
    assert head.get(PAGE + "&window=shichang").status_code == 403
    # the workspace's top bar leads window heads here
    assert "/admin/supervision/assessment/" in head.get("/inbox").get_data(as_text=True)

    response = head.post("/admin/supervision/assessment/appeal", data=appeal_form(f"instance:{month.d}"))
    assert response.status_code == 302
    text = head.get(PAGE).get_data(as_text=True)
    assert "申诉已提交" in text
    assert text.count('class="appeal-form"') == 7 - 3 and "待裁决" in text  # D's three late days
    assert totals(text) == {"centre": ("-25", "75")}  # nothing changes before the decision
    with services.transaction() as s:
        [appeal] = s.scalars(select(Appeal)).all()
        assert (appeal.window, appeal.points, appeal.filed_by, appeal.status) == (
            "centre",
            -15,
            "centre_head",
            "open",
        )


def test_supervisor_upholds_and_the_points_come_back(month, services, signed_in) -> None:
    signed_in("centre_head").post(
        "/admin/supervision/assessment/appeal", data=appeal_form(f"instance:{month.d}")
    )
    with services.transaction() as s:
        appeal_id = s.scalars(select(Appeal.id)).one()
    sup = signed_in("sup")
    text = sup.get(PAGE).get_data(as_text=True)
    assert f'action="/admin/supervision/assessment/appeals/{appeal_id}/decide"' in text
    # the centre head and the leader may not decide
    for user in ("centre_head", "boss"):
        denied = signed_in(user).post(
            f"/admin/supervision/assessment/appeals/{appeal_id}/decide",
            data={"verdict": "upheld", "decision": "同意"},
        )
        assert denied.status_code == 403
    empty = sup.post(f"/admin/supervision/assessment/appeals/{appeal_id}/decide", data={"verdict": "upheld"})
    assert empty.status_code == 302
    assert "请写明裁决意见" in sup.get(PAGE).get_data(as_text=True)
    sup.post(
        f"/admin/supervision/assessment/appeals/{appeal_id}/decide",
        data={"verdict": "upheld", "decision": "有申请人书面材料，理由成立", "back": PAGE},
    )
    text = sup.get(PAGE).get_data(as_text=True)
    assert totals(text)["centre"] == ("-10", "90")
    assert "申诉成立" in text
    dashboard = sup.get("/admin/supervision/?kind=month&date=2026-10-01").get_data(as_text=True)
    assert "-10" in dashboard.split('id="table-windows"', 1)[1].split("</section>", 1)[0]
    with services.transaction() as s:
        actions = [
            (a.action, a.actor)
            for a in s.scalars(select(AuditEntry).where(AuditEntry.action.like("appeal_%")))
        ]
    assert actions == [("appeal_filed", "centre_head"), ("appeal_decided", "sup")]


def test_appeals_outside_ones_own_window_are_refused(month, services, signed_in) -> None:
    subject = f"instance:{month.a}"
    for user, window in [("guihua_head", "centre"), ("clerk1", "centre"), ("sup", "centre")]:
        response = signed_in(user).post(
            "/admin/supervision/assessment/appeal", data=appeal_form(subject, "late_day", window)
        )
        assert response.status_code == 403, user
    # guihua's head on guihua: there is no such deduction of guihua's — a message, nothing stored
    guihua = signed_in("guihua_head")
    guihua.post("/admin/supervision/assessment/appeal", data=appeal_form(subject, "late_day", "guihua"))
    assert "该期间内没有这项记分" in guihua.get(PAGE).get_data(as_text=True)
    with services.transaction() as s:
        assert s.scalars(select(Appeal)).all() == []


def test_appeal_needs_the_csrf_token(month, csrf_app) -> None:
    client = csrf_app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = "centre_head"
        sess["_fresh"] = True
    response = client.post("/admin/supervision/assessment/appeal", data=appeal_form(f"instance:{month.d}"))
    assert response.status_code == 400
    page = client.get(PAGE).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    ok = client.post(
        "/admin/supervision/assessment/appeal",
        data={**appeal_form(f"instance:{month.d}"), "csrf_token": token},
    )
    assert ok.status_code == 302


def test_assessment_tables_export(month, signed_in) -> None:
    client = signed_in("sup")
    for table in ("totals", "staff", "deductions", "appeals"):
        response = client.get(f"/admin/supervision/assessment/export/{table}.csv?kind=month&date=2026-10-01")
        assert response.status_code == 200 and response.mimetype == "text/csv"
    deductions = client.get("/admin/supervision/assessment/export/deductions.csv?kind=month&date=2026-10-01")
    lines = deductions.get_data(as_text=True).splitlines()
    # centre's 5 late days, guihua's deemed assent, C's two related windows (+2 each), clerk's 2 late days
    assert len(lines) == 1 + 5 + 3 + 2 and lines[0].lstrip("\ufeff").startswith("日期,窗口,规则代码")


def test_after_an_appeal_the_page_stays_on_this_site(month, signed_in) -> None:
    form = {**appeal_form(f"instance:{month.a}", "late_day"), "back": "https://evil.example/steal"}
    response = signed_in("centre_head").post("/admin/supervision/assessment/appeal", data=form)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/supervision/assessment/")
    bad = signed_in("centre_head").post(
        "/admin/supervision/assessment/appeal", data={**form, "start": "soon", "back": PAGE}
    )
    assert bad.status_code == 400


def test_supervisor_enters_and_voids_a_score_and_the_head_sees_it(month, services, signed_in) -> None:
    sup = signed_in("sup")
    page = sup.get(PAGE).get_data(as_text=True)
    assert 'id="entry-form"' in page and 'value="window_rules_001.unattended"' in page
    assert 'value="staff_001.truancy"' in page  # the staff scheme's entered rules too
    form = {"rule": "window_rules_001.unattended", "subject": "centre", "occurred_on": "2026-10-21",
            "note": "10-21 上午窗口无人值守 20 分钟（督查股巡查记录 第12号）", "back": PAGE}  # fmt: skip
    for user in ("centre_head", "boss"):
        assert signed_in(user).post("/admin/supervision/assessment/entries", data=form).status_code == 403
    sup.post(
        "/admin/supervision/assessment/entries", data={**form, "points": "-9"}
    )  # outside the rule's points
    assert "分值须在" in sup.get(PAGE).get_data(as_text=True)
    sup.post("/admin/supervision/assessment/entries", data=form)
    head = signed_in("centre_head").get(PAGE).get_data(as_text=True)
    assert totals(head) == {"centre": ("-30", "70")}
    assert "窗口无人值守" in head and 'class="void-form"' not in head  # the head sees it, may appeal it
    with services.transaction() as s:
        from runner.models import ScoreEntry

        [entry] = s.scalars(select(ScoreEntry)).all()
    sup.post(f"/admin/supervision/assessment/entries/{entry.id}/void", data={"reason": "", "back": PAGE})
    assert "请写明更正理由" in sup.get(PAGE).get_data(as_text=True)
    sup.post(
        f"/admin/supervision/assessment/entries/{entry.id}/void",
        data={"reason": "巡查记录有误", "back": PAGE},
    )
    text = sup.get(PAGE).get_data(as_text=True)
    assert totals(text)["centre"] == ("-25", "75") and "已作废：巡查记录有误" in text


@pytest.mark.parametrize("back", ["/\t/evil.example/x", "/\r\n/evil.example", "/\\evil.example"])
def test_back_that_a_browser_reads_as_another_host_is_not_followed(month, signed_in, back: str) -> None:
    """Werkzeug and browsers drop tabs and newlines from a Location, so ``/<tab>/evil`` would lead off-site."""
    head = signed_in("centre_head")
    form = {**appeal_form(f"instance:{month.d}"), "back": back}
    response = head.post("/admin/supervision/assessment/appeal", data=form)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/supervision/assessment/"), response.headers[
        "Location"
    ]


def test_the_appeals_table_writes_points_as_people_do(app) -> None:
    from types import SimpleNamespace

    from admin.supervision.assessment import appeals_table

    rows = [SimpleNamespace(id=i, window="centre", rule_code="r", subject="s", points=p, reason="", filed_by="h",
                            filed_at=None, status="open", decided_by=None, decided_at=None, decision=None)
            for i, p in ((1, -5.0), (2, -3.5))]  # fmt: skip
    with app.test_request_context():
        table = appeals_table(rows, {})
    assert [r[4] for r in table.rows] == [-5, -3.5] and type(table.rows[0][4]) is int  # not "-5.0" in the CSV

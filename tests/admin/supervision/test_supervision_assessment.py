"""考核与申诉 in the console: a window head appeals a deduction of their own window, the supervisor decides.

October 2026 of tests/support/supervision.py: centre −2 (A late), −10 (A's 10-19, 10-20), −15 (D's
10-22, 10-23, 10-26) = −27.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

import runner
from runner.models import Appeal, AuditEntry
from tests.support.supervision import october

PAGE = "/admin/supervision/assessment/?kind=month&date=2026-10-01"


@pytest.fixture
def month(services, clock, windows, make_user):
    built = october(services, clock)
    with services.transaction() as s:
        runner.seed_assessment_rules(s)
    make_user("sup", ("supervision", "supervisor"))
    make_user("boss", ("leader", "leader"))
    make_user("centre_head", ("centre", "window_head"))
    make_user("guihua_head", ("guihua", "window_head"))
    make_user("clerk1", ("centre", "clerk"))
    return built


def appeal_form(
    subject: str, rule: str = "late_working_day", window: str = "centre", reason: str = "有书面暂缓申请"
):
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
    assert totals(text) == {"centre": ("-27", "73")}
    assert text.count('class="appeal-form"') == 3  # one per deduction of the window
    assert head.get(PAGE + "&window=shichang").status_code == 403
    # the workspace's top bar leads window heads here
    assert "/admin/supervision/assessment/" in head.get("/inbox").get_data(as_text=True)

    response = head.post("/admin/supervision/assessment/appeal", data=appeal_form(f"instance:{month.d}"))
    assert response.status_code == 302
    text = head.get(PAGE).get_data(as_text=True)
    assert "申诉已提交" in text
    assert text.count('class="appeal-form"') == 2 and "待裁决" in text
    assert totals(text) == {"centre": ("-27", "73")}  # nothing changes before the decision
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
    assert totals(text)["centre"] == ("-12", "88")
    assert "申诉成立" in text
    dashboard = sup.get("/admin/supervision/?kind=month&date=2026-10-01").get_data(as_text=True)
    assert "-12" in dashboard.split('id="table-windows"', 1)[1].split("</section>", 1)[0]
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
            "/admin/supervision/assessment/appeal", data=appeal_form(subject, "late_completion", window)
        )
        assert response.status_code == 403, user
    # guihua's head on guihua: there is no such deduction of guihua's — a message, nothing stored
    guihua = signed_in("guihua_head")
    guihua.post(
        "/admin/supervision/assessment/appeal", data=appeal_form(subject, "late_completion", "guihua")
    )
    assert "该期间内没有这项扣分" in guihua.get(PAGE).get_data(as_text=True)
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
    for table in ("totals", "deductions", "appeals"):
        response = client.get(f"/admin/supervision/assessment/export/{table}.csv?kind=month&date=2026-10-01")
        assert response.status_code == 200 and response.mimetype == "text/csv"
    deductions = client.get("/admin/supervision/assessment/export/deductions.csv?kind=month&date=2026-10-01")
    lines = deductions.get_data(as_text=True).splitlines()
    assert len(lines) == 4 and lines[0].lstrip("\ufeff").startswith("日期,窗口,规则代码")


def test_after_an_appeal_the_page_stays_on_this_site(month, signed_in) -> None:
    form = {**appeal_form(f"instance:{month.a}", "late_completion"), "back": "https://evil.example/steal"}
    response = signed_in("centre_head").post("/admin/supervision/assessment/appeal", data=form)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/supervision/assessment/")
    bad = signed_in("centre_head").post(
        "/admin/supervision/assessment/appeal", data={**form, "start": "soon", "back": PAGE}
    )
    assert bad.status_code == 400

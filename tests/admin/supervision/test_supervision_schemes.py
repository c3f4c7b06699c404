"""考核方案 in the console: overseers look; the supervision office chooses which windows a scheme assesses, edits
the definition or puts a scheme in force — each a new version from the next period, audited; the 考核与申诉
page then ranks the service windows only."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from runner.models import AuditEntry
from runner.supervision.assessment_schemes import store
from tests.support.supervision import october

PAGE = "/admin/supervision/schemes/"


@pytest.fixture
def centre(services, clock, windows, make_user):
    october(services, clock)
    with services.transaction() as s:
        store.seed_schemes(s)
    make_user("sup", ("supervision", "supervisor"))
    make_user("boss", ("leader", "leader"))
    make_user("centre_head", ("centre", "window_head"))
    make_user("supervision_clerk", ("supervision", "clerk"))
    make_user("leader_clerk", ("leader", "clerk"))
    make_user("shichang_clerk", ("shichang", "clerk"))


def ticked(text: str, code: str) -> set[str]:
    import re

    section = text.split(f'id="scheme-{code}"', 1)[1].split("</section>", 1)[0]
    return set(re.findall(r'name="assessed" value="([^"]+)" checked', section))


def test_overseers_see_the_scope_and_the_office_changes_it(centre, services, signed_in) -> None:
    text = signed_in("boss").get(PAGE).get_data(as_text=True)
    assert "施行中（第 1 版）" in text and "第三条" in text
    assert {"centre", "shichang"} <= ticked(text, "window_rules_001")
    assert not {"supervision", "leader"} & ticked(text, "window_rules_001")
    assert "保存考核范围" not in text  # a leader looks
    assert (
        signed_in("boss").post(f"{PAGE}window_rules_001/windows", data={"assessed": ["centre"]}).status_code
        == 403
    )
    assert signed_in("centre_head").get(PAGE).status_code == 403

    sup = signed_in("sup")
    keep = sorted(ticked(text, "window_rules_001") - {"shichang"})
    response = sup.post(f"{PAGE}window_rules_001/windows", data={"assessed": keep}, follow_redirects=True)
    assert "第 2 版" in response.get_data(as_text=True)
    with services.transaction() as s:
        assert store.in_force(s, "window", date(2026, 10, 31)).version == 1  # October keeps version 1
        nov = store.in_force(s, "window", date(2026, 11, 1))
        assert nov.version == 2 and "shichang" in nov.definition["exclude_windows"]
        assert "supervision" in nov.definition["exclude_windows"]
        saved = s.scalars(select(AuditEntry).where(AuditEntry.action == "assessment_scheme_saved")).all()[-1]
        assert saved.actor == "sup"
    # the October ranking (version 1) lists the service windows only, no 100 for 督查股 / 中心领导
    ranking = sup.get("/admin/supervision/assessment/?kind=month&date=2026-10-01").get_data(as_text=True)
    totals = ranking.split('id="table-totals"', 1)[1].split("</section>", 1)[0]
    assert "shichang" in totals and "督查股" not in totals and "中心领导" not in totals
    staff = ranking.split('id="table-staff"', 1)[1].split("</section>", 1)[0]
    assert "shichang_clerk" in staff and "supervision_clerk" not in staff and "leader_clerk" not in staff


def test_the_definition_is_edited_as_json_and_checked(centre, services, signed_in) -> None:
    sup = signed_in("sup")
    with services.transaction() as s:
        d = store.get_scheme(s, "staff_001").definition
    bad = sup.post(f"{PAGE}staff_001/definition", data={"definition": "{not json"}, follow_redirects=True)
    assert "方案须为 JSON" in bad.get_data(as_text=True)
    both = {**d, "only_windows": ["centre"], "exclude_windows": ["centre"]}
    text = sup.post(
        f"{PAGE}staff_001/definition", data={"definition": json.dumps(both)}, follow_redirects=True
    )
    assert "不能既参加又不参加考核" in text.get_data(as_text=True)
    other = sup.post(f"{PAGE}staff_001/definition", data={"definition": json.dumps({**d, "code": "x"})},
                     follow_redirects=True)  # fmt: skip
    assert "方案代码须为 staff_001" in other.get_data(as_text=True)
    d["sections"][2]["max"] = 10
    sup.post(f"{PAGE}staff_001/definition", data={"definition": json.dumps(d)})
    with services.transaction() as s:
        assert store.get_scheme(s, "staff_001").version == 2
        assert store.in_force(s, "person", date(2026, 11, 1)).definition["sections"][2]["max"] == 10
    sup.post(f"{PAGE}best_window_001/activate")
    with services.transaction() as s:
        assert store.in_force(s, "window", date(2026, 11, 1)).code == "best_window_001"
        assert store.in_force(s, "window", date(2026, 10, 31)).code == "window_rules_001"

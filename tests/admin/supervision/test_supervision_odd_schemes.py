"""考核 pages with odd schemes and periods: a section capped at 0 (shown as 0, not as "no cap"), a bonus cap
of 0, no award places, a month with no events, a window closed mid-month — never a 500."""

from __future__ import annotations

import json

from runner.models import Window
from runner.supervision.assessment_schemes import store
from tests.admin.supervision.test_supervision_schemes import centre as centre  # noqa: PLC0414

SCHEMES = "/admin/supervision/schemes/window_rules_001/definition"
PAGES = [
    "/admin/supervision/assessment/?kind=month&date={m}-01",
    "/admin/supervision/assessment/?kind=quarter&date={m}-01",
    "/admin/supervision/assessment/?kind=year&date={m}-01",
    "/admin/supervision/assessment/?kind=month&date=garbage",
    "/admin/supervision/assessment/?window=nope",
    "/admin/supervision/assessment/export/totals.csv?kind=quarter&date={m}-01",
    "/admin/supervision/?kind=month&date={m}-01",
    "/admin/supervision/export/scores.csv?kind=month&date={m}-01",
    "/admin/supervision/schemes/",
]


def test_odd_schemes_and_periods_render(centre, services, signed_in) -> None:
    sup = signed_in("sup")
    with services.transaction() as s:
        d = store.get_scheme(s, "window_rules_001").definition
    empty = {"code": "empty", "name": "空部分", "max": 0, "cap": True, "rules": []}
    odd = {**d, "sections": [*d["sections"], empty], "bonus_cap": {"points": 0, "per": "quarter"},
           "grades": [], "award": {"name": "红旗窗口", "top": 0}}  # fmt: skip
    for bad in ("[]", "null", json.dumps({**d, "sections": [{**empty, "max": -3}]})):
        assert sup.post(SCHEMES, data={"definition": bad}, follow_redirects=True).status_code == 200
    assert sup.post(SCHEMES, data={"definition": json.dumps(odd)}, follow_redirects=True).status_code == 200
    with services.transaction() as s:
        assert store.in_force(s, "window", store.periods.month_of(store.today(s)).last).version == 1
        s.get(Window, "guotu").is_active = False  # closed mid-month
    failed = [
        (who, page)
        for m in ("2026-10", "2026-11", "2026-12")
        for page in PAGES
        for who in ("sup", "boss", "centre_head")
        if signed_in(who).get(page.format(m=m)).status_code >= 500
    ]
    assert not failed
    # November (version 2): the empty section is capped at 0, not shown as having no cap
    text = sup.get("/admin/supervision/?kind=month&date=2026-11-01").get_data(as_text=True)
    assert "空部分（0）" in text

"""The year end, lived through: the platform clock runs from 2026-12-01 to 2027-01-15.

chinesecalendar knows 2026 only. Items of every kind start along the way; first without 2027 data (nothing
errors, pending deadlines are visible), then the centre imports the 2027 arrangement on Mon 2027-01-04 09:00 —
the one written for the tests (tests/support/year_end.py: 元旦 01-01..01-03 off, Sat 01-09 worked, 春节
02-06..02-14 off, Sat 02-20 worked; NOT the official notice). Every expected date below is counted by hand.

Working days::

    Dec 2026: 01 02 03 04 | 07 08 09 10 11 | 14 15 16 17 18 | 21 22 23 24 25 | 28 29 30 31
    Jan 2027: 04 05 06 07 08 09(Sat) | 11 12 13 14 15 | 18 19 20 21 22 | 25 26 27 28 29
    Feb 2027: 01 … 05 | (06 … 14 off) | 15 … 19 20(Sat) | 22 … 26
    Mar 2027: 01 … 05 | 08 …

The items (lead window centre unless said otherwise):

- A 承诺件 10 days, started Tue 12-01: due end of Tue 12-15 (02 03 04 07 08 09 10 11 14 15); finished Tue 01-12:
  late 12 working days in December (16 … 31) and 8 in January (04 … 09, 11, 12).
- B 承诺件 20 days, started Tue 12-08: pending, then end of Wed 01-06 (09 10 11 | 14 … 18 | 21 … 25 | 28 … 31 |
  01-04 05 06); finished Fri 01-08: late 01-07, 01-08.
- C 社保转移接续 (shebao), started Mon 12-21: the new office's review limit is pending, then end of Mon 01-11 (22 … 25,
  28 … 31, 01-04 … 09, 11); promised = statutory 45 working days: end of Fri 02-26.
- D 承诺件 with a 补正 notice on Wed 12-23 10:00: the applicant's 10 working days pending, then end of Thu 01-07 (24 25
  28 29 30 31 01-04 05 06 07); materials back Wed 01-06 10:00: paused (12-23, 01-06] = 9 working days, so the
  promised deadline 01-07 + 9 = end of Tue 01-19.
- E 联办件 (shichang; guotu and huanbao review within 3 working days), accepted Tue 12-29: review limit pending, then
  end of Mon 01-04 (30, 31, 01-04); huanbao stays silent and is deemed to assent then; promised 15 → end of Tue 01-19
  (30 31 | 04 … 09 | 11 … 15 | 18 19); statutory 45 → end of Mon 03-08.
- F 承诺件 started Tue 12-15 (due end of Tue 12-29), a 延期 of 5 working days requested and approved on 12-21 before
  acceptance: pending, then end of Wed 01-06 (30 31 01-04 05 06); finished 01-06 on time.

Warnings (提示 −1, 黄牌 0, 红牌 +3 working days; all of 2027's instants fall after the import): A 提示 at 00:00 Mon 12-14,
黄牌 at the end of 12-15, 红牌 at the end of 12-18; B and F 提示 at 00:00 Tue 01-05; B 黄牌 at the end of 01-06 (B is
done before its 红牌 at the end of Sat 01-09); C's own review-step warning at the end of 01-11.

考核 (窗口单位考核实施细则, in force: −5 per late working day, −2 per deemed assent): December counts A's 12 days (−60)
— the same before and after the import; January before the import counts nothing (none of its days is known);
January at the end counts A 8 days (−40) and B 2 days (−10) against centre, E's deemed assent (−2) against huanbao.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

import runner
from runner.models import Incident
from runner.supervision.assessment_schemes import store
from tests.support import flow
from tests.support.year_end import import_2027, needs_2027

pytestmark = pytest.mark.skipif(not needs_2027(), reason="a newer chinesecalendar knows 2027")

FILES = (
    "block_correction.bpmn", "block_refusal.bpmn", "chengnuo.bpmn", "lianban_chaogao.bpmn", "shebao_transfer.bpmn",
)  # fmt: skip
DEC, JAN = (date(2026, 12, 1), date(2026, 12, 31)), (date(2027, 1, 1), date(2027, 1, 31))


def end(day: str) -> str:
    return flow.local(day, "23:59").replace(second=59).isoformat()


def start_of(day: str) -> str:
    return flow.local(day, "00:00").isoformat()


def over(day: str) -> str:
    """When ``day`` is over as a deadline day (the next local midnight): a 黄牌/红牌 falls due then."""
    return (flow.local(day, "00:00") + timedelta(days=1)).isoformat()


def do(services: Any, iid: int, name: str, data: dict[str, Any] | None = None, **match: Any) -> None:
    flow.complete(services, flow.task(services, iid, name, **match)["id"], data or {})


def accept_promised(services: Any, iid: int) -> None:
    do(services, iid, "accept", {"eligible": True, "materials_complete": True})
    do(services, iid, "acceptance_notice", {"notice_no": "受字[2026]1号"})


def finish_promised(services: Any, iid: int) -> None:
    do(services, iid, "review", {"needs_survey": False, "review_opinion": "符合条件"})
    do(services, iid, "decide", {"approved": True, "decision_no": "许字[2027]1号"})
    do(services, iid, "notify", {"delivery": "窗口领取"})


def deadlines(services: Any, iid: int) -> tuple[Any, ...]:
    view = flow.describe(services, iid)
    return (
        view["deadline"],
        view["deadline_pending_year"],
        view["statutory_deadline"],
        view["statutory_pending_year"],
    )


def warnings(services: Any, iid: int) -> list[tuple[str, str, str]]:
    return [(w["level"], w["rule"], w["created_at"]) for w in flow.describe(services, iid)["warnings"]]


def no_incident_anywhere(services: Any) -> None:
    with services.transaction() as s:
        assert s.query(Incident).count() == 0
        errors = [i.business_key for i in s.query(runner.models.ProcessInstance).filter_by(status="error")]
    assert errors == []


def assessment(services: Any, period: tuple[date, date]) -> dict[str, Any]:
    """The window scheme in force (窗口单位考核实施细则): points per window, and (event, rule, count) lines."""
    from collections import Counter

    from runner.supervision.assessment_schemes import periods, scoring, store

    with services.transaction() as s:
        res = scoring.score_period(
            s, store.scheme_for(s, "window_rules_001", period[0]), periods.Span(*period)
        )
    lines = Counter((ln.subject, ln.rule_code) for sc in res.scores.values() for ln in sc.lines)
    return {
        "totals": {w: sc.score - res.full_score for w, sc in res.scores.items() if sc.lines},
        "lines": sorted((subject, rule, n) for (subject, rule), n in lines.items()),
    }


def deemed_assent_subject(services: Any, iid: int) -> str:
    from sqlalchemy import select

    from runner.models import AccountabilityRecord as Record

    with services.transaction() as s:
        [rid] = s.scalars(select(Record.id).where(Record.instance_id == iid, Record.kind == "deemed_assent"))
    return f"accountability:{rid}"


def test_from_december_2026_to_the_middle_of_january_2027(services, clock) -> None:
    flow.deploy_library(services, *FILES)
    with services.transaction() as s:
        runner.seed_warning_rules(s)
        store.seed_schemes(s)

    # --- December, without 2027 data -------------------------------------------------------------------
    clock.set(flow.local("2026-12-01", "09:00"))
    a = flow.start_item(services, "chengnuo", {"applicant": "甲"})
    accept_promised(services, a)
    assert deadlines(services, a) == (end("2026-12-15"), None, end("2026-12-29"), None)

    flow.advance_to(services, clock, flow.local("2026-12-08", "09:00"))
    b = flow.start_item(services, "chengnuo", {"applicant": "乙", "promised_days": 20})
    accept_promised(services, b)

    flow.advance_to(services, clock, flow.local("2026-12-15", "09:00"))
    f = flow.start_item(services, "chengnuo", {"applicant": "己"})
    assert flow.describe(services, f)["deadline"] == end("2026-12-29")

    flow.advance_to(services, clock, flow.local("2026-12-21", "09:00"))
    with services.transaction() as s:
        request = runner.request_extension(s, f, 5, reason="需组织专家论证", actor="centre_clerk")
    with services.transaction() as s:
        runner.decide_extension(s, request.id, actor="centre_head", approve=True)
    accept_promised(services, f)  # accepted after its 延期: the deadline is kept (pending), not erased
    clock.set(flow.local("2026-12-21", "10:00"))
    c = flow.start_item(services, "shebao_transfer", {"applicant": "丙", "old_office": "某市社保局"})

    flow.advance_to(services, clock, flow.local("2026-12-23", "09:00"))
    d = flow.start_item(services, "chengnuo", {"applicant": "丁"})
    do(services, d, "accept", {"eligible": True, "materials_complete": False})
    clock.set(flow.local("2026-12-23", "10:00"))
    do(services, d, "correction_notice", {"missing_materials": ["房屋租赁合同"]})

    flow.advance_to(services, clock, flow.local("2026-12-29", "09:00"))
    e = flow.start_item(services, "lianban_chaogao", {"lead_window": "shichang", "applicant": "戊"})
    do(services, e, "accept", {
        "related_windows": ["guotu", "huanbao"], "review_days": 3, "materials_complete": True,
        "materials_list": ["申请书", "营业执照"],
    })  # fmt: skip
    flow.advance_to(services, clock, flow.local("2026-12-31", "10:00"))
    do(services, e, "review", {"result": "agree"}, window="guotu")

    # nothing errors; what is not known yet is pending, and says for which year
    no_incident_anywhere(services)
    assert [w[0] for w in warnings(services, a)] == ["notice", "yellow", "red"]  # December's, known: fired
    for iid in (b, c, d, f):
        assert flow.describe(services, iid)["deadline_pending_year"] == 2027, iid
    assert flow.describe(services, d)["data"]["correction_due"] == "pending:2027:2026-12-23+10@end"
    assert [p["ended_at"] for p in flow.describe(services, d)["pauses"]] == [None]  # the clock stands
    [review_c] = flow.tasks(services, c)
    assert (review_c["due_at"], review_c["due_pending_year"]) == (None, 2027)
    [review_e] = [t for t in flow.tasks(services, e) if t["spec_name"] == "review"]
    assert (review_e["window"], review_e["due_at"], review_e["due_pending_year"]) == ("huanbao", None, 2027)
    assert deadlines(services, e) == (None, 2027, None, 2027)

    # January begins before the data is in: December's lateness counts, January's is not known yet
    flow.advance_to(services, clock, flow.local("2027-01-04", "08:00"))
    no_incident_anywhere(services)
    december = assessment(services, DEC)
    assert december == {"totals": {"centre": -60}, "lines": [(f"instance:{a}", "late_day", 12)]}
    assert assessment(services, JAN) == {"totals": {}, "lines": []}

    # --- the import, Mon 01-04 09:00 ----------------------------------------------------------------------
    clock.set(flow.local("2027-01-04", "09:00"))
    result = import_2027(services)
    assert sorted(i["instance_id"] for i in result["items"]) == sorted([b, c, d, e, f])
    assert deadlines(services, b) == (end("2027-01-06"), None, end("2027-01-06"), None)
    # C: 45 working days from 12-21, promised and statutory
    assert deadlines(services, c) == (end("2027-02-26"), None, end("2027-02-26"), None)
    assert flow.tasks(services, c)[0]["due_at"] == end("2027-01-11")
    assert flow.describe(services, d)["data"]["correction_due"] == end("2027-01-07")
    # D is still paused: (12-23, 01-04] = 7 working days so far → 01-07 + 7
    assert flow.describe(services, d)["deadline"] == end("2027-01-15")
    assert deadlines(services, e) == (end("2027-01-19"), None, end("2027-03-08"), None)
    assert [t["due_at"] for t in flow.tasks(services, e) if t["spec_name"] == "review"] == [end("2027-01-04")]
    assert deadlines(services, f)[:2] == (end("2027-01-06"), None)
    assert deadlines(services, a)[:2] == (end("2026-12-15"), None)  # A was known all along: not touched
    assert a not in [i["instance_id"] for i in result["items"]]

    # --- January, with the data -------------------------------------------------------------------------
    flow.advance_to(services, clock, flow.local("2027-01-05", "10:00"))
    # E: huanbao's limit ran out at the end of Mon 01-04: a deemed assent against that very limit
    [deemed] = flow.describe(services, e)["accountability"]
    assert (deemed["window"], deemed["rule"], deemed["limit_at"], deemed["recorded_at"]) == (
        "huanbao", "timeout", end("2027-01-04"), start_of("2027-01-05"),  # the timer: when the day is over
    )  # fmt: skip
    assert warnings(services, f) == [("notice", "rule:notice", start_of("2027-01-05"))]

    flow.advance_to(services, clock, flow.local("2027-01-06", "09:30"))
    finish_promised(services, f)
    assert flow.describe(services, f)["status"] == "completed"
    assert warnings(services, f) == [("notice", "rule:notice", start_of("2027-01-05"))]  # on time: no 黄牌

    flow.advance_to(services, clock, flow.local("2027-01-06", "10:00"))
    flow.send(
        services,
        "materials_resubmitted",
        flow.describe(services, d)["business_key"],
        {"materials": ["房屋租赁合同"]},
    )
    do(services, d, "materials_check", {"complete": True})
    assert flow.describe(services, d)["deadline"] == end(
        "2027-01-19"
    )  # paused (12-23, 01-06] = 9 working days
    assert flow.describe(services, d)["data"]["promised_date"] == end("2027-01-19")

    flow.advance_to(services, clock, flow.local("2027-01-08", "10:00"))
    finish_promised(services, b)
    assert warnings(services, b) == [
        ("notice", "rule:notice", start_of("2027-01-05")),
        ("yellow", "rule:yellow", over("2027-01-06")),
    ]
    do(services, b, "supervision_review", {"overdue_reason": "节后积压", "measures": "加派人手"})

    flow.advance_to(services, clock, flow.local("2027-01-12", "10:00"))
    # the review step's own limit, once its day is over
    assert warnings(services, c) == [("yellow", "diagram", start_of("2027-01-12"))]
    do(services, c, "review", {"eligible": True, "opinion": "符合转移接续条件"})
    finish_promised(services, a)
    do(services, a, "supervision_review", {"overdue_reason": "材料复杂", "measures": "约谈"})
    assert flow.describe(services, a)["status"] == "completed"

    flow.advance_to(services, clock, flow.local("2027-01-15", "18:00"))
    no_incident_anywhere(services)
    assert [w[2] for w in warnings(services, a)] == [
        start_of("2026-12-14"),
        over("2026-12-15"),
        over("2026-12-18"),
    ]
    assert warnings(services, d) == [] and warnings(services, e) == []
    assert assessment(services, DEC) == december  # December is what it was
    assert assessment(services, JAN) == {
        "totals": {"centre": -40 - 10, "huanbao": -2},
        "lines": sorted([
            (f"instance:{a}", "late_day", 8), (f"instance:{b}", "late_day", 2),
            (deemed_assent_subject(services, e), "deemed_assent", 1),
        ]),
    }  # fmt: skip
    with services.transaction() as s:
        assert runner.verify_audit(s) == []

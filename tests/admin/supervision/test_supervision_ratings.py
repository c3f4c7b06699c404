"""好差评 figures on the dashboard, in the 月报 and in the CSV: one definition each, against a hand count.

The month is tests/support/supervision.py's October 2026 (items A, B of the centre completed, C of shichang
completed, D of the centre open).
"""

from __future__ import annotations

import pytest

import runner
from runner.applicants import ratings
from runner.models import Rating
from tests.admin.supervision.test_supervision import read_csv, rows_of
from tests.support.flow import complete, deploy_library, task
from tests.support.supervision import october

MONTH = "kind=month&date=2026-10-01"


@pytest.fixture
def month(services, clock, windows, make_user):
    built = october(services, clock)
    deploy_library(services, "rectification.bpmn")
    make_user("sup", ("supervision", "supervisor"))
    return built


def give(services, instance_id: int, level: str, occasion: str = "completion", **kw) -> int | None:
    with services.transaction() as s:
        key = runner.get_instance(s, instance_id).business_key
        row = ratings.give_rating(s, key, level=level, channel="counter", occasion=occasion, **kw)
        from runner.applicants.rectification import for_rating

        rect = for_rating(s, row.id)
        return rect.process_instance_id if rect else None


def test_one_basically_satisfied_is_100_percent_satisfied(month, services, signed_in) -> None:
    """Issue 21 point 5: 基本满意 counts as satisfied, and the definition is shown beside the figure."""
    give(services, month.b, "basically")
    client = signed_in("sup")
    page = client.get(f"/admin/supervision/?{MONTH}").get_data(as_text=True)
    tile = page.split('id="figure-satisfaction_rate"', 1)[1].split("</div></div>", 1)[0]
    assert "100.0%" in tile and "满意率 = (非常满意 + 满意 + 基本满意) ÷ 全部评价" in tile
    assert rows_of(page, "ratings")[-1] == ["合计", "0", "0", "1", "0", "0", "1", "100.0%"]
    report = client.get("/admin/supervision/report?month=2026-10").get_data(as_text=True)
    assert 'id="report-satisfaction">100.0%' in report and "(非常满意 + 满意 + 基本满意) ÷ 全部评价" in report
    table = read_csv(client.get(f"/admin/supervision/export/ratings.csv?{MONTH}"))
    assert table[0][-1] == "满意率（(非常满意 + 满意 + 基本满意) ÷ 全部评价）" and table[-1][-1] == "100.0%"


def test_figures_match_a_hand_count_everywhere(month, services, clock, signed_in) -> None:
    give(services, month.a, "very_satisfied")
    give(services, month.b, "basically")
    founded = give(
        services, month.c, "very_dissatisfied", named=True, rater_name="王五", rater_phone="13900001111"
    )
    dismissed = give(services, month.d, "not_satisfied", occasion="acceptance")
    give(services, month.a, "satisfied", occasion="acceptance")
    assert founded and dismissed
    complete(services, task(services, founded, "verify")["id"], {"verdict": "founded", "window": "shichang",
             "verify_note": "属实"})  # fmt: skip
    complete(services, task(services, founded, "propose")["id"], {"plan": "培训"})
    complete(
        services,
        task(services, founded, "leader_approve")["id"],
        {"plan_approved": True, "instruction": "同意"},
    )
    complete(services, task(services, founded, "rectify")["id"], {"measures": "已培训", "reply": "已答复"})
    complete(
        services,
        task(services, founded, "revisit")["id"],
        {"revisit_result": "satisfied", "revisit_note": "好"},
    )
    complete(services, task(services, dismissed, "verify")["id"], {"verdict": "malicious", "window": "centre",
             "verify_note": "与服务无关"})  # fmt: skip
    complete(services, task(services, dismissed, "approve_invalid")["id"],
             {"dismissal_approved": True, "dismissal_reason": "录像为证"}, "sup_head")  # fmt: skip

    # the hand count, from the stored ratings themselves
    with services.transaction() as s:
        levels = [r.level for r in s.query(Rating)]
    satisfied = sum(level in ("very_satisfied", "satisfied", "basically") for level in levels)
    assert (satisfied, len(levels)) == (3, 5)  # 满意率 3 / 5 = 60.0 %, 差评率 2 / 5 = 40.0 %

    client = signed_in("sup")
    page = client.get(f"/admin/supervision/?{MONTH}").get_data(as_text=True)
    tiles = {k: page.split(f'id="figure-{k}"', 1)[1].split("</div></div>", 1)[0] for k in
             ("satisfaction_rate", "bad_rate", "rectification_rate", "on_time_rate", "revisit_rate")}  # fmt: skip
    expected = {"satisfaction_rate": "60.0%", "bad_rate": "40.0%", "rectification_rate": "100.0%",
                "on_time_rate": "100.0%", "revisit_rate": "100.0%"}  # fmt: skip
    for key, value in expected.items():
        assert value in tiles[key], key
    by_window = {r[0]: r for r in rows_of(page, "rectifications")}
    # window, ratings, bad, founded, invalid, unable, rectified, on time, overdue, named bad, revisited, rates
    assert by_window["市场监管窗口"][1:] == ["1", "1", "1", "0", "0", "1", "1", "0", "1", "1", "100.0%", "100.0%",
                                       "100.0%", "100.0%"]  # fmt: skip
    assert by_window["中心综合受理窗口"][1:5] == ["4", "1", "0", "1"]
    assert by_window["合计"][1:4] == ["5", "2", "1"]
    csv_rows = read_csv(client.get(f"/admin/supervision/export/rectifications.csv?{MONTH}"))
    assert csv_rows[1:] == [[c for c in row] for row in rows_of(page, "rectifications")]
    assert rows_of(page, "ratings")[-1][-1] == "60.0%"
    report = client.get("/admin/supervision/report?month=2026-10").get_data(as_text=True)
    assert 'id="report-satisfaction">60.0%' in report and "整改率 100.0%" in report

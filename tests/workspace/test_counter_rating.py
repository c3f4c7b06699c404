"""好差评 at the counter and on the progress page: five levels, indicators, 实名, once per occasion."""

from __future__ import annotations

from typing import Any

import pytest

from runner.models import Rating, Rectification
from tests.support.flow import deploy_library, describe, start_item


@pytest.fixture
def item(services: Any, make_user: Any) -> str:
    make_user("clerk_sc", ("shichang", "clerk"))
    make_user("clerk_gt", ("guotu", "clerk"))
    deploy_library(
        services, "block_correction.bpmn", "block_refusal.bpmn", "jiban.bpmn", "rectification.bpmn"
    )
    iid = start_item(services, "jiban", {"applicant": "王五", "applicant_phone": "13800001234",
                                         "lead_window": "shichang", "title": "名称核准"}, actor="clerk_sc")  # fmt: skip
    return describe(services, iid)["business_key"]


def test_counter_page_rates_the_acceptance_once(signed_in: Any, services: Any, item: str) -> None:
    client = signed_in("clerk_sc")
    page = client.get(f"/items/{item}/rate").get_data(as_text=True)
    for label in ("非常满意", "满意", "基本满意", "不满意", "非常不满意", "服务效率", "服务水平", "服务态度"):
        assert label in page
    assert "受理" in page and 'id="satisfaction-definition"' in page
    missing_name = client.post(f"/items/{item}/rate", data={"level": "very_dissatisfied", "named": "y"})
    assert missing_name.status_code == 400 and "实名评价请填写此项" in missing_name.get_data(as_text=True)
    done = client.post(
        f"/items/{item}/rate",
        data={"level": "very_dissatisfied", "ind_attitude": "very_dissatisfied", "comment": "态度生硬",
              "named": "y", "rater_name": "王五", "rater_phone": "13800001234"},
    )  # fmt: skip
    assert done.status_code == 200 and "感谢您的评价" in done.get_data(as_text=True)
    again = client.get(f"/items/{item}/rate").get_data(as_text=True)
    assert 'id="nothing-to-rate"' in again  # 一次一评: the acceptance is rated
    with services.transaction() as s:
        row = s.query(Rating).one()
        assert (row.level, row.channel, row.occasion, row.window, row.clerk, row.named) == (
            "very_dissatisfied", "counter", "acceptance", "shichang", "clerk_sc", True)  # fmt: skip
        assert row.indicators == {"attitude": "very_dissatisfied"}
        assert s.query(Rectification).one().rating_id == row.id  # a 差评 opens its rectification


def test_counter_page_in_english_and_refused_to_other_windows(signed_in: Any, item: str) -> None:
    page = signed_in("clerk_sc").get(f"/items/{item}/rate?lang=en").get_data(as_text=True)
    assert "Very dissatisfied" in page and "Attitude" in page
    assert signed_in("clerk_gt").get(f"/items/{item}/rate").status_code == 403


def test_good_rating_opens_no_rectification(signed_in: Any, services: Any, item: str) -> None:
    signed_in("clerk_sc").post(f"/items/{item}/rate", data={"level": "basically"})
    with services.transaction() as s:
        assert [r.level for r in s.query(Rating)] == ["basically"]
        assert s.query(Rectification).count() == 0


def test_a_phone_typed_in_full_width_is_taken_for_a_named_rating(
    signed_in: Any, services: Any, item: str
) -> None:
    """The number the supervision office calls back (回访) may be typed with a Chinese input method in
    full-width mode, as the intake and online application take it; it is stored in plain digits."""
    done = signed_in("clerk_sc").post(
        f"/items/{item}/rate",
        data={"level": "not_satisfied", "named": "y", "rater_name": "王五", "rater_phone": "１３８ ００００ １２３４"},
    )  # fmt: skip
    assert done.status_code == 200, done.get_data(as_text=True)
    with services.transaction() as s:
        assert s.query(Rating).one().rater_phone == "13800001234"


def test_the_runner_reads_a_full_width_phone_as_plain_digits(services: Any, item: str) -> None:
    from runner.applicants import ratings

    with services.transaction() as s:
        row = ratings.give_rating(
            s, item, level="satisfied", channel="counter", occasion="acceptance", named=True,
            rater_name="王五", rater_phone="（０１０）６５１２－３４５６",
        )  # fmt: skip
        assert row.rater_phone == "(010)6512-3456"

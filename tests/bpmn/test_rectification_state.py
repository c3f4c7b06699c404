"""The rectification's state follows every step of its process, in the step's own transaction.

The register (``rating_register``) reads the stored rows; reading refreshes nothing (``sync`` is made to fail
here). Clock and calendar as in ``test_rectification``: the limit is the end of Fri 2026-10-23.
"""

from __future__ import annotations

from typing import Any

import pytest

from runner.applicants import ratings, rectification
from runner.models import Rectification
from tests.bpmn.test_rectification import item, rate  # noqa: F401 - the fixture is used by name
from tests.support.flow import advance_to, complete, local, task


@pytest.fixture
def no_refresh(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: Any, **__: Any) -> None:
        raise AssertionError("a reader refreshed the rectification")

    monkeypatch.setattr(rectification, "sync", refuse)


def shown(services: Any, rating_id: int) -> tuple[str, str | None]:
    """The state and limit the register shows for the rating (and the stored row agrees)."""
    with services.transaction() as s:
        [entry] = [r for r in ratings.rating_register(s) if r["id"] == rating_id]
        stored = s.query(Rectification).filter_by(rating_id=rating_id).one()
        assert entry["rectification"]["state"] == stored.state
        return stored.state, entry["rectification"]["due_at"]


def test_the_register_shows_each_step_at_once(services, clock, item, no_refresh):  # noqa: F811
    rating_id, iid = rate(services, item)
    assert shown(services, rating_id) == ("verifying", "2026-10-23T15:59:59+00:00")
    complete(services, task(services, iid, "verify")["id"],
             {"verdict": "founded", "window": "shichang", "verify_note": "属实"}, "sup_a")  # fmt: skip
    assert shown(services, rating_id)[0] == "pending"
    complete(services, task(services, iid, "propose")["id"], {"plan": "整改"}, "clerk_sc")
    assert shown(services, rating_id)[0] == "pending"  # waits for the leader
    complete(services, task(services, iid, "leader_approve")["id"],
             {"plan_approved": True, "instruction": "同意"}, "leader")  # fmt: skip
    assert shown(services, rating_id)[0] == "in_progress"

    advance_to(services, clock, local("2026-10-24", "09:00"))  # the diagram's timer at the limit falls due
    assert shown(services, rating_id)[0] == "overdue"

    complete(services, task(services, iid, "rectify")["id"],
             {"request_extension": True, "extension_days": 2, "extension_reason": "需上级配合"}, "clerk_sc")  # fmt: skip
    assert shown(services, rating_id)[0] == "overdue"  # asked, not yet granted
    complete(services, task(services, iid, "approve_extension")["id"],
             {"extension_approved": True, "extension_decision": "同意"}, "sup_a")  # fmt: skip
    assert shown(services, rating_id) == ("in_progress", "2026-10-27T15:59:59+00:00")

    advance_to(services, clock, local("2026-10-28", "09:00"))  # past the extended limit
    assert shown(services, rating_id)[0] == "overdue"
    complete(
        services, task(services, iid, "rectify")["id"], {"measures": "已整改", "reply": "已答复"}, "clerk_sc"
    )
    assert shown(services, rating_id)[0] == "done"
    with services.transaction() as s:
        row = s.query(Rectification).filter_by(rating_id=rating_id).one()
        assert (rectification.on_time(row), row.closed_at is not None) == (False, True)


def test_an_invalid_rating_and_a_call_back_show_at_once(services, clock, item, no_refresh):  # noqa: F811
    rating_id, iid = rate(services, item, named=True, rater_name="王五", rater_phone="13900001111")
    complete(services, task(services, iid, "verify")["id"],
             {"verdict": "malicious", "window": "shichang", "verify_note": "恶意"}, "sup_a")  # fmt: skip
    assert shown(services, rating_id)[0] == "verifying"
    complete(services, task(services, iid, "approve_invalid")["id"],
             {"dismissal_approved": True, "dismissal_reason": "录像"}, "sup_b")  # fmt: skip
    assert shown(services, rating_id)[0] == "invalid"
    advance_to(services, clock, local("2026-10-26", "09:00"))  # the clock stopped at 无效差评: never overdue
    assert shown(services, rating_id)[0] == "invalid"
    complete(services, task(services, iid, "revisit")["id"],
             {"revisit_result": "satisfied", "revisit_note": "接受"}, "sup_b")  # fmt: skip
    with services.transaction() as s:
        row = s.query(Rectification).filter_by(rating_id=rating_id).one()
        assert (row.state, row.revisit_result, row.closed_at is not None) == ("invalid", "satisfied", True)

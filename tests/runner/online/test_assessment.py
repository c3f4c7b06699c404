"""An overdue 预审 counts in 考核 like any other limit: its yellow warning, unanswered by the end of the next working
day, costs the window the points of the scheme's unanswered-warning rule; answered in time, nothing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import runner
from runner.catalogue.applications import Applicant
from runner.models import WarningEvent
from runner.online import sweep
from runner.supervision.assessment_schemes import periods, scoring, store

from .conftest import application

SHANGHAI = ZoneInfo("Asia/Shanghai")
OCT = periods.month_of(date(2026, 10, 1))
PILOT = {
    "code": "pilot", "name": "试行方案", "target": "window", "period": "month", "full_score": 100, "floor": 0,
    "sections": [{"code": "all", "name": "全部", "max": 100, "cap": True, "rules": [
        {"code": "warn", "event": "unanswered_warning", "points": -1},
    ]}],
}  # fmt: skip


def test_an_unanswered_pre_review_warning_costs_the_window(services, submitted, clock):
    with services.transaction() as s:
        store.seed_schemes(s)
        store.save_scheme(s, PILOT, actor="supervisor")  # in force from October
    clock.set(datetime(2026, 10, 12, 9, 0, tzinfo=SHANGHAI))
    late, _ = submitted()
    answered, _ = submitted(Applicant("李四", "110101199003070011", "13900001111"))
    clock.set(
        application(services, late).review_due + timedelta(minutes=1)
    )  # 预审 by the end of 10-13: missed
    with services.transaction() as s:
        assert sweep.sweep_online(s)["overdue_reviews"] == 2
    with services.transaction() as s:
        warning = s.query(WarningEvent).filter(WarningEvent.online_application_id == answered).one()
        runner.acknowledge_warning(s, warning.id, actor="shichang_clerk", reply="已补做预审")
    clock.set(datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI))
    with services.transaction() as s:
        result = scoring.score_period(s, store.scheme_for(s, "pilot", OCT.first), OCT)
    # the unanswered one was due for its reply by the end of 10-15 (the next working day): −1; the answered one: 0
    assert [ln.rule_code for ln in result.scores["shichang"].lines] == ["warn"]
    assert result.scores["shichang"].score == 99

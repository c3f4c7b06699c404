"""容缺受理 across the year end: a promised supply date in 2027 with no 2027 arrangement entered, then one."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.bpmn.test_rongque import do
from tests.support import flow
from tests.support.year_end import import_2027, needs_2027

pytestmark = pytest.mark.skipif(not needs_2027(), reason="chinesecalendar knows 2027")
SH = ZoneInfo("Asia/Shanghai")


def test_a_supply_date_in_an_unknown_year_waits_then_is_armed(services, clock):
    flow.deploy_library(services, "block_correction.bpmn", "block_refusal.bpmn", "rongque.bpmn")
    clock.set(datetime(2026, 12, 31, 23, 30, tzinfo=SH))
    iid = flow.start_item(services, "rongque", {"applicant": "某食品有限公司"})
    do(services, iid, "accept", {"eligible": True, "materials_complete": True})
    do(services, iid, "tolerance_commitment",
       {"supply_by": "2027-01-05", "secondary_materials": ["从业人员健康证明"], "commitment_signed": True})  # fmt: skip
    view = flow.describe(services, iid)
    assert (view["status"], view["deadline"], view["deadline_pending_year"]) == ("running", None, 2027)
    assert view["data"]["supply_deadline"] == "2027-01-05T15:59:59+00:00"  # a date promised, not counted
    import_2027(services)
    view = flow.describe(services, iid)
    assert view["deadline"] == "2027-01-14T15:59:59+00:00"  # 10 working days of the test arrangement
    assert ("承诺补齐日届满", "2027-01-05T16:00:00+00:00", "pending") in [
        (t["name"], t["due_at"], t["status"]) for t in view["timers"]
    ]

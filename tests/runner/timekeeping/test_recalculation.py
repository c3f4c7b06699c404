"""A local override moves what scripts computed in working days, not only the promised deadline.

Clock: Mon 2026-09-28 09:00; National Day 10-01..10-07 off, Sat 10-10 worked. A joint item (lianban_chaogao):
each related window reviews within 3 working days — 09-29, 09-30, 10-08 → end of Thu 10-08; guotu's limit
extended by 2: 10-09, 10-10 → end of Sat 10-10. Then Wed 09-30 becomes a local holiday: every limit moves one
working day later (10-09 and 10-12), in the data, the open tasks and the timers; the preview said so first.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import runner
from runner.models import CalendarOverride
from tests.support.flow import complete, deploy_library, describe, local, start_item, task, tasks

FILES = ("block_correction.bpmn", "block_refusal.bpmn", "lianban_chaogao.bpmn")


def end(day: str) -> str:
    return local(day, "23:59").replace(second=59).isoformat()


def over(day: str) -> str:
    """When ``day`` is over as a deadline day (the next local midnight): a diagram's timer on it falls due."""
    return (local(day, "00:00") + timedelta(days=1)).isoformat()


def review(services: Any, iid: int, window: str, **form: Any) -> None:
    complete(services, task(services, iid, "review", window=window)["id"], form, actor=f"clerk_{window}")


def limits(services: Any, iid: int) -> dict[str, tuple[Any, ...]]:
    """The open reviews' due times per window, and the pending review timers."""
    view = describe(services, iid)
    timers = {
        t["task_id"]: t["due_at"] for t in view["timers"] if t["status"] == "pending" and t["kind"] == "bpmn"
    }
    out = {}
    for t in tasks(services, iid):
        if t["spec_name"] == "review":
            out[t["window"]] = t["due_at"]
    return {"tasks": out, "timers": sorted(timers.values())}


def test_an_override_moves_review_limits_extensions_and_their_timers(services, clock) -> None:
    deploy_library(services, *FILES)
    iid = start_item(services, "lianban_chaogao", {"lead_window": "shichang", "applicant": "张三"})
    complete(services, task(services, iid, "accept")["id"], {
        "related_windows": ["guotu", "huanbao"], "review_days": 3, "materials_complete": True,
        "materials_list": ["申请书"],
    })  # fmt: skip
    clock.set(local("2026-09-29", "10:00"))
    review(services, iid, "guotu", request_extension=True, extension_days=2, extension_reason="需现场勘察")
    complete(
        services, task(services, iid, "extension_decision")["id"], {"approved": True, "decision_note": "同意"}
    )
    assert limits(services, iid) == {
        "tasks": {"guotu": end("2026-10-10"), "huanbao": end("2026-10-08")},
        "timers": [over("2026-10-08"), over("2026-10-10")],
    }

    with services.transaction() as s:
        preview = runner.calendar_override_effects(s, date(2026, 9, 30), False)
    with services.transaction() as s:
        saved = runner.set_calendar_override(s, date(2026, 9, 30), False, actor="admin", note="本地停办")
    assert saved == preview
    [item] = saved
    moved = {(c["before"], c["after"]) for c in item["changes"] if c["what"].startswith(("task:", "timer:"))}
    assert moved == {
        (end("2026-10-08"), end("2026-10-09")), (end("2026-10-10"), end("2026-10-12")),  # the tasks' limits
        (over("2026-10-08"), over("2026-10-09")), (over("2026-10-10"), over("2026-10-12")),  # their timers
    }  # fmt: skip
    # 09-29, 10-08, 10-09 (09-30 off now); guotu's 2 more: 10-10, 10-12
    assert limits(services, iid) == {
        "tasks": {"guotu": end("2026-10-12"), "huanbao": end("2026-10-09")},
        "timers": [over("2026-10-09"), over("2026-10-12")],
    }
    data = describe(services, iid)["data"]
    assert end("2026-10-08") not in str(data) and end("2026-10-10") not in str(data)  # the data moved too
    # the promised deadline (15 working days) moved as well: 09-29, 10-08 … 10-10, 10-12 … 10-16, 10-19 … 10-23,
    # 10-26 → end of Mon 10-26
    assert describe(services, iid)["deadline"] == end("2026-10-26")
    with services.transaction() as s:
        assert runner.verify_audit(s) == []


def test_removing_an_override_gives_the_day_back_to_the_published_calendar(services, clock) -> None:
    """A local holiday entered by mistake (or cancelled) can be removed: the day follows the national data again
    (flipping it to a working day would shadow a later notice for good), and the open items move back."""
    deploy_library(services, *FILES)
    iid = start_item(services, "lianban_chaogao", {"lead_window": "shichang", "applicant": "张三"})
    before = describe(services, iid)["deadline"]
    with services.transaction() as s:
        runner.set_calendar_override(s, date(2026, 9, 30), False, actor="admin", note="本地停办")
    assert describe(services, iid)["deadline"] != before
    with services.transaction() as s:
        preview = runner.calendar_override_removal_effects(s, date(2026, 9, 30))
    with services.transaction() as s:
        moved = runner.remove_calendar_override(s, date(2026, 9, 30), actor="admin")
    assert moved == preview and len(moved) == 1
    assert describe(services, iid)["deadline"] == before
    with services.transaction() as s:
        assert s.get(CalendarOverride, date(2026, 9, 30)) is None
        assert runner.remove_calendar_override(s, date(2026, 9, 30), actor="admin") == []  # nothing to remove
        assert runner.verify_audit(s) == []

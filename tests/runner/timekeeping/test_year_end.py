"""The year end: items keep running when next year's calendar is not known yet, and fill in when it is imported.

The platform clock stands in December 2026; chinesecalendar knows 2026 and earlier only. The 2027 arrangement
is the one written for the tests (tests/support/year_end.py). Working days, counted by hand::

    Dec 2026: 01 02 03 04 | 07 … 11 | 14 … 18 | 21 22 23 24 25 | 28 29 30 31
    Jan 2027 (test arrangement): 04 05 06 07 08 09(Sat, 班) | 11 … 15 | 18 …

End of a working day = 15:59:59 UTC; start of a working day = 16:00:00 UTC of the day before.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

import runner
from runner.models import Incident, TimerStatus
from tests.support.flow import complete, deploy_library, describe, local, start_item, task, tasks
from tests.support.year_end import TEST_2027, import_2027, needs_2027

pytestmark = pytest.mark.skipif(not needs_2027(), reason="a newer chinesecalendar knows 2027")

FILES = (
    "block_correction.bpmn", "block_refusal.bpmn", "chengnuo.bpmn", "lianban_chaogao.bpmn", "shebao_transfer.bpmn",
)  # fmt: skip


def end(day: str) -> str:
    """End (23:59:59 Beijing) of a day, as the platform stores it."""
    return local(day, "23:59").replace(second=59).isoformat()


def start_of(day: str) -> str:
    return local(day, "00:00").isoformat()


def over(day: str) -> str:
    """When ``day`` is over as a deadline day (the next local midnight): a 黄牌/红牌 falls due then."""
    return (local(day, "00:00") + timedelta(days=1)).isoformat()


@pytest.fixture
def lib(services) -> None:
    deploy_library(services, *FILES)
    with services.transaction() as s:
        runner.seed_warning_rules(s)


def do(services, iid: int, name: str, data: dict[str, Any] | None = None, **match: Any) -> None:
    complete(services, task(services, iid, name, **match)["id"], data or {})


def timers(services, iid: int, status: str | None = None) -> list[tuple[str, str | None, str, int | None]]:
    return [
        (t["name"], t["due_at"], t["status"], t["pending_year"])
        for t in describe(services, iid)["timers"]
        if status is None or t["status"] == status
    ]


def no_incidents(services) -> None:
    with services.transaction() as s:
        assert s.query(Incident).count() == 0


# --- before the import: nothing errors, pending deadlines are visible ---------------------------------


def test_a_20_day_item_accepted_in_december_runs_on_with_a_pending_deadline(services, clock, lib):
    clock.set(local("2026-12-07", "09:00"))
    iid = start_item(services, "chengnuo", {"applicant": "张三", "promised_days": 20})
    do(services, iid, "accept", {"eligible": True, "materials_complete": True})
    view = describe(services, iid)
    assert view["status"] == "running" and view["incidents"] == []
    assert (view["deadline"], view["deadline_pending_year"]) == (None, 2027)
    assert view["calendar_pending"] == {
        "year": 2027,
        "message": "待 2027 年节假日安排公布后确定",
        "message_en": "to be set once the 2027 holiday arrangement is published",
    }
    # the script stored a pending date, not a guess; the window's inbox still has the item
    assert view["data"]["promised_date"] == "pending:2027:item@end"
    [notice] = [t for t in tasks(services, iid) if t["spec_name"] == "acceptance_notice"]
    assert (notice["window"], notice["due_at"]) == ("centre", end("2026-12-08"))
    do(services, iid, "acceptance_notice", {})
    # the warnings and the diagram's deadline timer wait for 2027, they are not dropped
    assert sorted(timers(services, iid, "unarmed")) == [
        ("到达承诺期限", None, "unarmed", 2027),
        ("提示预警", None, "unarmed", 2027),
        ("红牌预警", None, "unarmed", 2027),
        ("黄牌预警", None, "unarmed", 2027),
    ]
    assert [t["spec_name"] for t in tasks(services, iid)] == ["review"]
    assert tasks(services, iid)[0]["due_at"] == end("2026-12-14")  # 5 working days: 08 … 11, 14

    result = import_2027(services)
    assert result["year"] == 2027 and [i["business_key"] for i in result["items"]] == [view["business_key"]]
    view = describe(services, iid)
    # 20 working days from Mon 12-07: 08 … 11 (4), 14 … 18 (9), 21 … 25 (14), 28 … 31 (18), 01-04, 01-05
    assert (view["deadline"], view["deadline_pending_year"], view["calendar_pending"]) == (
        end("2027-01-05"), None, None,
    )  # fmt: skip
    assert view["data"]["promised_date"] == end("2027-01-05")
    assert sorted(timers(services, iid, "pending")) == [
        ("到达承诺期限", over("2027-01-05"), "pending", None),
        ("提示预警", start_of("2027-01-04"), "pending", None),
        ("红牌预警", over("2027-01-08"), "pending", None),  # +3: 01-06, 01-07, 01-08
        ("黄牌预警", over("2027-01-05"), "pending", None),
    ]
    assert timers(services, iid, "unarmed") == []
    no_incidents(services)


def test_a_transfer_started_on_12_21_starts_and_its_review_limit_fills_in(services, clock, lib):
    clock.set(local("2026-12-21", "10:00"))
    iid = start_item(services, "shebao_transfer", {"applicant": "王五", "old_office": "某市社保局"})
    view = describe(services, iid)
    assert view["status"] == "running" and view["incidents"] == []
    assert view["data"]["review_due"] == "pending:2027:2026-12-21+15@end"
    [review] = tasks(services, iid)
    assert (review["spec_name"], review["limit_days"], review["due_at"], review["due_pending_year"]) == (
        "review", 15, None, 2027,
    )  # fmt: skip
    assert ("审核满15个工作日", None, "unarmed", 2027) in timers(services, iid)

    import_2027(services)
    view = describe(services, iid)
    # 15 working days from Mon 12-21: 22 … 25 (4), 28 … 31 (8), 01-04 … 01-08 (13), Sat 01-09 (14), 01-11
    assert view["data"]["review_due"] == end("2027-01-11")
    [review] = tasks(services, iid)
    assert (review["limit_days"], review["due_at"], review["due_pending_year"]) == (
        15,
        end("2027-01-11"),
        None,
    )
    engine_timers = [t for t in describe(services, iid)["timers"] if t["kind"] == "bpmn"]
    assert [(t["due_at"], t["status"]) for t in engine_timers] == [(over("2027-01-11"), "pending")]
    no_incidents(services)


def test_a_correction_notice_on_12_21_pauses_the_clock_and_charges_nothing(services, clock, lib):
    clock.set(local("2026-12-21", "09:00"))
    iid = start_item(services, "chengnuo", {"applicant": "李四"})
    do(services, iid, "accept", {"eligible": True, "materials_complete": False})
    do(services, iid, "correction_notice", {"missing_materials": ["营业执照副本"]})
    view = describe(services, iid)
    assert view["status"] == "waiting" and view["incidents"] == []
    assert [p["reason"] for p in view["pauses"]] == ["补正"]  # the clock stands
    assert view["data"]["correction_due"] == "pending:2027:2026-12-21+10@end"
    assert (view["deadline"], view["deadline_pending_year"]) == (None, 2027)
    # December's 考核, looked at in January before the import: nothing charged for a deadline never known
    clock.set(local("2027-01-10", "09:00"))
    from runner.supervision.assessment_schemes import periods, scoring, store

    with services.transaction() as s:
        store.seed_schemes(s)
        scheme = store.get_scheme(s, "window_rules_001")
        december = scoring.collect_lines(s, scheme, date(2026, 12, 1), date(2026, 12, 31))
        january = scoring.collect_lines(s, scheme, date(2027, 1, 1), date(2027, 1, 31))
        staff = scoring.score_period(s, store.get_scheme(s, "staff_001"), periods.month_of(date(2027, 1, 1)))
    assert december == {} and january == {}
    assert all(not sc.lines for sc in staff.scores.values())

    import_2027(services)
    view = describe(services, iid)
    # 10 working days from 12-21: 22 … 25, 28 … 31, 01-04, 01-05
    assert view["data"]["correction_due"] == end("2027-01-05")
    engine_timers = [t for t in view["timers"] if t["kind"] == "bpmn"]
    assert [(t["name"], t["due_at"], t["status"]) for t in engine_timers] == [
        ("补正期限届满", over("2027-01-05"), "pending")
    ]
    # still paused (open pause until now, 01-10): the promised deadline is known again, counted with the pause
    # 10 working days → 01-05; paused (12-21, 01-10]: 22 … 25, 28 … 31, 01-04 … 01-09 = 14 → 01-05 + 14
    # = 06 07 08 09 11 12 13 14 15 18 19 20 21 22 → 01-22
    assert view["deadline"] == end("2027-01-22")


def test_a_joint_item_accepted_on_12_29_reviews_on_with_pending_limits(services, clock, lib):
    clock.set(local("2026-12-29", "09:00"))
    iid = start_item(services, "lianban_chaogao", {"lead_window": "shichang", "applicant": "张三"})
    do(services, iid, "accept", {
        "related_windows": ["guotu", "huanbao"], "review_days": 3, "materials_complete": True,
        "materials_list": ["申请书"],
    })  # fmt: skip
    view = describe(services, iid)
    assert view["status"] == "running" and view["incidents"] == []
    reviews = [t for t in tasks(services, iid) if t["spec_name"] == "review"]
    assert sorted((t["window"], t["due_at"], t["due_pending_year"]) for t in reviews) == [
        ("guotu", None, 2027), ("huanbao", None, 2027),
    ]  # fmt: skip
    assert [t[2:] for t in timers(services, iid) if t[0] == "审查时限届满"] == [("unarmed", 2027)] * 2

    import_2027(services)
    # 3 working days from Tue 12-29: 30, 31, 01-04
    reviews = [t for t in tasks(services, iid) if t["spec_name"] == "review"]
    assert sorted((t["window"], t["due_at"], t["limit_days"]) for t in reviews) == [
        ("guotu", end("2027-01-04"), 3), ("huanbao", end("2027-01-04"), 3),
    ]  # fmt: skip
    assert [t[1:3] for t in timers(services, iid) if t[0] == "审查时限届满"] == [
        (over("2027-01-04"), "pending")
    ] * 2
    no_incidents(services)


def test_a_deadline_on_12_29_keeps_its_red_card_pending(services, clock, lib):
    clock.set(local("2026-12-15", "09:00"))
    # 10 working days from Tue 12-15: 16, 17, 18, 21 … 25, 28, 29
    iid = start_item(services, "chengnuo", {"applicant": "赵六"})
    assert describe(services, iid)["deadline"] == end("2026-12-29")
    assert sorted(timers(services, iid)) == [
        ("提示预警", start_of("2026-12-28"), "pending", None),
        ("红牌预警", None, "unarmed", 2027),  # +3: 30, 31, then a 2027 day: not silently skipped
        ("黄牌预警", over("2026-12-29"), "pending", None),
    ]
    import_2027(services)
    assert ("红牌预警", over("2027-01-04"), "pending", None) in timers(services, iid)


def test_a_local_holiday_before_a_deadline_on_12_31_is_accepted(services, clock, lib):
    clock.set(local("2026-12-17", "09:00"))
    # 10 working days from Thu 12-17: 18, 21 … 25, 28 … 31
    iid = start_item(services, "chengnuo", {"applicant": "钱七"})
    assert describe(services, iid)["deadline"] == end("2026-12-31")
    with services.transaction() as s:
        preview = runner.calendar_override_effects(s, date(2026, 12, 30), False)
    [moved] = preview
    assert [c for c in moved["changes"] if c["what"] == "deadline"] == [
        {
            "what": "deadline",
            "label": "承诺期限",
            "before": end("2026-12-31"),
            "after": "pending:2027",
        }
    ]
    assert describe(services, iid)["deadline"] == end("2026-12-31")  # the preview stored nothing
    with services.transaction() as s:
        saved = runner.set_calendar_override(s, date(2026, 12, 30), False, actor="admin", note="本地停办")
    assert saved == preview  # what the preview showed is what the save did
    view = describe(services, iid)
    assert (view["deadline"], view["deadline_pending_year"]) == (None, 2027)
    import_2027(services)
    assert describe(services, iid)["deadline"] == end("2027-01-04")  # 12-31, then 01-04


def test_the_override_preview_counts_the_extension_as_the_save_does(services, clock, lib):
    clock.set(local("2026-12-01", "09:00"))
    # 10 working days from Tue 12-01: 02, 03, 04, 07 … 11, 14, 15; a 延期 of 5: 16, 17, 18, 21, 22
    iid = start_item(services, "chengnuo", {"applicant": "孙八"})
    with services.transaction() as s:
        runner.extend(s, iid, 5, reason="专家评审", requested_by="centre_clerk", approved_by="centre_head")
    assert describe(services, iid)["deadline"] == end("2026-12-22")
    with services.transaction() as s:
        preview = runner.calendar_override_effects(s, date(2026, 12, 7), False)
    with services.transaction() as s:
        saved = runner.set_calendar_override(s, date(2026, 12, 7), False, actor="admin")
    assert saved == preview
    [moved] = saved
    assert [(c["before"], c["after"]) for c in moved["changes"] if c["what"] == "deadline"] == [
        (end("2026-12-22"), end("2026-12-23"))  # later, never earlier
    ]
    assert describe(services, iid)["deadline"] == end("2026-12-23")


def test_the_import_preview_is_what_the_import_stores(services, clock, lib):
    clock.set(local("2026-12-21", "09:00"))
    first = start_item(services, "chengnuo", {"applicant": "甲"})
    second = start_item(services, "shebao_transfer", {"applicant": "乙", "old_office": "某市社保局"})
    with services.transaction() as s:
        preview = runner.preview_arrangement(s, TEST_2027)
    assert describe(services, first)["deadline_pending_year"] == 2027  # nothing stored
    with services.transaction() as s:
        assert runner.list_arrangements(s) == []
    result = import_2027(services)
    assert {k: v for k, v in result.items() if k != "items"} == {
        k: v for k, v in preview.items() if k != "items"
    }
    assert result["items"] == preview["items"]
    assert {i["instance_id"] for i in result["items"]} == {first, second}
    # one audit entry per item
    for iid in (first, second):
        entries = [a for a in describe(services, iid)["audit"] if a["action"] == "calendar_recalculated"]
        assert len(entries) == 1 and entries[0]["detail"]["cause"] == {
            "holiday_arrangement": 2027,
            "replaced": False,
        }


def test_importing_the_year_again_replaces_it_and_moves_what_it_changes(services, clock, lib):
    clock.set(local("2026-12-21", "09:00"))
    iid = start_item(services, "chengnuo", {"applicant": "丙"})
    import_2027(services)
    assert describe(services, iid)["deadline"] == end("2027-01-05")
    corrected = TEST_2027.replace("2027-01-01..2027-01-03 休 元旦", "2027-01-01..2027-01-04 休 元旦")
    with services.transaction() as s:
        result = runner.import_arrangement(s, corrected, actor="admin2")
    assert result["replaced"] is True
    assert describe(services, iid)["deadline"] == end("2027-01-06")  # 01-04 is off now
    with services.transaction() as s:
        [row] = runner.list_arrangements(s)
        assert (row["year"], row["imported_by"], row["days_off"], row["makeup_days"]) == (
            2027,
            "admin2",
            13,
            2,
        )
        assert runner.verify_audit(s) == []
    imports = [e for e in _system_audit(services) if e.action == "holiday_arrangement_imported"]
    assert [(e.actor, e.detail["replaced"] is not None) for e in imports] == [
        ("admin", False),
        ("admin2", True),
    ]


def _system_audit(services) -> list[Any]:
    from runner.models import AuditEntry

    with services.transaction() as s:
        return list(s.query(AuditEntry).filter(AuditEntry.instance_id.is_(None)).order_by(AuditEntry.id))


def test_a_malformed_arrangement_is_refused_with_its_line_numbers_and_stores_nothing(services, clock, lib):
    text = "# 2027\n2027-01-01..2027-01-03 休 元旦\n2027-02-31 休 春节\n2027-02-20 上课\n2027-01-05 班 周二\n"
    with pytest.raises(runner.ArrangementInvalid) as info, services.transaction() as s:
        runner.import_arrangement(s, text, actor="admin")
    assert [p["line"] for p in info.value.problems] == [3, 4, 5]
    assert "第 3 行" in info.value.message
    with services.transaction() as s:
        assert runner.list_arrangements(s) == []
    assert not [e for e in _system_audit(services) if e.action == "holiday_arrangement_imported"]


def test_an_item_in_error_from_the_old_calendar_failure_is_retried_by_the_import(services, clock, lib):
    """Items that failed before this release (a stored null deadline, an incident) need no hand retry."""
    clock.set(local("2026-12-21", "09:00"))
    iid = start_item(services, "shebao_transfer", {"applicant": "丁", "old_office": "某市社保局"})
    with services.transaction() as s:  # what the old release left: the review step in ERROR, an incident
        from SpiffWorkflow.util.task import TaskState

        instance = runner.get_instance(s, iid)
        workflow = runner.core.engine.load(s, instance)
        [review] = [t for t in workflow.get_tasks() if t.task_spec.name == "review"]
        review._set_state(TaskState.ERROR)
        s.add(Incident(instance_id=iid, task_id=str(review.id), task_name="审核", created_at=clock.now(),
                       message="ScriptError: CalendarDataMissing: 日历数据缺失：2027-01-04"))  # fmt: skip
        runner.core.engine.save(s, instance, workflow)
    assert describe(services, iid)["status"] == "error" and tasks(services, iid) == []
    import_2027(services)
    view = describe(services, iid)
    assert view["status"] == "running"
    assert [(t["spec_name"], t["due_at"]) for t in tasks(services, iid)] == [("review", end("2027-01-11"))]
    assert all(i["resolved_by"] == "admin" for i in view["incidents"])
    assert any(a["action"] == "calendar_recalculated" and a["detail"]["retried"] for a in view["audit"])


def test_unarmed_timers_are_cancelled_when_the_item_ends(services, clock, lib):
    clock.set(local("2026-12-21", "09:00"))
    iid = start_item(services, "chengnuo", {"applicant": "戊"})
    with services.transaction() as s:
        runner.terminate(s, iid, actor="admin", reason="申请人撤回")
    assert {t[2] for t in timers(services, iid)} == {TimerStatus.CANCELLED}


# --- point 5: fixed on the way -------------------------------------------------------------------------


def test_an_extension_approved_before_acceptance_keeps_the_deadline_and_its_warnings(services, clock, lib):
    clock.set(local("2026-12-14", "09:00"))
    # 10 working days from Mon 12-14: 15 … 18, 21 … 25, 28 → end of Mon 12-28
    iid = start_item(services, "chengnuo", {"applicant": "己"})
    assert describe(services, iid)["deadline"] == end("2026-12-28")
    with services.transaction() as s:
        request = runner.request_extension(s, iid, 5, reason="需专家论证", actor="centre_clerk")
    with services.transaction() as s:
        runner.decide_extension(s, request.id, actor="centre_head", approve=True)
    view = describe(services, iid)
    # + 5 working days reaches into 2027: kept as pending, never erased
    assert (view["deadline"], view["deadline_pending_year"], view["extension_days"]) == (None, 2027, 5)
    assert sorted(t[2] for t in timers(services, iid) if t[2] != "cancelled") == ["unarmed"] * 3
    with services.transaction() as s:
        [note] = [
            n.message
            for n in runner.notifications_for(s, user="centre_clerk", windows=set())
            if n.kind == "extension_decided"
        ]
    assert note.endswith("新的承诺期限 待 2027 年节假日安排公布后确定")  # said plainly, no ISO time
    do(services, iid, "accept", {"eligible": True, "materials_complete": True})
    assert describe(services, iid)["status"] == "running"
    import_2027(services)
    # 28, 29, 30, 31, then 01-04 (5 after 12-28... 12-29, 12-30, 12-31, 01-04, 01-05)
    assert describe(services, iid)["deadline"] == end("2027-01-05")
    assert sorted(t[:3] for t in timers(services, iid, "pending")) == [
        ("提示预警", start_of("2027-01-04"), "pending"),
        ("红牌预警", over("2027-01-08"), "pending"),
        ("黄牌预警", over("2027-01-05"), "pending"),
    ]


def test_after_a_late_correction_notice_the_wait_does_not_stop_the_statutory_clock(services, clock, lib):
    """§32: a 补正 notice later than 5 working days after receipt makes the item accepted on receipt; the
    statutory period runs from then and the wait for the applicant's materials does not stop it."""
    clock.set(local("2026-11-02", "09:00"))
    # received Mon 11-02; promised and statutory 10 / 20 working days: 11-16 and 11-30
    iid = start_item(services, "chengnuo", {"applicant": "庚"})
    view = describe(services, iid)
    assert (view["deadline"], view["statutory_deadline"]) == (end("2026-11-16"), end("2026-11-30"))
    clock.set(local("2026-11-10", "09:00"))  # 6 working days later: 03, 04, 05, 06, 09, 10
    do(services, iid, "accept", {"eligible": True, "materials_complete": False})
    do(services, iid, "correction_notice", {"missing_materials": ["营业执照副本"]})
    assert describe(services, iid)["accepted_on_receipt"] is True
    clock.set(local("2026-11-13", "09:00"))  # materials in after 3 working days: 11, 12, 13
    from tests.support.flow import send

    send(
        services,
        "materials_resubmitted",
        describe(services, iid)["business_key"],
        {"materials": ["营业执照副本"]},
    )
    view = describe(services, iid)
    assert view["deadline"] == end("2026-11-19")  # the promised clock stood: 11-16 + 3 = 11-19
    assert view["statutory_deadline"] == end("2026-11-30")  # the statutory clock did not


def test_the_joint_items_statutory_deadline_is_shown_or_said_to_be_pending(services, clock, lib):
    clock.set(local("2026-09-28", "09:00"))
    early = start_item(services, "lianban_chaogao", {"lead_window": "shichang", "applicant": "辛"})
    clock.set(local("2026-12-01", "09:00"))
    late = start_item(services, "lianban_chaogao", {"lead_window": "shichang", "applicant": "壬"})
    assert describe(services, early)["statutory_days"] == 45
    # 45 working days from 09-28 (National Day off, Sat 10-10 worked): end of Mon 11-30 … counted by the calendar
    assert describe(services, early)["statutory_deadline"] is not None
    view = describe(services, late)
    assert (view["statutory_deadline"], view["statutory_pending_year"]) == (None, 2027)
    import_2027(services)
    # 45 working days from Tue 12-01: 22 in December (02 … 31), then 01-04 … 01-08, 09 (Sat), 11 … 15, 18 … 22,
    # 25 … 29 = 21 more, 02-01, 02-02 → end of Tue 02-02
    assert describe(services, late)["statutory_deadline"] == end("2027-02-02")


def test_notifications_show_local_dates_not_utc_iso(services, clock, lib):
    clock.set(local("2026-11-02", "09:00"))
    iid = start_item(services, "chengnuo", {"applicant": "癸"})  # due end of Mon 11-16 (15:59:59 UTC)
    with services.transaction() as s:
        request = runner.request_extension(s, iid, 2, reason="现场核查", actor="centre_clerk")
    with services.transaction() as s:
        runner.decide_extension(s, request.id, actor="centre_head", approve=True)
    from tests.support.flow import advance_to

    advance_to(services, clock, local("2026-11-17", "09:00"))  # 提示 at 00:00 Tue 11-17 (deadline Wed 11-18)
    with services.transaction() as s:
        messages = [n.message for n in runner.notifications_for(s, user="centre_clerk", windows={"centre"})]
    assert any(m.endswith("新的承诺期限 2026-11-18") for m in messages), messages
    assert any(m.endswith("提示预警：承诺时限 2026-11-18") for m in messages), messages
    assert not any("+00:00" in m for m in messages)

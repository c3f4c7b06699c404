"""Supervision warnings (电子监察) from the rule table: stored timers that follow the promised deadline.

The clock starts on Mon 2026-09-28 09:00 Asia/Shanghai; clock.bpmn promises 3 working days, so the
deadline is the end of Thu 8 Oct (29, 30 Sep, then 8 Oct after National Day 1-7 Oct). Sat 10 Oct is a
make-up working day. Expected times below are worked out by hand, in UTC (Shanghai = UTC+8).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

import runner
from runner.models import Notification, Timer, TimerStatus, WarningEvent
from tests.runner.helpers import actions, complete, deploy_file, describe, start, the_task
from tests.support.flow import advance_to, local
from tests.support.statements import writes_to

SEP30_START = "2026-09-29T16:00:00+00:00"  # notice: start (00:00) of Wed 30 Sep, the working day before
OCT08_END = "2026-10-08T15:59:59+00:00"  # the deadline: end of Thu 8 Oct
OCT09_START = "2026-10-08T16:00:00+00:00"  # yellow: when lateness begins, the midnight after the deadline
OCT13_START = "2026-10-12T16:00:00+00:00"  # red: the midnight after the 3rd working day after it (9, 10, 12)


def _seed(services: runner.Services) -> None:
    with services.transaction() as s:
        runner.seed_warning_rules(s)


def _rule_timers(services: runner.Services, iid: int, status: str = "pending") -> list[tuple[str, str]]:
    with services.transaction() as s:
        rows = s.scalars(
            select(Timer)
            .where(Timer.instance_id == iid, Timer.kind == "rule", Timer.status == status)
            .order_by(Timer.due_at)
        )
        return [(r.spec_name, r.due_at.isoformat()) for r in rows]


def _rule_warnings(services: runner.Services, iid: int) -> list[dict[str, Any]]:
    with services.transaction() as s:
        rows = s.scalars(
            select(WarningEvent)
            .where(WarningEvent.instance_id == iid, WarningEvent.rule.like("rule:%"))
            .order_by(WarningEvent.id)
        )
        return [
            {
                "level": w.level,
                "rule": w.rule,
                "window": w.window,
                "clerk": w.clerk,
                "created_at": w.created_at.isoformat(),
            }
            for w in rows
        ]


def test_no_rules_until_seeded_then_open_items_are_armed(services, clock):
    deploy_file(services, "clock.bpmn")
    iid = start(services, "clock_test")
    assert _rule_timers(services, iid) == []
    with services.transaction() as s:
        assert runner.list_warning_rules(s) == []
        made = runner.seed_warning_rules(s)
        assert [(r.level, r.offset_days, r.item_kind) for r in made] == [
            ("notice", -1, None),
            ("yellow", 0, None),
            ("red", 3, None),
        ]
        assert runner.seed_warning_rules(s) == []  # seeding twice adds nothing
    # the item started before the rules existed is armed when they are seeded
    assert _rule_timers(services, iid) == [
        ("notice", SEP30_START),
        ("yellow", OCT09_START),
        ("red", OCT13_START),
    ]


def test_levels_fire_at_exact_working_day_boundaries_across_national_day(services, clock):
    _seed(services)
    deploy_file(services, "clock.bpmn")
    iid = start(services, "clock_test")
    assert describe(services, iid)["deadline"] == OCT08_END
    assert _rule_timers(services, iid) == [
        ("notice", SEP30_START),
        ("yellow", OCT09_START),
        ("red", OCT13_START),
    ]
    with services.transaction() as s:
        runner.claim(s, the_task(services, iid, "accept")["id"], actor="clerk_a")

    advance_to(services, clock, local("2026-09-29", "23:59"))
    assert _rule_warnings(services, iid) == []
    advance_to(services, clock, local("2026-09-30", "00:00"))
    notice = {"level": "notice", "rule": "rule:notice", "window": "shebao", "clerk": "clerk_a"}
    assert _rule_warnings(services, iid) == [{**notice, "created_at": SEP30_START}]

    # the whole holiday passes without a warning; the yellow card comes when lateness begins (is_late)
    advance_to(services, clock, local("2026-10-08", "23:59"))
    assert len(_rule_warnings(services, iid)) == 1
    advance_to(services, clock, local("2026-10-09", "00:00"))
    assert [w["level"] for w in _rule_warnings(services, iid)] == ["notice", "yellow"]
    assert _rule_warnings(services, iid)[1]["created_at"] == OCT09_START

    # red: once Mon 12 Oct is over (Fri 9 and the make-up Sat 10 count, Sun 11 does not)
    advance_to(services, clock, local("2026-10-12", "23:59"))
    assert len(_rule_warnings(services, iid)) == 2
    advance_to(services, clock, local("2026-10-13", "08:00"))
    warnings = _rule_warnings(services, iid)
    assert [(w["level"], w["created_at"]) for w in warnings] == [
        ("notice", SEP30_START),
        ("yellow", OCT09_START),
        ("red", OCT13_START),
    ]
    assert {w["window"] for w in warnings} == {"shebao"} and {w["clerk"] for w in warnings} == {"clerk_a"}
    assert _rule_timers(services, iid) == []
    assert len(_rule_timers(services, iid, "fired")) == 3

    with services.transaction() as s:
        notes = list(s.scalars(select(Notification).where(Notification.instance_id == iid)))
    # every warning reaches the window it names: the three rules and the diagram's own overdue flag (issue 26)
    assert [(n.kind, n.to_window) for n in notes] == [("warning", "shebao")] * 4
    assert sum("已超承诺期限" in n.message for n in notes) == 1
    assert actions(services, iid).count("warning") == 4  # three rules + the diagram's own overdue flag
    with services.transaction() as s:
        assert runner.verify_audit(s) == []


def test_a_rule_fires_once(services, clock):
    _seed(services)
    deploy_file(services, "clock.bpmn")
    iid = start(services, "clock_test")
    advance_to(services, clock, local("2026-09-30", "10:00"))
    with services.transaction() as s:
        [row] = s.scalars(select(Timer).where(Timer.instance_id == iid, Timer.spec_name == "notice"))
        timer_id = row.id
    with services.transaction() as s:
        assert runner.fire_timer(s, timer_id) == "already fired"
    # a later change of the item (a task completed) does not re-arm the rule that already fired
    complete(services, the_task(services, iid, "accept")["id"], {"materials_complete": True})
    assert [w["level"] for w in _rule_warnings(services, iid)] == ["notice"]
    assert [name for name, _ in _rule_timers(services, iid)] == ["yellow", "red"]
    assert actions(services, iid).count("warning") == 1


def test_held_while_paused_and_moved_on_resume(services, clock):
    _seed(services)
    deploy_file(services, "clock.bpmn")
    iid = start(services, "clock_test")
    complete(services, the_task(services, iid, "accept")["id"], {"materials_complete": False})
    # paused from Mon 28 Sep: the notice due at the start of 30 Sep is held, nothing fires
    advance_to(services, clock, local("2026-10-09", "10:00"))
    assert _rule_warnings(services, iid) == []
    with services.transaction() as s:
        runner.deliver_message(
            s, "materials_resubmitted", describe(services, iid)["business_key"], {}, actor="applicant"
        )
    # 4 paused working days (29, 30 Sep, 8, 9 Oct) → deadline end of Tue 13 Oct
    assert describe(services, iid)["deadline"] == "2026-10-13T15:59:59+00:00"
    assert _rule_timers(services, iid) == [
        ("notice", "2026-10-11T16:00:00+00:00"),  # start of Mon 12 Oct (Sun 11 is no working day)
        ("yellow", "2026-10-13T16:00:00+00:00"),  # the midnight after Tue 13 Oct
        ("red", "2026-10-16T16:00:00+00:00"),  # after 14, 15, 16 Oct
    ]
    assert sorted(_rule_timers(services, iid, "cancelled")) == sorted(
        [("notice", SEP30_START), ("yellow", OCT09_START), ("red", OCT13_START)]
    )
    advance_to(services, clock, local("2026-10-12", "09:00"))
    assert [(w["level"], w["created_at"]) for w in _rule_warnings(services, iid)] == [
        ("notice", "2026-10-11T16:00:00+00:00")
    ]


def test_extension_moves_and_completion_cancels(services, clock):
    _seed(services)
    deploy_file(services, "clock.bpmn")
    iid = start(services, "clock_test")
    with services.transaction() as s:
        runner.extend(s, iid, 2, reason="需现场核查", requested_by="clerk_a", approved_by="leader")
    # 3 + 2 working days: 29, 30 Sep, 8, 9, Sat 10 Oct
    assert _rule_timers(services, iid) == [
        ("notice", "2026-10-08T16:00:00+00:00"),  # start of Fri 9 Oct
        ("yellow", "2026-10-10T16:00:00+00:00"),  # the midnight after Sat 10 Oct
        ("red", "2026-10-14T16:00:00+00:00"),  # after 12, 13, 14 Oct
    ]
    complete(services, the_task(services, iid, "accept")["id"], {"materials_complete": True})
    complete(services, the_task(services, iid, "review")["id"], {})
    assert describe(services, iid)["status"] == "completed"
    assert _rule_timers(services, iid) == []
    advance_to(services, clock, local("2026-10-20"))
    assert _rule_warnings(services, iid) == []


def _yellow_after_deciding_at(services, clock, when) -> list[str]:
    """Start an item (deadline the end of Thu 8 Oct), decide it at ``when``, then let the rules run to 20 Oct."""
    _seed(services)
    deploy_file(services, "clock.bpmn")
    iid = start(services, "clock_test")
    advance_to(services, clock, when)
    complete(services, the_task(services, iid, "accept")["id"], {"materials_complete": True})
    complete(services, the_task(services, iid, "review")["id"], {})
    assert describe(services, iid)["status"] == "completed"
    advance_to(services, clock, local("2026-10-20"))
    return [w["level"] for w in _rule_warnings(services, iid)]


def test_an_item_decided_in_the_last_half_second_of_its_deadline_day_gets_no_yellow_card(services, clock):
    # 23:59:59.5 on the deadline day is in time (is_late); the 黄牌 judges lateness, so it must not fire
    when = local("2026-10-08", "23:59") + timedelta(seconds=59, milliseconds=500)
    assert _yellow_after_deciding_at(services, clock, when) == ["notice"]


def test_an_item_still_open_at_the_next_midnight_gets_the_yellow_card_then(services, clock):
    _seed(services)
    deploy_file(services, "clock.bpmn")
    iid = start(services, "clock_test")
    advance_to(services, clock, local("2026-10-08", "23:59") + timedelta(seconds=59, milliseconds=999))
    assert [w["level"] for w in _rule_warnings(services, iid)] == ["notice"]
    advance_to(services, clock, local("2026-10-09", "00:00"))
    assert [(w["level"], w["created_at"]) for w in _rule_warnings(services, iid)][1] == (
        "yellow",
        OCT09_START,
    )


def test_termination_cancels_and_kind_filter(services, clock):
    with services.transaction() as s:
        runner.add_warning_rule(s, "yellow", 0, item_kind="承诺件")
        runner.add_warning_rule(s, "red", 1, item_kind="immediate")  # another kind: not for this item
    deploy_file(services, "clock.bpmn")
    iid = start(services, "clock_test")
    assert _rule_timers(services, iid) == [("yellow", OCT09_START)]
    with services.transaction() as s:
        runner.terminate(s, iid, actor="leader", reason="申请人撤回申请")
    assert _rule_timers(services, iid) == []
    advance_to(services, clock, local("2026-10-20"))
    assert _rule_warnings(services, iid) == []


def test_rule_timer_status_enum(services, clock):
    _seed(services)
    deploy_file(services, "clock.bpmn")
    iid = start(services, "clock_test")
    with services.transaction() as s:
        rows = list(s.scalars(select(Timer).where(Timer.instance_id == iid, Timer.kind == "rule")))
    assert {r.task_id for r in rows} == {f"rule:{r.rule_id}" for r in rows}
    assert all(r.follows_deadline and r.status == TimerStatus.PENDING for r in rows)


def test_cli_seed_creates_the_default_rules(services, database_url, tmp_path, monkeypatch, capsys):
    import json

    from runner.cli import main

    path = tmp_path / "windows.json"
    path.write_text(json.dumps({"windows": [{"code": "shebao", "name": "社保窗口"}]}), encoding="utf-8")
    monkeypatch.setenv("BANJIAN_DATABASE_URL", database_url)
    assert main(["seed", "--windows", str(path), "--no-demo-users"]) == 0
    assert "warning rules: 3 new" in capsys.readouterr().out
    assert main(["seed", "--windows", str(path), "--no-demo-users"]) == 0
    assert "warning rules: already there" in capsys.readouterr().out
    with services.transaction() as s:
        assert [(r.level, r.offset_days) for r in runner.list_warning_rules(s)] == [
            ("notice", -1),
            ("yellow", 0),
            ("red", 3),
        ]


def test_the_rules_are_read_without_writing_the_step_first(services, db_engine):
    """A start's rule timers read the rules without flushing the step's writes (they go out at the commit)."""
    from sqlalchemy import event

    deploy_file(services, "clock.bpmn")
    _seed(services)
    sent: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(" ".join(statement.split()))

    event.listen(db_engine, "before_cursor_execute", count)
    try:
        iid = start(services, "clock_test")
    finally:
        event.remove(db_engine, "before_cursor_execute", count)
    rules_read = next(i for i, q in enumerate(sent) if "warning_rules" in q)
    # the start's open task is written with the commit, after the read (autoflush wrote it before)
    task_row_written = next(i for i, q in enumerate(sent) if writes_to(q, "open_tasks"))
    assert task_row_written > rules_read, sent
    assert len(_rule_timers(services, iid)) == 3


def test_a_rule_added_and_not_written_yet_is_read(services, clock):
    """Reading the rules without autoflush still writes first a rule the session holds unwritten."""
    from runner.models import ProcessInstance, WarningRule

    deploy_file(services, "clock.bpmn")
    iid = start(services, "clock_test")
    with services.transaction() as s:
        s.add(WarningRule(item_kind=None, level="yellow", offset_days=0, active=True, note="到达承诺时限"))
        runner.sync_rule_timers(s, s.get(ProcessInstance, iid), force=True)
    assert _rule_timers(services, iid) == [("yellow", OCT09_START)]

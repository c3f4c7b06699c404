"""连续延期 (runner.supervision.continued_delay): an item 3 working days past its deadline without a decision
starts the 延期 handling (yanqi) by itself, once.

Hand-worked: 承诺件 accepted Thu 2026-10-08 09:30 (10 working days, 10-10 a make-up Saturday) → deadline end of
Wed 10-21; its 3rd late working day is Mon 10-26 (10-22, 10-23, 10-26), so it qualifies after the end of 10-26.
"""

from __future__ import annotations

from sqlalchemy import select

import runner
from runner.models import ProcessInstance
from runner.supervision.continued_delay import start_continued_delays
from tests.support.flow import advance_to, deploy_library, local, start_item, task, tasks
from tests.support.supervision import LIBRARY, accept_chengnuo, finish_chengnuo


def run(services) -> list[dict]:
    with services.transaction() as s:
        return start_continued_delays(s)


def test_an_item_three_working_days_late_starts_yanqi_once(services, clock) -> None:
    deploy_library(services, *LIBRARY, "yanqi.bpmn")
    clock.set(local("2026-10-08", "09:30"))
    late = start_item(services, "chengnuo", {"applicant": "丁"})
    accept_chengnuo(services, late)
    decided = start_item(services, "chengnuo", {"applicant": "戊"})
    accept_chengnuo(services, decided)
    advance_to(services, clock, local("2026-10-23", "10:00"))
    finish_chengnuo(services, decided)  # decided late, but the applicant has it: its 督办 step stays open
    advance_to(services, clock, local("2026-10-26", "23:00"))
    assert run(services) == []  # the 3rd late working day is not over yet
    advance_to(services, clock, local("2026-10-27", "09:00"))
    with services.transaction() as s:
        key = s.get(ProcessInstance, late).business_key
    [started] = run(services)
    assert started["item"] == key
    assert run(services) == []  # once
    with services.transaction() as s:
        delay = s.scalar(select(ProcessInstance).where(ProcessInstance.business_key == started["delay"]))
        assert (delay.definition_key, delay.title, delay.lead_window) == (
            "yanqi",
            f"延期处理：{key}",
            "centre",
        )
    assert [t["spec_name"] for t in tasks(services, delay.id)] == ["delay_cause"]
    assert task(services, decided, "supervision_review")  # the decided item started nothing


def test_an_item_whose_delay_handling_was_started_by_hand_is_left_alone(services, clock) -> None:
    deploy_library(services, *LIBRARY, "yanqi.bpmn")
    clock.set(local("2026-10-08", "09:30"))
    late = start_item(services, "chengnuo", {"applicant": "丁"})
    accept_chengnuo(services, late)
    advance_to(services, clock, local("2026-10-27", "09:00"))
    with services.transaction() as s:
        key = s.get(ProcessInstance, late).business_key
        runner.start(s, "yanqi", actor="supervisor", title=f"延期处理：{key}",
                     data={"item_business_key": key, "window": "centre", "lead_window": "centre"})  # fmt: skip
    assert run(services) == []


def test_nothing_starts_without_the_yanqi_diagram(services, clock) -> None:
    deploy_library(services, *LIBRARY)
    clock.set(local("2026-10-08", "09:30"))
    accept_chengnuo(services, start_item(services, "chengnuo", {"applicant": "丁"}))
    advance_to(services, clock, local("2026-10-27", "09:00"))
    assert run(services) == []


def test_the_worker_sweep_starts_it(services, clock) -> None:
    from worker import jobs

    deploy_library(services, *LIBRARY, "yanqi.bpmn")
    clock.set(local("2026-10-08", "09:30"))
    accept_chengnuo(services, start_item(services, "chengnuo", {"applicant": "丁"}))
    advance_to(services, clock, local("2026-10-27", "09:00"))
    jobs.use_services(services)
    try:
        jobs.sweep_timers(reschedule=False)
        jobs.sweep_timers(reschedule=False)
    finally:
        jobs.use_services(None)  # type: ignore[arg-type]
    with services.transaction() as s:
        keys = list(
            s.scalars(select(ProcessInstance.definition_key).where(ProcessInstance.definition_key == "yanqi"))
        )
    assert keys == ["yanqi"]

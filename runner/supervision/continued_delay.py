"""连续延期 (seed 001 项目审批督促检查制度 第四条): an item still without its decision 3 working days past its
deadline starts the 延期 handling (``yanqi``) by itself, once per item.

``start_continued_delays`` runs with every sweep of the worker. An item qualifies at the end of the 3rd
working day after its deadline's date, while it is open, its clock is running and the applicant does not
have the decision yet (an item still open only for the supervision office's 督办 step does not). The start
is audited on the late item (``continued_delay_started``, with the 延期 item's number), which is also what
keeps it from starting twice; an item whose 延期 handling the office started by hand is recognised by the
title ``延期处理：<编号>``.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from runner.core import audit
from runner.core.transaction import services_of
from runner.exceptions import CalendarDataMissing
from runner.items.instances import start
from runner.models import AuditEntry, InstanceStatus, ProcessDefinition, ProcessInstance
from runner.supervision.assessment_schemes.lateness import courses_of
from runner.timekeeping.calendar import is_late
from runner.timekeeping.deadlines import calendar

log = logging.getLogger(__name__)

DELAY_KEY = "yanqi"
DELAY_WORKDAYS = 3
STARTED = "continued_delay_started"
TITLE = "延期处理：{key}"


def _candidates(session: Session) -> list[ProcessInstance]:
    now = services_of(session).now()
    pi = ProcessInstance
    rows = list(
        session.scalars(
            select(pi).where(
                pi.status.in_([InstanceStatus.RUNNING, InstanceStatus.WAITING]),
                pi.deadline.is_not(None),
                pi.deadline < now - timedelta(days=DELAY_WORKDAYS),  # calendar days: a cheap first cut
                pi.paused_since.is_(None),
                pi.definition_key != DELAY_KEY,
                pi.lead_window.is_not(None),
            ).order_by(pi.id).limit(2000)
        )
    )  # fmt: skip
    if not rows:
        return []
    done = set(
        session.scalars(
            select(AuditEntry.instance_id).where(
                AuditEntry.action == STARTED, AuditEntry.instance_id.in_([r.id for r in rows])
            )
        )
    )
    by_hand = set(
        session.scalars(
            select(ProcessInstance.title).where(
                ProcessInstance.definition_key == DELAY_KEY,
                ProcessInstance.title.in_([TITLE.format(key=r.business_key) for r in rows]),
            )
        )
    )
    return [r for r in rows if r.id not in done and TITLE.format(key=r.business_key) not in by_hand]


def _due(session: Session, item: ProcessInstance) -> bool:
    cal = calendar(session)
    try:
        limit = cal.end_of_day(cal.add_workdays(cal.local_date(item.deadline), DELAY_WORKDAYS))
    except CalendarDataMissing:
        return False  # never guessed: counted once the year's arrangement is in
    return is_late(services_of(session).now(), limit)


def start_continued_delays(session: Session) -> list[dict[str, Any]]:
    """Start 延期 handling for every item now 3 working days late without a decision; returns what started."""
    if (
        session.scalar(select(ProcessDefinition.id).where(ProcessDefinition.key == DELAY_KEY).limit(1))
        is None
    ):
        return []
    items = [i for i in _candidates(session) if _due(session, i)]
    undecided = {c.id for c in courses_of(session, [i.id for i in items]) if c.decided_at is None}
    started = []
    for item in items:
        if item.id not in undecided:
            continue
        data = {
            "item_business_key": item.business_key, "window": item.lead_window, "lead_window": item.lead_window,
            "applicant": item.applicant or "",
        }  # fmt: skip
        delay = start(
            session, DELAY_KEY, actor="system", data=data, title=TITLE.format(key=item.business_key)
        )
        audit.record(session, STARTED, actor="system", instance=item, delay_business_key=delay.business_key)
        started.append({"item": item.business_key, "delay": delay.business_key})
        log.info("连续延期: %s started %s", item.business_key, delay.business_key)
    return started

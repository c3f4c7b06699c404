"""The counter's decision on an application (受理 / 一次性告知 / 不予受理), carried out through the item's own
steps: the acceptance step of its diagram, then the 补正 notice or the refusal step its diagram calls. The notice
it leads to is issued at once.

Also 补正材料已收到: the applicant brought (some of) the missing materials — the waiting item is woken with the
message its 补正 block waits for (``materials_resubmitted``); the clock resumes.

Each step is completed by the caller's ``complete(task_id, values)``: the door fills the step's form with
``values`` and completes it through the form's checks, as its user (the workspace: ``workspace.intake_flow``),
so the item moves by the one road every door uses. The clerk operations are ``runner.items.clerk``'s
``do_intake_decision`` and ``do_receive_materials``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from runner.catalogue.applications import item_data, record_arrived, record_decision
from runner.exceptions import InvalidInput
from runner.items.messages import deliver_message
from runner.models import MessageSubscription, OpenTask, ProcessInstance
from runner.papers.documents import issue

ACCEPT, NOTIFY, REFUSE = "accept", "notify", "refuse"
DECISIONS = (ACCEPT, NOTIFY, REFUSE)
RESUBMITTED = "materials_resubmitted"
# the first step of a diagram that accepts an application (its form decides what the intake can say)
ACCEPTANCE_FORMS = ("acceptance", "joint_acceptance", "proxy_acceptance")
DOCUMENT_OF = {ACCEPT: "acceptance", NOTIFY: "correction", REFUSE: "refusal"}
RECORDED = {ACCEPT: "accepted", NOTIFY: "notified", REFUSE: "refused"}

# complete(task_id, values): the door completes one step, its form filled with values
Complete = Callable[[str, dict[str, Any]], Any]


class DecisionRefused(InvalidInput):
    """The decision cannot be taken on this item now (said in the user's words)."""

    code = "decision_refused"


@dataclass
class Decision:
    """What the clerk decided: the decision, the missing materials (by name), and the texts it needs."""

    decision: str
    missing: list[str]
    note: str = ""
    reason: str = ""
    legal_basis: str = ""
    correction_days: int | None = None


def open_steps(session: Session, instance: ProcessInstance) -> list[OpenTask]:
    """The item's open steps, oldest first."""
    return list(
        session.scalars(
            select(OpenTask).where(OpenTask.instance_id == instance.id).order_by(OpenTask.created_at)
        )
    )


def acceptance_step(session: Session, instance: ProcessInstance) -> OpenTask | None:
    """The item's open acceptance step, if it is there (a decision is possible only then)."""
    return next((t for t in open_steps(session, instance) if t.form_key in ACCEPTANCE_FORMS), None)


def _step(session: Session, instance: ProcessInstance, form_key: str) -> OpenTask:
    found = next((t for t in open_steps(session, instance) if t.form_key == form_key), None)
    if found is None:
        raise DecisionRefused(
            f"办件 {instance.business_key} 的流程没有走到所需环节 ({form_key}) (the item's process did not reach it)"
        )
    return found


def received_at_intake(data: dict[str, Any], decision: Decision) -> list[str]:
    """The materials the counter really received: not the missing ones (required or optional) nor the 容缺后补
    ones. An item started before its data listed its optional materials keeps them ticked (its acceptance form
    would otherwise count them missing)."""
    names = [str(n) for n in data.get("materials_list") or []]
    absent = set(decision.missing) | {str(n) for n in data.get("tolerated_materials") or []}
    if "optional_materials" in data:
        absent |= {str(n) for n in data.get("missing_materials") or []}
    return [n for n in names if n not in absent]


def _acceptance_values(data: dict[str, Any], decision: Decision, actor: str) -> dict[str, Any]:
    names = [str(n) for n in data.get("materials_list") or []]
    missing = decision.missing if decision.decision == NOTIFY else []
    received = received_at_intake(data, decision)
    return {
        "applicant": data.get("applicant"),
        "applicant_phone": data.get("applicant_phone"),
        "eligible": decision.decision != REFUSE,
        "materials_received": received,
        "materials_list": names,
        "missing_materials": missing,
        "related_windows": data.get("related_windows") or [],
        "acceptance_note": decision.reason if decision.decision == REFUSE else decision.note,
        "proxy_agent": data.get("agent") or actor,
        "item": data.get("item_name") or data.get("title"),
        "materials": received,
    }


def decide(
    session: Session, instance: ProcessInstance, decision: Decision, *, actor: str, complete: Complete
) -> dict[str, Any]:
    """Carry out ``decision`` on an item standing at its acceptance step; returns the notice issued."""
    _check(decision)
    step = acceptance_step(session, instance)
    if step is None:
        raise DecisionRefused(
            f"办件 {instance.business_key} 不在受理环节，不能再作收件决定 (the item is past its acceptance step)"
        )
    data = item_data(session, instance)
    complete(step.task_id, _acceptance_values(data, decision, actor))
    if decision.decision == NOTIFY:
        notice = _step(session, instance, "correction_notice")
        values = {
            "missing_materials": decision.missing,
            "correction_days": decision.correction_days,
            "notice_note": decision.note,
            "notice_confirmed": True,
        }
        complete(notice.task_id, _given(values))
    elif decision.decision == REFUSE:
        refusal = _step(session, instance, "refusal")
        complete(refusal.task_id, {"reason": decision.reason, "legal_basis": decision.legal_basis})
    record_decision(session, instance, RECORDED[decision.decision], actor=actor, missing=decision.missing)
    return issue(session, instance.id, DOCUMENT_OF[decision.decision], actor)


def _given(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v not in (None, "")}


def _check(decision: Decision) -> None:
    if decision.decision not in DECISIONS:
        raise DecisionRefused("请选择受理、一次性告知或不予受理 (choose accept, notify or refuse)")
    if decision.decision == NOTIFY and not decision.missing:
        raise DecisionRefused("没有缺少的材料，不能一次性告知补正 (nothing is missing: nothing to notify)")
    if decision.decision == ACCEPT and decision.missing:
        raise DecisionRefused(
            f"必要材料不齐（{'、'.join(decision.missing)}），不能直接受理：请一次性告知补正，或将可容缺的材料标为容缺"
            " (required materials are missing: notify them, or mark tolerable ones as 容缺)"
        )
    if decision.decision == REFUSE and not decision.reason.strip():
        raise DecisionRefused("不予受理须写明理由 (a refusal needs its reason)")


def waiting_for_materials(session: Session, instance: ProcessInstance) -> list[str]:
    """The materials a waiting 补正 asks for ([] when the item does not wait for the applicant's materials)."""
    waits = session.scalar(
        select(MessageSubscription.id).where(
            MessageSubscription.instance_id == instance.id, MessageSubscription.message_name == RESUBMITTED
        )
    )
    if waits is None:
        return []
    data = item_data(session, instance)
    return [str(m) for m in data.get("missing_materials") or []]


def materials_received(
    session: Session, instance: ProcessInstance, arrived: list[str], *, actor: str, complete: Complete
) -> list[str]:
    """补正材料已收到: the applicant brought ``arrived`` (names from the notice). The clock resumes; when every
    notified material arrived the check step is completed as complete; returns what is still missing."""
    asked = waiting_for_materials(session, instance)
    if not asked:
        raise DecisionRefused(
            f"办件 {instance.business_key} 没有在等待补正材料 (the item does not wait for corrected materials)"
        )
    unknown = [a for a in arrived if a not in asked]
    if unknown:
        raise DecisionRefused(f"不是通知补正的材料 (not asked for): {'、'.join(unknown)}")
    if not arrived:
        raise DecisionRefused("请勾选申请人带来的材料 (tick what the applicant brought)")
    still = [m for m in asked if m not in arrived]
    payload = {"materials": arrived, "still_missing": still}
    deliver_message(session, RESUBMITTED, instance.business_key, payload, actor=actor)
    record_arrived(session, instance, arrived, actor=actor, via="correction")
    if not still:
        check_step = _step(session, instance, "materials_check")
        complete(
            check_step.task_id,
            {"received": arrived, "check_note": "补正材料已全部收到 (all corrected materials received)"},
        )
    return still

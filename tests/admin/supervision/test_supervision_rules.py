"""The rule tables in the console (预警规则, 考核规则): supervisors and admins edit, leaders look; audited.

And 审计校验: after one audit row is changed with SQL, the page names that row.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

import runner
from runner.models import AssessmentRule, AuditEntry, Timer, WarningRule
from tests.support.flow import deploy_library, start_item

WARNING_RULES = "/admin/supervision/warning-rules/"
ASSESSMENT_RULES = "/admin/supervision/assessment-rules/"


@pytest.fixture
def people(services, windows, make_user):
    with services.transaction() as s:
        runner.seed_warning_rules(s)
        runner.seed_assessment_rules(s)
    make_user("sup", ("supervision", "supervisor"))
    make_user("admin1", ("centre", "admin"))
    make_user("boss", ("leader", "leader"))
    make_user("centre_head", ("centre", "window_head"))


def rule_id(services, model, **where) -> int:
    with services.transaction() as s:
        query = select(model.id)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return s.scalars(query).one()


def audit(services, prefix: str) -> list[tuple[str, str, dict]]:
    with services.transaction() as s:
        rows = s.scalars(
            select(AuditEntry).where(AuditEntry.action.like(f"{prefix}%")).order_by(AuditEntry.id)
        )
        return [(r.action, r.actor, r.detail) for r in rows]


def test_lists_show_the_defaults(people, signed_in) -> None:
    leader = signed_in("boss")
    page = leader.get(WARNING_RULES).get_data(as_text=True)
    assert "提示" in page and "黄牌" in page and "红牌" in page and "+3" in page
    assert "/new/" not in page  # a leader looks, does not edit
    page = leader.get(ASSESSMENT_RULES).get_data(as_text=True)
    for words in ("承诺件超期办结", "无故超过承诺时限", "投诉经查属实", "工作日"):
        assert words in page
    assert signed_in("centre_head").get(ASSESSMENT_RULES).status_code == 403
    assert leader.get(ASSESSMENT_RULES + "new/").status_code in (302, 403)


def test_supervisor_changes_the_red_card_and_open_items_follow(people, services, signed_in) -> None:
    deploy_library(services, "block_correction.bpmn", "block_refusal.bpmn", "chengnuo.bpmn")
    iid = start_item(services, "chengnuo", {"applicant": "张三"})  # deadline: end of Fri 10-16
    red = rule_id(services, WarningRule, level="red")
    response = signed_in("sup").post(
        f"{WARNING_RULES}edit/?id={red}",
        data={
            "item_kind": "",
            "level": "red",
            "offset_days": "2",
            "active": "y",
            "note": "红牌：超时第2个工作日",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with services.transaction() as s:
        assert s.get(WarningRule, red).offset_days == 2
        due = s.scalars(
            select(Timer.due_at).where(
                Timer.instance_id == iid, Timer.rule_id == red, Timer.status == "pending"
            )
        ).one()
    assert due.isoformat() == "2026-10-20T15:59:59+00:00"  # end of Tue 10-20: 10-19, 10-20 after Fri 10-16
    [(action, actor, detail)] = audit(services, "warning_rule_changed")
    assert (action, actor, detail["before"]["offset_days"], detail["offset_days"]) == (
        "warning_rule_changed", "sup", 3, 2,
    )  # fmt: skip


def test_admin_adds_an_assessment_rule_and_bad_values_are_refused(people, services, signed_in) -> None:
    admin = signed_in("admin1")
    response = admin.post(
        f"{ASSESSMENT_RULES}new/",
        data={"code": "yellow_card", "event": "warning:yellow", "points": "-1", "item_kind": "", "active": "y",
              "note": "黄牌每次扣1分"},
    )  # fmt: skip
    assert response.status_code == 302
    with services.transaction() as s:
        row = s.scalars(select(AssessmentRule).where(AssessmentRule.code == "yellow_card")).one()
        assert (row.event, row.unit, row.points, row.item_kind, row.active) == (
            "warning:yellow",
            "event",
            -1,
            None,
            True,
        )
    assert [(a, who) for a, who, _ in audit(services, "assessment_rule_created")][-1] == (
        "assessment_rule_created", "admin1",
    )  # fmt: skip
    # a duplicate code: the runner refuses, the form says why, nothing is stored
    again = admin.post(
        f"{ASSESSMENT_RULES}new/",
        data={"code": "yellow_card", "event": "warning:red", "points": "-1", "item_kind": "", "active": "y"},
        follow_redirects=True,
    )
    assert "规则代码 yellow_card 已存在" in again.get_data(as_text=True)
    late = rule_id(services, AssessmentRule, code="late_completion")
    too_much = admin.post(
        f"{ASSESSMENT_RULES}edit/?id={late}",
        data={"code": "late_completion", "event": "late_completion", "points": "-500", "item_kind": "", "active": "y"},
        follow_redirects=True,
    )  # fmt: skip
    assert "分值须在" in too_much.get_data(as_text=True)
    with services.transaction() as s:
        assert s.get(AssessmentRule, late).points == -2
        assert s.scalars(select(AssessmentRule.code).where(AssessmentRule.code == "yellow_card")).all() == [
            "yellow_card"
        ]


def test_leader_cannot_post_rule_changes(people, services, signed_in) -> None:
    late = rule_id(services, AssessmentRule, code="late_completion")
    signed_in("boss").post(
        f"{ASSESSMENT_RULES}edit/?id={late}",
        data={"code": "late_completion", "event": "late_completion", "points": "-9", "item_kind": "", "active": "y"},
    )  # fmt: skip
    with services.transaction() as s:
        assert s.get(AssessmentRule, late).points == -2
    assert audit(services, "assessment_rule_changed") == []


def test_audit_page_names_the_first_tampered_row(people, services, signed_in, db_engine) -> None:
    page = signed_in("sup").get("/admin/supervision/audit-verify/").get_data(as_text=True)
    assert 'id="audit-intact"' in page
    with services.transaction() as s:
        entries = s.scalars(
            select(AuditEntry.id).where(AuditEntry.chain == "system").order_by(AuditEntry.id)
        ).all()
    assert len(entries) >= 5
    victim = entries[2]
    with db_engine.begin() as conn:
        conn.execute(text("UPDATE audit_entries SET actor = 'mallory' WHERE id = :id"), {"id": victim})
    page = signed_in("sup").get("/admin/supervision/audit-verify/").get_data(as_text=True)
    assert 'id="audit-broken"' in page
    assert f'data-entry="{victim}" data-chain="system"' in page
    assert f"<strong>#{victim}</strong>" in page
    assert "内容与其哈希不符" in page and "mallory" in page
    assert signed_in("centre_head").get("/admin/supervision/audit-verify/").status_code == 403

"""The rule table in the console (预警规则): supervisors and admins edit, leaders look; audited. The old 考核规则
table is gone: 考核 reads the schemes (考核方案, tests/admin/supervision/test_supervision_assessment.py).

And 审计校验: after one audit row is changed with SQL, the page names that row.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

import runner
from runner.models import AuditEntry, Timer, WarningRule
from runner.supervision.assessment_schemes import store
from tests.support.flow import deploy_library, start_item

WARNING_RULES = "/admin/supervision/warning-rules/"
ASSESSMENT_RULES = "/admin/supervision/assessment-rules/"


@pytest.fixture
def people(services, windows, make_user):
    with services.transaction() as s:
        runner.seed_warning_rules(s)
        store.seed_schemes(s)  # audited rows for the audit check below
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


def test_the_old_assessment_rule_table_is_gone(people, signed_in, db_engine) -> None:
    """Nothing computes with the old 考核规则 table any more: no page, no menu entry, no table, no pointer."""
    from pathlib import Path

    from sqlalchemy import inspect

    sup = signed_in("sup")
    assert sup.get(ASSESSMENT_RULES).status_code == 404
    menu = sup.get("/admin/supervision/assessment/").get_data(as_text=True)
    assert "考核规则" not in menu and "assessment-rules" not in menu
    assert "assessment_rules" not in inspect(db_engine).get_table_names()
    root = Path(__file__).resolve().parents[3]
    pointing = [
        str(path.relative_to(root))
        for path in [
            root / "README.md",
            *(root / "admin").rglob("*.md"),
            *(root / "admin").rglob("*.html"),
            *(root / "workspace").rglob("*.html"),
            *(root / "web").rglob("*.html"),
            *(root / "docs").rglob("*.md"),
        ]  # fmt: skip
        if any(words in path.read_text(encoding="utf-8") for words in ("考核规则", "assessment-rules"))
    ]
    assert pointing == []


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
    # once Tue 10-20 is over: 10-19, 10-20 after Fri 10-16
    assert due.isoformat() == "2026-10-20T16:00:00+00:00"
    [(action, actor, detail)] = audit(services, "warning_rule_changed")
    assert (action, actor, detail["before"]["offset_days"], detail["offset_days"]) == (
        "warning_rule_changed", "sup", 3, 2,
    )  # fmt: skip


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


def test_rule_notes_and_rule_timers_read_in_the_page_language(people, services, signed_in) -> None:
    """The seeded rules' notes and the rule timers' names are the system's words: English with ``?lang=en``
    (a note someone wrote stays as written) (21.12)."""
    deploy_library(services, "block_correction.bpmn", "block_refusal.bpmn", "chengnuo.bpmn")
    iid = start_item(services, "chengnuo", {"applicant": "张三"})
    sup = signed_in("sup")
    chinese = sup.get(WARNING_RULES).get_data(as_text=True)
    assert "黄牌：到达承诺时限" in chinese and "Yellow card: at the promised deadline" not in chinese
    timers = sup.get("/admin/timers/").get_data(as_text=True)
    assert "黄牌预警" in timers and "Yellow card warning" not in timers
    english = sup.get(WARNING_RULES + "?lang=en").get_data(as_text=True)
    assert "Yellow card: at the promised deadline" in english and "黄牌：到达承诺时限" not in english
    timers = sup.get("/admin/timers/?lang=en").get_data(as_text=True)
    assert "Yellow card warning" in timers and "黄牌预警" not in timers
    detail = sup.get(f"/admin/instance/{iid}/?lang=en").get_data(as_text=True)
    assert "Red card warning" in detail and "红牌预警" not in detail
    with services.transaction() as s:
        s.get(WarningRule, rule_id(services, WarningRule, level="red")).note = "红牌：督查股自定"
    assert "红牌：督查股自定" in sup.get(WARNING_RULES + "?lang=en").get_data(as_text=True)

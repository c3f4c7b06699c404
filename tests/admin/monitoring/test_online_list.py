"""The console's 网上申报 list (admin/monitoring/online.py): every application with its state, for overseers."""

from __future__ import annotations

from runner.catalogue import items
from runner.catalogue.applications import Applicant
from runner.online import applications
from tests.support.catalogue import demo
from tests.support.flow import deploy_library


def test_overseers_see_online_applications_and_their_states(services, make_user, signed_in):
    deploy_library(services, "block_correction.bpmn", "block_refusal.bpmn", "chengnuo.bpmn")
    with services.transaction() as s:
        items.save_item(s, demo("SC-001"), actor="admin")
        applications.start_draft(s, "SC-001", Applicant("张三", "11010519491231002X", "13800001234"))
    make_user("duban", ("supervision", "supervisor"))
    make_user("sc_clerk", ("shichang", "clerk"))
    page = signed_in("duban").get("/admin/online/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "SC-001" in text and 'data-state="draft"' in text and "草稿" in text
    assert signed_in("sc_clerk").get("/admin/online/").status_code == 403
    assert signed_in("duban").get("/admin/online/?flt0_0=submitted").status_code == 200


def test_a_pre_review_limit_that_waits_for_next_year_says_so(services, make_user, signed_in):
    """A 预审 limit past the known calendar is shown as what it waits for, not as a blank."""
    deploy_library(services, "block_correction.bpmn", "block_refusal.bpmn", "chengnuo.bpmn")
    with services.transaction() as s:
        items.save_item(s, demo("SC-001"), actor="admin")
        row, _token = applications.start_draft(
            s, "SC-001", Applicant("张三", "11010519491231002X", "13800001234")
        )
        row.review_due, row.review_due_pending_year = None, 2027
    make_user("duban", ("supervision", "supervisor"))
    text = signed_in("duban").get("/admin/online/").get_data(as_text=True)
    assert "待 2027 年节假日安排公布后确定" in text
    export = signed_in("duban").get("/admin/online/export/csv/")
    assert "待 2027 年节假日安排公布后确定" in export.get_data(as_text=True)

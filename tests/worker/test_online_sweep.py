"""The worker's sweep looks after online applications too (worker.jobs.sweep_online → runner.online.sweep)."""

from __future__ import annotations

from runner.catalogue import items
from runner.catalogue.applications import Applicant
from runner.models import OnlineApplication, OnlineFile
from runner.online import applications, files
from tests.support.catalogue import demo
from tests.support.flow import deploy_library
from worker import jobs


def test_the_sweep_expires_abandoned_drafts_and_deletes_their_files(services, clock):
    deploy_library(services, "block_correction.bpmn", "block_refusal.bpmn", "chengnuo.bpmn")
    with services.transaction() as s:
        items.save_item(s, demo("SC-001"), actor="admin")
        row, _ = applications.start_draft(s, "SC-001", Applicant("张三", "11010519491231002X", "13800001234"))
        files.add_files(s, row, [files.Upload("营业执照", "a.pdf", "application/pdf", b"%PDF-1.4 x")])
    clock.advance(hours=services.settings.online_draft_hours + 1)
    jobs.sweep_online(services)
    with services.transaction() as s:
        assert s.query(OnlineApplication).one().state == "expired"
        assert s.query(OnlineFile).count() == 0

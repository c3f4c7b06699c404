"""Online applications run on the catalogue's demo items (``SC-001``: 食品经营许可, open online)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from runner.catalogue import items
from runner.catalogue.applications import Applicant
from runner.models import Notification, OnlineApplication
from runner.online import applications, codes, files, submission
from tests.support.catalogue import demo
from tests.support.flow import deploy_library

CODE = "SC-001"
PDF = b"%PDF-1.4 test material\n"
PERSON = Applicant("张三", "11010519491231002X", "13800001234")


@pytest.fixture
def catalogue(services) -> None:
    deploy_library(services, "block_correction.bpmn", "block_refusal.bpmn", "chengnuo.bpmn")
    from runner.people.directory import seed_demo_users
    from tests.support.flow import library_windows

    with services.transaction() as s:
        seed_demo_users(s, library_windows())
        items.save_item(s, demo(CODE), actor="admin")


def required_materials() -> list[str]:
    return [m["name"] for m in demo(CODE)["materials"] if m["required"]]


def last_code(session: Any, phone: str = PERSON.phone) -> str:
    """The code texted to ``phone`` (the notification's text)."""
    note = (
        session.query(Notification)
        .filter(Notification.to_user == f"tel:{phone}", Notification.kind == "otp")
        .order_by(Notification.id.desc())
        .first()
    )
    return note.message.split("验证码 ")[1][:6]


@pytest.fixture
def submitted(services, catalogue) -> Callable[..., tuple[int, str]]:
    """Factory: a submitted application (number confirmed, every required material uploaded): (id, token)."""

    def make(applicant: Applicant = PERSON) -> tuple[int, str]:
        with services.transaction() as s:
            row, token = applications.start_draft(s, CODE, applicant)
            codes.request_code(s, row)
        with services.transaction() as s:
            row = applications.by_token(s, token)
            assert codes.verify_code(s, row, last_code(s, applicant.phone))
            files.add_files(
                s, row, [files.Upload(n, f"{n}.pdf", "application/pdf", PDF) for n in required_materials()]
            )
            submission.submit(s, row)
            return row.id, token

    return make


def application(services, application_id: int) -> OnlineApplication:
    with services.transaction() as s:
        row = s.get(OnlineApplication, application_id)
        s.expunge(row)
        return row

"""Texts to applicants go through the SMS sender: the log file by default, a gateway class when configured."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from runner.config import Settings
from runner.models import Notification
from runner.online import applications, codes
from runner.senders import LogFileSender, SmtpSender, send_notification, sender_for

from .conftest import CODE, PERSON


class Gateway:
    """An SMS gateway as README describes one: made with the settings, ``send`` raises on failure."""

    sent: ClassVar[list[tuple[str, str]]] = []

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def send(self, recipient: str, subject: str, body: str) -> None:
        self.sent.append((recipient, body))


def test_the_code_is_written_to_the_notification_log_in_development(services, catalogue, tmp_path):
    with services.transaction() as s:
        row, _ = applications.start_draft(s, CODE, PERSON)
        codes.request_code(s, row)
        note_id = s.query(Notification).one().id
    log = tmp_path / "notifications.log"
    with services.transaction() as s:
        assert send_notification(s, note_id, LogFileSender(log)) == "sent"
    line = log.read_text(encoding="utf-8")
    assert "tel:13800001234" in line and "验证码" in line


def test_a_configured_gateway_takes_the_texts_and_only_them(services, catalogue):
    settings = replace(services.settings, sms_sender=f"{__name__}:Gateway")
    assert isinstance(sender_for(settings, "tel:13800001234"), Gateway)
    assert isinstance(sender_for(settings, "clerk_a"), LogFileSender)
    services.settings = settings
    with services.transaction() as s:
        row, _ = applications.start_draft(s, CODE, PERSON)
        codes.request_code(s, row)
        note_id = s.query(Notification).one().id
    with services.transaction() as s:
        send_notification(s, note_id)
    assert Gateway.sent[-1][0] == "tel:13800001234" and "验证码" in Gateway.sent[-1][1]
    assert SmtpSender("h", 25, domain="sms.example").address("tel:13800001234") == "13800001234@sms.example"

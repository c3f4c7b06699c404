"""Notification senders: the in-app row is the record; a job passes it on after the commit only."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

import runner
import worker.jobs
from runner.config import Settings
from runner.items.operations import notify
from runner.models import Notification
from runner.senders import SEND_NOTIFICATION, LogFileSender, SmtpSender, sender_from_settings


def _jobs(services: runner.Services) -> list[tuple[int, ...]]:
    return [j.args for j in services.scheduler.sent if j.func == SEND_NOTIFICATION]  # type: ignore[attr-defined]


def test_log_file_sender_appends_one_line(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "notifications.log"
    sender = LogFileSender(path)
    sender.send("clerk_a", "【办件通知】催办", "请尽快办理\n办件 2026-000001")
    sender.send("window:shebao", "【办件通知】预警", "黄牌")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    assert lines[0].split("\t")[1:] == ["clerk_a", "【办件通知】催办", "请尽快办理 办件 2026-000001"]
    assert lines[1].split("\t")[1:] == ["window:shebao", "【办件通知】预警", "黄牌"]


def test_sender_chosen_by_setting(tmp_path: Path) -> None:
    assert isinstance(sender_from_settings(Settings(notification_log=str(tmp_path / "n.log"))), LogFileSender)
    smtp = sender_from_settings(
        Settings(notification_sender="smtp", smtp_host="mail.example", smtp_port=2525)
    )
    assert isinstance(smtp, SmtpSender) and (smtp.host, smtp.port) == ("mail.example", 2525)
    assert smtp.address("window:shebao") == "shebao@localhost" and smtp.address("a@b.cn") == "a@b.cn"
    with pytest.raises(ValueError):
        sender_from_settings(Settings(notification_sender="pigeon"))


def test_notify_sends_the_job_after_commit_only(services: runner.Services) -> None:
    with services.transaction() as s:
        note = notify(s, "urge", "请尽快办理", english="Please complete it soon", to_user="clerk_a")
        note_id = note.id
        assert _jobs(services) == []  # not before the commit
    assert _jobs(services) == [(note_id,)]

    class Boom(Exception):
        pass

    with pytest.raises(Boom), services.transaction() as s:
        notify(s, "urge", "回滚了", english="Rolled back", to_user="clerk_a")
        raise Boom
    assert _jobs(services) == [(note_id,)]  # a rolled-back notification sends nothing


def test_job_writes_the_log_line_once(
    services: runner.Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log_path = tmp_path / "notifications.log"
    services.settings = replace(services.settings, notification_log=str(log_path))
    monkeypatch.setattr(worker.jobs, "_services", services)
    with services.transaction() as s:
        note_id = notify(
            s,
            "warning",
            "办件 2026-000001 黄牌预警",
            english="Item 2026-000001 yellow card",
            to_window="shebao",
        ).id
    [(job_arg,)] = _jobs(services)
    assert worker.jobs.send_notification(job_arg) == "sent"
    assert worker.jobs.send_notification(job_arg) == "already sent"
    [line] = log_path.read_text(encoding="utf-8").splitlines()
    assert line.split("\t")[1:] == [
        "window:shebao",
        "【办件通知】预警 / Warning",
        "办件 2026-000001 黄牌预警 Item 2026-000001 yellow card",  # both languages, on one log line
    ]
    with services.transaction() as s:
        row = s.get(Notification, note_id)
        assert row is not None and row.sent_at == services.now() and row.read_at is None
        assert runner.send_notification(s, 999999) == "unknown"


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: greeting, EHLO, MAIL, RCPT, DATA, QUIT."""

    def handle(self) -> None:
        received: list[bytes] = self.server.received  # type: ignore[attr-defined]
        self.wfile.write(b"220 test ESMTP\r\n")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb == b"EHLO":
                self.wfile.write(b"250-test\r\n250 8BITMIME\r\n")
            elif verb in (b"HELO", b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                received.append(line.strip())
                self.wfile.write(b"250 ok\r\n")
            elif verb == b"DATA":
                self.wfile.write(b"354 go on\r\n")
                body = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    body += chunk
                received.append(body)
                self.wfile.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"502 no\r\n")


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, list[bytes]]]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SmtpHandler)
    server.daemon_threads = True
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], server.received  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


def test_smtp_sender_talks_smtp_to_a_local_server(smtp_server: tuple[int, list[bytes]]) -> None:
    """A tiny in-test SMTP server on 127.0.0.1 (no network, nothing installed)."""
    port, received = smtp_server
    sender = sender_from_settings(
        Settings(
            notification_sender="smtp", smtp_host="127.0.0.1", smtp_port=port, smtp_domain="centre.gov.cn"
        )
    )
    sender.send("window:shebao", "【办件通知】预警", "黄牌预警")
    assert received[0].upper().startswith(b"MAIL FROM:<BANJIAN@LOCALHOST>")
    assert received[1].upper() == b"RCPT TO:<SHEBAO@CENTRE.GOV.CN>"
    message = received[2].decode()
    assert "To: shebao@centre.gov.cn" in message and "Subject:" in message and "黄牌预警" in message

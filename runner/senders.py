"""Passing notifications on beyond the in-app message centre: a log file (default) or e-mail.

``operations.notify`` stores the ``Notification`` row (the record) and queues the job
``worker.jobs.send_notification`` after the commit; the job calls ``send_notification``, which sends
the row through the configured sender (setting ``notification_sender``) once and stamps ``sent_at``.
"""

from __future__ import annotations

import importlib
import smtplib
import threading
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol, cast

from sqlalchemy.orm import Session

from runner.config import Settings
from runner.core.transaction import services_of
from runner.models import Notification

SEND_NOTIFICATION = "worker.jobs.send_notification"
PHONE_PREFIX = "tel:"  # a recipient that is a mobile number (texts to applicants, runner.online)


class Sender(Protocol):
    """What passes a message on. An SMS gateway is one more class with this method (README: "Connecting an SMS
    gateway"): ``recipient`` is ``tel:<11-digit number>`` for texts, ``body`` the whole text, and it raises on
    failure (the job is then retried by RQ and ``sent_at`` stays empty)."""

    def send(self, recipient: str, subject: str, body: str) -> None: ...


class LogFileSender:
    """Appends one tab-separated line per message to a file (the default; nothing leaves the host)."""

    _lock = threading.Lock()

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def send(self, recipient: str, subject: str, body: str) -> None:
        from datetime import UTC

        def clean(text: str) -> str:
            return text.replace("\t", " ").replace("\r", " ").replace("\n", " ")

        line = "\t".join(
            [datetime.now(UTC).isoformat(timespec="seconds"), clean(recipient), clean(subject), clean(body)]
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, self.path.open("a", encoding="utf-8") as f:
            f.write(line + "\n")


class SmtpSender:
    """Sends an e-mail through an SMTP server (``BANJIAN_SMTP_*`` settings)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        user: str = "",
        password: str = "",
        sender: str = "banjian@localhost",
        starttls: bool = False,
        domain: str = "localhost",
        timeout: float = 10.0,
    ) -> None:
        self.host, self.port, self.user, self.password = host, port, user, password
        self.sender, self.starttls, self.domain, self.timeout = sender, starttls, domain, timeout

    def address(self, recipient: str) -> str:
        """A usable address: ``window:shebao`` → ``shebao@<domain>``, ``clerk_a`` → ``clerk_a@<domain>``."""
        recipient = recipient.removeprefix("window:").removeprefix(PHONE_PREFIX)
        return recipient if "@" in recipient else f"{recipient}@{self.domain}"

    def send(self, recipient: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = self.address(recipient)
        message["Subject"] = subject
        message.set_content(body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.user:
                smtp.login(self.user, self.password)
            smtp.send_message(message)


def sender_from_settings(settings: Settings) -> Sender:
    """The sender chosen by ``notification_sender`` ("log" or "smtp")."""
    kind = settings.notification_sender.strip().lower()
    if kind == "log":
        return LogFileSender(settings.notification_log)
    if kind == "smtp":
        return SmtpSender(
            settings.smtp_host,
            int(settings.smtp_port),
            user=settings.smtp_user,
            password=settings.smtp_password,
            sender=settings.smtp_from,
            starttls=settings.smtp_starttls.strip().lower() in ("1", "yes", "true", "on"),
            domain=settings.smtp_domain,
            timeout=float(settings.smtp_timeout),
        )
    raise ValueError(f"BANJIAN_NOTIFICATION_SENDER must be log or smtp, not {settings.notification_sender!r}")


def sms_sender_from_settings(settings: Settings) -> Sender:
    """The sender of texts: ``sms_sender`` ("package.module:Class", made with the settings), else the
    notification sender (the log file in development; an e-mail-to-SMS gateway through SMTP)."""
    spec = settings.sms_sender.strip()
    if not spec:
        return sender_from_settings(settings)
    module_name, _, class_name = spec.partition(":")
    if not module_name or not class_name:
        raise ValueError(f"BANJIAN_SMS_SENDER must be package.module:Class, not {spec!r}")
    cls = getattr(importlib.import_module(module_name), class_name)
    return cast(Sender, cls(settings))


def sender_for(settings: Settings, recipient: str) -> Sender:
    """Texts to a mobile number go through the SMS sender, everything else through the notification sender."""
    if recipient.startswith(PHONE_PREFIX):
        return sms_sender_from_settings(settings)
    return sender_from_settings(settings)


def recipient_of(note: Notification) -> str:
    """A person's username, else ``window:<code>`` for a window's message centre."""
    if note.to_user:
        return note.to_user
    if note.to_window:
        return f"window:{note.to_window}"
    return "unknown"


def subject_of(note: Notification) -> str:
    """``【办件通知】预警 / Warning``: the kind in both languages."""
    from runner.items.labels import MESSAGE_KINDS

    zh, en = MESSAGE_KINDS.get(note.kind, (note.kind, note.kind))
    return f"【办件通知】{zh} / {en}"


def body_of(note: Notification) -> str:
    """The message in Chinese, then in English on the next line (when it has its English)."""
    if note.message_en and note.message_en != note.message:
        return f"{note.message}\n{note.message_en}"
    return note.message


def send_notification(session: Session, notification_id: int, sender: Sender | None = None) -> str:
    """Send one stored notification through ``sender`` (default: the configured one), at most once."""
    note = session.get(Notification, notification_id)
    if note is None:
        return "unknown"
    if note.sent_at is not None:
        return "already sent"
    services = services_of(session)
    recipient = recipient_of(note)
    if sender is None:
        sender = sender_for(services.settings, recipient)
    sender.send(recipient, subject_of(note), body_of(note))
    note.sent_at = services.now()
    return "sent"

"""The message centre (消息): one message to a person or a window, in both languages.

Every message is written in Chinese and in English (``english`` is required), so that a page in either
language shows it in that language; the senders (log file, e-mail) pass both on. The job that passes a
message on is sent only after the commit.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from runner.core.scheduling import Job
from runner.core.transaction import after_commit, services_of
from runner.models import Notification, ProcessInstance
from runner.senders import SEND_NOTIFICATION

LONGEST = 2000


def notify(
    session: Session,
    kind: str,
    message: str,
    *,
    english: str,
    to_user: str | None = None,
    to_window: str | None = None,
    instance: ProcessInstance | None = None,
    task_id: str | None = None,
) -> Notification:
    """Put ``message`` (Chinese) with its ``english`` in a person's (or a window's) message centre."""
    note = Notification(
        to_user=to_user,
        to_window=to_window,
        kind=kind,
        message=message[:LONGEST],
        message_en=english[:LONGEST],
        instance_id=instance.id if instance is not None else None,
        task_id=task_id,
        created_at=services_of(session).now(),
    )
    session.add(note)
    session.flush()
    after_commit(session, Job(SEND_NOTIFICATION, (note.id,)))
    return note

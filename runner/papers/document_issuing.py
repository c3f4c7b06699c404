"""When a numbered notice is issued: by the diagram at the step it belongs to, by hand, and again (补发).

A diagram issues a document where it belongs with the script helper ``issue_document(kind)`` — the 联办通知
goes out with the review request (``发送联办通知`` / ``发出联审通知``), one numbered copy per related window,
dated that day, its reply-by date counted from then. Issuing a document by hand once it exists does not make
a new one: it is recorded as a re-issue (补发: when, by whom) on every copy, which keeps its first number,
date and text; the print shows the re-issue.
"""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy.orm import Session

from runner.core import audit, hooks
from runner.core.transaction import services_of
from runner.exceptions import NotFound
from runner.items.instances import get as get_instance
from runner.items.views import iso
from runner.models import ProcessInstance
from runner.papers import documents
from runner.timekeeping.deadlines import calendar

SYSTEM_ACTOR = "system"


def centre_name() -> str:
    """The letterhead of documents the platform issues on its own (``BANJIAN_CENTRE_NAME``)."""
    return os.environ.get("BANJIAN_CENTRE_NAME") or documents.DEFAULT_ISSUER


def issue_on_request(session: Session, instance: ProcessInstance, workflow: Any, kind: str) -> None:
    """Issue ``kind`` for an item from its diagram, within the step (``workflow`` as it stands now). A
    document the item cannot have yet is not issued; the audit trail says why."""
    try:
        documents.issue(session, instance.id, kind, SYSTEM_ACTOR, issuer=centre_name(), workflow=workflow)
    except (documents.DocumentNotAvailable, NotFound) as exc:  # not yet, or no such kind of document
        audit.record(session, "document_not_issued", actor=SYSTEM_ACTOR, instance=instance, kind=kind,
                     reason=str(exc))  # fmt: skip


def _issue_asked(session: Session, instance: ProcessInstance, workflow: Any, args: dict[str, Any]) -> None:
    """The script helper ``issue_document(kind)`` (a hook on the script effect, ``runner.core.hooks``)."""
    issue_on_request(session, instance, workflow, args["kind"])


hooks.on_effect("issue_document", _issue_asked)


def reissue(session: Session, instance_id: int, kind: str, actor: str) -> dict[str, Any]:
    """Record a re-issue (补发) of the issued document of ``kind``, on each of its copies; the first issue
    (number, date, text) stays as it was. ``DocumentNotAvailable`` when it was never issued."""
    instance = get_instance(session, instance_id)
    rows = documents.copies(session, instance.id, kind)
    if not rows:
        raise documents.DocumentNotAvailable("文书尚未出具，不能补发 (not issued yet: nothing to re-issue)")
    now = services_of(session).now()
    entry = {"at": iso(now), "date": calendar(session).local_date(now).isoformat(), "by": actor}
    for row in rows:
        row.reissues = [*(row.reissues or []), entry]  # a new list: the JSON column sees the change
        audit.record(session, "document_reissued", actor=actor, instance=instance, kind=kind,
                     number=row.number, document=row.id, addressee=row.addressee,
                     first_issued=iso(row.issued_at))  # fmt: skip
    session.flush()
    return documents.view_with_copies(rows)


def issue_by_hand(
    session: Session, instance_id: int, kind: str, actor: str, *, issuer: str | None = None
) -> tuple[dict[str, Any], bool]:
    """A clerk issues ``kind``: the first issue, or a re-issue of what was issued. Returns the document and
    whether it was a re-issue."""
    if documents.copies(session, instance_id, kind):
        return reissue(session, instance_id, kind, actor), True
    return documents.issue(session, instance_id, kind, actor, issuer=issuer), False

"""Attachment rows (the files themselves live on disk; the web layer writes them)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from runner.core.transaction import services_of
from runner.exceptions import NotFound
from runner.items.views import iso
from runner.models import Attachment


class NoSuchAttachment(NotFound):
    code = "no_such_attachment"


def attachment_view(row: Attachment) -> dict[str, Any]:
    return {
        "id": row.id,
        "instance_id": row.instance_id,
        "task_id": row.task_id,
        "field": row.field,
        "filename": row.filename,
        "storage_name": row.storage_name,
        "content_type": row.content_type,
        "size": row.size,
        "sha256": row.sha256,
        "uploaded_by": row.uploaded_by,
        "uploaded_at": iso(row.uploaded_at),
    }


def add_attachment(
    session: Session,
    *,
    instance_id: int,
    task_id: str | None,
    field: str,
    filename: str,
    storage_name: str,
    content_type: str,
    size: int,
    sha256: str,
    uploaded_by: str,
) -> dict[str, Any]:
    """Record a stored file; returns its view (with the new ``id``)."""
    row = Attachment(
        instance_id=instance_id,
        task_id=task_id,
        field=field[:200],
        filename=filename[:400],
        storage_name=storage_name,
        content_type=content_type[:200],
        size=size,
        sha256=sha256,
        uploaded_by=uploaded_by[:200],
        uploaded_at=services_of(session).now(),
    )
    session.add(row)
    session.flush()
    return attachment_view(row)


def get_attachment(session: Session, attachment_id: int) -> dict[str, Any]:
    row = session.get(Attachment, attachment_id)
    if row is None:
        raise NoSuchAttachment(f"没有附件 {attachment_id} (no such attachment)", attachment=attachment_id)
    return attachment_view(row)


def list_attachments(session: Session, instance_id: int) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(Attachment).where(Attachment.instance_id == instance_id).order_by(Attachment.id)
    )
    return [attachment_view(r) for r in rows]

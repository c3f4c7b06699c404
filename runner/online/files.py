"""The materials an applicant uploads online: each upload is a new version of one material of the item (earlier
versions are kept for the reviewer). Files live in the database with their application, so a transaction stores
all of a page's uploads or none, and deleting an expired draft deletes its files.

The web layer checks each file first (type, first bytes, size: ``forms.attachments.check_upload``); here are the
per-material and per-application limits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, undefer

from runner.exceptions import InvalidInput
from runner.models import OnlineApplication, OnlineFile
from runner.online.applications import EDITABLE, RETURNED, item_body, now, require_state, touch

MAX_VERSIONS = 10  # uploads of one material
MAX_APPLICATION_BYTES = 50 * 1024 * 1024  # every version of every material of one application


@dataclass(frozen=True)
class Upload:
    """One checked file for a material."""

    material: str
    filename: str
    content_type: str
    content: bytes


def _counts(session: Session, row: OnlineApplication) -> tuple[dict[str, int], int]:
    query = (
        select(OnlineFile.material, func.count(), func.coalesce(func.sum(OnlineFile.size), 0))
        .where(OnlineFile.application_id == row.id)
        .group_by(OnlineFile.material)
    )
    versions, total = {}, 0
    for material, n, size in session.execute(query):
        versions[material] = int(n)
        total += int(size)
    return versions, total


def add_files(session: Session, row: OnlineApplication, uploads: list[Upload]) -> list[OnlineFile]:
    """Store ``uploads`` as new versions (all or none). While returned, only the returned materials."""
    require_state(row, *EDITABLE)
    names = [m["name"] for m in item_body(session, row).get("materials", [])]
    versions, total = _counts(session, row)
    added = []
    moment = now(session)
    for upload in uploads:
        if upload.material not in names:
            raise InvalidInput(f"不是本事项的材料 (not a material of this item): {upload.material}")
        if row.state == RETURNED and upload.material not in (row.reasons or {}):
            raise InvalidInput(
                f"材料“{upload.material}”未被退回，无需重新上传 (this material was not returned): {upload.material}"
            )
        if versions.get(upload.material, 0) >= MAX_VERSIONS:
            raise InvalidInput(
                f"材料“{upload.material}”最多上传 {MAX_VERSIONS} 次 (at most {MAX_VERSIONS} uploads per material)"
            )
        total += len(upload.content)
        if total > MAX_APPLICATION_BYTES:
            limit = MAX_APPLICATION_BYTES // (1024 * 1024)
            raise InvalidInput(
                f"本申报的材料合计不能超过 {limit} MB (all files of one application: at most {limit} MB)"
            )
        versions[upload.material] = versions.get(upload.material, 0) + 1
        added.append(
            OnlineFile(
                application_id=row.id,
                material=upload.material,
                version=versions[upload.material],
                filename=upload.filename[:400],
                content_type=upload.content_type[:200],
                size=len(upload.content),
                sha256=hashlib.sha256(upload.content).hexdigest(),
                content=upload.content,
                uploaded_at=moment,
            )
        )
    session.add_all(added)
    touch(session, row)
    session.flush()
    return added


def versions_of(session: Session, row: OnlineApplication) -> dict[str, list[OnlineFile]]:
    """material → its uploads, newest first."""
    out: dict[str, list[OnlineFile]] = {}
    query = (
        select(OnlineFile)
        .where(OnlineFile.application_id == row.id)
        .order_by(OnlineFile.material, OnlineFile.version.desc())
    )
    for f in session.scalars(query):
        out.setdefault(f.material, []).append(f)
    return out


def latest(session: Session, row: OnlineApplication) -> dict[str, OnlineFile]:
    """material → its newest upload."""
    return {name: files[0] for name, files in versions_of(session, row).items()}


def missing_materials(session: Session, row: OnlineApplication, body: dict[str, Any]) -> list[str]:
    """The item's required materials with no upload."""
    have = latest(session, row)
    return [m["name"] for m in body.get("materials", []) if m.get("required", True) and m["name"] not in have]


def not_reuploaded(session: Session, row: OnlineApplication) -> list[str]:
    """Returned materials without an upload since the 退回 (a version above the one the reviewer saw)."""
    have = latest(session, row)
    seen = ((row.reviews or [{}])[-1]).get("versions", {})
    return [
        name for name in (row.reasons or {}) if name not in have or have[name].version <= seen.get(name, 0)
    ]


def file_of(session: Session, row: OnlineApplication, file_id: int) -> OnlineFile | None:
    """One upload of ``row`` with its content (None when it belongs to another application)."""
    found = session.scalars(
        select(OnlineFile)
        .where(OnlineFile.id == file_id, OnlineFile.application_id == row.id)
        .options(undefer(OnlineFile.content))
    ).first()
    return found


def delete_files(session: Session, row: OnlineApplication) -> int:
    """Delete every upload of ``row`` (an expired draft)."""
    result = session.execute(delete(OnlineFile).where(OnlineFile.application_id == row.id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]

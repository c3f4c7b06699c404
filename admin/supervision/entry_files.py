"""记分录入 attachments: the scan of a thank-you letter or a media clipping behind an entered score.

Checked and stored by the platform's attachment store (``forms.attachments``: allowed types, the first bytes
agreeing with the extension, the size limit; on disk under a generated name), referenced from the
``score_entries`` row (name, sha256, storage name). Overseers and the heads of the entry's window download it —
from the entry, from its line in 考核与申诉 (where they appeal) and from the 月报. A refused file, or an entry
the runner refuses, leaves nothing on disk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, abort, flash, redirect, request, send_from_directory, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

import runner
from admin.base import OVERSEERS, services
from forms.attachments import (
    ALLOWED,
    STORAGE_NAME,
    StoredFile,
    attachment_dir,
    discard,
    store_upload,
    upload_limit,
)
from runner.models import ScoreEntry
from web.auth import current_user
from web.i18n import user_message

FIELD = "attachment"
ENTRY_POST = "/admin/supervision/assessment/entries"


def receive() -> StoredFile | None:
    """The checked and stored upload of the entry form, if one was chosen (``UploadRejected`` otherwise)."""
    upload = request.files.get(FIELD)
    if upload is None or not upload.filename:
        return None
    return store_upload(upload, "score_entry")


def reference(stored: StoredFile | None) -> dict[str, str] | None:
    """What the entry row keeps of a stored file."""
    if stored is None:
        return None
    return {"name": stored.filename, "sha256": stored.sha256, "storage": stored.storage_name}


def enter_with(stored: StoredFile | None, action: Callable[[Session], str], back: str) -> Any:
    """Run the entry in one unit of work; the stored file is removed unless the entry was committed."""
    try:
        with services().transaction() as session:
            note = action(session)
    except runner.RunnerError as exc:
        discard([stored] if stored else [])
        flash(_("操作未完成：%(message)s", message=user_message(exc)), "error")
    except Exception:
        discard([stored] if stored else [])
        raise
    else:
        flash(note, "success")
    return redirect(back)


def files_of(session: Session, subjects: Iterable[str]) -> dict[str, dict[str, str]]:
    """Event subject (``entry:9``) → ``{"name", "url"}`` of the entries among ``subjects`` with a file."""
    ids = {int(s.split(":", 1)[1]) for s in subjects if s.startswith("entry:") and s[6:].isdigit()}
    if not ids:
        return {}
    rows = session.execute(
        select(ScoreEntry.id, ScoreEntry.attachment_name).where(
            ScoreEntry.id.in_(sorted(ids)), ScoreEntry.attachment_storage.is_not(None)
        )
    )
    return {
        f"entry:{i}": {
            "name": name or _("附件"),
            "url": url_for("supervision_assessment.attachment", entry_id=i),
        }
        for i, name in rows
    }


def send(entry_id: int) -> Any:
    """The entry's file as a download: overseers and the heads of its window only."""
    with services().transaction() as session:
        row = session.get(ScoreEntry, entry_id)
        found = None if row is None else (row.window, row.attachment_name, row.attachment_storage)
    if found is None or not found[2]:
        abort(404)
    window, name, storage = found
    if not (current_user.has_role(*OVERSEERS) or (window and current_user.heads(window))):
        abort(403)
    if not STORAGE_NAME.match(storage) or not (attachment_dir() / storage).is_file():
        abort(404)
    return send_from_directory(
        attachment_dir(), storage, mimetype=ALLOWED[storage.rsplit(".", 1)[1]][0], as_attachment=True,
        download_name=name or storage, max_age=0,
    )  # fmt: skip


def _raise_limit_for_entries() -> None:
    """The entry form carries a file: lift the app-wide body limit for it (before CSRF reads the form)."""
    if request.method == "POST" and request.path == ENTRY_POST:
        request.max_content_length = upload_limit()


def install(app: Flask) -> None:
    """Register the body-limit hook first among the app's before-request functions."""
    app.before_request_funcs.setdefault(None, []).insert(0, _raise_limit_for_entries)

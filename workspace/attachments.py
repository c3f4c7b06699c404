"""Downloading a form's attachment, or viewing an image or PDF in the browser: only the windows taking part in
the item; the upload size limit of task pages and the page for a too-large upload."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request, send_from_directory
from werkzeug.exceptions import RequestEntityTooLarge

import runner
from forms.attachments import STORAGE_NAME, attachment_dir, human_size, max_bytes, upload_limit
from forms.language import pick
from runner.items.attachments import get_attachment
from runner.items.taskdata import instance_windows
from web.auth import current_user, login_required, services
from workspace.blueprint import bp

# what a browser shows inline (the item page's preview); anything else is only downloaded
PREVIEWABLE = ("image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf")


def may_download(attachment: dict[str, Any]) -> bool:
    """Only users of a window taking part in the attachment's item (checked against runner data)."""
    if not current_user.is_authenticated or not current_user.windows:
        return False
    with services().transaction() as s:
        windows = instance_windows(s, attachment["instance_id"])
    return bool(windows & set(current_user.windows))


@bp.get("/attachments/<int:attachment_id>")
@login_required
def download(attachment_id: int) -> Any:
    """Download an attachment (403 unless one of the user's windows takes part in the item)."""
    try:
        with services().transaction() as s:
            attachment = get_attachment(s, attachment_id)
    except runner.NotFound:
        abort(404)
    if not may_download(attachment):
        abort(403)
    if not STORAGE_NAME.match(attachment["storage_name"]):
        abort(404)
    directory = attachment_dir()
    if not (directory / attachment["storage_name"]).is_file():
        abort(404)
    return send_from_directory(
        directory,
        attachment["storage_name"],
        mimetype=attachment["content_type"],
        as_attachment=True,
        download_name=attachment["filename"],
        max_age=0,
    )


@bp.get("/attachments/<int:attachment_id>/view")
@login_required
def attachment_preview(attachment_id: int) -> Any:
    """An image or PDF attachment shown in the browser (the same people as the download)."""
    try:
        with services().reading() as s:
            found = get_attachment(s, attachment_id)
    except runner.NotFound:
        abort(404)
    if not may_download(found):
        abort(403)
    if found["content_type"] not in PREVIEWABLE or not STORAGE_NAME.match(found["storage_name"]):
        abort(404)
    directory = attachment_dir()
    if not (directory / found["storage_name"]).is_file():
        abort(404)
    return send_from_directory(
        directory, found["storage_name"], mimetype=found["content_type"], as_attachment=False, max_age=0
    )


def _raise_limit_for_uploads() -> None:
    """Task pages and the online application's page may carry files: lift the app-wide body limit for them
    (before CSRF reads the form)."""
    if request.method == "POST" and request.path.startswith(("/tasks/", "/apply/track/")):
        request.max_content_length = upload_limit()


@bp.record_once
def _install(state: Any) -> None:
    # must run before Flask-WTF's CSRF check, which reads the form in an app-level before_request
    state.app.before_request_funcs.setdefault(None, []).insert(0, _raise_limit_for_uploads)


@bp.app_errorhandler(RequestEntityTooLarge)
def too_large(exc: RequestEntityTooLarge) -> Any:
    if request.path.startswith("/api/"):
        return {"code": "too_large", "message": "请求体过大 (request body too large)"}, 413
    limit = human_size(max_bytes())
    message = pick(
        f"上传的内容过大：每个文件不超过 {limit}，请返回后重新选择文件。",
        f"The upload is too large: at most {limit} per file. Go back and choose again.",
    )
    return render_template("error.html", code=413, title=pick("文件过大", "Too large"), message=message), 413

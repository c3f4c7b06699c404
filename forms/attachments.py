"""File fields of forms: uploads checked, stored on disk under a generated name and recorded on the item
(the download page is ``workspace.attachments``).

Configuration (app config, or ``BANJIAN_*`` environment variables through ``from_prefixed_env``):
``ATTACHMENT_DIR`` (default ``var/attachments``; relative paths are under the repository root) and
``ATTACHMENT_MAX_BYTES`` (default 10 MB). Allowed: pdf, jpg/jpeg, png, doc/docx, xls/xlsx; the
extension AND the first bytes of the file must agree. The user's file name is only ever shown: on
disk a file is ``<uuid4 hex>.<ext>``, so no name can reach outside the directory.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from flask import current_app
from werkzeug.datastructures import FileStorage

from forms.language import pick
from runner.items.attachments import add_attachment

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = "var/attachments"
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# room for a page's files besides the per-file limit (the app-wide MAX_CONTENT_LENGTH is smaller)
MAX_FILES_PER_REQUEST = 10

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc / .xls (Compound File)
ZIP = b"PK\x03\x04"  # .docx / .xlsx (Office Open XML)
ALLOWED: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "doc": ("application/msword", (OLE2,)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (ZIP,)),
    "xls": ("application/vnd.ms-excel", (OLE2,)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (ZIP,)),
}
STORAGE_NAME = re.compile(r"^[0-9a-f]{32}\.[a-z]{3,4}$")


class UploadRejected(ValueError):
    """An upload that breaks a limit; ``text`` is the message for the page language."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(zh)
        self.zh, self.en = zh, en

    @property
    def text(self) -> str:
        return pick(self.zh, self.en)


@dataclass(frozen=True)
class StoredFile:
    field: str
    filename: str
    storage_name: str
    content_type: str
    size: int
    sha256: str
    path: Path


def human_size(size: int) -> str:
    """``10 MB`` / ``512 KB``."""
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:g} MB"
    return f"{size / 1024:.0f} KB" if size >= 1024 else f"{size} B"


def attachment_dir() -> Path:
    configured = current_app.config.get("ATTACHMENT_DIR") or DEFAULT_DIR
    path = Path(str(configured))
    return path if path.is_absolute() else ROOT / path


def max_bytes() -> int:
    try:
        return int(current_app.config.get("ATTACHMENT_MAX_BYTES") or DEFAULT_MAX_BYTES)
    except (TypeError, ValueError):
        return DEFAULT_MAX_BYTES


def display_name(filename: str | None) -> str:
    """The user's file name for display: last path component, no control characters, ≤ 200 chars."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".") or "file"
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:190] + dot + ext) if dot and len(ext) <= 8 else name[:200]
    return name


def extension(filename: str | None) -> str:
    name = display_name(filename)
    return name.rpartition(".")[2].lower() if "." in name else ""


def _size(stream: IO[bytes]) -> int:
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    return size


def check_upload(upload: FileStorage) -> tuple[str, int]:
    """``(extension, size)`` of an acceptable upload; ``UploadRejected`` otherwise."""
    ext, name = extension(upload.filename), display_name(upload.filename)
    if ext not in ALLOWED:
        raise UploadRejected(
            f"不支持的文件类型“{ext or '无扩展名'}”：仅限 PDF、JPG、PNG、DOC/DOCX、XLS/XLSX（文件 {name}）",
            f'File type "{ext or "none"}" not allowed: PDF, JPG, PNG, DOC/DOCX, XLS/XLSX only (file {name})',
        )
    size = _size(upload.stream)
    if size == 0:
        raise UploadRejected(f"文件 {name} 是空的", f"The file {name} is empty")
    limit = max_bytes()
    if size > limit:
        raise UploadRejected(
            f"文件 {name} 超过 {human_size(limit)} 的上限",
            f"The file {name} exceeds the {human_size(limit)} limit",
        )
    head = upload.stream.read(16)
    upload.stream.seek(0)
    if not any(head.startswith(magic) for magic in ALLOWED[ext][1]):
        raise UploadRejected(
            f"文件 {name} 的内容与扩展名 .{ext} 不符",
            f"The content of the file {name} does not match its .{ext} extension",
        )
    return ext, size


def store_upload(upload: FileStorage, field: str) -> StoredFile:
    """Write a checked upload to the attachment directory under a new uuid name."""
    ext, _ = check_upload(upload)
    directory = attachment_dir()
    directory.mkdir(parents=True, exist_ok=True)
    storage_name = f"{uuid.uuid4().hex}.{ext}"
    path = directory / storage_name
    digest = hashlib.sha256()
    size = 0
    with path.open("xb") as out:
        while chunk := upload.stream.read(64 * 1024):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return StoredFile(
        field, display_name(upload.filename), storage_name, ALLOWED[ext][0], size, digest.hexdigest(), path
    )


def discard(stored: list[StoredFile]) -> None:
    """Remove files whose rows were never committed."""
    for item in stored:
        item.path.unlink(missing_ok=True)


def record(
    session: Any, stored: list[StoredFile], *, instance_id: int, task_id: str, actor: str
) -> dict[str, list[dict[str, Any]]]:
    """Insert the rows of stored files (in the caller's transaction): field → ``[{"id", "filename"}]``."""
    refs: dict[str, list[dict[str, Any]]] = {}
    for item in stored:
        row = add_attachment(
            session,
            instance_id=instance_id,
            task_id=task_id,
            field=item.field,
            filename=item.filename,
            storage_name=item.storage_name,
            content_type=item.content_type,
            size=item.size,
            sha256=item.sha256,
            uploaded_by=actor,
        )
        refs.setdefault(item.field, []).append({"id": row["id"], "filename": row["filename"]})
    return refs


def upload_limit() -> int:
    """The largest request body a page with file fields accepts."""
    return max_bytes() * MAX_FILES_PER_REQUEST + 1024 * 1024

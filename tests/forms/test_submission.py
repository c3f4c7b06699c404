"""The shared form check (forms/submission.py): a JSON submission gives the same task data as the
workspace's form post of the same values, in every field type; each wrong shape, unknown, hidden or
computed key is refused with its field named, in Chinese and English."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from forms import submission
from forms.schema import form_class, parse_schema
from forms.submission import FieldInvalid, FormContext, SubmissionInvalid, task_data_from_json

OPINION_CHOICES = [
    {"value": "agree", "label": "同意", "label_en": "Agree"},
    {"value": "agree_with_conditions", "label": "附条件同意"},
    {"value": "disagree", "label": "不同意"},
]
SCHEMA = parse_schema(
    {
        "title": "样例",
        "fields": [
            {"name": "applicant", "type": "text", "label": "申请人", "required": True, "max": 20},
            {"name": "note", "type": "textarea", "label": "说明"},
            {"name": "days", "type": "integer", "label": "天数", "min": 1, "max": 30},
            {"name": "amount", "type": "number", "label": "金额", "min": 0},
            {"name": "eligible", "type": "boolean", "label": "符合条件", "required": True},
            {"name": "confirmed", "type": "boolean", "label": "确认", "widget": "checkbox"},
            {"name": "result", "type": "choice", "label": "意见", "choices": OPINION_CHOICES[::2]},
            {"name": "windows", "type": "multichoice", "label": "窗口", "choices_from": "windows"},
            {"name": "due_on", "type": "date", "label": "日期"},
            {"name": "meet_at", "type": "datetime", "label": "时间"},
            {"name": "things", "type": "list", "label": "清单"},
            {
                "name": "received",
                "type": "checklist",
                "label": "收件",
                "items": [{"label": "申请书"}, {"label": "身份证"}],
                "missing": "missing",
                "complete": "complete",
            },
            {
                "name": "attendance",
                "type": "multichoice",
                "label": "出席",
                "choices_from": "data:related_windows",
            },
            {
                "name": "opinions",
                "type": "opinions",
                "label": "意见",
                "choices": OPINION_CHOICES,
                "windows_from": "related_windows",
                "present_field": "attendance",
            },
            {"name": "only_here", "type": "text", "label": "仅甲流程", "only_for": ["jia"]},
            {"name": "attachments", "type": "file", "label": "附件"},
        ],
        "rules": [
            {
                "when": {"field": "result", "equals": "disagree"},
                "require": ["note"],
                "message": "不同意须说明理由",
                "message_en": "Say why",
            }
        ],
        "derive": [{"name": "agreed", "field": "result", "op": "equals", "value": "agree"}],
    },
    "sample.json",
    "sample",
)
WINDOWS = {"guotu": "国土资源窗口", "huanbao": "环保窗口", "guihua": "规划建设窗口"}
BASE = {"applicant": "张三", "eligible": True}


def ctx() -> FormContext:
    return FormContext(
        data={"related_windows": ["guotu", "huanbao"]},
        windows=dict(WINDOWS),
        now=datetime(2026, 9, 28, 1, 0, tzinfo=UTC),
        definition_key="yi",
    )


@pytest.fixture
def app() -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="test", WTF_CSRF_ENABLED=False)
    return app


def workspace(app: Flask, posted: list[tuple[str, str]]) -> dict[str, Any]:
    """The task data the workspace page makes of a form post (validation must pass)."""
    with app.test_request_context("/", method="POST", data=MultiDict(posted)):
        form = form_class(SCHEMA)(ctx=ctx())
        assert form.validate(), {k: v for k, v in form.errors.items() if v}
        return form.task_data()


def problems(document: dict[str, Any]) -> dict[str, FieldInvalid]:
    with pytest.raises(SubmissionInvalid) as caught:
        task_data_from_json(SCHEMA, ctx(), document)
    return caught.value.errors


def test_json_values_give_the_workspace_task_data(app: Flask) -> None:
    document = {
        "applicant": "  张三  ",
        "note": "第一行\n第二行",
        "days": 3,
        "amount": 52340.5,
        "eligible": True,
        "confirmed": True,
        "result": "agree",
        "windows": ["huanbao", "guotu"],
        "due_on": "2026-10-09",
        "meet_at": "2026-09-30T09:30",
        "things": ["营业执照", "法人 身份证"],
        "received": ["申请书"],
        "attendance": ["guotu"],
        "opinions": {"guotu": {"result": "agree_with_conditions", "conditions": "退让红线"}, "huanbao": None},
        "attachments": [],
    }
    posted = [
        ("applicant", "  张三  "),
        ("note", "第一行\n第二行"),
        ("days", "3"),
        ("amount", "52,340.50"),
        ("eligible", "true"),
        ("confirmed", "y"),
        ("result", "agree"),
        ("windows", "huanbao"),
        ("windows", "guotu"),
        ("due_on", "2026/10/09"),
        ("meet_at", "2026-09-30T09:30"),
        ("things", "营业执照\n法人 身份证"),
        ("received", "申请书"),
        ("attendance", "guotu"),
        ("opinions-guotu-result", "agree_with_conditions"),
        ("opinions-guotu-conditions", "退让红线"),
    ]
    data = task_data_from_json(SCHEMA, ctx(), document)
    assert data == workspace(app, posted)
    assert data["amount"] == 52340.5 and data["windows"] == ["guotu", "huanbao"]  # the list's own order
    assert data["meet_at"] == "2026-09-30T09:30:00+08:00"
    assert (data["missing"], data["complete"], data["agreed"]) == (["身份证"], False, True)
    assert data["opinions"] == {
        "guotu": {"result": "agree_with_conditions", "reason": "", "conditions": "退让红线"}
    }
    assert "only_here" not in data  # a field of another process is not set


def test_the_string_forms_of_the_page_are_accepted_too(app: Flask) -> None:
    strings = {
        **BASE,
        "eligible": "false",
        "days": " 12 ",
        "amount": "7",
        "confirmed": "y",
        "things": "营业执照\n\n营业执照\n章程",
        "due_on": "2026/10/09",
    }
    posted = [(k, str(v)) for k, v in strings.items()]
    data = task_data_from_json(SCHEMA, ctx(), strings)
    assert data == workspace(app, posted)
    assert (data["eligible"], data["days"], data["amount"], data["confirmed"]) == (False, 12, 7, True)
    assert data["things"] == ["营业执照", "章程"]


def test_a_missing_key_or_null_is_a_blank_field(app: Flask) -> None:
    data = task_data_from_json(SCHEMA, ctx(), {**BASE, "note": None, "confirmed": None})
    assert data == workspace(app, [("applicant", "张三"), ("eligible", "true")])
    assert (data["note"], data["days"], data["confirmed"], data["things"], data["result"]) == (
        "",
        None,
        False,
        [],
        None,
    )
    assert data["agreed"] is False and data["missing"] == ["申请书", "身份证"]


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("applicant", None, "请填写此项 (This field is required)"),
        ("applicant", 5, "应为文字 (must be a string)"),
        ("applicant", "张" * 21, "最多 20 个字（现有 21 个） (At most 20 characters (21 given))"),
        ("days", 2.5, "请输入整数 (Enter a whole number)"),
        ("days", True, "请输入整数 (Enter a whole number)"),
        ("days", "三", "请输入整数 (Enter a whole number)"),
        ("days", [3], "请输入整数 (Enter a whole number)"),
        ("days", 31, "不能大于 30 (Must be at most 30)"),
        ("amount", "abc", "请输入数字 (Enter a number)"),
        ("amount", False, "请输入数字 (Enter a number)"),
        ("amount", -1, "不能小于 0 (Must be at least 0)"),
        ("eligible", "maybe", "请选择“是”或“否” (Choose yes or no)"),
        ("eligible", None, "请选择“是”或“否” (Choose yes or no)"),
        ("eligible", 1, "应为 true 或 false (must be true or false)"),
        ("confirmed", "no", "应为 true 或 false (must be true or false)"),
        ("result", "perhaps", "选项无效，请重新选择 (Not a valid choice)"),
        ("result", ["agree"], "应为文字 (must be a string)"),
        ("windows", "guotu", "应为文字列表 (must be an array of strings)"),
        ("windows", [1], "应为文字列表 (must be an array of strings)"),
        ("windows", ["nowhere"], "包含无效的选项，请重新选择 (Contains an invalid choice)"),
        ("due_on", "10月9日", "日期格式应为 年-月-日，如 2026-10-09 (Use the date format YYYY-MM-DD)"),
        ("due_on", 20261009, "应为文字 (must be a string)"),
        ("meet_at", "明天上午", "(Use the format YYYY-MM-DD HH:MM)"),
        ("things", ["营业执照\n章程"], "(must be an array of one-line strings)"),
        ("things", {"a": "b"}, "(must be an array of one-line strings)"),
        ("received", ["营业执照"], "(Contains an invalid choice)"),
        ("opinions", {"guotu": {"result": "agree", "colour": "x"}}, "(must be an object {window:"),
        ("opinions", ["guotu"], "(must be an object {window:"),
        ("opinions", {"guihua": {"result": "agree"}}, "(Contains a window that does not take part)"),
        ("opinions", {"huanbao": {"result": "agree"}}, "(环保窗口 was absent: no opinion can be recorded)"),
        ("attachments", ["a.pdf"], "(the API takes no attachments; upload them in the workspace)"),
        ("only_here", "x", "本流程的此表单没有此字段 (not a field of this form in this process)"),
        ("agreed", True, "(computed by the form from other fields; do not send it)"),
        ("missing", [], "(computed by the form from other fields; do not send it)"),
        ("colour", "red", "表单中没有此字段 (not a field of this form)"),
    ],
)
def test_each_wrong_value_is_refused_naming_its_field(name: str, value: Any, expected: str) -> None:
    found = problems({**BASE, name: value})
    assert list(found) == [name]
    assert expected in found[name].bilingual


def test_cross_field_rules_and_every_problem_at_once() -> None:
    found = problems({"result": "disagree", "days": 0, "colour": "red"})
    assert {k: v.bilingual for k, v in found.items()} == {
        "colour": "表单中没有此字段 (not a field of this form)",
        "applicant": "请填写此项 (This field is required)",
        "days": "不能小于 1 (Must be at least 1)",
        "eligible": "请选择“是”或“否” (Choose yes or no)",
        "note": "不同意须说明理由 (Say why)",
    }


def test_the_check_needs_no_request_no_wtforms_and_no_runner() -> None:
    """Every door can call it: it imports the standard library only (and the schema model for typing)."""
    tree = ast.parse(Path(submission.__file__).read_text(encoding="utf-8"))
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {
        n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 0
    }
    assert not imported & {"flask", "flask_wtf", "flask_babel", "wtforms", "werkzeug", "runner", "sqlalchemy"}


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("2026-09-29", "2026-09-29"),
        ("2026-09-28T17:30:00+00:00", "2026-09-29"),  # 01:30 in Beijing: the centre's day, not UTC's
        ("2026-09-29T01:30:00", "2026-09-29"),  # a moment without a zone is the centre's own
    ],
)
def test_a_date_field_shows_a_stored_moment_as_the_centres_day(stored: str, shown: str) -> None:
    from forms.schema import FieldSpec

    assert submission.input_for(FieldSpec(name="d", type="date", label="日期"), stored, ctx()) == shown


def test_a_page_date_of_a_moment_written_as_text_is_its_local_day(app: Flask) -> None:
    from web.filters import page_date, paper_date

    with app.app_context():
        assert paper_date("2026-09-28T17:30:00+00:00") == "2026年9月29日"
        assert paper_date("2026-09-28T15:59:00+00:00") == "2026年9月28日"
        assert paper_date("2026-09-28") == "2026年9月28日"
    with app.test_request_context("/"):
        assert page_date("2026-09-28T17:30:00+00:00") == "2026年9月29日"

"""Form schemas (forms/schemas/*.json, forms/schema.py): coverage of the process library, checking of
wrong schemas, each field type's validation with its Chinese message, cross-field rules, task data."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from lxml import etree
from werkzeug.datastructures import MultiDict

from forms.schema import (
    SCHEMA_DIR,
    FieldSpec,
    FormContext,
    SchemaError,
    form_class,
    get_schema,
    load_all,
    load_schema,
    parse_schema,
    show_rows,
)
from forms.submission import FieldInvalid, parse_value
from runner.core.conventions import GENERIC_FORM

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "bpmn"
NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
# Mon 2026-09-28 09:00 Shanghai
NOW = datetime(2026, 9, 28, 1, 0, tzinfo=UTC)


def library_form_keys() -> dict[str, set[str]]:
    """formKey → the process ids (definition keys) using it, read from every diagram of the library."""
    keys: dict[str, set[str]] = {}
    for path in sorted(LIBRARY.glob("*.bpmn")):
        root = etree.parse(str(path)).getroot()
        for process in root.iter(f"{{{NS['bpmn']}}}process"):
            for prop in process.iterfind(".//spiffworkflow:property[@name='formKey']", NS):
                keys.setdefault(prop.get("value", "").strip(), set()).add(process.get("id"))
    return keys


def library_processes() -> set[str]:
    ids: set[str] = set()
    for path in LIBRARY.glob("*.bpmn"):
        ids |= {p.get("id") for p in etree.parse(str(path)).getroot().iter(f"{{{NS['bpmn']}}}process")}
    return ids


def ctx(**data: Any) -> FormContext:
    windows = {
        "guotu": "国土资源窗口",
        "huanbao": "环保窗口",
        "guihua": "规划建设窗口",
        "shichang": "市场监管窗口",
    }
    return FormContext(data=data, windows=windows, now=NOW, definition_key=data.pop("_definition", None))


def spec(typ: str, **kw: Any) -> FieldSpec:
    raw = {"name": "f", "type": typ, "label": "字段", **kw}
    return parse_schema({"title": "t", "fields": [raw]}, "t.json", "t").fields[0]


def error(typ: str, raw: Any, context: FormContext | None = None, **kw: Any) -> str:
    with pytest.raises(FieldInvalid) as caught:
        parse_value(spec(typ, **kw), raw, context or ctx())
    return str(caught.value)


# ---- the library ---------------------------------------------------------------------------------


def test_every_form_key_of_the_library_has_a_schema_and_every_schema_is_used() -> None:
    used = library_form_keys()
    schemas = load_all()
    assert "" not in used, "a user task has an empty formKey"
    assert sorted(set(used) - set(schemas)) == [], "form keys without a schema in forms/schemas/"
    # the generic task form is every task's without a formKey (runner.core.conventions.GENERIC_FORM)
    assert sorted(set(schemas) - set(used) - {GENERIC_FORM}) == [], "schemas no diagram uses"


def test_every_schema_parses_and_names_only_library_processes() -> None:
    processes = library_processes()
    for path in sorted(SCHEMA_DIR.glob("*.json")):
        schema = load_schema(path)  # raises SchemaError naming the file and field
        assert schema.title and schema.fields, path.name
        for field in schema.fields:
            assert set(field.only_for) <= processes, f"{path.name}: {field.name} only_for unknown process"
        form_class(schema)  # a WTForms class can be built


# what the diagrams' gateways, scripts and tests read from each form (see tests/bpmn/)
DIAGRAM_NAMES = {
    "acceptance": {"eligible", "materials_complete", "missing_materials", "applicant"},
    "correction_notice": {"missing_materials", "correction_days"},
    "materials_check": {"complete"},
    "refusal": {"reason", "legal_basis"},
    "review": {"needs_survey", "eligible", "review_opinion"},
    "site_survey": {"survey_result"},
    "decision": {"decision", "approved", "reason", "decision_no"},
    "joint_acceptance": {"related_windows", "materials_complete", "materials_list", "review_days"},
    "window_review": {
        "result",
        "conditions",
        "reason",
        "request_extension",
        "extension_days",
        "extension_reason",
    },
    "extension_decision": {"approved", "decision_note"},
    "joint_consolidation": {"decision", "decision_reason"},
    "meeting_schedule": {"meeting_at", "place", "related_windows", "invite_applicant", "materials_to_bring"},
    "meeting_minutes": {
        "attendance",
        "opinions",
        "decided_on_spot",
        "decision",
        "memo",
        "final_decision_days",
    },
    "tolerance_commitment": {"supply_by", "secondary_materials", "commitment_signed"},
    "tolerance_overdue": {"overdue_action", "overdue_note"},
    "tolerance_withdrawal": {"withdrawal_no"},
    "return_notice": {"return_note"},
    "upper_report": {"report_no", "upper_authority", "summary"},
    "upper_feedback": {"feedback_method", "feedback_content"},
    "supervision_review": {"finding", "urge_note", "cause"},
    "delay_cause": {"fault", "explanation"},
    "delay_applicant_fault": {"action", "note"},
    "delay_remedy_plan": {"explanation", "remedy", "new_date"},
    "delay_followup": {"contacted", "applicant_opinion", "confirmed"},
    "transfer_acceptance_letter": {"letter_no", "old_office", "sent_on"},
    "transfer_out": {"transfer_no", "fund_amount"},
    "proxy_acceptance": {"applicant", "proxy_agent", "item"},
    "proxy_delivery": {"delivered_to", "delivery_method", "result_doc"},
    "completion_notice": {"delivery", "result_doc_no", "result"},
    "acceptance_notice": {"notice_no"},
    "complaint_register": {"window", "register_note"},
    "complaint_answer": {"answer", "measures"},
    "complaint_feedback": {"verified", "feedback"},
    "complaint_revisit": {"revisit_result", "revisit_note"},
}


@pytest.mark.parametrize("form_key", sorted(DIAGRAM_NAMES))
def test_schema_sets_the_names_the_diagram_reads(form_key: str) -> None:
    assert DIAGRAM_NAMES[form_key] <= get_schema(form_key).output_names()


def test_choice_values_match_the_gateways() -> None:
    def values(key: str, name: str) -> set[str]:
        return {c.value for c in get_schema(key).field(name).choices}

    assert values("window_review", "result") == {
        "agree",
        "agree_with_conditions",
        "disagree",
        "refuse_participation",
    }
    assert (
        values("decision", "decision") == values("joint_consolidation", "decision") == {"approve", "refuse"}
    )
    assert values("tolerance_overdue", "overdue_action") == {"suspend", "withdraw", "return"}
    assert values("delay_cause", "fault") == {"applicant", "agency"}
    assert values("delay_applicant_fault", "action") == {"return", "correction"}
    assert get_schema("meeting_minutes").field("opinions").windows_from == "related_windows"


# ---- wrong schemas -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "extra", "expected"),
    [
        ([{"name": "a", "type": "colour", "label": "甲"}], {}, "bad.json: 字段 a: 未知类型 'colour'"),
        ([{"name": "a", "type": "text"}], {}, "bad.json: 字段 a: 缺少 “label”"),
        (
            [{"name": "a", "type": "choice", "label": "甲"}],
            {},
            "bad.json: 字段 a: 需要 “choices” 或 “choices_from”",
        ),
        (
            [{"name": "a", "type": "choice", "label": "甲", "choices": [{"value": "x"}]}],
            {},
            "bad.json: 字段 a: 选项 x 缺少中文 label",
        ),
        (
            [{"name": "a", "type": "text", "label": "甲", "colour": 1}],
            {},
            "bad.json: 字段 a: 类型 text 不认识的属性: colour",
        ),
        (
            [{"name": "Bad-Name", "type": "text", "label": "甲"}],
            {},
            "bad.json: fields[0]: 名称 'Bad-Name' 无效",
        ),
        ([{"name": "data", "type": "text", "label": "甲"}], {}, "bad.json: 字段 data: 此名称为保留字"),
        ([{"name": "a", "type": "text", "label": "甲"}] * 2, {}, "bad.json: 字段 a: 字段名重复"),
        (
            [{"name": "a", "type": "integer", "label": "甲", "min": 5, "max": 1}],
            {},
            "bad.json: 字段 a: “min” 大于 “max”",
        ),
        (
            [{"name": "a", "type": "text", "label": "甲"}],
            {"rules": [{"when": {"field": "b", "equals": 1}, "require": ["a"]}]},
            "bad.json: 字段 b: rules[0]: 条件引用了不存在的字段",
        ),
        (
            [{"name": "a", "type": "text", "label": "甲"}],
            {"rules": [{"when": {"field": "a", "equals": 1}, "require": ["c"]}]},
            "bad.json: 字段 c: rules[0]: 引用了不存在的字段",
        ),
        (
            [{"name": "a", "type": "text", "label": "甲"}],
            {"derive": [{"name": "b", "field": "zz", "op": "equals", "value": 1}]},
            "bad.json: derive[0]: 引用了不存在的字段 'zz'",
        ),
        (
            [{"name": "a", "type": "checklist", "label": "甲"}],
            {},
            "bad.json: 字段 a: 清单需要 “items” 或 “items_from”",
        ),
        ([{"name": "a", "type": "text", "label": "甲"}], {"colour": 1}, "bad.json: 不认识的属性: colour"),
    ],
)
def test_a_wrong_schema_is_reported_with_its_file_and_field(
    fields: list[dict[str, Any]], extra: dict[str, Any], expected: str
) -> None:
    with pytest.raises(SchemaError) as caught:
        parse_schema({"title": "表单", "fields": fields, **extra}, "bad.json", "bad")
    assert str(caught.value).startswith(expected), str(caught.value)


def test_broken_json_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "title": "x",\n  "fields": [,]\n}', encoding="utf-8")
    with pytest.raises(SchemaError, match=r"^broken\.json: 不是合法的 JSON：第 3 行"):
        load_schema(path)


def test_form_key_must_match_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "review.json"
    path.write_text(json.dumps({"form_key": "decision", "title": "x", "fields": []}), encoding="utf-8")
    with pytest.raises(SchemaError, match="form_key 'decision' 与文件名 'review' 不一致"):
        load_schema(path)


# ---- one field at a time -------------------------------------------------------------------------


def test_text_and_textarea() -> None:
    assert parse_value(spec("text"), "  张三   李四 ", ctx()) == "张三 李四"
    assert parse_value(spec("textarea"), " 第一行\n第二行 ", ctx()) == "第一行\n第二行"
    assert parse_value(spec("text"), "", ctx()) == ""
    assert error("text", "  ", required=True) == "请填写此项"
    assert error("text", "一二三四五", max=4) == "最多 4 个字（现有 5 个）"
    assert error("textarea", "x" * 2001) == "最多 2000 个字（现有 2001 个）"  # default limit
    assert error("text", "abc", pattern="[0-9]+", pattern_message="请填写数字") == "请填写数字"


def test_integer_and_number() -> None:
    assert parse_value(spec("integer"), " 12 ", ctx()) == 12
    assert parse_value(spec("integer"), "", ctx()) is None
    assert error("integer", "三", min=1) == "请输入整数"
    assert error("integer", "1.5") == "请输入整数"
    assert error("integer", "0", min=1, max=15) == "不能小于 1"
    assert error("integer", "16", min=1, max=15) == "不能大于 15"
    assert error("integer", "", required=True) == "请填写此项"
    assert parse_value(spec("number"), "52,340.50", ctx()) == 52340.5
    assert parse_value(spec("number"), "7", ctx()) == 7
    assert error("number", "abc") == "请输入数字"
    assert error("number", "NaN") == "请输入数字"
    assert error("number", "-1", min=0) == "不能小于 0"


def test_boolean_radio_and_checkbox() -> None:
    assert parse_value(spec("boolean"), "true", ctx()) is True
    assert parse_value(spec("boolean"), "false", ctx()) is False
    assert parse_value(spec("boolean"), None, ctx()) is None
    assert error("boolean", None, required=True) == "请选择“是”或“否”"
    assert error("boolean", "maybe") == "请选择“是”或“否”"
    assert parse_value(spec("boolean", widget="checkbox"), True, ctx()) is True
    assert parse_value(spec("boolean", widget="checkbox"), False, ctx()) is False
    assert error("boolean", False, widget="checkbox", required=True) == "请勾选确认"


def test_choice_and_multichoice() -> None:
    choices = [{"value": "agree", "label": "同意"}, {"value": "disagree", "label": "不同意"}]
    assert parse_value(spec("choice", choices=choices), "agree", ctx()) == "agree"
    assert parse_value(spec("choice", choices=choices), "", ctx()) is None
    assert error("choice", "", choices=choices, required=True) == "请选择一项"
    assert error("choice", "<script>", choices=choices) == "选项无效，请重新选择"
    windows = spec("multichoice", choices_from="windows", required=True, max=2)
    assert parse_value(windows, ["huanbao", "guotu", "guotu"], ctx()) == ["guotu", "huanbao"]  # list order
    with pytest.raises(FieldInvalid, match="请至少选择一项"):
        parse_value(windows, [], ctx())
    with pytest.raises(FieldInvalid, match="最多选择 2 项"):
        parse_value(windows, ["guotu", "huanbao", "guihua"], ctx())
    with pytest.raises(FieldInvalid, match="包含无效的选项"):
        parse_value(windows, ["nowhere"], ctx())
    from_data = spec("multichoice", choices_from="data:related_windows")
    assert parse_value(from_data, ["huanbao"], ctx(related_windows=["guotu", "huanbao"])) == ["huanbao"]
    with pytest.raises(FieldInvalid, match="包含无效的选项"):
        parse_value(from_data, ["guihua"], ctx(related_windows=["guotu", "huanbao"]))


def test_date_and_datetime() -> None:
    assert parse_value(spec("date"), "2026-10-09", ctx()) == "2026-10-09"
    assert parse_value(spec("date"), "2026/10/09", ctx()) == "2026-10-09"
    assert error("date", "10月9日") == "日期格式应为 年-月-日，如 2026-10-09"
    assert error("date", "2026-09-27", min="today") == "不能早于 2026-09-28"
    assert error("date", "2026-09-29", max="today") == "不能晚于 2026-09-28"
    # a datetime-local value is Shanghai time: stored as ISO with its offset
    assert parse_value(spec("datetime"), "2026-09-30T09:30", ctx()) == "2026-09-30T09:30:00+08:00"
    assert parse_value(spec("datetime"), "2026-09-30T01:30:00+00:00", ctx()) == "2026-09-30T09:30:00+08:00"
    assert error("datetime", "明天上午") == "时间格式应为 年-月-日 时:分，如 2026-09-30 09:30"
    assert error("datetime", "2026-09-28T08:59", min="now") == "不能早于当前时间"
    assert error("datetime", "", required=True) == "请填写此项"


def test_list_one_item_per_line() -> None:
    assert parse_value(spec("list"), "营业执照\n\n  法人 身份证 \n营业执照\n", ctx()) == [
        "营业执照",
        "法人 身份证",
    ]
    assert parse_value(spec("list"), "", ctx()) == []
    assert error("list", " \n ", required=True) == "请至少填写一项（每行一项）"
    assert error("list", "a\nb\nc", max=2) == "最多填写 2 项"
    assert error("list", "x" * 201) == "每项最多 200 个字"


def test_checklist_items_from_task_data_or_schema() -> None:
    checklist = spec(
        "checklist", items=[{"label": "申请书"}, {"label": "身份证明"}], items_from="materials_list"
    )
    assert parse_value(checklist, ["身份证明"], ctx()) == ["身份证明"]
    with pytest.raises(FieldInvalid, match="包含无效的选项"):
        parse_value(checklist, ["营业执照"], ctx())
    assert parse_value(checklist, ["营业执照"], ctx(materials_list=["营业执照", "章程"])) == ["营业执照"]


def test_opinions_grid() -> None:
    schema = get_schema("meeting_minutes")
    opinions = schema.field("opinions")
    c = ctx(related_windows=["guotu", "huanbao"])
    given = {
        "guotu": {"result": "agree_with_conditions", "conditions": "退让红线 5 米"},
        "huanbao": {"result": ""},
    }
    assert parse_value(opinions, given, c, {"attendance": ["guotu", "huanbao"]}) == {
        "guotu": {"result": "agree_with_conditions", "reason": "", "conditions": "退让红线 5 米"}
    }
    with pytest.raises(FieldInvalid, match="环保窗口未出席会议，不能记录其意见"):
        parse_value(opinions, {"huanbao": {"result": "agree"}}, c, {"attendance": ["guotu"]})
    with pytest.raises(FieldInvalid, match="国土资源窗口：附条件同意须写明条件"):
        parse_value(opinions, {"guotu": {"result": "agree_with_conditions"}}, c, {"attendance": ["guotu"]})
    with pytest.raises(
        FieldInvalid, match="^国土资源窗口：附条件同意须写明条件；环保窗口未出席会议"
    ):  # all at once
        parse_value(
            opinions,
            {"guotu": {"result": "agree_with_conditions"}, "huanbao": {"result": "agree"}},
            c,
            {"attendance": ["guotu"]},
        )
    with pytest.raises(FieldInvalid, match="包含不参加本次联审的窗口"):
        parse_value(opinions, {"guihua": {"result": "agree"}}, c, {"attendance": ["guotu"]})
    # a disagreement without reasons is allowed here: the diagram records it as deemed assent
    assert parse_value(opinions, {"guotu": {"result": "disagree"}}, c, {"attendance": ["guotu"]})[
        "guotu"
    ] == {
        "result": "disagree",
        "reason": "",
        "conditions": "",
    }


# ---- whole forms: rules and task data ------------------------------------------------------------


def submit(app: Flask, key: str, form: dict[str, Any], **data: Any) -> Any:
    """Validate ``form`` against schema ``key`` in a POST request; returns the bound form."""
    schema = get_schema(key)
    with app.test_request_context("/", method="POST", data=MultiDict(form)):
        bound = form_class(schema)(ctx=ctx(**data))
        bound.ok = bound.validate()
        bound.result = bound.task_data() if bound.ok else None
    return bound


def errors_of(bound: Any) -> dict[str, list[str]]:
    return {k: v for k, v in bound.errors.items() if v}


def test_window_review_rules(app: Flask) -> None:
    refused = submit(app, "window_review", {"result": "disagree"})
    assert errors_of(refused) == {"reason": ["选择“不同意”时必须说明理由"]}
    conditions = submit(app, "window_review", {"result": "agree_with_conditions"})
    assert errors_of(conditions) == {"conditions": ["附条件同意须写明条件"]}
    nothing = submit(app, "window_review", {})
    assert errors_of(nothing) == {"result": ["请选择审查意见（或申请延期）"]}
    both = submit(app, "window_review", {"result": "agree", "request_extension": "y"})
    assert errors_of(both) == {
        "result": ["申请延期时暂不填写审查意见，待主办窗口决定后再答复"],
        "extension_days": ["申请延期须写明延期天数和理由"],
        "extension_reason": ["申请延期须写明延期天数和理由"],
    }
    again = submit(
        app, "window_review", {"request_extension": "y", "extension_days": "2", "extension_reason": "勘察"},
        extension_decided=True,
    )  # fmt: skip
    assert errors_of(again) == {"request_extension": ["本次审查已申请过延期，不能再次申请"]}

    ok = submit(app, "window_review", {"result": "disagree", "reason": "用地性质不符"})
    assert ok.ok and ok.result == {
        "result": "disagree",
        "conditions": "",
        "reason": "用地性质不符",
        "request_extension": False,
        "extension_days": None,
        "extension_reason": "",
        "review_files": [],
    }
    extension = submit(
        app,
        "window_review",
        {"request_extension": "y", "extension_days": "2", "extension_reason": "需现场勘察地界"},
    )
    assert extension.ok
    assert (
        extension.result["request_extension"],
        extension.result["extension_days"],
        extension.result["result"],
    ) == (
        True,
        2,
        None,
    )


def test_acceptance_checklist_derives_the_missing_materials(app: Flask) -> None:
    form = MultiDict(
        [("applicant", "张三"), ("eligible", "true"), ("materials_received", "申请人身份证明材料")]
    )
    bound = submit(app, "acceptance", form)
    assert bound.ok, bound.errors
    assert bound.result["eligible"] is True
    assert bound.result["materials_received"] == ["申请人身份证明材料"]
    assert bound.result["missing_materials"] == ["申请表（申请书）", "法律法规规定的其他申请材料"]
    assert bound.result["materials_complete"] is False

    listed = submit(app, "acceptance", MultiDict([("applicant", "张三"), ("eligible", "false")]),
                    materials_list=["营业执照"])  # fmt: skip
    assert errors_of(listed) == {"acceptance_note": ["不符合受理条件时请写明原因"]}
    complete = submit(
        app, "acceptance", MultiDict([("applicant", "张三"), ("eligible", "true"), ("materials_received", "营业执照")]),
        materials_list=["营业执照"],
    )  # fmt: skip
    assert (complete.result["missing_materials"], complete.result["materials_complete"]) == ([], True)


def test_acceptance_checklist_excuses_an_optional_or_tolerated_material_left_unticked(app: Flask) -> None:
    """An optional material not brought and a 容缺后补 one stay unticked (not received) without making the
    acceptance incomplete; a required one left unticked is still missing."""
    data = {"materials_list": ["申请书", "委托书", "健康证明"], "optional_materials": ["委托书"],
            "tolerated_materials": ["健康证明"]}  # fmt: skip
    form = MultiDict([("applicant", "张三"), ("eligible", "true"), ("materials_received", "申请书")])
    bound = submit(app, "acceptance", form, **data)
    assert bound.ok, bound.errors
    assert bound.result["materials_received"] == ["申请书"]
    assert (bound.result["missing_materials"], bound.result["materials_complete"]) == ([], True)
    short = submit(app, "acceptance", MultiDict([("applicant", "张三"), ("eligible", "true")]), **data)
    assert (short.result["missing_materials"], short.result["materials_complete"]) == (["申请书"], False)


def test_a_checklists_excused_from_must_be_a_list_of_data_names() -> None:
    field = {"name": "c", "type": "checklist", "label": "c", "items_from": "l", "excused_from": "optional"}
    with pytest.raises(SchemaError, match="excused_from"):
        parse_schema({"title": "t", "fields": [field]}, "x.json", "x")


def test_meeting_minutes_rules_and_derived_decision(app: Flask) -> None:
    data = {"related_windows": ["guotu", "huanbao"]}
    later = submit(app, "meeting_minutes", MultiDict([("decided_on_spot", "false")]), **data)
    assert errors_of(later) == {
        "memo": ["限时办结须作备忘登记并确定最终决定时限"],
        "final_decision_days": ["限时办结须作备忘登记并确定最终决定时限"],
    }
    on_spot = submit(
        app,
        "meeting_minutes",
        MultiDict(
            [
                ("attendance", "guotu"),
                ("opinions-guotu-result", "agree"),
                ("decided_on_spot", "true"),
                ("decision", "approve"),
            ]
        ),
        **data,
    )
    assert on_spot.ok, on_spot.errors
    assert on_spot.result["attendance"] == ["guotu"]
    assert on_spot.result["opinions"] == {"guotu": {"result": "agree", "reason": "", "conditions": ""}}
    assert (on_spot.result["decided_on_spot"], on_spot.result["decision"], on_spot.result["approved"]) == (
        True,
        "approve",
        True,
    )
    absent = submit(
        app, "meeting_minutes",
        MultiDict([("attendance", "guotu"), ("opinions-huanbao-result", "agree"), ("decided_on_spot", "true"),
                   ("decision", "approve")]),
        **data,
    )  # fmt: skip
    assert errors_of(absent) == {"opinions": ["环保窗口未出席会议，不能记录其意见"]}


def test_meeting_schedule_time_is_shanghai_and_not_in_the_past(app: Flask) -> None:
    past = submit(
        app,
        "meeting_schedule",
        {"meeting_at": "2026-09-27T09:30", "place": "三楼", "related_windows": "guotu"},
    )
    assert errors_of(past) == {"meeting_at": ["不能早于当前时间"]}
    ok = submit(
        app,
        "meeting_schedule",
        {"meeting_at": "2026-09-30T09:30", "place": "三楼", "related_windows": "guotu"},
    )
    assert ok.ok and ok.result["meeting_at"] == "2026-09-30T09:30:00+08:00"
    assert ok.result["invite_applicant"] is False and ok.result["materials_to_bring"] == []


def test_decision_derives_approved_and_needs_reasons_to_refuse(app: Flask) -> None:
    refused = submit(app, "decision", {"decision": "refuse"})
    assert errors_of(refused) == {"reason": ["不予许可时必须写明理由"]}
    approved = submit(app, "decision", {"decision": "approve", "decision_no": "许字[2026]001号"})
    assert approved.result == {
        "decision": "approve",
        "reason": "",
        "decision_no": "许字[2026]001号",
        "approved": True,
    }


def test_only_for_fields_appear_only_in_their_process(app: Flask) -> None:
    chengnuo = submit(app, "review", {"review_opinion": "符合条件"}, _definition="chengnuo")
    assert errors_of(chengnuo) == {"needs_survey": ["请选择“是”或“否”"]}
    shebao = submit(
        app, "review", {"review_opinion": "符合", "eligible": "true"}, _definition="shebao_transfer"
    )
    assert shebao.ok and shebao.result == {"review_opinion": "符合", "eligible": True, "review_files": []}
    plain = submit(app, "review", {"review_opinion": "符合", "needs_survey": "true"}, _definition="rongque")
    assert plain.ok and "needs_survey" not in plain.result and "eligible" not in plain.result


def test_english_messages(app: Flask) -> None:
    schema = get_schema("window_review")
    with app.test_request_context("/?lang=en", method="POST", data={"result": "disagree"}):
        bound = form_class(schema)(ctx=ctx())
        assert not bound.validate()
        assert bound.errors["reason"] == ["A disagreement needs its reasons"]
        assert schema.field("result").text == "Opinion"


def test_context_rows_format_the_task_data() -> None:
    rows = show_rows(
        get_schema("joint_consolidation"),
        ctx(
            opinions=[
                {"window": "guotu", "result": "agree"},
                {"window": "huanbao", "result": "deemed_assent", "rule": "timeout"},
                {"window": "guihua", "result": "agree_with_conditions", "conditions": "按环评批复落实"},
            ],
            deemed_windows=["huanbao"],
        ),
    )
    by_label = {r["label"]: r["value"] for r in rows}
    assert [(o["window"], o["result"], o["detail"]) for o in by_label["各相关窗口意见"]] == [
        ("国土资源窗口", "同意", ""),
        ("环保窗口", "视为同意（默认议定）：超时未答复", ""),
        ("规划建设窗口", "附条件同意", "按环评批复落实"),
    ]
    assert by_label["视为同意的窗口（记入问责）"] == ["环保窗口"]
    assert "不同意的窗口" not in by_label  # nothing to show is not shown
    review = show_rows(get_schema("window_review"), ctx(limit_at="2026-10-08T15:59:59+00:00", window="guotu"))
    assert {r["label"]: r["value"] for r in review} == {
        "审查窗口": "国土资源窗口",
        "审查时限": "2026-10-08 23:59",
    }

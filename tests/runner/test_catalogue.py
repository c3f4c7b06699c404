"""The catalogue of service items (runner/catalogue/): checking, versions, JSON Lines, starting from an item."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

import runner
from runner.catalogue import applications, items, transfer
from runner.catalogue.body import ItemInvalid, normalise
from runner.catalogue.identity import check_credit_code, check_id_number
from runner.models import AuditEntry
from tests.support.flow import LIBRARY, deploy_library, describe, tasks

DEMO = LIBRARY / "catalogue.jsonl"


def demo_items() -> list[dict[str, Any]]:
    return [
        json.loads(line) for line in DEMO.read_text(encoding="utf-8").splitlines() if line.startswith("{")
    ]


def demo(code: str) -> dict[str, Any]:
    return copy.deepcopy(next(i for i in demo_items() if i["code"] == code))


@pytest.fixture
def library(services) -> None:
    deploy_library(
        services,
        "block_correction.bpmn",
        "block_refusal.bpmn",
        "block_escalation.bpmn",
        "chengnuo.bpmn",
        "lianban_chaogao.bpmn",
    )


def test_demo_catalogue_has_twenty_items_of_four_kinds_across_windows():
    found = demo_items()
    assert len(found) >= 20
    assert {i["kind"] for i in found} >= {"即办件", "承诺件", "联办件", "上报件"}
    assert len({i["window"] for i in found}) >= 6
    for item in found:
        normalise(item)  # every demo line is a valid item


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"promised_days": 0}, "promised_days"),
        ({"promised_days": 30, "statutory_days": 20}, "statutory_days"),
        ({"kind": "随便件"}, "kind"),
        ({"code": ""}, "code"),
        ({"materials": [{"name": "甲"}, {"name": "甲"}]}, "materials"),
        ({"tolerance": False, "materials": [{"name": "甲", "tolerable": True}]}, "materials"),
        ({"colour": "red"}, "colour"),
        ({"kind": "联办件", "related_windows": []}, "related_windows"),
    ],
)
def test_wrong_items_are_refused_naming_the_field(change, field):
    raw = demo("SC-001") | change
    with pytest.raises(ItemInvalid) as err:
        normalise(raw)
    assert any(p.startswith(f"{field}") for p in err.value.problems), err.value.problems


def test_references_are_checked_against_deployed_processes_and_windows(services, library):
    raw = demo("SC-001") | {"process": "nope", "window": "mars", "related_windows": ["venus"]}
    with services.transaction() as s, pytest.raises(ItemInvalid) as err:
        items.save_item(s, raw, actor="admin")
    fields = sorted(p.split(":")[0] for p in err.value.problems)
    assert fields == ["process", "related_windows", "window"]


def test_a_change_is_a_new_version_audited_and_equal_content_is_no_change(services, library):
    with services.transaction() as s:
        first = items.save_item(s, demo("SC-001"), actor="admin")
        assert (first.version, first.created) == (1, True)
        again = items.save_item(s, demo("SC-001"), actor="admin")
        assert (again.version, again.changed) == (1, False)
        changed = items.save_item(s, demo("SC-001") | {"promised_days": 8}, actor="designer")
        assert (changed.version, changed.created, changed.changed) == (2, False, True)
        item = items.get_item(s, "SC-001")
        assert [v.version for v in items.versions(s, item)] == [2, 1]
        entries = [
            e for e in s.query(AuditEntry).filter_by(action="catalogue_item_saved").order_by(AuditEntry.id)
        ]
        assert [(e.actor, e.detail["version"]) for e in entries] == [("admin", 1), ("designer", 2)]
        assert entries[1].detail["changed"] == ["promised_days"]


def test_a_running_item_keeps_the_version_it_started_under(services, library):
    with services.transaction() as s:
        items.save_item(s, demo("SC-001"), actor="admin")
        iid = applications.start_item(s, "SC-001", actor="clerk", data={"applicant": "张三"}).id
        items.save_item(
            s, demo("SC-001") | {"promised_days": 5, "name": "食品经营许可（新办，改）"}, actor="admin"
        )
        later = applications.start_item(s, "SC-001", actor="clerk", data={"applicant": "李四"}).id
    with services.transaction() as s:
        old = applications.application_view(s, iid)
        new = applications.application_view(s, later)
    assert (old["item_version"], old["current_version"], old["item"]["promised_days"]) == (1, 2, 10)
    assert (new["item_version"], new["item"]["promised_days"]) == (2, 5)
    assert describe(services, iid)["promised_days"] == 10
    assert describe(services, later)["promised_days"] == 5
    assert describe(services, later)["title"] == "食品经营许可（新办，改）"


def test_starting_from_an_item_gives_its_parameters_to_the_process(services, library):
    with services.transaction() as s:
        items.save_item(s, demo("GT-001"), actor="admin")
        iid = applications.start_item(s, "GT-001", actor="clerk", data={"promised_days": 99}).id
    view = describe(services, iid)
    assert (view["promised_days"], view["statutory_days"], view["lead_window"]) == (15, 45, "guotu")
    assert view["data"]["related_windows"] == ["guihua", "huanbao"]
    assert view["data"]["materials_list"] == [m["name"] for m in demo("GT-001")["materials"]]
    [acceptance] = tasks(services, iid)
    assert (acceptance["window"], acceptance["form_key"]) == ("guotu", "joint_acceptance")


def test_intake_checks_identity_and_materials(services, library):
    with services.transaction() as s:
        items.save_item(s, demo("SC-001"), actor="admin")
    bad_id = applications.Applicant("张三", "110105194912310021", "13800001234")
    with services.transaction() as s, pytest.raises(runner.InvalidInput, match="校验位"):
        applications.start_item(s, "SC-001", actor="clerk", intake=applications.Intake(bad_id))
    person = applications.Applicant("张三", "11010519491231002x", "13800001234")
    missing = [applications.MaterialState("食品安全管理制度", applications.MISSING)]
    with services.transaction() as s:
        names = [m["name"] for m in demo("SC-001")["materials"]]
        states = [applications.MaterialState(n) for n in names if n != "食品安全管理制度"] + missing
        iid = applications.start_item(
            s, "SC-001", actor="clerk", intake=applications.Intake(person, states)
        ).id
        view = applications.application_view(s, iid)
    assert view["applicant_id"] == "11010519491231002X"
    assert [m["name"] for m in view["materials"] if m["status"] == "missing"] == ["食品安全管理制度"]
    assert describe(services, iid)["data"]["missing_materials"] == ["食品安全管理制度"]


def test_identity_numbers_check_characters():
    assert check_id_number(" 11010519491231002x ") == "11010519491231002X"
    with pytest.raises(runner.InvalidInput, match="位数"):
        check_id_number("1101051949123100")
    assert check_credit_code("91110000600037341L") == "91110000600037341L"
    with pytest.raises(runner.InvalidInput, match="校验位"):
        check_credit_code("91110000600037341A")


def test_jsonl_round_trip_and_a_wrong_file_is_refused_whole_with_line_numbers(services, library):
    lines = [json.dumps(demo(c), ensure_ascii=False) for c in ("SC-001", "GT-001")]
    with services.transaction() as s:
        result = transfer.import_lines(s, ["# comment", *lines], actor="admin")
        assert sorted(result.created) == ["GT-001", "SC-001"]
        exported = list(transfer.export_lines(s))
    assert [json.loads(line)["code"] for line in exported] == ["GT-001", "SC-001"]
    first = json.loads(exported[1])
    assert {"code", "name", "window", "kind", "process", "promised_days", "statutory_days"} <= set(first)
    assert {"name", "required", "tolerable"} <= set(first["materials"][0])
    changed = json.dumps(demo("SC-001") | {"promised_days": 7}, ensure_ascii=False)
    wrong = [changed, "{not json", json.dumps(demo("GT-001") | {"statutory_days": 1})]
    with services.transaction() as s, pytest.raises(transfer.CatalogueInvalid) as err:
        transfer.import_lines(s, wrong, actor="admin")
    assert sorted(err.value.problems) == [2, 3]
    with services.transaction() as s:
        assert items.get_item(s, "SC-001").version == 1  # nothing of the refused file was stored

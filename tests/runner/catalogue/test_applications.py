"""Starting an item from the catalogue and the counter's intake record (runner/catalogue/applications.py)."""

from __future__ import annotations

import pytest

import runner
from runner.catalogue import applications, items
from tests.support.catalogue import demo
from tests.support.flow import describe, tasks


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


def test_an_applicant_typed_in_full_width_is_kept_in_ascii():
    """Name, ID number and mobile number typed with a full-width input method: stored as plain digits."""
    typed = applications.Applicant(
        "张三😀", "１１０１０５１９４９１２３１００２Ｘ", "１３８ ００００\u3000１２３４"
    )
    checked = typed.checked()
    assert (checked.name, checked.id_number, checked.phone) == ("张三😀", "11010519491231002X", "13800001234")


def test_a_promised_supply_date_is_checked_against_the_local_day(services, library, clock):
    """At 07:00 on 1 January in Shanghai (still 31 December in UTC) a 容缺 date of 31 December is yesterday."""
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    with services.transaction() as s:
        items.save_item(s, demo("SC-001"), actor="admin")
    clock.set(datetime(2027, 1, 1, 7, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    person = applications.Applicant("张三", "11010519491231002X", "13800001234")
    names = [m["name"] for m in demo("SC-001")["materials"]]
    states = [
        applications.MaterialState(n, applications.TOLERATED, date(2026, 12, 31))
        if n == "食品安全管理人员健康证明"
        else applications.MaterialState(n)
        for n in names
    ]
    with services.transaction() as s, pytest.raises(runner.InvalidInput, match="不早于今天"):
        applications.start_item(s, "SC-001", actor="clerk", intake=applications.Intake(person, states))

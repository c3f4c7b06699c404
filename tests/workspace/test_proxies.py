"""委托 in the workspace: a clerk gives a proxy for a date range on the page, the proxy's inbox marks
the handed-over task "受 X 委托", the clerk ends it; others cannot end it (403)."""

from __future__ import annotations

from html import unescape
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import runner
from runner.models import AuditEntry

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture
def people(services: runner.Services, make_user: Any) -> None:
    make_user("sb1", ("shebao", "clerk"), name="社保甲")
    make_user("sb2", ("shebao", "clerk"), name="社保乙")
    make_user("sb3", ("shebao", "clerk"), name="社保丙")
    make_user("gt1", ("guotu", "clerk"), name="国土甲")
    with services.transaction() as s:
        runner.deploy(s, (DATA / "clock.bpmn").read_bytes(), "clock.bpmn", actor="designer")


def text(response: Any) -> str:
    return unescape(response.get_data(as_text=True))


def start_for(services: runner.Services, assignee: str) -> int:
    with services.transaction() as s:
        return runner.start(s, "clock_test", actor="sb3", data={"assignee": assignee}).id


def test_give_see_and_end_a_proxy(services, people, signed_in) -> None:
    sb1 = signed_in("sb1")
    page = text(sb1.get("/proxies"))
    assert "没有委托" in page and "社保乙" in page and "国土甲" not in page  # colleagues of my window only
    for form, message in (
        ({"to_user": "gt1", "starts": "2026-09-28", "ends": "2026-09-30", "reason": "培训"}, "本窗口的同事"),
        ({"to_user": "sb2", "starts": "2026-09-30", "ends": "2026-09-28", "reason": "培训"}, "不能早于"),
        ({"to_user": "sb2", "starts": "x", "ends": "2026-09-30", "reason": "培训"}, "格式"),
        ({"to_user": "sb2", "starts": "2026-09-28", "ends": "2026-09-30", "reason": ""}, "须写明理由"),
    ):
        refused = sb1.post("/proxies", data=form)
        assert refused.status_code == 400 and message in text(refused), message
    form = {"to_user": "sb2", "starts": "2026-09-28", "ends": "2026-09-30", "reason": "外出培训"}
    assert sb1.post("/proxies", data=form).status_code == 302
    overlap = sb1.post("/proxies", data={**form, "to_user": "sb3"})
    assert overlap.status_code == 400 and "已有委托" in text(overlap)
    page = text(sb1.get("/proxies"))
    assert "生效中" in page and "外出培训" in page

    iid = start_for(services, "sb1")  # a task meant for sb1 goes to sb2, marked as a proxy's
    inbox = text(signed_in("sb2").get("/inbox?tab=mine"))
    assert "受 sb1 委托" in inbox
    received = text(signed_in("sb2").get("/proxies"))
    assert "受托" in received and "结束委托" not in received  # the proxy cannot end it

    with services.transaction() as s:
        (proxy,) = runner.list_proxies(s, username="sb1")
    assert signed_in("sb2").post(f"/proxies/{proxy.id}/end").status_code == 403
    assert signed_in("gt1").post(f"/proxies/{proxy.id}/end").status_code == 403
    assert sb1.post(f"/proxies/{proxy.id}/end").status_code == 302
    assert "已结束" in text(sb1.get("/proxies"))
    with services.transaction() as s:
        actions = [e.action for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions.count("proxy_set") == 1 and actions.count("proxy_ended") == 1
    assert "proxied" in [a["action"] for a in runner_describe(services, iid)]
    iid2 = start_for(services, "sb1")  # after the end, sb1's new tasks stay sb1's
    assert [a["action"] for a in runner_describe(services, iid2)].count("proxied") == 0
    assert "Proxies" in text(sb1.get("/proxies?lang=en"))


def runner_describe(services: runner.Services, iid: int) -> list[dict[str, Any]]:
    with services.transaction() as s:
        return runner.describe(s, runner.get_instance(s, iid))["audit"]

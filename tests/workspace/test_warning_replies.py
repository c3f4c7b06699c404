"""纠错回告 in the workspace: the warned window's clerk sees open and answered warnings and replies; the
reply shows on the item page; another window gets 403 and nothing changes."""

from __future__ import annotations

from html import unescape
from pathlib import Path
from typing import Any

import pytest

import runner
from runner.models import WarningEvent
from tests.support.flow import describe

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture
def warned(services: runner.Services, make_user: Any) -> dict[str, Any]:
    """A ``review`` item of shebao with a yellow card on shebao (clerk sb1) and a red card on guotu."""
    make_user("sb1", ("shebao", "clerk"), name="社保甲")
    make_user("sb2", ("shebao", "clerk"), name="社保乙")
    make_user("gt1", ("guotu", "clerk"), name="国土甲")
    make_user("duban", ("supervision", "supervisor"), name="督查室")
    with services.transaction() as s:
        runner.deploy(s, (DATA / "review.bpmn").read_bytes(), "review.bpmn", actor="designer")
    with services.transaction() as s:
        instance = runner.start(s, "review", actor="sb1", data={"applicant": "张三"})
        rows = [
            WarningEvent(instance_id=instance.id, window="shebao", clerk="sb1", rule="黄牌", level="yellow",
                         message="承诺时限已届满", message_en="The promised time limit has passed",
                         created_at=services.now()),
            WarningEvent(instance_id=instance.id, window="guotu", clerk="gt1", rule="红牌", level="red",
                         message="超期三个工作日", created_at=services.now()),
        ]  # fmt: skip
        s.add_all(rows)
        s.flush()
        return {
            "id": instance.id,
            "business_key": instance.business_key,
            "yellow": rows[0].id,
            "red": rows[1].id,
        }


def text(response: Any) -> str:
    return unescape(response.get_data(as_text=True))


def test_clerk_sees_and_answers_the_window_warning(services, warned, signed_in) -> None:
    sb2 = signed_in("sb2")  # a colleague of the warned window may answer too
    page = text(sb2.get("/warnings"))
    assert "承诺时限已届满" in page and "超期三个工作日" not in page  # only shebao's
    assert "没有待回告的预警" not in page
    assert "<td>社保窗口" in page and "<td>shebao" not in page  # the window's name, not its code (21.12)
    empty = sb2.post(f"/warnings/{warned['yellow']}/reply", data={"reply": "  "})
    assert empty.status_code == 400 and "请填写回告内容" in text(empty)
    done = sb2.post(f"/warnings/{warned['yellow']}/reply", data={"reply": "已补齐材料并办结"})
    assert done.status_code == 302
    page = text(sb2.get("/warnings"))
    assert "没有待回告的预警" in page and "已补齐材料并办结" in page
    again = sb2.post(f"/warnings/{warned['yellow']}/reply", data={"reply": "again"})
    assert again.status_code == 400 and "已回告" in text(again)
    view = describe(services, warned["id"])
    yellow = next(w for w in view["warnings"] if w["id"] == warned["yellow"])
    assert (yellow["acknowledged_by"], yellow["reply"]) == ("sb2", "已补齐材料并办结")
    assert [a["action"] for a in view["audit"]].count("warning_acknowledged") == 1

    # the supervisor sees it answered on the item page, the other warning still open
    item_page = text(signed_in("duban").get(f"/items/{warned['business_key']}"))
    assert "已补齐材料并办结" in item_page and "待回告" in item_page
    english = text(sb2.get("/warnings?lang=en"))
    assert "My warnings" in english and "yellow card" in english


@pytest.mark.parametrize("who", ["gt1", "duban"])
def test_other_windows_are_refused(services, warned, signed_in, who) -> None:
    client = signed_in(who)
    assert client.post(f"/warnings/{warned['yellow']}/reply", data={"reply": "x"}).status_code == 403
    assert client.post("/warnings/9999/reply", data={"reply": "x"}).status_code == 404
    yellow = next(w for w in describe(services, warned["id"])["warnings"] if w["id"] == warned["yellow"])
    assert yellow["acknowledged_by"] is None
    assert "warning_acknowledged" not in [a["action"] for a in describe(services, warned["id"])["audit"]]


def test_the_warning_reads_in_the_page_language(services, warned, signed_in) -> None:
    """English with ``?lang=en``, Chinese without; an older warning without English shows its Chinese (21.12)."""
    sb1 = signed_in("sb1")
    chinese = text(sb1.get("/warnings"))
    assert "承诺时限已届满" in chinese and "The promised time limit has passed" not in chinese
    english = text(sb1.get("/warnings?lang=en"))
    assert "The promised time limit has passed" in english and "承诺时限已届满" not in english
    item = text(signed_in("duban").get(f"/items/{warned['business_key']}?lang=en"))
    assert "The promised time limit has passed" in item and "超期三个工作日" in item  # red: no English kept
    with services.transaction() as s:
        s.get(WarningEvent, warned["yellow"]).message_en = None
    assert "承诺时限已届满" in text(sb1.get("/warnings?lang=en"))

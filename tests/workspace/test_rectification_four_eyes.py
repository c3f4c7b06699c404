"""四眼原则 on the workspace's task page: the supervision clerk who verified a 差评 cannot approve dismissing
it; the page says so in its language and completes nothing; a colleague can (workspace/task_views.py)."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest

import runner
from runner.applicants import ratings, rectification
from tests.support.flow import complete, deploy_library, describe, start_item, task

LIBRARY = ("block_correction.bpmn", "block_refusal.bpmn", "jiban.bpmn", "rectification.bpmn")


def token_of(page: str) -> str:
    found = re.search(r'name="submit_token"[^>]*value="([^"]*)"', page) or re.search(
        r'value="([^"]*)"[^>]*name="submit_token"', page
    )
    assert found
    return found.group(1)


@pytest.fixture
def approval(services: runner.Services, make_user: Any) -> tuple[int, int, str]:
    """A malicious 差评 verified by sup_a: (rating id, process id, the approval task's id)."""
    make_user("sup_a", ("supervision", "clerk"), name="督查员甲")
    make_user("sup_b", ("supervision", "clerk"), name="督查员乙")
    deploy_library(services, *LIBRARY)
    iid = start_item(services, "jiban", {"applicant": "王五", "lead_window": "shichang", "title": "名称核准"})
    with services.transaction() as s:
        key = describe(services, iid)["business_key"]
        rating = ratings.give_rating(s, key, level="not_satisfied", channel="counter", occasion="acceptance")
        rating_id = rating.id
        pid = rectification.for_rating(s, rating_id).process_instance_id
    complete(services, task(services, pid, "verify")["id"],
             {"verdict": "malicious", "window": "shichang", "verify_note": "与办件无关"}, "sup_a")  # fmt: skip
    return rating_id, pid, task(services, pid, "approve_invalid")["id"]


@pytest.mark.parametrize(
    ("lang", "said"),
    [("", "「督查股审批无效差评」须由另一人办理：sup_a 已办理本件的前一环节，不能自己审批（四眼原则）"),
     ("?lang=en", "Four eyes: sup_a did the earlier step of this case, so someone else must do")],
)  # fmt: skip
def test_the_verifier_cannot_approve_the_dismissal(services, approval, signed_in, lang, said) -> None:
    rating_id, pid, task_id = approval
    client = signed_in("sup_a")
    url = f"/tasks/{task_id}{lang}"
    form = {"dismissal_approved": "true", "dismissal_reason": "录像为证"}
    posted = client.post(
        url, data={**form, "submit_token": token_of(unescape(client.get(url).get_data(True)))}
    )
    page = unescape(posted.get_data(as_text=True))
    assert posted.status_code == 409 and said in page
    assert "(four eyes" not in page and ("四眼原则" in page) == (lang == "")  # the page's own language
    assert "录像为证" in page  # what was typed stays on the form
    assert task(services, pid, "approve_invalid")["id"] == task_id
    with services.transaction() as s:
        assert rectification.for_rating(s, rating_id).state == "verifying"


def test_a_colleague_approves_and_is_named_in_the_record(services, approval, signed_in) -> None:
    rating_id, pid, task_id = approval
    client = signed_in("sup_b")
    url = f"/tasks/{task_id}"
    form = {"dismissal_approved": "true", "dismissal_reason": "录像为证"}
    posted = client.post(
        url, data={**form, "submit_token": token_of(unescape(client.get(url).get_data(True)))}
    )
    assert posted.status_code == 302
    with services.transaction() as s:
        row = rectification.for_rating(s, rating_id)
        assert row.state == "invalid"
        assert [(a["by"], a["reason"], a["approved"]) for a in row.approvals] == [("sup_b", "录像为证", True)]
    register = unescape(signed_in("sup_b").get("/ratings?bad=1").get_data(as_text=True))
    assert "无效差评 批准 · sup_b：录像为证" in register


@pytest.mark.parametrize(
    ("lang", "said"),
    [("", "不能把「督查股审批无效差评」交给 sup_a：sup_a 已办理本件的前一环节，须由另一人审批（四眼原则）"),
     ("?lang=en", "Four eyes: sup_a did the earlier step of this case, so “督查股审批无效差评” cannot be handed")],
)  # fmt: skip
def test_the_approval_cannot_be_handed_over_to_the_verifier(
    services, approval, signed_in, lang, said
) -> None:
    """转交 checks the four eyes too: the page names why, on the field, and the task stays where it was."""
    _, pid, task_id = approval
    client = signed_in("sup_b")
    assert client.post(f"/inbox/tasks/{task_id}/claim").status_code in (302, 303)
    url = f"/inbox/tasks/{task_id}/handover{lang}"
    page = unescape(client.get(url).get_data(as_text=True))
    assert 'value="sup_a"' in page  # offered as a colleague of the window …
    posted = client.post(url, data={"to": "sup_a", "note": "请甲审批"})
    page = unescape(posted.get_data(as_text=True))
    assert posted.status_code == 400 and said in page  # … refused with the reason, in the page's language
    assert task(services, pid, "approve_invalid")["assignee"] == "sup_b"

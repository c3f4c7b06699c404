"""The form published for a task comes with the read of the task (``runner.items.tasks.open_task_and_item``):
``published_form_schema`` then reads nothing, and answers exactly what a read of its own would have — within the
transaction, for the asked task's form only, never after the transaction changed the form or ended."""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from typing import Any

import pytest
from sqlalchemy import Engine

import runner
from runner.items import tasks as task_reads
from runner.items.tasks import open_task_and_item
from tests.support.flow import deploy_library, start_item, task
from tests.support.joint import FILES as CHAOGAO
from tests.support.platform import JOINT, step_task_data
from tests.support.statements import statements

REVIEW_FORM = "window_review"


def _body(title: str) -> str:
    return json.dumps({"title": title, "fields": [{"name": "note", "type": "text", "label": "说明"}]})


def _publish(s: Any, body: str, revision: int) -> None:
    runner.save_form_draft(s, REVIEW_FORM, body, expected_revision=revision - 1, actor="designer")
    runner.publish_form_draft(
        s, REVIEW_FORM, expected_revision=revision, actor="designer", check=lambda _key, _body: None
    )


def form_reads(engine: Engine) -> AbstractContextManager[list[str]]:
    """The statements that read the published form on their own (not along with the task)."""
    return statements(engine, keep=lambda sql: sql.startswith("SELECT form_schema_drafts."))


@pytest.fixture
def reviews(services: runner.Services) -> list[dict[str, Any]]:
    """The three open window reviews of a 联办件 (one form key), its form published in the console."""
    deploy_library(services, *CHAOGAO)
    iid = start_item(services, JOINT, {"lead_window": "shichang", "applicant": "张三"})
    with services.transaction() as s:
        runner.complete(s, task(services, iid, "accept")["id"], step_task_data("accept"), actor="sc")
        _publish(s, _body("first"), 1)
    with services.transaction() as s:
        found, _ = runner.list_tasks(s, instance_id=iid)
    assert len(found) == 3 and {t["form_key"] for t in found} == {REVIEW_FORM}
    return found


def test_the_task_read_brings_its_published_form(
    services: runner.Services, db_engine: Engine, reviews: list[dict[str, Any]]
) -> None:
    with services.transaction() as s, form_reads(db_engine) as reads:
        open_task_and_item(s, reviews[0]["id"])
        assert runner.published_form_schema(s, REVIEW_FORM) == (1, _body("first"))
        assert reads == []
        # taken once: a second question reads it (what the transaction sees now)
        assert runner.published_form_schema(s, REVIEW_FORM) == (1, _body("first"))
        assert len(reads) == 1


def test_only_the_asked_task_row_carries_the_form(
    services: runner.Services, reviews: list[dict[str, Any]]
) -> None:
    """The item's other open tasks come with the read (the step's save needs them), their forms do not."""
    with services.transaction() as s:
        rows = s.execute(task_reads._TASK_AND_ITEM, {"task_id": reviews[1]["id"]}).all()
    assert len(rows) == 3
    carried = [(row.task_id, body is not None) for row, _instance, _revision, body in rows]
    assert sorted(carried) == sorted((t["id"], t["id"] == reviews[1]["id"]) for t in reviews)


def test_a_form_without_publication_is_known_as_the_file(
    services: runner.Services, db_engine: Engine, reviews: list[dict[str, Any]]
) -> None:
    with services.transaction() as s:
        runner.withdraw_form_schema(s, REVIEW_FORM, actor="designer")
    with services.transaction() as s, form_reads(db_engine) as reads:
        open_task_and_item(s, reviews[0]["id"])
        assert runner.published_form_schema(s, REVIEW_FORM) is None
        assert reads == []


def test_a_form_published_or_withdrawn_by_the_transaction_itself_is_seen(
    services: runner.Services, reviews: list[dict[str, Any]]
) -> None:
    with services.transaction() as s:
        open_task_and_item(s, reviews[0]["id"])
        _publish(s, _body("second"), 2)
        assert runner.published_form_schema(s, REVIEW_FORM) == (2, _body("second"))
    with services.transaction() as s:
        open_task_and_item(s, reviews[0]["id"])
        runner.withdraw_form_schema(s, REVIEW_FORM, actor="designer")
        assert runner.published_form_schema(s, REVIEW_FORM) is None


def test_what_came_along_is_not_used_after_the_transaction_ends(
    services: runner.Services, reviews: list[dict[str, Any]]
) -> None:
    with services.transaction() as s:
        open_task_and_item(s, reviews[0]["id"])
        s.commit()  # the session goes on in a new transaction ...
        with services.transaction() as other:  # ... after another one published a new revision
            _publish(other, _body("second"), 2)
        assert runner.published_form_schema(s, REVIEW_FORM) == (2, _body("second"))


def test_another_form_key_is_read(
    services: runner.Services, db_engine: Engine, reviews: list[dict[str, Any]]
) -> None:
    with services.transaction() as s, form_reads(db_engine) as reads:
        open_task_and_item(s, reviews[0]["id"])
        assert runner.published_form_schema(s, "acceptance") is None
        assert len(reads) == 1

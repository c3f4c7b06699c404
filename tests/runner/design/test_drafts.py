"""runner.design.drafts and runner.design.form_drafts: one open draft per process, revision checks, dry-run validation."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

import runner
from runner.design import drafts
from runner.models import AuditEntry, DiagramDraft, ProcessDefinition
from tests.admin.designer_support import CHAOGAO, deploy_chaogao, insert_user_task, set_property
from tests.support.flow import LIBRARY


@pytest.fixture
def chaogao(services: runner.Services) -> None:
    deploy_chaogao(services)


def test_a_process_has_one_open_draft(services: runner.Services, chaogao: None) -> None:
    with services.transaction() as s:
        first = runner.open_draft(s, CHAOGAO, actor="d1")
        assert runner.open_draft(s, CHAOGAO, actor="d2").id == first.id
        assert first.based_on_version == 1 and first.revision == 1 and first.status == "open"
        # a second insert of the same key (a colleague in the same instant) is refused by the database
        assert drafts._insert(s, key=CHAOGAO, name="x", xml=first.xml, based_on=1, actor="d2") is None
        assert s.scalar(select(func.count()).select_from(DiagramDraft)) == 1


def test_unknown_process_cannot_be_opened(services: runner.Services) -> None:
    with services.transaction() as s, pytest.raises(runner.NoSuchDefinition):
        runner.open_draft(s, "nothing_here", actor="d1")


def test_save_is_conditional_on_the_revision(services: runner.Services, chaogao: None) -> None:
    with services.transaction() as s:
        draft = runner.open_draft(s, CHAOGAO, actor="d1")
        xml = set_property(draft.xml, "accept", "limitDays", "5")
        saved = runner.save_draft(s, draft.id, xml, expected_revision=1, actor="d1")
        assert saved.revision == 2 and saved.updated_by == "d1"
        with pytest.raises(runner.Conflict) as caught:
            runner.save_draft(s, draft.id, xml, expected_revision=1, actor="d2")
        assert caught.value.context["revision"] == 2 and caught.value.context["updated_by"] == "d1"


def test_check_is_a_dry_run(services: runner.Services, chaogao: None) -> None:
    with services.transaction() as s:
        draft = runner.open_draft(s, CHAOGAO, actor="d1")
        runner.save_draft(
            s, draft.id, set_property(draft.xml, "accept", "limitDays", "5"), expected_revision=1, actor="d1"
        )
        found = runner.check_draft(s, draft.id, actor="d1")
        assert found.ok and found.revision == 2
    with services.transaction() as s:
        versions = s.scalars(select(ProcessDefinition.version).where(ProcessDefinition.key == CHAOGAO)).all()
        assert versions == [1]
        actors = {e.actor for e in s.scalars(select(AuditEntry))}
        assert drafts.DRY_RUN_ACTOR not in actors
        assert [
            e.action for e in s.scalars(select(AuditEntry).where(AuditEntry.action == "draft_checked"))
        ] == ["draft_checked"]
        assert runner.verify_audit(s) == []


def test_failed_deploy_keeps_the_draft_open(services: runner.Services, chaogao: None) -> None:
    with services.transaction() as s:
        draft = runner.open_draft(s, CHAOGAO, actor="d1")
        bad = insert_user_task(draft.xml, "f_summarized", "extra", "lane_system", formKey="no_such_form")
        runner.save_draft(s, draft.id, bad, expected_revision=1, actor="d1")
        draft_id = draft.id
    with pytest.raises(runner.DiagramInvalid) as caught, services.transaction() as s:
        runner.deploy_draft(s, draft_id, expected_revision=2, actor="d1")
    assert [p["element"] for p in caught.value.problems if p["severity"] == "error"] == ["extra"]
    with services.transaction() as s:
        assert runner.get_draft(s, draft_id).status == "open"


def test_identical_draft_deploys_without_a_new_version(services: runner.Services, chaogao: None) -> None:
    with services.transaction() as s:
        draft = runner.open_draft(s, CHAOGAO, actor="d1")
        closed, created, warnings = runner.deploy_draft(s, draft.id, expected_revision=1, actor="d1")
        assert not created and closed.deployed_version == 1 and closed.open_key is None and warnings == []


def _answers(services: runner.Services, xml: str) -> tuple[list[Any], list[Any]]:
    """(the designer's check of ``xml`` as a draft of lianban_chaogao, the API deploy's problems) — the deploy
    in a transaction that is rolled back."""
    with services.transaction() as s:
        draft = runner.open_draft(s, CHAOGAO, actor="d1")
        saved = runner.save_draft(s, draft.id, xml, expected_revision=draft.revision, actor="d1")
        checked = runner.check_draft(s, draft.id, actor="d1").problems
        runner.discard_draft(s, draft.id, expected_revision=saved.revision, actor="d1")
    session = services.session_factory()
    services._session(session)
    try:
        deployed = runner.deploy(session, xml.encode(), f"{CHAOGAO}.bpmn", actor="d1").warnings
    except runner.DiagramInvalid as exc:
        deployed = exc.problems
    finally:
        session.rollback()
        session.close()
    return checked, deployed


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"lane": "lane_system"}, []),  # a task whose lane names no window: the default window, a warning
        ({"lane": "lane_system", "formKey": "no_such_form"}, ["extra"]),
        ({"lane": "lane_system", "window": "nosuch"}, ["extra"]),
    ],
)
def test_the_designer_and_the_api_give_the_same_answers(
    services: runner.Services, chaogao: None, change: dict[str, str], errors: list[str]
) -> None:
    xml = (LIBRARY / "lianban_chaogao.bpmn").read_text(encoding="utf-8")
    props = {k: v for k, v in change.items() if k != "lane"}
    edited = insert_user_task(xml, "f_summarized", "extra", change["lane"], **props)
    checked, deployed = _answers(services, edited)
    assert sorted(checked, key=str) == sorted(deployed, key=str)
    assert [p["element"] for p in checked if p["severity"] == "error"] == errors
    assert any(p["element"] == "extra" for p in checked)


def test_form_drafts_publish_and_withdraw(services: runner.Services) -> None:
    def check(key: str, body: str) -> str | None:
        return None if body.startswith("{") else "not an object"

    with services.transaction() as s:
        runner.save_form_draft(s, "site_photo", "draft one", expected_revision=0, actor="d1")
        with pytest.raises(runner.InvalidInput):
            runner.publish_form_draft(s, "site_photo", expected_revision=1, actor="d1", check=check)
        runner.save_form_draft(s, "site_photo", '{"title": "t"}', expected_revision=1, actor="d1")
        runner.publish_form_draft(s, "site_photo", expected_revision=2, actor="d1", check=check)
        assert runner.published_form_schema(s, "site_photo") == (2, '{"title": "t"}')
        assert runner.published_form_keys(s) == {"site_photo"}
        runner.save_form_draft(s, "site_photo", '{"title": "t2"}', expected_revision=2, actor="d1")
        assert runner.published_form_schema(s, "site_photo") == (2, '{"title": "t"}')
        runner.withdraw_form_schema(s, "site_photo", actor="d1")
        assert runner.published_form_schema(s, "site_photo") is None
        with pytest.raises(runner.InvalidInput):
            runner.save_form_draft(s, "Bad-Key", "{}", expected_revision=0, actor="d1")

"""网上申报 from draft to the counter (runner/online)."""

from __future__ import annotations

from datetime import timedelta

import pytest

import runner
from runner.catalogue import items
from runner.catalogue.applications import Applicant
from runner.models import OnlineFile, Rating, WarningEvent
from runner.online import applications, codes, counter, files, review, submission, sweep
from tests.support.catalogue import demo

from .conftest import CODE, PDF, PERSON, application, last_code, required_materials


def test_only_items_open_online_take_applications(services, catalogue):
    with services.transaction() as s:
        items.save_item(s, demo(CODE) | {"online": False}, actor="admin")
    with services.transaction() as s, pytest.raises(runner.NotFound, match="网上申报"):
        applications.start_draft(s, CODE, PERSON)


def test_identity_check_digits_are_verified(services, catalogue):
    wrong = Applicant("张三", "110105194912310021", "13800001234")
    with services.transaction() as s, pytest.raises(runner.InvalidInput, match="校验位"):
        applications.start_draft(s, CODE, wrong)
    company = Applicant("某某公司", "91110000600037341X", "13800001234", kind="organisation")
    with services.transaction() as s, pytest.raises(runner.InvalidInput, match="统一社会信用代码"):
        applications.start_draft(s, CODE, company)


def test_submitting_needs_the_confirmed_number_and_every_required_material(services, catalogue):
    with services.transaction() as s:
        row, token = applications.start_draft(s, CODE, PERSON)
        codes.request_code(s, row)
    with services.transaction() as s:
        row = applications.by_token(s, token)
        with pytest.raises(runner.InvalidInput, match="验证码"):
            submission.submit(s, row)
    with services.transaction() as s:
        row = applications.by_token(s, token)
        assert not codes.verify_code(s, row, "000000" if last_code(s) != "000000" else "111111")
    with services.transaction() as s:
        row = applications.by_token(s, token)
        assert row.code_attempts == 1  # a wrong try is counted
        assert codes.verify_code(s, row, last_code(s))
        files.add_files(s, row, [files.Upload(required_materials()[0], "a.pdf", "application/pdf", PDF)])
        with pytest.raises(runner.InvalidInput, match="必需的材料"):
            submission.submit(s, row)


def test_a_code_typed_in_full_width_or_with_spaces_confirms_the_number(services, catalogue):
    """A Chinese input method in full-width mode types １２３４５６; the ID number and the phone take that, and so
    does the code (neither refused nor counted as a wrong try)."""
    with services.transaction() as s:
        row, token = applications.start_draft(s, CODE, PERSON)
        codes.request_code(s, row)
    with services.transaction() as s:
        code = last_code(s)
        typed = " " + "".join(chr(ord(c) + 0xFEE0) for c in code[:3]) + "\u3000" + code[3:] + " "
        row = applications.by_token(s, token)
        assert codes.verify_code(s, row, typed)
        assert row.code_attempts == 0


def test_five_wrong_codes_end_the_code_and_it_expires(services, catalogue, clock):
    with services.transaction() as s:
        row, token = applications.start_draft(s, CODE, PERSON)
        codes.request_code(s, row)
    for _ in range(codes.MAX_ATTEMPTS):
        with services.transaction() as s:
            row = applications.by_token(s, token)
            good = last_code(s)
            codes.verify_code(s, row, "x")
    with services.transaction() as s:
        assert not codes.verify_code(s, applications.by_token(s, token), good)
        codes.request_code(s, applications.by_token(s, token))
    clock.advance(minutes=services.settings.otp_minutes + 1)
    with services.transaction() as s:
        assert not codes.verify_code(s, applications.by_token(s, token), last_code(s))


def test_the_private_link_reveals_only_its_own_application(services, submitted):
    first, token = submitted()
    other, other_token = submitted(Applicant("李四", "110101199003070011", "13900001111"))
    with services.transaction() as s:
        assert applications.by_token(s, token).id == first
        assert applications.by_token(s, other_token).id == other
        for guess in ("", token[:-1], token + "x", applications.by_token(s, token).number, "x" * 500):
            with pytest.raises(applications.NoSuchApplication):
                applications.by_token(s, guess)
        mine = applications.by_token(s, token)
        their_file = s.query(OnlineFile).filter(OnlineFile.application_id == other).first()
        assert files.file_of(s, mine, their_file.id) is None
        assert len(token) >= 40 and mine.token_hash != token  # only the hash is stored


def test_returned_then_resubmitted_then_passed_keeps_every_version(services, submitted):
    aid, token = submitted()
    wrong = required_materials()[1]
    with services.transaction() as s:
        row = applications.by_token(s, token)
        assert row.number.startswith("WS2026-") and row.state == applications.SUBMITTED
        with pytest.raises(runner.InvalidInput, match="退回理由"):
            review.decide(s, row, review.RETURN, actor="shichang_clerk", reasons={})
    with services.transaction() as s:
        row = applications.by_token(s, token)
        review.decide(s, row, review.RETURN, actor="shichang_clerk", reasons={wrong: "复印件不清晰"})
    with services.transaction() as s:
        row = applications.by_token(s, token)
        assert (row.state, row.reasons) == (applications.RETURNED, {wrong: "复印件不清晰"})
        with pytest.raises(runner.InvalidInput, match="未被退回"):
            files.add_files(s, row, [files.Upload(required_materials()[0], "a.pdf", "application/pdf", PDF)])
    with services.transaction() as s:
        row = applications.by_token(s, token)
        with pytest.raises(runner.InvalidInput, match="重新上传"):
            submission.submit(s, row)
    with services.transaction() as s:
        row = applications.by_token(s, token)
        files.add_files(s, row, [files.Upload(wrong, "clear.pdf", "application/pdf", PDF + b"v2")])
        submission.submit(s, row)
        assert row.submissions == 2
        review.decide(s, row, review.PASS, actor="shichang_clerk")
    with services.transaction() as s:
        row = applications.by_token(s, token)
        versions = files.versions_of(s, row)
        assert [f.filename for f in versions[wrong]] == ["clear.pdf", f"{wrong}.pdf"]
        assert row.state == applications.APPROVED and row.reasons == {}
        assert [r["decision"] for r in row.reviews] == ["return", "pass"]
    assert application(services, aid).state == applications.APPROVED


def test_per_material_and_per_application_limits_refuse_the_whole_upload(services, catalogue, monkeypatch):
    with services.transaction() as s:
        row, token = applications.start_draft(s, CODE, PERSON)
    name = required_materials()[0]
    monkeypatch.setattr(files, "MAX_APPLICATION_BYTES", 100)
    with services.transaction() as s, pytest.raises(runner.InvalidInput, match="合计"):
        row = applications.by_token(s, token)
        files.add_files(
            s,
            row,
            [
                files.Upload(name, "a.pdf", "application/pdf", PDF),
                files.Upload(name, "b.pdf", "x", b"x" * 90),
            ],
        )
    with services.transaction() as s:
        assert s.query(OnlineFile).count() == 0  # nothing half-stored
    monkeypatch.setattr(files, "MAX_APPLICATION_BYTES", 10**9)
    with services.transaction() as s, pytest.raises(runner.InvalidInput, match="最多上传"):
        row = applications.by_token(s, token)
        files.add_files(
            s, row, [files.Upload(name, "a.pdf", "application/pdf", PDF)] * (files.MAX_VERSIONS + 1)
        )
    with services.transaction() as s, pytest.raises(runner.InvalidInput, match="不是本事项"):
        files.add_files(
            s, applications.by_token(s, token), [files.Upload("别的", "a.pdf", "application/pdf", PDF)]
        )


def test_abandoned_drafts_expire_and_their_files_are_deleted(services, catalogue, clock):
    with services.transaction() as s:
        row, token = applications.start_draft(s, CODE, PERSON)
        files.add_files(s, row, [files.Upload(required_materials()[0], "a.pdf", "application/pdf", PDF)])
        kept, _ = applications.start_draft(s, CODE, PERSON)
        kept_id = kept.id
    clock.advance(hours=services.settings.online_draft_hours - 1)
    with services.transaction() as s:
        applications.touch(s, s.get(type(row), kept_id))  # still worked on
    clock.advance(hours=2)
    with services.transaction() as s:
        assert sweep.sweep_online(s)["expired_drafts"] == 1
    with services.transaction() as s:
        gone = applications.by_token(s, token)
        assert gone.state == applications.EXPIRED
        assert s.query(OnlineFile).filter(OnlineFile.application_id == gone.id).count() == 0
        with pytest.raises(applications.WrongState):
            submission.submit(s, gone)
        assert s.get(type(row), kept_id).state == applications.DRAFT


def test_an_overdue_pre_review_is_a_warning_of_the_lead_window(services, submitted, clock):
    aid, _ = submitted()
    due = application(services, aid).review_due
    clock.set(due + timedelta(milliseconds=500))  # 23:59:59.5 of the limit's day: still in time
    with services.transaction() as s:
        assert sweep.sweep_online(s)["overdue_reviews"] == 0
    clock.set(due + timedelta(seconds=1))  # the next local midnight
    with services.transaction() as s:
        assert sweep.sweep_online(s)["overdue_reviews"] == 1
        assert sweep.sweep_online(s)["overdue_reviews"] == 0  # once
    with services.transaction() as s:
        [warning] = s.query(WarningEvent).all()
        assert (warning.window, warning.level, warning.instance_id) == ("shichang", "yellow", None)
        assert warning.online_application_id == aid
        assert "预审已超过时限" in warning.message and "pre-review" not in warning.message
        assert warning.message_en.startswith("The pre-review of online application ")
        listed = runner.warnings_for(s, user="shichang_clerk", windows=["shichang"])
        assert [w["id"] for w in listed] == [warning.id]
        runner.acknowledge_warning(s, warning.id, actor="shichang_clerk", reply="已补做预审")


def test_the_counter_finds_it_and_the_item_finishes_it(services, submitted):
    from runner.catalogue.applications import start_item

    aid, token = submitted()
    with services.transaction() as s:
        row = applications.by_token(s, token)
        review.decide(s, row, review.PASS, actor="shichang_clerk")
        number = row.number
    with services.transaction() as s:
        for text in (number, number.lower(), PERSON.id_number, PERSON.phone):
            assert [r.id for r in counter.find(s, text, ["shichang"])] == [aid], text
        assert counter.find(s, number, ["shebao"]) == []
        row = applications.by_token(s, token)
        intake = counter.intake_of(s, row)
        assert intake.applicant.id_number == PERSON.id_number
        assert {m.name for m in intake.materials if m.status == "received"} == set(required_materials())
        instance = start_item(s, CODE, actor="shichang_clerk", intake=intake)
        counter.receive(s, row, instance, actor="shichang_clerk")
        iid = instance.id
    assert application(services, aid).state == applications.RECEIVED
    with services.transaction() as s:
        assert counter.find(s, number, ["shichang"]) == []
        runner.terminate(s, iid, actor="admin", reason="测试")
        assert counter.catch_up(s, applications.by_token(s, token)).id == iid
    row = application(services, aid)
    assert (row.state, row.instance_id) == (applications.FINISHED, iid)


@pytest.mark.parametrize(("days", "due"), [(None, "2026-09-29"), (2, "2026-09-30"), (3, "2026-10-08")])
def test_the_pre_review_limit_counts_working_days_of_the_item(services, catalogue, submitted, days, due):
    from runner.timekeeping.deadlines import calendar

    if days:
        with services.transaction() as s:
            items.save_item(s, demo(CODE) | {"prereview_days": days}, actor="admin")
    aid, _ = submitted()
    with services.transaction() as s:
        row = s.get(type(application(services, aid)), aid)
        assert calendar(s).local_date(row.review_due).isoformat() == due  # the National Day holiday skipped


def test_an_item_applied_for_online_is_rated_on_the_online_channel(services, submitted):
    """好差评 from home (issue 25): an item that began online is rated on 网上办事 with its four indicators; an
    item registered at the counter keeps the progress page's channel."""
    from runner.applicants import ratings
    from runner.catalogue.applications import start_item

    _, token = submitted()
    with services.transaction() as s:
        row = applications.by_token(s, token)
        review.decide(s, row, review.PASS, actor="shichang_clerk")
        instance = start_item(s, CODE, actor="shichang_clerk", intake=counter.intake_of(s, row))
        counter.receive(s, row, instance, actor="shichang_clerk")
        online_key = instance.business_key
        counter_key = start_item(s, CODE, actor="shichang_clerk", data={"applicant": "张三"}).business_key
    with services.transaction() as s:
        assert ratings.home_channel(s, online_key) == "online"
        assert ratings.home_channel(s, counter_key) == "progress"
        ratings.rate(s, online_key, "very_satisfied", occasion="acceptance",
                     indicators={"guide_accuracy": "satisfied", "usability": "very_satisfied"})  # fmt: skip
        with pytest.raises(runner.InvalidInput, match="guide_accuracy"):
            ratings.rate(
                s, counter_key, "satisfied", occasion="acceptance", indicators={"guide_accuracy": "satisfied"}
            )
    with services.transaction() as s:
        row = s.query(Rating).one()
        assert (row.channel, sorted(row.indicators)) == ("online", ["guide_accuracy", "usability"])


def test_a_batch_reads_its_items_received_applications_at_once_and_their_end_finishes_them(
    services, submitted
):
    """A batch of timers reads its items' received applications in one query (``hooks.READ_AHEAD``); the save
    that ends an item finishes its application from those rows, without reading them again."""
    from sqlalchemy import event

    from runner.catalogue.applications import start_item
    from runner.core import hooks
    from runner.models import InstanceStatus, ProcessInstance

    _, token = submitted()
    with services.transaction() as s:
        row = applications.by_token(s, token)
        review.decide(s, row, review.PASS, actor="shichang_clerk")
    with services.transaction() as s:
        row = applications.by_token(s, token)
        instance = start_item(s, CODE, actor="shichang_clerk", intake=counter.intake_of(s, row))
        counter.receive(s, row, instance, actor="shichang_clerk")
        iid = instance.id
    with services.transaction() as s:
        instance = s.get(ProcessInstance, iid)
        hooks.run_read_ahead(s, [iid])
        read: list[str] = []

        def watch(conn, cursor, statement, *args) -> None:
            if statement.lstrip().upper().startswith("SELECT") and "online_applications" in statement:
                read.append(statement)

        event.listen(services.engine, "before_cursor_execute", watch)
        try:
            instance.status = InstanceStatus.COMPLETED
            hooks.run_after_save(s, instance)
        finally:
            event.remove(services.engine, "before_cursor_execute", watch)
        assert read == []
        assert applications.by_token(s, token).state == applications.FINISHED

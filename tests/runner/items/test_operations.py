"""Audit tamper evidence, a Redis outage, DMN tables and runtime sandbox incidents."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import text

import runner
from runner.config import Settings
from runner.core.scheduling import RQScheduler, wakeup_of
from runner.core.services import Services
from tests.runner.helpers import DATA, WINDOWS, complete, deploy_file, describe, start, the_task


def test_audit_tamper_is_detected_naming_the_row(services, db_engine):
    deploy_file(services, "review.bpmn")
    iid = start(services, "review")
    complete(services, the_task(services, iid, "accept")["id"], {"complete": False})
    with services.transaction() as s:
        assert runner.verify_audit(s) == []
    with db_engine.begin() as conn:
        row_id = conn.execute(
            text("SELECT id FROM audit_entries WHERE instance_id = :i AND action = 'start'"), {"i": iid}
        ).scalar_one()
        conn.execute(text("UPDATE audit_entries SET actor = 'someone_else' WHERE id = :r"), {"r": row_id})
    with services.transaction() as s:
        [broken] = runner.verify_audit(s)
    assert broken.entry_id == row_id and "edited" in broken.reason


def test_audit_deleted_tail_is_detected(services, db_engine):
    deploy_file(services, "review.bpmn")
    iid = start(services, "review")
    complete(services, the_task(services, iid, "accept")["id"], {"complete": False})
    with db_engine.begin() as conn:
        conn.execute(
            text(
                "DELETE FROM audit_entries WHERE id = (SELECT max(id) FROM audit_entries WHERE instance_id = :i)"
            ),
            {"i": iid},
        )
    with services.transaction() as s:
        [broken] = runner.verify_audit(s)
    assert broken.chain == f"instance:{iid}" and "removed" in broken.reason


def test_redis_outage_loses_nothing(database_url, db_engine, clock, redis_url):
    # Redis is unreachable: clerks keep working; timers are in the database and the sweep sends them later
    dead = Services(
        Settings(database_url=database_url, redis_url="redis://127.0.0.1:1/0"),
        clock=clock,
        scheduler=RQScheduler("redis://127.0.0.1:1/0", "banjian-test"),
        engine=db_engine,
    )
    deploy_file(dead, "review.bpmn")
    iid = start(dead, "review")
    complete(dead, the_task(dead, iid, "accept")["id"], {"complete": True})
    [timer] = describe(dead, iid)["timers"]
    assert timer["status"] == "pending"
    clock.advance(minutes=29)
    with dead.transaction() as s:
        assert runner.sweep(s)["redis"] == "down"
    back = Services(
        Settings(database_url=database_url, redis_url=redis_url, queue_name="banjian-test"),
        clock=clock,
        scheduler=RQScheduler(redis_url, "banjian-test"),
        engine=db_engine,
    )
    with back.transaction() as s:
        assert runner.sweep(s) == {"checked": 1, "sent": 1}
    wakeup = wakeup_of(back, datetime.fromisoformat(timer["due_at"]))
    assert back.scheduler.queue.connection.exists(f"rq:job:{wakeup.job_id}")


def test_dmn_decision_table(services):
    with services.transaction() as s:
        runner.upsert_windows(s, WINDOWS)
        runner.deploy(
            s,
            (DATA / "fee.bpmn").read_bytes(),
            "fee.bpmn",
            actor="d",
            dmn=[((DATA / "fee.dmn").read_bytes(), "fee.dmn")],
        )
    small = start(services, "fee_item", data={"area": 80})
    large = start(services, "fee_item", data={"area": 120})
    assert the_task(services, small, "pay")["form_key"] == "decision"
    complete(services, the_task(services, small, "pay")["id"], {})
    complete(services, the_task(services, large, "pay")["id"], {})
    assert describe(services, small)["data"]["fee"] == 50
    assert describe(services, large)["data"]["fee"] == 200


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("while True:\n    pass", "超时"),
        ("x = list(range(10 ** 9))", "range"),
        ("x = 'a' * (10 ** 9)", "10"),
    ],
)
def test_runaway_scripts_become_incidents(services, script, message):
    xml = (DATA / "upper_reply.bpmn").read_bytes().replace(b"per_copy = total / copies", script.encode())
    xml = xml.replace(b'id="upper_reply" name', b'id="runaway" name')
    with services.transaction() as s:
        runner.upsert_windows(s, WINDOWS)
        runner.deploy(s, xml, "runaway.bpmn", actor="d")
    services.settings = Settings(database_url=services.settings.database_url, script_time_limit=0.3)
    iid = start(services, "runaway", data={"lead_window": "shebao"})
    complete(services, the_task(services, iid, "report")["id"], {})
    view = describe(services, iid)
    assert view["status"] == "error"
    assert message in view["incidents"][0]["message"]


@pytest.mark.parametrize(
    "script",
    [
        "import os",
        "open('/etc/passwd').read()",
        "x = ().__class__.__subclasses__()",
        "x = getattr(1, 'real')",
    ],
)
def test_dangerous_scripts_are_refused_at_deploy(services, script):
    xml = (DATA / "upper_reply.bpmn").read_bytes().replace(b"per_copy = total / copies", script.encode())
    with services.transaction() as s:
        runner.upsert_windows(s, WINDOWS)
        with pytest.raises(runner.DiagramInvalid) as err:
            runner.deploy(s, xml, "bad.bpmn", actor="d")
    assert err.value.problems[0]["element"] == "calc"


def test_audit_export_jsonl_and_csv(services):
    import csv
    import io
    import json

    from runner.core.audit import export

    deploy_file(services, "review.bpmn")
    iid = start(services, "review")
    complete(services, the_task(services, iid, "accept")["id"], {"complete": False})
    with services.transaction() as s:
        lines = list(export(s, "jsonl"))
        rows = list(csv.DictReader(io.StringIO("".join(export(s, "csv")))))
    records = [json.loads(line) for line in lines]
    assert [r["action"] for r in records] == ["deploy", "start", "complete"]
    assert [r["action"] for r in rows] == ["deploy", "start", "complete"]
    assert rows[1]["hash"] == records[1]["hash"] and records[2]["prev_hash"] == records[1]["hash"]
    with services.transaction() as s:
        assert [json.loads(x)["action"] for x in export(s, "jsonl", since_id=records[1]["id"])] == [
            "complete"
        ]

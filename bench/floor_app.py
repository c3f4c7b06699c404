"""The floor under a durable completion through HTTP on this machine: a bare Flask app, measured, never shipped.

``bench/http_throughput.py`` serves this app with the same gunicorn shape as the platform's web node and drives
it with the same clients, so its figure says how fast *any* service built on this stack could go here:
Flask, SpiffWorkflow stepping the same 联办件 with the same script engine and calendar, and PostgreSQL through
the bare ``psycopg`` driver. Per request it does only what every durable completion must do:

- find the caller: the bearer token's user name (the platform fixture's ``TOKENS``), then one indexed
  ``SELECT``;
- step the item's workflow, kept in the worker's memory (restored from its row when this worker's copy is
  missing or older than the row);
- store the whole engine state (``runner.core.state.dump_workflow``, as the platform stores it) and one audit row
  in one durable transaction, with an optimistic version check.

Everything else the platform does on a step is left out: the form check, the window permissions, the open
task rows, timers, deadlines and warnings, the audit hash chain. The task ids it hands out carry their item's
row id (``<row>.<task uuid>``), so a worker that does not hold the item can restore it.

Run as ``gunicorn 'bench.floor_app:create_app()'`` with ``BANJIAN_FLOOR_DSN`` set (a libpq connection string
to a database made by :func:`create_tables`).
"""

from __future__ import annotations

import os
import threading
import uuid
from typing import Any

import psycopg
from flask import Flask, abort, jsonify, request
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from runner.core.state import dump_workflow, load_workflow
from tests.support.joint import load_joint
from tests.support.platform import TOKENS

TABLES = (
    "CREATE TABLE floor_users (id serial PRIMARY KEY, name text UNIQUE NOT NULL)",
    "CREATE TABLE floor_items (id bigserial PRIMARY KEY, state bytea NOT NULL, state_version text NOT NULL,"
    " version int NOT NULL, owner int NOT NULL REFERENCES floor_users)",
    "CREATE TABLE floor_audit (id bigserial PRIMARY KEY, item bigint NOT NULL REFERENCES floor_items,"
    " task uuid, by_user int NOT NULL, at timestamptz NOT NULL DEFAULT now())",
)


def create_tables(dsn: str, users: list[str]) -> None:
    """Make the floor app's three tables in the (empty) database at ``dsn``, with ``users`` in it."""
    with psycopg.connect(dsn, autocommit=True) as connection:
        for statement in TABLES:
            connection.execute(statement)
        for name in users:
            connection.execute("INSERT INTO floor_users (name) VALUES (%s)", (name,))


def floor_database(platform: Any) -> str:
    """The floor app's own database in the cluster of ``platform`` (``tests/support/platform.py``), its tables made
    and the platform's token users in it: its connection string (a libpq URI, as psycopg takes it)."""
    platform.postgres.create_database("floor")
    dsn: str = platform.postgres.url("floor", driver="postgresql")
    create_tables(dsn, sorted(set(TOKENS.values())))
    return dsn


def create_app() -> Flask:
    """The floor app: ``POST /api/instances`` and ``POST /api/tasks/<id>/complete``, answering open tasks."""
    dsn = os.environ["BANJIAN_FLOOR_DSN"]
    joint = load_joint()
    held: dict[int, tuple[BpmnWorkflow, int]] = {}  # item row -> (workflow, version) this worker holds
    local = threading.local()
    app = Flask(__name__)

    def connection() -> psycopg.Connection:
        if getattr(local, "connection", None) is None or local.connection.closed:
            local.connection = psycopg.connect(dsn)
        return local.connection

    def caller(cursor: psycopg.Cursor) -> int:
        name = TOKENS.get(request.headers.get("Authorization", "").removeprefix("Bearer "))
        row = (
            cursor.execute("SELECT id FROM floor_users WHERE name = %s", (name,)).fetchone() if name else None
        )
        if row is None:
            abort(401)
        return int(row[0])

    def answer(item: int, workflow: BpmnWorkflow) -> Any:
        ready = workflow.get_tasks(state=TaskState.READY, manual=True)
        return jsonify(
            id=item, tasks=[{"id": f"{item}.{t.id}", "spec_name": t.task_spec.bpmn_id} for t in ready]
        )

    @app.teardown_request
    def end_transaction(_: BaseException | None) -> None:
        """A request that failed part-way leaves nothing open: the next one starts a clean transaction."""
        db = getattr(local, "connection", None)
        if db is not None and not db.closed:
            db.rollback()  # nothing to send after a commit: psycopg skips it on an idle connection

    @app.get("/healthz")
    def healthz() -> Any:
        return jsonify(ok=True)

    @app.post("/api/instances")
    def start() -> Any:
        data = (request.get_json() or {}).get("data", {})
        db = connection()
        with db.cursor() as cursor:
            user = caller(cursor)
            workflow = joint.new_workflow()
            for task in workflow.get_tasks(state=TaskState.READY):
                task.data.update(data)
            workflow.do_engine_steps()
            blob, state_version = dump_workflow(workflow)
            row = cursor.execute(
                "INSERT INTO floor_items (state, state_version, version, owner) VALUES (%s, %s, 1, %s)"
                " RETURNING id",
                (blob, state_version, user),
            ).fetchone()
            assert row is not None
            item = int(row[0])
            cursor.execute("INSERT INTO floor_audit (item, by_user) VALUES (%s, %s)", (item, user))
        db.commit()
        held[item] = (workflow, 1)
        return answer(item, workflow)

    @app.post("/api/tasks/<task_id>/complete")
    def complete(task_id: str) -> Any:
        item_text, _, task_text = task_id.partition(".")
        item, task_uuid = int(item_text), uuid.UUID(task_text)
        db = connection()
        with db.cursor() as cursor:
            user = caller(cursor)
            workflow, version = held.pop(item, (None, 0))  # a failure below leaves the item to its row
            row = cursor.execute(  # the state only when this worker's copy is missing or stale
                "SELECT version, state_version, CASE WHEN version <> %s THEN state END FROM floor_items"
                " WHERE id = %s",
                (version, item),
            ).fetchone()
            if row is None:
                abort(404)
            if row[2] is not None:
                workflow, version = load_workflow(row[2], row[1], joint.spec, joint.subprocess_specs), row[0]
                workflow.script_engine = joint.engine
            assert workflow is not None  # held at the row's version (rows start at 1)
            task = workflow.get_task_from_id(task_uuid)
            task.data.update(joint.step_data[task.task_spec.bpmn_id])  # the form check's output
            task.run()
            workflow.do_engine_steps()
            blob, _ = dump_workflow(workflow)
            cursor.execute(
                "UPDATE floor_items SET state = %s, version = version + 1 WHERE id = %s AND version = %s",
                (blob, item, version),
            )
            if cursor.rowcount != 1:
                abort(409)  # changed meanwhile; the teardown rolls back
            cursor.execute(
                "INSERT INTO floor_audit (item, task, by_user) VALUES (%s, %s, %s)", (item, task_uuid, user)
            )
        db.commit()
        held[item] = (workflow, version + 1)
        return answer(item, workflow)

    return app

"""A whole platform in separate processes, as it is deployed: PostgreSQL, Redis, gunicorn web nodes, RQ workers.

Used by the fault tests (``tests/chaos``), the multi-process deployment test and the HTTP benchmark.
Every process shares one database, one Redis and a file clock (``BANJIAN_CLOCK_FILE``) so a test can make
timers due without waiting. The JSON API is reached over real HTTP with bearer tokens.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.clock import FileClock

from .services import (
    PostgresCluster,
    RedisServer,
    free_port,
    remove_tree,
    start_postgres,
    start_redis,
    stop_process,
    wait_for_port,
)

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
QUEUE = "banjian-platform"
TOKENS = {"t-bench": "bench", "t-admin": "admin", "t-upper": "upper"}
# the 联办件 (抄告制) form data for each step of the happy path, as an API client sends it (it must pass the
# form of the step: tests/api/test_form_check.py drives an item with it); ``materials_complete`` is not sent,
# the form derives it from the empty ``missing_materials``
JOINT = "lianban_chaogao"
RELATED = ["guotu", "huanbao", "guihua"]
STEP_DATA: dict[str, dict[str, Any]] = {
    "accept": {"related_windows": RELATED, "review_days": 3, "materials_list": ["申请书", "营业执照"]},
    "review": {"result": "agree"},
    "consolidate": {"decision": "approve", "decision_reason": ""},
    "notify_applicant": {"delivery": "window", "result_doc_no": "LB-2026-001"},
}
# the form key of each step in bpmn/lianban_chaogao.bpmn
STEP_FORMS = {
    "accept": "joint_acceptance",
    "review": "window_review",
    "consolidate": "joint_consolidation",
    "notify_applicant": "completion_notice",
}


def step_task_data(step: str) -> dict[str, Any]:
    """The task data the form check of ``POST /api/tasks/<id>/complete`` makes of ``STEP_DATA[step]``: what the
    engine gets (raw SpiffWorkflow runs of the benchmarks step the diagram with it)."""
    from forms.schema import load_all
    from forms.submission import FormContext, task_data_from_json

    from .flow import library_windows

    ctx = FormContext(windows=dict(library_windows()), definition_key=JOINT)
    return task_data_from_json(load_all()[STEP_FORMS[step]], ctx, STEP_DATA[step])


def wait_until(
    predicate: Callable[[], Any], timeout: float = 60.0, interval: float = 0.2, what: str = ""
) -> Any:
    """Poll ``predicate`` until it returns something true; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"not reached in {timeout:.0f} s: {what}")


@dataclass
class Web:
    """One gunicorn web node."""

    proc: subprocess.Popen
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Platform:
    """The processes of one deployment, started and stopped by a test."""

    workdir: Path
    postgres: PostgresCluster
    database_url: str
    redis: RedisServer
    clock: FileClock | None  # None: the processes run on real time (benchmarks)
    sweep_interval: int = 2
    webs: list[Web] = field(default_factory=list)
    workers: list[subprocess.Popen] = field(default_factory=list)

    # --- processes ------------------------------------------------------------------------------

    def env(self, **extra: str) -> dict[str, str]:
        """The environment every process of this platform runs with."""
        clock = {"BANJIAN_CLOCK_FILE": str(self.clock.path)} if self.clock is not None else {}
        return {
            **{k: v for k, v in os.environ.items() if k != "BANJIAN_CLOCK_FILE"},
            **clock,
            "BANJIAN_DATABASE_URL": self.database_url,
            "BANJIAN_REDIS_URL": self.redis.url,
            "BANJIAN_QUEUE_NAME": QUEUE,
            "BANJIAN_SWEEP_INTERVAL_SECONDS": str(self.sweep_interval),
            "BANJIAN_API_TOKENS": ",".join(f"{t}={n}" for t, n in TOKENS.items()),
            "BANJIAN_SECRET_KEY": "platform-test-secret",
            "PYTHONUNBUFFERED": "1",
            **extra,
        }

    def cli(self, *args: str, stdin: str | None = None) -> str:
        """Run ``python -m runner.cli ARGS`` against this platform's database (``stdin``: e.g. a password)."""
        result = subprocess.run(
            [sys.executable, "-m", "runner.cli", *args],
            cwd=ROOT, env=self.env(), input=stdin, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        if result.returncode != 0:
            raise AssertionError(f"runner.cli {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def start_web(
        self,
        *,
        port: int | None = None,
        workers: int = 2,
        threads: int = 4,
        connections: int = 1000,
        app: str = "webapp:create_app()",
        env: dict[str, str] | None = None,
    ) -> Web:
        """A gunicorn node serving ``app`` (the platform's by default; ``env`` added to the platform's
        environment); waits until ``/healthz`` answers."""
        port = port or free_port()
        log_path = self.workdir / f"web-{port}.log"
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(
                [
                    str(BIN / "gunicorn"),
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    str(workers),
                    "--threads",
                    str(threads),
                    "--worker-class",  # keep-alive connections even with one thread per worker
                    "gthread",
                    "--worker-connections",  # at most this many open connections per worker
                    str(connections),
                    "--graceful-timeout",
                    "5",
                    "--timeout",
                    "60",
                    "--no-control-socket",  # several nodes on one machine must not share ~/.gunicorn
                    "--config",  # the web node's settings (the heap settled in each worker), for any app served
                    "python:webapp.gunicorn_conf",
                    app,
                ],  # fmt: skip
                cwd=ROOT,
                env=self.env(**(env or {})),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        web = Web(proc, port, log_path)
        self.webs.append(web)
        wait_for_port(port, timeout=60)
        wait_until(lambda: self._healthy(web), timeout=60, what=f"web on {port} healthy")
        return web

    def _healthy(self, web: Web) -> bool:
        try:
            return self.request(web, "GET", "/healthz")[0] == 200
        except OSError:
            return False

    def kill_web(self, web: Web) -> None:
        """SIGKILL a web node and its gunicorn workers (the whole process group)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(web.proc.pid, signal.SIGKILL)
        web.proc.wait(timeout=10)

    def start_worker(self, name: str | None = None) -> subprocess.Popen:
        """A ``python -m worker`` process (RQ worker with its scheduler, sweeping timers)."""
        index = len(self.workers) + 1
        log_path = self.workdir / f"worker-{index}.log"
        args = [sys.executable, "-m", "worker"] + (["--name", name] if name else [])
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(
                args, cwd=ROOT, env=self.env(), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )
        proc.log_path = log_path  # type: ignore[attr-defined]
        self.workers.append(proc)
        return proc

    def restart_redis(self, *, down_for: float = 0.0) -> None:
        """Stop Redis, wait ``down_for`` seconds, start an empty one on the same port."""
        self.redis.stop()
        time.sleep(down_for)
        self.redis = start_redis(self.workdir / "redis", port=self.redis.port)

    def stop(self) -> None:
        for web in self.webs:
            if web.proc.poll() is None:
                try:
                    os.killpg(web.proc.pid, signal.SIGTERM)
                    web.proc.wait(timeout=10)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    self.kill_web(web)
        for proc in self.workers:
            stop_process(proc, timeout=5)
        self.redis.stop()
        self.postgres.stop()
        remove_tree(self.postgres.base)

    def logs(self) -> str:
        """The tails of every process log (printed when a test fails)."""
        parts = []
        for path in sorted(self.workdir.glob("*.log")):
            parts.append(f"--- {path.name} ---\n{path.read_text(errors='replace')[-3000:]}")
        return "\n".join(parts)

    def sql(self, statement: str, **params: Any) -> list[Any]:
        """Rows of one read-only SQL statement on the platform's database (for the tests' own checks)."""
        from sqlalchemy import create_engine, text

        engine = create_engine(self.database_url)
        try:
            with engine.connect() as connection:
                return list(connection.execute(text(statement), params))
        finally:
            engine.dispose()

    def restart_postgres(self, *, down_for: float = 0.0) -> None:
        """Stop PostgreSQL (fast shutdown: open connections are cut), wait, start it again on the same port."""
        from .services import _as_postgres, postgres_bin

        pg = self.postgres
        subprocess.run(
            _as_postgres([postgres_bin("pg_ctl"), "-D", str(pg.datadir), "-m", "fast", "-w", "stop"]),
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        time.sleep(down_for)
        options = f"-k {pg.sockdir} -p {pg.port} -c listen_addresses=127.0.0.1 -c max_connections=200"
        subprocess.run(
            _as_postgres([
                postgres_bin("pg_ctl"), "-D", str(pg.datadir), "-l", str(pg.logfile), "-o", options, "-w", "start",
            ]),
            check=True, capture_output=True, timeout=120, cwd=pg.base,
        )  # fmt: skip
        wait_for_port(pg.port, timeout=30)

    # --- HTTP -----------------------------------------------------------------------------------

    def request(
        self,
        web: Web,
        method: str,
        path: str,
        payload: Any = None,
        *,
        token: str = "t-bench",
        timeout: float = 30,
    ) -> tuple[int, Any]:
        """One HTTP request to ``web``; returns (status, decoded JSON or text)."""
        data = json.dumps(payload).encode() if payload is not None else None
        req = urllib.request.Request(web.url + path, data=data, method=method)
        req.add_header("Authorization", f"Bearer {token}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as response:
                status, body = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, body = exc.code, exc.read()
        try:
            return status, json.loads(body)
        except ValueError:
            return status, body.decode(errors="replace")

    def api(self, web: Web, method: str, path: str, payload: Any = None, **kwargs: Any) -> Any:
        """An API call that must succeed (2xx); returns the JSON."""
        status, body = self.request(web, method, "/api" + path, payload, **kwargs)
        if not 200 <= status < 300:
            raise AssertionError(f"{method} {path} -> {status}: {body}")
        return body

    def start_joint_item(self, web: Web, applicant: str = "张三") -> dict[str, Any]:
        """Start one 联办件 (抄告制) through the API; returns the instance summary with its tasks."""
        return self.api(
            web,
            "POST",
            "/instances",
            {"key": JOINT, "data": {"lead_window": "shichang", "applicant": applicant}},
        )

    def complete_step(self, web: Web, task: dict[str, Any]) -> dict[str, Any]:
        """Complete one task of the joint item's happy path with its form data."""
        data = STEP_DATA[task["spec_name"].split(" [")[0]]
        return self.api(web, "POST", f"/tasks/{task['id']}/complete", {"data": data})

    def run_joint_item(self, web: Web, webs: list[Web] | None = None) -> int:
        """Start a 联办件 and complete all its tasks (spread over ``webs``); returns the instance id."""
        nodes = webs or [web]
        view = self.start_joint_item(web)
        tasks, step = view["tasks"], 0
        while tasks:
            view = self.complete_step(nodes[step % len(nodes)], tasks[0])
            tasks, step = view["tasks"], step + 1
        return int(view["id"])


def _create_system_accounts(database_url: str) -> None:
    """The JSON API's system accounts (api/access.py), made here rather than by two ``create-user`` runs
    (2 s of interpreter start-up each; ``tests/runner/test_cli_create_user.py`` tests that command)."""
    from runner.config import Settings
    from runner.core.services import Services
    from runner.people import directory

    services = Services.without_redis(Settings(database_url=database_url))
    try:
        with services.transaction() as session:
            password = "Bench-pass-2026"
            hashed = directory.hash_password(password)
            for name in ("bench", "upper"):
                directory.create_user(
                    session, name, name, password, [("centre", "system")], password_hash=hashed
                )
    finally:
        services.engine.dispose()


def start_platform(
    workdir: Path,
    *,
    sweep_interval: int = 2,
    file_clock: bool = True,
    postgres_settings: dict[str, str] | None = None,
) -> Platform:
    """Start PostgreSQL (durable settings, and ``postgres_settings``) and Redis, migrate, deploy bpmn/ and seed
    windows and users. ``file_clock``: the processes share a clock a test can move (else real time, as in
    production)."""
    workdir.mkdir(parents=True, exist_ok=True)
    postgres = start_postgres(durable=True, settings=postgres_settings)
    redis: RedisServer | None = None
    try:
        postgres.create_database("banjian")
        redis = start_redis(workdir / "redis")
        clock = FileClock(workdir / "clock-offset") if file_clock else None
        if clock is not None:
            clock.set_offset(0)
        platform = Platform(workdir, postgres, postgres.url("banjian"), redis, clock, sweep_interval)
        platform.cli("migrate")
        platform.cli("deploy", str(ROOT / "bpmn"))
        platform.cli("seed")
        _create_system_accounts(platform.database_url)
        return platform
    except BaseException:
        if redis is not None:
            redis.stop()
        postgres.stop()
        remove_tree(postgres.base)
        raise

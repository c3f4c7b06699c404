#!/usr/bin/env python3
"""``make up``: run the whole platform on this machine, in the foreground.

1. makes ``var/`` (the SQLite database and Redis' working dir live there);
2. starts ``redis-server`` on the port of ``BANJIAN_REDIS_URL`` (default 6379) unless one already
   answers PING there;
3. runs ``python -m runner.cli migrate``, ``deploy bpmn/``, ``seed`` and ``catalogue-import
   bpmn/catalogue.jsonl`` (the demo catalogue of service items; stops on the first failure);
4. starts the web app (gunicorn, as on a web node of docs/deploy.md, on http://127.0.0.1:5000) and one RQ
   worker.

Every line a child prints is prefixed with its name (``web |``, ``worker |``, ``redis |``).
Ctrl-C / SIGTERM, or any child exiting, stops all children (SIGTERM, SIGKILL after 10 s).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
STOP_TIMEOUT = 10.0
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", ""}
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"  # as in runner/config.py
# gunicorn workers of the one-machine default: two per core, at most four (docs/deploy.md sizes web nodes)
DEFAULT_WEB_WORKERS = max(2, min(4, 2 * (os.cpu_count() or 1)))

_print_lock = threading.Lock()
_stop = threading.Event()
_signals = 0


def say(name: str, text: str) -> None:
    with _print_lock:
        sys.stdout.write(f"{name:<6} | {text}\n")
        sys.stdout.flush()


class Child:
    """A child process in its own process group whose output is copied, prefixed, to our stdout."""

    def __init__(self, name: str, cmd: list[str], env: dict[str, str]) -> None:
        self.name = name
        self.cmd = cmd
        self.proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches only us; we stop the children in order
        )
        self._reader = threading.Thread(target=self._copy_output, name=f"out-{name}", daemon=True)
        self._reader.start()

    def _copy_output(self) -> None:
        assert self.proc.stdout is not None
        for raw in iter(self.proc.stdout.readline, b""):
            say(self.name, raw.decode("utf-8", "replace").rstrip("\r\n"))
        self.proc.stdout.close()

    def poll(self) -> int | None:
        return self.proc.poll()

    def signal(self, sig: int) -> None:
        if self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)

    def flush_output(self, timeout: float = 2.0) -> None:
        self._reader.join(timeout)


def stop_all(children: list[Child], timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM every running child (in reverse start order), SIGKILL whatever is left after ``timeout``."""
    for child in reversed(children):
        if child.poll() is None:
            say("run", f"stopping {child.name} (pid {child.proc.pid})")
            child.signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(c.poll() is None for c in children):
        if _signals >= 2:  # a second Ctrl-C: do not wait
            break
        time.sleep(0.1)
    for child in children:
        if child.poll() is None:
            say("run", f"{child.name} did not stop in time: SIGKILL")
            child.signal(signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.proc.wait(5)
        child.flush_output()


def _on_signal(signum: int, _frame: object) -> None:
    global _signals
    _signals += 1
    if _signals == 1:
        say("run", f"got {signal.Signals(signum).name}, stopping (again to stop at once)")
    _stop.set()


def redis_ping(url: str) -> bool:
    try:
        from redis import Redis

        client = Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:  # noqa: BLE001 - anything: not answering
        return False


def start_redis(url: str, env: dict[str, str]) -> Child | None:
    """Start redis-server for ``url`` unless one already answers; ``None`` when one was running."""
    if redis_ping(url):
        say("run", f"Redis already answers at {url}: using it")
        return None
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 6379
    if host not in LOCAL_HOSTS:
        raise SystemExit(f"Redis at {url} does not answer, and it is not on this machine: start it first")
    exe = shutil.which("redis-server")
    if exe is None:
        raise SystemExit("redis-server not found: run `bash scripts/install_system.sh up` (or `make up`)")
    cmd = [
        exe,
        "--bind", "127.0.0.1",
        "--port", str(port),
        "--save", "",
        "--appendonly", "no",
        "--dir", str(VAR),
        "--daemonize", "no",
    ]  # fmt: skip
    child = Child("redis", cmd, env)
    deadline = time.monotonic() + 20
    while not redis_ping(url):
        if child.poll() is not None:
            child.flush_output()
            raise SystemExit(
                f"redis-server exited with {child.poll()} (port {port} taken by something else?)"
            )
        if time.monotonic() > deadline or _stop.is_set():
            stop_all([child])
            raise SystemExit("redis-server did not answer PING in 20 s")
        time.sleep(0.1)
    return child


def run_step(name: str, args: list[str], env: dict[str, str], children: list[Child]) -> None:
    """Run ``python -m runner.cli <args>`` to the end; stop everything on failure or Ctrl-C."""
    say("run", f"$ python -m runner.cli {' '.join(args)}")
    step = Child(name, [sys.executable, "-m", "runner.cli", *args], env)
    while step.poll() is None:
        if _stop.is_set():
            stop_all([*children, step])
            raise SystemExit(130)
        time.sleep(0.1)
    step.flush_output()
    if step.poll() != 0:
        say("run", f"`python -m runner.cli {' '.join(args)}` failed with exit code {step.poll()}")
        stop_all(children)
        raise SystemExit(step.poll() or 1)


def web_command(host: str, port: int, workers: int = DEFAULT_WEB_WORKERS) -> list[str]:
    """The web server of ``make up``: gunicorn, as a web node of docs/deploy.md runs it (worker processes of
    one thread each, no control socket), logging each request to the console."""
    return [
        sys.executable, "-m", "gunicorn",
        "--bind", f"{host}:{port}",
        "--workers", str(max(1, workers)),
        "--worker-class", "gthread", "--threads", "1",
        "--no-control-socket",
        "--config", "python:webapp.gunicorn_conf",
        "--access-logfile", "-",
        "webapp:create_app()",
    ]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", default="127.0.0.1", help="web server address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5000, help="web server port (default 5000)")
    parser.add_argument("--skip-setup", action="store_true", help="do not run migrate / deploy / seed")
    parser.add_argument(
        "--workers",
        type=int,
        default=DEFAULT_WEB_WORKERS,
        help=f"gunicorn workers (default {DEFAULT_WEB_WORKERS})",
    )
    options = parser.parse_args()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)

    VAR.mkdir(exist_ok=True)
    # read like runner.config.Settings.from_env (not imported: the supervisor must not need the app)
    redis_url = os.environ.get("BANJIAN_REDIS_URL") or os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    database_url = os.environ.get("BANJIAN_DATABASE_URL") or os.environ.get("DATABASE_URL")
    env = {**os.environ, "BANJIAN_REDIS_URL": redis_url, "PYTHONUNBUFFERED": "1"}
    say("run", f"database {database_url or VAR / 'banjian.sqlite3'}")
    say("run", f"redis    {redis_url}")

    children: list[Child] = []
    redis = start_redis(redis_url, env)
    if redis is not None:
        children.append(redis)

    if not options.skip_setup:
        run_step("setup", ["migrate"], env, children)
        run_step("setup", ["deploy", "bpmn/"], env, children)
        run_step("setup", ["seed"], env, children)
        run_step("setup", ["catalogue-import", "bpmn/catalogue.jsonl"], env, children)

    if _stop.is_set():
        stop_all(children)
        return 130

    children.append(Child("web", web_command(options.host, options.port, options.workers), env))
    children.append(Child("worker", [sys.executable, "-m", "worker"], env))

    url = f"http://{options.host}:{options.port}/"
    say("run", "")
    say("run", f"办件平台 banjian is starting at {url}")
    say("run", f"log in at {url}login — demo users in README.md 'Demo users' (password banjian2026)")
    say("run", f"applicants look items up at {url}progress; JSON API: {url}api/openapi.json")
    say("run", "Ctrl-C stops everything")
    say("run", "")

    exit_code = 0
    while not _stop.is_set():
        dead = next((c for c in children if c.poll() is not None), None)
        if dead is not None:
            dead.flush_output()
            say("run", f"{dead.name} exited with code {dead.poll()}: stopping the others")
            exit_code = dead.poll() or 1
            break
        time.sleep(0.2)
    # web and worker first (a worker finishing its job still needs Redis), Redis last
    stop_all([c for c in children if c is not redis])
    if redis is not None:
        stop_all([redis])
    say("run", "stopped")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())

"""Throwaway external services for tests: free ports, a PostgreSQL cluster, a redis-server.

PostgreSQL refuses to run as root, so when the tests run as root the cluster is created and run
as the ``postgres`` system user (``runuser``); its directories are handed to that user first.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for_port(
    port: int, host: str = "127.0.0.1", timeout: float = 30.0, proc: subprocess.Popen | None = None
) -> None:
    """Wait until something accepts connections on ``host:port`` (fail early if ``proc`` died)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(port, host):
            return
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(
                f"process {proc.args!r} exited with {proc.returncode} before opening port {port}"
            )
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on {host}:{port} after {timeout} s")


def redis_ping(url: str) -> bool:
    from redis import Redis

    try:
        client = Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:  # noqa: BLE001 - any failure means "not answering"
        return False


def wait_for_redis(url: str, timeout: float = 30.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if redis_ping(url):
            return
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"redis-server exited with {proc.returncode}")
        time.sleep(0.05)
    raise TimeoutError(f"redis at {url} did not answer PING after {timeout} s")


def stop_process(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL after ``timeout`` seconds; reap it."""
    if proc.poll() is not None:
        return
    try:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)
    except ProcessLookupError:
        pass


# --- Redis -----------------------------------------------------------------------------------


@dataclass
class RedisServer:
    proc: subprocess.Popen
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        stop_process(self.proc)


def start_redis(workdir: Path, port: int | None = None) -> RedisServer:
    """Start a private ``redis-server`` on 127.0.0.1 (no persistence) and wait for PING."""
    exe = shutil.which("redis-server")
    if exe is None:
        raise RuntimeError("redis-server not found: run `scripts/install_system.sh test` (or `make test`)")
    workdir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    log_path = workdir / f"redis-{port}.log"
    cmd = [
        exe,
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--save", "",
        "--appendonly", "no",
        "--dir", str(workdir),
        "--logfile", str(log_path),
        "--daemonize", "no",
    ]  # fmt: skip
    proc = subprocess.Popen(
        cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    server = RedisServer(proc, port, log_path)
    try:
        wait_for_redis(server.url, proc=proc)
    except BaseException:
        server.stop()
        raise
    return server


# --- PostgreSQL ------------------------------------------------------------------------------


def postgres_bin(name: str) -> str:
    """Path of a PostgreSQL server program (``initdb``, ``pg_ctl``): Debian keeps them off PATH."""
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(Path(p).parts[4]) if Path(p).parts[4].isdigit() else 0,
        reverse=True,
    )
    for path in [*candidates, f"/usr/local/bin/{name}", shutil.which(name) or ""]:
        if path and os.access(path, os.X_OK):
            return path
    raise RuntimeError(f"PostgreSQL program {name!r} not found: run `scripts/install_system.sh test`")


def _as_postgres(cmd: Sequence[str]) -> list[str]:
    """Run as the ``postgres`` user when we are root (the server refuses to run as root)."""
    if os.geteuid() != 0:
        return list(cmd)
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", "postgres", "--", *cmd]
    return ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(_shell_quote(c) for c in cmd)]


def _shell_quote(s: str) -> str:
    import shlex

    return shlex.quote(s)


def _chown_to_postgres(path: Path) -> None:
    if os.geteuid() != 0:
        return
    import pwd

    pw = pwd.getpwnam("postgres")
    os.chown(path, pw.pw_uid, pw.pw_gid)


@dataclass
class PostgresCluster:
    base: Path
    datadir: Path
    sockdir: Path
    port: int
    logfile: Path

    def url(self, database: str, driver: str = "postgresql+psycopg") -> str:
        return f"{driver}://postgres@127.0.0.1:{self.port}/{database}"

    def psql_command(self, sql: str, database: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=database, autocommit=True
        ) as c:
            c.execute(sql)  # type: ignore[arg-type]

    def create_database(self, name: str) -> None:
        self.psql_command(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")

    def stop(self) -> None:
        subprocess.run(
            _as_postgres([postgres_bin("pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "-w", "stop"]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
            timeout=60,
        )


def start_postgres(
    base: Path | None = None,
    port: int | None = None,
    *,
    durable: bool = False,
    settings: dict[str, str] | None = None,
) -> PostgresCluster:
    """``initdb`` a throwaway cluster in ``base`` (trust auth) and start it on 127.0.0.1:``port``.

    ``base`` defaults to a new directory in the system temp dir (its parents must be traversable by
    the ``postgres`` user, which pytest's private 0700 tmp dirs are not). Settings favour speed over
    durability: nothing here must survive the test session (``durable=True`` keeps PostgreSQL's own
    fsync and synchronous commit, for benchmarks). ``settings``: more server settings (``-c name=value``).
    Remove ``cluster.base`` when done.
    """
    if base is None:
        base = Path(tempfile.mkdtemp(prefix="banjian-pg-"))
    base.mkdir(parents=True, exist_ok=True)
    base.chmod(0o700)
    _chown_to_postgres(base)
    datadir, sockdir = base / "data", base / "sock"
    sockdir.mkdir(exist_ok=True)
    _chown_to_postgres(sockdir)
    logfile = base / "postgres.log"
    env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    subprocess.run(
        _as_postgres([
            postgres_bin("initdb"), "-D", str(datadir), "-U", "postgres", "--auth=trust",
            "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync",
        ]),
        check=True,
        env=env,
        cwd=base,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        timeout=180,
    )  # fmt: skip
    last_error: Exception | None = None
    for _attempt in range(3):
        port = port or free_port()
        options = f"-k {sockdir} -p {port} -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=64MB"
        if not durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        options += "".join(f" -c {name}={value}" for name, value in (settings or {}).items())
        result = subprocess.run(
            _as_postgres(
                [
                    postgres_bin("pg_ctl"),
                    "-D",
                    str(datadir),
                    "-l",
                    str(logfile),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    "60",
                    "start",
                ]
            ),  # fmt: skip
            env=env,
            cwd=base,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode == 0:
            cluster = PostgresCluster(base, datadir, sockdir, port, logfile)
            try:
                wait_for_port(port, timeout=30)
            except BaseException:
                cluster.stop()
                raise
            return cluster
        log_tail = logfile.read_text(errors="replace")[-2000:] if logfile.exists() else ""
        last_error = RuntimeError(f"pg_ctl start failed on port {port}: {result.stderr}\n{log_tail}")
        port = None  # maybe the port was taken in the meantime: try another one
    raise last_error or RuntimeError("pg_ctl start failed")


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)

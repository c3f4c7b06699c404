"""gunicorn's settings for a web node: ``gunicorn --config python:webapp.gunicorn_conf … "webapp:create_app()"``
(``docs/deploy.md``, ``make up``, the test and benchmark platform). Everything else is given on the command line."""

from __future__ import annotations

from typing import Any

from runner.heap import settle_after_start


def post_worker_init(worker: Any) -> None:
    """Each worker process, once it has built the app and before its first request: settle the heap."""
    settle_after_start()

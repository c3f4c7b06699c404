"""What a runner transaction carries in its session: the services it was opened with and the work to do after
its commit (callbacks in this process, RQ jobs to send). A light module: any part of the runner may use it
without importing how the services are built.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from runner.core.scheduling import Job
    from runner.core.services import Services


def services_of(session: Session) -> Services:
    """The services a session was opened with (``Services.transaction``)."""
    try:
        return session.info["services"]  # type: ignore[no-any-return]
    except KeyError:
        raise RuntimeError("runner functions need a session from Services.transaction()") from None


def on_commit(session: Session, callback: Callable[[], None]) -> None:
    """Call ``callback`` in this process once ``session`` has committed (never on rollback)."""
    session.info.setdefault("on_commit", []).append(callback)


def after_commit(session: Session, job: Job) -> None:
    """Queue ``job`` to be sent once ``session`` has committed (dropped on rollback)."""
    session.info.setdefault("after_commit", []).append(job)

"""What a start reads along with its caller, in the transaction's first statement.

A start checks its caller, then reads the newest version of the diagram it starts, the active warning rules (for
the item's rule timers) and whether the windows of the tasks it opens are staffed: four statements, each costing
more CPU in SQLAlchemy and the driver than in the database. ``identify_reading_start`` asks for all four at once;
each reader then answers from what came along (``definitions.read_along_latest``,
``warning_rules.read_along_rules``, ``proxies.read_along_staffing``), as the database stood when the transaction
began, and asks again whenever that may no longer be so.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session

from runner.core import definitions
from runner.core.transaction import services_of
from runner.models import ProcessDefinition, User
from runner.people import directory, proxies
from runner.people.directory import Person
from runner.supervision import warning_rules


@cache
def _caller_and_start(dialect: str) -> Select[Any]:
    """``directory.IDENTIFY`` with the staffing, the active rules and the newest definition of the key bound as
    ``definition_key`` (a column each; the definition's row joined to every row of the caller's)."""
    return directory.IDENTIFY.add_columns(
        proxies.staffed_windows_column(), warning_rules.active_rules_column(dialect), ProcessDefinition
    ).join_from(User, ProcessDefinition, definitions.is_latest_of_key(), isouter=True)


def identify_reading_start(
    session: Session, username: str, key: str | None
) -> tuple[Person | None, set[str]]:
    """``directory.identify`` for a start of the diagram ``key`` (None: a start that names no diagram, as a
    catalogue item's), with what the start reads next read along (see the module)."""
    statement = _caller_and_start(session.get_bind().dialect.name)
    rows = session.execute(
        statement, {"username": username, "now": services_of(session).now(), "definition_key": key}
    ).all()
    if rows:
        first = rows[0]
        proxies.read_along_staffing(session, first.staffed_windows)
        warning_rules.read_along_rules(session, first.active_rules)
        if key is not None:
            definitions.read_along_latest(session, key, first.ProcessDefinition)
    return directory.identified(username, rows)

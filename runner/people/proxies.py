"""委托 (a proxy for a date range) and the fallback for tasks nobody could take.

A proxy is applied when a task is created: a new task meant for X (task data ``assignee``) goes to
X's active proxy, with ``properties["proxy_for"] = X`` and an audit entry ``proxied``. This differs
from AB岗 (``directory.mark_absent``), where the task stays X's and the backup only sees it.

A new task of a window with no active clerk (none present: every clerk inactive or absent) goes to
the window head (first by username), with an audit entry ``assigned_to_head``; it never passes by itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Set
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Label, Select, bindparam, event, func, literal_column, select
from sqlalchemy.orm import ORMExecuteState, Session

from runner.core import audit
from runner.core.transaction import services_of
from runner.exceptions import InvalidInput, NotFound
from runner.models import Absence, Membership, ProcessInstance, Proxy, Role, User, Window


@dataclass(frozen=True)
class ProxyView:
    id: int
    from_user: str
    to_user: str
    starts_at: datetime
    ends_at: datetime
    reason: str
    created_by: str

    def active_at(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at


def _view(row: Proxy) -> ProxyView:
    return ProxyView(
        id=row.id, from_user=row.from_user, to_user=row.to_user, starts_at=row.starts_at,
        ends_at=row.ends_at, reason=row.reason, created_by=row.created_by,
    )  # fmt: skip


def _require_user(session: Session, username: str, field: str) -> User:
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise InvalidInput(f"无此用户 {username} (unknown user)", field=field)
    return user


def set_proxy(
    session: Session,
    from_user: str,
    to_user: str,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
    *,
    actor: str,
) -> ProxyView:
    """委托: from ``starts_at`` until ``ends_at`` new tasks for ``from_user`` go to ``to_user``."""
    if from_user == to_user:
        raise InvalidInput("受托人不能是本人 (the proxy cannot be the same person)", field="to_user")
    if ends_at <= starts_at:
        raise InvalidInput("委托结束时间须晚于开始时间 (the end must be after the start)", field="ends_at")
    if not reason or not reason.strip():
        raise InvalidInput("委托须写明理由 (a reason is required)", field="reason")
    _require_user(session, from_user, "from_user")
    proxy_user = _require_user(session, to_user, "to_user")
    if not proxy_user.is_active:
        raise InvalidInput(f"受托人 {to_user} 已停用 (the proxy is not active)", field="to_user")
    overlapping = session.scalars(
        select(Proxy).where(
            Proxy.from_user == from_user, Proxy.starts_at < ends_at, Proxy.ends_at > starts_at
        )
    ).first()
    if overlapping is not None:
        from runner.exceptions import Conflict

        raise Conflict("该时段已有委托 (a proxy already overlaps this period)", proxy_id=overlapping.id)
    row = Proxy(
        from_user=from_user, to_user=to_user, starts_at=starts_at, ends_at=ends_at,
        reason=reason.strip()[:400], created_by=actor, created_at=services_of(session).now(),
    )  # fmt: skip
    session.add(row)
    session.flush()
    audit.record(
        session, "proxy_set", actor=actor, from_user=from_user, to_user=to_user,
        starts_at=starts_at.isoformat(), ends_at=ends_at.isoformat(), reason=row.reason, proxy_id=row.id,
    )  # fmt: skip
    return _view(row)


def end_proxy(session: Session, proxy_id: int, *, actor: str) -> ProxyView:
    """End a proxy now (a future one is shortened to nothing); tasks already handed over stay."""
    row = session.get(Proxy, proxy_id)
    if row is None:
        raise NotFound(f"无此委托 {proxy_id} (no such proxy)")
    now = services_of(session).now()
    if row.ends_at > now:
        row.ends_at = max(now, row.starts_at)
    audit.record(session, "proxy_ended", actor=actor, proxy_id=row.id, from_user=row.from_user,
                 to_user=row.to_user)  # fmt: skip
    return _view(row)


def list_proxies(session: Session, *, username: str | None = None) -> list[ProxyView]:
    query = select(Proxy).order_by(Proxy.starts_at.desc(), Proxy.id.desc())
    if username is not None:
        query = query.where((Proxy.from_user == username) | (Proxy.to_user == username))
    return [_view(r) for r in session.scalars(query)]


def active_proxy(session: Session, username: str, now: datetime | None = None) -> str | None:
    """Who takes ``username``'s new tasks at ``now`` (None when no proxy is active or the proxy was
    deactivated meanwhile: the task then stays with ``username``)."""
    now = now or services_of(session).now()
    return session.scalars(
        select(Proxy.to_user)
        .join(User, User.username == Proxy.to_user)
        .where(
            Proxy.from_user == username, Proxy.starts_at <= now, Proxy.ends_at > now, User.is_active.is_(True)
        )
        .order_by(Proxy.starts_at.desc(), Proxy.id.desc())
        .limit(1)
    ).first()


def staffed_windows(session: Session, windows: Iterable[str], now: datetime) -> set[str]:
    """Those of ``windows`` that have a clerk who is active and not absent at ``now`` (one query)."""
    windows = set(windows)
    if not windows:
        return set()
    return set(session.scalars(_STAFFED, {"windows": sorted(windows), "now": now}))


def _staffed_statement(*, of_windows: bool = True) -> Select[tuple[str]]:
    """The windows (of the list ``windows``, unless ``of_windows`` is false) that have a clerk who is active and
    not absent at ``now``; a window the admin closed has none (its members take no new work there)."""
    now = bindparam("now")
    absent_now = select(Absence.user_id).where(Absence.in_force(now))
    closed = select(Window.code).where(Window.is_active.is_(False))
    query = (
        select(Membership.window)
        .join(User, Membership.user_id == User.id)
        .where(
            Membership.role == Role.CLERK,
            User.is_active.is_(True),
            User.id.not_in(absent_now),
            Membership.window.not_in(closed),
        )
    )
    if of_windows:
        query = query.where(Membership.window.in_(bindparam("windows", expanding=True)))
    return query.distinct()


_STAFFED = _staffed_statement()  # built once: asked whenever a step opens tasks
_PEOPLE = (User, Membership, Absence, Proxy, Window)  # what a new task's assignee is worked out from
_PEOPLE_TABLES = {model.__table__ for model in _PEOPLE}
# session.info: the windows staffed when the transaction first read (``read_along_staffing``)
_READ_ALONG = "staffed_windows_read_along"
_SEPARATOR = ","  # no window code holds one (``windows.save_window``); one that did is asked about apart


def staffed_windows_column() -> Label[str | None]:
    """A column for a transaction's first statement: every window staffed at its parameter ``now``, as one text
    (``read_along_staffing`` takes it). The database works it out once, whatever the rows."""
    staffed = _staffed_statement(of_windows=False).subquery()
    return (
        # the separator as SQL text: a bound one would make SQLAlchemy render the statement again every time
        select(func.aggregate_strings(staffed.c.window, literal_column(f"'{_SEPARATOR}'")))  # type: ignore[arg-type]
        .scalar_subquery()
        .label("staffed_windows")
    )


def read_along_staffing(session: Session, staffed: str | None) -> None:
    """The column of ``staffed_windows_column``, read by this transaction's first statement: the staffing look-ups
    of the transaction answer from it (as staffed when the transaction began), until it writes people."""
    session.info[_READ_ALONG] = frozenset(staffed.split(_SEPARATOR)) if staffed else frozenset()


@event.listens_for(Session, "before_flush")
def _people_written(session: Session, *_: Any) -> None:
    if _READ_ALONG in session.info and _people_unwritten(session):
        session.info.pop(_READ_ALONG)


@event.listens_for(Session, "do_orm_execute")
def _people_written_by_statement(state: ORMExecuteState) -> None:
    """An INSERT, UPDATE or DELETE of the people's tables run through the session."""
    if (
        _READ_ALONG in state.session.info
        and (state.is_insert or state.is_update or state.is_delete)
        and getattr(state.statement, "table", None) in _PEOPLE_TABLES
    ):
        state.session.info.pop(_READ_ALONG)


def prefetch_staffing(session: Session, windows: Iterable[str], now: datetime) -> None:
    """Look up at once whether each of ``windows`` is staffed at ``now``, for the ``has_present_clerk`` calls
    that follow in this transaction (a step that opens tasks in several windows asks once): from what the
    transaction's first statement read along (``read_along_staffing``) when it did, and nobody's changes to people
    are unwritten, else in one query."""
    known: dict[tuple[str, datetime], bool] = session.info.setdefault("staffed", {})
    missing = {w for w in windows if (w, now) not in known}
    if not missing:
        return
    along: Set[str] | None = session.info.get(_READ_ALONG)
    if along is None or _people_unwritten(session) or any(_SEPARATOR in w for w in missing):
        along = staffed_windows(session, missing, now)
    known.update({(w, now): w in along for w in missing})


def has_present_clerk(session: Session, window: str, now: datetime) -> bool:
    """Whether ``window`` has a clerk who is active and not absent at ``now``."""
    known: dict[tuple[str, datetime], bool] = session.info.setdefault("staffed", {})
    if (window, now) not in known:
        prefetch_staffing(session, [window], now)
    return known[(window, now)]


def first_head(session: Session, window: str) -> str | None:
    return session.scalars(
        select(User.username)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.window == window, Membership.role == Role.WINDOW_HEAD, User.is_active.is_(True))
        .order_by(User.username)
        .limit(1)
    ).first()


def assign_new_task(
    session: Session,
    instance: ProcessInstance,
    *,
    task_id: str,
    task_name: str,
    window: str | None,
    assignee: str | None,
    properties: dict[str, str],
    now: datetime,
) -> str | None:
    """The assignee of a task being created: a proxy replaces the named clerk; a named clerk who is disabled
    (and has no proxy) is replaced by the window's queue (audit ``assignee_disabled``); an unstaffed window's
    task goes to its head. Writes the audit entry and ``properties["proxy_for"]`` when it applies.

    The look-ups leave the step's other changes unwritten (its item, its open tasks: the step writes them at its
    flush, ``runner.core.item_writes``); only the people of this transaction not written yet are written first."""
    _write_people_first(session)
    with session.no_autoflush:
        if assignee:
            proxy = active_proxy(session, assignee, now)
            if proxy is not None:
                properties["proxy_for"] = assignee
                audit.record(session, "proxied", actor="system", instance=instance, task_id=task_id,
                             task_name=task_name, proxy_for=assignee, assignee=proxy)  # fmt: skip
                return proxy
            if not _disabled(session, assignee):
                return assignee
            audit.record(session, "assignee_disabled", actor="system", instance=instance, task_id=task_id,
                         task_name=task_name, disabled=assignee, window=window)  # fmt: skip
        if window is None or has_present_clerk(session, window, now):
            return None
        head = first_head(session, window)
        if head is not None:
            audit.record(session, "assigned_to_head", actor="system", instance=instance, task_id=task_id,
                         task_name=task_name, window=window, assignee=head)  # fmt: skip
        return head


def _disabled(session: Session, username: str) -> bool:
    """Whether ``username`` is a known login that is disabled (an unknown name is the callers' check)."""
    return session.scalars(select(User.is_active).where(User.username == username)).first() is False


def _write_people_first(session: Session) -> None:
    """Flush the transaction's unwritten changes of people (users, their windows, absences, proxies), if any, so
    that a look-up without autoflush sees them."""
    if _people_unwritten(session):
        session.flush()


def _people_unwritten(session: Session) -> bool:
    return any(isinstance(row, _PEOPLE) for row in (*session.new, *session.dirty, *session.deleted))

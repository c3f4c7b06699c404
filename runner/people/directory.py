"""People: users, their window memberships and roles, logins with lockout, and AB岗 absences.

No Flask here: the web layer calls these with a session from ``Services.transaction()``.
Every change is written to the audit trail (system chain).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, or_, select
from sqlalchemy.orm import Session, aliased
from werkzeug.security import check_password_hash, generate_password_hash

from runner.core import audit
from runner.core.transaction import services_of
from runner.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied, RunnerError
from runner.models import Absence, Membership, OpenTask, Role, User
from runner.people import login_throttle
from runner.people.windows import known_windows

MAX_FAILED_LOGINS = login_throttle.MAX_FAILURES
LOCKOUT = login_throttle.LOCKOUT
MIN_PASSWORD_LENGTH = 8
PASSWORD_METHOD = "scrypt"
# checked against when the username is unknown, so that a miss costs as much as a wrong password
_DUMMY_HASH = generate_password_hash("not-a-real-password", method=PASSWORD_METHOD)


class LoginFailed(PermissionDenied):
    """Wrong username or password (the message never says which)."""

    code = "login_failed"


class AccountLocked(PermissionDenied):
    """Too many failed logins of this username from this address: locked until ``locked_until``."""

    code = "account_locked"


@dataclass(frozen=True)
class Person:
    """A user as the web layers see it (no ORM object leaks out)."""

    id: int
    username: str
    display_name: str
    is_active: bool
    memberships: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    session_generation: int = 0  # a web session opened in another generation has ended

    @property
    def windows(self) -> set[str]:
        return {w for w, _ in self.memberships}

    @property
    def roles(self) -> set[str]:
        return {r for _, r in self.memberships}

    def windows_with_role(self, *roles: str) -> set[str]:
        return {w for w, r in self.memberships if r in roles}


# ---- users -------------------------------------------------------------------------------------


def _user(session: Session, username: str) -> User:
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound(f"没有用户 {username} (no such user)", username=username)
    return user


def _person(session: Session, user: User) -> Person:
    rows = session.execute(select(Membership.window, Membership.role).where(Membership.user_id == user.id))
    return Person(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        is_active=user.is_active,
        memberships=frozenset((w, r) for w, r in rows),
        session_generation=user.session_generation or 0,
    )


def _check_password(password: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"密码至少 {MIN_PASSWORD_LENGTH} 位 (password must have at least {MIN_PASSWORD_LENGTH} characters)",
            field="password",
        )


def _check_memberships(
    session: Session, memberships: Iterable[tuple[str | None, str]]
) -> list[tuple[str, str]]:
    windows = known_windows(session)
    roles = {r.value for r in Role}
    checked: list[tuple[str, str]] = []
    for window, role in memberships:
        if role not in roles:
            raise InvalidInput(f"未知角色 {role} (unknown role)", field="role")
        if window not in windows:
            raise InvalidInput(f"未知窗口 {window} (unknown window)", field="window")
        checked.append((window, str(role)))
    return checked


def _identify_statement() -> Any:
    """``identify``'s query, built once (building a statement costs more than running this one)."""
    absent = aliased(User)
    now = bindparam("now", type_=Absence.starts_at.type)
    covering = (
        select(Absence.backup_id.label("backup_id"), absent.username.label("absent"))
        .join(absent, Absence.user_id == absent.id)
        .where(Absence.in_force(now))
        .subquery()
    )
    return (
        select(
            User.id,
            User.display_name,
            User.is_active,
            User.session_generation,
            Membership.window,
            Membership.role,
            covering.c.absent,
        )
        .outerjoin(Membership, Membership.user_id == User.id)
        .outerjoin(covering, covering.c.backup_id == User.id)
        .where(User.username == bindparam("username"))
    )


IDENTIFY = _identify_statement()  # parameters ``username`` and ``now``; ``identified`` reads its rows


def identify(session: Session, username: str, now: datetime | None = None) -> tuple[Person | None, set[str]]:
    """The user ``username`` with memberships, and the absent colleagues they cover at ``now`` (AB岗), in one
    round trip (``get_person`` + ``covered_by``; every API request asks this)."""
    now = now or services_of(session).now()
    return identified(username, session.execute(IDENTIFY, {"username": username, "now": now}).all())


def identified(username: str, rows: Sequence[Any]) -> tuple[Person | None, set[str]]:
    """``identify``'s answer from the rows of ``IDENTIFY`` (or of a statement that selects its columns by the
    same names along with others): the person, and the absent colleagues they cover."""
    if not rows:
        return None, set()
    first = rows[0]
    person = Person(
        id=first.id,
        username=username,
        display_name=first.display_name,
        is_active=first.is_active,
        memberships=frozenset((r.window, r.role) for r in rows if r.window is not None),
        session_generation=first.session_generation or 0,
    )
    if not person.is_active:
        return person, set()  # a disabled user covers nobody
    return person, {r.absent for r in rows if r.absent is not None}


def hash_password(password: str) -> str:
    """A salted scrypt hash of ``password`` (≈ 0.15 s by design)."""
    return generate_password_hash(password, method=PASSWORD_METHOD)


def get_person(session: Session, username: str) -> Person | None:
    """The user ``username`` with memberships, or None."""
    user = session.scalars(select(User).where(User.username == username)).first()
    return _person(session, user) if user is not None else None


def create_user(
    session: Session,
    username: str,
    display_name: str,
    password: str,
    memberships: Iterable[tuple[str, str]] = (),
    *,
    actor: str = "system",
    password_hash: str | None = None,
) -> Person:
    """Create a user with a hashed password and ``(window, role)`` memberships.

    Centre-wide roles (leader, supervisor, designer, admin) still need a window to hang on
    (``Membership.window`` is a foreign key); use the centre's own window for them. ``password_hash``: a
    hash of ``password`` already made by ``hash_password`` (the demo accounts share one).
    """
    username = (username or "").strip()
    if not username or len(username) > 200:
        raise InvalidInput("用户名不能为空 (username is required)", field="username")
    if session.scalars(select(User.id).where(User.username == username)).first() is not None:
        raise Conflict(f"用户 {username} 已存在 (user already exists)", username=username)
    _check_password(password)
    checked = _check_memberships(session, memberships)
    user = User(
        username=username,
        display_name=(display_name or username).strip(),
        password_hash=password_hash or hash_password(password),
        is_active=True,
        session_generation=0,
        created_at=services_of(session).now(),
    )
    session.add(user)
    session.flush()
    for window, role in dict.fromkeys(checked):
        session.add(Membership(user_id=user.id, window=window, role=role))
    session.flush()
    audit.record(
        session,
        "user_created",
        actor=actor,
        username=username,
        memberships=[list(m) for m in sorted(set(checked))],
    )
    return _person(session, user)


def set_memberships(
    session: Session, username: str, memberships: Iterable[tuple[str, str]], *, actor: str
) -> Person:
    """Replace the user's memberships."""
    user = _user(session, username)
    checked = sorted(set(_check_memberships(session, memberships)))
    session.execute(delete(Membership).where(Membership.user_id == user.id))
    for window, role in checked:
        session.add(Membership(user_id=user.id, window=window, role=role))
    session.flush()
    _end_sessions(user)  # new roles: sessions opened with the old ones end
    audit.record(
        session, "memberships_set", actor=actor, username=username, memberships=[list(m) for m in checked]
    )
    return _person(session, user)


def set_password(session: Session, username: str, password: str, *, actor: str) -> None:
    """Store a new password hash (scrypt), end every session of the user and clear the name's login locks."""
    _check_password(password)
    user = _user(session, username)
    user.password_hash = hash_password(password)
    _end_sessions(user)
    login_throttle.clear(session, username)
    audit.record(session, "password_set", actor=actor, username=username)


def change_password(
    session: Session, username: str, current: str, new: str, *, address: str = "unknown"
) -> Person:
    """A user's own new password: ``current`` must be right (a wrong one counts as a failed login of this
    address), ``new`` follows the rules of creation and differs from ``current``. Every session of the user
    ends; the caller carries the returned generation into the session it keeps."""
    now = services_of(session).now()
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None or not user.is_active:
        raise NotFound(f"没有用户 {username} (no such user)", username=username)
    _refuse_if_locked(session, username, address, now)
    if not check_password_hash(user.password_hash, current or ""):
        standing = login_throttle.fail(session, username, address, now)
        audit.record(session, "password_change_failed", actor=username, address=address)
        if standing.locked_until is not None:
            raise _locked(standing.locked_until, now)
        raise InvalidInput("当前密码不正确 (the current password is wrong)", field="current_password")
    _check_password(new)
    if new == current:
        raise InvalidInput("新密码不能与当前密码相同 (the new password must differ from the current one)",
                           field="new_password")  # fmt: skip
    user.password_hash = hash_password(new)
    _end_sessions(user)
    audit.record(session, "password_changed", actor=username)
    return _person(session, user)


def change_own_password(
    services: Any, username: str, current: str, new: str, *, address: str = "unknown"
) -> Person:
    """``change_password`` in its own transaction, which commits a wrong current password's failure count even
    though the change is refused."""
    error: RunnerError | None = None
    person: Person | None = None
    with services.transaction() as session:
        try:
            person = change_password(session, username, current, new, address=address)
        except RunnerError as exc:
            error = exc
    if error is not None:
        raise error
    assert person is not None
    return person


def set_active(session: Session, username: str, active: bool, *, actor: str) -> None:
    """Enable or disable a login (disabling ends every session of the user).

    Someone named as the backup (B岗) of a cover in force or to come cannot be disabled: the absent
    clerk's work would go to nobody; name another backup (or end the cover) first. Nor can someone who
    still holds open tasks (claimed, assigned or proxied to them, or 委派 by them and coming back to them):
    hand them over first (workspace 批量转交, console 改派)."""
    user = _user(session, username)
    if not active:
        _refuse_if_covering(session, user)
        _refuse_if_holding(session, user)
    user.is_active = bool(active)
    if not active:
        _end_sessions(user)
    audit.record(session, "user_enabled" if active else "user_disabled", actor=actor, username=username)


def _refuse_if_covering(session: Session, user: User) -> None:
    """Refuse to disable ``user`` while they are the backup of a cover that is in force or to come."""
    now = services_of(session).now()
    absent = aliased(User)
    names = list(
        session.scalars(
            select(absent.username)
            .join(Absence, Absence.user_id == absent.id)
            .where(Absence.backup_id == user.id, or_(Absence.ends_at.is_(None), Absence.ends_at > now))
            .order_by(absent.username)
            .distinct()
        )
    )
    if names:
        who = "、".join(names)
        raise Conflict(
            f"{user.username} 正在或将要为 {who} 代班，请先更换代班人或结束请假 "
            f"({user.username} is the backup covering {', '.join(names)}; name another backup first)",
            username=user.username,
            covers=names,
        )


_NAMED_TASKS = 5  # the refusal names this many business keys, then counts the rest


def _refuse_if_holding(session: Session, user: User) -> None:
    """Refuse to disable ``user`` while open tasks are theirs: claimed by or assigned (or proxied) to them,
    or delegated (委派) by them and due to come back to them. The message counts the tasks and names their
    business keys, so the admin can hand them over (批量转交 / 改派) before disabling."""
    name = user.username
    held = session.execute(
        select(OpenTask.business_key, OpenTask.name)
        .where(_held_by([name]))
        .order_by(OpenTask.due_at, OpenTask.id)
    ).all()
    if not held:
        return
    keys = list(dict.fromkeys(row.business_key for row in held))
    shown = "、".join(keys[:_NAMED_TASKS]) + ("等" if len(keys) > _NAMED_TASKS else "")
    shown_en = ", ".join(keys[:_NAMED_TASKS]) + (", ..." if len(keys) > _NAMED_TASKS else "")
    raise Conflict(
        f"{name} 仍有 {len(held)} 项待办任务（{shown}），请先在工作台批量转交或在控制台改派，再停用 "
        f"({name} still holds {len(held)} open task(s): {shown_en}; hand them over first "
        f"(workspace batch handover or the console's reassign), then disable)",
        username=name,
        tasks=len(held),
        items=keys,
    )


def _held_by(names: Any) -> Any:
    """The open tasks that are one of ``names``' (a list or a subquery of usernames): claimed by or
    assigned (or proxied) to them, or 委派 by them and coming back to them."""
    return or_(OpenTask.assignee.in_(names), OpenTask.delegated_by.in_(names))


@dataclass(frozen=True)
class StrandedTask:
    """An open task held by a disabled login (disabled before the refusal above existed): nobody can
    work it until an admin hands it over (改派)."""

    id: int
    instance_id: int
    business_key: str
    name: str
    holder: str
    due_at: datetime | None
    window: str | None = None
    task_id: str = ""  # the task's own id, which 改派 (and the rest of the runner) names a task by


def stranded_tasks(session: Session) -> list[StrandedTask]:
    """Every open task held by a disabled user, oldest deadline first, with the disabled holder."""
    disabled = select(User.username).where(User.is_active.is_(False))
    columns = (OpenTask.id, OpenTask.instance_id, OpenTask.business_key, OpenTask.name, OpenTask.assignee)
    rows = session.execute(
        select(*columns, OpenTask.delegated_by, OpenTask.due_at, OpenTask.window, OpenTask.task_id)
        .where(_held_by(disabled))
        .order_by(OpenTask.due_at, OpenTask.id)
    )
    names = set(session.scalars(disabled))
    return [
        StrandedTask(
            id=row.id,
            instance_id=row.instance_id,
            business_key=row.business_key,
            name=row.name,
            holder=row.assignee if row.assignee in names else str(row.delegated_by),
            due_at=row.due_at,
            window=row.window,
            task_id=row.task_id,
        )
        for row in rows
    ]


def stranded_count(session: Session) -> int:
    """How many open tasks disabled users hold (one count query, for the console's notice and tile)."""
    disabled = select(User.username).where(User.is_active.is_(False))
    return int(session.scalar(select(func.count()).select_from(OpenTask).where(_held_by(disabled))) or 0)


def stranded_counts(session: Session) -> dict[str, int]:
    """How many open tasks each disabled user still holds (only those who hold some)."""
    counts: dict[str, int] = {}
    for task in stranded_tasks(session):
        counts[task.holder] = counts.get(task.holder, 0) + 1
    return counts


def end_sessions(session: Session, username: str, *, actor: str) -> None:
    """End every web session of ``username`` on every web node (logout)."""
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is not None:
        _end_sessions(user)
        audit.record(session, "logout", actor=actor, username=username)


def _end_sessions(user: User) -> None:
    user.session_generation = (user.session_generation or 0) + 1


def list_users(session: Session, *, window: str | None = None) -> list[Person]:
    """All users (or the members of ``window``), by username."""
    query = select(User).order_by(User.username)
    if window is not None:
        query = query.where(User.id.in_(select(Membership.user_id).where(Membership.window == window)))
    return [_person(session, u) for u in session.scalars(query)]


def user_windows(session: Session, username: str) -> set[str]:
    person = get_person(session, username)
    return person.windows if person else set()


def user_roles(session: Session, username: str) -> set[str]:
    person = get_person(session, username)
    return person.roles if person else set()


def window_members(session: Session, window: str, *, roles: Iterable[str] | None = None) -> list[Person]:
    """Active users of ``window`` (optionally with one of ``roles``)."""
    query = select(Membership.user_id).where(Membership.window == window)
    if roles is not None:
        query = query.where(Membership.role.in_(list(roles)))
    users = session.scalars(
        select(User).where(User.id.in_(query), User.is_active.is_(True)).order_by(User.username)
    )
    return [_person(session, u) for u in users]


def window_heads(session: Session, window: str) -> list[Person]:
    """The heads (窗口负责人) of ``window``."""
    return window_members(session, window, roles=[Role.WINDOW_HEAD])


def is_member(session: Session, username: str, window: str) -> bool:
    return window in user_windows(session, username)


def works_in(session: Session, username: str, window: str) -> bool:
    """Whether ``username`` is an active clerk or head of ``window``: someone a task of it may be given to."""
    person = get_person(session, username)
    return (
        person is not None
        and person.is_active
        and window in person.windows_with_role(Role.CLERK, Role.WINDOW_HEAD)
    )


# ---- login -------------------------------------------------------------------------------------


def _locked(until: datetime, now: datetime) -> AccountLocked:
    minutes = max(1, int((until - now).total_seconds() + 59) // 60)
    return AccountLocked(
        f"登录失败次数过多，已暂停从此处登录，请 {minutes} 分钟后再试 "
        f"(too many failed logins from here; try again in {minutes} minutes)",
        locked_until=until.isoformat(),
    )


def _refuse_if_locked(session: Session, username: str, address: str, now: datetime) -> None:
    until = login_throttle.locked_until(session, username, address, now)
    if until is not None:
        audit.record(session, "login_failed", actor=(username or "?")[:200], reason="locked", address=address)
        raise _locked(until, now)


def authenticate(session: Session, username: str, password: str, *, address: str = "unknown") -> Person:
    """Check a login from client ``address``; 5 failures in a row of this username from this address lock the
    pair for 15 minutes (platform clock; ``login_throttle``).

    A wrong password and an unknown name get the same answer (and cost the same time); only the right password
    of a disabled account says that it is disabled. Raises ``LoginFailed`` or ``AccountLocked`` (with a clear
    Chinese message). The failure count is written by the caller's transaction, so the caller must commit even
    when this raises — use ``login`` which does that.
    """
    now = services_of(session).now()
    name = (username or "").strip()
    _refuse_if_locked(session, name, address, now)
    user = session.scalars(select(User).where(User.username == name)).first()
    right = check_password_hash(user.password_hash if user is not None else _DUMMY_HASH, password or "")
    if user is not None and right:
        if not user.is_active:
            audit.record(session, "login_failed", actor=user.username, reason="disabled", address=address)
            raise LoginFailed("账户已停用，请联系管理员 (account disabled; contact the administrator)")
        login_throttle.clear(session, name, address)
        audit.record(session, "login", actor=user.username, address=address)
        return _person(session, user)
    standing = login_throttle.fail(session, name, address, now)
    reason = "password" if user is not None else "unknown_user"
    audit.record(
        session,
        "login_failed",
        actor=name[:200] or "?",
        reason=reason,
        address=address,
        failures=standing.failures,
    )
    if standing.locked_until is not None:
        audit.record(
            session, "login_locked", actor=name[:200] or "?", address=address,
            locked_until=standing.locked_until.isoformat(),
        )  # fmt: skip
        raise AccountLocked(
            f"连续 {MAX_FAILED_LOGINS} 次登录失败，已暂停从此处登录 {int(LOCKOUT.total_seconds() // 60)} 分钟 "
            f"(locked for {int(LOCKOUT.total_seconds() // 60)} minutes after {MAX_FAILED_LOGINS} failed logins "
            "from here)",
            locked_until=standing.locked_until.isoformat(),
        )
    raise LoginFailed(
        f"用户名或密码错误，再错 {standing.left} 次将暂停从此处登录 "
        f"(wrong username or password; {standing.left} more failures lock logins from here)"
    )


def login(services: Any, username: str, password: str, *, address: str = "unknown") -> Person:
    """``authenticate`` in its own transaction that commits the failure count even when the login fails."""
    error: Exception | None = None
    person: Person | None = None
    with services.transaction() as session:
        try:
            person = authenticate(session, username, password, address=address)
        except (LoginFailed, AccountLocked) as exc:
            error = exc
    if error is not None:
        raise error
    assert person is not None
    return person


# ---- AB岗 ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AbsenceView:
    id: int
    username: str
    display_name: str
    backup: str
    backup_display_name: str
    starts_at: datetime
    ends_at: datetime | None
    reason: str
    created_by: str

    def active_at(self, now: datetime) -> bool:
        return self.starts_at <= now and (self.ends_at is None or self.ends_at > now)


def mark_absent(
    session: Session,
    username: str,
    backup: str,
    starts_at: datetime,
    ends_at: datetime | None,
    reason: str = "",
    *,
    actor: str,
) -> AbsenceView:
    """Record that ``username`` is away from ``starts_at`` to ``ends_at``; ``backup`` covers (B岗).

    Allowed for the clerk themselves, a head of one of their windows and an admin; the backup must be an
    active member of a window the absent clerk belongs to, and not the clerk themselves.
    """
    if username == backup:
        raise InvalidInput("代班人不能是本人 (the backup cannot be the absent person)", field="backup")
    user = _user(session, username)
    backup_user = session.scalars(select(User).where(User.username == backup)).first()
    if backup_user is None or not backup_user.is_active:
        raise InvalidInput(f"没有可用的代班人 {backup} (no such active user)", field="backup")
    absent = _person(session, user)
    covering = _person(session, backup_user)
    if not absent.windows & covering.windows:
        raise InvalidInput(
            "代班人必须与请假人同属一个窗口 (the backup must belong to the same window)", field="backup"
        )
    if actor != username and not _heads_or_admin(session, actor, absent):
        raise PermissionDenied("只有本人或其窗口负责人可以登记请假 (only the clerk or their window head)")
    if starts_at.tzinfo is None or (ends_at is not None and ends_at.tzinfo is None):
        raise InvalidInput("时间必须带时区 (times must be timezone-aware)", field="starts_at")
    if ends_at is not None and ends_at <= starts_at:
        raise InvalidInput("结束时间必须晚于开始时间 (the end must be after the start)", field="ends_at")
    overlapping = _overlapping(session, Absence.user_id == user.id, starts_at, ends_at)
    if overlapping is not None:
        raise Conflict(
            "该时段已有请假登记 (an absence already overlaps this period)", absence_id=overlapping.id
        )
    _check_backup_present(session, user, backup_user, starts_at, ends_at)
    row = Absence(
        user_id=user.id,
        backup_id=backup_user.id,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=(reason or "")[:400],
        created_by=actor,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        "absence_marked",
        actor=actor,
        username=username,
        backup=backup,
        starts_at=starts_at.isoformat(),
        ends_at=ends_at.isoformat() if ends_at else None,
        reason=row.reason,
        absence_id=row.id,
    )
    return _absence_view(session, row)


def _overlapping(
    session: Session, whose: Any, starts_at: datetime, ends_at: datetime | None
) -> Absence | None:
    """The first absence matching ``whose`` that overlaps ``starts_at``..``ends_at`` (None: open-ended)."""
    return session.scalars(
        select(Absence).where(
            whose,
            or_(Absence.ends_at.is_(None), Absence.ends_at > starts_at),
            *([Absence.starts_at < ends_at] if ends_at is not None else []),
        )
    ).first()


def _check_backup_present(
    session: Session, user: User, backup_user: User, starts_at: datetime, ends_at: datetime | None
) -> None:
    """The B-post must be at work while covering: not on leave then, and the absent clerk covers nobody then."""
    away = _overlapping(session, Absence.user_id == backup_user.id, starts_at, ends_at)
    if away is not None:
        raise InvalidInput(
            f"代班人 {backup_user.display_name} 在该时段也请假 (the backup is away during this period)",
            field="backup",
            absence_id=away.id,
        )
    covering = _overlapping(session, Absence.backup_id == user.id, starts_at, ends_at)
    if covering is not None:
        raise Conflict(
            "请假人在该时段为他人代班，请先更换代班人 (the clerk covers a colleague then; name another backup first)",
            absence_id=covering.id,
        )


def end_absence(session: Session, absence_id: int, *, actor: str) -> AbsenceView:
    """End an absence now (or cancel it if it has not started); the clerk, a head of their window or an admin."""
    row = session.get(Absence, absence_id)
    if row is None:
        raise NotFound("没有这条请假登记 (no such absence)", absence_id=absence_id)
    user = session.get(User, row.user_id)
    assert user is not None
    if actor != user.username and not _heads_or_admin(session, actor, _person(session, user)):
        raise PermissionDenied("只有本人或其窗口负责人可以结束请假 (only the clerk or their window head)")
    now = services_of(session).now()
    if row.ends_at is not None and row.ends_at <= now:
        raise Conflict("该请假已结束 (the absence is already over)", absence_id=absence_id)
    row.ends_at = max(now, row.starts_at)
    audit.record(session, "absence_ended", actor=actor, username=user.username, absence_id=row.id)
    return _absence_view(session, row)


def _heads_or_admin(session: Session, actor: str, absent: Person) -> bool:
    """Whether ``actor`` may arrange ``absent``'s AB cover: a head of one of their windows, or an admin."""
    acting = get_person(session, actor)
    if acting is None or not acting.is_active:
        return False
    return Role.ADMIN in acting.roles or bool(acting.windows_with_role(Role.WINDOW_HEAD) & absent.windows)


def _absence_view(session: Session, row: Absence) -> AbsenceView:
    user = session.get(User, row.user_id)
    backup = session.get(User, row.backup_id)
    assert user is not None and backup is not None
    return AbsenceView(
        id=row.id,
        username=user.username,
        display_name=user.display_name,
        backup=backup.username,
        backup_display_name=backup.display_name,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        reason=row.reason,
        created_by=row.created_by,
    )


def covered_by(session: Session, backup_username: str, now: datetime | None = None) -> set[str]:
    """Usernames whose absence ``backup_username`` covers at ``now`` (default: the platform's now)."""
    now = now or services_of(session).now()
    absent, backup = aliased(User), aliased(User)
    rows = session.scalars(
        select(absent.username)
        .join(Absence, Absence.user_id == absent.id)
        .join(backup, Absence.backup_id == backup.id)
        .where(backup.username == backup_username, backup.is_active.is_(True), Absence.in_force(now))
    )
    return set(rows)


def current_backup(session: Session, username: str, now: datetime | None = None) -> str | None:
    """Who covers ``username`` at ``now`` (None when they are present)."""
    now = now or services_of(session).now()
    absent, backup = aliased(User), aliased(User)
    return session.scalars(
        select(backup.username)
        .join(Absence, Absence.backup_id == backup.id)
        .join(absent, Absence.user_id == absent.id)
        .where(absent.username == username, backup.is_active.is_(True), Absence.in_force(now))
        .order_by(Absence.starts_at.desc())
        .limit(1)
    ).first()


def absent_now(session: Session, usernames: Iterable[str], now: datetime | None = None) -> set[str]:
    """Those of ``usernames`` on leave at ``now`` (whether or not an active backup covers them)."""
    now = now or services_of(session).now()
    return set(
        session.scalars(
            select(User.username)
            .join(Absence, Absence.user_id == User.id)
            .where(User.username.in_(list(usernames)), Absence.in_force(now))
        )
    )


def list_absences(
    session: Session,
    *,
    windows: Iterable[str] | None = None,
    username: str | None = None,
    include_past: bool = False,
    now: datetime | None = None,
) -> list[AbsenceView]:
    """Absences of the members of ``windows`` (or of one user), current and future unless ``include_past``."""
    now = now or services_of(session).now()
    query = select(Absence).order_by(Absence.starts_at.desc(), Absence.id.desc())
    if windows is not None:
        query = query.where(
            Absence.user_id.in_(select(Membership.user_id).where(Membership.window.in_(list(windows))))
        )
    if username is not None:
        query = query.where(Absence.user_id.in_(select(User.id).where(User.username == username)))
    if not include_past:
        query = query.where(or_(Absence.ends_at.is_(None), Absence.ends_at > now))
    return [_absence_view(session, r) for r in session.scalars(query.limit(500))]


# ---- demo users ----------------------------------------------------------------------------------

DEMO_PASSWORD = "banjian2026"
CENTRE_ROLES = (
    ("leader", "中心领导", "leader", Role.LEADER),
    ("supervisor", "督查股", "supervision", Role.SUPERVISOR),
    ("designer", "流程设计员", "centre", Role.DESIGNER),
    ("admin", "系统管理员", "centre", Role.ADMIN),
)


def demo_accounts(windows: Iterable[tuple[str, ...]]) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(username, display name, memberships) of the demo users: a clerk and a head per window, and the
    centre-wide roles (their window must exist; otherwise the first window is used)."""
    windows = list(windows)
    codes = {code for code, *_ in windows}
    accounts: list[tuple[str, str, list[tuple[str, str]]]] = []
    for code, name, *_ in windows:
        accounts.append((f"{code}_clerk", f"{name}·窗口人员", [(code, Role.CLERK.value)]))
        accounts.append((f"{code}_head", f"{name}·负责人", [(code, Role.WINDOW_HEAD.value)]))
    for username, display, window, role in CENTRE_ROLES:
        if windows:
            accounts.append((username, display, [(window if window in codes else windows[0][0], role.value)]))
    return accounts


def seed_demo_users(
    session: Session, windows: Iterable[tuple[str, ...]], password: str = DEMO_PASSWORD
) -> list[str]:
    """Create the missing demo users (existing ones are left alone); returns the usernames created."""
    existing = set(session.scalars(select(User.username)))
    created: list[str] = []
    shared_hash: str | None = None  # one scrypt for the demo password, not one per account
    for username, display, memberships in demo_accounts(windows):
        if username in existing:
            continue
        if shared_hash is None:
            shared_hash = hash_password(password)  # create_user still refuses a password too weak
        create_user(
            session, username, display, password, memberships, actor="seed", password_hash=shared_hash
        )
        created.append(username)
    return created

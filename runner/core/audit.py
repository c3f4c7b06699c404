"""Append-only, tamper-evident audit trail.

Each entry hashes its content together with the previous entry of its chain (one chain per
instance, one ``system`` chain for everything else). The chain head (``process_instances.audit_head``,
or the ``audit_chains`` row of the system chain) is updated in the same transaction: writers of one
chain queue up behind the instance's optimistic lock, and a deleted tail is noticed by ``verify``.

``record`` keeps an entry pending in the session (no ORM object); the session's next flush writes all the
pending entries in one INSERT before the objects it writes (``_write_pending``). Recording an entry moves its
chain head, an object of the session, so a session with pending entries is never clean: an autoflush before a
query writes them and the query sees them. Entries recorded in a savepoint or transaction that rolls back are
dropped with it (``_drop_rolled_back``).
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session, SessionTransaction

from runner import spreadsheet
from runner.core.transaction import services_of
from runner.models import AuditChain, AuditEntry, ProcessInstance

GENESIS = "0" * 64
SYSTEM_CHAIN = "system"
# the columns an entry's hash covers, in the order hashed
HASHED = (
    "chain", "at", "actor", "on_behalf_of", "action", "instance_id", "business_key", "task_id", "task_name", "detail",
)  # fmt: skip
# session.info key: the entries recorded and not written yet, each with the savepoint it was recorded in (None:
# outside any savepoint)
PENDING = "audit_pending"
# the entries of a flush, in one statement of the table (no ORM unit of work); inline: no id read back (a
# one-row INSERT would return it on PostgreSQL)
_INSERT = insert(AuditEntry.__table__).inline()


def _digest(prev_hash: str, entry: Mapping[str, Any]) -> str:
    body = [entry[name] for name in HASHED]
    body[1] = body[1].isoformat()  # at
    text = prev_hash + json.dumps(
        body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _hashed(entry: AuditEntry) -> dict[str, Any]:
    """The hashed columns of a stored entry."""
    return {name: getattr(entry, name) for name in HASHED}


def chain_name(instance_id: int | None) -> str:
    return f"instance:{instance_id}" if instance_id is not None else SYSTEM_CHAIN


def record(
    session: Session,
    action: str,
    *,
    actor: str,
    instance: ProcessInstance | None = None,
    task_id: str | None = None,
    task_name: str | None = None,
    on_behalf_of: str | None = None,
    at: datetime | None = None,
    **detail: Any,
) -> str:
    """Append one audit entry and move its chain head; return the entry's hash. Nothing is written here: the
    entry is written by the session's next flush (a query's autoflush, or the commit's)."""
    if instance is not None and instance.id is None:
        session.flush()
    head: AuditChain | None = None
    if instance is not None:
        prev = instance.audit_head or GENESIS
    else:
        head = session.get(AuditChain, SYSTEM_CHAIN, with_for_update=True)
        prev = head.last_hash if head is not None else GENESIS
    entry = {
        "chain": chain_name(instance.id if instance is not None else None),
        "at": at or services_of(session).now(),
        "actor": actor,
        "on_behalf_of": on_behalf_of,
        "action": action,
        "instance_id": instance.id if instance is not None else None,
        "business_key": instance.business_key if instance is not None else None,
        "task_id": task_id,
        "task_name": task_name,
        "detail": json.loads(json.dumps(detail, default=str)) if detail else {},
        "prev_hash": prev,
    }
    entry["hash"] = digest = _digest(prev, entry)
    session.info.setdefault(PENDING, []).append((session.get_nested_transaction(), entry))
    if instance is not None:
        instance.audit_head = digest
    elif head is None:
        session.add(AuditChain(chain=SYSTEM_CHAIN, last_hash=digest))
    else:
        head.last_hash = digest
    return digest


def pending(session: Session) -> list[dict[str, Any]]:
    """The entries recorded and not written yet, in recording order (they stay pending)."""
    return [entry for _, entry in session.info.get(PENDING) or ()]


def take_pending(session: Session) -> list[dict[str, Any]]:
    """The entries recorded and not written yet, in recording order, for a caller that writes them at once (in
    ``write_pending``'s INSERT, or within another statement: ``runner.core.item_writes``)."""
    entries = pending(session)
    if entries:
        session.info[PENDING].clear()
    return entries


def write_pending(session: Session) -> None:
    """Write the entries recorded and not written yet, in recording order, in one INSERT."""
    entries = take_pending(session)
    if entries:
        session.connection().execute(_INSERT, entries)


@event.listens_for(Session, "before_flush")
def _write_pending(session: Session, _flush: Any, _objects: Any) -> None:
    """Every flush writes the pending entries first (a session with pending entries always has a flush to do:
    the chain heads they moved)."""
    write_pending(session)


@event.listens_for(Session, "before_commit")
def _write_pending_at_commit(session: Session) -> None:
    """The commit (or a savepoint's release) writes the pending entries even if no object is left to flush."""
    write_pending(session)


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, rolled_back: SessionTransaction) -> None:
    """Forget the pending entries of a savepoint or transaction that rolled back: they are never written. (Their
    chain heads went back with it: the ORM expires the objects changed in it.)"""
    pending: list[tuple[SessionTransaction | None, dict[str, Any]]] | None = session.info.get(PENDING)
    if not pending:
        return
    if rolled_back.parent is None:
        pending.clear()
    elif rolled_back.nested:
        pending[:] = [(within, entry) for within, entry in pending if not _inside(within, rolled_back)]
    # else a flush's own sub-transaction: the savepoint or transaction around it rolls back next


@event.listens_for(Session, "after_transaction_end")
def _forget_at_end(session: Session, ended: SessionTransaction) -> None:
    """Nothing pending outlives the session's transaction (a commit has written it all)."""
    if ended.parent is None:
        session.info.pop(PENDING, None)


def _inside(transaction: SessionTransaction | None, outer: SessionTransaction) -> bool:
    """Was ``transaction`` (None: the session's outermost transaction) ``outer`` or begun within it?"""
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


@dataclass(frozen=True)
class Broken:
    """The first audit row that does not match its chain."""

    chain: str
    entry_id: int | None
    reason: str

    def __str__(self) -> str:
        return f"audit chain {self.chain}: row {self.entry_id}: {self.reason}"


def _heads(session: Session) -> dict[str, str]:
    heads = {h.chain: h.last_hash for h in session.scalars(select(AuditChain))}
    for instance_id, head in session.execute(
        select(ProcessInstance.id, ProcessInstance.audit_head).where(ProcessInstance.audit_head.is_not(None))
    ):
        heads[chain_name(instance_id)] = head
    return heads


def verify(session: Session, chain: str | None = None) -> list[Broken]:
    """Check every chain (or one); return the first broken row of each broken chain."""
    heads = _heads(session)
    query = select(AuditEntry).order_by(AuditEntry.chain, AuditEntry.id)
    if chain is not None:
        query = query.where(AuditEntry.chain == chain)
    broken: list[Broken] = []
    current: str | None = None
    prev = GENESIS
    failed: set[str] = set()
    last_seen: dict[str, AuditEntry] = {}

    for entry in session.scalars(query).yield_per(1000):
        if entry.chain != current:
            current, prev = entry.chain, GENESIS
        if entry.chain in failed:
            continue
        if entry.prev_hash != prev:
            reason = "previous hash does not match (a row before it was changed or removed)"
            broken.append(Broken(entry.chain, entry.id, reason))
            failed.add(entry.chain)
            continue
        if _digest(prev, _hashed(entry)) != entry.hash:
            broken.append(Broken(entry.chain, entry.id, "content does not match its hash (row was edited)"))
            failed.add(entry.chain)
            continue
        prev = entry.hash
        last_seen[entry.chain] = entry
    for name, head in heads.items():
        if (chain is not None and name != chain) or name in failed:
            continue
        tail = last_seen.get(name)
        if tail is None or tail.hash != head:
            broken.append(
                Broken(name, tail.id if tail else None, "chain ends before its recorded head (rows removed)")
            )
    return broken


EXPORT_FIELDS = ("id", "chain", "at", "actor", "on_behalf_of", "action", "business_key", "task_id", "task_name",
                 "detail", "prev_hash", "hash")  # fmt: skip


def export(session: Session, fmt: str = "jsonl", *, since_id: int = 0) -> Iterator[str]:
    """The audit trail as JSON Lines or CSV lines (with its hashes), for an electronic-supervision feed."""
    if fmt not in ("jsonl", "csv"):
        raise ValueError("format must be jsonl or csv")
    if fmt == "csv":
        yield ",".join(EXPORT_FIELDS) + "\n"
    query = select(AuditEntry).where(AuditEntry.id > since_id).order_by(AuditEntry.id)
    for entry in session.scalars(query).yield_per(1000):
        row = {
            "id": entry.id, "chain": entry.chain, "at": entry.at.isoformat(), "actor": entry.actor,
            "on_behalf_of": entry.on_behalf_of, "action": entry.action, "business_key": entry.business_key,
            "task_id": entry.task_id, "task_name": entry.task_name, "detail": entry.detail,
            "prev_hash": entry.prev_hash, "hash": entry.hash,
        }  # fmt: skip
        if fmt == "jsonl":
            yield json.dumps(row, ensure_ascii=False) + "\n"
        else:
            buffer = io.StringIO()
            row["detail"] = json.dumps(entry.detail, ensure_ascii=False)
            spreadsheet.writer(buffer).writerow([row[f] if row[f] is not None else "" for f in EXPORT_FIELDS])
            yield buffer.getvalue()

"""Finding items by what a clerk has at hand: the receipt number, the applicant's name, phone or ID number.

An exact value answers from the indexes. When nothing matches exactly, a part of it is looked for the way a
clerk holds it: a piece of the receipt number (often its last digits), the start of a name (a surname, a
company's first words), the last digits of a phone number.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from runner.models import ItemApplication, ProcessInstance

LIMIT = 200
SHORTEST_RECEIPT_PART = 3  # fewer digits would match half the year
SHORTEST_PHONE_TAIL = 4


def find_items(
    session: Session, text: str, *, among: Select[tuple[int]] | None = None, limit: int = LIMIT
) -> list[int]:
    """Ids of the items whose receipt number, applicant (name), phone or ID number is ``text`` — or, when none
    is, contains it as described above — newest first. A search for a part looks only ``among`` the items
    given (e.g. an inbox tab's, ``tasks.inbox_items``), so that it reads the few items a clerk can see rather
    than every item the centre ever had."""
    text = text.strip()[:64]
    if not text:
        return []
    return _exact(session, text, limit) or _partial(session, text, among, limit)


def _exact(session: Session, text: str, limit: int) -> list[int]:
    by_instance = select(ProcessInstance.id).where(
        or_(ProcessInstance.business_key == text, ProcessInstance.applicant == text)
    )
    by_application = select(ItemApplication.instance_id).where(
        or_(
            ItemApplication.applicant_id == text.upper(),
            ItemApplication.agent_id == text.upper(),
            ItemApplication.phone == text,
            ItemApplication.applicant_name == text,
        )
    )
    return _newest(session, by_instance, by_application, limit=limit)


def _partial(session: Session, text: str, among: Select[tuple[int]] | None, limit: int) -> list[int]:
    conditions: list[Any] = []
    if len(text) >= SHORTEST_RECEIPT_PART:
        conditions += [
            ProcessInstance.business_key.contains(t, autoescape=True) for t in {text, text.upper()}
        ]
    if not text.isdigit() and (len(text) >= 2 or _is_han(text)):  # a surname is one character
        conditions.append(ProcessInstance.applicant.startswith(text, autoescape=True))
        conditions.append(ItemApplication.applicant_name.startswith(text, autoescape=True))
    if text.isdigit() and len(text) >= SHORTEST_PHONE_TAIL:
        conditions.append(ItemApplication.phone.endswith(text, autoescape=True))
    if not conditions:
        return []
    query = select(ProcessInstance.id)
    if among is not None:  # the tab's items first (a few hundred, by index), then their text
        scope = among.cte("scope").prefix_with("MATERIALIZED")
        query = query.join(scope, scope.c.instance_id == ProcessInstance.id)
    query = (
        query.outerjoin(ItemApplication, ItemApplication.instance_id == ProcessInstance.id)
        .where(or_(*conditions))
        .distinct()
        .order_by(ProcessInstance.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def _is_han(text: str) -> bool:
    return all("\u4e00" <= c <= "\u9fff" for c in text)


def _newest(session: Session, *queries: object, limit: int) -> list[int]:
    found: set[int] = set()
    for query in queries:
        found |= set(session.scalars(query.limit(limit)))  # type: ignore[attr-defined]
    return sorted(found, reverse=True)[:limit]

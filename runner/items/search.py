"""Finding items by what a clerk has at hand: the receipt number, the applicant's name, phone or ID number."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from runner.models import ItemApplication, ProcessInstance

LIMIT = 200


def find_items(session: Session, text: str, *, limit: int = LIMIT) -> list[int]:
    """Ids of the items whose receipt number, applicant (name), phone or ID number is exactly ``text``, newest
    first (every condition answers from an index)."""
    text = text.strip()[:64]
    if not text:
        return []
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
    found = set(session.scalars(by_instance.limit(limit))) | set(session.scalars(by_application.limit(limit)))
    return sorted(found, reverse=True)[:limit]

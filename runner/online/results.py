"""办理结果公示: the public list of finished items of the catalogue — receipt number, item, result and date, and
nothing about the applicant (no name, number or phone ever leaves this module)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from runner.models import CatalogueItem, InstanceStatus, ItemApplication, ProcessInstance
from runner.papers.documents import local_date, outcome

PAGE = 50


@dataclass(frozen=True)
class PublishedResult:
    business_key: str
    item: str
    result: str
    day: str


def published(session: Session, *, text: str = "", page: int = 1) -> tuple[list[PublishedResult], bool]:
    """One page of results, newest first, optionally for a receipt number or item name; and whether more."""
    query = (
        select(ProcessInstance, CatalogueItem.name)
        .join(ItemApplication, ItemApplication.instance_id == ProcessInstance.id)
        .join(CatalogueItem, CatalogueItem.id == ItemApplication.item_id)
        .where(ProcessInstance.status.in_((InstanceStatus.COMPLETED, InstanceStatus.TERMINATED)))
    )
    text = (text or "").strip()[:100]
    if text:
        like = f"%{text}%"
        query = query.where(ProcessInstance.business_key.like(like) | CatalogueItem.name.like(like))
    query = query.order_by(ProcessInstance.ended_at.desc(), ProcessInstance.id.desc())
    rows = session.execute(query.limit(PAGE + 1).offset((max(1, page) - 1) * PAGE)).all()
    out = [
        PublishedResult(
            instance.business_key,
            name,
            outcome(session, instance) or "—",
            local_date(session, instance.ended_at) if instance.ended_at else "—",
        )  # fmt: skip
        for instance, name in rows[:PAGE]
    ]
    return out, len(rows) > PAGE

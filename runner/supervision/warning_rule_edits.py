"""Editing the warning rule table (提示/黄牌/红牌) from the console: validated, audited, timers re-armed."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from runner.core import audit
from runner.exceptions import InvalidInput, NotFound
from runner.models import WarningRule
from runner.supervision.warning_rules import LEVELS, sync_open_items

MAX_OFFSET = 60  # working days either side of the deadline


def warning_rule_view(row: WarningRule) -> dict[str, Any]:
    return {
        "id": row.id, "item_kind": row.item_kind, "level": row.level, "offset_days": row.offset_days,
        "active": row.active, "note": row.note,
    }  # fmt: skip


def save_warning_rule(
    session: Session,
    *,
    actor: str,
    rule_id: int | None = None,
    level: str,
    offset_days: int,
    item_kind: str | None = None,
    active: bool = True,
    note: str = "",
) -> WarningRule:
    """Create (``rule_id`` None) or change a warning rule; open items get their timers moved at once."""
    if level not in LEVELS:
        raise InvalidInput(f"预警级别须为 {'/'.join(LEVELS)} (unknown level {level!r})", field="level")
    try:
        offset = int(offset_days)
    except (TypeError, ValueError):
        raise InvalidInput(
            "偏移须为整数个工作日 (offset must be whole working days)", field="offset_days"
        ) from None
    if abs(offset) > MAX_OFFSET:
        raise InvalidInput(
            f"偏移不能超过 {MAX_OFFSET} 个工作日 (offset beyond {MAX_OFFSET} working days)",
            field="offset_days",
        )
    if item_kind:
        from runner.core.conventions import ITEM_KINDS

        item_kind = ITEM_KINDS.get(item_kind.strip(), item_kind.strip())
    row = session.get(WarningRule, rule_id) if rule_id is not None else WarningRule()
    if row is None:
        raise NotFound(f"没有预警规则 {rule_id} (no such warning rule)")
    before = warning_rule_view(row) if rule_id is not None else None
    row.level, row.offset_days, row.item_kind = level, offset, item_kind or None
    row.active, row.note = bool(active), (note or "").strip()[:400]
    session.add(row)
    session.flush()
    audit.record(
        session, "warning_rule_created" if before is None else "warning_rule_changed", actor=actor,
        before=before, **warning_rule_view(row),
    )  # fmt: skip
    sync_open_items(session)
    return row


__all__ = ["save_warning_rule", "warning_rule_view"]

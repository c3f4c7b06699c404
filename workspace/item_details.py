"""What the workspace item page shows beyond its tasks (issue 26): window names, steps past their limit,
deemed assents and other 问责 records, and the joint review meeting's minutes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from forms.language import pick, shown_name
from runner.items.party_notices import DEEMED_RULES, local_times
from runner.models import AccountabilityRecord
from runner.people.windows import list_windows
from runner.timekeeping.calendar import is_late
from web.auth import services
from workspace.blueprint import bp

KIND_LABELS = {"deemed_assent": ("默认议定（视为同意）", "deemed assent")}


def item_details(instance_id: int) -> dict[str, Any]:
    """Window names, the platform's now, and the item's accountability records, for the item page."""
    with services().transaction() as s:
        names = {w.code: shown_name(w.name, w.name_en) for w in list_windows(s)}
        records = [
            {
                "window": names.get(r.window, r.window),
                "kind": pick(*KIND_LABELS.get(r.kind, (r.kind, r.kind))),
                "rule": pick(*DEEMED_RULES.get(r.rule, (r.rule, r.rule))),
                "task_name": r.task_name,
                "note": local_times(s, str((r.detail or {}).get("note") or "")),
                "limit_at": r.limit_at,
                "limit_pending_year": (r.detail or {}).get("limit_pending_year"),
                "recorded_at": r.recorded_at,
            }
            for r in s.scalars(
                select(AccountabilityRecord)
                .where(AccountabilityRecord.instance_id == instance_id)
                .order_by(AccountabilityRecord.id)
            )
        ]
        now = services().now()

    def overdue(due: Any) -> bool:
        if not due:
            return False
        return is_late(now, datetime.fromisoformat(due) if isinstance(due, str) else due)

    return {"names": names, "records": records, "now": now, "overdue": overdue}


@bp.app_context_processor
def _item_details_context() -> dict[str, Any]:
    return {"item_details": item_details}

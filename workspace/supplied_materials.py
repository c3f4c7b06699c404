"""容缺受理 on the item page: "副件已补齐" — the lead window records which secondary materials arrived and when
(``runner.items.clerk.do_record_supplied``), which closes the applicant's commitment and its timers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import abort, flash, redirect, request, url_for
from sqlalchemy.orm import Session

import runner
from forms.language import pick
from runner.catalogue.applications import english_materials_of
from runner.items.clerk import do_record_supplied
from runner.items.permissions import Facts, allowed
from runner.items.supplied_materials import awaited
from web.auth import login_required, services
from web.filters import _tz
from web.i18n import user_message
from workspace.access import who_now
from workspace.blueprint import bp
from workspace.operations import _item


def supply_awaited(item: dict[str, Any]) -> dict[str, Any] | None:
    """The awaited secondary materials of an item the current user may record as supplied, else None."""
    may_record = allowed("record_supplied", who_now(), Facts(item))
    if not may_record or item.get("status") not in ("running", "waiting", "suspended"):
        return None
    with services().transaction() as s:
        found = awaited(s, runner.get_instance(s, item["id"]))
        if found is not None:
            found["materials_en"] = english_materials_of(s, item["id"])
    if found is not None:
        found["now"] = services().now().astimezone(_tz()).strftime("%Y-%m-%dT%H:%M")
    return found


@bp.app_context_processor
def _supply_context() -> dict[str, Any]:
    return {"supply_awaited": supply_awaited}


def _when(value: str | None) -> datetime:
    try:
        moment = datetime.fromisoformat((value or "").strip())
    except ValueError:
        raise runner.InvalidInput("请填写补齐时间 (enter when they arrived)", field="supplied_at") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=_tz())


@bp.post("/items/<business_key>/supplied")
@login_required
def record_materials_supplied(business_key: str) -> Any:
    """副件已补齐: deliver the applicant's materials to the waiting 容缺 item."""
    item, facts = _item(business_key)
    who = who_now()
    if not allowed("record_supplied", who, facts):
        abort(403)

    def work(s: Session) -> bool:
        instance = runner.get_instance(s, item["id"])
        on_record_only = bool((awaited(s, instance) or {}).get("record_only"))
        do_record_supplied(
            s, who, instance,
            materials=request.form.getlist("materials"), supplied_at=_when(request.form.get("supplied_at")),
        )  # fmt: skip
        return on_record_only

    try:
        on_record_only = services().run(work)
    except runner.PermissionDenied:
        abort(403)
    except runner.RunnerError as exc:
        flash(user_message(exc), "error")
    else:
        done = (
            pick("已登记容缺材料补交，收件登记已更新。", "Recorded: the materials arrived.")
            if on_record_only
            else pick("已登记副件补齐，容缺承诺已结束。", "Recorded: the secondary materials arrived.")
        )
        flash(done, "success")
    return redirect(url_for("workspace.item_page", business_key=business_key))

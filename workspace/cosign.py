"""加签 / 减签 in the workspace: the lead window adds a related window to a running joint review, or
removes one that has not answered yet (the permission rule ``cosign`` of ``workspace.operations.ALLOWED``).

``do_add_reviewer`` / ``do_remove_reviewer`` are shared with the JSON API (``api/operations.py``).
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

import runner
from forms.language import pick
from runner.items.clerk import do_add_reviewer, do_remove_reviewer
from web.auth import login_required, services
from web.i18n import user_message
from workspace.access import who_now
from workspace.blueprint import bp
from workspace.operations import _item, _window_choices

STATES = {
    "answered": ("已答复", "answered"),
    "open": ("审查中", "reviewing"),
    "queued": ("排队中", "queued"),
}


@bp.route("/items/<business_key>/reviewers", methods=["GET", "POST"])
@login_required
def op_reviewers(business_key: str) -> Any:
    """The running joint reviews of an item with their windows; 加签 and 减签 forms."""
    item, _ = _item(business_key, "cosign")
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        action = request.form.get("action")
        if action not in ("add", "remove"):
            abort(400)
        do = do_add_reviewer if action == "add" else do_remove_reviewer

        def work(s: Session) -> Any:
            return do(
                s,
                who_now(),
                runner.get_instance(s, item["id"]),
                window=request.form.get("window") or None,
                reason=request.form.get("reason"),
                block=request.form.get("block") or None,
            )

        try:
            services().run(work)
        except runner.PermissionDenied:
            abort(403)
        except runner.NotFound:
            abort(404)
        except runner.RunnerError as exc:  # a missing reason, a window already answered, ...
            errors[action] = user_message(exc)
        if not errors:
            window = request.form.get("window") or ""
            flash(
                pick(f"已加签：{window}", f"Added to the review: {window}")
                if action == "add"
                else pick(f"已减签：{window}", f"Removed from the review: {window}"),
                "success",
            )
            return redirect(url_for("workspace.op_reviewers", business_key=business_key))
        status = 400
    with services().transaction() as s:
        blocks = runner.review_blocks(s, item["id"])
    names = dict(_window_choices())
    taking_part = {m["item"] for b in blocks for m in b["members"]}
    choices = [(c, n) for c, n in names.items() if c != item.get("lead_window") and c not in taking_part]
    return render_template(
        "operations/reviewers.html",
        item=item,
        blocks=blocks,
        names=names,
        states=STATES,
        choices=choices,
        errors=errors,
        form=request.form if request.method == "POST" else {},
        pick=pick,
    ), status

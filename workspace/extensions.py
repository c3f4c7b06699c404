"""延期 in the workspace: a clerk of the lead window asks for more working days (reason, days); the lead
window's head or the centre leader approves within the statutory cap or refuses with a reason; the
approval can be printed for the applicant as a numbered 延期告知书 (document kind ``extension``).

Rules (``workspace.operations.ALLOWED``): ``request_extension`` to ask, ``extend`` to decide.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

import runner
from forms.language import pick
from runner.items.clerk import do_decide_extension, do_request_extension
from runner.items.permissions import allowed
from runner.models import Role
from web.auth import current_user, login_required, services
from web.chrome import register_nav
from web.i18n import Label, user_message
from workspace.access import who_now
from workspace.blueprint import bp
from workspace.operations import _item

STATUS = {
    "requested": ("待审批", "waiting"),
    "approved": ("已批准", "approved"),
    "refused": ("不予延期", "refused"),
}


@bp.route("/items/<business_key>/extension", methods=["GET", "POST"])
@login_required
def extension_page(business_key: str) -> Any:
    """The item's legal clock (deadlines, cap, granted days), its requests, and the request form."""
    item, facts = _item(business_key)
    who = who_now()
    can_request = allowed("request_extension", who, facts) and item["status"] in ("running", "waiting")
    can_decide = allowed("extend", who, facts)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        if not can_request:
            abort(403)

        def work(s: Session) -> Any:
            return do_request_extension(
                s,
                who,
                runner.get_instance(s, item["id"]),
                days=request.form.get("days"),
                reason=request.form.get("reason"),
            )

        try:
            services().run(work)
        except runner.PermissionDenied:
            abort(403)
        except runner.InvalidInput as exc:
            errors[str(exc.context.get("field") or "_")] = user_message(exc)
        except runner.RunnerError as exc:
            errors["_"] = user_message(exc)
        if not errors:
            flash(pick("延期申请已提交，等待审批。", "Extension requested; waiting for approval."), "success")
            return redirect(url_for("workspace.extension_page", business_key=business_key))
        status = 400
    with services().transaction() as s:
        state = runner.extension_state(s, item["id"])
    return render_template(
        "operations/extension.html",
        item=item,
        state=state,
        statuses=STATUS,
        can_request=can_request,
        can_decide=can_decide,
        errors=errors,
        form=request.form if request.method == "POST" else {},
        pick=pick,
    ), status


def _deciding_windows() -> set[str] | None:
    """Items whose requests the current user decides: every item for leaders/admins, else the windows
    they head."""
    if current_user.has_role(Role.LEADER, Role.ADMIN):
        return None
    return current_user.windows_with_role(Role.WINDOW_HEAD)


@bp.get("/extensions")
@login_required
def extension_requests() -> Any:
    """延期审批: the open requests the current user may decide."""
    return _requests_page()


def _requests_page(errors: dict[int, str] | None = None, status: int = 200) -> Any:
    with services().transaction() as s:
        rows = runner.pending_requests(s, lead_windows=_deciding_windows())
    errors = errors or {}
    listed = {r["id"] for r in rows}
    page_error = next((m for rid, m in errors.items() if rid not in listed), None)  # e.g. decided meanwhile
    return render_template(
        "operations/extension_requests.html", rows=rows, errors=errors, page_error=page_error, pick=pick
    ), status


@bp.post("/extensions/<int:request_id>/decide")
@login_required
def extension_decide(request_id: int) -> Any:
    """Approve or refuse one request (from the list or the item's 延期 page)."""
    decision = request.form.get("decision")
    if decision not in ("approve", "refuse"):
        abort(400)
    try:
        services().run(
            lambda s: do_decide_extension(
                s, who_now(), request_id, approve=decision == "approve", note=request.form.get("note")
            )
        )
    except runner.PermissionDenied:
        abort(403)
    except runner.NotFound:
        abort(404)
    except runner.RunnerError as exc:  # over the cap, no reason for a refusal, already decided
        return _requests_page({request_id: user_message(exc)}, 400)
    flash(
        pick("已批准延期。", "Extension approved.")
        if decision == "approve"
        else pick("已不予延期。", "Extension refused."),
        "success",
    )
    return redirect(url_for("workspace.extension_requests"))


register_nav(
    Label("延期审批", "Extensions"),  # type: ignore[arg-type]
    "workspace.extension_requests",
    roles=(Role.WINDOW_HEAD, Role.LEADER, Role.ADMIN),
    order=28,
)

"""Counter intake (收件登记) in the workspace, for clerks and window heads of the item's window.

- ``GET  /intake``                          search the catalogue (name or code) among the user's windows' items
- ``GET  /intake?item=<code>``              the registration form of one item: applicant, agent, mobile, the
                                            item's materials (received / missing / 容缺 with a date), scans;
                                            ``&online=<id>`` pre-fills it from an online application (网上申报)
- ``POST /intake``                          register and decide at once: 受理, 一次性告知 or 不予受理; the
                                            notice issued is shown for printing
- ``GET/POST /items/<no.>/intake``          the same decision for an item that came in otherwise (the API)
- ``GET/POST /items/<no.>/materials``       补正材料已收到: tick what the applicant brought; the clock resumes
"""

from __future__ import annotations

import uuid
from datetime import date
from io import BytesIO
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

import runner
from forms import attachments
from forms.language import pick, shown_name
from runner.catalogue import items as catalogue
from runner.catalogue.applications import (
    MISSING,
    RECEIVED,
    TOLERATED,
    Intake,
    MaterialState,
    application_of,
    english_materials_of,
    item_data,
    registered_with,
    start_item,
)
from runner.catalogue.intake import ACCEPT, NOTIFY, REFUSE, Decision, acceptance_step, waiting_for_materials
from runner.items.clerk import do_intake_decision, do_receive_materials
from runner.items.permissions import Facts, Who, allowed
from runner.models import Role
from runner.online import applications as online_applications
from runner.online import counter as online_counter
from runner.online import files as online_files
from runner.online import slots as online_slots
from runner.people.windows import closed_windows_of_definition, closed_windows_of_processes
from web.auth import current_user, require_role, services
from web.chrome import register_nav
from web.filters import to_local
from web.i18n import Label, user_message
from workspace.access import who_now
from workspace.applicant_fields import applicant_from
from workspace.blueprint import bp
from workspace.guide import guide_view, kind_label
from workspace.intake_flow import completer

INTAKE_ROLES = (Role.CLERK, Role.WINDOW_HEAD, Role.ADMIN)
SCAN_FIELD = "intake_scans"
TOKEN_FIELD = "submit_token"


def _at_counter_of(window: str | None, who: Who | None = None) -> bool:
    """May the user register or decide items received at ``window`` (the permission table's "intake")?"""
    return allowed("intake", who or who_now(), Facts({"lead_window": window}))


def _items(text: str) -> list[dict[str, Any]]:
    who = who_now()
    with services().reading() as s:
        found = catalogue.search(s, text, limit=200)
        names = {w.code: shown_name(w.name, w.name_en) for w in runner.list_windows(s)}
        shown = [i for i in found if _at_counter_of(i.window, who)][:50]
        closed = closed_windows_of_processes(s, (i.process_key for i in shown))
        return [
            {
                "code": i.code,
                "name": shown_name(i.name, i.name_en),
                "kind": i.kind,
                "window": names.get(i.window, i.window),
                "closed_windows": _shown_windows(closed.get(i.process_key)),
            }
            for i in shown
        ]


def _shown_windows(closed: dict[str, str] | None) -> str:
    """The closed windows an item's process routes to, as the page names them (empty when none)."""
    found = (closed or {}).items()
    return pick(
        "、".join(f"{name}（{code}）" for code, name in found),
        ", ".join(f"{name} ({code})" for code, name in found),
    )


def _item(code: str) -> dict[str, Any]:
    with services().reading() as s:
        try:
            item = guide_view(s, code)
        except runner.NotFound:
            abort(404)
        closed = closed_windows_of_processes(s, [item.get("process") or ""])
    item["closed_windows"] = _shown_windows(closed.get(item.get("process") or ""))
    if not item["active"]:
        abort(404)
    if not _at_counter_of(item["window"]):
        abort(403)
    return item


def _render(
    item: dict[str, Any] | None,
    *,
    q: str = "",
    form: Any = None,
    error: str | None = None,
    online: dict[str, Any] | None = None,
) -> Any:
    return render_template(
        "catalogue/intake.html",
        item=item,
        online=online,
        q=q,
        found=_items(q) if item is None else [],
        form=form or {},
        error=error,
        today=to_local(services().now()).date().isoformat(),  # the centre's day: a 容缺 date is not before it
        pick=pick,
        kind_label=kind_label,
        upload_limit=attachments.max_bytes(),
        submit_token=uuid.uuid4().hex,  # one-time: the registration keeps it (unique), a resubmission finds it
    ), (400 if error else 200)


@bp.get("/intake")
@require_role(*INTAKE_ROLES)
def intake() -> Any:
    """Search an item, or the registration form of ``?item=`` (pre-filled from ``&online=<id>``, 网上申报)."""
    code = request.args.get("item")
    if code:
        item = _item(code)
        online = request.args.get("online", type=int)
        if online:
            found = _online(online, item)
            return _render(item, form=_online_form(found, item), online=found)
        return _render(item)
    return _render(None, q=(request.args.get("q") or "").strip()[:100])


def _online(application_id: int, item: dict[str, Any]) -> dict[str, Any]:
    """The online application to register (of this item, at this counter, not yet received)."""
    with services().reading() as s:
        try:
            row = online_applications.by_id(s, application_id)
        except runner.NotFound:
            abort(404)
        if row.item_code != item["code"] or not _at_counter_of(row.window):
            abort(403 if row.item_code == item["code"] else 404)
        if row.state not in online_counter.AT_COUNTER:
            abort(409)
        intake = online_counter.intake_of(s, row)
        appointment = online_slots.current(s, row)
        uploads = {name: f.filename for name, f in online_files.latest(s, row).items()}
        slot = f"{appointment.day.isoformat()} {appointment.start}–{appointment.end}" if appointment else None
        return {"id": row.id, "number": row.number, "intake": intake, "uploads": uploads,
                "state": pick(*online_applications.state_words(row.state)), "appointment": slot}  # fmt: skip


def _online_form(online: dict[str, Any], item: dict[str, Any]) -> dict[str, str]:
    """The registration form as the application fills it: the applicant and the materials uploaded."""
    intake: Intake = online["intake"]
    states = {m.name: m.status for m in intake.materials}
    form = {
        "applicant_type": intake.applicant.kind, "applicant_name": intake.applicant.name,
        "applicant_id": intake.applicant.id_number, "phone": intake.applicant.phone,
        "agent_name": intake.applicant.agent_name, "agent_id": intake.applicant.agent_id,
    }  # fmt: skip
    for n, material in enumerate(item["materials"]):
        form[f"m{n}"] = states.get(material["name"], MISSING)
    return form


def _online_scans(application_id: int) -> list[attachments.StoredFile]:
    """The application's uploads stored as the item's scans (the attachment directory, as the counter's)."""
    with services().reading() as s:
        row = online_applications.by_id(s, application_id)
        latest = [(f.filename, f.content) for f in online_files.latest(s, row).values()]
    return [
        attachments.store_upload(FileStorage(BytesIO(content), filename=name), SCAN_FIELD)
        for name, content in latest
    ]


def _materials(item: dict[str, Any]) -> list[MaterialState]:
    states = []
    for n, material in enumerate(item["materials"]):
        status = request.form.get(f"m{n}", MISSING)
        due_raw = request.form.get(f"due{n}") or ""
        try:
            due = date.fromisoformat(due_raw) if status == TOLERATED and due_raw else None
        except ValueError:
            raise runner.InvalidInput(
                f"容缺材料“{material['name']}”的补交日期无效 (invalid date for {material['name']})"
            ) from None
        states.append(
            MaterialState(
                material["name"], status if status in (RECEIVED, MISSING, TOLERATED) else MISSING, due
            )
        )
    return states


def _decision(item: dict[str, Any] | None, states: list[MaterialState]) -> Decision:
    required = {m["name"] for m in item["materials"] if m["required"]} if item else None
    missing = [s.name for s in states if s.status == MISSING and (required is None or s.name in required)]
    return Decision(
        decision=request.form.get("decision", ""),
        missing=missing,
        note=(request.form.get("note") or "").strip()[:2000],
        reason=(request.form.get("reason") or "").strip()[:2000],
        legal_basis=(request.form.get("legal_basis") or "").strip()[:2000],
        correction_days=_correction_days(request.form.get("correction_days") or ""),
    )


def _correction_days(raw: str) -> int | None:
    """The 补正 period typed at the counter (None when left empty: the item's default); ``InvalidInput`` when it
    is not a whole number, rather than quietly falling back to the default."""
    if not raw.strip():
        return None
    try:
        return int(raw.strip())
    except ValueError:
        raise runner.InvalidInput(
            f"补正期限“{raw.strip()[:20]}”应为整数个工作日 (the correction period must be a whole number of working days)"
        ) from None


@bp.post("/intake")
@require_role(*INTAKE_ROLES)
def intake_register() -> Any:
    """Register an application for an item and decide on it in one transaction; then print its notice."""
    item = _item(request.form.get("item", ""))
    token = (request.form.get(TOKEN_FIELD) or "").strip()[:64] or None  # none from an old page or a script
    first = _registered_by(token)
    if first:
        return _registered_already(first)
    stored: list[attachments.StoredFile] = []
    online: dict[str, Any] | None = None
    try:
        applicant = applicant_from(request.form)
        states = _materials(item)
        decision = _decision(item, states)
        who = who_now()
        online_id = request.form.get("online", type=int)
        online = _online(online_id, item) if online_id else None
        stored = [
            attachments.store_upload(f, SCAN_FIELD) for f in request.files.getlist("scans") if f.filename
        ]
        if online_id:
            stored += _online_scans(online_id)

        def work(s: Session) -> tuple[str, dict[str, Any]]:
            instance = start_item(
                s,
                item["code"],
                actor=current_user.username,
                intake=Intake(applicant, states),
                submit_token=token,
            )
            if online_id:  # 网上申报 received at the counter (窗口优先)
                row = online_applications.by_id(s, online_id)
                online_counter.receive(s, row, instance, actor=current_user.username)
            step = acceptance_step(s, instance)
            if stored:
                attachments.record(
                    s,
                    stored,
                    instance_id=instance.id,
                    task_id=step.task_id if step else "",
                    actor=current_user.username,
                )
            doc = do_intake_decision(s, who, instance, decision, complete=completer(s, services()))
            return instance.business_key, doc

        business_key, doc = services().run(work)
    except IntegrityError:
        attachments.discard(stored)
        first = _registered_by(token)
        if first is None:
            raise
        return _registered_already(first)  # a concurrent submission of the same form registered it first
    except runner.PermissionDenied:
        attachments.discard(stored)
        abort(403)
    except (runner.RunnerError, attachments.UploadRejected) as exc:
        attachments.discard(stored)
        message = user_message(exc) if isinstance(exc, runner.RunnerError) else exc.text
        return _render(item, form=request.form, error=message, online=online)
    flash(_flash(decision.decision, business_key), "success")
    return redirect(url_for("workspace.document", business_key=business_key, kind=doc["kind"]))


def _registered_by(token: str | None) -> str | None:
    if not token:
        return None
    with services().reading() as s:
        return registered_with(s, token)


def _registered_already(business_key: str) -> Any:
    """The answer to a second submission of a form already registered: the item it registered, nothing new."""
    flash(
        pick(
            f"此收件已登记为办件 {business_key}，未重复登记。",
            f"This application was already registered as {business_key}; it was not registered again.",
        ),
        "info",
    )
    return redirect(url_for("workspace.item_page", business_key=business_key))


def _flash(decision: str, business_key: str) -> str:
    return {
        ACCEPT: pick(
            f"已受理，办件编号 {business_key}。请打印受理通知书。",
            f"Accepted as {business_key}; print the notice.",
        ),
        NOTIFY: pick(
            f"已登记 {business_key} 并一次性告知补正。请打印补正材料通知书。",
            f"Registered {business_key}; print the one-time correction notice.",
        ),
        REFUSE: pick(
            f"已登记 {business_key}，不予受理。请打印不予受理通知书。", f"Registered {business_key}; refused."
        ),
    }.get(decision, business_key)


def _instance(session: Session, business_key: str) -> Any:
    try:
        return runner.get_instance(session, business_key=business_key)
    except runner.NotFound:
        abort(404)


@bp.route("/items/<business_key>/intake", methods=["GET", "POST"])
@require_role(*INTAKE_ROLES)
def item_intake(business_key: str) -> Any:
    """The counter's decision on an item that came in through the API (standing at its acceptance step)."""
    with services().reading() as s:
        instance = _instance(s, business_key)
        if not _at_counter_of(instance.lead_window):
            abort(403)
        step = acceptance_step(s, instance)
        data = item_data(s, instance)
        record = application_of(s, instance.id)
        item = guide_view(s, record.item_code, record.item_version) if record else None
        closed = _shown_windows(
            closed_windows_of_definition(s, instance.definition_id, instance.definition.meta)
        )
    if step is None:
        flash(pick("该办件已不在受理环节。", "The item is past its acceptance step."), "info")
        return redirect(url_for("workspace.item_page", business_key=business_key))
    names = [str(n) for n in data.get("materials_list") or []]
    error = None
    if request.method == "POST" and closed:
        error = _closed_refusal(closed)
    elif request.method == "POST":
        states = [MaterialState(n, request.form.get(f"m{i}", MISSING)) for i, n in enumerate(names)]
        who = who_now()

        def work(s: Session) -> dict[str, Any]:
            found = runner.get_instance(s, business_key=business_key)
            return do_intake_decision(s, who, found, decision, complete=completer(s, services()))

        try:
            decision = _decision(item, states)
            doc = services().run(work)
        except runner.PermissionDenied:
            abort(403)
        except runner.RunnerError as exc:
            error = user_message(exc)
        else:
            flash(_flash(decision.decision, business_key), "success")
            return redirect(url_for("workspace.document", business_key=business_key, kind=doc["kind"]))
    return render_template(
        "catalogue/item_intake.html",
        business_key=business_key,
        data=data,
        names=names,
        item=item,
        error=error,
        closed_windows=closed,
        form=request.form,
        pick=pick,
    ), (409 if error and closed else 400 if error else 200)


def _closed_refusal(closed: str) -> str:
    """Why an item whose version routes to a closed window is not decided at the counter now."""
    return pick(
        f"本办件暂不能受理：所办流程仍有环节由已关闭的窗口 {closed} 办理，请联系管理员重新开放窗口。",
        f"This item cannot be decided now: its process routes steps to the closed window(s) {closed}; "
        "ask the admin to reopen the window.",
    )


@bp.route("/items/<business_key>/materials", methods=["GET", "POST"])
@require_role(*INTAKE_ROLES)
def item_materials(business_key: str) -> Any:
    """补正材料已收到: tick the corrected materials the applicant brought against the notice's list."""
    with services().reading() as s:
        instance = _instance(s, business_key)
        asked = waiting_for_materials(s, instance)
        lead = instance.lead_window
        english = english_materials_of(s, instance.id)
    if not _at_counter_of(lead):
        abort(403)
    error = None
    if request.method == "POST" and asked:
        arrived = list(request.form.getlist("arrived"))
        who = who_now()

        def work(s: Session) -> list[str]:
            found = runner.get_instance(s, business_key=business_key)
            return do_receive_materials(s, who, found, arrived, complete=completer(s, services()))

        try:
            still = services().run(work)
        except runner.PermissionDenied:
            abort(403)
        except runner.RunnerError as exc:
            error = user_message(exc)
        else:
            if still:
                flash(
                    pick(
                        f"已登记补正材料，计时已恢复。仍缺：{'、'.join(still)}",
                        f"Recorded; the clock runs again. Still missing: {', '.join(english.get(m, m) for m in still)}",
                    ),
                    "warning",
                )
            else:
                flash(
                    pick(
                        "补正材料已全部收到，计时已恢复。",
                        "All corrected materials received; the clock runs again.",
                    ),
                    "success",
                )
            return redirect(url_for("workspace.item_page", business_key=business_key))
    return render_template(
        "catalogue/materials.html",
        business_key=business_key,
        asked=asked,
        materials_en=english,
        error=error,
        pick=pick,
    ), (400 if error else 200)


register_nav(Label("收件登记", "Intake"), "workspace.intake", roles=INTAKE_ROLES, order=5)  # type: ignore[arg-type]

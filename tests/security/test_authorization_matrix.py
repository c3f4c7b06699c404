"""The authorization matrix: every route of the app (workspace pages, console, JSON API) tried by every role and
without login; only the allowed ones get through.

``MATRIX`` has one entry per (endpoint, method): the personas allowed (``tests/security/authz_world.py``).
"Through" means neither 401 nor 403 nor a redirect to the login page (the answer may still be 400, 404, 409 or
a redirect elsewhere: the data decides those). A denied logged-in persona must get 403; an anonymous one the
login page (pages) or 401/403 (API). A route without an entry fails ``test_every_route_has_an_entry`` — add the
new route here when you add it to the app.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from runner.models import AuditEntry, Notification, OpenTask, ProcessInstance
from tests.support.web_fixtures import session_of

from .authz_world import ALL, ANONYMOUS, PERSONAS, World, build

EVERYONE = frozenset(ALL)
LOGGED_IN = frozenset(PERSONAS)
NOBODY: frozenset[str] = frozenset()


def only(*personas: str) -> frozenset[str]:
    return frozenset(personas)


MODEL_VIEW_ROUTES = {
    "index_view": ("GET",), "details_view": ("GET",), "export": ("GET",), "ajax_lookup": ("GET",),
    "create_view": ("GET", "POST"), "edit_view": ("GET", "POST"), "delete_view": ("POST",),
    "action_view": ("POST",), "ajax_update": ("POST",),
}  # fmt: skip
ADMIN = only("admin")
OVERSEERS = only("supervisor", "leader", "admin")
DESIGN = only("designer", "admin")
CONSOLE_VIEW = OVERSEERS  # read-only monitoring lists and details
SUPERVISION = only("supervisor", "leader", "admin")
ON_ITEM = only("lead_clerk", "reviewer", "head", "supervisor", "leader", "admin")  # involved or overseeing
LEAD = only("lead_clerk", "head", "admin")

# (endpoint, method) → personas allowed. Static files are public; the console's model-view routes follow the
# view's roles (a disabled create/edit/delete redirects the allowed, and still refuses the others).
# The world: a 联办件 led by shichang (lead_clerk, head), in review; "reviewer" is the guotu clerk whose review
# task the URLs name; the accepted step was completed by lead_clerk.
MATRIX: dict[tuple[str, str], frozenset[str]] = {
    # --- public ---
    **{(e, "GET"): EVERYONE for e in ("index", "healthz", "static", "web.static", "console_static.static",
                                       "admin.static", "vendor.asset", "workspace.progress_item", "api.openapi",
                                       "web.favicon")},
    **{(e, m): EVERYONE for e in ("web.login", "workspace.progress", "workspace.complaint_new") for m in ("GET", "POST")},
    ("workspace.progress_rating", "POST"): NOBODY,  # only after a successful lookup in this browser session
    **{(e, "GET"): EVERYONE for e in ("workspace.guide", "workspace.guide_item", "workspace.guide_file")},  # 办事指南
    # --- 网上申报: the applicant's pages are public (the private link is the key) ---
    **{(e, "GET"): EVERYONE for e in ("workspace.apply_list", "workspace.apply_track", "workspace.apply_confirmation",
                                       "workspace.apply_file", "workspace.apply_progress", "workspace.apply_results")},
    **{(e, "POST"): EVERYONE for e in ("workspace.apply_code", "workspace.apply_files", "workspace.apply_book",
                                        "workspace.apply_cancel")},
    **{("workspace.apply_item", m): EVERYONE for m in ("GET", "POST")},
    # the window's side: clerks and heads (their windows' applications: shichang's here), admins; plans: heads
    **{(e, "GET"): only("lead_clerk", "reviewer", "outsider", "head", "admin")
       for e in ("workspace.online_reviews", "workspace.online_counter", "workspace.online_appointments")},
    **{("workspace.online_review", m): LEAD for m in ("GET", "POST")},
    ("workspace.online_file", "GET"): LEAD,
    **{("workspace.online_slots", m): only("head", "admin") for m in ("GET", "POST")},
    # --- counter intake: clerks and heads (their windows' items), admins; on an item: its lead window ---
    ("workspace.intake", "GET"): only("lead_clerk", "reviewer", "outsider", "head", "admin"),
    ("workspace.intake_register", "POST"): only("lead_clerk", "reviewer", "outsider", "head", "admin"),
    **{(e, m): LEAD for e in ("workspace.item_intake", "workspace.item_materials") for m in ("GET", "POST")},
    # --- 事项目录 in the console: overseers and designers look, designers and admins change ---
    **{(e, "GET"): only("supervisor", "leader", "designer", "admin")
       for e in ("catalogue.index", "catalogue.item", "catalogue.export")},
    **{(e, m): DESIGN for e in ("catalogue.new", "catalogue.edit") for m in ("GET", "POST")},
    ("catalogue.import_file", "POST"): DESIGN,
    # --- the workspace: anybody logged in, on their own things ---
    **{(e, "GET"): LOGGED_IN for e in ("workspace.inbox", "workspace.notifications", "workspace.copies", "workspace.done_list",
                                       "workspace.warnings", "workspace.extension_requests")},
    **{(e, m): LOGGED_IN for e in ("workspace.absence", "workspace.proxies") for m in ("GET", "POST")},
    ("workspace.notifications_read_all", "POST"): LOGGED_IN,
    ("workspace.inbox_batch", "POST"): LOGGED_IN,  # each ticked task is checked again: none of another window
    ("web.logout", "POST"): LOGGED_IN,
    **{("web.password", m): LOGGED_IN for m in ("GET", "POST")},
    ("workspace.notification_read", "POST"): only("reviewer"),  # the message is the reviewer's
    ("workspace.end_absence", "POST"): only("admin"),  # the absent clerk, a head of their window, or admin
    ("workspace.proxy_end", "POST"): only("admin"),  # the clerk who set it up, or admin
    ("workspace.warning_reply", "POST"): only("reviewer"),  # the warned window
    # --- the reviewer's open task ---
    ("workspace.claim", "POST"): only("reviewer"),
    ("workspace.release", "POST"): only("reviewer"),
    **{(e, m): only("reviewer") for e in ("workspace.task_form", "workspace.handover", "workspace.op_transfer",
                                          "workspace.op_delegate", "workspace.op_send_back") for m in ("GET", "POST")},
    **{("workspace.op_answer", m): NOBODY for m in ("GET", "POST")},  # nobody was asked for an opinion
    ("workspace.op_urge", "POST"): only("lead_clerk", "head", "leader", "supervisor", "admin"),
    ("workspace.op_withdraw", "POST"): only("lead_clerk"),  # the clerk who completed the acceptance
    # --- the item ---
    ("workspace.item_page", "GET"): ON_ITEM,
    **{(e, "GET"): only("lead_clerk", "reviewer", "head") for e in ("workspace.documents", "workspace.document",
                                                                     "workspace.document_pdf", "workspace.download")},
    ("workspace.issue_document", "POST"): only("lead_clerk", "reviewer", "head"),
    ("workspace.attachment_preview", "GET"): only("lead_clerk", "reviewer", "head"),  # as the download
    ("workspace.reissue_document", "POST"): only("lead_clerk", "reviewer", "head"),
    ("workspace.rating_register", "GET"): only("supervisor", "admin"),  # and the supervision window's staff
    # the counter's 好差评 page: the windows taking part in the item (as its documents)
    **{("workspace.counter_rating", m): only("lead_clerk", "reviewer", "head") for m in ("GET", "POST")},
    **{("workspace.op_copy", m): only("lead_clerk", "reviewer", "head") for m in ("GET", "POST")},
    ("workspace.op_suspend", "POST"): only("head", "admin"),
    ("workspace.op_resume", "POST"): only("head", "admin"),
    **{("workspace.op_reviewers", m): LEAD for m in ("GET", "POST")},
    ("workspace.joint_meeting", "GET"): ON_ITEM,  # (the item has no meeting: 404 once allowed)
    ("workspace.joint_meeting", "POST"): NOBODY,  # only an invited window replies, and none was invited
    ("workspace.record_materials_supplied", "POST"): LEAD,  # 副件已补齐: the lead window
    ("workspace.extension_page", "GET"): ON_ITEM,
    ("workspace.extension_page", "POST"): only("lead_clerk", "head"),
    ("workspace.extension_decide", "POST"): only("head", "leader", "admin"),
    **{(e, m): only("supervisor", "admin") for e, m in (("workspace.complaint_register", "GET"),
                                                        ("workspace.complaint_register", "POST"),
                                                        ("workspace.complaints", "GET"))},
    # --- the JSON API (api/access.py; clerk operations by runner.items.permissions.ALLOWED) ---
    **{(e, "GET"): LOGGED_IN for e in ("api.list_definitions", "api.definition_xml", "api.my_warnings")},
    ("api.deploy", "POST"): DESIGN,
    ("api.start", "POST"): only("lead_clerk", "reviewer", "outsider", "head", "leader", "admin", "system"),
    ("api.get_instance", "GET"): ON_ITEM | only("system"),
    ("api.get_instance_by_key", "GET"): ON_ITEM | only("system"),
    ("api.list_tasks", "GET"): only("leader", "supervisor", "admin", "system"),  # unfiltered: all windows
    **{(e, "POST"): only("reviewer", "system") for e in ("api.claim", "api.unclaim", "api.complete")},
    ("api.get_task", "GET"): only("reviewer", "system") | OVERSEERS,
    ("api.send_message", "POST"): only("admin", "system"),
    ("api.send_signal", "POST"): only("admin", "system"),
    ("api.rating_export_json", "GET"): only("supervisor", "admin", "system"),
    ("api.suspend", "POST"): only("head", "admin"),
    ("api.resume", "POST"): only("head", "admin"),
    **{(e, "POST"): ADMIN for e in ("api.terminate", "api.retry", "api.migrate")},
    **{(e, "POST"): only("reviewer") for e in ("api.transfer", "api.delegate", "api.send_back")},
    ("api.returnable_steps", "GET"): only("reviewer"),
    ("api.delegation_answer", "POST"): NOBODY,
    ("api.withdraw", "POST"): only("lead_clerk"),
    ("api.urge", "POST"): only("lead_clerk", "head", "leader", "supervisor", "admin"),
    ("api.copy", "POST"): only("lead_clerk", "reviewer", "head"),
    ("api.extend", "POST"): only("head", "leader", "admin"),
    ("api.acknowledge_warning", "POST"): only("reviewer"),
    ("api.reviewers", "GET"): LEAD,
    ("api.add_reviewer", "POST"): LEAD,
    ("api.remove_reviewer", "POST"): LEAD,
    ("api.request_extension", "POST"): only("lead_clerk", "head"),
    ("api.decide_extension", "POST"): only("head", "leader", "admin"),
    # --- the console ---
    ("admin.index", "GET"): OVERSEERS | DESIGN,
    **{(f"{view}.{route}", m): CONSOLE_VIEW
       for view in ("calendar", "incidents", "instances", "timers", "supervision_warnings",
                    "supervision_warning_rules", "online")
       for route, methods in MODEL_VIEW_ROUTES.items() for m in methods},
    ("calendar.add", "GET"): CONSOLE_VIEW,
    ("calendar.add", "POST"): ADMIN,
    ("calendar.import_year", "GET"): CONSOLE_VIEW,
    ("calendar.import_year", "POST"): ADMIN,
    **{(e, "GET"): CONSOLE_VIEW for e in ("definitions.index", "definitions.diagram", "definitions.xml",
                                          "definitions.migrate_preview", "instance.index", "instance.detail",
                                          "users.index", "users.stranded", "users.user")},
    **{(e, "POST"): ADMIN for e in ("definitions.deploy", "definitions.migrate", "instance.message",
                                    "instance.migrate", "instance.reassign", "instance.resume", "instance.retry",
                                    "instance.suspend", "instance.terminate", "timers.sweep", "users.absence",
                                    "users.active", "users.create", "users.end_absence", "users.memberships",
                                    "users.password", "users.windows")},
    **{(e, "GET"): SUPERVISION for e in ("supervision_dashboard.index", "supervision_dashboard.export",
                                         "supervision_dashboard.report", "supervision_audit.index")},
    ("supervision_assessment.index", "GET"): SUPERVISION | only("head"),  # a head sees their window's
    ("supervision_assessment.export", "GET"): SUPERVISION | only("head"),
    ("supervision_assessment.appeal", "POST"): only("head"),  # a window head appeals for the window
    ("supervision_assessment.decide", "POST"): only("supervisor", "admin"),
    ("supervision_assessment.enter", "POST"): only("supervisor", "admin"),  # 记分录入
    ("supervision_assessment.void", "POST"): only("supervisor", "admin"),
    ("supervision_assessment.attachment", "GET"): SUPERVISION | only("head"),  # a 记分录入 file
    ("supervision_schemes.index", "GET"): SUPERVISION,  # 考核方案: overseers look, the office changes
    **{(f"supervision_schemes.{e}", "POST"): only("supervisor", "admin")
       for e in ("windows", "definition", "activate")},
    **{(f"designer.{e}", m): DESIGN for e, m in (("index", "GET"), ("modeler", "GET"), ("xml", "GET"),
                                                 ("new", "POST"), ("open_process", "POST"), ("save", "POST"),
                                                 ("validate", "POST"), ("deploy", "POST"), ("discard", "POST"))},
    **{(f"designer_forms.{e}", m): DESIGN for e, m in (("index", "GET"), ("edit", "GET"), ("new", "POST"),
                                                       ("preview", "POST"), ("save", "POST"), ("publish", "POST"),
                                                       ("withdraw", "POST"))},
}  # fmt: skip

# Request bodies where a route reads its input before it can decide (so the refusal is about the person)
BODIES: dict[str, Any] = {
    "api.complete": {"data": {"result": "agree"}},  # the review's form must accept it (or it is a 400)
    "api.transfer": {"to_user": "gt_clerk2", "reason": "工作调整"},
    "api.delegate": {"to_user": "gt_clerk2", "note": "请提意见"},
    "api.delegation_answer": {"opinion": "同意"},
    "api.urge": {"note": "请加快办理"},
    "api.copy": {"to_user": "gt_clerk2"},
    "api.extend": {"days": 2, "reason": "需现场核查"},
    "api.acknowledge_warning": {"reply": "已整改"},
    "api.add_reviewer": {"window": "minzheng"},
    "api.remove_reviewer": {"window": "guihua"},
    "api.request_extension": {"days": 2, "reason": "需现场核查"},
    "api.decide_extension": {"decision": "approve"},
    "api.suspend": {"reason": "听证"},
    "api.terminate": {"reason": "申请人撤回"},
    "api.migrate": {"version": 1},
    "api.send_message": {"name": "upper_reply", "correlation": "none"},
    "api.send_signal": {"name": "policy_change"},
    "api.start": {"key": "lianban_chaogao", "data": {"lead_window": "shichang", "applicant": "王五"}},
    "api.send_back": {"to_task_id": "{accept_task_id}", "reason": "材料有误"},
    # form posts of pages
    "workspace.extension_decide": {"decision": "approve"},
    "workspace.online_slots": {"window": "shichang"},
    "supervision_assessment.enter": {
        "rule": "window_rules_001.unattended", "subject": "shichang", "occurred_on": "2026-11-02", "note": "巡查",
    },
    "supervision_assessment.void": {"reason": "录错"},
    "supervision_assessment.appeal": {
        "window": "shichang", "rule_code": "late_completion", "subject": "instance:1", "reason": "系统故障所致",
        "start": "2026-11-01", "end": "2026-11-30",
    },
}  # fmt: skip
# Run last among the allowed (they end, suspend or rewind the item the other routes name)
DESTRUCTIVE = {
    "api.terminate", "instance.terminate", "api.suspend", "workspace.op_suspend", "instance.suspend", "api.withdraw",
    "workspace.op_withdraw", "api.send_back", "workspace.op_send_back", "api.migrate", "instance.migrate",
    "definitions.migrate",
}  # fmt: skip
# URL variables that differ by route: a withdrawal names the completed acceptance
OVERRIDES: dict[str, dict[str, Any]] = {
    # the console's user actions act on a bystander (not on a persona the matrix goes on trying)
    **{
        f"users.{e}": {"username": "bystander"}
        for e in ("user", "absence", "active", "memberships", "password")
    },
    "api.withdraw": {"task_id": "accept_task_id"},
    "workspace.op_withdraw": {"task_id": "accept_task_id"},
}


def route_table(app: Flask) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def fill(rule: Any, world: World) -> str:
    """The rule's URL with every variable taken from the world."""
    overrides = {name: world.ids[key] for name, key in OVERRIDES.get(rule.endpoint, {}).items()}
    values = {
        "filename": "app.css", "package": "bpmn-js", "export_type": "csv", "table": "windows", "kind": "acceptance",
        "username": world.username("reviewer"), "form_key": "window_review", "request_id": 1, "draft_id": 1,
        "appeal_id": 1, "entry_id": 1, "code": "SC-001", "reference": "0" * 64, **world.ids, **overrides,
    }  # fmt: skip
    url = rule.rule
    for name in rule.arguments:
        url = re.sub(rf"<(?:[^:<>]+(?:\([^)]*\))?:)?{name}>", str(values[name]), url)
    return url


def outcome(
    app: Flask, persona: str, method: str, url: str, world: World, endpoint: str = ""
) -> tuple[int, str]:
    client = app.test_client()
    headers = {}
    if persona != ANONYMOUS:
        with client.session_transaction() as sess:
            sess.update(session_of(app, world.username(persona)))  # also after the persona's logout
        headers["X-Actor"] = world.username(persona)
    body = {
        k: (v.format(**world.ids) if isinstance(v, str) else v) for k, v in BODIES.get(endpoint, {}).items()
    }
    if endpoint.startswith("api.") and method == "POST":
        response = client.open(url, method=method, headers=headers, json=body)
    else:
        response = client.open(url, method=method, headers=headers, data=body if method == "POST" else None)
    location = response.headers.get("Location", "")
    response.close()
    return response.status_code, location


def refused(status: int, location: str) -> bool:
    return status in (401, 403) or (status in (301, 302, 303) and "/login" in location)


def test_every_route_has_an_entry(app: Flask) -> None:
    routes = route_table(app)
    missing = sorted(routes - set(MATRIX))
    stale = sorted(set(MATRIX) - routes)
    assert not missing, "routes without an authorization entry (add them to MATRIX):\n" + "\n".join(
        map(str, missing)
    )
    assert not stale, f"entries for routes that no longer exist: {stale}"


def state(services: Any) -> tuple[Any, ...]:
    """What a refused request must leave as it was: the audit trail, the open tasks, the items, the messages."""
    with services.transaction() as s:
        return (
            s.scalar(select(func.count()).select_from(AuditEntry)),
            s.scalar(select(func.count()).select_from(Notification)),
            sorted(s.execute(select(OpenTask.task_id, OpenTask.assignee, OpenTask.window, OpenTask.delegated_by,
                                    OpenTask.urge_count)).all()),
            sorted(s.execute(select(ProcessInstance.id, ProcessInstance.status)).all()),
        )  # fmt: skip


def test_matrix(app: Flask, services: Any) -> None:
    world = build(services)
    rules = {r.endpoint: r for r in app.url_map.iter_rules()}
    wrong = []
    entries = sorted(MATRIX.items(), key=lambda e: (e[0][0] in DESTRUCTIVE, e[0]))
    before = state(services)
    # every refusal first, on untouched data; then the allowed (whose requests may change it)
    for phase in ("refused", "through"):
        if phase == "through":
            assert state(services) == before, "a refused request changed the database"
        for (endpoint, method), allowed in entries:
            url = fill(rules[endpoint], world)
            personas = sorted(allowed) if phase == "through" else sorted(EVERYONE - allowed)
            for persona in personas:
                status, location = outcome(app, persona, method, url, world, endpoint)
                if endpoint == "web.logout" and persona != ANONYMOUS and status == 302:
                    location = ""  # a logout ends on the login page: that is its success
                if refused(status, location) != (phase == "refused"):
                    wrong.append(
                        f"{method} {url} [{endpoint}] as {persona}: {status} {location} (expected {phase})"
                    )
    assert not wrong, f"{len(wrong)} wrong answers:\n" + "\n".join(wrong)

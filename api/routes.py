"""API routes: thin callers of ``runner``; one transaction per request."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, jsonify, request

import runner
from api import access
from api.blueprint import bp
from api.errors import BadRequest
from api.form_check import form_check, task_form
from api.openapi import document
from runner.catalogue.applications import start_item
from runner.items.views import incident_view, instance_summary, task_view
from web.request_edge import in_int_range


def services() -> runner.Services:
    return current_app.extensions["banjian"]  # type: ignore[no-any-return]


@bp.before_request
def identify() -> Any:
    """Bearer tokens from ``BANJIAN_API_TOKENS`` ("token=username,..."); without any, trust ``X-Actor`` (dev).
    Then ``access.authorize``: the caller must be an active directory user allowed on this route."""
    if request.endpoint in access.PUBLIC:
        return None
    tokens = _tokens()
    if tokens:
        header = request.headers.get("Authorization", "")
        token = header[7:] if header.startswith("Bearer ") else ""
        actor = tokens.get(token)
        if actor is None:
            return jsonify(
                code="unauthorized", message="需要有效的 API 令牌 (a valid bearer token is required)"
            ), 401
        g.actor = actor
    else:
        g.actor = (request.headers.get("X-Actor") or "api").strip()[:200] or "api"
    if request.endpoint is None or request.endpoint in access.IN_TRANSACTION:
        return None  # no such route: 404; or the route checks the caller in its own transaction (``checked``)
    with services().reading() as s:
        g.caller = access.authorize(s, g.actor, request.endpoint, dict(request.view_args or {}))
    return None


def checked(session: Any) -> None:
    """``access.authorize`` for a route of ``access.IN_TRANSACTION``, in the route's transaction, before it reads
    or writes anything else."""
    g.caller = access.authorize(session, g.actor, request.endpoint, dict(request.view_args or {}))


def _tokens() -> dict[str, str]:
    raw = current_app.config.get("API_TOKENS") or ""
    if isinstance(raw, dict):
        return raw
    pairs = [p.split("=", 1) for p in str(raw).split(",") if "=" in p]
    return {t.strip(): n.strip() for t, n in pairs}


def body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if data is None:
        if request.data:
            raise BadRequest("请求体不是合法的 JSON (request body is not valid JSON)")
        return {}
    if not isinstance(data, dict):
        raise BadRequest("请求体必须是 JSON 对象 (request body must be a JSON object)")
    return data


def field(data: dict[str, Any], name: str, typ: type | tuple[type, ...], *, required: bool = False) -> Any:
    value = data.get(name)
    if value is None:
        if required:
            raise BadRequest(f"缺少字段 {name} (missing field {name!r})", field=name)
        return None
    if not isinstance(value, typ) or isinstance(value, bool) and typ is int:
        raise BadRequest(f"字段 {name} 类型错误 (field {name!r} has the wrong type)", field=name)
    if isinstance(value, int) and not in_int_range(value):
        raise BadRequest(f"字段 {name} 超出范围 (field {name!r} is out of range)", field=name)
    return value


def int_arg(name: str, default: int, *, low: int = 0, high: int = 10_000) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"参数 {name} 必须是整数 (parameter {name!r} must be an integer)") from None
    return max(low, min(high, value))


@bp.get("/openapi.json")
def openapi() -> Any:
    return jsonify(document())


@bp.get("/definitions")
def list_definitions() -> Any:
    with services().transaction() as s:
        return jsonify(definitions=runner.list_definitions(s))


@bp.post("/definitions")
def deploy() -> Any:
    """Upload a BPMN file (multipart ``file``, optional ``dmn`` files) or a raw XML body; ``default_window``
    (query or form field) is the window of tasks whose lane and properties name none."""
    if request.files:
        upload = request.files.get("file")
        if upload is None:
            raise BadRequest("缺少文件字段 file (multipart field 'file' is required)")
        content, filename = upload.read(), upload.filename or "upload.bpmn"
        dmn = [(f.read(), f.filename or "table.dmn") for f in request.files.getlist("dmn")]
    else:
        content, filename, dmn = request.get_data(), request.args.get("filename", "upload.bpmn"), []
    if not content:
        raise BadRequest("没有上传内容 (empty upload)")
    default_window = request.values.get("default_window") or None
    with services().transaction() as s:
        result = runner.deploy(s, content, filename, actor=g.actor, dmn=dmn, default_window=default_window)
        out = [
            {"key": d.key, "version": d.version, "id": d.id, "created": c}
            for d, c in zip(result.definitions, result.created, strict=True)
        ]
    status = 201 if any(result.created) else 200
    return jsonify(definitions=out, warnings=result.warnings), status


@bp.get("/definitions/<key>/xml")
def definition_xml(key: str) -> Any:
    version = request.args.get("version", type=int)
    if version is not None and not in_int_range(version):
        raise runner.NoSuchDefinition(f"没有流程定义 {key} 版本 {version} (no such definition version)")
    with services().transaction() as s:
        definition = runner.get_definition(s, key, version)
        return current_app.response_class(definition.bpmn_xml, mimetype="application/xml")


@bp.post("/instances")
def start() -> Any:
    """Start an item: a diagram's (``key``) or a catalogue item's (``item``, with its parameters)."""
    with services().transaction() as s:
        checked(s)  # the caller first, in the start's own transaction (one session per request)
        data = body()
        item = field(data, "item", str)
        if item is not None:
            return jsonify(_start_item(s, data, item)), 201
        key = field(data, "key", str, required=True)
        business_key = field(data, "business_key", str)
        if business_key is not None:
            access.require_migration_right(g.get("caller"))
        instance = runner.start(
            s,
            key,
            actor=g.actor,
            data=field(data, "data", dict) or {},
            business_key=business_key,
            version=field(data, "version", int),
            title=field(data, "title", str),
        )
        view = _outcome(s, instance)
    return jsonify(view), 201


def _start_item(s: Any, data: dict[str, Any], code: str) -> dict[str, Any]:
    """Start catalogue item ``code`` with its parameters (``runner.catalogue.applications.start_item``)."""
    for name in ("key", "version", "business_key"):
        if data.get(name) is not None:
            raise BadRequest(f"item 与 {name} 不能同时给出 (give either item or {name})")
    return _outcome(s, start_item(s, code, actor=g.actor, data=field(data, "data", dict) or {}))


def _outcome(s: Any, instance: Any) -> dict[str, Any]:
    """An item after a step: its summary, its open tasks and, when the step failed in the diagram's own
    content, the open incidents naming the element (the item waits for a retry)."""
    view = instance_summary(instance)
    view["tasks"] = runner.instance_tasks(s, instance)
    if instance.status == runner.InstanceStatus.ERROR:
        view["incidents"] = [incident_view(i) for i in runner.open_incidents(s, instance.id)]
    return view


@bp.get("/instances/<int:instance_id>")
def get_instance(instance_id: int) -> Any:
    with services().transaction() as s:
        return jsonify(runner.describe(s, runner.get_instance(s, instance_id)))


@bp.get("/instances/by-key/<business_key>")
def get_instance_by_key(business_key: str) -> Any:
    with services().transaction() as s:
        return jsonify(runner.describe(s, runner.get_instance(s, business_key=business_key)))


@bp.get("/tasks")
def list_tasks() -> Any:
    filters: dict[str, Any] = {}
    for name in ("window", "assignee", "business_key", "item_kind"):
        if request.args.get(name):
            filters[name] = request.args[name]
    if request.args.get("unclaimed") in ("1", "true", "yes"):
        filters["unclaimed"] = True
    with services().transaction() as s:
        tasks, total = runner.list_tasks(
            s, limit=int_arg("limit", 50, low=1, high=500), offset=int_arg("offset", 0, high=10**9), **filters
        )
    return jsonify(tasks=tasks, total=total)


@bp.get("/tasks/<task_id>")
def get_task(task_id: str) -> Any:
    """One open task as its form shows it: name, documentation, the item's data, the form's fields."""
    with services().reading() as s:
        return jsonify(task_form(s, services(), task_id))


@bp.post("/tasks/<task_id>/claim")
def claim(task_id: str) -> Any:
    return jsonify(services().run(lambda s: task_view(runner.claim(s, task_id, actor=g.actor))))


@bp.post("/tasks/<task_id>/unclaim")
def unclaim(task_id: str) -> Any:
    return jsonify(services().run(lambda s: task_view(runner.unclaim(s, task_id, actor=g.actor))))


@bp.post("/tasks/<task_id>/complete")
def complete(task_id: str) -> Any:
    """Complete a task with ``data`` once its form accepts it (``form_check``: 400 naming the fields)."""

    def work(s: Any) -> dict[str, Any]:
        checked(s)  # the caller first: a refused caller learns nothing about the body or the task
        submitted = field(body(), "data", dict) or {}
        check = form_check(s, services(), submitted)
        instance = runner.complete(s, task_id, submitted, actor=g.actor, check=check)
        return _outcome(s, instance)

    return jsonify(services().run(work))


@bp.post("/messages")
def send_message() -> Any:
    data = body()
    name = field(data, "name", str, required=True)
    correlation = field(data, "correlation", str, required=True)
    payload = field(data, "payload", dict)
    return jsonify(
        services().run(
            lambda s: instance_summary(runner.deliver_message(s, name, correlation, payload, actor=g.actor))
        )
    )


@bp.post("/signals")
def send_signal() -> Any:
    """Broadcast signal ``name`` (with an optional ``payload`` object) to every active item waiting for it; each
    item is stepped in its own transaction (``runner.broadcast_signal``). 200 with the items that heard it (none
    is not an error: a broadcast has no addressee to be missing)."""
    data = body()
    name = data.get("name")
    payload = data.get("payload")
    runner.check_signal(name, payload)
    outcome = runner.broadcast_signal(services(), name, payload, actor=g.actor)
    return jsonify(
        signal=outcome.name,
        count=len(outcome.heard),
        instances=[instance_summary(i) for i in outcome.heard],
        failed=outcome.failed,
    )


@bp.post("/instances/<int:instance_id>/suspend")
def suspend(instance_id: int) -> Any:
    reason = field(body(), "reason", str) or ""
    return jsonify(
        services().run(
            lambda s: instance_summary(runner.suspend(s, instance_id, actor=g.actor, reason=reason))
        )
    )


@bp.post("/instances/<int:instance_id>/resume")
def resume(instance_id: int) -> Any:
    return jsonify(services().run(lambda s: instance_summary(runner.resume(s, instance_id, actor=g.actor))))


@bp.post("/instances/<int:instance_id>/terminate")
def terminate(instance_id: int) -> Any:
    reason = field(body(), "reason", str, required=True)
    return jsonify(
        services().run(
            lambda s: instance_summary(runner.terminate(s, instance_id, actor=g.actor, reason=reason))
        )
    )


@bp.post("/instances/<int:instance_id>/retry")
def retry(instance_id: int) -> Any:
    fix = field(body(), "data", dict)
    return jsonify(
        services().run(lambda s: instance_summary(runner.retry(s, instance_id, actor=g.actor, data=fix)))
    )


@bp.post("/instances/<int:instance_id>/migrate")
def migrate(instance_id: int) -> Any:
    version = field(body(), "version", int, required=True)
    return jsonify(
        services().run(
            lambda s: instance_summary(runner.migrate_instance(s, instance_id, version, actor=g.actor))
        )
    )

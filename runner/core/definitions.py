"""Deploying diagrams as versioned process definitions, and finding them again."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.exceptions import SpiffWorkflowException
from sqlalchemy import ColumnElement, and_, bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from runner.bilingual import both, joined
from runner.core import audit, conventions
from runner.core.foreign import adopt
from runner.core.scripts import check_source
from runner.core.spiff.parser import CentreParser, parse_specs
from runner.core.spiff.refusals import refusal
from runner.core.state import dump_specs
from runner.core.transaction import read_along, services_of, taken_along
from runner.core.validation import read_diagram, safe_parse, validate_bpmn
from runner.design.form_drafts import known_form_keys
from runner.exceptions import Conflict, DiagramInvalid, NoSuchDefinition
from runner.models import ProcessDefinition
from runner.people.windows import active_window_names, closed_window_names, known_windows


@dataclass
class Deployed:
    """Result of a deploy: the definitions touched, whether each is new, and any warnings."""

    definitions: list[ProcessDefinition]
    created: list[bool]
    warnings: list[dict[str, Any]] = field(default_factory=list)


def _spiff_problem(exc: SpiffWorkflowException, filename: str) -> dict[str, Any]:
    """SpiffWorkflow's refusal as a problem: where it is, and what it says in both languages."""
    element = getattr(exc, "id", None) or getattr(exc, "task_id", None)
    return {
        "file": getattr(exc, "file_name", None) or filename,
        "element": element,
        "line": getattr(exc, "line_number", None) or None,
        "message": refusal(exc, element),
        "severity": "error",
    }


def _called_elements(root: Any) -> set[str]:
    return {
        node.get("calledElement")
        for node in root.iter(f"{{{conventions.BPMN_NS}}}callActivity")
        if node.get("calledElement")
    }


def _unknown_calls(session: Session, root: Any, filename: str) -> list[dict[str, Any]]:
    """A problem for each call activity calling a process neither in this file nor deployed."""
    local = {p.get("id") for p in root.iter(f"{{{conventions.BPMN_NS}}}process")}
    problems = []
    for node in root.iter(f"{{{conventions.BPMN_NS}}}callActivity"):
        key = node.get("calledElement")
        if key and key not in local and latest_definition(session, key, required=False) is None:
            problems.append(
                {
                    "file": filename,
                    "element": node.get("id"),
                    "line": node.sourceline,
                    "message": f"调用的流程 {key} 尚未部署，请先部署它 "
                    f"(the call activity calls process {key!r}, which is not deployed: deploy it first)",
                    "severity": "error",
                }
            )
    return problems


def _add_called_definitions(session: Session, parser: CentreParser, root: Any) -> list[Any]:
    """Add the latest deployed diagram of every process this one calls and does not contain itself, read
    in the platform's conventions (``runner.core.foreign``); their roots."""
    local = {p.get("id") for p in root.iter(f"{{{conventions.BPMN_NS}}}process")}
    wanted = _called_elements(root) - local
    added: list[Any] = []
    seen: set[str] = set()
    while wanted:
        key = wanted.pop()
        if key in seen:
            continue
        seen.add(key)
        called = latest_definition(session, key, required=False)
        if called is None:  # a process a called process calls, gone since (_unknown_calls checked this file)
            message = both(
                f"被调用的流程又调用了流程 {key}，它尚未部署",
                f"a called process calls process {key!r}, which is not deployed",
            )
            raise DiagramInvalid(
                message,
                problems=[
                    {"file": key, "element": key, "line": None, "message": message, "severity": "error"}
                ],
            )
        called_root = etree.fromstring(called.bpmn_xml.encode("utf-8"))
        adopt(called_root)
        parser.add_bpmn_xml(called_root, called.filename)
        for dmn in called.dmn_xml:
            parser.add_dmn_xml(etree.fromstring(dmn["xml"].encode("utf-8")), dmn["filename"])
        added.append(called_root)
        wanted |= _called_elements(called_root) - seen
    return added


def _parse(
    session: Session, root: Any, filename: str, dmn: list[tuple[bytes, str]], max_bytes: int
) -> tuple[dict[str, Any], list[Any], list[dict[str, str]]]:
    """The ready specs of each executable process of ``root``, the called diagrams' roots and the DMN
    documents; SpiffWorkflow's own refusals as ``DiagramInvalid``."""
    dmn_docs: list[dict[str, str]] = []
    parser = CentreParser()
    try:
        parser.add_bpmn_xml(root, filename)
        for dmn_content, dmn_name in dmn:
            dmn_content = read_diagram(dmn_content, dmn_name, max_bytes)
            parser.add_dmn_xml(safe_parse(dmn_content, dmn_name, max_bytes).getroot(), dmn_name)
            dmn_docs.append({"filename": dmn_name, "xml": dmn_content.decode("utf-8")})
        called = _add_called_definitions(session, parser, root)
        process_ids = [p for p in parser.get_process_ids() if p in _local_process_ids(root)]
        if not process_ids:
            message = both("没有可执行的流程", "no executable process")
            raise DiagramInvalid(
                joined(filename, filename, message, sep=(": ", ": ")),
                problems=[
                    {"file": filename, "element": None, "line": None, "message": message, "severity": "error"}
                ],
            )
        parsed = {pid: parse_specs(parser, pid) for pid in process_ids}
    except (ValidationException, SpiffWorkflowException) as exc:
        problem = _spiff_problem(exc, filename)
        summary = joined(filename, filename, problem["message"], sep=(": ", ": "))
        raise DiagramInvalid(summary, problems=[problem]) from exc
    return parsed, called, dmn_docs


def _node_windows(roots: list[Any], names: dict[str, str] | None) -> dict[str, str]:
    """``conventions.node_windows`` of the deployed document and the documents it calls (its own first).

    Fixed at deployment: a lane choosing its window by name keeps the code chosen then, so a window renamed
    later moves neither running items nor new items of this version; a redeployment reads the names again.
    """
    windows_map: dict[str, str] = {}
    for root in reversed(roots):
        windows_map.update(conventions.node_windows(root, names))
    return windows_map


def deploy(
    session: Session,
    content: bytes | str,
    filename: str,
    *,
    actor: str,
    dmn: list[tuple[bytes, str]] | None = None,
    default_window: str | None = None,
) -> Deployed:
    """Validate a BPMN file (with optional DMN files) and store each executable process as a new version.

    The file may come in any encoding its XML declaration names (it is stored as UTF-8) and may be drawn with
    other modelers (``runner.core.foreign``). ``default_window`` is the window of the tasks whose lane and
    properties name none (else the process's ``defaultWindow`` property, else ``centre``). Identical content
    re-deployed returns the existing latest version instead of making a new one. Raises ``DiagramInvalid``
    naming file, element and line for every problem (the warnings with them); a success carries the warnings.
    """
    services = services_of(session)
    max_bytes = services.settings.max_bpmn_bytes
    default_window = (default_window or "").strip() or None
    content = read_diagram(content, filename, max_bytes)  # stored as UTF-8
    # a lane may name its window by its name: read once, so the check and the stored map agree; the map keeps
    # the codes chosen now (a window renamed later does not move this version's tasks)
    names = active_window_names(session)
    tree, warnings = validate_bpmn(
        content,
        filename,
        max_bytes=max_bytes,
        known_windows=known_windows(session),
        check_expression=check_source,
        known_forms=known_form_keys(session),
        default_window=default_window,
        window_names=names,
        closed_windows=closed_window_names(session),
    )
    found = [w.to_dict() for w in warnings]
    root = tree.getroot()
    unknown = _unknown_calls(session, root, filename)
    try:
        if unknown:
            raise DiagramInvalid(
                joined(filename, filename, unknown[0]["message"], sep=(": ", ": ")), problems=unknown
            )
        parsed, called, dmn_docs = _parse(session, root, filename, dmn or [], max_bytes)
    except DiagramInvalid as exc:
        exc.problems = [{"severity": "error", **p} for p in exc.problems] + found
        raise

    xml_text = content.decode("utf-8")
    chosen = f"\0default_window={default_window}".encode() if default_window else b""
    windows_map = _node_windows([root, *called], names)
    plain_map = _node_windows([root, *called], None)
    # the windows tasks name by their ``window`` property: counted when a window is to be closed
    task_windows = sorted({code for r in (root, *called) for code in conventions.task_windows(r)})
    # lanes chose windows by name: a redeployment after a rename is a new version
    if windows_map != plain_map:
        chosen += b"\0lanes_by_name=" + repr(sorted(windows_map.items())).encode()
    digest = hashlib.sha256(content + b"".join(d["xml"].encode() for d in dmn_docs) + chosen).hexdigest()

    result = Deployed(definitions=[], created=[], warnings=found)
    for pid, (spec, subprocess_specs) in parsed.items():
        latest = latest_definition(session, pid, required=False)
        if latest is not None and latest.content_hash == digest:
            result.definitions.append(latest)
            result.created.append(False)
            continue
        meta = conventions.item_meta(conventions.process_properties(root, pid))
        meta["default_window"] = default_window or meta["default_window"]
        meta["node_windows"] = windows_map
        meta["task_windows"] = task_windows
        meta["warnings"] = result.warnings
        definition = ProcessDefinition(
            key=pid,
            version=(latest.version + 1) if latest is not None else 1,
            name=conventions.process_name(root, pid),
            filename=filename,
            content_hash=digest,
            bpmn_xml=xml_text,
            dmn_xml=dmn_docs,
            spec_state=dump_specs(spec, subprocess_specs),
            meta=meta,
            deployed_by=actor,
            deployed_at=services.now(),
        )
        session.add(definition)
        try:
            with session.begin_nested():
                session.flush()
        except IntegrityError as exc:
            raise Conflict(f"流程 {pid} 正在被同时部署，请重试 (concurrent deploy of {pid}; retry)") from exc
        audit.record(session, "deploy", actor=actor, key=pid, version=definition.version, file=filename)
        result.definitions.append(definition)
        result.created.append(True)
    return result


def _local_process_ids(root: Any) -> set[str]:
    return {
        p.get("id")
        for p in root.iter(f"{{{conventions.BPMN_NS}}}process")
        if (p.get("isExecutable") or "").lower() == "true"
    }


LATEST = "latest_definition"  # what ``read_along_latest`` keeps for ``latest_definition``


def is_latest_of_key() -> ColumnElement[bool]:
    """A join condition for a transaction's first statement: the row of ``process_definitions`` that is the newest
    version of the key bound as ``definition_key`` (none: no such key). ``read_along_latest`` takes its entity."""
    key = bindparam("definition_key", type_=ProcessDefinition.key.type)
    newest = select(func.max(ProcessDefinition.version)).where(ProcessDefinition.key == key).scalar_subquery()
    return and_(ProcessDefinition.key == key, ProcessDefinition.version == newest)


def read_along_latest(session: Session, key: str, found: ProcessDefinition | None) -> None:
    """The newest version of ``key`` (None: there is none), read by this transaction's first statement
    (``is_latest_of_key``): the transaction's ``latest_definition(key)`` takes it instead of reading it again."""
    read_along(session, LATEST, key, found)


def latest_definition(session: Session, key: str, *, required: bool = True) -> ProcessDefinition | None:
    """The newest version of ``key`` (``NoSuchDefinition`` if there is none and it is required)."""
    along, found = taken_along(session, LATEST, key)
    if not along:
        found = session.scalars(
            select(ProcessDefinition)
            .where(ProcessDefinition.key == key)
            .order_by(ProcessDefinition.version.desc())
            .limit(1)
        ).first()
    if found is None and required:
        raise NoSuchDefinition(f"没有名为 {key} 的流程定义 (no process definition {key!r})", key=key)
    return found


def get_definition(session: Session, key: str, version: int | None = None) -> ProcessDefinition:
    """A definition by key and version (latest when version is None)."""
    if version is None:
        found = latest_definition(session, key)
        assert found is not None
        return found
    found = session.scalars(
        select(ProcessDefinition).where(ProcessDefinition.key == key, ProcessDefinition.version == version)
    ).first()
    if found is None:
        raise NoSuchDefinition(
            f"流程 {key} 没有版本 {version} (no version {version} of {key!r})", key=key, version=version
        )
    return found


def list_definitions(session: Session) -> list[dict[str, Any]]:
    """Every key with its versions (newest first) and the number of instances per version."""
    from runner.models import ProcessInstance

    counts = dict(
        session.execute(
            select(ProcessInstance.definition_id, func.count()).group_by(ProcessInstance.definition_id)
        ).all()
    )
    rows = session.scalars(
        select(ProcessDefinition).order_by(ProcessDefinition.key, ProcessDefinition.version.desc())
    )
    result: dict[str, dict[str, Any]] = {}
    for d in rows:
        entry = result.setdefault(d.key, {"key": d.key, "name": d.name, "versions": []})
        entry["versions"].append(
            {
                "id": d.id,
                "version": d.version,
                "deployed_by": d.deployed_by,
                "deployed_at": d.deployed_at.isoformat(),
                "instances": counts.get(d.id, 0),
                "item_kind": d.meta.get("item_kind"),
            }
        )
    return list(result.values())

"""The catalogue as JSON Lines: one item a line, the same object the console saves (``body.normalise``).

``export_lines`` writes every item's version in force; ``import_lines`` creates or updates items by code and
refuses the whole file — nothing stored — when any line is wrong, naming each wrong line by its number.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from runner.catalogue.body import ItemInvalid
from runner.catalogue.items import check, save_item
from runner.exceptions import InvalidInput
from runner.models import CatalogueItem, CatalogueItemVersion


class CatalogueInvalid(InvalidInput):
    """A catalogue file with wrong lines; ``problems`` maps line number → its problems."""

    code = "catalogue_invalid"

    def __init__(self, problems: dict[int, list[str]]) -> None:
        lines = "；".join(f"第 {n} 行 (line {n}): {'；'.join(p)}" for n, p in sorted(problems.items()))
        super().__init__(f"事项目录未导入 (catalogue not imported): {lines}", lines=sorted(problems))
        self.problems = problems


@dataclass
class ImportResult:
    """What an import did: codes created, updated (a new version) and unchanged."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def export_lines(session: Session) -> Iterator[str]:
    """Every item as one JSON line (its version in force), ordered by code."""
    rows = session.execute(
        select(CatalogueItemVersion.body)
        .join(CatalogueItem, CatalogueItem.id == CatalogueItemVersion.item_id)
        .where(CatalogueItemVersion.version == CatalogueItem.version)
        .order_by(CatalogueItem.code)
    )
    for (body,) in rows:
        yield json.dumps(body, ensure_ascii=False, sort_keys=True)


def _parse(lines: Iterable[str]) -> tuple[list[tuple[int, dict[str, Any]]], dict[int, list[str]]]:
    parsed: list[tuple[int, dict[str, Any]]] = []
    problems: dict[int, list[str]] = {}
    for number, line in enumerate(lines, start=1):
        text = line.strip().lstrip("\ufeff")
        if not text or text.startswith("#"):
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            problems[number] = [f"不是有效的 JSON (not valid JSON: {exc.msg}, column {exc.colno})"]
            continue
        parsed.append((number, value))
    return parsed, problems


def import_lines(session: Session, lines: Iterable[str], *, actor: str) -> ImportResult:
    """Create or update (by code) every item of ``lines``; ``CatalogueInvalid`` and nothing stored when any
    line is wrong (bad JSON, a wrong item, a code twice in the file)."""
    parsed, problems = _parse(lines)
    seen: dict[str, int] = {}
    for number, raw in parsed:
        try:
            body = check(session, raw)
        except ItemInvalid as exc:
            problems[number] = exc.problems
            continue
        if body["code"] in seen:
            problems[number] = [f"事项编码 {body['code']} 与第 {seen[body['code']]} 行重复 (code repeated)"]
        seen.setdefault(body["code"], number)
    if problems:
        raise CatalogueInvalid(problems)
    result = ImportResult()
    for _number, raw in parsed:
        saved = save_item(session, raw, actor=actor)
        bucket = result.created if saved.created else result.updated if saved.changed else result.unchanged
        bucket.append(saved.item.code)
    return result

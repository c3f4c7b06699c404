"""``python -m runner.cli catalogue-export`` / ``catalogue-import FILE``: the catalogue as JSON Lines."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from runner.config import Settings
from runner.core.services import Services


def cmd_export(_: argparse.Namespace) -> int:
    """Write every item (its version in force) as one JSON line to standard output."""
    from runner.catalogue.transfer import export_lines

    services = Services.without_redis(Settings.from_env())
    try:
        with services.reading() as session:
            for line in export_lines(session):
                sys.stdout.write(line + "\n")
    finally:
        services.engine.dispose()
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Create or update the items of a JSON Lines file (or ``-``); the whole file is refused, with the wrong
    lines named, when any line is wrong."""
    from runner.catalogue.transfer import CatalogueInvalid, import_lines

    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"{args.file}: 无法读取 (cannot read): {exc}", file=sys.stderr)
        return 2
    services = Services.without_redis(Settings.from_env())
    try:
        with services.transaction() as session:
            result = import_lines(session, text.splitlines(), actor=args.actor)
    except CatalogueInvalid as exc:
        print(f"{args.file}: 事项目录有误，未导入任何事项 (invalid; nothing was imported)", file=sys.stderr)
        for number, problems in sorted(exc.problems.items()):
            for problem in problems:
                print(f"  第 {number} 行 (line {number}): {problem}", file=sys.stderr)
        return 1
    finally:
        services.engine.dispose()
    print(
        f"事项目录: 新增 {len(result.created)}, 更新 {len(result.updated)}, 未变 {len(result.unchanged)}"
        f" (items created {len(result.created)}, updated {len(result.updated)},"
        f" unchanged {len(result.unchanged)})"
    )
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``catalogue-export`` and ``catalogue-import`` on the CLI's sub-parsers."""
    sub.add_parser("catalogue-export", help="write the service-item catalogue as JSON Lines").set_defaults(
        func=cmd_export
    )
    p = sub.add_parser("catalogue-import", help="create or update service items from a JSON Lines file")
    p.add_argument("file", help="the catalogue file (UTF-8 JSON Lines), or - for stdin")
    p.add_argument("--actor", default="system", help="who imports it (audit trail)")
    p.set_defaults(func=cmd_import)

"""``python -m runner.cli``: migrate the database, deploy diagrams, seed windows, check the audit trail, import a
year's holiday arrangement, export or import the service-item catalogue."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path
from typing import Any

from runner.config import ROOT, Settings
from runner.core.services import Services
from runner.exceptions import DiagramInvalid


def _services() -> Services:
    return Services.without_redis(Settings.from_env())


def cmd_migrate(_: argparse.Namespace) -> int:
    from runner.migrate import upgrade

    upgrade(Settings.from_env().database_url)
    print("database is at the latest schema")
    return 0


def load_windows_file(path: Path) -> list[tuple[str, str, str | None]]:
    """(code, name, English name or None) of each window of a windows file."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return [(w["code"], w["name"], w.get("name_en")) for w in data["windows"]]


def cmd_seed(args: argparse.Namespace) -> int:
    from runner.people.windows import upsert_windows

    services = _services()
    windows = load_windows_file(Path(args.windows))
    try:
        with services.transaction() as session:
            created = upsert_windows(session, windows)
        print(f"windows: {created} new")
        from runner.supervision.warning_rules import seed_warning_rules

        with services.transaction() as session:
            rules = seed_warning_rules(session)
        print(
            f"warning rules: {len(rules)} new (提示 −1, 黄牌 0, 红牌 +3 working days)"
            if rules
            else "warning rules: already there"
        )
        from runner.supervision.assessment_schemes.store import seed_schemes

        with services.transaction() as session:
            made_schemes = seed_schemes(session)
        print(
            f"考核 schemes: {len(made_schemes)} new (seed 001 ×3, seed 004); in force: 窗口单位考核实施细则, 工作人员德能勤绩廉"
            if made_schemes
            else "考核 schemes: already there"
        )
        if not args.no_demo_users:
            from runner.people.directory import DEMO_PASSWORD, demo_accounts, seed_demo_users

            with services.transaction() as session:
                made = seed_demo_users(session, windows)
            total = len(demo_accounts(windows))
            print(f"demo users: {len(made)} new, {total - len(made)} already there")
            print(f"  password of every demo user: {DEMO_PASSWORD}  (change it before real use!)")
            print("  e.g. shebao_clerk, shebao_head, leader, supervisor, designer, admin")
    finally:
        services.engine.dispose()
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    """Create a login (the first administrator of a real deployment); the password comes from stdin."""
    from runner.exceptions import RunnerError
    from runner.people.directory import create_user

    password = sys.stdin.readline().rstrip("\n") if not sys.stdin.isatty() else getpass.getpass()
    memberships = [tuple(m.split(":", 1)) for m in args.member]
    if not memberships or any(len(m) != 2 for m in memberships):
        print("give at least one --member WINDOW:ROLE, e.g. --member centre:admin", file=sys.stderr)
        return 2
    services = _services()
    try:
        with services.transaction() as session:
            create_user(session, args.username, args.name or args.username, password, memberships)
    except RunnerError as exc:
        print(f"not created: {exc}", file=sys.stderr)
        return 1
    finally:
        services.engine.dispose()
    print(f"user {args.username} created")
    return 0


def cmd_deploy(args: argparse.Namespace) -> int:
    """Deploy every .bpmn under the given paths (building blocks first: files named ``block_*``)."""
    from runner.core.definitions import deploy
    from runner.people.windows import upsert_windows

    services = _services()
    try:
        files: list[Path] = []
        for raw in args.paths:
            path = Path(raw)
            files += sorted(path.rglob("*.bpmn")) if path.is_dir() else [path]
        files.sort(key=lambda p: (not p.name.startswith("block_"), str(p)))
        windows_file = Path(args.windows)
        if windows_file.exists():
            with services.transaction() as session:
                upsert_windows(session, load_windows_file(windows_file))
        failed = 0
        for path in files:
            dmn = [(p.read_bytes(), p.name) for p in sorted(path.parent.glob(f"{path.stem}*.dmn"))]
            try:
                with services.transaction() as session:
                    result = deploy(
                        session,
                        path.read_bytes(),
                        path.name,
                        actor=args.actor,
                        dmn=dmn,
                        default_window=args.default_window,
                    )
                    for definition, created in zip(result.definitions, result.created, strict=True):
                        state = "new version" if created else "unchanged"
                        print(f"{path}: {definition.key} v{definition.version} ({state})")
                    for warning in result.warnings:
                        print(
                            f"  warning: line {warning.get('line')} {warning.get('element')}: {warning.get('message')}"
                        )
            except DiagramInvalid as exc:
                failed += 1
                print(f"{path}: INVALID: {exc.message}", file=sys.stderr)
                for problem in exc.problems:
                    print(f"  - {problem}", file=sys.stderr)
        return 1 if failed else 0
    finally:
        services.engine.dispose()


def cmd_verify_audit(_: argparse.Namespace) -> int:
    from runner.core.audit import verify

    services = _services()
    with services.transaction() as session:
        broken = verify(session)
    for b in broken:
        print(b)
    print("audit trail intact" if not broken else f"{len(broken)} broken chain(s)")
    return 1 if broken else 0


def cmd_export_audit(args: argparse.Namespace) -> int:
    from runner.core.audit import export

    services = _services()
    with services.transaction() as session:
        for line in export(session, args.format, since_id=args.since):
            sys.stdout.write(line)
    return 0


def _import_as(actor: str) -> Any:
    from runner.timekeeping.calendar_import import import_arrangement

    return lambda session, text: import_arrangement(session, text, actor=actor)


def cmd_calendar_import(args: argparse.Namespace) -> int:
    """Import a year's holiday arrangement (see README, "A year's holiday arrangement") and recalculate the
    open items; ``--dry-run`` only shows what it would do."""
    from runner.timekeeping.arrangements import ArrangementInvalid, decode
    from runner.timekeeping.calendar_import import preview_arrangement

    try:
        text = decode(sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes())
    except OSError as exc:
        print(f"{args.file}: 无法读取 (cannot read): {exc}", file=sys.stderr)
        return 2
    if text is None:
        print(
            f"{args.file}: 无法识别文件编码，请保存为 UTF-8 文本 (save the file as UTF-8 text)",
            file=sys.stderr,
        )
        return 2
    services = _services()
    try:
        with services.transaction() as session:
            run = preview_arrangement if args.dry_run else _import_as(args.actor)
            result = run(session, text)
    except ArrangementInvalid as exc:
        print(f"{args.file}: 节假日安排有误，未保存任何内容 (invalid; nothing was stored)", file=sys.stderr)
        for problem in exc.problems:
            print(
                f"  第 {problem['line']} 行 (line {problem['line']}): {problem['message']}", file=sys.stderr
            )
        return 1
    finally:
        services.engine.dispose()
    verb = (
        "would be imported (dry run)" if args.dry_run else ("replaced" if result["replaced"] else "imported")
    )
    print(
        f"{result['year']} 年节假日安排 {verb}: {result['days_off']} 天休息日, {result['makeup_days']} 天调休上班"
        f" ({result['days_off']} days off, {result['makeup_days']} make-up working days)"
    )
    print(f"办件 {len(result['items'])} 件期限已重新计算 (items recalculated: {len(result['items'])})")
    for item in result["items"]:
        print(f"  {item['business_key']} {item['title']}")
        for change in item["changes"]:
            print(f"    {change['label']}: {change['before'] or '—'} -> {change['after'] or '—'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m runner.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply the Alembic migrations").set_defaults(func=cmd_migrate)
    p = sub.add_parser("deploy", help="deploy .bpmn files or folders")
    p.add_argument("paths", nargs="+")
    p.add_argument("--actor", default="system")
    p.add_argument("--windows", default=str(ROOT / "bpmn" / "windows.json"))
    p.add_argument(
        "--default-window",
        help="window of tasks whose lane and properties name none (else defaultWindow, centre)",
    )
    p.set_defaults(func=cmd_deploy)
    p = sub.add_parser("seed", help="create the centre's windows (and demo data)")
    p.add_argument("--windows", default=str(ROOT / "bpmn" / "windows.json"))
    p.add_argument("--no-demo-users", action="store_true", help="only the windows, no demo users")
    p.set_defaults(func=cmd_seed)
    p = sub.add_parser("create-user", help="create a login; the password is read from stdin")
    p.add_argument("username")
    p.add_argument("--name", default="", help="display name")
    p.add_argument("--member", action="append", default=[], help="WINDOW:ROLE (repeatable)")
    p.set_defaults(func=cmd_create_user)
    sub.add_parser("verify-audit", help="check the audit hash chains").set_defaults(func=cmd_verify_audit)
    p = sub.add_parser("export-audit", help="write the audit trail as JSON Lines or CSV to stdout")
    p.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    p.add_argument("--since", type=int, default=0, help="only entries with a larger id")
    p.set_defaults(func=cmd_export_audit)
    p = sub.add_parser(
        "calendar-import", help="import a year's holiday arrangement (one line per range, weekends implied)"
    )
    p.add_argument("file", help="the arrangement text file (UTF-8), or - for stdin")
    p.add_argument("--actor", default="system", help="who imports it (audit trail)")
    p.add_argument("--dry-run", action="store_true", help="show what would change; store nothing")
    p.set_defaults(func=cmd_calendar_import)
    from runner.catalogue.cli import add_commands as add_catalogue_commands

    add_catalogue_commands(sub)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())

"""Browser libraries installed from the npm registry by the set-up (``npm ci``), served from ``node_modules``.

Only the listed distribution folders are reachable (``/vendor/<package>/<file>``); nothing is copied into
the repository. A missing ``node_modules`` gives a clear 503 naming the command that installs it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, abort, send_from_directory

ROOT = Path(__file__).resolve().parent.parent / "node_modules"
PACKAGES: dict[str, Path] = {
    "bpmn-js": ROOT / "bpmn-js" / "dist",
    "chart.js": ROOT / "chart.js" / "dist",
}

bp = Blueprint("vendor", __name__, url_prefix="/vendor")


@bp.get("/<package>/<path:filename>")
def asset(package: str, filename: str) -> Any:
    """One file of an allowed package's distribution folder (cached for a day)."""
    folder = PACKAGES.get(package)
    if folder is None:
        abort(404)
    if not folder.is_dir():
        abort(
            503,
            description=f"{package} 未安装：请运行 npm ci（make up 与 make test 会运行它） "
            f"({package} is not installed: run `npm ci`; make up and make test do)",
        )
    return send_from_directory(folder, filename, max_age=86400)

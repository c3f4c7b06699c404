"""The clerk workspace (窗口工作台): inbox, form tasks, clerk operations, notices, printed documents and the
applicant's public pages (progress, complaints).

One blueprint (``workspace.blueprint.bp``); ``load_modules`` imports every module of this package so that its
routes register on it (add a module, its routes appear). Pages call ``runner`` and draw with the form engine
(``forms``) and the shared web layer (``web``); they never import ``admin`` or ``api``.
"""

from __future__ import annotations

import importlib
import pkgutil

from flask import Flask


def load_modules() -> None:
    """Import every module of the package so that their routes are on the blueprint (idempotent)."""
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")


def init_app(app: Flask) -> None:
    """Register the workspace's pages on ``app`` (after ``web.init_app``)."""
    from workspace.blueprint import bp

    load_modules()
    app.register_blueprint(bp)

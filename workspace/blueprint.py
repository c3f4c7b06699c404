"""The workspace's blueprint ``workspace`` (its pages live in the package's other modules)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("workspace", __name__, template_folder="templates", url_prefix="")

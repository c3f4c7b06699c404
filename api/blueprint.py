"""The JSON API's blueprint ``api`` (``/api``); its routes live in the package's other modules."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")

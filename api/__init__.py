"""The JSON API blueprint (``/api``), described by ``/api/openapi.json``."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")

from . import errors, operations, ratings, routes  # noqa: E402,F401  (routes register themselves on bp)

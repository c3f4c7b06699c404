"""The shared web layer: login and sessions, language, the page chrome, template filters, the request edge.

Used by the workspace, the console and the API; imports ``runner`` and the form engine, never a door
(``workspace``, ``admin``, ``api``).
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("web", __name__, template_folder="templates")

"""The shared web layer's blueprint ``web``: the login pages, the page chrome's templates and static files."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint(
    "web",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/forms",  # the address pages have always linked
    url_prefix="",
)

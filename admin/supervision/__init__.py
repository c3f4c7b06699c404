"""Console part `supervision` (see admin/__init__.py)."""

from __future__ import annotations

from flask_admin import Admin


def register(admin: Admin) -> None:
    """Add this part's views to the console."""

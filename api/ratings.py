"""好差评 over the JSON API: the export for the provincial platform (``runner.applicants.rating_export``).

``GET /api/ratings/export?start=YYYY-MM-DD&end=YYYY-MM-DD`` — the supervision office, an admin or a system
account (the provincial 好差评 system's connector) reads the ratings of a period and their rectifications.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app, jsonify, request

import runner
from api.blueprint import bp
from api.routes import services
from runner.applicants import rating_export
from runner.supervision.statistics import check_year

MAX_DAYS = 366


def _date(name: str) -> date:
    text = (request.args.get(name) or "").strip()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise runner.InvalidInput(
            f"{name} 须为 YYYY-MM-DD 日期 ({name} must be a date)", field=name
        ) from None
    check_year(day, name)  # the centre's midnight of 0001-01-01 or after 9999-12-31 is no instant
    return day


@bp.get("/ratings/export")
def rating_export_json() -> Any:
    """Ratings given from ``start`` to ``end`` (both included, at most a year) and their rectifications."""
    start, end = _date("start"), _date("end")
    if end < start or (end - start).days >= MAX_DAYS:
        raise runner.InvalidInput("导出期间须在一年以内且 end 不早于 start (start..end within one year)")
    centre = str(current_app.config.get("CENTRE_NAME") or "")
    return jsonify(services().run(rating_export.export, start, end, centre=centre))

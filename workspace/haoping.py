"""好差评 for the supervision office: every rating with the rater's contact and its rectification.

- ``GET /ratings``  ratings, newest first (``?bad=1``: 差评 only); the 实名 rater's name and phone for the call
  back (回访) — seen here only, never by the window.
"""

from __future__ import annotations

from typing import Any, cast

from flask import abort, render_template, request
from flask_babel import lazy_gettext as _l

from runner.applicants import ratings
from runner.models import Role
from web.auth import current_user, login_required, services
from web.chrome import register_nav
from workspace.blueprint import bp
from workspace.rating_form import english

SUPERVISION_WINDOW = "supervision"
ROLES = (Role.SUPERVISOR, Role.ADMIN)


@bp.get("/ratings")
@login_required
def rating_register() -> Any:
    """The ratings and their rectifications (the supervision office: its staff, supervisors, admins)."""
    if not (current_user.has_role(*ROLES) or SUPERVISION_WINDOW in current_user.windows):
        abort(403)
    bad_only = request.args.get("bad") == "1"
    lang = "en" if english() else "zh"
    rows = services().run(ratings.rating_register, bad_only=bad_only, lang=lang)
    return render_template("rating/register.html", rows=rows, bad_only=bad_only, en=english())


register_nav(cast(str, _l("好差评")), "workspace.rating_register", roles=[str(r) for r in ROLES], order=310)

"""好差评 at the counter: a page the clerk turns to the applicant (or opens on a tablet at the window).

- ``GET/POST /items/<business_key>/rate``  the applicant rates the occasion open now: the acceptance while
  the item runs, the completion once it is done (once each: 一次一评). The window rated is the clerk's window
  that takes part in the item, else its lead window.

The page shows nothing of the item but its number and title, so that it can face the applicant.
"""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request, url_for

import runner
from runner.applicants import rating_scale, ratings
from runner.items.instances import get as get_instance
from runner.models import ProcessInstance
from runner.papers.documents import windows_involved
from web.auth import current_user, login_required, services
from web.i18n import user_message
from workspace.blueprint import bp
from workspace.documents import item_for_current_user
from workspace.rating_form import english, rating_form, submit_kwargs

CHANNEL = "counter"


def _open_occasion(session: Any, business_key: str) -> tuple[str | None, list[str]]:
    """The occasion to rate now (the latest open one) and the windows taking part in the item."""
    instance: ProcessInstance = get_instance(session, business_key=business_key)
    occasions = ratings.open_occasions(session, instance)
    return (occasions[-1] if occasions else None), windows_involved(session, instance.id)


def _rated_window(involved: list[str], lead: str | None) -> str | None:
    mine = [w for w in involved if w in current_user.windows]
    return mine[0] if mine else lead


@bp.route("/items/<business_key>/rate", methods=["GET", "POST"])
@login_required
def counter_rating(business_key: str) -> Any:
    """The applicant rates the service at the counter."""
    item = item_for_current_user(business_key)
    occasion, involved = services().run(_open_occasion, business_key)
    form = rating_form(CHANNEL)
    error = None
    status = 200
    if request.method == "POST":
        if occasion is None:
            abort(409)
        if form.validate_on_submit():
            try:
                services().run(
                    ratings.give_rating, business_key, channel=CHANNEL, occasion=occasion,
                    clerk=current_user.username, window=_rated_window(involved, item.get("lead_window")),
                    **submit_kwargs(form),
                )  # fmt: skip
            except runner.InvalidInput as exc:
                error, status = user_message(exc), 400
            except ratings.RatingExists as exc:
                error, status = user_message(exc), 409
            else:
                return render_template("rating/counter_done.html", item=item)
        else:
            status = 400
    label = None
    if occasion is not None:
        label = rating_scale.OCCASIONS[occasion][1 if english() else 0]
    return render_template(
        "rating/counter.html", item=item, form=form, occasion=occasion, occasion_label=label, error=error,
        back=url_for("workspace.item_page", business_key=business_key),
    ), status  # fmt: skip

"""好差评 (国办发〔2019〕51号): an applicant rates an item on five levels, once per occasion.

One evaluation per item per occasion (一次一评、一事一评): the occasions are the acceptance at the counter and
the completion. A rating is given on a channel — the applicant's progress page, the counter (a page the clerk
turns to the applicant, or a tablet) and, once the online application exists, online — each with its own
optional second-level indicators (二级指标), each rated on the same five levels. The applicant may stay
anonymous or give a name and phone (实名): the supervision office calls every 实名 差评 back; the name and
phone stay in the ``ratings`` row and never reach the window.

The scale, channels and occasions are in ``rating_scale``. A 差评 (不满意, 非常不满意) opens a rectification
(``rectification``); ``rating_register`` lists ratings with their rectifications for the supervision office. The
figures (满意率 …) are counted in ``runner.supervision.rating_figures``.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from runner.applicants import rectification
from runner.applicants.rating_scale import BAD, CHANNELS, LEVELS, MAX_COMMENT, OCCASIONS, Channel, level_label
from runner.catalogue.identity import half_width
from runner.core import audit
from runner.core.conventions import NOT_ITEMS
from runner.core.transaction import services_of
from runner.exceptions import Conflict, InvalidInput
from runner.items.instances import get as get_instance
from runner.models import OnlineApplication, ProcessInstance, Rating, Window

PHONE = re.compile(r"^[0-9+()\- ]{5,30}$")


class RatingExists(Conflict):
    code = "rating_exists"


def _indicators(channel: Channel, given: dict[str, Any] | None) -> dict[str, str]:
    """The indicators rated (empty ones left out); an unknown indicator or level is refused."""
    out: dict[str, str] = {}
    for code, level in (given or {}).items():
        if level in (None, ""):
            continue
        if code not in channel.indicators:
            raise InvalidInput(
                f"该渠道没有指标 {code} (no indicator {code} on this channel)", field="indicators"
            )
        if level not in LEVELS:
            raise InvalidInput(f"指标评价无效：{level} (unknown level)", field="indicators")
        out[code] = level
    return out


def _rater(name: str, phone: str, named: bool) -> tuple[str, str]:
    name, phone = (name or "").strip(), half_width(phone)  # full-width digits as typed in a Chinese IME
    if not named:
        return "", ""
    if not name or len(name) > 200:
        raise InvalidInput("实名评价请填写姓名 (a named rating needs a name)", field="rater_name")
    if not PHONE.match(phone):
        raise InvalidInput("实名评价请填写有效的联系电话 (a named rating needs a phone)", field="rater_phone")
    return name, phone


def check_open(session: Session, instance: ProcessInstance, occasion: str) -> None:
    """Refuse a rating the item cannot take now: unknown occasion, wrong status, already rated."""
    if instance.item_kind in NOT_ITEMS:
        raise InvalidInput("投诉和差评整改不是办件，不能评价 (complaints and rectifications are not rated)")
    if occasion not in OCCASIONS:
        raise InvalidInput(f"未知的评价环节 {occasion} (unknown occasion)", field="occasion")
    if instance.status not in OCCASIONS[occasion][2]:
        if occasion == "completion":
            raise InvalidInput("办件办结后才能评价 (rate after completion)")
        raise InvalidInput(
            f"该办件当前不能进行「{OCCASIONS[occasion][0]}」评价 (cannot be rated for {occasion} now)"
        )
    if rating_for(session, instance.id, occasion) is not None:
        raise RatingExists("本办件此环节已评价过，一次一评 (already rated on this occasion)")


def rating_for(session: Session, instance_id: int, occasion: str) -> Rating | None:
    return session.scalars(
        select(Rating).where(Rating.instance_id == instance_id, Rating.occasion == occasion)
    ).first()


def give_rating(
    session: Session,
    business_key: str,
    *,
    level: str,
    channel: str,
    occasion: str = "completion",
    indicators: dict[str, Any] | None = None,
    comment: str = "",
    named: bool = False,
    rater_name: str = "",
    rater_phone: str = "",
    clerk: str | None = None,
    window: str | None = None,
) -> Rating:
    """Store one rating of the item ``business_key`` on ``occasion``; a 差评 opens its rectification.

    ``window`` is the window rated (the clerk's at the counter); by default the item's lead window.
    """
    if level not in LEVELS:
        raise InvalidInput("请选择评价等级 (choose a rating)", field="level")
    if channel not in CHANNELS:
        raise InvalidInput(f"未知的评价渠道 {channel} (unknown channel)", field="channel")
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise InvalidInput(f"意见不能超过 {MAX_COMMENT} 字 (comment too long)", field="comment")
    chosen = _indicators(CHANNELS[channel], indicators)
    name, phone = _rater(rater_name, rater_phone, named)
    instance = get_instance(session, business_key=business_key)
    check_open(session, instance, occasion)
    row = Rating(
        instance_id=instance.id, level=level, comment=comment, created_at=services_of(session).now(),
        occasion=occasion, channel=channel, indicators=chosen, window=window or instance.lead_window,
        named=named, rater_name=name, rater_phone=phone, clerk=clerk,
    )  # fmt: skip
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise RatingExists("本办件此环节已评价过，一次一评 (already rated on this occasion)") from None
    audit.record(
        session, "rated", actor=clerk or "applicant", instance=instance, level=level, channel=channel,
        occasion=occasion, named=named,
    )  # fmt: skip
    if level in BAD:
        rectification.open_rectification(session, row, instance)
    return row


def home_channel(session: Session, business_key: str) -> str:
    """``online`` for an item that began as an online application (网上申报), else ``progress``."""
    came_online = session.scalar(
        select(OnlineApplication.id)
        .join(ProcessInstance, ProcessInstance.id == OnlineApplication.instance_id)
        .where(ProcessInstance.business_key == business_key)
        .limit(1)
    )
    return "online" if came_online is not None else "progress"


def rate(
    session: Session,
    business_key: str,
    level: str,
    comment: str = "",
    *,
    occasion: str = "completion",
    indicators: dict[str, Any] | None = None,
    named: bool = False,
    rater_name: str = "",
    rater_phone: str = "",
) -> dict[str, Any]:
    """The applicant rates the item from home (``give_rating`` once per occasion): on the 网上办事 channel with
    its indicators when the item was applied for online, else on the progress page's channel."""
    row = give_rating(
        session, business_key, level=level, channel=home_channel(session, business_key), occasion=occasion,
        indicators=indicators,
        comment=comment, named=named, rater_name=rater_name, rater_phone=rater_phone,
    )  # fmt: skip
    return {
        "business_key": business_key,
        "level": row.level,
        "comment": row.comment,
        "occasion": row.occasion,
    }


def rating_view(row: Rating, lang: str = "zh", *, confidential: bool = True) -> dict[str, Any]:
    """A rating as a dict; ``confidential`` leaves out the rater's name and phone."""
    en = lang == "en"
    channel = CHANNELS.get(row.channel)
    view: dict[str, Any] = {
        "id": row.id,
        "level": row.level,
        "label": level_label(row.level, lang),
        "occasion": row.occasion,
        "occasion_label": OCCASIONS[row.occasion][1 if en else 0]
        if row.occasion in OCCASIONS
        else row.occasion,
        "channel": row.channel,
        "channel_label": (channel.label_en if en else channel.label) if channel else row.channel,
        "indicators": [
            {
                "code": code,
                "label": channel.indicators[code][1 if en else 0]
                if channel and code in channel.indicators
                else code,
                "level": level,
                "level_label": level_label(level, lang),
            }
            for code, level in (row.indicators or {}).items()
        ],  # fmt: skip
        "label_en": level_label(row.level, "en"),
        "occasion_label_en": OCCASIONS[row.occasion][1] if row.occasion in OCCASIONS else row.occasion,
        "comment": row.comment,
        "window": row.window,
        "named": row.named,
        "created_at": row.created_at.isoformat(),
        "bad": row.level in BAD,
    }
    if not confidential:
        view.update(rater_name=row.rater_name, rater_phone=row.rater_phone)
    return view


def ratings_of(session: Session, instance_id: int) -> list[Rating]:
    """The item's ratings, oldest first."""
    return list(session.scalars(select(Rating).where(Rating.instance_id == instance_id).order_by(Rating.id)))


def open_occasions(session: Session, instance: ProcessInstance) -> list[str]:
    """The occasions the item can still be rated on now."""
    rated = {r.occasion for r in ratings_of(session, instance.id)}
    return [o for o, (_, _, statuses) in OCCASIONS.items() if o not in rated and instance.status in statuses]


def rating_register(
    session: Session, *, bad_only: bool = False, limit: int = 200, lang: str = "zh"
) -> list[dict[str, Any]]:
    """Ratings, newest first, with the rater's contact and the rectification (for the supervision office only)."""
    rectification.start_waiting(session)
    query = (
        select(Rating, ProcessInstance.business_key)
        .join(ProcessInstance, ProcessInstance.id == Rating.instance_id)
        .order_by(Rating.created_at.desc(), Rating.id.desc())
        .limit(min(limit, 500))
    )
    if bad_only:
        query = query.where(Rating.level.in_(BAD))
    names = dict(session.execute(select(Window.code, Window.name)).all())
    out = []
    for rating, key in session.execute(query):
        row = rectification.for_rating(session, rating.id)
        view = rating_view(rating, confidential=False) | {"business_key": key}
        view["window_name"] = names.get(rating.window or "", rating.window)
        view["rectification"] = (
            rectification.rectification_view(session, row, lang) if row is not None else None
        )
        out.append(view)
    return out

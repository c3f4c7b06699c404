"""Jinja filters for every workspace template: local times and dates (Asia/Shanghai by default), stored words
and names in the page's language."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from markupsafe import Markup, escape

from web.blueprint import bp


def _tz() -> ZoneInfo:
    services = current_app.extensions.get("banjian")
    name = getattr(getattr(services, "settings", None), "timezone", None) or "Asia/Shanghai"
    return ZoneInfo(name)


def to_local(value: datetime | str | None) -> datetime | None:
    """An aware datetime (or ISO string) in the platform's time zone."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        raise ValueError("naive datetime")
    return value.astimezone(_tz())


@bp.app_template_filter("localtime")
def localtime(value: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """``{{ task.created_at | localtime }}`` → ``2026-09-28 09:00`` (empty for None)."""
    local = to_local(value)
    return local.strftime(fmt) if local else ""


@bp.app_template_filter("localdate")
def localdate(value: datetime | str | None) -> str:
    """``{{ task.due_at | localdate }}`` → ``2026-09-30``."""
    return localtime(value, "%Y-%m-%d")


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")  # fmt: skip


def _as_date(value: date | str | None) -> date | None:
    """A date from a date, a datetime (its local day) or an ISO string; None when it is none of these."""
    if isinstance(value, datetime):
        return value.astimezone(_tz()).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    text = str(value)
    if len(text) > 10:  # a moment written as text: its local day (a stored moment is in UTC)
        try:
            return _as_date(datetime.fromisoformat(text))
        except ValueError:
            pass
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def paper_date(value: date | str | None) -> str:
    """A date as the printed papers (the legal documents) write it, always Chinese: ``2026年9月28日``."""
    if not value:
        return ""
    day = _as_date(value)
    return f"{day.year}年{day.month}月{day.day}日" if day else str(value)


@bp.app_template_filter("page_date")
def page_date(value: date | str | None) -> str:
    """A date in the page language, for pages and flashes (not the papers): ``2026年9月28日`` /
    ``28 September 2026``; empty for nothing, the value itself when it is no date."""
    from forms.language import pick

    if not value:
        return ""
    day = _as_date(value)
    if day is None:
        return str(value)
    return pick(paper_date(day), f"{day.day} {MONTHS[day.month - 1]} {day.year}")


@bp.app_template_filter("pending")
def pending(year: int | None) -> str:
    """``{{ item.deadline_pending_year | pending }}`` → ``待 2027 年节假日安排公布后确定`` (English with ?lang=en);
    empty for None."""
    from forms.language import pick
    from runner.timekeeping.calendar import pending_note

    return pick(pending_note(year), pending_note(year, "en")) if year is not None else ""


@bp.app_template_filter("deadline")
def deadline(
    value: datetime | str | None, pending_year: int | None = None, fmt: str = "%Y-%m-%d %H:%M"
) -> str:
    """A stored deadline as local time, or the year's arrangement it waits for, or "—"."""
    if value:
        return localtime(value, fmt)
    return pending(pending_year) or "—"


@bp.app_template_filter("aside")
def aside(value: object) -> Markup:
    """``{{ x | aside }}`` (or ``{% filter aside %}…{% endfilter %}``): words set aside in brackets the page's
    language writes them with — ``（x）`` in Chinese, `` (x)`` in English."""
    from forms.language import pick

    return Markup(pick("（{}）", " ({})")).format(escape(value))


@bp.app_template_filter("word")
def word(value: str | None) -> str:
    """``{{ m.form | word }}``: a stored value of a closed vocabulary (item kind, material form, delivery) in the
    page's language (runner/items/labels.py ``CATALOGUE_WORDS``); the papers keep the stored Chinese."""
    from forms.language import pick
    from runner.items.labels import catalogue_word

    return pick(catalogue_word(value), catalogue_word(value, english=True)) if value else ""


@bp.app_template_filter("shown_name")
def shown_name_filter(thing: object) -> str:
    """``{{ item | shown_name }}``: an item's or window's name in the page's language (``name_en`` when English
    and filled, else ``name``); works on rows, objects and dicts."""
    return shown_text(thing)


@bp.app_template_filter("shown_material")
def shown_material(name: object, english: dict[str, str] | None) -> str:
    """``{{ m.name | shown_material(a.materials_en) }}``: a recorded material, kept by its Chinese name, in the
    page's language: its English (``english``: Chinese → English of the item version) when English and known."""
    from forms.language import shown_name

    return shown_name(str(name or ""), (english or {}).get(str(name or "")))


@bp.app_template_filter("shown_text")
def shown_text(thing: object, field: str = "name") -> str:
    """``{{ item | shown_text("conditions") }}``, ``{{ m | shown_text }}``: a stored Chinese text of an item, a
    window or a material in the page's language: its English twin ``<field>_en`` on English pages when filled,
    else the Chinese (``forms.language.shown_name``, the one place that chooses)."""
    from forms.language import shown_name

    if isinstance(thing, dict):
        return shown_name(str(thing.get(field) or ""), thing.get(f"{field}_en"))
    return shown_name(str(getattr(thing, field, "") or ""), getattr(thing, f"{field}_en", None))

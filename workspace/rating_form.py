"""The 好差评 form shared by the applicant's progress page and the counter page (``runner.applicants.ratings``).

Five levels (非常满意 … 非常不满意), the channel's optional second-level indicators, a comment, and anonymous or
实名 (name and phone). Labels come from the runner's tables in the page's language.
"""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from runner.applicants import rating_scale
from runner.catalogue.identity import half_width

INDICATOR_PREFIX = "ind_"


def english() -> bool:
    return str(get_locale() or "") == "en"


def level_choices() -> list[SelectChoice]:
    i = 1 if english() else 0
    return [SelectChoice(code, names[i]) for code, names in rating_scale.LEVELS.items()]


class RatingFormBase(FlaskForm):
    level = RadioField(_l("总体评价"), choices=[], validators=[DataRequired(message=_l("请选择评价等级"))])
    comment = TextAreaField(
        _l("意见和建议"),
        validators=[Optional(), Length(max=rating_scale.MAX_COMMENT, message=_l("意见不能超过 1000 字"))],
    )
    named = BooleanField(_l("实名评价（留下姓名和电话，差评将由督查股回访）"))
    rater_name = StringField(_l("姓名"), validators=[Optional(), Length(max=200, message=_l("姓名过长"))])
    rater_phone = StringField(
        _l("联系电话"),
        validators=[Optional(), Regexp(r"^[0-9+()\- ]{5,30}$", message=_l("请填写有效的电话号码"))],
        filters=[half_width],  # １３８… as typed in full-width mode
        description=_l("仅督查股可见，不转给窗口"),
    )

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if self.named.data:
            for field in (self.rater_name, self.rater_phone):
                if not (field.data or "").strip():
                    field.errors = [*field.errors, _l("实名评价请填写此项")]
                    ok = False
        return ok

    def indicator_fields(self) -> list[Any]:
        return [f for f in self if f.name.startswith(INDICATOR_PREFIX)]

    def indicators(self) -> dict[str, str]:
        """The indicators rated, code → level (empty ones left out)."""
        return {f.name[len(INDICATOR_PREFIX) :]: f.data for f in self.indicator_fields() if f.data}


def rating_form(channel: str) -> RatingFormBase:
    """A rating form for ``channel`` with its indicators, in the page's language."""
    i = 1 if english() else 0
    choices = [SelectChoice("", "—"), *level_choices()]
    attrs = {
        f"{INDICATOR_PREFIX}{code}": SelectField(
            names[i], choices=choices, validators=[Optional()], default=""
        )
        for code, names in rating_scale.CHANNELS[channel].indicators.items()
    }
    form_class = type("RatingForm", (RatingFormBase,), attrs)
    form = form_class()
    form.level.choices = level_choices()
    return form


def submit_kwargs(form: RatingFormBase) -> dict[str, Any]:
    """The runner's keyword arguments for a validated form."""
    return {
        "level": form.level.data or "",
        "comment": form.comment.data or "",
        "indicators": form.indicators(),
        "named": bool(form.named.data),
        "rater_name": form.rater_name.data or "",
        "rater_phone": form.rater_phone.data or "",
    }

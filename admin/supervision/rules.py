"""规则表: the warning rules (提示/黄牌/红牌 relative to the promised deadline). (考核 reads the schemes, see
``schemes``.)

Overseers look; supervisors and admins create and change rows (never delete: a rule is switched off, so
that past computations stay explainable). Every save goes through one runner function in one unit of
work, which validates it and writes the audit entry with the values before and after.
"""

from __future__ import annotations

from typing import Any

from flask import flash
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.fields import SelectChoice
from wtforms.validators import InputRequired, Length

import runner
from admin.base import OVERSEERS, ConsoleModelView, actor, db_session, services
from admin.supervision.common import LEVEL_LABELS, RequestSessionMixin
from forms.language import pick
from runner.core.conventions import ITEM_KINDS
from runner.items.labels import ITEM_KIND_WORDS
from runner.models import Role, WarningRule
from runner.supervision.warning_rules import rule_note_en
from web.auth import current_user
from web.i18n import Label, user_message

EDITORS = (Role.ADMIN, Role.SUPERVISOR)
KIND_LABELS = {code: Label(zh, en) for code, (zh, en) in ITEM_KIND_WORDS.items()}
KIND_CHOICES = [
    SelectChoice("", _l("全部办件")),
    *(SelectChoice(code, KIND_LABELS.get(code, code)) for code in ITEM_KINDS.values()),
]


class WarningRuleForm(FlaskForm):
    """预警规则 (the console's own form: plain WTForms choices, validated again by the runner)."""

    item_kind = SelectField(_l("办件类别"), choices=KIND_CHOICES, default="")
    level = SelectField(
        _l("级别"),
        choices=[
            SelectChoice("notice", _l("提示")),
            SelectChoice("yellow", _l("黄牌")),
            SelectChoice("red", _l("红牌")),
        ],
    )
    offset_days = IntegerField(
        _l("相对承诺时限（工作日）"),
        validators=[InputRequired()],
        description=_l(
            "−N：承诺时限前第 N 个工作日 0 点；0：超过承诺时限时（次日 0 点）；+N：超过时限第 N 个工作日后次日 0 点"
        ),
    )
    active = BooleanField(_l("启用"), default=True)
    note = StringField(_l("说明"), validators=[Length(max=400)])


def _kind(value: str | None) -> str:
    return str(KIND_LABELS.get(value or "", value or _("全部办件")))


class _RuleView(RequestSessionMixin, ConsoleModelView):
    """A rule table: listing for overseers, create / edit through ``save`` for editors."""

    roles = OVERSEERS
    can_view_details = False
    column_default_sort = ("id", False)

    @property  # type: ignore[override]
    def can_create(self) -> bool:
        return bool(current_user.is_authenticated and current_user.has_role(*EDITORS))

    @property  # type: ignore[override]
    def can_edit(self) -> bool:
        return self.can_create

    def save(self, session: Session, rule_id: int | None, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def _store(self, rule_id: int | None, data: dict[str, Any]) -> int | None:
        # end the list session's read first: on SQLite an open read would keep the writer waiting
        db_session().rollback()
        try:
            with services().transaction() as session:
                return int(self.save(session, rule_id, data).id)
        except runner.RunnerError as exc:
            flash(_("未保存：%(message)s", message=user_message(exc)), "error")
            return None

    def create_model(self, form: Any) -> Any:
        if not self.can_create:
            flash(user_message("只有督查股或管理员可以修改规则 (editors only)"), "error")
            return False
        rule_id = self._store(None, form.data)
        return False if rule_id is None else db_session().get(self.model, rule_id)

    def update_model(self, form: Any, model: Any) -> bool:
        if not self.can_edit:
            flash(user_message("只有督查股或管理员可以修改规则 (editors only)"), "error")
            return False
        stored = self._store(model.id, form.data) is not None
        db_session().expire(model)
        return stored


class WarningRuleView(_RuleView):
    """``/admin/supervision/warning-rules/``: 提示 at T−1, 黄牌 at T, 红牌 at T+N (working days)."""

    column_list = ("id", "item_kind", "level", "offset_days", "active", "note")
    column_labels = {
        "id": _l("编号"), "item_kind": _l("办件类别"), "level": _l("级别"), "offset_days": _l("相对承诺时限（工作日）"),
        "active": _l("启用"), "note": _l("说明"),
    }  # fmt: skip
    column_formatters = {
        "item_kind": lambda v, c, m, n: _kind(m.item_kind),
        "level": lambda v, c, m, n: LEVEL_LABELS.get(m.level, m.level),
        "offset_days": lambda v, c, m, n: _("到达时限") if m.offset_days == 0 else f"{m.offset_days:+d}",
        "note": lambda v, c, m, n: pick(m.note, rule_note_en(m.note)),  # a seeded note in English too
    }

    def scaffold_form(self) -> type[FlaskForm]:
        return WarningRuleForm

    def save(self, session: Session, rule_id: int | None, data: dict[str, Any]) -> WarningRule:
        return runner.save_warning_rule(
            session, actor=actor(), rule_id=rule_id, level=data.get("level") or "",
            offset_days=data.get("offset_days") if data.get("offset_days") is not None else "",
            item_kind=data.get("item_kind") or None, active=bool(data.get("active")), note=data.get("note") or "",
        )  # fmt: skip

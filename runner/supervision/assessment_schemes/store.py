"""Scheme versions and the one scheme in force per target: seeded from the seeds, changed from the next period.

A scheme is never edited in place: saving a definition adds a version. Activating a scheme (or saving a new
version of the one in force) takes effect from the first day of the next period, so a period is always
computed with the scheme that was in force in it. Every change is written to the audit trail.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from runner.core import audit
from runner.core.transaction import services_of
from runner.exceptions import InvalidInput, NotFound
from runner.models import AssessmentScheme, SchemeActivation
from runner.supervision.assessment_schemes import periods, scope
from runner.supervision.assessment_schemes.events import EVENTS
from runner.supervision.assessment_schemes.shipped import DEMO_ACTIVE, SHIPPED

TARGETS = {"window": "窗口", "person": "个人"}
FROM_THE_START = date(2000, 1, 1)  # the seeded schemes are in force for every period


def _check_rule(rule: dict[str, Any], section: str) -> None:
    raw = rule.get("code")
    if not isinstance(raw, str):
        raise InvalidInput(
            f"{section}：规则代码 {raw!r} 须为文字 (rule code {raw!r} must be a string)", field="rules"
        )
    code = raw.strip()
    if not code or len(code) > 40:
        raise InvalidInput(
            f"{section}：规则代码须为 1–40 个字符 (rule code must be 1-40 characters)", field="rules"
        )
    if not isinstance(rule.get("bonus", False), bool):
        raise InvalidInput(
            f"{section}/{code}：bonus 须为 true 或 false (bonus must be true or false)", field="rules"
        )
    if rule.get("event") not in EVENTS:
        raise InvalidInput(
            f"{section}/{code}：未知的考核事件 {rule.get('event')!r} (unknown event; one of {', '.join(EVENTS)})",
            field="rules",
        )
    for key in ("points",):
        if not isinstance(rule.get(key, 0), int | float):
            raise InvalidInput(f"{section}/{code}：分值须为数字 (points must be a number)", field="rules")
    rng = rule.get("points_range")
    if rng is not None and (
        not isinstance(rng, list)
        or len(rng) != 2
        or not all(isinstance(x, int | float) for x in rng)
        or rng[0] > rng[1]
    ):
        raise InvalidInput(
            f"{section}/{code}：分值范围须为 [低, 高] (points_range must be [low, high])", field="rules"
        )
    tiers = rule.get("tiers")
    if tiers is not None and not (
        isinstance(tiers, list)
        and all(
            isinstance(x, dict) and _number(x.get("min_share")) and _number(x.get("points")) for x in tiers
        )
    ):
        raise InvalidInput(
            f"{section}/{code}：分档须为 [{{min_share, points}}] (tiers need min_share and points)",
            field="rules",
        )


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_grades(grades: Any) -> None:
    """``grades``: ``[{"name", "min"}]``, ``min`` a number or null (the last grade)."""
    if grades is None:
        return
    if not isinstance(grades, list) or not all(
        isinstance(g, dict)
        and str(g.get("name") or "").strip()
        and (g.get("min") is None or _number(g["min"]))
        for g in grades
    ):
        raise InvalidInput("等次须为 [{name, min}] (grades need a name and a numeric min)", field="grades")


def _non_negative(value: Any) -> bool:
    """A number of points ≥ 0 (0 is a real limit: "at most 0 points"); ``None`` is checked by the caller."""
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0


def _check_section(section: dict[str, Any], name: str) -> None:
    """``max`` is missing/null (no cap) or ≥ 0; a capped section (扣完为止) needs one (0 counts)."""
    if section.get("max") is not None and not _non_negative(section["max"]):
        raise InvalidInput(f"{name}：分值上限不能为负数 (max must be 0 or more)", field="sections")
    if section.get("cap") and section.get("max") is None:
        raise InvalidInput(f"{name}：扣完为止须有分值上限 (a capped section needs max)", field="sections")


def _check_bonus_cap(cap: Any) -> None:
    """``bonus_cap`` is missing/null (no cap) or ``{"points": ≥ 0, "per": quarter|year|period}``."""
    if cap is None:
        return
    if not isinstance(cap, dict) or not _non_negative(cap.get("points")) or cap.get("per", "quarter") not in (
        "quarter", "year", "period"
    ):  # fmt: skip
        raise InvalidInput(
            "加分上限须为 {points: 不小于0, per: quarter/year/period} (bonus_cap points must be 0 or more)",
            field="bonus_cap",
        )


def _check_award(award: Any) -> None:
    """``award`` is missing/null (none) or names ``top`` (places, ≥ 0) or ``top_share`` (0..1)."""
    if award is None:
        return
    top, share = (award.get("top"), award.get("top_share", 1)) if isinstance(award, dict) else (None, None)
    if (
        not isinstance(award, dict)
        or (top is not None and not (isinstance(top, int) and not isinstance(top, bool) and top >= 0))
        or not (_non_negative(share) and share <= 1)
        or (award.get("min") is not None and not _number(award["min"]))
    ):
        raise InvalidInput(
            "评优须为 {name, top: 不小于0的整数 或 top_share: 0–1} (award top must be 0 or more, top_share 0..1)",
            field="award",
        )


def validate(definition: dict[str, Any]) -> dict[str, Any]:
    """Check a scheme definition (see ``shipped``); returns a clean copy or raises ``InvalidInput``."""
    d = copy.deepcopy(definition)
    code = str(d.get("code") or "").strip()
    if not code or len(code) > 40:
        raise InvalidInput("方案代码须为 1–40 个字符 (scheme code must be 1-40 characters)", field="code")
    if not str(d.get("name") or "").strip():
        raise InvalidInput("请填写方案名称 (a scheme needs a name)", field="name")
    if d.get("target") not in TARGETS:
        raise InvalidInput("考核对象须为 window 或 person (target must be window or person)", field="target")
    periods.period_of(d.get("period", ""), date(2026, 1, 1))
    if not isinstance(d.get("full_score"), int | float) or not 0 < d["full_score"] <= 1000:
        raise InvalidInput("满分须为正数 (full_score must be positive)", field="full_score")
    if not isinstance(d.get("floor", 0), int | float) or d.get("floor", 0) > d["full_score"]:
        raise InvalidInput("保底分不能高于满分 (floor must not exceed the full score)", field="floor")
    scope.check(d)
    _check_bonus_cap(d.get("bonus_cap"))
    _check_award(d.get("award"))
    _check_grades(d.get("grades"))
    seen: set[str] = set()
    sections = d.get("sections") or []
    if not isinstance(sections, list) or not all(isinstance(s, dict) for s in sections):
        raise InvalidInput("考核部分须为对象列表 (sections must be a list of objects)", field="sections")
    for section in sections:
        name = str(section.get("name") or section.get("code") or "")
        _check_section(section, name)
        rules = section.get("rules") or []
        if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
            raise InvalidInput(f"{name}：规则须为对象列表 (rules must be a list of objects)", field="rules")
        for rule in rules:
            _check_rule(rule, name)
            if rule["code"] in seen:
                raise InvalidInput(f"规则代码 {rule['code']} 重复 (rule codes must be unique)", field="rules")
            seen.add(rule["code"])
    if not seen:
        raise InvalidInput("方案至少要有一条规则 (a scheme needs at least one rule)", field="sections")
    d["code"], d["floor"] = code, d.get("floor", 0)
    return d


def _latest(session: Session, code: str) -> AssessmentScheme | None:
    return session.scalar(
        select(AssessmentScheme)
        .where(AssessmentScheme.code == code)
        .order_by(AssessmentScheme.version.desc())
    )


def save_scheme(session: Session, definition: dict[str, Any], *, actor: str) -> AssessmentScheme:
    """Store a new version of a scheme. If the scheme is the one in force for its target, the new version
    takes over from the next period (the current period keeps the version it started with)."""
    d = validate(definition)
    prev = _latest(session, d["code"])
    if prev is not None and prev.target != d["target"]:
        raise InvalidInput("不能改变已有方案的考核对象 (a scheme keeps its target)", field="target")
    row = AssessmentScheme(
        code=d["code"], version=(prev.version + 1) if prev else 1, name=d["name"].strip()[:200], target=d["target"],
        period=d["period"], source=str(d.get("source") or ""), definition=d, created_by=actor,
        created_at=services_of(session).now(),
    )  # fmt: skip
    session.add(row)
    session.flush()
    audit.record(
        session, "assessment_scheme_saved", actor=actor, scheme=row.code, version=row.version,
        before=prev.definition if prev else None, after=d,
    )  # fmt: skip
    day = today(session)
    current = in_force(session, row.target, day)
    if prev is not None and current is not None and current.code == row.code:
        _activate(session, row, periods.next_period_start(row.period, day), actor)
    return row


def _activate(session: Session, row: AssessmentScheme, start: date, actor: str) -> SchemeActivation:
    act = SchemeActivation(
        target=row.target, scheme_id=row.id, effective_from=start, activated_by=actor,
        activated_at=services_of(session).now(),
    )  # fmt: skip
    session.add(act)
    session.flush()
    audit.record(
        session, "assessment_scheme_activated", actor=actor, target=row.target, scheme=row.code,
        version=row.version, effective_from=start.isoformat(),
    )  # fmt: skip
    return act


def activate(session: Session, code: str, *, actor: str) -> SchemeActivation:
    """Put the latest version of ``code`` in force for its target from the next period on."""
    row = _latest(session, code)
    if row is None:
        raise NotFound(f"没有考核方案 {code} (no such scheme)", scheme=code)
    return _activate(session, row, periods.next_period_start(row.period, today(session)), actor)


def in_force(session: Session, target: str, day: date) -> AssessmentScheme | None:
    """The scheme in force for ``target`` on ``day`` (the latest activation from that day or earlier)."""
    act = session.scalar(
        select(SchemeActivation)
        .where(SchemeActivation.target == target, SchemeActivation.effective_from <= day)
        .order_by(SchemeActivation.effective_from.desc(), SchemeActivation.id.desc())
        .limit(1)
    )
    return session.get(AssessmentScheme, act.scheme_id) if act is not None else None


def get_scheme(session: Session, code: str, version: int | None = None) -> AssessmentScheme:
    query = select(AssessmentScheme).where(AssessmentScheme.code == code)
    if version is not None:
        query = query.where(AssessmentScheme.version == version)
    row = session.scalar(query.order_by(AssessmentScheme.version.desc()))
    if row is None:
        raise NotFound(f"没有考核方案 {code} (no such scheme)", scheme=code)
    return row


def list_schemes(session: Session) -> list[AssessmentScheme]:
    """The latest version of every scheme."""
    latest = (
        select(AssessmentScheme.code, func.max(AssessmentScheme.version).label("v"))
        .group_by(AssessmentScheme.code)
        .subquery()
    )
    return list(
        session.scalars(
            select(AssessmentScheme)
            .join(latest, (latest.c.code == AssessmentScheme.code) & (latest.c.v == AssessmentScheme.version))
            .order_by(AssessmentScheme.code)
        )
    )


def seed_schemes(
    session: Session, *, activate_demo: bool = True, actor: str = "system"
) -> list[AssessmentScheme]:
    """Store the shipped schemes not there yet; with ``activate_demo``, put the demo's window scheme and the
    staff scheme in force from the start when their target has no scheme yet."""
    have = {c for (c,) in session.execute(select(AssessmentScheme.code).distinct())}
    made = [save_scheme(session, d, actor=actor) for d in SHIPPED if d["code"] not in have]
    if activate_demo:
        for code in DEMO_ACTIVE:
            row = _latest(session, code)
            if row is not None and not session.scalar(
                select(SchemeActivation.id).where(SchemeActivation.target == row.target).limit(1)
            ):
                _activate(session, row, FROM_THE_START, actor)
    return made


def today(session: Session) -> date:
    from runner.timekeeping.deadlines import calendar

    return calendar(session).local_date(services_of(session).now())


def scheme_for(session: Session, code: str, day: date) -> AssessmentScheme:
    """The version of ``code`` to compute a period starting on ``day`` with: the version activated for it
    (the latest activation of the code from that day or earlier), else the latest version."""
    act = session.scalar(
        select(SchemeActivation)
        .join(AssessmentScheme, AssessmentScheme.id == SchemeActivation.scheme_id)
        .where(AssessmentScheme.code == code, SchemeActivation.effective_from <= day)
        .order_by(SchemeActivation.effective_from.desc(), SchemeActivation.id.desc())
        .limit(1)
    )
    return session.get(AssessmentScheme, act.scheme_id) if act is not None else get_scheme(session, code)

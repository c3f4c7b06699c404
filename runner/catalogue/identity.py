"""Applicants' identity numbers: 居民身份证号 (GB 11643, ISO 7064 MOD 11-2) and 统一社会信用代码 (GB 32100),
checked with ``python-stdnum`` — the length, the characters, the birth date and the check character."""

from __future__ import annotations

import unicodedata

from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError

from runner.exceptions import InvalidInput

PERSON = "person"
ORGANISATION = "organisation"

_REASONS = {
    InvalidLength: ("位数不对", "wrong length"),
    InvalidFormat: ("含有不允许的字符", "contains characters that are not allowed"),
    InvalidComponent: ("出生日期或地区码无效", "birth date or region code invalid"),
    InvalidChecksum: ("校验位不符", "the check character does not match"),
}


def _reason(exc: ValidationError) -> tuple[str, str]:
    for kind, reason in _REASONS.items():
        if isinstance(exc, kind):
            return reason
    return ("无效", "invalid")


def half_width(value: str | None) -> str:
    """``value`` as typed with a Chinese input method in full-width mode (``１１０…Ｘ``, ideographic spaces)
    brought to plain ASCII (NFKC), upper-case, without any whitespace."""
    return "".join(unicodedata.normalize("NFKC", value or "").split()).upper()


def check_id_number(value: str) -> str:
    """The 18-digit 居民身份证号 in its compact form (``X`` upper-case), or ``InvalidInput`` saying why."""
    number = half_width(value)
    try:
        if len(ric.compact(number)) != 18:
            raise InvalidLength()
        return str(ric.validate(number))
    except ValidationError as exc:
        zh, en = _reason(exc)
        raise InvalidInput(
            f"身份证号码{zh}，请核对 18 位居民身份证号 (ID card number: {en}; check the 18 characters)"
        ) from None


def check_credit_code(value: str) -> str:
    """The 18-character 统一社会信用代码 in its compact form, or ``InvalidInput`` saying why."""
    code = half_width(value)
    try:
        return str(uscc.validate(code))
    except ValidationError as exc:
        zh, en = _reason(exc)
        raise InvalidInput(
            f"统一社会信用代码{zh}，请核对 18 位代码 (unified social credit code: {en}; check the 18 characters)"
        ) from None


def check_identity(kind: str, value: str) -> str:
    """A person's ID number or an organisation's credit code, by ``kind``."""
    return check_credit_code(value) if kind == ORGANISATION else check_id_number(value)

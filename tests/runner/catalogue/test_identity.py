"""Check characters of identity numbers (runner/catalogue/identity.py)."""

from __future__ import annotations

import pytest

import runner
from runner.catalogue.identity import check_credit_code, check_id_number


def test_identity_numbers_check_characters():
    assert check_id_number(" 11010519491231002x ") == "11010519491231002X"
    with pytest.raises(runner.InvalidInput, match="位数"):
        check_id_number("1101051949123100")
    assert check_credit_code("91110000600037341L") == "91110000600037341L"
    with pytest.raises(runner.InvalidInput, match="校验位"):
        check_credit_code("91110000600037341A")


def test_identity_numbers_typed_in_full_width_are_read_as_ascii():
    """A Chinese input method in full-width mode types ``１…Ｘ`` and ideographic spaces: the same number."""
    assert check_id_number("１１０１０５１９４９１２３１００２Ｘ") == "11010519491231002X"
    assert check_id_number("110105\u300019491231 002x") == "11010519491231002X"
    assert check_credit_code("９１１１００００６０００３７３４１Ｌ") == "91110000600037341L"
    with pytest.raises(runner.InvalidInput, match="校验位"):
        check_id_number("１１０１０５１９４９１２３１００２１")

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

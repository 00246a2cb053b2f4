"""The unified social credit code (GB 32100-2015) and the identity card number checks."""

import pytest
from django.core.exceptions import ValidationError

from federations.codes import (
    credit_code_check_char,
    credit_code_problem,
    make_credit_code,
    validate_credit_code,
    validate_id_number,
)


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000600037341L"])
def test_valid_codes_pass(code):
    assert credit_code_problem(code) is None
    validate_credit_code(code)


def test_the_check_character_by_hand():
    # 9 1 3 5 0 1 0 0 M 0 0 0 1 0 0 Y 4 with weights 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28
    # M = 21, Y = 30: sum = 9+3+27+135+0+26+0+0+420+0+0+0+8+0+0+900+112 = 1640;
    # 1640 mod 31 = 28; 31 - 28 = 3.
    assert credit_code_check_char("91350100M000100Y4") == "3"


def test_wrong_check_character_is_refused_and_named():
    problem = credit_code_problem("91350100M000100Y44")
    assert problem is not None and "3" in problem
    with pytest.raises(ValidationError):
        validate_credit_code("91350100M000100Y44")


@pytest.mark.parametrize("code", ["91350100M000100Y4", "91350100M000100Y433", "123"])
def test_wrong_length_is_refused(code):
    assert "18" in credit_code_problem(code)
    with pytest.raises(ValidationError):
        validate_credit_code(code)


@pytest.mark.parametrize("code", ["91350100I000100Y43", "91350100O000100Y43", "9135010m0000100Y43"])
def test_characters_outside_the_alphabet_are_refused(code):
    assert credit_code_problem(code) is not None


def test_made_codes_are_valid():
    for serial in range(200):
        assert credit_code_problem(make_credit_code("52", "370523", serial)) is None


def test_identity_card_number():
    validate_id_number("11010519491231002X")
    with pytest.raises(ValidationError):
        validate_id_number("110105194912310021")
    with pytest.raises(ValidationError):
        validate_id_number("1101051949123100")

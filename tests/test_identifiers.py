"""Check-digit validation of ID numbers, credit codes and mobiles (no app needed)."""

import pytest

from exam.core.identifiers import (
    InvalidIdentifier,
    mask_id_number,
    validate_credit_code,
    validate_id_number,
    validate_mobile,
)

# Published codes of real, well-known companies: each must pass.
REAL_CREDIT_CODES = [
    "9144030071526726XG",
    "914403001922038216",
    "91330100716105852F",
    "91110000600037341L",
    "91110108551385082Q",
]


@pytest.mark.parametrize("code", REAL_CREDIT_CODES)
def test_real_credit_codes_are_valid(code):
    assert validate_credit_code(code) == code


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("9144030071526726XA", "check_digit"),  # last character changed
        ("9144030071526727XG", "check_digit"),  # one digit changed
        ("9144030071526726X", "length"),
        ("9144030071526726XGG", "length"),
        ("9144030071526726IG", "characters"),  # I is not in the GB 32100 alphabet
        ("91440300715267-6XG", "characters"),
    ],
)
def test_bad_credit_codes_are_refused_with_the_reason(raw, reason):
    with pytest.raises(InvalidIdentifier) as excinfo:
        validate_credit_code(raw)
    assert excinfo.value.reason == reason


def test_credit_code_is_normalised_from_lower_case_and_full_width():
    assert validate_credit_code(" ９１４４０３００７１５２６７２６ｘg ") == "9144030071526726XG"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("11010519491231002X", "11010519491231002X"),  # the standard's own example
        ("11010519491231002x", "11010519491231002X"),  # lower-case x accepted
        ("370102198001010015", "370102198001010015"),  # checked by hand: sum 172, mod 11 = 7
    ],
)
def test_valid_id_numbers(raw, expected):
    assert validate_id_number(raw) == expected


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("110105194912310029", "check_digit"),
        ("110105194912310021", "check_digit"),
        ("370102198001010019", "check_digit"),
        ("11010519491231002", "length"),
        ("1101051949123100X2", "characters"),
        ("110105194913310025", "birth_date"),  # month 13
        ("110105299901010013", "birth_date"),  # born in the future
    ],
)
def test_invalid_id_numbers_are_refused_with_the_reason(raw, reason):
    with pytest.raises(InvalidIdentifier) as excinfo:
        validate_id_number(raw)
    assert excinfo.value.reason == reason


@pytest.mark.parametrize("raw", ["1101051949123100²X", "١١٠١٠٥١٩٤٩١٢٣١٠٠٢X"])
def test_id_numbers_with_non_ascii_digits_are_refused(raw):
    with pytest.raises(InvalidIdentifier) as excinfo:
        validate_id_number(raw)
    assert excinfo.value.reason == "characters"


@pytest.mark.parametrize(
    "raw, expected", [("13812345678", "13812345678"), ("+86 138-1234-5678", "13812345678")]
)
def test_valid_mobiles(raw, expected):
    assert validate_mobile(raw) == expected


@pytest.mark.parametrize("raw", ["1381234567", "23812345678", "12812345678", "1381234567a"])
def test_invalid_mobiles(raw):
    with pytest.raises(InvalidIdentifier):
        validate_mobile(raw)


def test_mask_keeps_region_and_last_four():
    assert mask_id_number("11010519491231002X") == "110105********002X"

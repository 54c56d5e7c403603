"""Check-digit validation of the two national identifiers (pure, no Flask).

- Resident ID number (居民身份证号码), GB 11643-1999: 17 digits and an
  ISO 7064 MOD 11-2 check character (0-9 or X).
- Unified social credit code (统一社会信用代码), GB 32100-2015: 18 characters
  from a 31-character alphabet, the last a MOD 31 check character.
"""

from __future__ import annotations

from datetime import date

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"

CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
#: GB 11714 organisation-code weights for characters 9-16 of the credit code.
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

_FULL_WIDTH = {
    ord(c): ord(c) - 0xFEE0
    for c in "０１２３４５６７８９ＡＢＣＤＥＦＧＨＪＫＬＭＮＰＱＲＴＵＷＸＹｘ"
}


class InvalidIdentifier(ValueError):
    """The identifier is malformed; ``reason`` says how (a stable key)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def normalise(raw: str) -> str:
    """Strip spaces, fold full-width characters and upper-case (x -> X)."""
    return "".join(str(raw).translate(_FULL_WIDTH).split()).upper()


def id_check_char(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def validate_id_number(raw: str) -> str:
    """Return the normalised ID number or raise InvalidIdentifier."""
    value = normalise(raw)
    if len(value) != 18:
        raise InvalidIdentifier("length")
    if not value.isascii() or not value[:17].isdigit() or value[17] not in "0123456789X":
        raise InvalidIdentifier("characters")
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError as exc:
        raise InvalidIdentifier("birth_date") from exc
    if born.year < 1900 or born > date.today():
        raise InvalidIdentifier("birth_date")
    if id_check_char(value[:17]) != value[17]:
        raise InvalidIdentifier("check_digit")
    return value


def birth_date(id_number: str) -> date:
    return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def credit_check_char(first17: str) -> str:
    total = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS, strict=True))
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def example_id_number(serial: int, born: str = "19800101", region: str = "370102") -> str:
    """A valid ID number for sample data (tests, benchmarks): the region, the birth date
    (YYYYMMDD) and the last three digits of ``serial``, with its check character."""
    first17 = f"{region}{born}{serial % 1000:03d}"
    return first17 + id_check_char(first17)


def example_credit_code(serial: int) -> str:
    """A valid credit code for sample data (tests, benchmarks), one per ``serial``."""
    first17 = f"91370102{serial % 10**9:09d}"
    return first17 + credit_check_char(first17)


def org_code_check_char(first8: str) -> str:
    """GB 11714 check character of an organisation code (characters 9-16 of a credit code)."""
    total = sum(int(c, 36) * w for c, w in zip(first8, ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def validate_credit_code(raw: str) -> str:
    """Return the normalised credit code or raise InvalidIdentifier.

    Only the GB 32100 check character is enforced: older codes carry organisation
    codes whose own check digit does not always follow GB 11714.
    """
    value = normalise(raw)
    if len(value) != 18:
        raise InvalidIdentifier("length")
    if any(c not in CREDIT_ALPHABET for c in value):
        raise InvalidIdentifier("characters")
    if credit_check_char(value[:17]) != value[17]:
        raise InvalidIdentifier("check_digit")
    return value


def validate_mobile(raw: str) -> str:
    """Return a normalised mainland mobile number (11 digits starting with 1)."""
    value = normalise(raw)
    if value.startswith("+86"):
        value = value[3:]
    value = value.replace("-", "")
    if (
        len(value) != 11
        or not value.isascii()
        or not value.isdigit()
        or value[0] != "1"
        or value[1] not in "3456789"
    ):
        raise InvalidIdentifier("mobile")
    return value


def mask_id_number(id_number: str) -> str:
    """Show the region and the last four characters only: 370102********123X."""
    return id_number[:6] + "*" * 8 + id_number[-4:]

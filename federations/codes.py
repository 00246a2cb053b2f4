"""Identifier checks: the unified social credit code (统一社会信用代码, GB 32100-2015) and the
resident identity card number (公民身份号码, GB 11643-1999)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# GB 32100-2015: 31 characters (no I, O, S, V, Z); weights 3^i mod 31 for the 17 first.
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = [pow(3, i, 31) for i in range(17)]
CREDIT_CODE_REGEX = r"^[0-9A-HJ-NPQRTUWXY]{18}$"

# The first two characters of codes issued by civil affairs (登记管理部门 5) per kind.
SOCIAL_GROUP_PREFIX = "51"  # 社会团体
PRIVATE_NON_ENTERPRISE_PREFIX = "52"  # 民办非企业单位（社会服务机构）
FOUNDATION_PREFIX = "53"  # 基金会


def credit_code_check_char(body: str) -> str:
    """The 18th character for the 17 first characters `body`."""
    total = sum(
        CREDIT_CODE_ALPHABET.index(c) * w for c, w in zip(body, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def credit_code_problem(code: str) -> str | None:
    """Why `code` is not a valid unified social credit code, or None when it is."""
    if len(code) != 18:
        return str(
            _("A unified social credit code has 18 characters; this one has %(n)d.")
            % {"n": len(code)}
        )
    bad = sorted({c for c in code if c not in CREDIT_CODE_ALPHABET})
    if bad:
        return str(
            _("A unified social credit code has no character %(chars)s.")
            % {"chars": "、".join(bad)}
        )
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        return str(
            _("Wrong check character: the last character should be %(expected)s, not %(got)s.")
            % {"expected": expected, "got": code[17]}
        )
    return None


def validate_credit_code(value: str) -> None:
    if value:
        problem = credit_code_problem(value)
        if problem:
            raise ValidationError(problem, code="credit_code")


def make_credit_code(prefix: str, region_code: str, serial: int | str) -> str:
    """A valid code: 2-character prefix, 6-digit division code, 9-character serial, check."""
    body = f"{prefix}{region_code[:6]}{str(serial).zfill(9)[-9:]}"
    return body + credit_code_check_char(body)


ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"


def validate_id_number(value: str) -> None:
    """An 18-character resident identity card number with its check character."""
    if not value:
        return
    if len(value) != 18 or not value[:17].isdigit() or value[17] not in "0123456789X":
        raise ValidationError(
            _("An identity card number has 17 digits and a check character (digit or X)."),
            code="id_number",
        )
    total = sum(int(c) * w for c, w in zip(value[:17], ID_WEIGHTS, strict=True))
    if ID_CHECK[total % 11] != value[17]:
        raise ValidationError(_("Wrong identity card check character."), code="id_number")

"""Kazakh identifiers: IIN (people) and BIN (organisations), 12 digits with a control digit."""

from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

_W1 = tuple(range(1, 12))
_W2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def control_digit(first11: str) -> int | None:
    """The 12th digit of an IIN/BIN for its first 11 digits, or None if no such number is valid."""
    digits = [int(c) for c in first11]
    for weights in (_W1, _W2):
        check = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
        if check != 10:
            return check
    return None


def _twelve_digits(value: str) -> bool:
    # str.isdigit() is also true for "¹" or "١", which int() refuses or reads: only ASCII digits make an IIN
    return len(value) == 12 and value.isascii() and value.isdigit()


def is_valid_xin(value: str) -> bool:
    if not value or not _twelve_digits(value):
        return False
    return control_digit(value[:11]) == int(value[11])


def make_xin(first11: str) -> str:
    """Complete 11 digits to a valid IIN/BIN (demo and test data)."""
    check = control_digit(first11)
    if check is None:
        raise ValueError(f"no valid control digit for {first11}")
    return first11 + str(check)


class XIN:
    """WTForms validator for an IIN or BIN."""

    def __init__(self, what: str):
        self.what = what

    def __call__(self, form, field):
        value = (field.data or "").strip()
        if not value:
            return
        if not _twelve_digits(value):
            raise ValidationError(_l("%(what)s должен состоять из 12 цифр.", what=self.what))
        if not is_valid_xin(value):
            raise ValidationError(_l("%(what)s указан с ошибкой: не сходится контрольная цифра.", what=self.what))

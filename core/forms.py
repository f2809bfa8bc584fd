"""Shared form pieces: select choices, and number fields that refuse what no column can hold."""

from decimal import Decimal

import wtforms
from wtforms.fields.choices import SelectChoice


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms select choices."""
    return [SelectChoice(str(value), label) for value, label in pairs]


# WTForms' own messages, translated by WTForms' catalogue (not ours, so kept out of our extraction).
WTFORMS_BAD_DECIMAL = "Not a valid decimal value."
WTFORMS_BAD_INTEGER = "Not a valid integer value."

# The widest number a column holds: NUMERIC(20, 4) for prices and amounts, BIGINT for counts.
DECIMAL_LIMIT = Decimal(10) ** 16
INTEGER_LIMIT = 2**63 - 1


def db_int(value) -> int:
    """``type=`` for ``request.form.get``/``request.args.get``: an int a database integer column holds; any
    other value raises ValueError, so ``get`` answers its default instead of a query failing on it."""
    number = int(value)
    if not -(2**31) <= number < 2**31:
        raise ValueError(f"{value!r} is out of range")
    return number


class DecimalField(wtforms.DecimalField):
    """WTForms' DecimalField that also refuses NaN, the infinities and magnitudes no column holds: Python's
    Decimal reads "sNaN" or "1e999" happily, and either would fail later, as a server error."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and (not self.data.is_finite() or abs(self.data) >= DECIMAL_LIMIT):
            self.data = None
            raise ValueError(self.gettext(WTFORMS_BAD_DECIMAL))


class IntegerField(wtforms.IntegerField):
    """WTForms' IntegerField bounded to what a database integer holds (Python's int has no bound)."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and abs(self.data) > INTEGER_LIMIT:
            self.data = None
            raise ValueError(self.gettext(WTFORMS_BAD_INTEGER))
